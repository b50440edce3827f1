//! Every standard-library example runs: the call is parsed and evaluated, and its JSON result
//! (or its error message) compared with the spec.

use std::path::Path;

use ferry::diagnostics::FileId;
use ferry::functions::Registry;
use ferry::value::json;
use ferry::value::{CallContext, NoCrossReferences};

#[test]
fn every_function_has_examples_and_every_example_holds() {
    let registry = Registry::standard();
    let timezone = jiff::tz::TimeZone::get("Australia/Sydney").unwrap();
    let base_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let context = CallContext {
        timezone: Some(&timezone),
        now: "2026-01-01T00:00:00Z".parse().unwrap(),
        cross_references: &NoCrossReferences,
        related: &ferry::value::NoRelated,
        base_dir: &base_dir,
    };
    let mut failures = Vec::new();
    let mut count = 0;
    for spec in registry.specs() {
        if spec.examples.is_empty() {
            failures.push(format!("{} has no examples", spec.signature.name));
        }
        for example in spec.examples {
            count += 1;
            let expr = match ferry::syntax::parse_expression(FileId(0), example.call) {
                Ok(expr) => expr,
                Err(d) => {
                    failures.push(format!("{}: does not parse: {}", example.call, d.message));
                    continue;
                }
            };
            let actual = ferry::lang::eval_expression(&expr, registry, &context);
            let verdict = match (&actual, example.result) {
                (Ok(value), Ok(expected)) => {
                    let expected: serde_json::Value = serde_json::from_str(expected)
                        .unwrap_or_else(|e| {
                            panic!("{}: expected result is not JSON: {e}", example.call)
                        });
                    let actual = json::to_json(value);
                    (actual == expected)
                        .then_some(())
                        .ok_or(format!("gave {actual}, expected {expected}"))
                }
                (Err(error), Err(prefix)) => {
                    let message = error.to_string();
                    message
                        .starts_with(prefix)
                        .then_some(())
                        .ok_or(format!("failed with `{message}`, expected `{prefix}...`"))
                }
                (Ok(value), Err(prefix)) => Err(format!(
                    "gave {}, expected an error `{prefix}...`",
                    json::to_json(value)
                )),
                (Err(error), Ok(expected)) => {
                    Err(format!("failed with `{error}`, expected {expected}"))
                }
            };
            if let Err(why) = verdict {
                failures.push(format!("{}: {why}", example.call));
            }
        }
    }
    assert!(count > 100, "only {count} examples");
    assert!(
        failures.is_empty(),
        "{} of {count} examples fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
