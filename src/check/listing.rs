//! What the schemas say, for people: each connection's sources, map targets and sinks with
//! their fields (type, required, allowed values, doc). `ferry schema` prints it, and
//! docs/schemas.md is its Markdown.

use serde::Serialize;

use super::schema::SchemaRegistry;
use super::types::{Field, Type};

/// Nested objects are listed this deep (`address.city` is depth 2); deeper ones by type name.
const MAX_DEPTH: usize = 3;

/// One source, map target or sink.
#[derive(Debug, Clone, Serialize)]
pub struct Collection {
    /// `pronto.debtors`.
    pub name: String,
    /// `source`, `target` or `sink`.
    pub role: &'static str,
    /// What else a pipeline needs to know of it, one line each.
    pub notes: Vec<String>,
    pub fields: Vec<FieldRow>,
}

/// One field, with its path from the record (`lines[].item_code`).
#[derive(Debug, Clone, Serialize)]
pub struct FieldRow {
    pub path: String,
    #[serde(rename = "type")]
    pub ty: String,
    pub required: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub doc: Option<String>,
}

/// The connections the registry knows (the part of each name before its dot), in order.
pub fn connections(registry: &SchemaRegistry) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let all = registry
        .sources
        .keys()
        .chain(registry.targets.keys())
        .chain(registry.sinks.keys());
    for name in all {
        let connection = name.split('.').next().unwrap_or(name).to_string();
        if !names.contains(&connection) {
            names.push(connection);
        }
    }
    names
}

/// The collections `selector` names: a connection (`pronto`), one collection (`pronto.orders`:
/// its source and its sink, when both exist) or a map target (`pronto.order`).
pub fn collections(registry: &SchemaRegistry, selector: &str) -> Vec<Collection> {
    let wanted = |name: &str| name == selector || name.split('.').next() == Some(selector);
    let mut found = Vec::new();
    for source in registry.sources.values().filter(|s| wanted(&s.name)) {
        let mut notes = vec![format!("records are known by `{}`", source.id_field)];
        if !source.events.is_empty() {
            notes.push(format!(
                "{} event types; `on \"type\"` narrows `data.object` to its object",
                source.events.len()
            ));
        }
        if source.fetchable.by_id {
            notes.push(format!("`fetch({}, id)` reads one by id", source.name));
        }
        if !source.fetchable.filters.is_empty() {
            notes.push(format!(
                "`fetch_all` filters: {}",
                source.fetchable.filters.join(", ")
            ));
        }
        found.push(Collection {
            name: source.name.clone(),
            role: "source",
            notes,
            fields: rows(&source.record),
        });
    }
    for target in registry.targets.values().filter(|t| wanted(&t.name)) {
        let mut notes = Vec::new();
        if let Some(limits) = &target.metadata_limits {
            notes.push(format!(
                "metadata: at most {} keys, keys of {} characters, values of {}",
                limits.max_keys, limits.max_key_chars, limits.max_value_chars
            ));
        }
        found.push(Collection {
            name: target.name.clone(),
            role: "target",
            notes,
            fields: rows(&target.record),
        });
    }
    for sink in registry.sinks.values().filter(|s| wanted(&s.name)) {
        let keys: Vec<&str> = sink.keys.iter().map(|k| k.name.as_str()).collect();
        let mut notes = vec![
            format!("writes `map to {}` records", sink.accepts),
            format!("its records are known by {}", keys.join(", ")),
        ];
        if let Some(posting) = registry.posting.get(&sink.name) {
            notes.push(format!("takes `post` ({posting:?})"));
        }
        found.push(Collection {
            name: sink.name.clone(),
            role: "sink",
            notes,
            fields: Vec::new(),
        });
    }
    found
}

/// The fields of a record type, nested ones by path.
pub fn rows(record: &Type) -> Vec<FieldRow> {
    let mut rows = Vec::new();
    if let Type::Object(object) = record.non_null() {
        for (name, field) in &object.fields {
            push_rows(&mut rows, name, field, 1);
        }
    }
    rows
}

fn push_rows(rows: &mut Vec<FieldRow>, path: &str, field: &Field, depth: usize) {
    rows.push(FieldRow {
        path: path.to_string(),
        ty: field.ty.to_string(),
        required: field.required,
        values: field.allowed.clone().unwrap_or_default(),
        doc: field.doc.clone().filter(|doc| !doc.is_empty()),
    });
    if depth >= MAX_DEPTH {
        return;
    }
    let (inner, prefix) = match field.ty.non_null() {
        Type::List(item) => (item.non_null(), format!("{path}[]")),
        other => (other, path.to_string()),
    };
    if let Type::Object(object) = inner {
        for (name, nested) in &object.fields {
            push_rows(rows, &format!("{prefix}.{name}"), nested, depth + 1);
        }
    }
}

/// Every connection's collections as Markdown: docs/schemas.md.
pub fn markdown(registry: &SchemaRegistry) -> String {
    let mut out = String::from(
        "# Sources, map targets and sinks\n\n\
         Generated by `ferry schema --format markdown`; do not edit. `ferry schema NAME` prints one \
         connection or collection, `--format json` the same as data.\n\n\
         A source is what `source connection.stream` reads; a map target what `map to \
         connection.schema` builds (its *required* fields must be set); a sink what `sink \
         connection.collection` writes. A type ending in `?` may be null or absent.\n",
    );
    for connection in connections(registry) {
        out.push_str(&format!("\n## {connection}\n"));
        for collection in collections(registry, &connection) {
            out.push_str(&format!(
                "\n### `{}` ({})\n\n",
                collection.name, collection.role
            ));
            for note in &collection.notes {
                out.push_str(&format!("- {note}\n"));
            }
            if collection.fields.is_empty() {
                continue;
            }
            if !collection.notes.is_empty() {
                out.push('\n');
            }
            out.push_str("| field | type | required | values | doc |\n|---|---|---|---|---|\n");
            for row in &collection.fields {
                out.push_str(&format!(
                    "| `{}` | `{}` | {} | {} | {} |\n",
                    row.path,
                    row.ty.replace('|', "\\|"),
                    if row.required { "yes" } else { "" },
                    row.values.join(", "),
                    cell(row.doc.as_deref().unwrap_or("")),
                ));
            }
        }
    }
    out
}

/// Text that fits in one table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// One collection as aligned text, for the terminal.
pub fn text(collection: &Collection) -> String {
    let mut out = format!("{} ({})\n", collection.name, collection.role);
    for note in &collection.notes {
        out.push_str(&format!("  {note}\n"));
    }
    let width = collection
        .fields
        .iter()
        .map(|r| r.path.len())
        .max()
        .unwrap_or(0);
    let type_width = collection
        .fields
        .iter()
        .map(|r| r.ty.len())
        .max()
        .unwrap_or(0)
        .min(40);
    for row in &collection.fields {
        let mut line = format!(
            "  {:width$}  {:type_width$}  {}",
            row.path,
            row.ty,
            if row.required { "required" } else { "        " },
        );
        if !row.values.is_empty() {
            line.push_str(&format!("  one of {}", row.values.join(", ")));
        }
        if let Some(doc) = &row.doc {
            line.push_str(&format!("  {doc}"));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::types::ObjectType;

    #[test]
    fn nested_fields_are_listed_by_path() {
        let line = Type::object(
            ObjectType::named("acme.line").field("sku", Field::new(Type::String).required()),
        );
        let record = Type::object(
            ObjectType::named("acme.order")
                .field("id", Field::new(Type::String).doc("The id."))
                .field("lines", Field::new(Type::optional(Type::list(line)))),
        );
        let paths: Vec<(String, String, bool)> = rows(&record)
            .into_iter()
            .map(|r| (r.path, r.ty, r.required))
            .collect();
        assert_eq!(
            paths,
            [
                ("id".to_string(), "string".to_string(), false),
                ("lines".into(), "list<acme.line>?".into(), false),
                ("lines[].sku".into(), "string".into(), true),
            ]
        );
    }
}
