//! The two example pipelines of the language spec parse into the expected shapes and spans.

use crate::syntax_common;

use ferry::diagnostics::FileId;
use ferry::syntax::ast::*;
use syntax_common::show;

const CONTACTS: &str = include_str!("../syntax_fixtures/contacts.ferry");
const CHARGES: &str = include_str!("../syntax_fixtures/charges.ferry");

fn parse(text: &str) -> Module {
    match ferry::syntax::parse_module(FileId(3), text) {
        Ok(m) => m,
        Err(d) => panic!("{d:?}"),
    }
}

fn at(text: &str, span: ferry::diagnostics::Span) -> &str {
    &text[span.range()]
}

#[test]
fn contacts_pipeline_items() {
    let module = parse(CONTACTS);
    assert_eq!(module.file, FileId(3));
    assert_eq!(module.span.range(), 0..CONTACTS.len());
    let [
        Item::Use(use_decl),
        Item::Function(function),
        Item::Pipeline(pipeline),
    ] = module.items.as_slice()
    else {
        panic!("unexpected items: {:?}", module.items);
    };
    assert_eq!(use_decl.path.value, "common.ferry");
    assert_eq!(at(CONTACTS, use_decl.path.span), "\"common.ferry\"");
    assert_eq!(use_decl.path.span.file, FileId(3));

    assert_eq!(function.name.name, "full_name");
    assert_eq!(function.params.len(), 2);
    assert!(matches!(
        function.params[0].ty.kind,
        TypeExprKind::Optional(_)
    ));
    assert_eq!(at(CONTACTS, function.params[1].ty.span), "string?");
    assert_eq!(show(&function.body), r#"(join [first last] " ")"#);

    assert_eq!(pipeline.name.name, "capsule_contacts_to_stripe");
    let kinds: Vec<&str> = pipeline
        .items
        .iter()
        .map(|item| match item {
            PipelineItem::Timezone(_) => "timezone",
            PipelineItem::Source(_) => "source",
            PipelineItem::Where(_) => "where",
            PipelineItem::Let(_) => "let",
            PipelineItem::Lookup(_) => "lookup",
            PipelineItem::Assert(_) => "assert",
            PipelineItem::Map(_) => "map",
            PipelineItem::Sink(_) => "sink",
            PipelineItem::Step(_) => "step",
            PipelineItem::Test(_) => "test",
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "timezone", "source", "where", "let", "lookup", "lookup", "lookup", "map", "sink",
            "test", "test"
        ]
    );
}

#[test]
fn contacts_source_lookups_and_sink() {
    let module = parse(CONTACTS);
    let Some(Item::Pipeline(pipeline)) = module.items.last() else {
        panic!()
    };
    let PipelineItem::Source(source) = &pipeline.items[1] else {
        panic!()
    };
    assert_eq!(source.name.dotted(), "capsule.parties");
    let [
        SourceOption::Poll { every, .. },
        SourceOption::Where(filter),
    ] = source.options.as_slice()
    else {
        panic!("{:?}", source.options)
    };
    assert_eq!(
        (every.amount, every.unit, every.seconds()),
        (5, DurationUnit::Minutes, 300)
    );
    assert_eq!(at(CONTACTS, every.span), "5m");
    assert_eq!(show(filter), r#"(== (. . type) "person")"#);
    assert_eq!(at(CONTACTS, filter.span), r#".type == "person""#);

    let PipelineItem::Let(first_email) = &pipeline.items[3] else {
        panic!()
    };
    assert_eq!(
        show(&first_email.value),
        "(?. (first (. . emailAddresses)) address)"
    );

    let PipelineItem::Lookup(owners) = &pipeline.items[4] else {
        panic!()
    };
    let LookupTable::File { path, key, value } = &owners.table else {
        panic!()
    };
    assert_eq!(path.value, "lookups/owners.csv");
    assert_eq!(key.as_ref().map(|k| k.value.as_str()), Some("capsule_user"));
    assert_eq!(value.as_ref().map(|k| k.value.as_str()), Some("email"));

    let PipelineItem::Lookup(payment_types) = &pipeline.items[5] else {
        panic!()
    };
    let LookupTable::Inline(entries) = &payment_types.table else {
        panic!()
    };
    assert_eq!(entries.len(), 2);
    assert_eq!(
        at(CONTACTS, entries[1].span),
        r#""au_becs_debit" => "BECS""#
    );

    let PipelineItem::Lookup(accounts) = &pipeline.items[6] else {
        panic!()
    };
    assert!(matches!(
        &accounts.table,
        LookupTable::File {
            key: None,
            value: None,
            ..
        }
    ));

    let PipelineItem::Sink(sink) = &pipeline.items[8] else {
        panic!()
    };
    assert_eq!(sink.target.dotted(), "stripe.customers");
    let [
        SinkOption::MatchOn { keys, .. },
        SinkOption::CrossReference { source, .. },
    ] = sink.options.as_slice()
    else {
        panic!("{:?}", sink.options)
    };
    assert_eq!(keys[0].dotted(), "email");
    assert_eq!(source.dotted(), "capsule.parties.id");
}

#[test]
fn contacts_map_block() {
    let module = parse(CONTACTS);
    let Some(Item::Pipeline(pipeline)) = module.items.last() else {
        panic!()
    };
    let PipelineItem::Map(map) = &pipeline.items[7] else {
        panic!()
    };
    assert_eq!(map.target.dotted(), "stripe.customer");
    let targets: Vec<String> = map.assignments.iter().map(|a| a.dotted_target()).collect();
    assert_eq!(
        targets,
        [
            "email",
            "name",
            "phone",
            "description",
            "metadata.capsule_id",
            "metadata.owner_email",
            "metadata.Owner Team"
        ]
    );
    let values: Vec<String> = map.assignments.iter().map(|a| show(&a.value)).collect();
    assert_eq!(
        values[0],
        r#"(?? first_email (skip "contact has no email"))"#
    );
    assert_eq!(
        values[2],
        "(?? (?. (first (. . phoneNumbers)) number) omit)"
    );
    assert_eq!(
        values[5],
        r#"(?? ([] owners (?. (. . owner) username)) "unassigned")"#
    );
    let email = &map.assignments[0];
    assert_eq!(
        at(CONTACTS, email.span),
        r#"email       = first_email ?? skip("contact has no email")"#
    );
    assert_eq!(at(CONTACTS, email.target[0].span), "email");
    let odd = &map.assignments[6];
    assert_eq!(odd.target[1].name, "Owner Team");
}

#[test]
fn contacts_tests() {
    let module = parse(CONTACTS);
    let Some(Item::Pipeline(pipeline)) = module.items.last() else {
        panic!()
    };
    let PipelineItem::Test(first) = &pipeline.items[9] else {
        panic!()
    };
    assert_eq!(first.name.value, "person with an organisation");
    let keys: Vec<&str> = first.entries.iter().map(|e| e.key.name.as_str()).collect();
    assert_eq!(keys, ["input", "expect", "now"]);
    assert_eq!(
        show(&first.entries[1].value),
        r#"{email: "ada@example.com", name: "Ada Lovelace", phone: omit}"#
    );
    let PipelineItem::Test(second) = &pipeline.items[10] else {
        panic!()
    };
    let keys: Vec<&str> = second.entries.iter().map(|e| e.key.name.as_str()).collect();
    assert_eq!(keys, ["input", "expect_skip"]);
}

#[test]
fn charges_pipeline() {
    let module = parse(CHARGES);
    let [Item::Pipeline(pipeline)] = module.items.as_slice() else {
        panic!()
    };
    let PipelineItem::Source(source) = &pipeline.items[1] else {
        panic!()
    };
    let [SourceOption::On { events, .. }] = source.options.as_slice() else {
        panic!()
    };
    assert_eq!(events[0].value, "charge.succeeded");
    let PipelineItem::Let(charge) = &pipeline.items[2] else {
        panic!()
    };
    assert_eq!(show(&charge.value), "(. (. . data) object)");
    assert_eq!(at(CHARGES, charge.span), "let charge = .data.object");
    let PipelineItem::Map(map) = &pipeline.items[3] else {
        panic!()
    };
    assert_eq!(map.target.dotted(), "business_central.salesOrder");
    let values: Vec<String> = map.assignments.iter().map(|a| show(&a.value)).collect();
    assert_eq!(
        values[1],
        r#"(?? (xref (. stripe customers) (. charge customer)) (fail "customer not synced yet"))"#
    );
    assert_eq!(values[2], "(to_date (from_unix (. charge created)))");
    assert_eq!(
        values[5],
        r#"(?? ([] payment_types (. (. charge payment_method_details) type)) "OTHER")"#
    );
    let PipelineItem::Sink(sink) = &pipeline.items[4] else {
        panic!()
    };
    assert_eq!(sink.target.dotted(), "business_central.salesOrders");
}
