//! Parsing only the paths a pipeline reads gives exactly the outcome of parsing whole records.

use std::path::Path;

use ferry::lang::from_json_projected;
use ferry::lang::{MapCrossReferences, Projection, RunEnv, parse_record, parse_record_projected};
use ferry::program::Program;
use ferry::value::NoCrossReferences;
use ferry::value::json::from_json;
use proptest::prelude::*;

fn programs() -> Vec<Program> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "ferry"))
        .collect();
    files.sort();
    files.iter().map(|f| Program::load(f)).collect()
}

fn fixtures() -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines/fixtures");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    // Input records only: lists are what `fetched = { ... }` gives a test.
    files
        .iter()
        .map(|f| std::fs::read(f).unwrap())
        .filter(|bytes| bytes.trim_ascii_start().starts_with(b"{"))
        .collect()
}

#[test]
fn the_charges_pipeline_reads_only_what_it_maps() {
    let program = Program::load(Path::new(
        "pipelines/stripe_charges_to_business_central.ferry",
    ));
    let projection = program
        .compile("stripe_charges_to_business_central")
        .unwrap()
        .projection();
    assert!(!projection.all);
    let object = projection.field("data").unwrap().field("object").unwrap();
    let mut read: Vec<&str> = object.fields.iter().map(|(k, _)| k.as_str()).collect();
    read.sort();
    assert_eq!(
        read,
        [
            "amount",
            "created",
            "currency",
            "customer",
            "description",
            "id",
            "payment_method_details"
        ]
    );
    assert!(projection.field("type").unwrap().all);
}

/// Maps every fixture with every pipeline, whole and through the pipeline's projection, as
/// `input` reads them, and asserts that both give the same outcome.
fn assert_projection_changes_nothing<Input>(input: impl Fn(&[u8], Option<&Projection>) -> Input)
where
    Input: std::ops::Deref<Target = ferry::value::Value>,
{
    let xrefs = MapCrossReferences::from_value(
        &parse_record(br#"{"business_central.customers": {"cus_QXg1o8vcGmoR32": "C1"}, "syspro.customers": {"cus_QXg1o8vcGmoR32": "S1"}}"#).unwrap(),
    )
    .unwrap();
    let env = RunEnv {
        now: "2026-01-01T00:00:00Z".parse().unwrap(),
        cross_references: &xrefs,
        related: &ferry::value::NoRelated,
    };
    let mut compared = 0;
    for program in programs() {
        for name in program.pipeline_names() {
            let compiled = program.compile(&name).unwrap();
            let projection = compiled.projection();
            for bytes in fixtures() {
                let whole = compiled.run(&input(&bytes, None), &env);
                let projected = compiled.run(&input(&bytes, Some(&projection)), &env);
                assert_eq!(whole, projected, "{name}");
                compared += 1;
            }
        }
    }
    assert!(compared >= 50, "{compared}");
}

#[test]
fn projected_and_whole_records_map_the_same() {
    assert_projection_changes_nothing(|bytes, projection| {
        Box::new(match projection {
            None => parse_record(bytes).unwrap(),
            Some(projection) => parse_record_projected(bytes, projection).unwrap(),
        })
    });
}

#[test]
fn projected_and_whole_json_values_map_the_same() {
    assert_projection_changes_nothing(|bytes, projection| {
        let json: serde_json::Value = serde_json::from_slice(bytes).unwrap();
        Box::new(match projection {
            None => from_json(&json),
            Some(projection) => from_json_projected(&json, projection),
        })
    });
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Odd records (fields removed, types changed) still give the same outcome either way.
    #[test]
    fn odd_records_map_the_same(cut in 0usize..3000, replacement in prop_oneof![Just("null"), Just("\"x\""), Just("[1]"), Just("{}"), Just("12.5")]) {
        let pipelines = Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines");
        let program = Program::load(&pipelines.join("stripe_charges_to_business_central.ferry"));
        let compiled = program.compile("stripe_charges_to_business_central").unwrap();
        let projection = compiled.projection();
        let text = std::fs::read_to_string(pipelines.join("fixtures/charge_succeeded.json")).unwrap();
        // Replace the value after the n-th colon with something else.
        let colons: Vec<usize> = text.match_indices(':').map(|(i, _)| i).collect();
        let at = colons[cut % colons.len()] + 1;
        let end = text[at..].find([',', '\n']).map_or(text.len(), |e| at + e);
        let odd = format!("{}{}{}", &text[..at], replacement, &text[end..]);
        let env = RunEnv { now: "2026-01-01T00:00:00Z".parse().unwrap(), cross_references: &NoCrossReferences, related: &ferry::value::NoRelated };
        if let Ok(whole) = parse_record(odd.as_bytes()) {
            let projected = parse_record_projected(odd.as_bytes(), &projection).unwrap();
            prop_assert_eq!(compiled.run(&whole, &env), compiled.run(&projected, &env));
        }
    }
}
