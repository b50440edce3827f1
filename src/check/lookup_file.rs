//! Reads `lookup NAME from "file"` tables (CSV or YAML) into key -> JSON value maps.

use std::path::Path;

use indexmap::IndexMap;

use crate::diagnostics::{Code, Diagnostic};
use crate::syntax::ast::{LookupDecl, LookupTable};

pub type LookupData = IndexMap<String, serde_json::Value>;

/// Loads a file-backed lookup relative to `base_dir`. Inline tables return `Ok(None)`.
pub fn load(decl: &LookupDecl, base_dir: &Path) -> Result<Option<LookupData>, Diagnostic> {
    let LookupTable::File { path, key, value } = &decl.table else {
        return Ok(None);
    };
    let full = base_dir.join(&path.value);
    let text = std::fs::read_to_string(&full).map_err(|error| {
        Diagnostic::new(
            Code::LookupFileMissing,
            path.span,
            format!("cannot read lookup file `{}`: {error}", full.display()),
        )
        .with_label("this file")
        .with_help("paths are relative to the pipeline file")
    })?;
    let malformed = |message: String| {
        Diagnostic::new(Code::LookupFileMalformed, path.span, message).with_label("this file")
    };
    let lower = path.value.to_ascii_lowercase();
    let data = if lower.ends_with(".csv") {
        let (Some(key), Some(value)) = (key, value) else {
            return Err(malformed(
                "a CSV lookup needs `key \"column\" value \"column\"`".into(),
            ));
        };
        from_csv(&text, &key.value, &value.value).map_err(malformed)?
    } else if lower.ends_with(".yaml") || lower.ends_with(".yml") {
        from_yaml(
            &text,
            key.as_ref().map(|k| k.value.as_str()),
            value.as_ref().map(|v| v.value.as_str()),
        )
        .map_err(malformed)?
    } else {
        return Err(malformed(format!(
            "`{}` is neither .csv nor .yaml/.yml",
            path.value
        )));
    };
    Ok(Some(data))
}

/// A CSV table: the header row names the columns, `key` and `value` pick two of them; every
/// cell is trimmed and a key may appear once.
pub fn from_csv(text: &str, key: &str, value: &str) -> Result<LookupData, String> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| format!("cannot read the CSV header: {e}"))?
        .clone();
    let column = |name: &str| {
        headers.iter().position(|h| h == name).ok_or_else(|| {
            let known: Vec<&str> = headers.iter().collect();
            format!(
                "the CSV has no column `{name}` (columns: {})",
                known.join(", ")
            )
        })
    };
    let (key_column, value_column) = (column(key)?, column(value)?);
    let mut data = LookupData::new();
    for record in reader.records() {
        let record = record.map_err(|e| format!("malformed CSV: {e}"))?;
        let line = record.position().map_or(0, |p| p.line());
        let k = record.get(key_column).unwrap_or_default().to_string();
        let v = record.get(value_column).unwrap_or_default().to_string();
        if data
            .insert(k.clone(), serde_json::Value::String(v))
            .is_some()
        {
            return Err(format!("key `{k}` appears twice (line {line})"));
        }
    }
    Ok(data)
}

/// A YAML table: a mapping of keys to values, or (with `key`) a list of records keyed by their
/// scalar `key` field, each giving its `value` field or the whole record.
pub fn from_yaml(text: &str, key: Option<&str>, value: Option<&str>) -> Result<LookupData, String> {
    let document: serde_json::Value =
        crate::formats::yaml::from_str(text).map_err(|e| format!("malformed YAML: {e}"))?;
    let mut data = LookupData::new();
    match (document, key) {
        (serde_json::Value::Object(map), None) => {
            for (k, v) in map {
                data.insert(k, v);
            }
        }
        (serde_json::Value::Array(rows), Some(key)) => {
            for (index, row) in rows.into_iter().enumerate() {
                let Some(k) = row.get(key).and_then(scalar_key) else {
                    return Err(format!("entry {} has no scalar `{key}`", index + 1));
                };
                let v = match value {
                    Some(value) => row
                        .get(value)
                        .cloned()
                        .ok_or_else(|| format!("entry {} has no `{value}`", index + 1))?,
                    None => row,
                };
                if data.insert(k.clone(), v).is_some() {
                    return Err(format!("key `{k}` appears twice"));
                }
            }
        }
        (serde_json::Value::Object(_), Some(_)) => {
            return Err("with `key`, the YAML file must be a list of records".into());
        }
        _ => {
            return Err(
                "the YAML file must be a mapping of keys to values, or a list of records with `key`"
                    .into(),
            );
        }
    }
    Ok(data)
}

fn scalar_key(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}
