//! More checker tests: functions, lookup files, sinks, arguments, and robustness.

use crate::check_common;

use check_common::*;
use ferry::syntax::ast::{BinaryOp, Item, PipelineItem, TypeExpr, TypeExprKind};

#[test]
fn user_functions_are_typed_and_linted() {
    let m = module(vec![
        function(
            "full",
            vec![("a", named("string"))],
            Some(named("string")),
            var("a"),
        ),
        function("unused_fn", vec![], None, s("x")),
        function("_quiet", vec![], None, s("x")),
        function(
            "bad",
            vec![("a", named("strng"))],
            Some(named("int")),
            s("x"),
        ),
        pipeline(vec![
            source("stripe.charges", vec![]),
            map_to(
                "stripe.customer",
                vec![
                    assign("name", call("full", vec![rf("id")])),
                    assign("metadata.a", string_of(call("bad", vec![int(1)]))),
                ],
            ),
            sink("stripe.customers", vec![]),
            a_test(),
        ]),
    ]);
    assert_eq!(codes(&[m]), sorted(&["W0003", "E0200", "E0300"]));
}

fn string_of(e: ferry::syntax::ast::Expr) -> ferry::syntax::ast::Expr {
    call("string", vec![e])
}

#[test]
fn functions_from_imports_are_in_scope_and_duplicates_reported() {
    let root = module(vec![pipeline(vec![
        source("stripe.charges", vec![]),
        map_to(
            "stripe.customer",
            vec![assign("name", call("helper", vec![]))],
        ),
        sink("stripe.customers", vec![]),
        a_test(),
    ])]);
    let mut import = module(vec![
        function("helper", vec![], None, s("x")),
        function("helper", vec![], None, s("y")),
        function("upper", vec![], None, s("y")),
    ]);
    import.file = ferry::diagnostics::FileId(0);
    assert_eq!(codes(&[root, import]), sorted(&["E0208", "E0208"]));
}

#[test]
fn a_fallible_function_body_makes_its_calls_fallible() {
    let m = module(vec![
        function(
            "parse",
            vec![("t", named("string"))],
            None,
            call("int", vec![var("t")]),
        ),
        pipeline(vec![
            source("stripe.charges", vec![]),
            map_to(
                "stripe.customer",
                vec![assign("balance", call("parse", vec![rf("id")]))],
            ),
            sink("stripe.customers", vec![]),
            a_test(),
        ]),
    ]);
    let checked = run(&[m]);
    let got: Vec<_> = checked
        .diagnostics
        .iter()
        .map(|d| d.code.as_str())
        .collect();
    assert_eq!(got, ["E0400"]);
    assert!(
        checked.diagnostics[0].notes[0].contains("inside `parse`"),
        "{:?}",
        checked.diagnostics[0]
    );
}

#[test]
fn recursive_functions_do_not_loop() {
    let m = module(vec![
        function(
            "again",
            vec![("n", named("int"))],
            Some(named("int")),
            call("again", vec![var("n")]),
        ),
        pipeline(vec![
            source("stripe.charges", vec![]),
            map_to(
                "stripe.customer",
                vec![assign("balance", call("again", vec![int(1)]))],
            ),
            sink("stripe.customers", vec![]),
            a_test(),
        ]),
    ]);
    assert!(codes(&[m]).is_empty());
}

#[test]
fn lookup_files_are_loaded_and_typed() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("owners.csv"),
        "user,email\nada,ada@example.com\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("bad.csv"), "user,email\nada,a\nada,b\n").unwrap();
    let m = module(vec![
        Item::Lookup(lookup_file(
            "owners",
            "owners.csv",
            Some("user"),
            Some("email"),
        )),
        pipeline(vec![
            source("stripe.charges", vec![]),
            PipelineItem::Lookup(lookup_file("missing", "missing.csv", Some("a"), Some("b"))),
            PipelineItem::Lookup(lookup_file(
                "broken",
                "bad.csv",
                Some("user"),
                Some("email"),
            )),
            map_to(
                "stripe.customer",
                vec![
                    assign("name", or(index(var("owners"), rf("id")), s("x"))),
                    assign("metadata.a", or(index(var("missing"), rf("id")), s("x"))),
                    assign("metadata.b", or(index(var("broken"), rf("id")), s("x"))),
                ],
            ),
            sink("stripe.customers", vec![]),
            a_test(),
        ]),
    ]);
    let checked = run_at(dir.path(), &[m]);
    let got: Vec<_> = checked
        .diagnostics
        .iter()
        .map(|d| d.code.as_str())
        .collect();
    assert_eq!(sorted(&got), ["E0209", "E0210"]);
    let lookups = &checked.pipelines[0].lookups;
    assert_eq!(lookups["owners"]["ada"], "ada@example.com");
}

#[test]
fn json_fixtures_are_found_relative_to_the_pipeline() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("charge.json"), "{}").unwrap();
    let m = customer_pipeline(
        vec![assign("name", call("json", vec![s("charge.json")]))],
        vec![test_block(vec![
            ("input", call("json", vec![s("charge.json")])),
            ("expect", obj(vec![("name", s("x"))])),
        ])],
    );
    let checked = run_at(dir.path(), &[m]);
    let got: Vec<_> = checked
        .diagnostics
        .iter()
        .map(|d| d.code.as_str())
        .collect();
    // json() outside a test block is not available.
    assert_eq!(got, ["E0202"]);
}

#[test]
fn unknown_sink_and_match_key_suggestions() {
    let m = module(vec![pipeline(vec![
        source("stripe.charges", vec![]),
        map_to(
            "stripe.customer",
            vec![assign("email", or(rf("customer"), omit()))],
        ),
        sink("stripe.custmers", vec![match_on(&["emial"])]),
        a_test(),
    ])]);
    let checked = run(&[m]);
    let helps: Vec<_> = checked
        .diagnostics
        .iter()
        .map(|d| (d.code.as_str(), d.help.clone().unwrap_or_default()))
        .collect();
    assert!(
        helps.contains(&("E0205", "did you mean `stripe.customers`?".into())),
        "{helps:?}"
    );
    assert!(
        helps.contains(&("E0505", "did you mean `email`?".into())),
        "{helps:?}"
    );
    assert_eq!(checked.pipelines[0].match_keys, ["emial"]);
}

#[test]
fn argument_types_null_minor_units_and_time_zones() {
    let m = customer_pipeline(
        vec![
            assign("name", call("upper", vec![rf("customer")])),
            assign("metadata.a", string_of(call("round", vec![rf("amount")]))),
            assign(
                "metadata.b",
                string_of(call_named(
                    "to_date",
                    vec![call("from_unix", vec![rf("created")])],
                    vec![("tz", s("Mars/Base"))],
                )),
            ),
            assign(
                "metadata.c",
                string_of(call_named(
                    "round",
                    vec![dec("1.5")],
                    vec![("places", int(1)), ("places", int(2))],
                )),
            ),
        ],
        vec![],
    );
    let checked = run(&[m]);
    let got: Vec<_> = checked
        .diagnostics
        .iter()
        .map(|d| d.code.as_str())
        .collect();
    assert_eq!(sorted(&got), sorted(&["E0401", "E0303", "E0214", "E0213"]));
    let minor = checked
        .diagnostics
        .iter()
        .find(|d| d.code.as_str() == "E0303")
        .unwrap();
    assert!(
        minor.help.as_deref().unwrap().contains("cents_to_decimal("),
        "{minor:?}"
    );
}

#[test]
fn pipeline_time_zone_satisfies_date_functions() {
    let date = call("to_date", vec![call("from_unix", vec![rf("created")])]);
    let m = module(vec![pipeline(vec![
        PipelineItem::Timezone(lit("Australia/Sydney")),
        source("stripe.charges", vec![]),
        map_to(
            "business_central.salesOrder",
            vec![
                assign("externalDocumentNumber", rf("id")),
                assign("orderDate", date),
            ],
        ),
        sink("business_central.salesOrders", vec![]),
        a_test(),
    ])]);
    let checked = run(&[m]);
    assert!(checked.diagnostics.is_empty(), "{:#?}", checked.diagnostics);
    assert!(checked.pipelines[0].timezone.is_some());
}

#[test]
fn wrong_sink_field_types() {
    let m = module(vec![pipeline(vec![
        source("stripe.charges", vec![]),
        map_to(
            "business_central.salesOrder",
            vec![
                assign("externalDocumentNumber", rf("created")),
                assign("orderDate", call("from_unix", vec![rf("created")])),
            ],
        ),
        sink("business_central.salesOrders", vec![]),
        a_test(),
    ])]);
    let checked = run(&[m]);
    let helps: Vec<_> = checked
        .diagnostics
        .iter()
        .map(|d| (d.code.as_str(), d.help.clone().unwrap_or_default()))
        .collect();
    assert_eq!(helps.len(), 2, "{helps:?}");
    assert!(helps.iter().all(|(c, _)| *c == "E0301"));
    assert!(helps.iter().any(|(_, h)| h.starts_with("use `to_date(")));
}

#[test]
fn where_filters_must_be_handled_and_boolean() {
    let m = customer_pipeline(
        vec![],
        vec![
            PipelineItem::Where(bin(BinaryOp::Gt, call("int", vec![rf("id")]), int(3))),
            PipelineItem::Where(bin(BinaryOp::Eq, rf("customer"), null())),
        ],
    );
    assert_eq!(codes(&[m]), ["E0400"]);
}

#[test]
fn let_may_not_use_a_later_let() {
    let m = customer_pipeline(
        vec![assign("name", var("a"))],
        vec![let_("a", var("b")), let_("b", rf("id"))],
    );
    let checked = run(&[m]);
    let d = checked
        .diagnostics
        .iter()
        .find(|d| d.code.as_str() == "E0200")
        .unwrap();
    assert!(d.message.contains("defined after"), "{d:?}");
}

#[test]
fn record_fields_named_without_a_dot_get_a_hint() {
    let m = customer_pipeline(vec![assign("name", var("currency"))], vec![]);
    let checked = run(&[m]);
    assert_eq!(
        checked.diagnostics[0].help.as_deref(),
        Some("fields of the record start with a dot: `.currency`")
    );
}

#[test]
fn match_on_booleans_needs_no_default() {
    let m = customer_pipeline(
        vec![assign(
            "name",
            match_(
                rf("paid"),
                vec![
                    (vec![ex(ferry::syntax::ast::ExprKind::Bool(true))], s("y")),
                    (vec![ex(ferry::syntax::ast::ExprKind::Bool(false))], s("n")),
                ],
            ),
        )],
        vec![],
    );
    assert!(codes(&[m]).is_empty());
}

#[test]
fn odd_trees_do_not_panic() {
    // Empty names, empty paths, closures everywhere, deep nesting, unknown types.
    let deep = (0..200).fold(int(1), |acc, _| bin(BinaryOp::Add, acc, var("")));
    let weird_type = TypeExpr {
        kind: TypeExprKind::List(Box::new(TypeExpr {
            kind: TypeExprKind::Optional(Box::new(named(""))),
            span: sp(),
        })),
        span: sp(),
    };
    let m = module(vec![
        function("", vec![("", weird_type)], None, closure("x", var("x"))),
        Item::Lookup(lookup_inline("", vec![])),
        pipeline(vec![
            source("", vec![on(&[""])]),
            source("a.b.c.d", vec![]),
            let_("", deep),
            map_to(
                "",
                vec![
                    ferry::syntax::ast::Assignment {
                        target: vec![],
                        value: omit(),
                        span: sp(),
                    },
                    assign("", closure("y", omit())),
                ],
            ),
            sink(
                "",
                vec![
                    match_on(&[""]),
                    ferry::syntax::ast::SinkOption::CrossReference {
                        source: qn(""),
                        span: sp(),
                    },
                ],
            ),
            test_block(vec![
                ("", omit()),
                ("expect", int(1)),
                ("now", s("yesterday")),
            ]),
            PipelineItem::Where(match_(omit(), vec![])),
        ]),
    ]);
    let checked = run(&[m.clone(), m]);
    assert!(!checked.diagnostics.is_empty());
    assert!(checked.pipelines[0].has_errors);
}
