//! Where the next page is: RFC 8288 `Link` headers (Capsule), `@odata.nextLink` (Business
//! Central) and Stripe's `has_more` cursors. Every parser returns `None` on input it does not
//! understand; none panics.

use reqwest::header::{HeaderMap, LINK};
use serde_json::Value;
use url::Url;

/// One link of a `Link` header: its target as written and its relation types (lower case).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub target: String,
    pub rels: Vec<String>,
}

/// The target of the first link whose `rel` includes `next`, as written (maybe relative).
pub fn parse_link_header(header: &str) -> Option<String> {
    parse_links(header)
        .into_iter()
        .find(|link| link.rels.iter().any(|rel| rel == "next"))
        .map(|link| link.target)
}

/// Every well-formed link of a `Link` header value; parsing stops at the first malformed one.
pub fn parse_links(header: &str) -> Vec<Link> {
    let mut links = Vec::new();
    let mut rest = header;
    loop {
        rest = rest.trim_start_matches([' ', '\t', ',']);
        let Some(after_open) = rest.strip_prefix('<') else {
            return links;
        };
        let Some(close) = after_open.find('>') else {
            return links;
        };
        let target = after_open[..close].trim().to_string();
        rest = &after_open[close + 1..];
        let mut rels: Option<Vec<String>> = None;
        // Parameters: `; name`, `; name=token` or `; name="quoted \" string"`.
        loop {
            rest = rest.trim_start_matches([' ', '\t']);
            let Some(after_semicolon) = rest.strip_prefix(';') else {
                break;
            };
            let Some((name, value, after)) = parameter(after_semicolon) else {
                return links;
            };
            rest = after;
            // Only the first `rel` counts (RFC 8288 section 3.3).
            if name.eq_ignore_ascii_case("rel") && rels.is_none() {
                rels = Some(
                    value
                        .split_ascii_whitespace()
                        .map(str::to_ascii_lowercase)
                        .collect(),
                );
            }
        }
        rest = rest.trim_start_matches([' ', '\t']);
        if !(rest.is_empty() || rest.starts_with(',')) {
            return links;
        }
        links.push(Link {
            target,
            rels: rels.unwrap_or_default(),
        });
    }
}

/// Reads one parameter after its `;`: name, value (unquoted) and the remaining text.
fn parameter(text: &str) -> Option<(&str, String, &str)> {
    let text = text.trim_start_matches([' ', '\t']);
    let name_end = text.find(['=', ';', ',', ' ', '\t']).unwrap_or(text.len());
    let name = &text[..name_end];
    if name.is_empty() {
        return None;
    }
    let rest = text[name_end..].trim_start_matches([' ', '\t']);
    let Some(after_equals) = rest.strip_prefix('=') else {
        return Some((name, String::new(), rest));
    };
    let after_equals = after_equals.trim_start_matches([' ', '\t']);
    if let Some(quoted) = after_equals.strip_prefix('"') {
        let mut value = String::new();
        let mut chars = quoted.char_indices();
        while let Some((index, c)) = chars.next() {
            match c {
                '"' => return Some((name, value, &quoted[index + 1..])),
                '\\' => value.push(chars.next()?.1),
                _ => value.push(c),
            }
        }
        None // unterminated quote
    } else {
        let end = after_equals
            .find([';', ',', ' ', '\t'])
            .unwrap_or(after_equals.len());
        Some((name, after_equals[..end].to_string(), &after_equals[end..]))
    }
}

/// The absolute URL of the next page from every `Link` header of a response; a relative
/// target is resolved against the URL that was requested.
pub fn next_link(requested: &str, headers: &HeaderMap) -> Option<String> {
    let target = headers
        .get_all(LINK)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find_map(parse_link_header)?;
    let base = Url::parse(requested).ok()?;
    base.join(&target).ok().map(String::from)
}

/// Business Central's next page: `@odata.nextLink` (or OData 3's `odata.nextLink`).
pub fn odata_next_link(page: &Value) -> Option<String> {
    ["@odata.nextLink", "odata.nextLink"]
        .iter()
        .find_map(|key| page.get(key)?.as_str())
        .filter(|link| !link.is_empty())
        .map(str::to_string)
}

/// What a Business Central cursor keeps of a next link: its query with the `?`, so a moved
/// base URL still resumes, or the whole link when it has no query.
pub fn odata_next_query(link: &str) -> String {
    match link.split_once('?') {
        Some((_, query)) if !query.is_empty() => format!("?{query}"),
        _ => link.to_string(),
    }
}

/// The URL of the next page of the collection at `set_url`, from what [`odata_next_query`]
/// kept. Cursors stored before the `?` was kept hold a bare query; a bare query that starts
/// with `http` reads as a whole link, which is why the `?` is kept now.
pub fn odata_resume_url(set_url: &str, next: &str) -> String {
    if next.starts_with('?') {
        format!("{set_url}{next}")
    } else if next.starts_with("http") {
        next.to_string()
    } else {
        format!("{set_url}?{next}")
    }
}

/// Stripe list paging: when `has_more` is true, the id of the last object in `data`, to send
/// as `starting_after`.
pub fn stripe_next_cursor(page: &Value) -> Option<String> {
    if page.get("has_more")?.as_bool()? {
        let last = page.get("data")?.as_array()?.last()?;
        last.get("id")?.as_str().map(str::to_string)
    } else {
        None
    }
}

/// Stripe search paging: when `has_more` is true, the `next_page` token, to send as `page`.
pub fn stripe_next_search_page(page: &Value) -> Option<String> {
    if page.get("has_more")?.as_bool()? {
        page.get("next_page")?.as_str().map(str::to_string)
    } else {
        None
    }
}

/// `url` with the query parameter `key` set to `value` (replacing any earlier one), e.g.
/// `starting_after` for the next Stripe page. `None` when `url` does not parse.
pub fn with_query_param(url: &str, key: &str, value: &str) -> Option<String> {
    let mut url = Url::parse(url).ok()?;
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != key)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    url.query_pairs_mut()
        .clear()
        .extend_pairs(kept)
        .append_pair(key, value);
    Some(url.into())
}

/// The next Stripe list URL after `page`, or `None` on the last page.
pub fn stripe_next_url(requested: &str, page: &Value) -> Option<String> {
    let cursor = stripe_next_cursor(page)?;
    with_query_param(requested, "starting_after", &cursor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn capsule_style_next_link() {
        let header = r#"<https://api.capsulecrm.com/api/v2/parties?page=4>; rel="next""#;
        assert_eq!(
            parse_link_header(header).as_deref(),
            Some("https://api.capsulecrm.com/api/v2/parties?page=4")
        );
    }

    #[test]
    fn many_links_quoted_params_and_rel_lists() {
        let header = concat!(
            r#"<https://x.test/a?page=1>; rel="prev"; title="back, please", "#,
            r#"<https://x.test/a?page=9,10>;title="a \"quoted\" ; thing";REL="Next Last","#,
            r#"<https://x.test/a?page=3>; rel=next"#,
        );
        let links = parse_links(header);
        assert_eq!(links.len(), 3);
        assert_eq!(links[1].rels, ["next", "last"]);
        assert_eq!(
            parse_link_header(header).as_deref(),
            Some("https://x.test/a?page=9,10")
        );
    }

    #[test]
    fn no_next_or_malformed_gives_none() {
        assert_eq!(parse_link_header(r#"<https://x.test/>; rel="prev""#), None);
        assert_eq!(parse_link_header(""), None);
        assert_eq!(parse_link_header("https://x.test/; rel=next"), None);
        assert_eq!(parse_link_header(r#"<https://x.test/; rel="next""#), None);
        assert_eq!(parse_link_header(r#"<https://x.test/>; rel="next"#), None);
        assert_eq!(parse_link_header(r#"<https://x.test/>; rel="next\"#), None);
        // The second rel is ignored.
        assert_eq!(
            parse_link_header(r#"<https://x.test/>; rel=prev; rel=next"#),
            None
        );
    }

    #[test]
    fn relative_links_resolve_against_the_request() {
        let mut headers = HeaderMap::new();
        headers.append(
            LINK,
            reqwest::header::HeaderValue::from_static("<https://x.test/p>; rel=last"),
        );
        headers.append(
            LINK,
            reqwest::header::HeaderValue::from_static("</api/v2/parties?page=2>; rel=\"next\""),
        );
        assert_eq!(
            next_link("https://x.test/api/v2/parties?page=1", &headers).as_deref(),
            Some("https://x.test/api/v2/parties?page=2")
        );
    }

    #[test]
    fn odata_links() {
        let page =
            json!({"value": [], "@odata.nextLink": "https://bc.test/customers?$skiptoken=abc"});
        assert_eq!(
            odata_next_link(&page).as_deref(),
            Some("https://bc.test/customers?$skiptoken=abc")
        );
        assert_eq!(odata_next_link(&json!({"value": []})), None);
        assert_eq!(odata_next_link(&json!({"@odata.nextLink": 3})), None);
        assert_eq!(odata_next_link(&json!([1, 2])), None);
    }

    #[test]
    fn stripe_cursors() {
        let page =
            json!({"object": "list", "has_more": true, "data": [{"id": "cus_1"}, {"id": "cus_2"}]});
        assert_eq!(stripe_next_cursor(&page).as_deref(), Some("cus_2"));
        assert_eq!(
            stripe_next_url(
                "https://api.stripe.com/v1/customers?limit=2&starting_after=cus_0",
                &page
            )
            .as_deref(),
            Some("https://api.stripe.com/v1/customers?limit=2&starting_after=cus_2")
        );
        let last = json!({"object": "list", "has_more": false, "data": [{"id": "cus_3"}]});
        assert_eq!(stripe_next_cursor(&last), None);
        assert_eq!(
            stripe_next_cursor(&json!({"has_more": true, "data": []})),
            None
        );
        assert_eq!(
            stripe_next_cursor(&json!({"has_more": "yes", "data": [{"id": "x"}]})),
            None
        );
        let search =
            json!({"object": "search_result", "has_more": true, "data": [], "next_page": "pg_1"});
        assert_eq!(stripe_next_search_page(&search).as_deref(), Some("pg_1"));
    }
}
