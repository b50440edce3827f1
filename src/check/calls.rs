//! Calls: binding arguments to parameters, argument types, closures, `xref`, `json`, and the
//! time zone rule.

use super::scope::{Checker, Reason, Typed};
use super::signature::{ArgInfo, Fallibility, ParamSig, Signature};
use super::suggest;
use super::types::Type;
use super::typing::{Mismatch, accepts};
use crate::diagnostics::{Code, Diagnostic, Span};
use crate::syntax::ast::{Argument, Expr, ExprKind, Ident};

/// A parameter as the binder sees it (built-in or user function).
struct Param {
    name: String,
    ty: Type,
    optional: bool,
}

impl<'a> Checker<'a> {
    pub(crate) fn call(&mut self, expr: &Expr, function: &Ident, args: &[Argument]) -> Typed {
        let name = function.name.as_str();
        if name == "json" {
            return self.json_call(expr, function, args);
        }
        if self.functions.contains_key(name) {
            return self.user_call(expr, function, args);
        }
        let signature = match self.env.functions.signature(name) {
            Some(signature) => signature.clone(),
            None if name == "xref" => xref_signature(),
            None => {
                self.unknown_function(function);
                for arg in args {
                    self.infer_loose(arg);
                }
                return Typed::ok(Type::Any);
            }
        };
        self.builtin_call(expr, &signature, args)
    }

    fn unknown_function(&mut self, function: &Ident) {
        let mut names: Vec<&str> = self.env.functions.names();
        names.extend(self.functions.keys().map(String::as_str));
        let mut diagnostic = Diagnostic::new(
            Code::UnknownFunction,
            function.span,
            format!("unknown function `{}`", function.name),
        )
        .with_label("no such function");
        if let Some(help) = suggest::did_you_mean(&function.name, names, str::to_string) {
            diagnostic = diagnostic.with_help(help);
        }
        self.emit(diagnostic);
    }

    fn builtin_call(&mut self, expr: &Expr, signature: &Signature, args: &[Argument]) -> Typed {
        let params: Vec<Param> = signature
            .params
            .iter()
            .map(|p: &ParamSig| Param {
                name: p.name.to_string(),
                ty: p.ty.clone(),
                optional: p.default.is_some(),
            })
            .collect();
        let slots = self.bind(expr.span, signature.name, &params, signature.variadic, args);
        let mut infos: Vec<Option<ArgInfo>> = Vec::new();
        let mut fallible = None;
        for (index, (param, slot)) in params.iter().zip(&slots).enumerate() {
            if slot.is_empty() {
                infos.push(None);
                continue;
            }
            for arg in slot {
                let info = if signature.name == "xref"
                    && index == 0
                    && arg.value.dotted_name().is_some()
                {
                    self.xref_collection(&arg.value)
                } else if matches!(signature.name, "fetch" | "fetch_all")
                    && index == 0
                    && arg.value.dotted_name().is_some()
                {
                    self.fetch_collection(signature.name, &arg.value)
                } else if param.ty == Type::Closure {
                    let (info, body_fallible) = self.closure_arg(signature, param, arg, &infos);
                    fallible = fallible.or(body_fallible);
                    info
                } else {
                    self.value_arg(
                        signature.name,
                        param,
                        arg,
                        signature.fallibility != Fallibility::Infallible,
                    )
                };
                infos.push(Some(info));
            }
        }
        self.time_zone_rule(expr.span, signature, &params, &slots, &infos);
        let named = params
            .iter()
            .zip(&slots)
            .map(|(p, s)| (p.name.as_str(), s.as_slice()));
        for diagnostic in super::formats::format_arguments(signature.name, named) {
            self.emit(diagnostic);
        }
        let mut ty = (signature.returns)(&infos);
        if matches!(signature.name, "fetch" | "fetch_all") {
            ty = self.fetched_type(signature.name, &infos, args);
        }
        if signature.name == "xref" {
            ty = self.xref_result(&infos);
        }
        if let Fallibility::Fallible(detail) = signature.fallibility {
            fallible = Some(Reason {
                span: expr.span,
                label: format!("this call to `{}` can fail", signature.name),
                detail: format!("`{}` fails {detail}", signature.name),
            });
        }
        Typed { ty, fallible }
    }

    /// Assigns arguments to parameters; reports unknown, repeated, extra and missing ones.
    fn bind<'e>(
        &mut self,
        call: Span,
        function: &str,
        params: &[Param],
        variadic: bool,
        args: &'e [Argument],
    ) -> Vec<Vec<&'e Argument>> {
        let mut slots: Vec<Vec<&Argument>> = params.iter().map(|_| Vec::new()).collect();
        let mut next = 0;
        let shape = || {
            let names: Vec<&str> = params.iter().map(|p| p.name.as_str()).collect();
            format!(
                "`{function}({}{})`",
                names.join(", "),
                if variadic { ", ..." } else { "" }
            )
        };
        for arg in args {
            let index = match &arg.name {
                Some(name) => match params.iter().position(|p| p.name == name.name) {
                    Some(index) => index,
                    None => {
                        let mut diagnostic = Diagnostic::new(
                            Code::UnknownArgument,
                            name.span,
                            format!("`{function}` has no parameter `{}`", name.name),
                        )
                        .with_label("unknown argument name");
                        let help = suggest::did_you_mean(
                            &name.name,
                            params.iter().map(|p| p.name.as_str()),
                            str::to_string,
                        )
                        .unwrap_or_else(|| format!("the parameters are {}", shape()));
                        diagnostic = diagnostic.with_help(help);
                        self.emit(diagnostic);
                        self.infer_loose(arg);
                        continue;
                    }
                },
                None => {
                    while next < slots.len()
                        && !slots[next].is_empty()
                        && !(variadic && next + 1 == slots.len())
                    {
                        next += 1;
                    }
                    if next >= slots.len() {
                        self.emit(
                            Diagnostic::new(
                                Code::TooManyArguments,
                                arg.span,
                                format!("`{function}` takes {} argument(s)", params.len()),
                            )
                            .with_label("extra argument")
                            .with_help(format!("the parameters are {}", shape())),
                        );
                        self.infer_loose(arg);
                        continue;
                    }
                    next
                }
            };
            let repeatable = variadic && index + 1 == slots.len();
            if !slots[index].is_empty() && !repeatable {
                let first = slots[index][0].span;
                self.emit(
                    Diagnostic::new(
                        Code::TooManyArguments,
                        arg.span,
                        format!(
                            "argument `{}` of `{function}` is given twice",
                            params[index].name
                        ),
                    )
                    .with_label("second time")
                    .with_secondary(first, "first time")
                    .with_help("remove one of them"),
                );
                self.infer_loose(arg);
                continue;
            }
            slots[index].push(arg);
        }
        for (param, slot) in params.iter().zip(&slots) {
            if slot.is_empty() && !param.optional {
                self.emit(
                    Diagnostic::new(
                        Code::MissingArgument,
                        call,
                        format!("`{function}` needs the argument `{}`", param.name),
                    )
                    .with_label(format!("`{}` missing", param.name))
                    .with_help(format!("the parameters are {}", shape())),
                );
            }
        }
        slots
    }

    /// Checks an argument no parameter takes, so its own mistakes are still reported.
    fn infer_loose(&mut self, arg: &Argument) {
        match &arg.value.kind {
            ExprKind::Closure { params, body } => self.closure_body_loose(params, body),
            _ => {
                self.infer(&arg.value, false);
            }
        }
    }

    /// Checks a closure body whose parameter types are unknown.
    pub(crate) fn closure_body_loose(&mut self, params: &[Ident], body: &Expr) {
        let depth = self.frame.locals.len();
        for p in params {
            self.frame.locals.push((p.name.clone(), Type::Any));
        }
        self.infer(body, false);
        self.frame.locals.truncate(depth);
    }

    /// `null_fails`: the function is fallible, and a null argument is one more way it fails (the
    /// call must be handled anyway), so an optional argument is accepted.
    fn value_arg(
        &mut self,
        function: &str,
        param: &Param,
        arg: &Argument,
        null_fails: bool,
    ) -> ArgInfo {
        if matches!(arg.value.kind, ExprKind::Closure { .. }) {
            self.emit(
                Diagnostic::new(
                    Code::NotCallable,
                    arg.value.span,
                    format!(
                        "`{}` of `{function}` takes {}, not a closure",
                        param.name, param.ty
                    ),
                )
                .with_label("closure not expected here"),
            );
            self.infer_loose(arg);
            return ArgInfo {
                ty: Type::Any,
                literal: None,
            };
        }
        let t = self.infer(&arg.value, false);
        let place = format!("argument `{}` of `{function}`", param.name);
        self.require_handled(&t, &place, arg.value.span);
        let text = self.text(arg.value.span);
        match accepts(&param.ty, &t.ty) {
            Ok(()) => {}
            Err(Mismatch::Null) if null_fails => {}
            Err(Mismatch::Null) => self.emit(
                Diagnostic::new(Code::PossiblyNull, arg.value.span, format!("`{text}` may be null, but {place} needs a value"))
                    .with_label(format!("{} may be null", t.ty))
                    .with_help(format!("give a default with `{text} ?? <default>`, skip with `?? skip(\"...\")`, or assert with `{text}!`")),
            ),
            Err(Mismatch::MinorUnitsToDecimal) => {
                let fix = self.cents_fix(&arg.value);
                self.emit(
                    Diagnostic::new(Code::ArgumentType, arg.value.span, format!("{place} takes a decimal amount, but `{text}` is in minor units"))
                        .with_label("minor units")
                        .with_help(format!("convert with the currency: `{fix}`")),
                )
            }
            Err(Mismatch::Key) => self.key_mismatch(&place, &param.ty, &t.ty, &arg.value),
            Err(Mismatch::Other) => self.emit(
                Diagnostic::new(Code::ArgumentType, arg.value.span, format!("{place} takes {}, found {}", param.ty, t.ty))
                    .with_label(format!("this is {}", t.ty))
                    .with_help(conversion_help(&param.ty, &t.ty)),
            ),
        }
        if param.name == "tz"
            && let ExprKind::String(zone) = &arg.value.kind
        {
            self.check_zone_name(zone, arg.value.span);
        }
        let literal = match &arg.value.kind {
            ExprKind::String(s) => Some(s.clone()),
            _ => None,
        };
        ArgInfo { ty: t.ty, literal }
    }

    fn closure_arg(
        &mut self,
        signature: &Signature,
        param: &Param,
        arg: &Argument,
        before: &[Option<ArgInfo>],
    ) -> (ArgInfo, Option<Reason>) {
        let ExprKind::Closure { params, body } = &arg.value.kind else {
            self.emit(
                Diagnostic::new(
                    Code::NotCallable,
                    arg.value.span,
                    format!("`{}` of `{}` takes a closure", param.name, signature.name),
                )
                .with_label("not a closure")
                .with_help(format!("write a closure such as `|item| item.{}`", "name")),
            );
            self.infer(&arg.value, false);
            return (
                ArgInfo {
                    ty: Type::Any,
                    literal: None,
                },
                None,
            );
        };
        let item = signature.closure_param.map_or(Type::Any, |f| f(before));
        let depth = self.frame.locals.len();
        for p in params {
            self.frame.locals.push((p.name.clone(), item.clone()));
        }
        let t = self.infer(body, false);
        self.frame.locals.truncate(depth);
        (
            ArgInfo {
                ty: t.ty,
                literal: None,
            },
            t.fallible,
        )
    }

    /// `xref(stripe.customers, id)`: the bare dotted name is a collection name, and
    /// `xref(acme.customers.number, id)` one of its keys. The literal kept in the
    /// argument's info is the name as written; [`xref_key`] reads the key back from it.
    fn xref_collection(&mut self, value: &Expr) -> ArgInfo {
        let name = value.dotted_name().unwrap_or_default();
        if !self.xref_reads.contains(&name) {
            self.xref_reads.push(name.clone());
        }
        let schemas = self.env.schemas;
        let known =
            |name: &str| schemas.sinks.contains_key(name) || schemas.sources.contains_key(name);
        let ty = if known(&name) {
            Type::String
        } else if let Some((collection, key)) = name.rsplit_once('.')
            && schemas.sinks.contains_key(collection)
        {
            let keys = schemas.keys(collection);
            if !keys.iter().any(|k| k.name == key) {
                let names: Vec<String> = keys.iter().map(|k| format!("`{}`", k.name)).collect();
                self.emit(
                    Diagnostic::new(
                        Code::UnknownRecordKey,
                        value.span,
                        format!("`{collection}` records have no key `{key}`"),
                    )
                    .with_label("unknown key")
                    .with_help(format!(
                        "the store keeps {} of `{collection}`",
                        names.join(" and ")
                    )),
                );
            }
            Type::String
        } else {
            let candidates = schemas
                .sinks
                .keys()
                .chain(schemas.sources.keys())
                .map(String::as_str);
            let mut diagnostic = Diagnostic::new(
                Code::UnknownCrossReference,
                value.span,
                format!("`{name}` is not a known sink or source collection"),
            )
            .with_label("unknown collection");
            if let Some(help) = suggest::did_you_mean(&name, candidates, str::to_string) {
                diagnostic = diagnostic.with_help(help);
            }
            self.emit(diagnostic);
            Type::String
        };
        ArgInfo {
            ty,
            literal: Some(name),
        }
    }

    /// What `xref(name, id)` gives: the key `name` asks for, typed as that key, or a plain
    /// string for a collection no sink writes.
    fn xref_result(&self, infos: &[Option<ArgInfo>]) -> Type {
        let Some(name) = infos
            .first()
            .and_then(|info| info.as_ref()?.literal.clone())
        else {
            return Type::String;
        };
        let schemas = self.env.schemas;
        if let Some(first) = schemas.keys(&name).first() {
            return Type::key(name.clone(), first.name.clone());
        }
        match name.rsplit_once('.') {
            Some((collection, key)) if schemas.keys(collection).iter().any(|k| k.name == key) => {
                Type::key(collection, key)
            }
            _ => Type::String,
        }
    }

    /// E0402: a time-zone-dependent call on a timestamp with no zone in scope.
    fn time_zone_rule(
        &mut self,
        call: Span,
        signature: &Signature,
        params: &[Param],
        slots: &[Vec<&Argument>],
        infos: &[Option<ArgInfo>],
    ) {
        if !signature.needs_timezone || self.frame.timezone {
            return;
        }
        let tz_given = params
            .iter()
            .zip(slots)
            .any(|(p, s)| p.name == "tz" && !s.is_empty());
        let on_timestamp = infos
            .iter()
            .flatten()
            .any(|info| matches!(info.ty.non_null(), Type::Timestamp));
        if on_timestamp && !tz_given {
            self.emit(
                Diagnostic::new(
                    Code::NoTimezone,
                    call,
                    format!(
                        "`{}` needs a time zone to turn a timestamp into local time",
                        signature.name
                    ),
                )
                .with_label("no time zone in scope")
                .with_help("add `timezone \"Australia/Sydney\"` to the pipeline or pass `tz: ...`"),
            );
        }
    }

    fn user_call(&mut self, expr: &Expr, function: &Ident, args: &[Argument]) -> Typed {
        self.check_function(&function.name);
        let Some(info) = self.functions.get_mut(&function.name) else {
            return Typed::ok(Type::Any);
        };
        info.used = true;
        let params: Vec<Param> = info
            .params
            .iter()
            .map(|(name, ty)| Param {
                name: name.clone(),
                ty: ty.clone(),
                optional: false,
            })
            .collect();
        let returns = info.returns.clone();
        let body_fallible = info.fallible.clone();
        let slots = self.bind(expr.span, &function.name, &params, false, args);
        for (param, slot) in params.iter().zip(&slots) {
            for arg in slot {
                self.value_arg(&function.name, param, arg, false);
            }
        }
        let fallible = body_fallible.map(|reason| Reason {
            span: expr.span,
            label: format!("this call to `{}` can fail", function.name),
            detail: format!(
                "inside `{}`, {}: {}",
                function.name, reason.label, reason.detail
            ),
        });
        Typed {
            ty: returns,
            fallible,
        }
    }

    /// `json("fixture.json")`: test input read from a file next to the pipeline.
    fn json_call(&mut self, expr: &Expr, function: &Ident, args: &[Argument]) -> Typed {
        if !self.frame.in_test {
            self.emit(
                Diagnostic::new(
                    Code::UnknownFunction,
                    function.span,
                    "`json` is only available in test blocks",
                )
                .with_label("not in a test")
                .with_help(
                    "read records from the source; use `json(\"file.json\")` as a test `input`",
                ),
            );
        }
        let params = [Param {
            name: "path".into(),
            ty: Type::String,
            optional: false,
        }];
        let slots = self.bind(expr.span, "json", &params, false, args);
        if let Some(arg) = slots.first().and_then(|s| s.first()) {
            self.value_arg("json", &params[0], arg, false);
            if let ExprKind::String(path) = &arg.value.kind {
                let full = self.frame.base_dir.join(path);
                if !full.is_file() {
                    self.emit(
                        Diagnostic::new(
                            Code::TestFixtureMissing,
                            arg.value.span,
                            format!("cannot read test fixture `{}`", full.display()),
                        )
                        .with_label("no such file")
                        .with_help("paths are relative to the pipeline file"),
                    );
                }
            }
        }
        Typed::ok(Type::Any)
    }

    /// The fix text for minor units used as a decimal: `cents_to_decimal(x, <currency>)`.
    pub(crate) fn cents_fix(&mut self, value: &Expr) -> String {
        let currency = match &value.kind {
            ExprKind::Field { base, .. } => {
                self.quiet += 1;
                let base_ty = self.infer(base, false).ty;
                self.quiet -= 1;
                let has_currency = matches!(base_ty.non_null(), Type::Object(o) if o.fields.contains_key("currency"));
                if has_currency {
                    match base.kind {
                        ExprKind::Record => Some(".currency".to_string()),
                        _ => Some(format!("{}.currency", self.text(base.span))),
                    }
                } else {
                    None
                }
            }
            _ => None,
        };
        let currency = currency.unwrap_or_else(|| match &self.frame.record {
            Type::Object(o) if o.fields.contains_key("currency") => ".currency".to_string(),
            _ => "\"aud\"".to_string(),
        });
        format!("cents_to_decimal({}, {currency})", self.text(value.span))
    }
}

fn conversion_help(expected: &Type, actual: &Type) -> String {
    match (expected.non_null(), actual.non_null()) {
        (Type::String, _) => "convert with `string(...)`".to_string(),
        (Type::Int, Type::String) => {
            "parse with `int(...)` (it can fail: add `?? <default>`)".to_string()
        }
        (Type::Decimal, Type::String) => {
            "parse with `decimal(...)` (it can fail: add `?? <default>`)".to_string()
        }
        (Type::Date, Type::Timestamp) => {
            "turn the timestamp into a date with `to_date(...)`".to_string()
        }
        (Type::Timestamp, Type::Int) => {
            "unix seconds become a timestamp with `from_unix(...)`".to_string()
        }
        _ => format!("pass {expected}"),
    }
}

/// Used when the standard library has no `xref` (tests with a small function table).
fn xref_signature() -> Signature {
    Signature {
        name: "xref",
        params: vec![
            ParamSig {
                name: "collection",
                ty: Type::String,
                default: None,
            },
            ParamSig {
                name: "id",
                ty: Type::Union(vec![Type::String, Type::Int]),
                default: None,
            },
        ],
        returns: |_| Type::String,
        closure_param: None,
        fallibility: Fallibility::Fallible(
            "when the record has not been synced to that collection yet",
        ),
        variadic: false,
        needs_timezone: false,
    }
}
