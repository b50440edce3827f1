//! Operators and `match`: arithmetic keeps minor units apart, comparisons need like types.

use super::scope::{Checker, Typed};
use super::types::Type;
use super::typing::{join, nullish, strip_nothing};
use crate::diagnostics::{Code, Diagnostic};
use crate::syntax::ast::{BinaryOp, Expr, ExprKind, MatchArm, UnaryOp};

/// A rejected operator use: code, message, help.
type Rejection = (Code, String, Option<String>);

impl<'a> Checker<'a> {
    pub(crate) fn unary(&mut self, op: UnaryOp, operand: &Expr) -> Typed {
        let t = self.infer(operand, false);
        let ty = self.operand(operand, &t.ty);
        let ok = match op {
            UnaryOp::Neg => matches!(
                ty,
                Type::Int
                    | Type::Decimal
                    | Type::MinorUnits
                    | Type::Duration
                    | Type::Any
                    | Type::Never
            ),
            UnaryOp::Not => matches!(ty, Type::Bool | Type::Any | Type::Never),
        };
        if !ok {
            let symbol = if op == UnaryOp::Neg { "-" } else { "!" };
            self.emit(
                Diagnostic::new(
                    Code::TypeMismatch,
                    operand.span,
                    format!("prefix `{symbol}` cannot be applied to {ty}"),
                )
                .with_label(format!("this is {ty}")),
            );
        }
        let result = match op {
            UnaryOp::Neg if ok => ty,
            UnaryOp::Neg => Type::Any,
            UnaryOp::Not => Type::Bool,
        };
        Typed {
            ty: result,
            fallible: t.fallible,
        }
    }

    /// An operand must not be null: E0401, then carry on with the non-null type.
    fn operand(&mut self, expr: &Expr, ty: &Type) -> Type {
        if matches!(ty, Type::Optional(_) | Type::Null) {
            let text = self.text(expr.span);
            self.emit(
                Diagnostic::new(
                    Code::PossiblyNull,
                    expr.span,
                    format!("`{text}` may be null"),
                )
                .with_label("may be null")
                .with_help(format!("give a default first: `({text} ?? <default>)`")),
            );
            return strip_nothing(ty);
        }
        if *ty == Type::Omit {
            return Type::Any;
        }
        ty.clone()
    }

    pub(crate) fn binary(
        &mut self,
        expr: &Expr,
        op: BinaryOp,
        lhs: &Expr,
        rhs: &Expr,
        omit_ok: bool,
    ) -> Typed {
        if op == BinaryOp::Coalesce {
            let l = self.infer(lhs, false);
            let r = self.infer(rhs, omit_ok);
            if l.fallible.is_none() && !nullish(&l.ty) {
                self.emit(
                    Diagnostic::new(
                        Code::NeedlessCoalesce,
                        lhs.span,
                        format!("`{}` is never null, missing or failed", self.text(lhs.span)),
                    )
                    .with_label(format!("always {}", l.ty))
                    .with_help(format!("remove `?? {}`", self.text(rhs.span))),
                );
            }
            let ty = join(strip_nothing(&l.ty), r.ty);
            return Typed {
                ty,
                fallible: r.fallible,
            };
        }
        let l = self.infer(lhs, false);
        let r = self.infer(rhs, false);
        let fallible = l.fallible.clone().or(r.fallible.clone());
        let comparison = matches!(op, BinaryOp::Eq | BinaryOp::Ne);
        // `x == null` is how a pipeline asks whether something is there.
        let (lt, rt) = if comparison {
            (strip_nothing(&l.ty), strip_nothing(&r.ty))
        } else {
            (self.operand(lhs, &l.ty), self.operand(rhs, &r.ty))
        };
        // Keys compare and combine as the strings they are.
        let (lt, rt) = (lt.plain(), rt.plain());
        let result = match op {
            BinaryOp::And | BinaryOp::Or => {
                for (side, ty) in [(lhs, &lt), (rhs, &rt)] {
                    if !matches!(ty, Type::Bool | Type::Any | Type::Never) {
                        self.emit(
                            Diagnostic::new(
                                Code::TypeMismatch,
                                side.span,
                                format!("`{}` needs bools on both sides, found {ty}", op.symbol()),
                            )
                            .with_label(format!("this is {ty}")),
                        );
                    }
                }
                Ok(Type::Bool)
            }
            BinaryOp::Eq | BinaryOp::Ne => comparable(&lt, &rt, false).map(|_| Type::Bool),
            BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
                comparable(&lt, &rt, true).map(|_| Type::Bool)
            }
            _ => arithmetic(op, &lt, &rt),
        };
        let ty = match result {
            Ok(ty) => ty,
            Err((code, message, help)) => {
                let mut diagnostic = Diagnostic::new(code, expr.span, message)
                    .with_label(format!("{lt} {} {rt}", op.symbol()));
                if let Some(help) = help {
                    diagnostic = diagnostic.with_help(help);
                }
                self.emit(diagnostic);
                if matches!(
                    op,
                    BinaryOp::Eq
                        | BinaryOp::Ne
                        | BinaryOp::Lt
                        | BinaryOp::Le
                        | BinaryOp::Gt
                        | BinaryOp::Ge
                ) {
                    Type::Bool
                } else {
                    Type::Any
                }
            }
        };
        Typed { ty, fallible }
    }

    pub(crate) fn match_expr(
        &mut self,
        expr: &Expr,
        subject: &Expr,
        arms: &[MatchArm],
        omit_ok: bool,
    ) -> Typed {
        let s = self.infer(subject, false);
        let subject_ty = strip_nothing(&s.ty);
        let mut result = Type::Never;
        let mut fallible = s.fallible.clone();
        let mut seen: Vec<(String, crate::diagnostics::Span)> = Vec::new();
        let mut wildcard: Option<crate::diagnostics::Span> = None;
        for arm in arms {
            if let Some(first) = wildcard {
                self.emit(
                    Diagnostic::new(
                        Code::UnreachableArm,
                        arm.span,
                        "this arm can never be chosen",
                    )
                    .with_label("unreachable")
                    .with_secondary(first, "`_` above matches everything")
                    .with_help("move `_` to the end, or remove this arm"),
                );
            }
            for pattern in &arm.patterns {
                let Some(key) = literal_key(pattern) else {
                    self.emit(
                        Diagnostic::new(
                            Code::TypeMismatch,
                            pattern.span,
                            "a match pattern must be a literal",
                        )
                        .with_label("not a literal")
                        .with_help("use `if` for conditions that are not literal values"),
                    );
                    continue;
                };
                let p = self.infer(pattern, false);
                if let Err((code, message, help)) =
                    comparable(&subject_ty.plain(), &strip_nothing(&p.ty).plain(), false)
                {
                    let mut diagnostic = Diagnostic::new(code, pattern.span, message)
                        .with_label(format!("{} pattern", p.ty))
                        .with_secondary(subject.span, format!("the subject is {}", s.ty));
                    if let Some(help) = help {
                        diagnostic = diagnostic.with_help(help);
                    }
                    self.emit(diagnostic);
                }
                if let Some((_, first)) = seen.iter().find(|(k, _)| *k == key) {
                    let first = *first;
                    self.emit(
                        Diagnostic::new(
                            Code::UnreachableArm,
                            pattern.span,
                            format!("pattern `{}` appears twice", self.text(pattern.span)),
                        )
                        .with_label("never chosen")
                        .with_secondary(first, "this earlier pattern matches first")
                        .with_help("remove the repeated pattern"),
                    );
                } else {
                    seen.push((key, pattern.span));
                }
            }
            if arm.is_wildcard() && wildcard.is_none() {
                wildcard = Some(arm.span);
            }
            let body = self.infer(&arm.body, omit_ok);
            fallible = fallible.or(body.fallible);
            result = join(result, body.ty);
        }
        let covers_bools = subject_ty == Type::Bool
            && !nullish(&s.ty)
            && seen.iter().any(|(k, _)| k == "true")
            && seen.iter().any(|(k, _)| k == "false");
        if wildcard.is_none() && !covers_bools {
            self.emit(
                Diagnostic::new(
                    Code::NonExhaustiveMatch,
                    expr.span,
                    "this `match` has no `_` arm for the values its arms do not list",
                )
                .with_label("not every value is covered")
                .with_help("add a last arm `_ => ...` (it may be `fail(\"...\")`)"),
            );
        }
        Typed {
            ty: result,
            fallible,
        }
    }
}

fn literal_key(pattern: &Expr) -> Option<String> {
    Some(match &pattern.kind {
        ExprKind::Null => "null".into(),
        ExprKind::Bool(b) => b.to_string(),
        ExprKind::Int(i) => format!("n:{}", rust_decimal::Decimal::from(*i).normalize()),
        ExprKind::Decimal(d) => format!("n:{}", d.normalize()),
        ExprKind::String(s) => format!("s:{s}"),
        ExprKind::Duration(d) => format!("d:{}", d.seconds()),
        ExprKind::Unary {
            op: UnaryOp::Neg,
            operand,
        } => match &operand.kind {
            ExprKind::Int(i) => format!("n:-{}", rust_decimal::Decimal::from(*i).normalize()),
            ExprKind::Decimal(d) => format!("n:-{}", d.normalize()),
            _ => return None,
        },
        _ => return None,
    })
}

fn numeric(ty: &Type) -> bool {
    matches!(ty, Type::Int | Type::Decimal | Type::MinorUnits)
}

fn cents_help() -> Option<String> {
    Some("convert the minor units first: `cents_to_decimal(amount, currency)`".to_string())
}

/// Can `l` and `r` be compared (`ordered`: with `<` and friends)?
fn comparable(l: &Type, r: &Type, ordered: bool) -> Result<(), Rejection> {
    let ok = match (l, r) {
        (Type::Any | Type::Never, _) | (_, Type::Any | Type::Never) => true,
        (Type::Union(_), _) | (_, Type::Union(_)) => true,
        (Type::MinorUnits, Type::Decimal) | (Type::Decimal, Type::MinorUnits) => {
            return Err((
                Code::MixedMoneyUnits,
                "minor units compared with a decimal amount".to_string(),
                cents_help(),
            ));
        }
        (a, b) if numeric(a) && numeric(b) => true,
        (Type::String | Type::Timestamp | Type::Date | Type::Duration, _) => l == r,
        (Type::Bool | Type::Null, _) if !ordered => l == r,
        (Type::List(_), Type::List(_)) | (Type::Object(_), Type::Object(_)) if !ordered => true,
        _ => false,
    };
    if ok {
        return Ok(());
    }
    let help = match (l, r) {
        (Type::String, b) if numeric(b) => {
            Some("compare like with like: convert with `int(...)` or `string(...)`".to_string())
        }
        (a, Type::String) if numeric(a) => {
            Some("compare like with like: convert with `int(...)` or `string(...)`".to_string())
        }
        _ => None,
    };
    Err((
        Code::IncomparableTypes,
        format!("{l} and {r} cannot be compared"),
        help,
    ))
}

fn arithmetic(op: BinaryOp, l: &Type, r: &Type) -> Result<Type, Rejection> {
    use Type::*;
    let symbol = op.symbol();
    let additive = matches!(op, BinaryOp::Add | BinaryOp::Sub);
    let ty = match (l, r) {
        (Never, _) | (_, Never) => Never,
        (Any, _) | (_, Any) => Any,
        (MinorUnits, Decimal) | (Decimal, MinorUnits) => {
            return Err((
                Code::MixedMoneyUnits,
                format!("`{symbol}` mixes minor units with a decimal amount"),
                cents_help(),
            ));
        }
        (MinorUnits, _) | (_, MinorUnits) if op == BinaryOp::Div => {
            return Err((
                Code::MixedMoneyUnits,
                "dividing minor units loses the currency's scale".to_string(),
                cents_help(),
            ));
        }
        (MinorUnits, MinorUnits) if additive => MinorUnits,
        (MinorUnits, Int) | (Int, MinorUnits) if op != BinaryOp::Rem || *l == MinorUnits => {
            MinorUnits
        }
        (String, String) if op == BinaryOp::Add => String,
        (Int, Int) if op == BinaryOp::Div => Decimal,
        (Int, Int) => Int,
        (Int | Decimal, Int | Decimal) => Decimal,
        (Timestamp, Duration) if additive => Timestamp,
        (Duration, Timestamp) if op == BinaryOp::Add => Timestamp,
        (Timestamp, Timestamp) if op == BinaryOp::Sub => Duration,
        (Date, Duration) if additive => Date,
        (Duration, Duration) if additive => Duration,
        (Duration, Int) | (Int, Duration) if op == BinaryOp::Mul => Duration,
        _ => {
            let help = match (l, r) {
                (String, _) | (_, String) if op == BinaryOp::Add => Some(
                    "convert first: `string(...)`, or use a template `\"${a}${b}\"`".to_string(),
                ),
                _ => None,
            };
            return Err((
                Code::TypeMismatch,
                format!("`{symbol}` cannot be applied to {l} and {r}"),
                help,
            ));
        }
    };
    Ok(ty)
}
