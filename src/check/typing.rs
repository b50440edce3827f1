//! Type relations: what a place accepts, how branches join, and written types.

use crate::check::types::Type;
use crate::syntax::ast::{TypeExpr, TypeExprKind};

/// Why a value does not fit a place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mismatch {
    /// The value may be null and the place needs a value (E0401).
    Null,
    /// Minor units where a decimal amount is expected (E0302 / E0303).
    MinorUnitsToDecimal,
    /// One kind of key where another belongs (E0516): a customer's `id` for its `number`.
    Key,
    /// Any other mismatch.
    Other,
}

/// May the value be null, missing or omitted (so `??` has something to replace)?
pub(crate) fn nullish(ty: &Type) -> bool {
    match ty {
        Type::Optional(_) | Type::Null | Type::Any | Type::Omit => true,
        Type::Union(members) => members.iter().any(nullish),
        _ => false,
    }
}

fn allows_null(ty: &Type) -> bool {
    match ty {
        Type::Optional(_) | Type::Null | Type::Any => true,
        Type::Union(members) => members.iter().any(allows_null),
        _ => false,
    }
}

/// Does a place of type `expected` accept a value of type `actual`?
pub(crate) fn accepts(expected: &Type, actual: &Type) -> Result<(), Mismatch> {
    match (expected, actual) {
        (Type::Any, _) | (_, Type::Any) | (_, Type::Never) => Ok(()),
        (_, Type::Union(members)) => members.iter().try_for_each(|m| accepts(expected, m)),
        (_, Type::Null) if allows_null(expected) => Ok(()),
        (_, Type::Null) => Err(Mismatch::Null),
        (_, Type::Optional(inner)) => {
            accepts(expected, inner)?;
            if allows_null(expected) {
                Ok(())
            } else {
                Err(Mismatch::Null)
            }
        }
        (Type::Optional(inner), _) => accepts(inner, actual),
        (Type::Union(members), _) => {
            let results: Vec<_> = members.iter().map(|m| accepts(m, actual)).collect();
            if results.iter().any(Result::is_ok) {
                Ok(())
            } else if results.contains(&Err(Mismatch::MinorUnitsToDecimal)) {
                Err(Mismatch::MinorUnitsToDecimal)
            } else {
                Err(Mismatch::Other)
            }
        }
        (Type::Decimal, Type::Int)
        | (Type::Int, Type::MinorUnits)
        | (Type::MinorUnits, Type::Int) => Ok(()),
        (Type::Decimal, Type::MinorUnits) => Err(Mismatch::MinorUnitsToDecimal),
        (Type::Key(e), Type::Key(a)) if e != a => Err(Mismatch::Key),
        // A key is a string, and a string of unknown provenance may be any key.
        (Type::String, Type::Key(_)) | (Type::Key(_), Type::String) => Ok(()),
        (Type::List(e), Type::List(a)) => accepts(e, a).map_err(|m| match m {
            Mismatch::Key => Mismatch::Key,
            _ => Mismatch::Other,
        }),
        (Type::Object(_), Type::Object(_)) | (Type::Lookup { .. }, Type::Lookup { .. }) => Ok(()),
        (e, a) if e == a => Ok(()),
        _ => Err(Mismatch::Other),
    }
}

/// The type of a value that is either `a` or `b` (if/match branches, `??`).
pub(crate) fn join(a: Type, b: Type) -> Type {
    if a == b {
        return a;
    }
    match (a, b) {
        (Type::Never, other) | (other, Type::Never) => other,
        (Type::Any, _) | (_, Type::Any) => Type::Any,
        (Type::Null, other) | (other, Type::Null) => Type::optional(other),
        (Type::Optional(inner), other) | (other, Type::Optional(inner)) => {
            Type::optional(join(*inner, other))
        }
        (Type::Int, Type::Decimal) | (Type::Decimal, Type::Int) => Type::Decimal,
        (Type::Int, Type::MinorUnits) | (Type::MinorUnits, Type::Int) => Type::MinorUnits,
        (Type::Key(_), Type::Key(_) | Type::String) | (Type::String, Type::Key(_)) => Type::String,
        (Type::List(x), Type::List(y)) => Type::list(join(*x, *y)),
        (left @ Type::Object(_), Type::Object(_)) => left,
        (Type::Union(mut members), other) | (other, Type::Union(mut members)) => {
            if !members.contains(&other) {
                members.push(other);
            }
            Type::Union(members)
        }
        (x, y) => Type::Union(vec![x, y]),
    }
}

/// Splits `omit` out of a type: the rest, and whether `omit` was possible.
pub(crate) fn strip_omit(ty: &Type) -> (Type, bool) {
    match ty {
        Type::Omit => (Type::Never, true),
        Type::Optional(inner) => {
            let (rest, omitted) = strip_omit(inner);
            (Type::optional(rest), omitted)
        }
        Type::Union(members) if members.contains(&Type::Omit) => {
            let mut rest: Vec<Type> = members
                .iter()
                .filter(|m| **m != Type::Omit)
                .cloned()
                .collect();
            let ty = match rest.len() {
                0 => Type::Never,
                1 => rest.remove(0),
                _ => Type::Union(rest),
            };
            (ty, true)
        }
        other => (other.clone(), false),
    }
}

/// The type without null, missing or omit: what `x ?? y` takes from `x`.
pub(crate) fn strip_nothing(ty: &Type) -> Type {
    match ty {
        Type::Null | Type::Omit => Type::Never,
        Type::Optional(inner) => strip_nothing(inner),
        Type::Union(members) => members.iter().map(strip_nothing).fold(Type::Never, join),
        other => other.clone(),
    }
}

pub(crate) const TYPE_NAMES: &[&str] = &[
    "any",
    "null",
    "bool",
    "int",
    "decimal",
    "minor_units",
    "string",
    "timestamp",
    "date",
    "duration",
];

/// A written type (`string?`, `list<int>`), or the name that is not a type.
pub(crate) fn from_type_expr(written: &TypeExpr) -> Result<Type, &TypeExpr> {
    Ok(match &written.kind {
        TypeExprKind::Optional(inner) => Type::optional(from_type_expr(inner)?),
        TypeExprKind::List(item) => Type::list(from_type_expr(item)?),
        TypeExprKind::Named(name) => match name.as_str() {
            "any" => Type::Any,
            "null" => Type::Null,
            "bool" => Type::Bool,
            "int" => Type::Int,
            "decimal" => Type::Decimal,
            "minor_units" => Type::MinorUnits,
            "string" => Type::String,
            "timestamp" => Type::Timestamp,
            "date" => Type::Date,
            "duration" => Type::Duration,
            _ => return Err(written),
        },
    })
}
