//! A target's metadata limits (Stripe's: at most 50 keys, keys up to 40 characters, values up
//! to 500), from its schema.

use super::schema::MetadataLimits;
use super::scope::Checker;
use crate::diagnostics::{Code, Diagnostic, Span};
use crate::syntax::ast::{Expr, ExprKind, MapBlock, TemplatePart};

impl<'a> Checker<'a> {
    pub(crate) fn metadata_limits(&mut self, map: &MapBlock, limits: MetadataLimits) {
        let MetadataLimits {
            system,
            max_keys,
            max_key_chars,
            max_value_chars,
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
            if let Some(text) = static_text(value) {
                let chars = text.chars().count();
                if chars > max_value_chars {
                    self.emit(
                        Diagnostic::new(
                            Code::MetadataValueTooLong,
                            value.span,
                            format!("metadata value for `{key}` is {chars} characters; {system} allows at most {max_value_chars}"),
                        )
                        .with_label("value too long")
                        .with_help(format!("shorten the value, or truncate it with `substring(value, 0, {max_value_chars})`")),
                    );
                }
            }
        }
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
