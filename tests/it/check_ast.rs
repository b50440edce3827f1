//! Checker tests on hand-built syntax trees.

use crate::check_common;

use check_common::*;
use ferry::syntax::ast::BinaryOp;

#[test]
fn a_clean_pipeline_has_no_diagnostics() {
    let m = customer_pipeline(
        vec![
            assign("email", or(rf("customer"), omit())),
            assign("name", rf("id")),
            assign("metadata.charge_id", rf("id")),
        ],
        vec![],
    );
    let checked = run(&[m]);
    assert!(checked.diagnostics.is_empty(), "{:#?}", checked.diagnostics);
    let p = &checked.pipelines[0];
    assert_eq!(p.source, "stripe.charges");
    assert_eq!(p.sink, "stripe.customers");
    assert!(!p.has_errors);
}

#[test]
fn unknown_record_field_suggests_the_closest() {
    let m = customer_pipeline(vec![assign("name", rf("currncy"))], vec![]);
    let checked = run(&[m]);
    let d = &checked.diagnostics[0];
    assert_eq!(d.code.as_str(), "E0201");
    assert_eq!(d.help.as_deref(), Some("did you mean `.currency`?"));
    assert!(checked.pipelines[0].has_errors);
}

#[test]
fn unknown_variable_function_and_target_field() {
    let m = customer_pipeline(
        vec![
            assign("name", var("chrage")),
            assign("emial", call("uper", vec![s("x")])),
        ],
        vec![],
    );
    assert_eq!(codes(&[m]), sorted(&["E0200", "E0201", "E0202"]));
}

#[test]
fn minor_units_into_decimal_field_shows_the_fix() {
    let m = module(vec![pipeline(vec![
        source("stripe.charges", vec![]),
        map_to(
            "business_central.salesOrder",
            vec![
                assign("externalDocumentNumber", rf("id")),
                assign("totalAmount", rf("amount")),
            ],
        ),
        sink("business_central.salesOrders", vec![]),
        a_test(),
    ])]);
    let checked = run(&[m]);
    let d = &checked.diagnostics[0];
    assert_eq!(d.code.as_str(), "E0302");
    // Spans are blank in these tests, so the expression text is empty.
    assert_eq!(
        d.help.as_deref(),
        Some("convert with the currency: `cents_to_decimal(, .currency)`")
    );
}

#[test]
fn required_field_missing_and_assigned_twice() {
    let m = module(vec![pipeline(vec![
        source("stripe.charges", vec![]),
        map_to(
            "business_central.salesOrder",
            vec![
                assign("customerNumber", rf("id")),
                assign("customerNumber", rf("id")),
            ],
        ),
        sink(
            "business_central.salesOrders",
            vec![match_on(&["externalDocumentNumber"])],
        ),
        a_test(),
    ])]);
    let checked = run(&[m]);
    let got: Vec<_> = checked
        .diagnostics
        .iter()
        .map(|d| d.code.as_str())
        .collect();
    assert!(got.contains(&"E0500"), "{got:?}");
    assert!(got.contains(&"E0501"), "{got:?}");
    assert!(got.contains(&"E0505"), "{got:?}");
    let missing = checked
        .diagnostics
        .iter()
        .find(|d| d.code.as_str() == "E0500")
        .unwrap();
    assert!(missing.message.contains("externalDocumentNumber"));
}

#[test]
fn lookup_reads_must_be_handled() {
    let item = PipelineItemLookup::new("owners");
    let m = customer_pipeline(
        vec![assign("name", index(var("owners"), rf("id")))],
        vec![item.0],
    );
    assert_eq!(codes(&[m]), sorted(&["E0400"]));
    let item = PipelineItemLookup::new("owners");
    let m = customer_pipeline(
        vec![assign(
            "name",
            or(index(var("owners"), rf("id")), s("none")),
        )],
        vec![item.0],
    );
    assert!(codes(&[m]).is_empty());
}

struct PipelineItemLookup(ferry::syntax::ast::PipelineItem);
impl PipelineItemLookup {
    fn new(name: &str) -> Self {
        PipelineItemLookup(ferry::syntax::ast::PipelineItem::Lookup(lookup_inline(
            name,
            vec![("a", "b")],
        )))
    }
}

#[test]
fn fallible_calls_and_needless_handlers() {
    let m = customer_pipeline(
        vec![
            assign("balance", call("int", vec![rf("id")])),
            assign("name", or(rf("id"), s("x"))),
            assign("metadata.a", bang(rf("id"))),
        ],
        vec![],
    );
    assert_eq!(codes(&[m]), sorted(&["E0400", "W0004", "W0005"]));
}

#[test]
fn optional_into_required_and_non_optional_fields() {
    let m = customer_pipeline(vec![assign("name", rf("customer"))], vec![]);
    let checked = run(&[m]);
    assert_eq!(checked.diagnostics[0].code.as_str(), "E0401");
    assert!(
        checked.diagnostics[0]
            .help
            .as_deref()
            .unwrap()
            .contains("?? omit")
    );
}

#[test]
fn omit_outside_a_field_and_into_a_required_field() {
    let m = module(vec![pipeline(vec![
        source("stripe.charges", vec![]),
        let_("x", omit()),
        map_to(
            "business_central.salesOrder",
            vec![
                assign("externalDocumentNumber", or(rf("customer"), omit())),
                assign("customerNumber", var("x")),
            ],
        ),
        sink("business_central.salesOrders", vec![]),
        a_test(),
    ])]);
    let got = codes(&[m]);
    assert!(got.contains(&"E0403"), "{got:?}");
    assert!(got.contains(&"E0404"), "{got:?}");
}

#[test]
fn operators_keep_minor_units_apart() {
    let m = customer_pipeline(
        vec![
            assign("balance", bin(BinaryOp::Add, rf("amount"), rf("amount"))),
            assign(
                "metadata.a",
                string_of(bin(BinaryOp::Add, rf("amount"), dec("1.50"))),
            ),
            assign("metadata.b", string_of(bin(BinaryOp::Sub, s("a"), int(1)))),
            assign("metadata.c", string_of(bin(BinaryOp::Eq, rf("id"), int(1)))),
        ],
        vec![],
    );
    assert_eq!(codes(&[m]), sorted(&["E0308", "E0300", "E0307"]));
}

fn string_of(e: ferry::syntax::ast::Expr) -> ferry::syntax::ast::Expr {
    call("string", vec![e])
}

#[test]
fn conditions_must_be_bool_and_match_needs_default() {
    let m = customer_pipeline(
        vec![assign(
            "name",
            match_(
                rf("id"),
                vec![(vec![s("a")], s("A")), (vec![s("a")], s("B"))],
            ),
        )],
        vec![ferry::syntax::ast::PipelineItem::Where(rf("id"))],
    );
    assert_eq!(codes(&[m]), sorted(&["E0304", "E0305", "W0006"]));
}

#[test]
fn call_arguments_are_checked() {
    let m = customer_pipeline(
        vec![
            assign("name", call("upper", vec![])),
            assign("metadata.a", call("upper", vec![s("a"), s("b")])),
            assign(
                "metadata.b",
                call_named("upper", vec![s("a")], vec![("txt", s("b"))]),
            ),
            assign("metadata.c", call("upper", vec![rf("amount")])),
            assign("metadata.d", call("upper", vec![closure("x", var("x"))])),
        ],
        vec![],
    );
    assert_eq!(
        codes(&[m]),
        sorted(&["E0212", "E0213", "E0211", "E0303", "E0309"])
    );
}

#[test]
fn closures_get_the_item_type() {
    let m = customer_pipeline(
        vec![assign(
            "metadata.a",
            string_of(call(
                "map",
                vec![rf("emails"), closure("e", get(var("e"), "adress"))],
            )),
        )],
        vec![],
    );
    let checked = run(&[m]);
    assert_eq!(checked.diagnostics[0].code.as_str(), "E0201");
    assert_eq!(
        checked.diagnostics[0].help.as_deref(),
        Some("did you mean `address`?")
    );
}

#[test]
fn time_zone_needed_for_timestamps() {
    let date = call("to_date", vec![call("from_unix", vec![rf("created")])]);
    let m = module(vec![pipeline(vec![
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
    assert_eq!(codes(&[m]), sorted(&["E0402"]));
}

#[test]
fn sections_are_checked() {
    let m = module(vec![pipeline(vec![
        ferry::syntax::ast::PipelineItem::Timezone(lit("Sydney")),
        source("stripe.chargez", vec![]),
        source("stripe.charges", vec![]),
        map_to("stripe.custmer", vec![]),
        a_test(),
    ])]);
    let checked = run(&[m]);
    let got: Vec<_> = checked
        .diagnostics
        .iter()
        .map(|d| d.code.as_str())
        .collect();
    assert_eq!(got, ["E0214", "E0203", "E0215", "E0204", "E0216"]);
    assert_eq!(
        checked.diagnostics[0].help.as_deref(),
        Some("did you mean `Australia/Sydney`?")
    );
}

#[test]
fn sink_must_accept_the_target_and_know_the_cross_reference() {
    let m = module(vec![pipeline(vec![
        source("stripe.events", vec![on(&["charge.succeded"])]),
        map_to("stripe.customer", vec![]),
        sink(
            "business_central.salesOrders",
            vec![ferry::syntax::ast::SinkOption::CrossReference {
                source: qn("stripe.charges.idd"),
                span: sp(),
            }],
        ),
        a_test(),
    ])]);
    assert_eq!(codes(&[m]), sorted(&["E0218", "E0507", "E0506"]));
}

#[test]
fn enum_and_nested_paths() {
    let m = customer_pipeline(
        vec![
            assign("tax_exempt", s("exemp")),
            assign("name.first", s("a")),
            assign("address.city", s("x")),
        ],
        vec![],
    );
    let checked = run(&[m]);
    let got: Vec<_> = checked
        .diagnostics
        .iter()
        .map(|d| d.code.as_str())
        .collect();
    assert_eq!(got, ["E0508", "E0509"]);
    assert!(
        checked.diagnostics[0]
            .help
            .as_deref()
            .unwrap()
            .starts_with("did you mean `\"exempt\"`?")
    );
}

#[test]
fn stripe_metadata_limits() {
    let mut assignments: Vec<_> = (0..51)
        .map(|i| assign(&format!("metadata.k{i}"), s("v")))
        .collect();
    assignments.push(assign(
        &format!("metadata.{}", "k".repeat(41)),
        s(&"v".repeat(501)),
    ));
    let got = codes(&[customer_pipeline(assignments, vec![])]);
    assert_eq!(got, sorted(&["E0502", "E0503", "E0504"]));
}

#[test]
fn stripe_metadata_keys_without_brackets_and_values_cut_to_fit() {
    let assignments = vec![
        assign("metadata.team_sales", s("v")),
        assign("metadata.team[sales]", s("v")),
        // Cut to fit, or to a length known only at run time: clean.
        assign("metadata.a", call("truncate", vec![rf("id"), int(500)])),
        assign(
            "metadata.b",
            call("substring", vec![rf("id"), int(0), rf("id")]),
        ),
        assign(
            "metadata.c",
            or(call("truncate", vec![rf("id"), int(40)]), s("none")),
        ),
        // Cut to more than Stripe holds.
        assign("metadata.d", call("truncate", vec![rf("id"), int(501)])),
        assign(
            "metadata.e",
            call("substring", vec![rf("id"), int(0), int(600)]),
        ),
    ];
    let checked = run(&[customer_pipeline(assignments, vec![])]);
    // This checker's registry has no functions: only the limits' codes are of interest here.
    let got: Vec<(&str, String)> = checked
        .diagnostics
        .iter()
        .filter(|d| d.code.as_str().starts_with("E05"))
        .map(|d| (d.code.as_str(), d.message.clone()))
        .collect();
    assert_eq!(
        got,
        [
            (
                "E0520",
                "metadata key `team[sales]` holds `[`, which Stripe refuses in keys".to_string()
            ),
            (
                "E0504",
                "metadata value for `d` can be 501 characters; Stripe allows at most 500"
                    .to_string()
            ),
            (
                "E0504",
                "metadata value for `e` can be 600 characters; Stripe allows at most 500"
                    .to_string()
            ),
        ]
    );
}

#[test]
fn lints_for_unused_definitions_and_missing_tests() {
    let m = module(vec![pipeline(vec![
        source("stripe.charges", vec![]),
        let_("unused", rf("id")),
        let_("_fine", rf("id")),
        ferry::syntax::ast::PipelineItem::Lookup(lookup_inline("table", vec![])),
        map_to("stripe.customer", vec![]),
        sink("stripe.customers", vec![]),
    ])]);
    assert_eq!(codes(&[m]), sorted(&["W0001", "W0002", "W0007"]));
}

#[test]
fn tests_blocks_are_checked() {
    let m = customer_pipeline(
        vec![],
        vec![
            test_block(vec![("input", obj(vec![])), ("expected", obj(vec![]))]),
            test_block(vec![
                ("input", call("json", vec![s("missing.json")])),
                ("expect", obj(vec![("emial", s("a")), ("name", omit())])),
            ]),
        ],
    );
    assert_eq!(codes(&[m]), sorted(&["E0217", "E0220", "E0219", "E0201"]));
}

#[test]
fn fallible_let_is_reported_where_it_is_defined_once_used() {
    let m = customer_pipeline(
        vec![
            assign("balance", var("n")),
            assign("metadata.a", string_of(var("n"))),
        ],
        vec![let_("n", call("int", vec![rf("id")]))],
    );
    assert_eq!(codes(&[m]), sorted(&["E0400"]));
}

#[test]
fn xref_takes_a_collection_name() {
    let m = customer_pipeline(
        vec![
            assign(
                "name",
                or(
                    call("xref", vec![get(var("stripe"), "customers"), rf("id")]),
                    s("x"),
                ),
            ),
            assign(
                "metadata.a",
                or(
                    call("xref", vec![get(var("stripe"), "custmers"), rf("id")]),
                    s("x"),
                ),
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
    assert_eq!(got, ["E0506"]);
    assert_eq!(
        checked.diagnostics[0].help.as_deref(),
        Some("did you mean `stripe.customers`?")
    );
}

#[test]
fn optional_chaining_rules() {
    let m = customer_pipeline(
        vec![
            assign(
                "name",
                or(get(call("first", vec![rf("emails")]), "address"), s("x")),
            ),
            assign(
                "metadata.a",
                or(oget(call("first", vec![rf("emails")]), "address"), omit()),
            ),
        ],
        vec![],
    );
    assert_eq!(codes(&[m]), sorted(&["E0401"]));
}

#[test]
fn if_branches_join_and_condition_is_checked() {
    let m = customer_pipeline(
        vec![
            assign("balance", if_(rf("paid"), rf("amount"), int(0))),
            assign("name", if_(rf("id"), s("a"), s("b"))),
        ],
        vec![],
    );
    assert_eq!(codes(&[m]), sorted(&["E0304"]));
}

#[test]
fn duplicates_in_pipelines() {
    let m = customer_pipeline(
        vec![assign("name", var("a"))],
        vec![let_("a", rf("id")), let_("a", rf("id"))],
    );
    assert_eq!(codes(&[m]), sorted(&["E0208"]));
}

#[test]
fn variadic_calls_take_many() {
    let m = customer_pipeline(
        vec![assign("name", call("concat", vec![s("a"), s("b"), s("c")]))],
        vec![],
    );
    assert!(codes(&[m]).is_empty());
}

#[test]
fn events_narrow_the_record() {
    let m = module(vec![pipeline(vec![
        source("stripe.events", vec![on(&["charge.succeeded"])]),
        let_("charge", rf("data.object")),
        map_to(
            "stripe.customer",
            vec![assign("name", get(var("charge"), "idd"))],
        ),
        sink("stripe.customers", vec![]),
        a_test(),
    ])]);
    let checked = run(&[m]);
    assert_eq!(checked.diagnostics.len(), 1, "{:#?}", checked.diagnostics);
    assert_eq!(
        checked.diagnostics[0].help.as_deref(),
        Some("did you mean `id`?")
    );
    assert_eq!(checked.pipelines[0].events, ["charge.succeeded"]);
}

#[test]
fn optional_arguments_to_fallible_functions_fail_with_the_call() {
    // `xref(stripe.customers, charge.customer) ?? fail(...)`: a null id is one more failure.
    let m = customer_pipeline(
        vec![assign(
            "name",
            or(
                call(
                    "xref",
                    vec![get(var("stripe"), "customers"), rf("customer")],
                ),
                call("fail", vec![s("not synced")]),
            ),
        )],
        vec![],
    );
    assert!(codes(&[m]).is_empty());
}
