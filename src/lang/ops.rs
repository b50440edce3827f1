//! Arithmetic and comparison: exact decimals, checked integers, no floats.

use std::cmp::Ordering;

use rust_decimal::Decimal;

use super::outcome::{Eval, fail};
use crate::diagnostics::{Code, Span};
use crate::syntax::ast::BinaryOp;
use crate::value::Value;

pub(crate) fn binary(op: BinaryOp, left: &Value, right: &Value, span: Span) -> Eval {
    use BinaryOp::*;
    match op {
        Eq => Ok(Value::Bool(equal(left, right))),
        Ne => Ok(Value::Bool(!equal(left, right))),
        Lt | Le | Gt | Ge => {
            let ordering = compare(left, right).ok_or_else(|| {
                fail(
                    Code::RuntimeType,
                    span,
                    format!("cannot compare {} with {}", left.kind(), right.kind()),
                )
            })?;
            Ok(Value::Bool(match op {
                Lt => ordering == Ordering::Less,
                Le => ordering != Ordering::Greater,
                Gt => ordering == Ordering::Greater,
                _ => ordering != Ordering::Less,
            }))
        }
        Add | Sub | Mul | Div | Rem => arithmetic(op, left, right, span),
        And | Or | Coalesce => Err(fail(
            Code::RuntimeType,
            span,
            "internal: short-circuit operator",
        )),
    }
}

fn arithmetic(op: BinaryOp, left: &Value, right: &Value, span: Span) -> Eval {
    use BinaryOp::*;
    let overflow = || {
        fail(
            Code::ArithmeticError,
            span,
            format!("`{}` overflowed", op.symbol()),
        )
    };
    match (left, right) {
        (Value::Int(a), Value::Int(b)) => {
            let result = match op {
                Add => a.checked_add(*b),
                Sub => a.checked_sub(*b),
                Mul => a.checked_mul(*b),
                Rem if *b == 0 => {
                    return Err(fail(
                        Code::ArithmeticError,
                        span,
                        "remainder of a division by zero",
                    ));
                }
                Rem => a.checked_rem(*b),
                _ => return decimal_op(op, Decimal::from(*a), Decimal::from(*b), span),
            };
            result.map(Value::Int).ok_or_else(overflow)
        }
        (Value::String(a), Value::String(b)) if op == Add => {
            let mut text = String::with_capacity(a.len() + b.len());
            text.push_str(a);
            text.push_str(b);
            Ok(Value::string(text))
        }
        (Value::Timestamp(t), Value::Duration(d)) if matches!(op, Add | Sub) => {
            let d = if op == Sub { -*d } else { *d };
            t.checked_add(d)
                .map(Value::Timestamp)
                .map_err(|_| overflow())
        }
        _ => match (number(left), number(right)) {
            (Some(a), Some(b)) => decimal_op(op, a, b, span),
            _ => Err(fail(
                Code::RuntimeType,
                span,
                format!(
                    "cannot apply `{}` to {} and {}",
                    op.symbol(),
                    left.kind(),
                    right.kind()
                ),
            )),
        },
    }
}

fn decimal_op(op: BinaryOp, a: Decimal, b: Decimal, span: Span) -> Eval {
    use BinaryOp::*;
    if matches!(op, Div | Rem) && b.is_zero() {
        return Err(fail(Code::ArithmeticError, span, "division by zero"));
    }
    let result = match op {
        Add => a.checked_add(b),
        Sub => a.checked_sub(b),
        Mul => a.checked_mul(b),
        Div => a.checked_div(b).map(|d| d.normalize()),
        _ => a.checked_rem(b),
    };
    result.map(Value::Decimal).ok_or_else(|| {
        fail(
            Code::ArithmeticError,
            span,
            format!("`{}` overflowed an exact decimal", op.symbol()),
        )
    })
}

fn number(value: &Value) -> Option<Decimal> {
    match value {
        Value::Int(i) => Some(Decimal::from(*i)),
        Value::Decimal(d) => Some(*d),
        _ => None,
    }
}

pub(crate) fn negate(value: &Value, span: Span) -> Eval {
    match value {
        Value::Int(i) => i
            .checked_neg()
            .map(Value::Int)
            .ok_or_else(|| fail(Code::ArithmeticError, span, "negation overflowed")),
        Value::Decimal(d) => Ok(Value::Decimal(-*d)),
        Value::Duration(d) => Ok(Value::Duration(-*d)),
        other => Err(fail(
            Code::RuntimeType,
            span,
            format!("cannot negate {}", other.kind()),
        )),
    }
}

/// Equality with numbers compared by value (1 == 1.00) and missing equal to null.
pub(crate) fn equal(left: &Value, right: &Value) -> bool {
    match (left, right) {
        (Value::Null | Value::Missing, Value::Null | Value::Missing) => true,
        (Value::Int(_) | Value::Decimal(_), Value::Int(_) | Value::Decimal(_)) => {
            number(left) == number(right)
        }
        (Value::List(a), Value::List(b)) => {
            a.len() == b.len() && a.iter().zip(b.iter()).all(|(x, y)| equal(x, y))
        }
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len() && a.iter().all(|(k, v)| b.get(k).is_some_and(|w| equal(v, w)))
        }
        _ => left == right,
    }
}

pub(crate) fn compare(left: &Value, right: &Value) -> Option<Ordering> {
    match (left, right) {
        (Value::String(a), Value::String(b)) => Some(a.cmp(b)),
        (Value::Timestamp(a), Value::Timestamp(b)) => Some(a.cmp(b)),
        (Value::Date(a), Value::Date(b)) => Some(a.cmp(b)),
        // A source's date or time field arrives as JSON text; the checker typed it as a date or
        // a timestamp, so it compares as one (text that is not one does not compare).
        (Value::Date(a), Value::String(b)) => Some(a.cmp(&b.parse().ok()?)),
        (Value::String(a), Value::Date(b)) => Some(a.parse::<jiff::civil::Date>().ok()?.cmp(b)),
        (Value::Timestamp(a), Value::String(b)) => Some(a.cmp(&b.parse().ok()?)),
        (Value::String(a), Value::Timestamp(b)) => Some(a.parse::<jiff::Timestamp>().ok()?.cmp(b)),
        (Value::Duration(a), Value::Duration(b)) => Some(a.cmp(b)),
        (Value::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
        _ => Some(number(left)?.cmp(&number(right)?)),
    }
}

pub(crate) fn index(base: &Value, index: &Value, optional: bool, span: Span) -> Eval {
    match (base, index) {
        (Value::List(items), Value::Int(i)) => {
            let position = if *i < 0 { items.len() as i64 + i } else { *i };
            Ok(usize::try_from(position)
                .ok()
                .and_then(|p| items.get(p))
                .cloned()
                .unwrap_or(Value::Null))
        }
        (Value::Object(map), Value::String(key)) => {
            Ok(map.get(&**key).cloned().unwrap_or(Value::Missing))
        }
        (Value::Null | Value::Missing, _) if optional => Ok(Value::Null),
        (Value::Null | Value::Missing, _) => Err(fail(
            Code::MissingFieldAtRuntime,
            span,
            format!("cannot index a {} value", base.kind()),
        )),
        _ => Err(fail(
            Code::RuntimeType,
            span,
            format!("cannot index {} with {}", base.kind(), index.kind()),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_timestamps_compare_with_the_text_a_source_sends_them_as() {
        let date = Value::Date("2025-11-25".parse().unwrap());
        let text = |t: &str| Value::String(t.into());
        assert_eq!(compare(&date, &text("2025-06-01")), Some(Ordering::Greater));
        assert_eq!(compare(&text("2030-01-01"), &date), Some(Ordering::Greater));
        assert_eq!(compare(&date, &text("not a date")), None);
        let at = Value::Timestamp("2025-11-25T00:00:00Z".parse().unwrap());
        assert_eq!(
            compare(&at, &text("2025-11-25T00:00:00Z")),
            Some(Ordering::Equal)
        );
    }
}
