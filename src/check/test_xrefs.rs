//! E0515: a test's `xrefs` must look like what the store holds after the real run, so that a
//! test cannot pass on a cross reference the pipelines would never write.

use super::schema::RecordKey;
use super::scope::Checker;
use crate::diagnostics::{Code, Diagnostic, Span};
use crate::syntax::ast::{Expr, ExprKind};

impl Checker<'_> {
    /// `xrefs = { "collection": { "source id": "target id" or { id: ..., key: ... } } }`.
    /// Values that are not literals (`json(...)`) are left to the test run.
    pub(crate) fn test_cross_references(&mut self, xrefs: &Expr) {
        let ExprKind::Object(collections) = &xrefs.kind else {
            return;
        };
        for entry in collections {
            let collection = entry.key.value.as_str();
            let keys = self.env.schemas.keys(collection).to_vec();
            if keys.is_empty() {
                let sinks = self.env.schemas.sinks.keys().map(String::as_str);
                let help = super::suggest::did_you_mean(collection, sinks, str::to_string)
                    .unwrap_or_else(|| "name a collection a sink writes".to_string());
                self.invalid(
                    entry.key.span,
                    format!("no sink writes `{collection}`, so the store holds no links into it"),
                    "unknown collection",
                    help,
                );
                continue;
            }
            let ExprKind::Object(links) = &entry.value.kind else {
                continue;
            };
            let reads = self.keys_read(collection, &keys);
            for link in links {
                self.test_link(collection, &keys, &reads, &link.value);
            }
        }
    }

    /// The keys besides the id that the pipeline's `xref` calls read of `collection`.
    fn keys_read(&self, collection: &str, keys: &[RecordKey]) -> Vec<String> {
        keys.iter()
            .skip(1)
            .filter(|key| {
                self.xref_reads
                    .iter()
                    .any(|name| *name == format!("{collection}.{}", key.name))
            })
            .map(|key| key.name.clone())
            .collect()
    }

    fn test_link(&mut self, collection: &str, keys: &[RecordKey], reads: &[String], link: &Expr) {
        match &link.kind {
            ExprKind::String(id) => {
                let Some(key) = reads.first() else {
                    self.key_value(collection, &keys[0], "id", id, link.span);
                    return;
                };
                // A value that is no id but fits the key the pipeline reads was meant as that key.
                let fix = if keys[0].shape.mismatch(id).is_none() {
                    format!("{{ id: \"{id}\", {key}: \"...\" }}")
                } else {
                    format!("{{ id: \"...\", {key}: \"{id}\" }}")
                };
                self.invalid(
                    link.span,
                    format!("the pipeline reads the `{key}` of `{collection}` records, and this link gives only an id"),
                    "only an id",
                    format!("give the id and the keys the store keeps beside it: `{fix}`"),
                );
            }
            ExprKind::Object(entries) => {
                let mut given = Vec::new();
                for entry in entries {
                    let name = entry.key.value.as_str();
                    given.push(name);
                    let key = match name {
                        "id" => Some(&keys[0]),
                        other => keys.iter().skip(1).find(|key| key.name == other),
                    };
                    let Some(key) = key else {
                        let names: Vec<String> = std::iter::once("`id`".to_string())
                            .chain(keys.iter().skip(1).map(|k| format!("`{}`", k.name)))
                            .collect();
                        self.invalid(
                            entry.key.span,
                            format!("`{collection}` records have no key `{name}`"),
                            "unknown key",
                            format!("the store keeps {} of `{collection}`", names.join(" and ")),
                        );
                        continue;
                    };
                    if let ExprKind::String(value) = &entry.value.kind {
                        self.key_value(collection, key, name, value, entry.value.span);
                    }
                }
                for missing in std::iter::once("id")
                    .chain(reads.iter().map(String::as_str))
                    .filter(|name| !given.contains(name))
                {
                    self.invalid(
                        link.span,
                        format!("this link of `{collection}` lacks its `{missing}`, which the store always holds"),
                        format!("no `{missing}`"),
                        format!("add `{missing}: \"...\"`"),
                    );
                }
            }
            _ => {}
        }
    }

    fn key_value(
        &mut self,
        collection: &str,
        key: &RecordKey,
        name: &str,
        value: &str,
        span: Span,
    ) {
        if let Some(shape) = key.shape.mismatch(value) {
            self.invalid(
                span,
                format!("`{value}` cannot be the `{name}` of a `{collection}` record"),
                "does not fit",
                format!("the store holds {shape} here"),
            );
        }
    }

    fn invalid(&mut self, span: Span, message: String, label: impl Into<String>, help: String) {
        self.emit(
            Diagnostic::new(Code::InvalidTestCrossReference, span, message)
                .with_label(label)
                .with_help(help),
        );
    }
}
