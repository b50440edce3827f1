//! The Stripe schema table derived from Stripe's OpenAPI spec by
//! `scripts/derive_stripe_schemas.py` (see that script for the format), compiled into the
//! binary and parsed once.

use std::sync::OnceLock;

use indexmap::IndexMap;
use serde::Deserialize;

const TABLE_JSON: &str = include_str!("schemas.json");

/// Named objects: object name -> field name -> field.
pub type Objects = IndexMap<String, IndexMap<String, FieldSpec>>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Table {
    /// Webhook event type -> the object name in `data.object`, or `any`.
    pub event_types: IndexMap<String, String>,
    /// Response objects, what sources yield.
    pub objects: Objects,
    /// Create-endpoint parameters, what map targets accept.
    pub requests: Objects,
}

/// One field (or a list's item) as the script writes it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub optional: bool,
    #[serde(default)]
    pub required: bool,
    #[serde(rename = "enum")]
    pub allowed: Option<Vec<String>>,
    #[serde(rename = "ref")]
    pub reference: Option<String>,
    pub item: Option<Box<FieldSpec>>,
    pub other_keys: Option<String>,
    pub max_length: Option<usize>,
    pub doc: Option<String>,
    /// A request hash Stripe replaces as a whole on update (anything but a map like metadata).
    #[serde(default)]
    pub whole_on_update: bool,
}

/// The parsed table; the error says what is wrong with the embedded file.
pub fn table() -> Result<&'static Table, &'static str> {
    static TABLE: OnceLock<Result<Table, String>> = OnceLock::new();
    TABLE
        .get_or_init(|| {
            serde_json::from_str(TABLE_JSON)
                .map_err(|e| format!("the embedded Stripe schema table is malformed: {e}"))
        })
        .as_ref()
        .map_err(String::as_str)
}
