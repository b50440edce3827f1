//! What the checker needs to know about a function. The standard library (in `functions`)
//! provides these; the checker never sees the implementations.

use super::types::Type;

/// A function's parameter.
#[derive(Clone, Debug)]
pub struct ParamSig {
    pub name: &'static str,
    /// Accepted type; `Type::Any` accepts anything, `Type::Union` any of its members,
    /// `Type::Closure` a `|x| ...` closure.
    pub ty: Type,
    /// Parameters with a default may be left out.
    pub default: Option<&'static str>,
}

/// What the checker knows about each argument of one call, to compute the result type.
#[derive(Clone, Debug)]
pub struct ArgInfo {
    pub ty: Type,
    /// The literal value, when the argument is a literal string (formats, time zones, modes).
    pub literal: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fallibility {
    Infallible,
    /// Can fail at run time on some inputs; the text says on which ones.
    Fallible(&'static str),
}

/// Computes a type from a call's arguments, in parameter order (`None` for one left out).
pub type TypeRule = fn(&[Option<ArgInfo>]) -> Type;

#[derive(Clone, Debug)]
pub struct Signature {
    pub name: &'static str,
    pub params: Vec<ParamSig>,
    /// The result type, given the arguments in parameter order (`None` for one left out). For a
    /// closure parameter, the `ArgInfo` holds the closure body's type.
    pub returns: TypeRule,
    /// The type of a closure's parameter, given the arguments before it (for `map(list, |x| ..)`
    /// it is the list's item type).
    pub closure_param: Option<TypeRule>,
    pub fallibility: Fallibility,
    /// The last parameter repeats (`concat(a, b, c, ...)`); its `ArgInfo`s are all passed.
    pub variadic: bool,
    /// The result depends on a time zone when an argument is a timestamp: the pipeline's
    /// `timezone`, or a `tz` argument, must be in scope.
    pub needs_timezone: bool,
}

/// The functions a program may call.
pub trait FunctionTable {
    fn signature(&self, name: &str) -> Option<&Signature>;
    fn names(&self) -> Vec<&'static str>;
}
