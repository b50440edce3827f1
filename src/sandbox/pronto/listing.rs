//! The GET listings: `page`/`per_page` paging, `updated_since`/`created_since` at minute
//! precision in Sydney time, each endpoint's filters, and the `{root, count, pages}` body.

use std::collections::HashMap;

use jiff::Timestamp;
use serde_json::{Map, Value};

use super::error::ApiError;
use super::records::Listed;
use super::time::parse_since;

pub const DEFAULT_PER_PAGE: usize = 25;

/// What every listing takes: its page and the time filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListQuery {
    pub page: usize,
    pub per_page: usize,
    pub updated_since: Option<Timestamp>,
    pub created_since: Option<Timestamp>,
}

impl ListQuery {
    pub fn parse(params: &HashMap<String, String>, max_per_page: usize) -> Result<Self, ApiError> {
        let page = match params.get("page").map(|p| p.trim()) {
            None | Some("") => 1,
            Some(text) => positive(text)
                .ok_or_else(|| ApiError::bad_request(format!("Invalid page '{text}': expected a number from 1")))?,
        };
        let per_page = match params.get("per_page").map(|p| p.trim()) {
            None | Some("") => DEFAULT_PER_PAGE,
            Some(text) => {
                let refuse = || {
                    ApiError::bad_request(format!(
                        "Invalid per_page '{text}': expected a number from 1 to {max_per_page}"
                    ))
                };
                let per_page = positive(text).ok_or_else(refuse)?;
                if per_page > max_per_page {
                    return Err(refuse());
                }
                per_page
            }
        };
        // Blank is absent, as a Rails `present?` check would have it.
        let since = |name: &str| {
            params
                .get(name)
                .map(|text| text.trim())
                .filter(|text| !text.is_empty())
                .map(|text| parse_since(name, text).map_err(ApiError::bad_request))
                .transpose()
        };
        Ok(ListQuery {
            page,
            per_page,
            updated_since: since("updated_since")?,
            created_since: since("created_since")?,
        })
    }

    fn admits(&self, record: &impl Listed) -> bool {
        let stamps = record.stamps();
        self.updated_since.is_none_or(|t| stamps.updated_at >= t)
            && self.created_since.is_none_or(|t| stamps.created_at >= t)
    }
}

/// How `count` and `pages` are written: numbers, or strings as Pronto's documentation shows.
#[derive(Debug, Clone, Copy)]
pub struct CountStyle {
    pub as_strings: bool,
}

/// One page of `records` (already in key order and through the endpoint's own filters) under
/// `root`, with how many match and how many pages that makes.
pub fn page_of<'r, R: Listed + 'r>(
    root: &str,
    records: impl Iterator<Item = &'r R>,
    query: &ListQuery,
    style: CountStyle,
) -> Value {
    let matching: Vec<&R> = records.filter(|r| query.admits(*r)).collect();
    let count = matching.len();
    let pages = count.div_ceil(query.per_page);
    let shown: Vec<Value> = matching
        .into_iter()
        .skip((query.page - 1).saturating_mul(query.per_page))
        .take(query.per_page)
        .map(Listed::shown)
        .collect();
    let number = |n: usize| -> Value {
        if style.as_strings {
            n.to_string().into()
        } else {
            n.into()
        }
    };
    let mut body = Map::new();
    body.insert(root.into(), shown.into());
    body.insert("count".into(), number(count));
    body.insert("pages".into(), number(pages));
    Value::Object(body)
}

fn positive(text: &str) -> Option<usize> {
    text.parse::<usize>().ok().filter(|n| *n >= 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn paging_defaults_and_refusals() {
        let query = ListQuery::parse(&params(&[("page", ""), ("updated_since", "")]), 1000).unwrap();
        assert_eq!((query.page, query.per_page, query.updated_since), (1, 25, None));
        for (key, value) in [("page", "0"), ("page", "-1"), ("page", "x"), ("per_page", "1001"), ("per_page", "0")] {
            let error = ListQuery::parse(&params(&[(key, value)]), 1000).unwrap_err();
            assert_eq!(error.status, 400, "{key}={value}");
        }
        let error = ListQuery::parse(&params(&[("per_page", "5000")]), 1000).unwrap_err();
        assert!(error.message.contains("1000"), "{}", error.message);
    }
}
