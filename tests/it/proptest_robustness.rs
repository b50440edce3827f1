//! Random and mutated input never panics the parser, the checker or the evaluator. The parser
//! and checker also go through the `parse_check` fuzz target's property (every diagnostic
//! rendered, a program without errors compiled).

use crate::properties;

use std::path::Path;

use ferry::check::{Environment, check};
use ferry::diagnostics::SourceMap;
use ferry::functions::Registry;
use ferry::lang::{RunEnv, parse_record};
use ferry::program::Program;
use ferry::value::NoCrossReferences;
use proptest::prelude::*;

const TOKENS: &[&str] = &[
    "pipeline",
    "source",
    "map",
    "to",
    "sink",
    "match",
    "on",
    "where",
    "let",
    "lookup",
    "fn",
    "use",
    "test",
    "if",
    "else",
    "omit",
    "null",
    "true",
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    ".",
    "?.",
    "??",
    "!",
    "=",
    "==",
    "=>",
    ",",
    ":",
    "|",
    "+",
    "-",
    "*",
    "/",
    "\"",
    "\"${",
    "5m",
    "12.50",
    "42",
    "stripe.customers",
    "capsule.parties",
    ".email",
    "\n",
    " ",
    "//",
    "cents_to_decimal(",
    "xref(",
    "json(\"x.json\")",
    "\\",
    "€",
];

fn pipeline_texts() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines");
    let mut texts: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "ferry"))
        .map(|p| {
            (
                p.display().to_string(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    texts.sort();
    texts
}

fn parse_and_check(path: &str, text: &str) {
    let mut sources = SourceMap::default();
    let loaded = ferry::syntax::load_text(Path::new(path), text, &mut sources);
    if !loaded.modules.is_empty() {
        let env = Environment {
            schemas: ferry::connectors::schemas(),
            functions: Registry::standard(),
        };
        let _ = check(&loaded.modules, &sources, &env);
    }
    properties::parse_check::never_panics(text);
}

#[derive(Debug, Clone)]
enum Edit {
    Delete(usize, usize),
    Insert(usize, usize),
    Duplicate(usize, usize),
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for edit in edits {
        let len = bytes.len().max(1);
        match *edit {
            Edit::Delete(at, n) => {
                let at = at % len;
                let end = (at + n % 40).min(bytes.len());
                bytes.drain(at.min(bytes.len())..end);
            }
            Edit::Insert(at, token) => {
                let at = (at % len).min(bytes.len());
                let token = TOKENS[token % TOKENS.len()].as_bytes();
                bytes.splice(at..at, token.iter().copied());
            }
            Edit::Duplicate(at, n) => {
                let at = (at % len).min(bytes.len());
                let end = (at + n % 80).min(bytes.len());
                let copy = bytes[at..end].to_vec();
                bytes.splice(at..at, copy);
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), any::<usize>()).prop_map(|(a, n)| Edit::Delete(a, n)),
        (any::<usize>(), any::<usize>()).prop_map(|(a, t)| Edit::Insert(a, t)),
        (any::<usize>(), any::<usize>()).prop_map(|(a, n)| Edit::Duplicate(a, n)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn random_text_never_panics(text in "\\PC{0,300}") {
        parse_and_check("random.ferry", &text);
    }

    #[test]
    fn random_token_soup_never_panics(tokens in prop::collection::vec(0..TOKENS.len(), 0..120)) {
        let text: String = tokens.iter().map(|&t| TOKENS[t]).collect::<Vec<_>>().join(" ");
        parse_and_check("soup.ferry", &text);
    }

    #[test]
    fn mutated_pipelines_never_panic(which in any::<usize>(), edits in prop::collection::vec(edit(), 1..6)) {
        let texts = pipeline_texts();
        let (path, text) = &texts[which % texts.len()];
        parse_and_check(path, &apply(text, &edits));
    }

    #[test]
    fn random_bytes_are_never_a_record_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let _ = parse_record(&bytes);
    }

    #[test]
    fn integers_and_decimals_round_trip_exactly(int in any::<i64>(), units in any::<i64>(), scale in 0u32..12) {
        let decimal = rust_decimal::Decimal::new(units, scale);
        let text = format!("{{\"i\":{int},\"d\":{decimal}}}");
        let value = parse_record(text.as_bytes()).unwrap();
        let mut out = Vec::new();
        ferry::lang::write_record(&value, &mut out);
        prop_assert_eq!(String::from_utf8(out).unwrap(), text);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Any JSON record (however unlike a Stripe event) gives an outcome, never a panic.
    #[test]
    fn mapping_odd_records_never_panics(edits in prop::collection::vec(edit(), 0..8)) {
        let pipelines = Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines");
        let program = Program::load(&pipelines.join("stripe_charges_to_business_central.ferry"));
        let compiled = program.compile("stripe_charges_to_business_central").unwrap();
        let fixture = std::fs::read_to_string(pipelines.join("fixtures/charge_succeeded.json")).unwrap();
        let env = RunEnv { now: "2026-01-01T00:00:00Z".parse().unwrap(), cross_references: &NoCrossReferences, related: &ferry::value::NoRelated };
        if let Ok(record) = parse_record(apply(&fixture, &edits).as_bytes()) {
            let _ = compiled.run(&record, &env);
        }
    }
}
