//! `map to` blocks against the target schema, and `sink` options against the map.

use indexmap::IndexMap;

use super::schema::Posting;
use super::scope::Checker;
use super::suggest;
use super::types::{Field, Type};
use super::typing::{Mismatch, accepts, strip_omit};
use super::{CheckedPipeline, SchemaRegistry};
use crate::diagnostics::{Code, Diagnostic, Span};
use crate::syntax::ast::{Expr, ExprKind, Ident, MapBlock, SinkBlock, SinkOption};

/// Target paths the map sets (`metadata.capsule_id`), with their spans.
pub(crate) type Assigned = IndexMap<String, Span>;

impl<'a> Checker<'a> {
    pub(crate) fn check_map(&mut self, map: &MapBlock) -> Assigned {
        let name = map.target.dotted();
        let target = self.env.schemas.targets.get(&name);
        if target.is_none() {
            let mut diagnostic = Diagnostic::new(
                Code::UnknownMapTarget,
                map.target.span,
                format!("unknown map target `{name}`"),
            )
            .with_label("not a known schema");
            let names = self.env.schemas.targets.keys().map(String::as_str);
            if let Some(help) = suggest::did_you_mean(&name, names, str::to_string) {
                diagnostic = diagnostic.with_help(help);
            }
            self.emit(diagnostic);
        }
        let record = target.map_or(Type::Any, |t| t.record.clone());
        let mut assigned = Assigned::new();
        let locals = self.frame.locals.len();
        if let Some(each) = &map.each {
            let item = self.each_item(each);
            self.frame.locals.push((each.name.name.clone(), item));
        }
        for assignment in &map.assignments {
            let Some(last) = assignment.target.last() else {
                continue;
            };
            let path_span = assignment.target[0].span.to(last.span);
            let dotted = assignment.dotted_target();
            if let Some(first) = assigned.get(&dotted) {
                self.emit(
                    Diagnostic::new(
                        Code::FieldAssignedTwice,
                        path_span,
                        format!("`{dotted}` is assigned twice"),
                    )
                    .with_label("second assignment")
                    .with_secondary(*first, "first assignment")
                    .with_help("remove one, or combine them with `??`"),
                );
            } else {
                assigned.insert(dotted.clone(), path_span);
            }
            let field = self.target_field(&record, &name, &assignment.target);
            let value = self.infer(&assignment.value, true);
            self.require_handled(&value, &format!("sink field `{dotted}`"), path_span);
            if let Some(field) = field {
                self.field_value(&field, &value.ty, &assignment.value, &dotted);
            }
        }
        self.frame.locals.truncate(locals);
        if let Type::Object(object) = &record {
            for (field_name, field) in &object.fields {
                let set = assigned
                    .keys()
                    .any(|k| k == field_name || k.starts_with(&format!("{field_name}.")));
                if field.required && !set {
                    self.emit(
                        Diagnostic::new(
                            Code::MissingRequiredField,
                            map.target.span,
                            format!(
                                "`{name}` requires `{field_name}`, and this map does not set it"
                            ),
                        )
                        .with_label(format!("`{field_name}` not set"))
                        .with_help(format!("add `{field_name} = ...` ({})", field.ty)),
                    );
                }
            }
        }
        if let Some(limits) = target.and_then(|t| t.metadata_limits) {
            self.metadata_limits(map, limits);
        }
        assigned
    }

    /// The schema field a target path names; E0201/E0509 when there is none.
    fn target_field(&mut self, record: &Type, target: &str, path: &[Ident]) -> Option<Field> {
        let mut current = record.clone();
        let mut field = None;
        for (depth, segment) in path.iter().enumerate() {
            match current.non_null().clone() {
                Type::Any => return Some(Field::new(Type::Any)),
                Type::Object(object) => {
                    let found = match object.fields.get(&segment.name) {
                        Some(found) => found.clone(),
                        None => match &object.other_keys {
                            Some(other) => Field::new((**other).clone()),
                            None => {
                                let owner = if depth == 0 {
                                    target.to_string()
                                } else {
                                    dotted(&path[..depth])
                                };
                                let mut diagnostic = Diagnostic::new(
                                    Code::UnknownField,
                                    segment.span,
                                    format!("`{owner}` has no field `{}`", segment.name),
                                )
                                .with_label("unknown field");
                                let names = object.fields.keys().map(String::as_str);
                                if let Some(help) =
                                    suggest::did_you_mean(&segment.name, names, str::to_string)
                                {
                                    diagnostic = diagnostic.with_help(help);
                                }
                                self.emit(diagnostic);
                                return None;
                            }
                        },
                    };
                    current = found.ty.clone();
                    field = Some(found);
                }
                other => {
                    let parent = dotted(&path[..depth]);
                    self.emit(
                        Diagnostic::new(
                            Code::NotAnObjectField,
                            segment.span,
                            format!(
                                "`{parent}` is {other}, not an object, so it has no `{}`",
                                segment.name
                            ),
                        )
                        .with_label("not inside an object")
                        .with_help(format!("assign `{parent}` itself")),
                    );
                    return None;
                }
            }
        }
        field
    }

    /// A value against the field it is written to.
    fn field_value(&mut self, field: &Field, ty: &Type, value: &Expr, dotted: &str) {
        let (ty, may_omit) = strip_omit(ty);
        let text = self.text(value.span);
        if may_omit && field.required {
            self.emit(
                Diagnostic::new(
                    Code::OmitRequiredField,
                    value.span,
                    format!("`{dotted}` is required, but this value may be `omit`"),
                )
                .with_label("may leave a required field out")
                .with_help("give a fallback value, or `?? skip(\"...\")` the record"),
            );
        }
        match accepts(&field.ty, &ty) {
            Ok(()) => self.enum_values(field, value, dotted),
            Err(Mismatch::Null) => {
                let help = if field.required {
                    format!(
                        "handle null: `{text} ?? skip(\"...\")`, a default with `?? ...`, or `{text}!`"
                    )
                } else {
                    format!("leave the field out when there is no value: `{text} ?? omit`")
                };
                self.emit(
                    Diagnostic::new(
                        Code::PossiblyNull,
                        value.span,
                        format!("`{text}` may be null, but `{dotted}` takes {}", field.ty),
                    )
                    .with_label(format!("{ty} may be null"))
                    .with_help(help),
                );
            }
            Err(Mismatch::MinorUnitsToDecimal) => {
                let fix = self.cents_fix(value);
                self.emit(
                    Diagnostic::new(
                        Code::MinorUnitsToDecimal,
                        value.span,
                        format!("`{dotted}` is a decimal amount, but `{text}` is in minor units"),
                    )
                    .with_label("minor units (cents)")
                    .with_help(format!("convert with the currency: `{fix}`")),
                );
            }
            Err(Mismatch::Key) => self.key_mismatch(&format!("`{dotted}`"), &field.ty, &ty, value),
            Err(Mismatch::Other) => {
                let help = match (field.ty.plain().non_null(), ty.plain().non_null()) {
                    (Type::String, _) => format!("convert with `string({text})`"),
                    (Type::Int | Type::MinorUnits, Type::String) => {
                        format!("parse with `int({text})` and handle failure with `??`")
                    }
                    (Type::Date, Type::Timestamp) => format!("use `to_date({text})`"),
                    (Type::Date, Type::Int) => format!("use `to_date(from_unix({text}))`"),
                    (expected, _) => format!("`{dotted}` takes {expected}"),
                };
                self.emit(
                    Diagnostic::new(
                        Code::SinkFieldType,
                        value.span,
                        format!("`{dotted}` takes {}, but this is {ty}", field.ty),
                    )
                    .with_label(format!("this is {ty}"))
                    .with_help(help),
                );
            }
        }
    }

    /// E0508 for string literals that are not among the field's allowed values.
    fn enum_values(&mut self, field: &Field, value: &Expr, dotted: &str) {
        let Some(allowed) = &field.allowed else {
            return;
        };
        let mut literals = Vec::new();
        branch_literals(value, &mut literals);
        for (literal, span) in literals {
            if allowed.contains(&literal) {
                continue;
            }
            let mut help = format!(
                "allowed values: {}",
                suggest::listing(allowed.iter().map(String::as_str), 30)
            );
            if let Some(close) = suggest::closest(&literal, allowed.iter().map(String::as_str)) {
                help = format!("did you mean `\"{close}\"`? {help}");
            }
            self.emit(
                Diagnostic::new(
                    Code::NotAnEnumValue,
                    span,
                    format!("`{dotted}` does not accept `\"{literal}\"`"),
                )
                .with_label("not an allowed value")
                .with_help(help),
            );
        }
    }

    pub(crate) fn check_sink(
        &mut self,
        sink: &SinkBlock,
        target: Option<&str>,
        assigned: Option<&Assigned>,
        checked: &mut CheckedPipeline,
    ) {
        let name = sink.target.dotted();
        match self.env.schemas.sinks.get(&name) {
            None => {
                let mut diagnostic = Diagnostic::new(
                    Code::UnknownSink,
                    sink.target.span,
                    format!("unknown sink `{name}`"),
                )
                .with_label("not a known sink");
                let names = self.env.schemas.sinks.keys().map(String::as_str);
                if let Some(help) = suggest::did_you_mean(&name, names, str::to_string) {
                    diagnostic = diagnostic.with_help(help);
                }
                self.emit(diagnostic);
            }
            Some(schema) => {
                if let Some(target) = target.filter(|t| self.env.schemas.targets.contains_key(*t))
                    && schema.accepts != target
                {
                    let fitting = self
                        .env
                        .schemas
                        .sinks
                        .values()
                        .find(|s| s.accepts == target)
                        .map(|s| s.name.clone());
                    let mut help = format!(
                        "`{name}` writes `{}` records: write `map to {}`",
                        schema.accepts, schema.accepts
                    );
                    if let Some(fitting) = fitting {
                        help.push_str(&format!(", or `sink {fitting}`"));
                    }
                    self.emit(
                        Diagnostic::new(
                            Code::SinkSchemaMismatch,
                            sink.target.span,
                            format!(
                                "`{name}` writes `{}` records, but the map produces `{target}`",
                                schema.accepts
                            ),
                        )
                        .with_label("does not take this map's records")
                        .with_help(help),
                    );
                }
            }
        }
        let mut match_seen: Option<Span> = None;
        for option in &sink.options {
            match option {
                SinkOption::MatchOn { keys, span } => {
                    if let Some(first) = match_seen.replace(*span) {
                        self.emit(
                            Diagnostic::new(
                                Code::DuplicateSection,
                                *span,
                                "`match on` is given twice",
                            )
                            .with_label("second time")
                            .with_secondary(first, "first time")
                            .with_help("list every key in one `match on a, b`"),
                        );
                    }
                    for key in keys {
                        let dotted = key.dotted();
                        checked.match_keys.push(dotted.clone());
                        let Some(assigned) = assigned else { continue };
                        if !assigned.contains_key(&dotted) {
                            let mut diagnostic = Diagnostic::new(
                                Code::UnknownMatchKey,
                                key.span,
                                format!("`match on {dotted}`: the map does not set `{dotted}`"),
                            )
                            .with_label("not a mapped field");
                            let help = suggest::did_you_mean(
                                &dotted,
                                assigned.keys().map(String::as_str),
                                str::to_string,
                            )
                            .unwrap_or_else(|| {
                                format!(
                                    "set `{dotted} = ...` in the map, or match on a field it sets"
                                )
                            });
                            diagnostic = diagnostic.with_help(help);
                            self.emit(diagnostic);
                        }
                    }
                }
                SinkOption::CrossReference { source, .. } => {
                    checked.cross_reference = Some(source.dotted());
                    self.cross_reference(source);
                }
                // Checked with the step's fields (`Checker::field_options`).
                SinkOption::OnlyOnCreate { .. }
                | SinkOption::Owns { .. }
                | SinkOption::OnConflictNewest { .. } => {}
                SinkOption::Post { span } => {
                    let name = sink.target.dotted();
                    if !self.env.schemas.posting.contains_key(&name) {
                        self.emit(
                            Diagnostic::new(
                                Code::CannotPost,
                                *span,
                                format!("`{name}` documents cannot be posted"),
                            )
                            .with_label("not a postable document")
                            .with_help(format!(
                                "only {} take `post`",
                                postable_list(self.env.schemas)
                            )),
                        );
                    }
                }
            }
        }
    }

    /// `cross_reference connection.stream.field`: a known source and one of its fields.
    fn cross_reference(&mut self, name: &crate::syntax::ast::QualifiedName) {
        let parts = &name.parts;
        if parts.len() < 3 {
            self.emit(
                Diagnostic::new(
                    Code::UnknownCrossReference,
                    name.span,
                    "`cross_reference` names `connection.stream.field`",
                )
                .with_label("too short")
                .with_help("such as `cross_reference capsule.parties.id`"),
            );
            return;
        }
        let (stream_parts, field) = parts.split_at(parts.len() - 1);
        let stream = dotted(stream_parts);
        let stream_span = stream_parts[0]
            .span
            .to(stream_parts[stream_parts.len() - 1].span);
        let Some(source) = self.env.schemas.sources.get(&stream) else {
            let mut diagnostic = Diagnostic::new(
                Code::UnknownCrossReference,
                stream_span,
                format!("unknown source `{stream}`"),
            )
            .with_label("not a known source");
            let names = self.env.schemas.sources.keys().map(String::as_str);
            if let Some(help) = suggest::did_you_mean(&stream, names, str::to_string) {
                diagnostic = diagnostic.with_help(help);
            }
            self.emit(diagnostic);
            return;
        };
        let field = &field[0];
        // The id is read from the record (an event's `data.object`): `stripe.customers.customer`
        // links a charge's customer.
        let read_from = match self.frame.record.non_null() {
            Type::Object(record) => match record.fields.get("data").map(|f| f.ty.non_null()) {
                Some(Type::Object(data)) => {
                    data.fields.get("object").map(|f| f.ty.non_null().clone())
                }
                _ => Some(Type::Object(record.clone())),
            },
            _ => None,
        };
        let in_record = matches!(&read_from, Some(Type::Object(object)) if object.fields.contains_key(&field.name));
        if let Type::Object(object) = &source.record
            && !object.fields.contains_key(&field.name)
            && object.other_keys.is_none()
            && !in_record
        {
            let mut diagnostic = Diagnostic::new(
                Code::UnknownCrossReference,
                field.span,
                format!("`{stream}` records have no field `{}`", field.name),
            )
            .with_label("unknown field");
            let help = suggest::did_you_mean(
                &field.name,
                object.fields.keys().map(String::as_str),
                str::to_string,
            )
            .unwrap_or_else(|| format!("the id field of `{stream}` is `{}`", source.id_field));
            diagnostic = diagnostic.with_help(help);
            self.emit(diagnostic);
        }
    }
}

/// The sinks that take `post`, documents first, as `a, b and c`.
fn postable_list(schemas: &SchemaRegistry) -> String {
    let mut postable: Vec<(&Posting, &String)> = schemas
        .posting
        .iter()
        .map(|(sink, posting)| (posting, sink))
        .collect();
    postable.sort_by_key(|(posting, _)| **posting);
    let names: Vec<&str> = postable.iter().map(|(_, sink)| sink.as_str()).collect();
    match names.split_last() {
        Some((last, [])) => last.to_string(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => String::new(),
    }
}

fn dotted(parts: &[Ident]) -> String {
    parts
        .iter()
        .map(|p| p.name.as_str())
        .collect::<Vec<_>>()
        .join(".")
}

/// String literals a value can end up as (through `??`, `if` and `match`).
fn branch_literals(value: &Expr, out: &mut Vec<(String, Span)>) {
    match &value.kind {
        ExprKind::String(s) => out.push((s.clone(), value.span)),
        ExprKind::Binary {
            op: crate::syntax::ast::BinaryOp::Coalesce,
            lhs,
            rhs,
        } => {
            branch_literals(lhs, out);
            branch_literals(rhs, out);
        }
        ExprKind::If {
            then_branch,
            else_branch,
            ..
        } => {
            branch_literals(then_branch, out);
            branch_literals(else_branch, out);
        }
        ExprKind::Match { arms, .. } => arms.iter().for_each(|arm| branch_literals(&arm.body, out)),
        _ => {}
    }
}

impl<'a> Checker<'a> {
    /// The item type of `for NAME in LIST`; E0310 when the list is not a list.
    fn each_item(&mut self, each: &crate::syntax::ast::MapEach) -> Type {
        let list = self.infer(&each.list, false);
        self.require_handled(&list, "the list of a `for`", each.list.span);
        match &list.ty {
            Type::List(item) => (**item).clone(),
            Type::Any => Type::Any,
            other => {
                self.emit(
                    Diagnostic::new(
                        Code::NotAList,
                        each.list.span,
                        format!("`for` needs a list, but this is {other}"),
                    )
                    .with_label(format!("this is {other}"))
                    .with_help("map over a list; handle an optional one with `?? []`"),
                );
                Type::Any
            }
        }
    }
}
