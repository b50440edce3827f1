//! The lookup tables read from files: any CSV or YAML text loads or is refused without a
//! panic, and a table written by a CSV or YAML writer loads back as written.

use ferry::check::lookup_file::{from_csv, from_yaml};
use indexmap::IndexMap;
use serde_json::Value;

use super::Bytes;

const CELL_CHARS: &[char] = &[
    'a', 'B', '7', ' ', ',', ';', '"', '\'', '\n', '\r', '\t', '#', ':', '-', '?', '&', '*', '!',
    '|', '>', '{', '[', 'é', '€', '\u{a0}', '%', '@', '`', '0', '.',
];
const COLUMNS: &[&str] = &["code", "name", "note", "Code", ""];

/// The CSV fuzz target: the bytes as a CSV file (the key and value columns chosen by the
/// first byte), then a table built from the same bytes.
pub fn check_csv(data: &[u8]) {
    let (text, key, value) = text_and_columns(data);
    if let Ok(table) = from_csv(&text, key, value) {
        assert!(table.values().all(Value::is_string), "{text:?}");
    }
    csv_round_trips(&rows(data));
}

/// The YAML fuzz target: the bytes as a YAML file, loaded as a mapping and as a list of
/// records, then a table built from the same bytes.
pub fn check_yaml(data: &[u8]) {
    let (text, key, value) = text_and_columns(data);
    let _ = from_yaml(&text, None, None);
    let _ = from_yaml(&text, Some(key), None);
    let _ = from_yaml(&text, Some(key), Some(value));
    yaml_round_trips(&rows(data));
}

fn text_and_columns(data: &[u8]) -> (String, &'static str, &'static str) {
    let mut bytes = Bytes::new(data);
    let choice = bytes.byte();
    let key = COLUMNS[usize::from(choice) % COLUMNS.len()];
    let value = COLUMNS[usize::from(choice / 8) % COLUMNS.len()];
    (
        String::from_utf8_lossy(bytes.rest()).into_owned(),
        key,
        value,
    )
}

fn rows(data: &[u8]) -> Vec<(String, String)> {
    let mut bytes = Bytes::new(data);
    (0..bytes.byte() % 8)
        .map(|_| (bytes.text_from(CELL_CHARS), bytes.text_from(CELL_CHARS)))
        .collect()
}

/// The rows trimmed, each key once (the first wins), in order.
fn distinct(rows: &[(String, String)]) -> IndexMap<String, String> {
    let mut table = IndexMap::new();
    for (key, value) in rows {
        table
            .entry(key.trim().to_string())
            .or_insert_with(|| value.trim().to_string());
    }
    table
}

/// Rows written by the `csv` crate (with a column the lookup does not use) load back as
/// written; cells are trimmed by the loader, so the rows are trimmed first.
pub fn csv_round_trips(rows: &[(String, String)]) {
    let table = distinct(rows);
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(["name", "note", "code"]).unwrap();
    for (key, value) in &table {
        writer.write_record([value, "-", key]).unwrap();
    }
    let text = String::from_utf8(writer.into_inner().unwrap()).unwrap();
    let loaded = from_csv(&text, "code", "name").unwrap_or_else(|e| panic!("{e}: {text:?}"));
    let expected: IndexMap<String, Value> = table
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    assert_eq!(loaded, expected, "{text:?}");
}

/// A mapping, and a list of records with `key` and `value`, written by serde_yaml load back
/// as written.
pub fn yaml_round_trips(rows: &[(String, String)]) {
    let table = distinct(rows);
    let expected: IndexMap<String, Value> = table
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    let text = serde_yaml::to_string(&table).unwrap();
    let loaded = from_yaml(&text, None, None).unwrap_or_else(|e| panic!("{e}: {text:?}"));
    assert_eq!(loaded, expected, "{text:?}");

    let records: Vec<IndexMap<&str, &str>> = table
        .iter()
        .map(|(k, v)| IndexMap::from([("code", k.as_str()), ("name", v.as_str())]))
        .collect();
    let text = serde_yaml::to_string(&records).unwrap();
    let loaded =
        from_yaml(&text, Some("code"), Some("name")).unwrap_or_else(|e| panic!("{e}: {text:?}"));
    assert_eq!(loaded, expected, "{text:?}");
}
