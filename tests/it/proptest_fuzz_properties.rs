//! The fuzz targets' properties (`fuzz/properties`), fed by proptest so that every CI run
//! checks them without cargo-fuzz: the form encoder and decoder, the Stripe-Signature header,
//! the Link header, Business Central's next link and the CSV and YAML lookup loaders. The
//! parser and checker's property runs in `proptest_robustness.rs`.

use crate::properties;

use properties::{form, link_header, lookup, odata_next_link, signature};
use proptest::prelude::*;
use serde_json::{Map, Value};

/// JSON objects in the form round trip's domain: names without brackets and not empty, some
/// of them indexes.
fn form_object() -> impl Strategy<Value = Value> {
    let name = prop_oneof!["[a-z_ .&=+%#é€-]{1,8}", "[0-3]"];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        "-?[1-9][0-9]{0,24}\\.[0-9]{1,10}".prop_map(|t| serde_json::from_str(&t).unwrap()),
        "\\PC{0,12}".prop_map(Value::String),
    ];
    let tree = leaf.prop_recursive(4, 40, 4, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((name.clone(), inner), 0..4)
                .prop_map(|fields| Value::Object(fields.into_iter().collect::<Map<_, _>>())),
        ]
    });
    prop::collection::vec(("[a-z_ &=é]{1,6}", tree), 0..5)
        .prop_map(|fields| Value::Object(fields.into_iter().collect()))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn form_objects_round_trip(value in form_object()) {
        form::round_trips(&value);
    }

    #[test]
    fn form_decoding_is_stable(text in "([a-z0-9]|\\[|\\]|=|&|%5B|%5D|%|\\+){0,40}") {
        form::decoding_is_stable(text.as_bytes());
    }

    #[test]
    fn form_target_on_random_bytes(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        form::check(&bytes);
    }

    #[test]
    fn signature_headers_never_panic(header in "(t|v1|v0|=|,| |[0-9a-fA-F]{1,64}|\\PC){0,40}") {
        signature::parsing_never_panics(&header);
    }

    #[test]
    fn signed_headers_verify(
        body in prop::collection::vec(any::<u8>(), 0..100),
        secret in "\\PC{0,20}",
        other in "\\PC{0,20}",
        seconds in any::<u64>(),
        skew in any::<u64>(),
        noise in "\\PC{0,10}",
    ) {
        signature::signed_header_verifies(&body, &secret, &other, seconds, skew, &noise);
    }

    #[test]
    fn link_headers_never_panic(header in "(<|>|;|,|=|\"|\\\\| |rel|next|title|\\PC){0,40}") {
        link_header::parsing_never_panics(&header);
    }

    #[test]
    fn next_links_round_trip(
        target in "\\PC{0,30}",
        title in "\\PC{0,10}",
        others in prop::collection::vec(("\\PC{0,10}", prop::sample::select(vec!["prev", "last", "first"])), 0..3),
        quoted in any::<bool>(),
        base in prop_oneof![Just("https://api.capsulecrm.com/api/v2/parties?page=1".to_string()), "\\PC{0,20}"],
    ) {
        let others: Vec<(String, String)> = others.into_iter().map(|(t, r)| (t, r.to_string())).collect();
        link_header::next_target_round_trips(&target, &title, &others, quoted, &base);
    }

    #[test]
    fn odata_pages_never_panic(text in "(\\{|\\}|\\[|\\]|:|,|\"@odata.nextLink\"|\"odata.nextLink\"|\"x\"|1|null|\\PC){0,30}") {
        odata_next_link::parsing_never_panics(text.as_bytes());
    }

    #[test]
    fn odata_links_round_trip(
        prefix in prop::sample::select(vec!["https://bc.test/v2.0/x/customers", "https://moved.test/customers"]),
        query in prop_oneof![Just(None), "\\PC{0,30}".prop_map(Some), "http\\PC{0,10}".prop_map(Some)],
        v3 in any::<bool>(),
    ) {
        let link = match query {
            Some(query) => format!("{prefix}?{query}"),
            None => prefix.to_string(),
        };
        odata_next_link::link_round_trips(&link, v3);
    }

    #[test]
    fn lookup_files_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        lookup::check_csv(&bytes);
        lookup::check_yaml(&bytes);
    }

    #[test]
    fn lookup_tables_round_trip(rows in prop::collection::vec(("\\PC{0,12}", "\\PC{0,12}"), 0..8)) {
        lookup::csv_round_trips(&rows);
        lookup::yaml_round_trips(&rows);
    }
}
