//! Operators on values: field and index reads, exact arithmetic, comparisons, text rendering.

use std::cmp::Ordering;
use std::fmt::Write as _;

use rust_decimal::Decimal;

use crate::diagnostics::{Code, Span};
use crate::syntax::ast::BinaryOp;

use super::Value;
use super::outcome::{Eval, Fault};

fn wrong(span: Span, message: String) -> Fault {
    Fault::failed(Code::RuntimeType, span, message)
}

/// `base.name` / `base?.name`.
pub(crate) fn field(base: &Value, name: &str, optional: bool, span: Span) -> Eval {
    match base {
        Value::Object(map) => Ok(map.get(name).cloned().unwrap_or(Value::Missing)),
        Value::Null | Value::Missing | Value::Omit if optional => Ok(Value::Null),
        Value::Missing => Err(Fault::failed(
            Code::MissingFieldAtRuntime,
            span,
            format!("cannot read `{name}`: the value it belongs to is missing from the record"),
        )),
        Value::Null | Value::Omit => Err(Fault::failed(
            Code::MissingFieldAtRuntime,
            span,
            format!("cannot read `{name}` of null (use `?.{name}`, or `??` for a default)"),
        )),
        other => Err(wrong(
            span,
            format!("cannot read field `{name}` of {}", other.kind()),
        )),
    }
}

/// `base[index]` / `base?.[index]`: a list item (null when out of range) or an object field.
pub(crate) fn index(base: &Value, index: &Value, optional: bool, span: Span) -> Eval {
    match (base, index) {
        (Value::List(items), Value::Int(i)) => Ok(usize::try_from(*i)
            .ok()
            .and_then(|i| items.get(i))
            .cloned()
            .unwrap_or(Value::Null)),
        (Value::Object(map), Value::String(key)) => {
            Ok(map.get(&**key).cloned().unwrap_or(Value::Missing))
        }
        (Value::Null | Value::Missing | Value::Omit, _) if optional => Ok(Value::Null),
        (Value::Null | Value::Missing | Value::Omit, _) => Err(Fault::failed(
            Code::MissingFieldAtRuntime,
            span,
            format!(
                "cannot index into {} (use `?.[...]`, or `??` for a default)",
                base.kind()
            ),
        )),
        (base, index) => Err(wrong(
            span,
            format!("cannot index {} with {}", base.kind(), index.kind()),
        )),
    }
}

/// The text form of a value, as `string()` gives it; `None` for null, missing and omit.
pub(crate) fn text_form(value: &Value) -> Option<String> {
    let mut text = String::new();
    write_text(value, &mut text).then_some(text)
}

fn write_text(value: &Value, out: &mut String) -> bool {
    match value {
        Value::Null | Value::Missing | Value::Omit => return false,
        Value::String(s) => out.push_str(s),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Decimal(d) => {
            let _ = write!(out, "{d}");
        }
        Value::Timestamp(t) => {
            let _ = write!(out, "{t}");
        }
        Value::Date(d) => {
            let _ = write!(out, "{d}");
        }
        Value::Duration(d) => {
            let _ = write!(out, "{d}");
        }
        Value::List(_) | Value::Object(_) => {
            let mut bytes = Vec::new();
            super::json::write_record(value, &mut bytes);
            out.push_str(&String::from_utf8_lossy(&bytes));
        }
    }
    true
}

/// One `${...}` of a template.
pub(crate) fn render(value: &Value, out: &mut String, span: Span) -> Result<(), Fault> {
    if write_text(value, out) {
        return Ok(());
    }
    let code = if matches!(value, Value::Missing) {
        Code::MissingFieldAtRuntime
    } else {
        Code::RuntimeType
    };
    Err(Fault::failed(
        code,
        span,
        format!(
            "a template cannot show {}: give a default with `??`",
            value.kind()
        ),
    ))
}

/// A condition: `true` or `false`, nothing else.
pub(crate) fn truth(value: &Value, span: Span, place: &str) -> Result<bool, Fault> {
    match value {
        Value::Bool(b) => Ok(*b),
        Value::Missing => Err(Fault::failed(
            Code::MissingFieldAtRuntime,
            span,
            format!("{place} needs a bool, but the value is missing from the record"),
        )),
        other => Err(wrong(
            span,
            format!("{place} needs a bool, found {}", other.kind()),
        )),
    }
}

pub(crate) fn negate(value: &Value, span: Span) -> Eval {
    match value {
        Value::Int(i) => i
            .checked_neg()
            .map(Value::Int)
            .ok_or_else(|| overflow(span, "-")),
        Value::Decimal(d) => Ok(Value::Decimal(-*d)),
        Value::Duration(d) => d
            .checked_neg()
            .map(Value::Duration)
            .ok_or_else(|| overflow(span, "-")),
        other => Err(operand(other, span, "prefix `-`")),
    }
}

fn overflow(span: Span, symbol: &str) -> Fault {
    Fault::failed(
        Code::ArithmeticError,
        span,
        format!("`{symbol}` overflowed: the result is too large"),
    )
}

fn operand(value: &Value, span: Span, place: &str) -> Fault {
    match value {
        Value::Missing => Fault::failed(
            Code::MissingFieldAtRuntime,
            span,
            format!("{place}: a value is missing from the record"),
        ),
        other => wrong(
            span,
            format!("{place} cannot be applied to {}", other.kind()),
        ),
    }
}

pub(crate) fn binary(op: BinaryOp, left: &Value, right: &Value, span: Span) -> Eval {
    match op {
        BinaryOp::Eq => Ok(Value::Bool(equal(left, right))),
        BinaryOp::Ne => Ok(Value::Bool(!equal(left, right))),
        BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
            let ordering = compare(left, right).ok_or_else(|| {
                let culprit = if matches!(left, Value::Missing) {
                    left
                } else {
                    right
                };
                match culprit {
                    Value::Missing => operand(culprit, span, &format!("`{}`", op.symbol())),
                    _ => wrong(
                        span,
                        format!(
                            "{} and {} cannot be compared with `{}`",
                            left.kind(),
                            right.kind(),
                            op.symbol()
                        ),
                    ),
                }
            })?;
            Ok(Value::Bool(match op {
                BinaryOp::Lt => ordering == Ordering::Less,
                BinaryOp::Le => ordering != Ordering::Greater,
                BinaryOp::Gt => ordering == Ordering::Greater,
                _ => ordering != Ordering::Less,
            }))
        }
        _ => arithmetic(op, left, right, span),
    }
}

fn decimal(value: &Value) -> Option<Decimal> {
    match value {
        Value::Int(i) => Some(Decimal::from(*i)),
        Value::Decimal(d) => Some(*d),
        _ => None,
    }
}

fn arithmetic(op: BinaryOp, left: &Value, right: &Value, span: Span) -> Eval {
    use Value::*;
    let symbol = op.symbol();
    let too_big = || overflow(span, symbol);
    let by_zero = || Fault::failed(Code::ArithmeticError, span, format!("`{symbol}` by zero"));
    let result = match (op, left, right) {
        (BinaryOp::Add, String(a), String(b)) => {
            let mut text = std::string::String::with_capacity(a.len() + b.len());
            text.push_str(a);
            text.push_str(b);
            Value::string(text)
        }
        (BinaryOp::Div | BinaryOp::Rem, Int(_) | Decimal(_), Int(0)) => return Err(by_zero()),
        (BinaryOp::Div, Int(a), Int(b)) => {
            let (a, b) = (
                rust_decimal::Decimal::from(*a),
                rust_decimal::Decimal::from(*b),
            );
            Value::Decimal(a.checked_div(b).ok_or_else(too_big)?.normalize())
        }
        (_, Int(a), Int(b)) => Int(match op {
            BinaryOp::Add => a.checked_add(*b),
            BinaryOp::Sub => a.checked_sub(*b),
            BinaryOp::Mul => a.checked_mul(*b),
            _ => a.checked_rem(*b),
        }
        .ok_or_else(too_big)?),
        (_, Int(_) | Decimal(_), Int(_) | Decimal(_)) => {
            let (Some(a), Some(b)) = (decimal(left), decimal(right)) else {
                return Err(wrong(span, format!("`{symbol}` needs numbers")));
            };
            if b.is_zero() && matches!(op, BinaryOp::Div | BinaryOp::Rem) {
                return Err(by_zero());
            }
            Value::Decimal(
                match op {
                    BinaryOp::Add => a.checked_add(b),
                    BinaryOp::Sub => a.checked_sub(b),
                    BinaryOp::Mul => a.checked_mul(b),
                    BinaryOp::Div => a.checked_div(b),
                    _ => a.checked_rem(b),
                }
                .ok_or_else(too_big)?,
            )
        }
        (BinaryOp::Add, Timestamp(t), Duration(d)) | (BinaryOp::Add, Duration(d), Timestamp(t)) => {
            Timestamp(t.checked_add(*d).map_err(|_| too_big())?)
        }
        (BinaryOp::Sub, Timestamp(t), Duration(d)) => {
            Timestamp(t.checked_sub(*d).map_err(|_| too_big())?)
        }
        (BinaryOp::Sub, Timestamp(a), Timestamp(b)) => Duration(a.duration_since(*b)),
        (BinaryOp::Add, Date(t), Duration(d)) => Date(t.checked_add(*d).map_err(|_| too_big())?),
        (BinaryOp::Sub, Date(t), Duration(d)) => Date(t.checked_sub(*d).map_err(|_| too_big())?),
        (BinaryOp::Add, Duration(a), Duration(b)) => {
            Duration(a.checked_add(*b).ok_or_else(too_big)?)
        }
        (BinaryOp::Sub, Duration(a), Duration(b)) => {
            Duration(a.checked_sub(*b).ok_or_else(too_big)?)
        }
        (BinaryOp::Mul, Duration(d), Int(n)) | (BinaryOp::Mul, Int(n), Duration(d)) => {
            let n = i32::try_from(*n).map_err(|_| too_big())?;
            Duration(d.checked_mul(n).ok_or_else(too_big)?)
        }
        _ => {
            let culprit = if matches!(left, Missing) { left } else { right };
            if matches!(culprit, Missing) {
                return Err(operand(culprit, span, &format!("`{symbol}`")));
            }
            return Err(wrong(
                span,
                format!(
                    "`{symbol}` cannot be applied to {} and {}",
                    left.kind(),
                    right.kind()
                ),
            ));
        }
    };
    Ok(result)
}

/// Equality: ints and decimals compare numerically, null and missing are equal, lists and
/// objects compare item by item (omitted object fields do not count).
pub(crate) fn equal(left: &Value, right: &Value) -> bool {
    use Value::*;
    match (left, right) {
        (Null | Missing | Omit, Null | Missing | Omit) => true,
        (Int(a), Int(b)) => a == b,
        (Int(_) | Decimal(_), Int(_) | Decimal(_)) => decimal(left) == decimal(right),
        (String(a), String(b)) => a == b,
        (Bool(a), Bool(b)) => a == b,
        (Timestamp(a), Timestamp(b)) => a == b,
        (Date(a), Date(b)) => a == b,
        (Duration(a), Duration(b)) => a == b,
        (List(a), List(b)) => {
            a.len() == b.len() && a.iter().zip(b.iter()).all(|(x, y)| equal(x, y))
        }
        (Object(a), Object(b)) => {
            let present = |m: &super::Map| m.values().filter(|v| !matches!(v, Omit)).count();
            present(a) == present(b)
                && a.iter()
                    .filter(|(_, v)| !matches!(v, Omit))
                    .all(|(k, v)| b.get(k).is_some_and(|w| equal(v, w)))
        }
        _ => false,
    }
}

/// Ordering for `<`, `<=`, `>`, `>=`; `None` when the values cannot be ordered.
pub(crate) fn compare(left: &Value, right: &Value) -> Option<Ordering> {
    use Value::*;
    match (left, right) {
        (Int(a), Int(b)) => Some(a.cmp(b)),
        (Int(_) | Decimal(_), Int(_) | Decimal(_)) => Some(decimal(left)?.cmp(&decimal(right)?)),
        (String(a), String(b)) => Some(a.cmp(b)),
        (Timestamp(a), Timestamp(b)) => Some(a.cmp(b)),
        (Date(a), Date(b)) => Some(a.cmp(b)),
        (Duration(a), Duration(b)) => Some(a.cmp(b)),
        _ => None,
    }
}
