//! `lookup` tables: inline ones get the type of their values, file-backed ones are loaded now so
//! a missing or malformed file is a lint error, not a run-time surprise.

use std::path::Path;

use super::lookup_file;
use super::scope::{Checker, LookupInfo};
use super::types::Type;
use super::typing::join;
use crate::diagnostics::{Code, Diagnostic};
use crate::syntax::ast::{ExprKind, LookupDecl, LookupTable};

impl<'a> Checker<'a> {
    pub(crate) fn lookup_info(&mut self, decl: &LookupDecl, base_dir: &Path) -> LookupInfo {
        let mut info = LookupInfo {
            span: decl.name.span,
            value: Type::Any,
            data: None,
            used: false,
        };
        match &decl.table {
            LookupTable::Inline(entries) => {
                let mut value = Type::Never;
                let mut keys: Vec<(String, crate::diagnostics::Span)> = Vec::new();
                for entry in entries {
                    self.infer(&entry.key, false);
                    let v = self.infer(&entry.value, false);
                    value = join(value, v.ty);
                    let key = match &entry.key.kind {
                        ExprKind::String(s) => Some(s.clone()),
                        ExprKind::Int(i) => Some(i.to_string()),
                        ExprKind::Bool(b) => Some(b.to_string()),
                        _ => None,
                    };
                    let Some(key) = key else {
                        self.emit(
                            Diagnostic::new(
                                Code::TypeMismatch,
                                entry.key.span,
                                "a lookup key must be a string, int or bool literal",
                            )
                            .with_label("not a literal key"),
                        );
                        continue;
                    };
                    if let Some((_, first)) = keys.iter().find(|(k, _)| *k == key) {
                        let first = *first;
                        self.emit(
                            Diagnostic::new(
                                Code::DuplicateDefinition,
                                entry.key.span,
                                format!("key `{key}` appears twice in lookup `{}`", decl.name.name),
                            )
                            .with_label("second time")
                            .with_secondary(first, "first time")
                            .with_help("remove one of the entries"),
                        );
                    } else {
                        keys.push((key, entry.key.span));
                    }
                }
                info.value = if value == Type::Never {
                    Type::Any
                } else {
                    value
                };
            }
            LookupTable::File { path, .. } => match lookup_file::load(decl, base_dir) {
                Ok(data) => {
                    let data = data.unwrap_or_default();
                    let csv = path.value.to_ascii_lowercase().ends_with(".csv");
                    let all_strings = data.values().all(serde_json::Value::is_string);
                    info.value = if csv || all_strings {
                        Type::String
                    } else {
                        Type::Any
                    };
                    info.data = Some(data);
                }
                Err(diagnostic) => self.emit(diagnostic),
            },
        }
        info
    }
}
