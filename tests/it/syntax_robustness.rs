//! Hostile input never panics or overflows: deep nesting, long operator runs, random text and
//! random byte mutations of real pipelines all end in a coded diagnostic or a module.

use std::time::{Duration, Instant};

use ferry::diagnostics::{Code, FileId, SourceMap};
use proptest::prelude::*;

const CONTACTS: &str = include_str!("../syntax_fixtures/contacts.ferry");
const CHARGES: &str = include_str!("../syntax_fixtures/charges.ferry");

fn code_of(text: &str) -> Option<Code> {
    ferry::syntax::parse_module(FileId(0), text)
        .err()
        .map(|d| d.code)
}

#[test]
fn ten_thousand_parentheses_are_refused_quickly() {
    let text = format!(
        "pipeline p {{ where {}1{} }}",
        "(".repeat(10_000),
        ")".repeat(10_000)
    );
    let started = Instant::now();
    let d = ferry::syntax::parse_module(FileId(0), &text).unwrap_err();
    assert_eq!(d.code, Code::NestingTooDeep);
    assert!(started.elapsed() < Duration::from_secs(2));
    // The label points at the first bracket past the limit.
    let span = d.primary_span().unwrap();
    assert_eq!(&text[span.range()], "(");
}

#[test]
fn deep_brackets_of_every_kind_are_refused() {
    for open in ["[", "{", "("] {
        let text = format!("pipeline p {{ where {} }}", open.repeat(5_000));
        assert_eq!(code_of(&text), Some(Code::NestingTooDeep), "{open}");
    }
}

#[test]
fn long_operator_runs_give_a_diagnostic_or_a_tree() {
    for text in [
        format!("pipeline p {{ where {}x }}", "!".repeat(20_000)),
        format!("pipeline p {{ where {}x }}", "-".repeat(20_000)),
        format!("pipeline p {{ where {} }}", vec!["a"; 20_000].join(" ?? ")),
        format!("pipeline p {{ where {} }}", vec!["1"; 20_000].join(" + ")),
        format!("pipeline p {{ where x{} }}", "!".repeat(20_000)),
        format!("pipeline p {{ where x{} }}", ".a".repeat(20_000)),
    ] {
        let result = std::thread::Builder::new()
            .stack_size(8 << 20)
            .spawn(move || ferry::syntax::parse_module(FileId(0), &text).map(|_| ()))
            .unwrap()
            .join();
        match result {
            Ok(Ok(())) => {}
            Ok(Err(d)) => assert!(d.code.as_str().starts_with("E01"), "{d:?}"),
            Err(_) => panic!("the parser panicked"),
        }
    }
}

#[test]
fn a_thousand_line_file_parses_whole() {
    // Speed is measured by bench/lint.sh, not by a timed test; this checks the parse is complete.
    let mut text = String::from("pipeline p {\n  map to stripe.customer {\n");
    for i in 0..1_000 {
        text.push_str(&format!(
            "    f{i} = first(.items)?.name ?? upper(\"x ${{.id}}\") + string({i})\n"
        ));
    }
    text.push_str("  }\n}\n");
    let module = ferry::syntax::parse_module(FileId(0), &text).unwrap();
    let ferry::syntax::ast::Item::Pipeline(pipeline) = &module.items[0] else {
        panic!("no pipeline")
    };
    let ferry::syntax::ast::PipelineItem::Map(map) = &pipeline.items[0] else {
        panic!("no map")
    };
    assert_eq!(map.assignments.len(), 1_000);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn random_text_never_panics(text in "[ -~\n\t]{0,200}") {
        let _ = ferry::syntax::parse_module(FileId(0), &text);
        let _ = ferry::syntax::parse_expression(FileId(0), &text);
    }

    #[test]
    fn token_soup_never_panics(tokens in prop::collection::vec(prop::sample::select(vec![
        "pipeline", "p", "{", "}", "(", ")", "[", "]", "map", "to", "x.y", "=", "==", "??", "!",
        "?.", ".", "\"s\"", "\"${", "1", "2.5", "5m", ",", "|", "=>", "if", "else", "match",
        "_", "lookup", "use", "fn", "->", "list<", ">", "//c\n", "\n", "-", "where", "let",
    ]), 0..60)) {
        let text = tokens.join(" ");
        let _ = ferry::syntax::parse_module(FileId(0), &text);
    }

    #[test]
    fn mutated_pipelines_never_panic(
        which in 0usize..2,
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
    ) {
        let mut bytes = [CONTACTS, CHARGES][which].as_bytes().to_vec();
        for (at, byte) in edits {
            let i = at.index(bytes.len());
            bytes[i] = byte;
        }
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let mut sources = SourceMap::default();
        let loaded = ferry::syntax::load_text(
            std::path::Path::new("/nonexistent/dir/p.ferry"),
            &text,
            &mut sources,
        );
        for d in &loaded.diagnostics {
            prop_assert!(d.code.as_str().starts_with('E'));
        }
    }
}
