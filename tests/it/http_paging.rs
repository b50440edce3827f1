//! Paging parsers never panic and find the next page in any well-formed input; a Capsule-style
//! listing follows `Link` headers to the end through the real client.

use crate::http_support;

use ferry::connectors::http::RequestSpec;
use ferry::connectors::http::paging::{
    next_link, odata_next_link, parse_link_header, parse_links, stripe_next_cursor,
    stripe_next_search_page, with_query_param,
};
use http_support::{Reply, Server, fast_client};
use proptest::prelude::*;
use serde_json::Value;

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        "[a-z_@.]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop_oneof![
                        Just("has_more".to_string()),
                        Just("data".to_string()),
                        Just("id".to_string()),
                        Just("next_page".to_string()),
                        Just("@odata.nextLink".to_string()),
                        "[a-z]{1,6}"
                    ],
                    inner
                ),
                0..6
            )
            .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
        ]
    })
}

/// A URL without the characters that end a link target.
fn target() -> impl Strategy<Value = String> {
    "https://[a-z]{1,8}\\.test/[a-zA-Z0-9/?=&,;%._-]{0,30}"
}

fn rel_list() -> impl Strategy<Value = Vec<&'static str>> {
    prop::collection::vec(
        prop::sample::select(vec!["prev", "last", "first", "self", "alternate"]),
        0..3,
    )
}

proptest! {
    #[test]
    fn link_parsing_never_panics(header in any::<String>()) {
        let _ = parse_link_header(&header);
        let _ = parse_links(&header);
    }

    #[test]
    fn link_parsing_never_panics_on_link_like_text(header in "[<>;,=\" \\\\a-z\u{e9}\u{1F600}]{0,40}") {
        let _ = parse_link_header(&header);
    }

    #[test]
    fn the_next_link_is_found_among_others(
        before in prop::collection::vec((target(), rel_list()), 0..3),
        next in target(),
        extra in rel_list(),
        quoted in any::<bool>(),
        after in prop::collection::vec((target(), rel_list()), 0..3),
    ) {
        let render = |url: &str, rels: &[&str]| {
            let rels = rels.join(" ");
            format!("<{url}>; title=\"a, b; c\"; rel=\"{rels}\"")
        };
        let mut links: Vec<String> = before.iter().map(|(u, r)| render(u, r)).collect();
        let mut next_rels = extra.clone();
        next_rels.push("next");
        let next_link = if quoted || next_rels.len() > 1 {
            render(&next, &next_rels)
        } else {
            format!("<{next}>;rel=next")
        };
        links.push(next_link);
        links.extend(after.iter().map(|(u, r)| render(u, r)));
        let header = links.join(", ");
        prop_assert_eq!(parse_link_header(&header), Some(next));
        prop_assert_eq!(parse_links(&header).len(), links.len());
    }

    #[test]
    fn json_page_helpers_never_panic(page in json_value()) {
        let _ = odata_next_link(&page);
        let _ = stripe_next_cursor(&page);
        let _ = stripe_next_search_page(&page);
    }

    #[test]
    fn setting_a_query_param_keeps_one_copy(cursor in "[a-zA-Z0-9_&=?# ]{1,20}") {
        let url = with_query_param("https://api.stripe.com/v1/customers?limit=100&starting_after=old", "starting_after", &cursor);
        let url = url.and_then(|u| url::Url::parse(&u).ok());
        prop_assert!(url.is_some());
        let pairs: Vec<(String, String)> = url.iter().flat_map(|u| u.query_pairs().into_owned().collect::<Vec<_>>()).collect();
        prop_assert_eq!(pairs, vec![("limit".to_string(), "100".to_string()), ("starting_after".to_string(), cursor)]);
    }
}

#[tokio::test]
async fn a_listing_follows_link_headers_to_the_last_page() {
    let server = Server::start(vec![
        Reply::status(200)
            .header("Link", "</api/v2/parties?page=2&perPage=2>; rel=\"next\"")
            .body(r#"{"parties":[{"id":1},{"id":2}]}"#),
        Reply::status(200)
            .header("Link", "</api/v2/parties?page=1&perPage=2>; rel=\"prev\", </api/v2/parties?page=3&perPage=2>; rel=\"next\"")
            .body(r#"{"parties":[{"id":3},{"id":4}]}"#),
        Reply::status(200)
            .header("Link", "</api/v2/parties?page=2&perPage=2>; rel=\"prev\"")
            .body(r#"{"parties":[{"id":5}]}"#),
    ])
    .await;
    let client = fast_client();
    let mut url = Some(server.url("/api/v2/parties?perPage=2"));
    let mut ids = Vec::new();
    while let Some(current) = url {
        let response = client
            .send(RequestSpec::get("capsule: list parties", current.as_str()))
            .await
            .unwrap();
        let page: Value = response.json().unwrap();
        ids.extend(
            page["parties"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["id"].as_i64().unwrap()),
        );
        url = next_link(&current, &response.headers);
    }
    assert_eq!(ids, [1, 2, 3, 4, 5]);
    let uris: Vec<String> = server.seen().iter().map(|s| s.uri.clone()).collect();
    assert_eq!(
        uris,
        [
            "/api/v2/parties?perPage=2",
            "/api/v2/parties?page=2&perPage=2",
            "/api/v2/parties?page=3&perPage=2"
        ]
    );
}
