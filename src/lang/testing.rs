//! `test` blocks: run the input through the pipeline and compare with the expectation.

use std::collections::HashMap;
use std::path::Path;

use super::compile::CompiledPipeline;
use super::ops;
use super::outcome::{Outcome, RunEnv};
use crate::check::SchemaRegistry;
use crate::diagnostics::Span;
use crate::functions::Registry;
use crate::syntax::ast::TestBlock;
use crate::value::{
    CallContext, CrossReferences, FetchedByKey, Map, NoCrossReferences, NoRelated, Value, json,
};

/// Tests run on this clock unless they set `now`.
pub const DEFAULT_NOW: &str = "2026-01-01T00:00:00Z";

pub struct TestReport {
    pub name: String,
    pub span: Span,
    pub result: Result<(), TestFailure>,
}

#[derive(Debug)]
pub struct TestFailure(pub String);

impl std::fmt::Display for TestFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Cross references given by a test's `xrefs`: `{ "collection": { "source id": link } }`, where a
/// link is the target id as text, or an object of the target record's keys with its id:
/// `{ id: "6b1c...", number: "C00010" }`. The checker (E0515) makes sure they look like what
/// the store would hold.
#[derive(Default)]
pub struct MapCrossReferences(pub HashMap<String, HashMap<String, TestLink>>);

/// One link of a test: the target id, and the record's other keys by name.
#[derive(Default, Clone)]
pub struct TestLink {
    pub id: Option<String>,
    pub keys: HashMap<String, String>,
}

impl TestLink {
    /// A link known by its target id alone.
    pub fn id(id: impl Into<String>) -> Self {
        TestLink {
            id: Some(id.into()),
            keys: HashMap::new(),
        }
    }
}

impl CrossReferences for MapCrossReferences {
    fn target_id(&self, collection: &str, source_id: &str) -> Option<String> {
        self.0.get(collection)?.get(source_id)?.id.clone()
    }

    fn target_key(&self, collection: &str, key: &str, source_id: &str) -> Option<String> {
        self.0
            .get(collection)?
            .get(source_id)?
            .keys
            .get(key)
            .cloned()
    }
}

impl MapCrossReferences {
    pub fn from_value(value: &Value) -> Result<Self, String> {
        let mut all = HashMap::new();
        let Value::Object(collections) = value else {
            return Err("`xrefs` must be an object of collections".into());
        };
        for (collection, ids) in collections.iter() {
            let Value::Object(ids) = ids else {
                return Err(format!("`xrefs.{collection}` must be an object of ids"));
            };
            let mut map = HashMap::new();
            for (source, target) in ids.iter() {
                let link = match target {
                    Value::String(id) => TestLink {
                        id: Some(id.to_string()),
                        keys: HashMap::new(),
                    },
                    Value::Object(keys) => {
                        let mut link = TestLink::default();
                        for (name, value) in keys.iter() {
                            let value = value.as_str().ok_or_else(|| {
                                format!("`xrefs.{collection}.{source}.{name}` must be a string")
                            })?;
                            if name == "id" {
                                link.id = Some(value.to_string());
                            }
                            link.keys.insert(name.clone(), value.to_string());
                        }
                        link
                    }
                    _ => {
                        return Err(format!(
                            "`xrefs.{collection}.{source}` must be the target id, or an object of its keys"
                        ));
                    }
                };
                map.insert(source.clone(), link);
            }
            all.insert(collection.clone(), map);
        }
        Ok(MapCrossReferences(all))
    }
}

/// Runs one test block; `schemas` are what its `fetched` answers are checked against.
pub fn run_test(
    compiled: &CompiledPipeline,
    test: &TestBlock,
    functions: &'static Registry,
    base_dir: &Path,
    schemas: &SchemaRegistry,
) -> TestReport {
    TestReport {
        name: test.name.value.clone(),
        span: test.span,
        result: run(compiled, test, functions, base_dir, schemas).map_err(TestFailure),
    }
}

fn run(
    compiled: &CompiledPipeline,
    test: &TestBlock,
    functions: &'static Registry,
    base_dir: &Path,
    schemas: &SchemaRegistry,
) -> Result<(), String> {
    let context = CallContext {
        timezone: compiled.timezone.as_ref(),
        now: DEFAULT_NOW.parse().map_err(|e| format!("{e}"))?,
        cross_references: &NoCrossReferences,
        base_dir,
        related: &NoRelated,
    };
    let mut entries: HashMap<&str, Value> = HashMap::new();
    for entry in &test.entries {
        let value = super::eval_expression(&entry.value, functions, &context)
            .map_err(|e| format!("`{}` cannot be evaluated: {e}", entry.key.name))?;
        entries.insert(entry.key.name.as_str(), value);
    }
    let input = entries.remove("input").ok_or("the test has no `input`")?;
    let now = match entries.get("now") {
        Some(Value::String(text)) => text
            .parse()
            .map_err(|e| format!("`now` is not an RFC 3339 timestamp: {e}"))?,
        Some(Value::Timestamp(t)) => *t,
        Some(other) => return Err(format!("`now` must be a string, got {}", other.kind())),
        None => context.now,
    };
    let cross_references = match entries.get("xrefs") {
        Some(value) => MapCrossReferences::from_value(value)?,
        None => MapCrossReferences::default(),
    };
    let related = match entries.get("fetched") {
        Some(value) => {
            super::fetched_shape::check_fetched(value, schemas)?;
            fetched_by_key(value)?
        }
        None => FetchedByKey::default(),
    };
    let env = RunEnv {
        now,
        cross_references: &cross_references,
        related: &related,
    };
    let outcome = if compiled.steps.iter().any(|step| step.name.is_some()) {
        every_step(compiled, &input, &env)
    } else {
        compiled.run(&input, &env)
    };
    if let Some(expected) = entries.get("expect") {
        return match outcome {
            Outcome::Mapped(actual) => compare(expected, &actual),
            other => Err(format!(
                "expected a mapped record, but {}",
                describe(&other)
            )),
        };
    }
    if let Some(expected) = entries.get("expect_skip") {
        let text = expected.as_str().unwrap_or_default();
        return match outcome {
            Outcome::Skipped(reason) if reason.contains(text) => Ok(()),
            other => Err(format!(
                "expected the record to be skipped with \"{text}\", but {}",
                describe(&other)
            )),
        };
    }
    if let Some(expected) = entries.get("expect_error") {
        let text = expected.as_str().unwrap_or_default();
        return match outcome {
            Outcome::Failed(error) if error.message.contains(text) => Ok(()),
            other => Err(format!(
                "expected the record to fail with \"{text}\", but {}",
                describe(&other)
            )),
        };
    }
    if let Some(expected) = entries.get("expect_filtered") {
        let filtered = matches!(outcome, Outcome::Filtered);
        return match (expected, filtered) {
            (Value::Bool(true), true) | (Value::Bool(false), false) => Ok(()),
            (Value::Bool(true), false) => Err(format!(
                "expected the source's `where` to leave the record out, but {}",
                describe(&outcome)
            )),
            (Value::Bool(false), true) => {
                Err("expected the record to pass the source's `where`, but it was left out".into())
            }
            (other, _) => Err(format!(
                "`expect_filtered` must be true or false, got {}",
                other.kind()
            )),
        };
    }
    Err("the test has no `expect`, `expect_skip`, `expect_error` or `expect_filtered`".into())
}

fn describe(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Mapped(value) => format!("it was mapped to {}", json::to_json(value)),
        Outcome::Filtered => "a `where` filtered it out".into(),
        Outcome::Skipped(reason) => format!("it was skipped: {reason}"),
        Outcome::Failed(error) => format!("it failed with {}: {}", error.code, error.message),
        Outcome::NeedsFetch(request) => format!(
            "it needs `{request}` from the API; give it in `fetched = {{ \"{request}\": ... }}`"
        ),
    }
}

/// Maps every step; the first outcome that is not a mapped record, or an object of each step's
/// record keyed by step name (which `expect = { step: { ... } }` compares).
fn every_step(compiled: &CompiledPipeline, input: &Value, env: &RunEnv) -> Outcome {
    let mut written = Map::new();
    for (index, step) in compiled.steps.iter().enumerate() {
        match compiled.run_step(index, input, env) {
            Outcome::Mapped(value) => {
                written.insert(step.name.clone().unwrap_or_default(), value);
            }
            other => return other,
        }
    }
    Outcome::Mapped(Value::object(written))
}

/// `fetched = { "stripe.customers/cus_1": { ... }, "stripe.refunds?charge=ch_1": [ ... ] }`;
/// null stands for an object the API does not have.
fn fetched_by_key(value: &Value) -> Result<FetchedByKey, String> {
    let Value::Object(entries) = value else {
        return Err(format!(
            "`fetched` must be an object keyed by what is fetched, got {}",
            value.kind()
        ));
    };
    Ok(FetchedByKey(
        entries
            .iter()
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect(),
    ))
}

/// Listed fields must match (at any depth); `omit` means absent; numbers compare by value.
fn compare(expected: &Value, actual: &Value) -> Result<(), String> {
    if matches_subset(expected, actual) {
        return Ok(());
    }
    let want = pretty(&json::to_json(&mark_omitted(expected)));
    let got = pretty(&json::to_json(&restrict(expected, actual)));
    let diff = similar::TextDiff::from_lines(&want, &got);
    let mut text = String::from("the mapped record differs (- expected, + actual):\n");
    for change in diff.iter_all_changes() {
        let sign = match change.tag() {
            similar::ChangeTag::Delete => "-",
            similar::ChangeTag::Insert => "+",
            similar::ChangeTag::Equal => " ",
        };
        text.push_str(&format!("{sign} {change}"));
    }
    Err(text)
}

fn matches_subset(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::Object(want), Value::Object(got)) => {
            want.iter().all(|(key, w)| match (w, got.get(key)) {
                (Value::Omit, None | Some(Value::Omit)) => true,
                (_, Some(g)) => matches_subset(w, g),
                _ => false,
            })
        }
        (Value::List(want), Value::List(got)) => {
            want.len() == got.len()
                && want
                    .iter()
                    .zip(got.iter())
                    .all(|(w, g)| matches_subset(w, g))
        }
        (Value::String(w), Value::Date(_) | Value::Timestamp(_)) => {
            crate::functions::text_form(actual).as_deref() == Some(&**w)
        }
        _ => ops::equal(expected, actual),
    }
}

/// The actual record cut down to the expected fields, so the diff shows only what was checked.
fn restrict(expected: &Value, actual: &Value) -> Value {
    match (expected, actual) {
        (Value::Object(want), Value::Object(got)) => {
            let mut map = Map::new();
            for (key, w) in want.iter() {
                match got.get(key) {
                    Some(g) => map.insert(key.clone(), restrict(w, g)),
                    None => map.insert(key.clone(), Value::string("<absent>")),
                };
            }
            Value::object(map)
        }
        (Value::List(want), Value::List(got)) => Value::list(
            got.iter()
                .enumerate()
                .map(|(i, g)| want.get(i).map_or_else(|| g.clone(), |w| restrict(w, g)))
                .collect(),
        ),
        _ => actual.clone(),
    }
}

fn mark_omitted(expected: &Value) -> Value {
    match expected {
        Value::Omit => Value::string("<absent>"),
        Value::Object(map) => Value::object(
            map.iter()
                .map(|(k, v)| (k.clone(), mark_omitted(v)))
                .collect(),
        ),
        Value::List(items) => Value::list(items.iter().map(mark_omitted).collect()),
        other => other.clone(),
    }
}

fn pretty(json: &serde_json::Value) -> String {
    let mut text = serde_json::to_string_pretty(json).unwrap_or_default();
    text.push('\n');
    text
}
