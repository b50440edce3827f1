//! RFC 8288 `Link` headers (Capsule's paging): any text parses without a panic, and the
//! `next` target of a header built around any URL is that URL, whatever surrounds it.

use ferry::connectors::http::paging::{next_link, parse_link_header, parse_links};
use reqwest::header::{HeaderMap, HeaderValue, LINK};
use url::Url;

use super::Bytes;

const RELS: &[&str] = &[
    "prev",
    "last",
    "first",
    "next",
    "NEXT",
    "next last",
    "prev next",
];

/// The fuzz target: the bytes as a header, then a header built from the same bytes.
pub fn check(data: &[u8]) {
    parsing_never_panics(&String::from_utf8_lossy(data));
    let mut bytes = Bytes::new(data);
    let target = bytes.text();
    let title = bytes.text();
    let mut others = Vec::new();
    for _ in 0..bytes.byte() % 3 {
        let rel = RELS[usize::from(bytes.byte()) % 3];
        others.push((bytes.text(), rel.to_string()));
    }
    let quoted = bytes.bool();
    let base = String::from_utf8_lossy(bytes.rest()).into_owned();
    next_target_round_trips(&target, &title, &others, quoted, &base);
}

/// What any header parses to is well formed: targets trimmed and without `>`, relation types
/// lower case and without ASCII white space, and the `next` target is the first link's that has `next`.
pub fn parsing_never_panics(header: &str) {
    let links = parse_links(header);
    for link in &links {
        assert!(!link.target.contains('>'), "{header:?}: {link:?}");
        assert_eq!(link.target, link.target.trim(), "{header:?}");
        for rel in &link.rels {
            // Relation types are separated by spaces (RFC 8288 3.3); other characters, a
            // vertical tab included, belong to the type.
            assert!(!rel.is_empty(), "{header:?}");
            assert!(!rel.bytes().any(|b| b.is_ascii_whitespace()), "{header:?}");
            assert_eq!(*rel, rel.to_ascii_lowercase(), "{header:?}");
        }
    }
    let next = links
        .iter()
        .find(|link| link.rels.iter().any(|rel| rel == "next"))
        .map(|link| link.target.clone());
    assert_eq!(parse_link_header(header), next, "{header:?}");
    if let Ok(value) = HeaderValue::from_str(header) {
        let mut headers = HeaderMap::new();
        headers.insert(LINK, value);
        let _ = next_link("https://api.capsulecrm.com/api/v2/parties?page=1", &headers);
    }
}

/// A target (any text without `>`, trimmed, as a URL in a header is), after other links and
/// with a quoted title holding any text, is the `next` target; relative or absolute, it
/// resolves against the requested URL as `Url::join` does.
pub fn next_target_round_trips(
    target: &str,
    title: &str,
    others: &[(String, String)],
    quoted: bool,
    base: &str,
) {
    let clean = |text: &str| text.replace('>', "").trim().to_string();
    let target = clean(target);
    let escaped: String = title
        .chars()
        .flat_map(|c| match c {
            '"' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    let mut links: Vec<String> = others
        .iter()
        .map(|(other, rel)| format!("<{}>; rel=\"{rel}\"", clean(other)))
        .collect();
    let rel = if quoted { "\"next\"" } else { "next" };
    links.push(format!("<{target}>; title=\"{escaped}\"; rel={rel}; x"));
    let header = links.join(", ");
    assert_eq!(
        parse_link_header(&header).as_deref(),
        Some(target.as_str()),
        "{header:?}"
    );

    let Ok(value) = HeaderValue::from_str(&header) else {
        return;
    };
    if !header.is_ascii() {
        return; // a header that is not ASCII is not read at all
    }
    let mut headers = HeaderMap::new();
    headers.append(
        LINK,
        HeaderValue::from_static("<https://x.test/p>; rel=last"),
    );
    headers.append(LINK, value);
    let expected = Url::parse(base)
        .ok()
        .and_then(|base| base.join(&target).ok())
        .map(String::from);
    assert_eq!(
        next_link(base, &headers),
        expected,
        "{header:?} from {base:?}"
    );
}
