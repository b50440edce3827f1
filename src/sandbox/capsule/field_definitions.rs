//! Capsule's custom field definitions: `GET /{parties|opportunities|kases}/fields/definitions`
//! (paged like every listing), and what a value of each type must be when a record is
//! written.
//!
//! The definitions' shape follows Capsule's documented example (`id`, `name`, `type`,
//! `displayOrder`, `options` for lists, `tag` for a data tag's fields). Which JSON a value of
//! each type takes on a write is not documented (unverified): the sandbox takes text for
//! `text`, a JSON number for `number`, `YYYY-MM-DD` for `date`, `true`/`false` for `boolean`
//! and one of the options for `list`, null to clear any of them, and refuses anything else
//! with a 422 as Capsule refuses a bad value.

use std::collections::HashMap;

use axum::extract::{OriginalUri, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::CapsuleState;
use super::handlers::{DEFAULT_PER_PAGE, MAX_PER_PAGE, Page, parse_number};
use super::party::FieldDefinition;

/// The definitions of `entity` (`parties`, `opportunities`, `kases`), in display order.
pub(super) async fn list(
    entity: &'static str,
    State(state): State<CapsuleState>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
) -> Response {
    let paging = parse_number(&params, "page", 1, 1..=usize::MAX).and_then(|page| {
        parse_number(&params, "perPage", DEFAULT_PER_PAGE, 1..=MAX_PER_PAGE)
            .map(|per_page| (page, per_page))
    });
    let (page, per_page) = match paging {
        Ok(paging) => paging,
        Err(refusal) => return refusal.into_response(),
    };
    let data = state.data();
    let definitions: Vec<&FieldDefinition> = data
        .definitions
        .iter()
        .filter(|d| d.entity == entity)
        .collect();
    let page_of = Page {
        page,
        per_page,
        headers: &headers,
        path: uri.path(),
        params: &params,
    };
    page_of.respond("definitions", &definitions, |d| render(d))
}

fn render(definition: &FieldDefinition) -> Value {
    let mut out = Map::new();
    out.insert("id".into(), json!(definition.id));
    out.insert("type".into(), json!(definition.kind));
    out.insert("displayOrder".into(), json!(definition.id));
    out.insert("name".into(), json!(definition.name));
    out.insert("description".into(), Value::Null);
    out.insert("important".into(), json!(false));
    if definition.kind == "list" {
        out.insert("options".into(), json!(definition.options));
    }
    Value::Object(out)
}

/// Why `value` cannot be a value of `definition`, in Capsule's words for a 422.
pub fn refusal(definition: &FieldDefinition, value: &Value) -> Option<String> {
    if value.is_null() {
        return None;
    }
    let fits = match definition.kind {
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "date" => value
            .as_str()
            .and_then(|text| Some((text, text.parse::<jiff::civil::Date>().ok()?)))
            .is_some_and(|(text, date)| date.to_string() == text),
        "list" => value
            .as_str()
            .is_some_and(|text| definition.options.contains(&text)),
        _ => value.is_string(),
    };
    (!fits).then(|| match definition.kind {
        "date" => format!("{} must be a date (yyyy-MM-dd)", definition.name),
        "list" => format!(
            "{} must be one of: {}",
            definition.name,
            definition.options.join(", ")
        ),
        kind => format!("{} must be a {kind}", definition.name),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn definition(kind: &'static str, options: &'static [&'static str]) -> FieldDefinition {
        FieldDefinition {
            id: 1,
            name: "Field".into(),
            kind,
            entity: "parties",
            options,
        }
    }

    #[test]
    fn values_must_fit_their_type() {
        let date = definition("date", &[]);
        assert_eq!(refusal(&date, &json!("2027-03-31")), None);
        assert_eq!(
            refusal(&date, &json!("31/03/2027")).as_deref(),
            Some("Field must be a date (yyyy-MM-dd)")
        );
        let plan = definition("list", &["Basic", "Pro"]);
        assert_eq!(refusal(&plan, &json!("Pro")), None);
        assert_eq!(
            refusal(&plan, &json!("Gold")).as_deref(),
            Some("Field must be one of: Basic, Pro")
        );
        assert_eq!(refusal(&plan, &Value::Null), None);
        let number = definition("number", &[]);
        assert!(refusal(&number, &json!("12")).is_some());
        assert_eq!(refusal(&number, &json!(12.5)), None);
        assert!(refusal(&definition("boolean", &[]), &json!("yes")).is_some());
        assert!(refusal(&definition("text", &[]), &json!(3)).is_some());
    }
}
