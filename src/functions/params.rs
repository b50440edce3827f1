//! Building signatures: parameters, and result types computed from argument types.

use crate::check::{ArgInfo, Fallibility, ParamSig, Signature, Type};

/// A required parameter.
pub fn param(name: &'static str, ty: Type) -> ParamSig {
    ParamSig {
        name,
        ty,
        default: None,
    }
}

/// A parameter that may be left out; `default` is a literal (see `spec::parse_default`).
pub fn with_default(name: &'static str, ty: Type, default: &'static str) -> ParamSig {
    ParamSig {
        name,
        ty,
        default: Some(default),
    }
}

/// An optional string parameter (a format or a time zone) that defaults to null.
pub fn optional_string(name: &'static str) -> ParamSig {
    with_default(name, Type::optional(Type::String), "null")
}

/// A plain signature: not variadic, no closure, no time zone.
pub fn signature(
    name: &'static str,
    params: Vec<ParamSig>,
    returns: fn(&[Option<ArgInfo>]) -> Type,
    fallibility: Fallibility,
) -> Signature {
    Signature {
        name,
        params,
        returns,
        closure_param: None,
        fallibility,
        variadic: false,
        needs_timezone: false,
    }
}

pub fn union(types: &[Type]) -> Type {
    Type::Union(types.to_vec())
}

/// int, decimal or minor_units.
pub fn numeric() -> Type {
    union(&[Type::Int, Type::Decimal, Type::MinorUnits])
}

pub fn any_list() -> Type {
    Type::list(Type::Any)
}

/// The type of argument `i`, when given.
pub fn arg_type(args: &[Option<ArgInfo>], i: usize) -> Option<&Type> {
    args.get(i).and_then(Option::as_ref).map(|a| &a.ty)
}

/// The item type of a list argument (through optionality); `any` when unknown.
pub fn item_type(args: &[Option<ArgInfo>], i: usize) -> Type {
    match arg_type(args, i).map(Type::non_null) {
        Some(Type::List(item)) => (**item).clone(),
        _ => Type::Any,
    }
}

/// The type of a sum or min/max of numbers of these types: minor_units only if all are,
/// int only if all are, decimal when any decimal is involved.
pub fn numeric_result<'t>(types: impl IntoIterator<Item = &'t Type>) -> Type {
    let mut all_minor = true;
    let mut all_int = true;
    let mut any_known = false;
    for ty in types {
        any_known = true;
        match ty.non_null() {
            Type::MinorUnits => all_int = false,
            Type::Int => all_minor = false,
            Type::Decimal => return Type::Decimal,
            _ => {
                all_minor = false;
                all_int = false;
            }
        }
    }
    match (any_known, all_minor, all_int) {
        (false, _, _) => Type::Int,
        (true, true, _) => Type::MinorUnits,
        (true, _, true) => Type::Int,
        _ => union(&[Type::Int, Type::Decimal]),
    }
}

/// `returns` helpers for fixed result types.
pub fn string_result(_: &[Option<ArgInfo>]) -> Type {
    Type::String
}
pub fn bool_result(_: &[Option<ArgInfo>]) -> Type {
    Type::Bool
}
pub fn int_result(_: &[Option<ArgInfo>]) -> Type {
    Type::Int
}
pub fn decimal_result(_: &[Option<ArgInfo>]) -> Type {
    Type::Decimal
}
pub fn timestamp_result(_: &[Option<ArgInfo>]) -> Type {
    Type::Timestamp
}
pub fn date_result(_: &[Option<ArgInfo>]) -> Type {
    Type::Date
}
pub fn any_result(_: &[Option<ArgInfo>]) -> Type {
    Type::Any
}
pub fn string_list_result(_: &[Option<ArgInfo>]) -> Type {
    Type::list(Type::String)
}
/// The first argument's type without optionality (`upper(x)` keeps x's type, say).
pub fn first_arg_result(args: &[Option<ArgInfo>]) -> Type {
    arg_type(args, 0)
        .map(|t| t.non_null().clone())
        .unwrap_or(Type::Any)
}
/// The first argument's list type (filter, unique, sort_by keep the list's type).
pub fn same_list_result(args: &[Option<ArgInfo>]) -> Type {
    Type::list(item_type(args, 0))
}
/// A closure over a list's items gets the item type.
pub fn list_item_closure(args: &[Option<ArgInfo>]) -> Type {
    item_type(args, 0)
}
