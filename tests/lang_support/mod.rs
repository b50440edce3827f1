//! Compiling a pipeline from source text and running JSON records through it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use ferry::diagnostics::{Code, FileId};
use ferry::functions::Registry;
use ferry::functions::spec::{CallContext, NoCrossReferences};
use ferry::lang::{
    CompileOptions, CompiledPipeline, MapCrossReferences, Outcome, RunEnv, Value, parse_record,
    write_record,
};
use ferry::syntax::ast::{Item, Module, Pipeline};

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
        lookups: Default::default(),
        base_dir: base_dir.to_path_buf(),
        id_keys: Default::default(),
    };
    ferry::lang::compile(std::slice::from_ref(&module), pipeline(&module), options)
        .unwrap_or_else(|d| panic!("does not compile: {}", d.message))
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
        related: &ferry::functions::spec::NoRelated,
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
        related: &ferry::functions::spec::NoRelated,
        base_dir: &base,
    };
    ferry::lang::eval_text(text_, Registry::standard(), &context)
        .map(|v| text(&v))
        .map_err(|e| e.to_string())
}
