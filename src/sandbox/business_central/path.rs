//! The OData resource path after `/api/v2.0/`: `companies(id)/set(id)/lines(id)` and bound
//! actions such as `salesInvoices(id)/Microsoft.NAV.post`.

use super::error::ODataError;
use super::filter::is_guid;
use super::schema::{self, Api, EntitySet};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource {
    Companies,
    Company(String),
    /// A collection, optionally under a parent entity (`journals(id)/journalLines`).
    Collection {
        company: String,
        set: &'static EntitySet,
        parent: Option<(&'static EntitySet, String)>,
    },
    Entity {
        company: String,
        set: &'static EntitySet,
        id: String,
        parent: Option<(&'static EntitySet, String)>,
    },
    Action {
        company: String,
        set: &'static EntitySet,
        id: String,
        action: String,
    },
}

fn segment(text: &str) -> Result<(&str, Option<String>), ODataError> {
    match text.split_once('(') {
        None => Ok((text, None)),
        Some((name, rest)) => {
            let key = rest.strip_suffix(')').ok_or_else(|| {
                ODataError::bad_request(format!("Bad request: malformed key in '{text}'."))
            })?;
            let key = key.strip_prefix("id=").unwrap_or(key);
            let key = key.trim_matches('\'');
            if !is_guid(key) {
                return Err(ODataError::bad_request(format!(
                    "Bad request: '{key}' is not a valid key; keys are GUIDs."
                )));
            }
            Ok((name, Some(key.to_ascii_lowercase())))
        }
    }
}

fn unknown(path: &str) -> ODataError {
    ODataError::not_found(format!(
        "No HTTP resource was found that matches the request URI '{path}'."
    ))
}

/// `path` under `api`: a set another API serves is not found, as Business Central answers it.
pub fn parse(path: &str, api: Api) -> Result<Resource, ODataError> {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (first, company) = segment(parts.first().copied().unwrap_or(""))?;
    if first != "companies" {
        return Err(unknown(path));
    }
    let Some(company) = company else {
        return if parts.len() == 1 {
            Ok(Resource::Companies)
        } else {
            Err(unknown(path))
        };
    };
    let Some(second) = parts.get(1) else {
        return Ok(Resource::Company(company));
    };
    let (name, key) = segment(second)?;
    let set = schema::by_name(name)
        .filter(|set| schema::api_of(set) == api)
        .ok_or_else(|| unknown(path))?;
    match (key, parts.get(2), parts.len()) {
        (None, None, _) if schema::top_level(set) => Ok(Resource::Collection {
            company,
            set,
            parent: None,
        }),
        (Some(id), None, _) if schema::top_level(set) => Ok(Resource::Entity {
            company,
            set,
            id,
            parent: None,
        }),
        (Some(id), Some(third), 3) => {
            if let Some(action) = third.strip_prefix("Microsoft.NAV.") {
                return Ok(Resource::Action {
                    company,
                    set,
                    id,
                    action: action.to_string(),
                });
            }
            let (child_name, child_key) = segment(third)?;
            if set.lines != Some(child_name) {
                return Err(unknown(path));
            }
            let child = schema::by_name(child_name).ok_or_else(|| unknown(path))?;
            let parent = Some((set, id));
            Ok(match child_key {
                None => Resource::Collection {
                    company,
                    set: child,
                    parent,
                },
                Some(child_id) => Resource::Entity {
                    company,
                    set: child,
                    id: child_id,
                    parent,
                },
            })
        }
        _ => Err(unknown(path)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const G: &str = "6a1b4a3c-0000-4c6a-9f2e-1234567890ab";

    #[test]
    fn parses_the_shapes_business_central_uses() {
        assert_eq!(parse("companies", Api::V2).unwrap(), Resource::Companies);
        assert!(
            matches!(parse(&format!("companies({G})/customers"), Api::V2).unwrap(),
            Resource::Collection { set, parent: None, .. } if set.name == "customers")
        );
        assert!(
            matches!(parse(&format!("companies({G})/customers('{G}')"), Api::V2).unwrap(),
            Resource::Entity { set, .. } if set.name == "customers")
        );
        assert!(
            matches!(parse(&format!("companies({G})/salesInvoices({G})/Microsoft.NAV.post"), Api::V2).unwrap(),
            Resource::Action { action, .. } if action == "post")
        );
        assert!(
            matches!(parse(&format!("companies({G})/journals({G})/journalLines"), Api::V2).unwrap(),
            Resource::Collection { set, parent: Some(_), .. } if set.name == "journalLines")
        );
    }

    #[test]
    fn refuses_what_it_does_not_know() {
        assert_eq!(
            parse(&format!("companies({G})/vendors"), Api::V2)
                .unwrap_err()
                .code,
            "BadRequest_NotFound"
        );
        assert_eq!(
            parse(&format!("companies({G})/journalLines"), Api::V2)
                .unwrap_err()
                .code,
            "BadRequest_NotFound"
        );
        assert_eq!(
            parse(&format!("companies({G})/customers(42)"), Api::V2)
                .unwrap_err()
                .code,
            "BadRequest"
        );
        assert_eq!(
            parse(
                &format!("companies({G})/customers({G})/journalLines"),
                Api::V2
            )
            .unwrap_err()
            .code,
            "BadRequest_NotFound"
        );
    }

    #[test]
    fn the_customer_ledger_is_the_finance_reports_apis_alone() {
        let path = format!("companies({G})/customerLedgerEntries");
        assert!(matches!(
            parse(&path, Api::FinanceReports).unwrap(),
            Resource::Collection { set, .. } if set.name == "customerLedgerEntries"
        ));
        assert_eq!(
            parse(&path, Api::V2).unwrap_err().code,
            "BadRequest_NotFound"
        );
        assert_eq!(
            parse(&format!("companies({G})/customers"), Api::FinanceReports)
                .unwrap_err()
                .code,
            "BadRequest_NotFound"
        );
    }
}
