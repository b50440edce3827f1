//! Name resolution, types, fallibility, sinks and lints over the syntax tree.
//!
//! `check` takes the root module and its imports, with the schemas and the function table as
//! parameters, and returns every diagnostic plus what the runner needs from each pipeline.
//!
//! Typing notes: `list[i]` is `T?` (out of range gives null) and never fails; `lookup[key]` is
//! the lookup's value type and can fail (a miss); `a?.b` is always optional.

mod calls;
mod expr;
mod fetch;
mod formats;
mod functions;
mod keys;
mod lints;
pub mod listing;
pub mod lookup_file;
mod lookups;
mod metadata;
mod ops;
mod ownership;
mod pipeline;
pub mod schema;
mod scope;
mod shared_events;
pub mod signature;
mod sink;
mod suggest;
mod test_xrefs;
mod tests_block;
pub mod types;
mod typing;

use std::path::PathBuf;

use indexmap::IndexMap;

pub use lookup_file::LookupData;
pub use ownership::project_ownership;
pub use schema::{
    Fetchable, KeyShape, MetadataLimits, Posting, RecordKey, SchemaRegistry, SinkSchema,
    SourceSchema, TargetSchema,
};
pub use shared_events::{EventSharing, project_shared_events};
pub use signature::{ArgInfo, Fallibility, FunctionTable, ParamSig, Signature};
pub use types::{Field, KeyType, ObjectType, Type};

use crate::diagnostics::{Code, Diagnostic, FileId, SourceMap, Span};
use crate::syntax::ast::{Item, Module};
use scope::Checker;

/// What programs are checked against.
pub struct Environment<'a> {
    pub schemas: &'a SchemaRegistry,
    pub functions: &'a dyn FunctionTable,
}

/// The result of checking: diagnostics (sorted by position) and one entry per root pipeline.
#[derive(Debug)]
pub struct Checked {
    pub diagnostics: Vec<Diagnostic>,
    pub pipelines: Vec<CheckedPipeline>,
}

/// What the runner needs from one pipeline.
#[derive(Debug)]
pub struct CheckedPipeline {
    pub name: String,
    pub file: FileId,
    pub timezone: Option<jiff::tz::TimeZone>,
    pub source: String,
    /// Where the source is named (`stripe.events`).
    pub source_span: Span,
    pub events: Vec<String>,
    /// Where each of `events` is written, in the same order.
    pub event_spans: Vec<Span>,
    /// Seconds.
    pub poll_every: Option<i64>,
    pub target: String,
    pub sink: String,
    pub match_keys: Vec<String>,
    pub cross_reference: Option<String>,
    /// Every write in order: the one map and sink, or each `step`. The fields above are the
    /// first step's.
    pub steps: Vec<CheckedStep>,
    /// File-backed lookups in scope (the pipeline's and the top-level ones), loaded.
    pub lookups: IndexMap<String, LookupData>,
    pub has_errors: bool,
}

/// One map and its sink.
#[derive(Clone, Debug, Default)]
pub struct CheckedStep {
    /// The step's name (the pipeline's for a pipeline with no `step`s).
    pub name: String,
    pub target: String,
    pub sink: String,
    pub match_keys: Vec<String>,
    pub cross_reference: Option<String>,
    /// `map to X for item in LIST`.
    pub each: bool,
    /// `post`, on a sink that can post: how it posts what it wrote.
    pub post: Option<Posting>,
    /// The fields the map sets (dotted paths), where.
    pub written: Vec<(String, Span)>,
    /// `only on create ...`: fields left out of every update.
    pub only_on_create: Vec<String>,
    /// `owns ...`: fields no other pipeline of the project may change, where.
    pub owns: Vec<(String, Span)>,
    /// `on conflict newest by FIELD`: the source record's field that decides which of two
    /// source records matching one target keeps it.
    pub newest_by: Option<String>,
}

/// Checks `modules[0]` (the root file) and its imports `modules[1..]`.
pub fn check(modules: &[Module], sources: &SourceMap, env: &Environment) -> Checked {
    let mut checker = Checker::new(env, sources);
    let base_dir = |file: FileId| -> PathBuf {
        sources
            .get(file)
            .and_then(|f| f.path.parent().map(|p| p.to_path_buf()))
            .unwrap_or_default()
    };
    // Top-level functions and lookups of every module are in scope in the root.
    for module in modules {
        for item in &module.items {
            match item {
                Item::Function(decl) => checker.declare_function(decl, base_dir(module.file)),
                Item::Lookup(decl) => {
                    if let Some(first) = checker.global_lookups.get(&decl.name.name) {
                        let first = first.span;
                        checker.emit(
                            Diagnostic::new(
                                Code::DuplicateDefinition,
                                decl.name.span,
                                format!("lookup `{}` is defined twice", decl.name.name),
                            )
                            .with_label("second definition")
                            .with_secondary(first, "first definition")
                            .with_help("rename one of them"),
                        );
                        continue;
                    }
                    let info = checker.lookup_info(decl, &base_dir(module.file));
                    checker.global_lookups.insert(decl.name.name.clone(), info);
                }
                Item::Use(_) | Item::Pipeline(_) => {}
            }
        }
    }
    let names: Vec<String> = checker.functions.keys().cloned().collect();
    for name in names {
        checker.check_function(&name);
    }
    let global_errors = checker.error_count();
    let mut pipelines = Vec::new();
    let mut pipeline_names: IndexMap<String, crate::diagnostics::Span> = IndexMap::new();
    if let Some(root) = modules.first() {
        for item in &root.items {
            let Item::Pipeline(pipeline) = item else {
                continue;
            };
            if let Some(first) = pipeline_names.get(&pipeline.name.name) {
                let first = *first;
                checker.emit(
                    Diagnostic::new(
                        Code::DuplicateDefinition,
                        pipeline.name.span,
                        format!("pipeline `{}` is defined twice", pipeline.name.name),
                    )
                    .with_label("second definition")
                    .with_secondary(first, "first definition")
                    .with_help("rename one of them"),
                );
            } else {
                pipeline_names.insert(pipeline.name.name.clone(), pipeline.name.span);
            }
            let mut checked = checker.check_pipeline(pipeline, base_dir(root.file));
            checked.has_errors |= global_errors > 0;
            pipelines.push(checked);
        }
    }
    checker.unused_globals();
    let mut diagnostics = checker.diagnostics;
    diagnostics.sort_by_key(|d| {
        d.primary_span()
            .map(|s| (s.file.0, s.start, s.end))
            .unwrap_or((u32::MAX, 0, 0))
    });
    Checked {
        diagnostics,
        pipelines,
    }
}
