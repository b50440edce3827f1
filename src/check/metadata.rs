//! A target's metadata limits (Stripe's: at most 50 keys, keys up to 40 characters without
//! square brackets, values up to 500), from its schema. Values are checked where their length
//! is known from the code: literals, and texts cut by `truncate` or `substring`.

use super::schema::MetadataLimits;
use super::scope::Checker;
use crate::diagnostics::{Code, Diagnostic, Span};
use crate::syntax::ast::{BinaryOp, Expr, ExprKind, MapBlock, TemplatePart};

impl<'a> Checker<'a> {
    pub(crate) fn metadata_limits(&mut self, map: &MapBlock, limits: MetadataLimits) {
        let MetadataLimits {
            system,
            max_keys,
            max_key_chars,
            max_value_chars,
            key_forbids,
        } = limits;
        // (key, key span, value)
        let mut entries: Vec<(String, Span, &Expr)> = Vec::new();
        for assignment in &map.assignments {
            match assignment.target.as_slice() {
                [first, key] if first.name == "metadata" => {
                    entries.push((key.name.clone(), key.span, &assignment.value));
                }
                [first] if first.name == "metadata" => {
                    if let ExprKind::Object(fields) = &assignment.value.kind {
                        for field in fields {
                            entries.push((field.key.value.clone(), field.key.span, &field.value));
                        }
                    }
                }
                _ => {}
            }
        }
        if entries.len() > max_keys {
            let (_, span, _) = &entries[max_keys];
            self.emit(
                Diagnostic::new(
                    Code::MetadataTooManyKeys,
                    *span,
                    format!(
                        "this map sets {} metadata keys; {system} allows at most {max_keys}",
                        entries.len()
                    ),
                )
                .with_label(format!("key number {}", max_keys + 1))
                .with_help(
                    "combine values into fewer keys, or keep the extra data in the other system",
                ),
            );
        }
        for (key, span, value) in &entries {
            let chars = key.chars().count();
            if chars > max_key_chars {
                self.emit(
                    Diagnostic::new(
                        Code::MetadataKeyTooLong,
                        *span,
                        format!("metadata key `{key}` is {chars} characters; {system} allows at most {max_key_chars}"),
                    )
                    .with_label("key too long")
                    .with_help("use a shorter key"),
                );
            }
            if let Some(refused) = key.chars().find(|c| key_forbids.contains(c)) {
                self.emit(
                    Diagnostic::new(
                        Code::MetadataKeyCharacter,
                        *span,
                        format!(
                            "metadata key `{key}` holds `{refused}`, which {system} refuses in keys"
                        ),
                    )
                    .with_label("refused character")
                    .with_help("use `_` instead, such as `team_sales`"),
                );
            }
            if let Some((chars, exact)) = longest(value)
                && chars > max_value_chars
            {
                let is = if exact { "is" } else { "can be" };
                self.emit(
                    Diagnostic::new(
                        Code::MetadataValueTooLong,
                        value.span,
                        format!("metadata value for `{key}` {is} {chars} characters; {system} allows at most {max_value_chars}"),
                    )
                    .with_label("value too long")
                    .with_help(format!("shorten the value, or cut it with `truncate(value, {max_value_chars})`")),
                );
            }
        }
    }
}

/// The most characters `value` can have, when the code says (and whether exactly that many): a
/// literal text, or a text cut by `truncate(text, N)` or `substring(text, start, N)`, or either
/// side of `??` when both are known.
fn longest(value: &Expr) -> Option<(usize, bool)> {
    if let Some(text) = static_text(value) {
        return Some((text.chars().count(), true));
    }
    match &value.kind {
        ExprKind::Call { function, args } => {
            let at = match function.name.as_str() {
                "truncate" => 1,
                "substring" => 2,
                _ => return None,
            };
            let length = args.get(at).filter(|arg| arg.name.is_none())?;
            match &length.value.kind {
                ExprKind::Int(n) => usize::try_from(*n).ok().map(|n| (n, false)),
                _ => None,
            }
        }
        ExprKind::Binary {
            op: BinaryOp::Coalesce,
            lhs,
            rhs,
        } => {
            let (left, right) = (longest(lhs)?, longest(rhs)?);
            Some((left.0.max(right.0), false))
        }
        _ => None,
    }
}

/// The text of a string literal or a template made only of literal parts.
fn static_text(value: &Expr) -> Option<String> {
    match &value.kind {
        ExprKind::String(s) => Some(s.clone()),
        ExprKind::Template(parts) => parts
            .iter()
            .map(|part| match part {
                TemplatePart::Literal(s) => Some(s.as_str()),
                TemplatePart::Expr(_) => None,
            })
            .collect::<Option<Vec<_>>>()
            .map(|pieces| pieces.concat()),
        _ => None,
    }
}
