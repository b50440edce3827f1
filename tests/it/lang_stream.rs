//! Batches are mapped in parallel but written, and reported, in input order.

use std::path::Path;

use ferry::lang::stream::{LineReport, map_lines};
use ferry::lang::{MapCrossReferences, RunEnv};
use ferry::program::Program;

#[test]
fn output_and_reports_keep_input_order_across_batches() {
    let program = Program::load(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines/pronto_products_to_stripe.ferry"),
    );
    let compiled = program
        .compile("pronto_products_to_stripe_products")
        .unwrap();
    let mut input = String::new();
    for i in 0..5_000 {
        if i % 7 == 3 {
            input.push_str("{not json\n");
        } else {
            input.push_str(&format!(
                "{{\"code\": \"I{i:05}\", \"description\": \"Item {i}\"}}\n"
            ));
        }
    }
    let env = RunEnv {
        now: "2026-01-01T00:00:00Z".parse().unwrap(),
        cross_references: &MapCrossReferences::default(),
        related: &ferry::value::NoRelated,
    };
    let mut output = Vec::new();
    let mut bad_lines = Vec::new();
    let counts = map_lines(
        &compiled,
        &env,
        input.as_bytes(),
        &mut output,
        &mut |report| {
            if let LineReport::InvalidJson { line, .. } = report {
                bad_lines.push(line);
            }
        },
    )
    .unwrap();
    let expected_bad: Vec<u64> = (0..5_000u64)
        .filter(|i| i % 7 == 3)
        .map(|i| i + 1)
        .collect();
    assert_eq!(bad_lines, expected_bad);
    assert_eq!(counts.failed as usize, expected_bad.len());
    assert_eq!(counts.mapped as usize, 5_000 - expected_bad.len());
    let codes: Vec<String> = String::from_utf8(output)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["metadata"]["pronto_item_code"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let expected: Vec<String> = (0..5_000)
        .filter(|i| i % 7 != 3)
        .map(|i| format!("I{i:05}"))
        .collect();
    assert_eq!(codes, expected);
}
