//! OData query options and the shape of entities on the wire.

use serde_json::{Map, Value};

use super::error::ODataError;
use super::filter::{self, Filter};
use super::schema::EntitySet;
use super::store::{Company, Entity};

#[derive(Debug, Default)]
pub struct QueryOptions {
    pub filter: Option<Filter>,
    pub top: Option<usize>,
    pub skip: usize,
    pub select: Option<Vec<String>>,
    pub expand: Option<&'static EntitySet>,
    pub skiptoken: Option<u64>,
    /// Every pair as sent, to rebuild `@odata.nextLink`.
    pub pairs: Vec<(String, String)>,
}

fn whole_number(name: &str, value: &str) -> Result<usize, ODataError> {
    value.trim().parse().map_err(|_| {
        ODataError::bad_request(format!(
            "Invalid value '{value}' for {name}: a non-negative whole number is expected."
        ))
    })
}

pub fn parse(raw: Option<&str>, set: &EntitySet) -> Result<QueryOptions, ODataError> {
    let mut options = QueryOptions {
        pairs: url::form_urlencoded::parse(raw.unwrap_or("").as_bytes())
            .into_owned()
            .collect(),
        ..QueryOptions::default()
    };
    for (name, value) in options.pairs.clone() {
        match name.as_str() {
            "$filter" => {
                let parsed = filter::parse(&value)
                    .map_err(|e| ODataError::bad_request(format!("Invalid $filter: {e}")))?;
                parsed.check(set).map_err(ODataError::bad_request)?;
                options.filter = Some(parsed);
            }
            "$top" => options.top = Some(whole_number("$top", &value)?),
            "$skip" => options.skip = whole_number("$skip", &value)?,
            "$skiptoken" => {
                options.skiptoken = Some(value.trim_matches('\'').parse().map_err(|_| {
                    ODataError::bad_request(format!("Invalid $skiptoken '{value}'."))
                })?)
            }
            "$select" => {
                let mut names = Vec::new();
                for field in value.split(',').map(str::trim) {
                    if set.property(field).is_none() {
                        return Err(ODataError::bad_request(format!(
                            "Could not find a property named '{field}' on type 'Microsoft.NAV.{}'.",
                            set.entity
                        )));
                    }
                    names.push(field.to_string());
                }
                options.select = Some(names);
            }
            "$expand" => {
                let wanted = value.trim();
                match set
                    .lines
                    .filter(|l| *l == wanted)
                    .and_then(super::schema::by_name)
                {
                    Some(lines) => options.expand = Some(lines),
                    None => {
                        return Err(ODataError::bad_request(format!(
                            "Could not find a navigation property named '{wanted}' on type 'Microsoft.NAV.{}'.",
                            set.entity
                        )));
                    }
                }
            }
            "$schemaversion" | "company" => {}
            other if other.starts_with('$') => {
                return Err(ODataError::bad_request(format!(
                    "The query option '{other}' is not supported by the ferry sandbox."
                )));
            }
            _ => {}
        }
    }
    Ok(options)
}

/// The page size a `Prefer: odata.maxpagesize=N` header asks for.
pub fn preferred_page_size(prefer: Option<&str>) -> Option<usize> {
    prefer?
        .split(',')
        .filter_map(|p| p.trim().strip_prefix("odata.maxpagesize="))
        .find_map(|n| n.trim().parse().ok())
        .filter(|n| *n > 0)
}

/// An entity as Business Central sends it: the etag first, then its properties.
pub fn render(
    entity: &Entity,
    select: Option<&[String]>,
    expand: Option<(&'static EntitySet, &Company)>,
) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("@odata.etag".into(), Value::String(entity.etag()));
    for (key, value) in &entity.fields {
        if select.is_none_or(|names| names.iter().any(|n| n == key)) {
            out.insert(key.clone(), value.clone());
        }
    }
    if let Some((lines, company)) = expand {
        let items: Vec<Value> = company
            .entities(lines)
            .filter(|l| {
                l.text(lines.parent_key.unwrap_or("documentId"))
                    .eq_ignore_ascii_case(entity.id())
            })
            .map(|l| Value::Object(render(l, None, None)))
            .collect();
        out.insert(lines.name.into(), Value::Array(items));
    }
    out
}
