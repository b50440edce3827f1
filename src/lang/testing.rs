//! `test "name" { ... }` blocks: run the input through the compiled pipeline and compare.
//!
//! `expect = { ... }` checks only the fields it lists: each listed field must equal the
//! output's field deeply (ints and decimals compare by value, so `12.5` matches `12.50`), and a
//! field listed as `omit` must be absent. A nested object value is compared exactly: every field
//! of the expected object, and no others, must be there.

use std::collections::HashMap;
use std::path::Path;

use crate::diagnostics::Span;
use crate::functions::spec::CrossReferences;
use crate::functions::{CallContext, Registry};
use crate::syntax::ast::{TestBlock, TestEntry};

use super::json_value::to_json;
use super::ops::{equal, text_form};
use super::outcome::Outcome;
use super::pipeline::{CompiledPipeline, RunEnv, eval_expression, render_error};
use super::{Map, Value};

/// The clock tests run at unless they set `now`.
pub const DEFAULT_TEST_NOW: &str = "2026-01-01T00:00:00Z";

#[derive(Clone, Debug, PartialEq)]
pub struct TestReport {
    pub name: String,
    pub span: Span,
    pub result: Result<(), TestFailure>,
}

/// Why a test failed: a sentence, and for wrong fields a unified diff (`-` expected,
/// `+` actual) of the checked fields as pretty JSON.
#[derive(Clone, Debug, PartialEq)]
pub struct TestFailure {
    pub message: String,
    pub diff: Option<String>,
}

impl TestFailure {
    fn new(message: impl Into<String>) -> TestFailure {
        TestFailure {
            message: message.into(),
            diff: None,
        }
    }
}

impl std::fmt::Display for TestFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)?;
        if let Some(diff) = &self.diff {
            write!(f, "\n{diff}")?;
        }
        Ok(())
    }
}

/// Cross references given by a test's `xrefs = { "collection": { "source id": "target id" } }`.
#[derive(Default)]
pub struct MapCrossReferences(pub HashMap<String, HashMap<String, String>>);

impl CrossReferences for MapCrossReferences {
    fn target_id(&self, collection: &str, source_id: &str) -> Option<String> {
        self.0.get(collection)?.get(source_id).cloned()
    }
}

pub fn run_test(
    compiled: &CompiledPipeline,
    test: &TestBlock,
    functions: &Registry,
    base_dir: &Path,
) -> TestReport {
    TestReport {
        name: test.name.value.clone(),
        span: test.span,
        result: run(compiled, test, functions, base_dir),
    }
}

fn entry<'t>(test: &'t TestBlock, key: &str) -> Option<&'t TestEntry> {
    test.entries.iter().find(|e| e.key.name == key)
}

fn run(
    compiled: &CompiledPipeline,
    test: &TestBlock,
    functions: &Registry,
    base_dir: &Path,
) -> Result<(), TestFailure> {
    const KEYS: [&str; 6] = [
        "input",
        "expect",
        "expect_skip",
        "expect_error",
        "now",
        "xrefs",
    ];
    if let Some(unknown) = test
        .entries
        .iter()
        .find(|e| !KEYS.contains(&e.key.name.as_str()))
    {
        return Err(TestFailure::new(format!(
            "unknown test entry `{}` (known: {})",
            unknown.key.name,
            KEYS.join(", ")
        )));
    }
    let none = MapCrossReferences::default();
    let default_now: jiff::Timestamp = DEFAULT_TEST_NOW
        .parse()
        .map_err(|e| TestFailure::new(format!("bad default clock: {e}")))?;
    let mut context = CallContext {
        timezone: compiled.timezone.as_ref(),
        now: default_now,
        cross_references: &none,
        base_dir,
    };
    let evaluate = |entry: &TestEntry, context: &CallContext| {
        eval_expression(&entry.value, functions, context).map_err(|e| {
            TestFailure::new(format!(
                "`{}` could not be evaluated: {}",
                entry.key.name,
                render_error(&e)
            ))
        })
    };
    if let Some(now) = entry(test, "now") {
        let text = evaluate(now, &context)?;
        context.now = text.as_str().and_then(|t| t.parse().ok()).ok_or_else(|| {
            TestFailure::new("`now` must be an RFC 3339 timestamp such as \"2026-01-01T00:00:00Z\"")
        })?;
    }
    let xrefs = match entry(test, "xrefs") {
        Some(xrefs) => cross_references(&evaluate(xrefs, &context)?)?,
        None => MapCrossReferences::default(),
    };
    context.cross_references = &xrefs;
    let Some(input) = entry(test, "input") else {
        return Err(TestFailure::new("the test has no `input`"));
    };
    let input = evaluate(input, &context)?;
    if !matches!(input, Value::Object(_)) {
        return Err(TestFailure::new(format!(
            "the test input must be an object, found {}",
            input.kind()
        )));
    }
    let env = RunEnv {
        now: context.now,
        cross_references: &xrefs,
    };
    let outcome = compiled.run(&input, &env);
    if let Some(skip) = entry(test, "expect_skip") {
        let text = evaluate(skip, &context)?;
        let text = text.as_str().unwrap_or_default();
        return match &outcome {
            Outcome::Skipped(reason) if reason.contains(text) => Ok(()),
            Outcome::Skipped(reason) => Err(TestFailure::new(format!(
                "expected a skip mentioning \"{text}\", but the reason was: {reason}"
            ))),
            other => Err(unexpected("a skip", other)),
        };
    }
    if let Some(error) = entry(test, "expect_error") {
        let text = evaluate(error, &context)?;
        let text = text.as_str().unwrap_or_default();
        return match &outcome {
            Outcome::Failed(e) if e.message.contains(text) || e.code.as_str() == text => Ok(()),
            Outcome::Failed(e) => Err(TestFailure::new(format!(
                "expected an error mentioning \"{text}\", but the error was: {e}"
            ))),
            other => Err(unexpected("an error", other)),
        };
    }
    let Outcome::Mapped(actual) = &outcome else {
        return Err(unexpected("a mapped record", &outcome));
    };
    match entry(test, "expect") {
        Some(expect) => match evaluate(expect, &context)? {
            Value::Object(expected) => compare(&expected, actual),
            other => Err(TestFailure::new(format!(
                "`expect` must be an object, found {}",
                other.kind()
            ))),
        },
        None => Ok(()),
    }
}

fn cross_references(value: &Value) -> Result<MapCrossReferences, TestFailure> {
    let shape = || {
        TestFailure::new(
            "`xrefs` must look like { \"stripe.customers\": { \"cus_1\": \"C0001\" } }",
        )
    };
    let Value::Object(collections) = value else {
        return Err(shape());
    };
    let mut xrefs = MapCrossReferences::default();
    for (collection, ids) in collections.iter() {
        let Value::Object(ids) = ids else {
            return Err(shape());
        };
        let ids = ids
            .iter()
            .map(|(k, v)| text_form(v).map(|v| (k.clone(), v)).ok_or_else(shape))
            .collect::<Result<_, _>>()?;
        xrefs.0.insert(collection.clone(), ids);
    }
    Ok(xrefs)
}

fn unexpected(wanted: &str, outcome: &Outcome) -> TestFailure {
    let actual = match outcome {
        Outcome::Mapped(value) => {
            let mut text = Vec::new();
            super::json::write_record(value, &mut text);
            format!(
                "the record was mapped to {}",
                String::from_utf8_lossy(&text)
            )
        }
        Outcome::Filtered => "the record was filtered out by a `where`".to_string(),
        Outcome::Skipped(reason) => format!("the record was skipped: {reason}"),
        Outcome::Failed(e) => format!("the record failed with {e}"),
    };
    TestFailure::new(format!("expected {wanted}, but {actual}"))
}

/// The listed fields, compared; on a mismatch, a diff of the listed fields.
fn compare(expected: &Map, actual: &Value) -> Result<(), TestFailure> {
    let mut wrong = Vec::new();
    let mut expected_shown = Map::new();
    let mut actual_shown = Map::new();
    for (key, want) in expected.iter() {
        let got = actual.get(key);
        let present = !matches!(got, Value::Missing | Value::Omit);
        let ok = match want {
            Value::Omit => !present,
            want => present && equal(want, &got),
        };
        if !ok {
            wrong.push(key.as_str());
        }
        if !matches!(want, Value::Omit) {
            expected_shown.insert(key.clone(), want.clone());
        }
        if present {
            actual_shown.insert(key.clone(), got);
        }
    }
    if wrong.is_empty() {
        return Ok(());
    }
    let pretty = |map: Map| {
        serde_json::to_string_pretty(&to_json(&Value::object(map))).unwrap_or_default() + "\n"
    };
    let (before, after) = (pretty(expected_shown), pretty(actual_shown));
    let diff = similar::TextDiff::from_lines(&before, &after)
        .unified_diff()
        .context_radius(3)
        .header("expected", "actual")
        .to_string();
    Err(TestFailure {
        message: format!("fields differ: {}", wrong.join(", ")),
        diff: Some(diff),
    })
}
