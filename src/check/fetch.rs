//! `fetch(collection, id)` and `fetch_all(collection, { filters })`: the collection must be a
//! source that can be read that way, and the result has the collection's record type.

use super::scope::Checker;
use super::signature::ArgInfo;
use super::suggest;
use super::types::Type;
use crate::diagnostics::{Code, Diagnostic};
use crate::syntax::ast::{Argument, Expr, ExprKind};

impl<'a> Checker<'a> {
    /// E0510 when the bare dotted name is not a collection `function` can read.
    pub(crate) fn fetch_collection(&mut self, function: &str, value: &Expr) -> ArgInfo {
        let name = value.dotted_name().unwrap_or_default();
        let sources = &self.env.schemas.sources;
        let readable = |fetchable: &super::Fetchable| {
            if function == "fetch" {
                fetchable.by_id
            } else {
                !fetchable.filters.is_empty()
            }
        };
        let known = sources.get(&name);
        if !known.is_some_and(|s| readable(&s.fetchable)) {
            let candidates = sources
                .values()
                .filter(|s| readable(&s.fetchable))
                .map(|s| s.name.as_str());
            let message = match known {
                None => format!("`{name}` is not a known source collection"),
                Some(_) if function == "fetch" => format!("`{name}` cannot be fetched by id"),
                Some(_) => format!("`{name}` cannot be listed with filters"),
            };
            let mut diagnostic = Diagnostic::new(Code::NotFetchable, value.span, message)
                .with_label(format!("not readable with `{function}`"));
            if let Some(help) = suggest::did_you_mean(&name, candidates, str::to_string) {
                diagnostic = diagnostic.with_help(help);
            }
            self.emit(diagnostic);
        }
        ArgInfo {
            ty: Type::String,
            literal: Some(name),
        }
    }

    /// The record type of the collection (a list of them for `fetch_all`); E0511 for a filter
    /// the collection's list does not take.
    pub(crate) fn fetched_type(
        &mut self,
        function: &str,
        infos: &[Option<ArgInfo>],
        args: &[Argument],
    ) -> Type {
        let collection = infos
            .first()
            .and_then(Option::as_ref)
            .and_then(|info| info.literal.clone())
            .unwrap_or_default();
        let Some(source) = self.env.schemas.sources.get(&collection) else {
            return if function == "fetch" {
                Type::Any
            } else {
                Type::list(Type::Any)
            };
        };
        let record = source.record.clone();
        if function == "fetch" {
            return record;
        }
        let filters = source.fetchable.filters.clone();
        let object = args.iter().enumerate().find_map(|(position, arg)| {
            let is_filters = match &arg.name {
                Some(name) => name.name == "filters",
                None => position == 1,
            };
            match &arg.value.kind {
                ExprKind::Object(entries) if is_filters => Some(entries),
                _ => None,
            }
        });
        for entry in object.into_iter().flatten() {
            if filters.contains(&entry.key.value) || filters.is_empty() {
                continue;
            }
            let help = suggest::did_you_mean(
                &entry.key.value,
                filters.iter().map(String::as_str),
                str::to_string,
            )
            .unwrap_or_else(|| format!("`{collection}` takes {}", filters.join(", ")));
            self.emit(
                Diagnostic::new(
                    Code::UnknownFetchFilter,
                    entry.key.span,
                    format!("`{collection}` cannot be listed by `{}`", entry.key.value),
                )
                .with_label("not a list parameter")
                .with_help(help),
            );
        }
        Type::list(record)
    }
}
