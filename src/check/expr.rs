//! Types of expressions: literals, record paths, names, indexing, lists, objects, `if`.

use std::sync::Arc;

use super::scope::{Checker, Reason, Typed};
use super::suggest;
use super::types::{Field, ObjectType, Type};
use super::typing::{join, nullish};
use crate::diagnostics::{Code, Diagnostic};
use crate::syntax::ast::{Expr, ExprKind, Ident, TemplatePart};

impl<'a> Checker<'a> {
    /// Infers an expression's type and fallibility. `omit_ok` is true only where the value
    /// becomes a sink field (possibly through `??`, `if` or `match`).
    pub(crate) fn infer(&mut self, expr: &Expr, omit_ok: bool) -> Typed {
        match &expr.kind {
            ExprKind::Null => Typed::ok(Type::Null),
            ExprKind::Bool(_) => Typed::ok(Type::Bool),
            ExprKind::Int(_) => Typed::ok(Type::Int),
            ExprKind::Decimal(_) => Typed::ok(Type::Decimal),
            ExprKind::String(_) => Typed::ok(Type::String),
            ExprKind::Duration(_) => Typed::ok(Type::Duration),
            ExprKind::Template(parts) => {
                let mut typed = Typed::ok(Type::String);
                for part in parts {
                    if let TemplatePart::Expr(inner) = part {
                        let t = self.infer(inner, false);
                        self.interpolable(inner, &t.ty);
                        typed = typed.or_fallible(&t.fallible);
                    }
                }
                typed
            }
            ExprKind::Omit => {
                if !omit_ok {
                    self.emit(
                        Diagnostic::new(
                            Code::OmitOutsideField,
                            expr.span,
                            "`omit` can only be the value of a sink field",
                        )
                        .with_label("not a sink field value")
                        .with_help(
                            "use `null` for an explicit null, or move `omit` into the `map` block",
                        ),
                    );
                }
                Typed::ok(Type::Omit)
            }
            ExprKind::Record => Typed::ok(self.frame.record.clone()),
            ExprKind::Field {
                base,
                name,
                optional,
            } => {
                let b = self.infer(base, false);
                let ty = self.field_of(&b.ty, base, name, *optional);
                Typed {
                    ty,
                    fallible: b.fallible,
                }
            }
            ExprKind::Index {
                base,
                index,
                optional,
            } => self.index(expr, base, index, *optional),
            ExprKind::Var(name) => self.var(name),
            ExprKind::List(items) => {
                let mut item = Type::Never;
                let mut fallible = None;
                for value in items {
                    let t = self.infer(value, false);
                    item = join(item, t.ty);
                    fallible = fallible.or(t.fallible);
                }
                let item = if item == Type::Never { Type::Any } else { item };
                Typed {
                    ty: Type::list(item),
                    fallible,
                }
            }
            ExprKind::Object(entries) => {
                let mut object = ObjectType::default();
                let mut fallible = None;
                let mut first_spans = std::collections::HashMap::new();
                for entry in entries {
                    let t = self.infer(&entry.value, omit_ok);
                    fallible = fallible.or(t.fallible);
                    if let Some(first) = first_spans.insert(entry.key.value.clone(), entry.key.span)
                    {
                        self.emit(
                            Diagnostic::new(
                                Code::DuplicateDefinition,
                                entry.key.span,
                                format!("key `{}` appears twice in this object", entry.key.value),
                            )
                            .with_label("second time")
                            .with_secondary(first, "first time")
                            .with_help("remove one of them"),
                        );
                    }
                    object
                        .fields
                        .insert(entry.key.value.clone(), Field::new(t.ty));
                }
                Typed {
                    ty: Type::Object(Arc::new(object)),
                    fallible,
                }
            }
            ExprKind::Unary { op, operand } => self.unary(*op, operand),
            ExprKind::Binary { op, lhs, rhs } => self.binary(expr, *op, lhs, rhs, omit_ok),
            ExprKind::Assert(inner) => {
                let t = self.infer(inner, false);
                if t.fallible.is_none() && !nullish(&t.ty) && t.ty != Type::Never {
                    self.emit(
                        Diagnostic::new(
                            Code::NeedlessAssert,
                            expr.span,
                            format!(
                                "`{}` is never null, missing or failed",
                                self.text(inner.span)
                            ),
                        )
                        .with_label("this `!` never fires")
                        .with_help("remove the `!`"),
                    );
                }
                Typed::ok(super::typing::strip_nothing(&t.ty))
            }
            ExprKind::If {
                condition,
                then_branch,
                else_branch,
            } => {
                let c = self.condition(condition, "an `if` condition");
                let then_t = self.infer(then_branch, omit_ok);
                let else_t = self.infer(else_branch, omit_ok);
                Typed::ok(join(then_t.ty, else_t.ty))
                    .or_fallible(&c.fallible)
                    .or_fallible(&then_t.fallible)
                    .or_fallible(&else_t.fallible)
            }
            ExprKind::Match { subject, arms } => self.match_expr(expr, subject, arms, omit_ok),
            ExprKind::Call { function, args } => self.call(expr, function, args),
            ExprKind::Closure { params, body } => {
                self.emit(
                    Diagnostic::new(Code::NotCallable, expr.span, "a closure is not a value")
                        .with_label("closure here")
                        .with_help(
                            "closures are only arguments of functions such as `map` and `filter`",
                        ),
                );
                self.closure_body_loose(params, body);
                Typed::ok(Type::Any)
            }
        }
    }

    fn interpolable(&mut self, inner: &Expr, ty: &Type) {
        if matches!(
            ty.non_null(),
            Type::Lookup { .. } | Type::Closure | Type::Omit
        ) {
            self.emit(
                Diagnostic::new(
                    Code::TypeMismatch,
                    inner.span,
                    format!("a {ty} cannot be interpolated into a string"),
                )
                .with_label("here"),
            );
        }
    }

    /// A `where` or `if` condition: must be a boolean.
    pub(crate) fn condition(&mut self, expr: &Expr, what: &str) -> Typed {
        let t = self.infer(expr, false);
        let problem = match &t.ty.plain() {
            Type::Bool | Type::Any | Type::Never => None,
            Type::Optional(inner) if **inner == Type::Bool => Some(format!(
                "compare explicitly: `{} == true`",
                self.text(expr.span)
            )),
            Type::Optional(_) | Type::Null | Type::String => Some(format!(
                "say what you mean, such as `{} != null`",
                self.text(expr.span)
            )),
            _ => Some("write a comparison such as `x == y` or `x > 0`".to_string()),
        };
        if let Some(help) = problem {
            self.emit(
                Diagnostic::new(
                    Code::ConditionNotBool,
                    expr.span,
                    format!("{what} must be a bool, but this is {}", t.ty),
                )
                .with_label(format!("this is {}", t.ty))
                .with_help(help),
            );
        }
        t
    }

    /// The type of `base.name` (or `base?.name`).
    pub(crate) fn field_of(
        &mut self,
        base_ty: &Type,
        base: &Expr,
        name: &Ident,
        optional: bool,
    ) -> Type {
        let found = match base_ty {
            Type::Any => Type::Any,
            Type::Never => Type::Never,
            Type::Null | Type::Optional(_) => {
                if !optional {
                    self.may_be_null_access(base, &name.name, ".");
                }
                match base_ty {
                    Type::Optional(inner) => self.field_of(inner, base, name, true),
                    _ => Type::Null,
                }
            }
            Type::Object(object) => match object.fields.get(&name.name) {
                Some(field) => field.ty.clone(),
                None => match &object.other_keys {
                    Some(other) => Type::optional((**other).clone()),
                    None => {
                        self.unknown_field(object, base, name);
                        Type::Any
                    }
                },
            },
            Type::Union(members)
                if members
                    .iter()
                    .all(|m| matches!(m, Type::Object(_) | Type::Any)) =>
            {
                Type::Any
            }
            other => {
                self.emit(
                    Diagnostic::new(
                        Code::UnknownField,
                        name.span,
                        format!("`{}` is {other}, which has no fields", self.text(base.span)),
                    )
                    .with_label(format!("no field `{}` here", name.name)),
                );
                Type::Any
            }
        };
        if optional {
            Type::optional(found)
        } else {
            found
        }
    }

    fn may_be_null_access(&mut self, base: &Expr, name: &str, sep: &str) {
        let text = self.text(base.span);
        self.emit(
            Diagnostic::new(
                Code::PossiblyNull,
                base.span,
                format!("`{text}` may be null"),
            )
            .with_label("may be null")
            .with_help(format!(
                "use `?.` to get null instead of an error: `{text}?{sep}{name}`"
            )),
        );
    }

    fn unknown_field(&mut self, object: &ObjectType, base: &Expr, name: &Ident) {
        let owner = object
            .name
            .clone()
            .unwrap_or_else(|| "this object".to_string());
        let on_record = matches!(base.kind, ExprKind::Record);
        let mut diagnostic = Diagnostic::new(
            Code::UnknownField,
            name.span,
            format!("`{owner}` has no field `{}`", name.name),
        )
        .with_label("unknown field");
        let prefix = if on_record { "." } else { "" };
        if let Some(help) =
            suggest::did_you_mean(&name.name, object.fields.keys().map(String::as_str), |c| {
                format!("{prefix}{c}")
            })
        {
            diagnostic = diagnostic.with_help(help);
        }
        self.emit(diagnostic);
    }

    /// `base[index]`: a lookup read (fallible), a list item (`T?`), or an object key.
    fn index(&mut self, expr: &Expr, base: &Expr, index: &Expr, optional: bool) -> Typed {
        let b = self.infer(base, false);
        let i = self.infer(index, false);
        let mut base_ty = b.ty.clone();
        if matches!(base_ty, Type::Optional(_) | Type::Null) {
            if !optional {
                let key = self.text(index.span);
                self.may_be_null_access(base, &format!("[{key}]"), ".");
            }
            base_ty = base_ty.non_null().clone();
        }
        let mut fallible = b.fallible.or(i.fallible);
        let ty = match &base_ty {
            Type::Lookup { value, .. } => {
                let name = match &base.kind {
                    ExprKind::Var(name) => name.name.clone(),
                    _ => self.text(base.span),
                };
                fallible = fallible.or(Some(Reason {
                    span: expr.span,
                    label: "this lookup can miss".to_string(),
                    detail: format!(
                        "`{name}` may have no entry for the key `{}`",
                        self.text(index.span)
                    ),
                }));
                (**value).clone()
            }
            Type::List(item) => {
                if !matches!(i.ty.non_null(), Type::Int | Type::Any | Type::Never) {
                    self.emit(
                        Diagnostic::new(
                            Code::TypeMismatch,
                            index.span,
                            format!("a list index must be an int, found {}", i.ty),
                        )
                        .with_label("not an int"),
                    );
                }
                // Out of range gives null, so the item is optional.
                Type::optional((**item).clone())
            }
            Type::Object(object) => match &index.kind {
                ExprKind::String(key) => match object.fields.get(key) {
                    Some(field) => field.ty.clone(),
                    None => match &object.other_keys {
                        Some(other) => Type::optional((**other).clone()),
                        None => {
                            let ident = Ident {
                                name: key.clone(),
                                span: index.span,
                            };
                            self.unknown_field(object, base, &ident);
                            Type::Any
                        }
                    },
                },
                _ => Type::Any,
            },
            Type::Any | Type::Never => Type::Any,
            other => {
                self.emit(
                    Diagnostic::new(
                        Code::TypeMismatch,
                        expr.span,
                        format!("{other} cannot be indexed with `[...]`"),
                    )
                    .with_label(format!("`{}` is {other}", self.text(base.span))),
                );
                Type::Any
            }
        };
        let ty = if optional || matches!(b.ty, Type::Optional(_) | Type::Null) {
            Type::optional(ty)
        } else {
            ty
        };
        Typed { ty, fallible }
    }

    /// A name: closure or function parameter, `let`, or lookup.
    pub(crate) fn var(&mut self, name: &Ident) -> Typed {
        if let Some((_, ty)) = self
            .frame
            .locals
            .iter()
            .rev()
            .find(|(n, _)| *n == name.name)
        {
            return Typed::ok(ty.clone());
        }
        if let Some(position) = self.frame.lets.iter().position(|l| l.name == name.name) {
            if position >= self.frame.visible_lets {
                let later = self.frame.lets[position].span;
                let own = position == self.frame.visible_lets;
                self.emit(
                    Diagnostic::new(
                        Code::UnknownName,
                        name.span,
                        if own {
                            format!("`{}` is used in its own definition", name.name)
                        } else {
                            format!("`{}` is defined after this `let`", name.name)
                        },
                    )
                    .with_label("used before its definition")
                    .with_secondary(later, "defined here")
                    .with_help("move this `let` below the one it uses"),
                );
                return Typed::ok(Type::Any);
            }
            let quiet = self.quiet > 0;
            let binding = &mut self.frame.lets[position];
            binding.used = true;
            let ty = binding.ty.clone();
            if !binding.reported
                && !quiet
                && let Some(reason) = binding.fallible.clone()
            {
                binding.reported = true;
                let place = format!("`let {}`, which is used later,", name.name);
                self.require_handled(
                    &Typed {
                        ty: ty.clone(),
                        fallible: Some(reason),
                    },
                    &place,
                    name.span,
                );
            }
            return Typed::ok(ty);
        }
        if let Some(lookup) = self.frame.lookups.get_mut(&name.name) {
            lookup.used = true;
            return Typed::ok(lookup_type(&lookup.value));
        }
        if let Some(lookup) = self.global_lookups.get_mut(&name.name) {
            lookup.used = true;
            return Typed::ok(lookup_type(&lookup.value));
        }
        self.unknown_name(name);
        Typed::ok(Type::Any)
    }

    fn unknown_name(&mut self, name: &Ident) {
        let mut diagnostic = Diagnostic::new(
            Code::UnknownName,
            name.span,
            format!("unknown name `{}`", name.name),
        )
        .with_label("not defined");
        let mut candidates: Vec<String> =
            self.frame.locals.iter().map(|(n, _)| n.clone()).collect();
        candidates.extend(
            self.frame.lets[..self.frame.visible_lets.min(self.frame.lets.len())]
                .iter()
                .map(|l| l.name.clone()),
        );
        candidates.extend(self.frame.lookups.keys().cloned());
        candidates.extend(self.global_lookups.keys().cloned());
        let is_field =
            matches!(&self.frame.record, Type::Object(o) if o.fields.contains_key(&name.name));
        if is_field {
            diagnostic = diagnostic.with_help(format!(
                "fields of the record start with a dot: `.{}`",
                name.name
            ));
        } else if self.functions.contains_key(&name.name)
            || self.env.functions.signature(&name.name).is_some()
        {
            diagnostic = diagnostic.with_help(format!(
                "`{}` is a function: call it with `{}(...)`",
                name.name, name.name
            ));
        } else if let Some(help) = suggest::did_you_mean(
            &name.name,
            candidates.iter().map(String::as_str),
            str::to_string,
        ) {
            diagnostic = diagnostic.with_help(help);
        }
        self.emit(diagnostic);
    }
}

fn lookup_type(value: &Type) -> Type {
    Type::Lookup {
        key: Box::new(Type::String),
        value: Box::new(value.clone()),
    }
}
