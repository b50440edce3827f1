//! Compiling a pipeline from source text and running JSON records through it.

use std::path::{Path, PathBuf};

use ferry::diagnostics::{Code, FileId};
use ferry::functions::Registry;
use ferry::lang::{
    CompileOptions, CompiledPipeline, MapCrossReferences, Outcome, RunEnv, parse_record,
    write_record,
};
use ferry::syntax::ast::{Item, LookupDecl, Module, Pipeline, PipelineItem};
use ferry::value::{CallContext, NoCrossReferences, Value};

pub fn module(text: &str) -> Module {
    ferry::syntax::parse_module(FileId(0), text)
        .unwrap_or_else(|d| panic!("does not parse: {}", d.message))
}

pub fn pipeline(module: &Module) -> &Pipeline {
    module
        .items
        .iter()
        .find_map(|item| match item {
            Item::Pipeline(p) => Some(p),
            _ => None,
        })
        .expect("a pipeline")
}

pub fn compile_in(text: &str, base_dir: &Path) -> CompiledPipeline {
    let module = module(text);
    let options = CompileOptions {
        functions: Registry::standard(),
        timezone: Some(jiff::tz::TimeZone::get("Australia/Sydney").unwrap()),
        lookups: lookup_files(&module, base_dir),
        base_dir: base_dir.to_path_buf(),
        id_keys: Default::default(),
    };
    ferry::lang::compile(std::slice::from_ref(&module), pipeline(&module), options)
        .unwrap_or_else(|d| panic!("does not compile: {}", d.message))
}

/// The file-backed lookups of `module` and its pipeline, read as the checker reads them.
fn lookup_files(
    module: &Module,
    base_dir: &Path,
) -> indexmap::IndexMap<String, ferry::check::LookupData> {
    let top = module.items.iter().filter_map(|item| match item {
        Item::Lookup(decl) => Some(decl),
        _ => None,
    });
    let own = pipeline(module).items.iter().filter_map(|item| match item {
        PipelineItem::Lookup(decl) => Some(decl),
        _ => None,
    });
    top.chain(own)
        .filter_map(|decl: &LookupDecl| {
            let data = ferry::check::lookup_file::load(decl, base_dir)
                .unwrap_or_else(|d| panic!("lookup `{}`: {}", decl.name.name, d.message))?;
            Some((decl.name.name.clone(), data))
        })
        .collect()
}

/// A pipeline whose body is `body` (lets, lookups, wheres, a map block).
pub fn compile(body: &str) -> CompiledPipeline {
    compile_in(&wrap(body), Path::new("."))
}

pub fn wrap(body: &str) -> String {
    format!("pipeline p {{\n source file.input\n {body}\n sink file.output {{}}\n}}")
}

pub fn run(compiled: &CompiledPipeline, json: &str) -> Outcome {
    run_with(compiled, json, &MapCrossReferences::default())
}

pub fn run_with(compiled: &CompiledPipeline, json: &str, xrefs: &MapCrossReferences) -> Outcome {
    let record = parse_record(json.as_bytes()).unwrap_or_else(|e| panic!("bad JSON: {e}"));
    let env = RunEnv {
        now: "2026-01-01T00:00:00Z".parse().unwrap(),
        cross_references: xrefs,
        related: &ferry::value::NoRelated,
    };
    compiled.run(&record, &env)
}

/// The mapped output as compact JSON, or a description of the other outcome.
pub fn map(body: &str, json: &str) -> String {
    show(&run(&compile(body), json))
}

pub fn show(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Mapped(value) => text(value),
        Outcome::Filtered => "filtered".into(),
        Outcome::Skipped(reason) => format!("skipped: {reason}"),
        Outcome::Failed(e) => format!("failed {}: {}", e.code.as_str(), e.message),
        Outcome::NeedsFetch(request) => format!("needs {request}"),
    }
}

pub fn text(value: &Value) -> String {
    let mut out = Vec::new();
    write_record(value, &mut out);
    String::from_utf8(out).unwrap()
}

/// The code of a failed outcome.
pub fn code(outcome: &Outcome) -> Option<Code> {
    match outcome {
        Outcome::Failed(e) => Some(e.code),
        _ => None,
    }
}

/// Evaluates a lone expression; `Err` is the rendered error.
pub fn eval(text_: &str) -> Result<String, String> {
    let base = PathBuf::from(".");
    let context = CallContext {
        timezone: None,
        now: "2026-01-01T00:00:00Z".parse().unwrap(),
        cross_references: &NoCrossReferences,
        related: &ferry::value::NoRelated,
        base_dir: &base,
    };
    ferry::lang::eval_text(text_, Registry::standard(), &context)
        .map(|v| text(&v))
        .map_err(|e| e.to_string())
}
