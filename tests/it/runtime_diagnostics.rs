//! Golden tests of run-time diagnostics: one record failing in each way, rendered against the
//! pipeline source exactly as `ferry map` and the dead-letter queue report them.

use std::path::Path;

use ferry::diagnostics::render;
use ferry::lang::{Outcome, RunEnv, parse_record};
use ferry::program::Program;
use ferry::value::NoCrossReferences;

fn failure(pipeline: &str, record: &str) -> (String, String) {
    // Relative to the package root, Cargo's working directory for tests: the path the snapshot shows.
    let program = Program::load(Path::new("tests/runtime/record_failures.ferry"));
    assert!(!program.has_errors(), "{:?}", program.diagnostics);
    let compiled = program.compile(pipeline).unwrap();
    let record = parse_record(record.as_bytes()).unwrap();
    let env = RunEnv {
        now: "2026-01-01T00:00:00Z".parse().unwrap(),
        cross_references: &NoCrossReferences,
        related: &ferry::value::NoRelated,
    };
    let Outcome::Failed(error) = compiled.run(&record, &env) else {
        panic!("{pipeline} did not fail on {record:?}");
    };
    (
        error.code.as_str().to_string(),
        render::to_terminal(&error.to_diagnostic(), &program.sources, false),
    )
}

fn check(pipeline: &str, record: &str, code: &str) {
    let (got, rendered) = failure(pipeline, record);
    assert_eq!(got, code, "{rendered}");
    insta::assert_snapshot!(format!("runtime_{code}_{pipeline}"), rendered);
}

#[test]
fn e0700_record_failed() {
    check("record_failed", r#"{"customer": "cus_1"}"#, "E0700");
}

#[test]
fn e0701_unexpected_value() {
    check(
        "runtime_type",
        r#"{"quantity": "three", "unit_price": 12.50}"#,
        "E0701",
    );
}

#[test]
fn e0702_lookup_missed() {
    check("lookup_missed", r#"{"state": "TAS"}"#, "E0702");
}

#[test]
fn e0703_field_missing() {
    check("missing_field", r#"{"id": 7}"#, "E0703");
}

#[test]
fn e0704_arithmetic() {
    check(
        "arithmetic_error",
        r#"{"total": 12.50, "quantity": 0}"#,
        "E0704",
    );
}

#[test]
fn e0705_function_failed() {
    check("function_failed", r#"{"placed_at": "31/12/2025"}"#, "E0705");
}

#[test]
fn e0708_assertion_failed() {
    check(
        "assertion_failed",
        r#"{"id": "J1", "lines": [{"amount": 12.50}, {"amount": -12.49}]}"#,
        "E0708",
    );
}

#[test]
fn e0706_invalid_input() {
    let error = parse_record(b"{\"id\": 7,").unwrap_err();
    insta::assert_snapshot!("runtime_E0706_parse", error.to_string());
    assert!(
        parse_record(b"[1, 2]")
            .unwrap_err()
            .to_string()
            .contains("expected a JSON object")
    );
}
