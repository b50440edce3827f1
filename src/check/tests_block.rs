//! `test` blocks: known keys, an input, an expectation whose keys are target fields.

use super::scope::{Checker, Frame};
use super::suggest;
use super::types::Type;
use crate::diagnostics::{Code, Diagnostic, Span};
use crate::syntax::ast::{Expr, ExprKind, ObjectEntry, TestBlock};

const TEST_KEYS: &[&str] = &[
    "input",
    "expect",
    "expect_skip",
    "expect_error",
    "expect_filtered",
    "now",
    "xrefs",
    "fetched",
];

impl<'a> Checker<'a> {
    /// `steps`: each step's name, target record and whether it maps `for` each item (then its
    /// `expect` is a list). With `named` steps, `expect` is keyed by step name.
    pub(crate) fn check_test(
        &mut self,
        test: &TestBlock,
        steps: &[(String, Option<Type>, bool)],
        named: bool,
    ) {
        let frame = Frame {
            record: Type::Any,
            timezone: true,
            in_test: true,
            base_dir: self.frame.base_dir.clone(),
            ..Frame::default()
        };
        self.with_frame(frame, |checker| checker.test_entries(test, steps, named));
    }

    fn test_entries(
        &mut self,
        test: &TestBlock,
        steps: &[(String, Option<Type>, bool)],
        named: bool,
    ) {
        let mut seen: Vec<(&str, Span)> = Vec::new();
        for entry in &test.entries {
            let key = entry.key.name.as_str();
            if !TEST_KEYS.contains(&key) {
                let help = suggest::did_you_mean(key, TEST_KEYS.iter().copied(), str::to_string)
                    .unwrap_or_else(|| {
                        format!(
                            "a test takes {}",
                            suggest::listing(TEST_KEYS.iter().copied(), 10)
                        )
                    });
                self.emit(
                    Diagnostic::new(
                        Code::UnknownTestKey,
                        entry.key.span,
                        format!("`{key}` is not a test key"),
                    )
                    .with_label("unknown key")
                    .with_help(help),
                );
                self.infer(&entry.value, true);
                continue;
            }
            if let Some((_, first)) = seen.iter().find(|(k, _)| *k == key) {
                self.emit(
                    Diagnostic::new(
                        Code::DuplicateDefinition,
                        entry.key.span,
                        format!("`{key}` is given twice in this test"),
                    )
                    .with_label("second time")
                    .with_secondary(*first, "first time")
                    .with_help("keep one"),
                );
            }
            seen.push((key, entry.key.span));
            match key {
                "expect" if named => self.expected_steps(&entry.value, steps),
                "expect" => match steps.first() {
                    Some((_, target, true)) => self.expected_list(&entry.value, target.as_ref()),
                    Some((_, target, false)) => self.expectation(&entry.value, target.as_ref()),
                    None => self.expectation(&entry.value, None),
                },
                "expect_skip" | "expect_error" => self.string_entry(key, &entry.value),
                "expect_filtered" => self.bool_entry(key, &entry.value),
                "xrefs" => {
                    self.object_entry(key, &entry.value);
                    self.test_cross_references(&entry.value);
                }
                "now" => {
                    self.string_entry(key, &entry.value);
                    if let ExprKind::String(text) = &entry.value.kind
                        && text.parse::<jiff::Timestamp>().is_err()
                    {
                        self.emit(
                            Diagnostic::new(
                                Code::TypeMismatch,
                                entry.value.span,
                                format!("`{text}` is not a timestamp"),
                            )
                            .with_label("not RFC 3339")
                            .with_help("write an instant such as `\"2026-01-01T00:00:00Z\"`"),
                        );
                    }
                }
                _ => self.object_entry(key, &entry.value),
            }
        }
        let has = |k: &str| seen.iter().any(|(s, _)| *s == k);
        let missing = if !has("input") {
            Some("an `input`")
        } else if !["expect", "expect_skip", "expect_error", "expect_filtered"]
            .iter()
            .any(|k| has(k))
        {
            Some("an expectation (`expect`, `expect_skip`, `expect_error` or `expect_filtered`)")
        } else {
            None
        };
        if let Some(missing) = missing {
            self.emit(
                Diagnostic::new(Code::IncompleteTest, test.name.span, format!("test `{}` lacks {missing}", test.name.value))
                    .with_label("incomplete test")
                    .with_help("a test needs `input = ...` and `expect = { ... }` (or `expect_skip` / `expect_error` / `expect_filtered`)"),
            );
        }
    }

    fn object_entry(&mut self, key: &str, value: &Expr) {
        let t = self.infer(value, false);
        if !matches!(t.ty, Type::Any | Type::Object(_)) {
            self.emit(
                Diagnostic::new(
                    Code::TypeMismatch,
                    value.span,
                    format!("`{key}` must be an object, found {}", t.ty),
                )
                .with_label("not an object")
                .with_help("write an object literal `{ ... }` or `json(\"file.json\")`"),
            );
        }
    }

    fn bool_entry(&mut self, key: &str, value: &Expr) {
        let t = self.infer(value, false);
        if !matches!(t.ty, Type::Bool | Type::Any) {
            self.emit(
                Diagnostic::new(
                    Code::TypeMismatch,
                    value.span,
                    format!("`{key}` must be true or false, found {}", t.ty),
                )
                .with_label("not a boolean")
                .with_help(format!("write `{key} = true`")),
            );
        }
    }

    fn string_entry(&mut self, key: &str, value: &Expr) {
        let t = self.infer(value, false);
        if !matches!(t.ty, Type::String | Type::Any) {
            self.emit(
                Diagnostic::new(
                    Code::TypeMismatch,
                    value.span,
                    format!("`{key}` must be a string, found {}", t.ty),
                )
                .with_label("not a string"),
            );
        }
    }

    /// `expect = { step: { ... }, ... }`: what each named step writes (steps left out are not
    /// compared).
    fn expected_steps(&mut self, value: &Expr, steps: &[(String, Option<Type>, bool)]) {
        let ExprKind::Object(entries) = &value.kind else {
            self.not_a_literal(
                value,
                "this pipeline has steps, so `expect` must be an object keyed by step name",
                "not an object literal",
                "write `expect = { step_name: { field: value, ... }, ... }`",
            );
            return;
        };
        for entry in entries {
            match steps.iter().find(|(name, _, _)| *name == entry.key.value) {
                Some((_, target, true)) => self.expected_list(&entry.value, target.as_ref()),
                Some((_, target, false)) => self.expectation(&entry.value, target.as_ref()),
                None => {
                    let help = suggest::did_you_mean(
                        &entry.key.value,
                        steps.iter().map(|(name, _, _)| name.as_str()),
                        str::to_string,
                    )
                    .unwrap_or_else(|| "key `expect` by the names of the pipeline's steps".into());
                    self.emit(
                        Diagnostic::new(
                            Code::UnknownTestKey,
                            entry.key.span,
                            format!("`{}` is not a step of this pipeline", entry.key.value),
                        )
                        .with_label("no such step")
                        .with_help(help),
                    );
                    self.infer(&entry.value, true);
                }
            }
        }
    }

    /// `expect = [{ ... }, ...]` for a `for` map: one object literal per record written.
    fn expected_list(&mut self, value: &Expr, target: Option<&Type>) {
        let ExprKind::List(items) = &value.kind else {
            self.not_a_literal(
                value,
                "this map writes one record per item, so `expect` must be a list literal of them",
                "not a list literal",
                "write `expect = [{ field: value, ... }, ...]`",
            );
            return;
        };
        for item in items {
            self.expectation(item, target);
        }
    }

    /// E0300 for an `expect` that is not the literal its pipeline needs.
    fn not_a_literal(&mut self, value: &Expr, message: &str, label: &str, help: &str) {
        self.infer(value, true);
        self.emit(
            Diagnostic::new(Code::TypeMismatch, value.span, message)
                .with_label(label)
                .with_help(help),
        );
    }

    fn expectation(&mut self, value: &Expr, target: Option<&Type>) {
        let ExprKind::Object(entries) = &value.kind else {
            self.infer(value, true);
            self.emit(
                Diagnostic::new(
                    Code::TypeMismatch,
                    value.span,
                    "`expect` must be an object literal of target fields",
                )
                .with_label("not an object literal")
                .with_help("write `expect = { field: value, ... }`"),
            );
            return;
        };
        self.infer(value, true);
        if let Some(target) = target {
            self.expected_fields(entries, target);
        }
    }

    /// Keys of an expected output object must be fields of the target (nested objects too).
    fn expected_fields(&mut self, entries: &[ObjectEntry], target: &Type) {
        let Type::Object(object) = target.non_null() else {
            return;
        };
        if object.other_keys.is_some() {
            return;
        }
        for entry in entries {
            match object.fields.get(&entry.key.value) {
                Some(field) => {
                    if let ExprKind::Object(nested) = &entry.value.kind {
                        self.expected_fields(nested, &field.ty);
                    }
                }
                None => {
                    let owner = object
                        .name
                        .clone()
                        .unwrap_or_else(|| "the target".to_string());
                    let mut diagnostic = Diagnostic::new(
                        Code::UnknownField,
                        entry.key.span,
                        format!("`{owner}` has no field `{}`", entry.key.value),
                    )
                    .with_label("not a target field");
                    if let Some(help) = suggest::did_you_mean(
                        &entry.key.value,
                        object.fields.keys().map(String::as_str),
                        str::to_string,
                    ) {
                        diagnostic = diagnostic.with_help(help);
                    }
                    self.emit(diagnostic);
                }
            }
        }
    }
}
