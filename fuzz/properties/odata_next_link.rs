//! Business Central's `@odata.nextLink`: any JSON page gives a link or none without a panic;
//! a page's link comes back as written, and the part a cursor keeps leads the next poll to the
//! same page.

use ferry::connectors::http::paging::{odata_next_link, odata_next_query, odata_resume_url};
use serde_json::{Value, json};

use super::Bytes;

const SET_URL: &str =
    "https://bc.test/v2.0/api/v2.0/companies(11111111-2222-3333-4444-555555555555)/customers";
const PREFIXES: &[&str] = &[
    SET_URL,
    "https://moved.test/v2.0/api/v2.0/companies(1)/customers",
    "http://bc.test/customers",
];
const QUERY_STARTS: &[&str] = &[
    "",
    "$skiptoken=",
    "aid=FIN&$skiptoken=",
    "http",
    "?",
    "&",
    "%20",
];

/// The fuzz target: the bytes as a JSON page, then a link built from the same bytes.
pub fn check(data: &[u8]) {
    parsing_never_panics(data);
    let mut bytes = Bytes::new(data);
    let prefix = PREFIXES[usize::from(bytes.byte()) % PREFIXES.len()];
    let start = QUERY_STARTS[usize::from(bytes.byte()) % QUERY_STARTS.len()];
    let with_query = bytes.bool();
    let v3 = bytes.bool();
    let rest = String::from_utf8_lossy(bytes.rest()).into_owned();
    let link = if with_query {
        format!("{prefix}?{start}{rest}")
    } else {
        format!("{prefix}{rest}")
    };
    link_round_trips(&link, v3);
}

/// Whatever JSON a server answers, the next link is a non-empty text found under one of the
/// two names, or none.
pub fn parsing_never_panics(data: &[u8]) {
    let Ok(page) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    if let Some(link) = odata_next_link(&page) {
        assert!(!link.is_empty());
        let named = ["@odata.nextLink", "odata.nextLink"]
            .iter()
            .any(|key| page.get(key).and_then(Value::as_str) == Some(link.as_str()));
        assert!(named, "{link:?} is not in {page}");
    }
}

/// An absolute link (as Business Central sends) survives the page's JSON, and the URL a
/// resumed cursor asks for is the link itself, or with a moved host, the collection's URL with
/// the link's query.
pub fn link_round_trips(link: &str, v3: bool) {
    let name = if v3 {
        "odata.nextLink"
    } else {
        "@odata.nextLink"
    };
    let page = json!({"@odata.context": "https://bc.test/$metadata#customers", "value": [{"id": 1}], name: link});
    let text = serde_json::to_string(&page).unwrap();
    let parsed: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(odata_next_link(&parsed).as_deref(), Some(link), "{text}");

    let resumed = odata_resume_url(SET_URL, &odata_next_query(link));
    let expected = match link.split_once('?') {
        Some((_, query)) if !query.is_empty() => format!("{SET_URL}?{query}"),
        _ => link.to_string(),
    };
    assert_eq!(resumed, expected, "the next page of {link:?}");
}
