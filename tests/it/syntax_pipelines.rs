//! Every shipped pipeline parses, and the parse keeps spans that point at the right text.

use std::path::Path;

use ferry::diagnostics::{FileId, SourceMap};
use ferry::syntax::ast::{ExprKind, Item, PipelineItem};

#[test]
fn every_shipped_pipeline_parses() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines");
    let mut count = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "ferry") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        if let Err(d) = ferry::syntax::parse_module(FileId(0), &text) {
            let mut sources = SourceMap::default();
            sources.add(&path, text.as_str());
            panic!(
                "{}",
                ferry::diagnostics::render::to_terminal(&d, &sources, false)
            );
        }
        count += 1;
    }
    assert!(count >= 7, "only {count} pipelines");
}

#[test]
fn spans_point_at_their_text() {
    let text = "pipeline p {\n  let charge = .data.object\n  map to stripe.customer { email = charge?.email ?? \"x\" }\n}\n";
    let module = ferry::syntax::parse_module(FileId(0), text).unwrap();
    let Item::Pipeline(pipeline) = &module.items[0] else {
        panic!()
    };
    let PipelineItem::Let(binding) = &pipeline.items[0] else {
        panic!()
    };
    assert_eq!(&text[binding.value.span.range()], ".data.object");
    let PipelineItem::Map(map) = &pipeline.items[1] else {
        panic!()
    };
    let value = &map.assignments[0].value;
    assert_eq!(&text[value.span.range()], "charge?.email ?? \"x\"");
    let ExprKind::Binary { lhs, .. } = &value.kind else {
        panic!()
    };
    let ExprKind::Field { optional, name, .. } = &lhs.kind else {
        panic!()
    };
    assert!(*optional);
    assert_eq!(name.name, "email");
}
