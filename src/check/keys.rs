//! E0516: one kind of key where another belongs, with the `xref` that gives the right one.

use super::scope::Checker;
use super::types::{KeyType, Type};
use crate::diagnostics::{Code, Diagnostic};
use crate::syntax::ast::{BinaryOp, Expr, ExprKind};

impl Checker<'_> {
    /// Reports `value` (of type `actual`) put where `expected` belongs; `place` names the
    /// field or argument.
    pub(crate) fn key_mismatch(
        &mut self,
        place: &str,
        expected: &Type,
        actual: &Type,
        value: &Expr,
    ) {
        let (Some(expected), Some(actual)) = (key_in(expected), key_in(actual)) else {
            return;
        };
        let help = match xref_id_argument(value) {
            Some(id) => format!(
                "ask the store for the {}: `xref({}.{}, {})`",
                expected.key,
                expected.collection,
                expected.key,
                self.text(id.span)
            ),
            None => format!(
                "find the {} through the cross reference: `xref({}.{}, <id>)`",
                expected.key, expected.collection, expected.key
            ),
        };
        self.emit(
            Diagnostic::new(
                Code::KeyMismatch,
                value.span,
                format!(
                    "{place} takes the `{}` of a `{}` record, but this is the `{}` of a `{}` record",
                    expected.key, expected.collection, actual.key, actual.collection
                ),
            )
            .with_label(format!("the {} {}", actual.collection, actual.key))
            .with_help(help),
        );
    }
}

/// The key a type holds, looking through optionality and lists.
fn key_in(ty: &Type) -> Option<&KeyType> {
    match ty {
        Type::Key(key) => Some(key),
        Type::Optional(inner) | Type::List(inner) => key_in(inner),
        Type::Union(members) => members.iter().find_map(key_in),
        _ => None,
    }
}

/// The id argument of the `xref(...)` call that `value` is, or starts with (`xref(...) ?? ...`).
fn xref_id_argument(value: &Expr) -> Option<&Expr> {
    match &value.kind {
        ExprKind::Call { function, args } if function.name == "xref" => {
            args.get(1).map(|arg| &arg.value)
        }
        ExprKind::Binary {
            op: BinaryOp::Coalesce,
            lhs,
            ..
        }
        | ExprKind::Assert(lhs) => xref_id_argument(lhs),
        _ => None,
    }
}
