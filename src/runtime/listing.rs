//! A target collection listed whole, page by page, so that a reconcile plans each record
//! against it without a request per record: reading 100 records a page costs a hundredth of a
//! `get` each.

use std::collections::HashMap;
use std::sync::Mutex;

use serde_json::Value;

use crate::connectors::{MatchKey, TargetRecord};

/// The records of one target collection as its list pages gave them.
#[derive(Debug, Default)]
pub struct Listing {
    records: Vec<TargetRecord>,
    by_id: HashMap<String, usize>,
    /// Per set of match-key paths, the records by their values at those paths (the first
    /// listed wins), built the first time a find asks by those paths.
    by_keys: Mutex<HashMap<Vec<String>, KeyIndex>>,
}

/// Records by their values at a set of match-key paths: values -> position.
type KeyIndex = HashMap<Vec<String>, usize>;

impl Listing {
    /// The listing of `records`; a record listed twice (a page that moved under the reader)
    /// keeps its last version.
    pub fn new(records: impl IntoIterator<Item = TargetRecord>) -> Listing {
        let mut listing = Listing::default();
        for record in records {
            match listing.by_id.get(&record.id) {
                Some(&at) => listing.records[at] = record,
                None => {
                    listing
                        .by_id
                        .insert(record.id.clone(), listing.records.len());
                    listing.records.push(record);
                }
            }
        }
        listing
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.records.iter().map(|record| record.id.as_str())
    }

    pub fn get(&self, id: &str) -> Option<&TargetRecord> {
        self.by_id.get(id).map(|&at| &self.records[at])
    }

    /// The first listed record whose value at every key's path is the key's value, compared
    /// as text (a number and its digits match, as in the APIs' filters). A miss says nothing:
    /// an API may match more loosely (case, a record made since), so the caller asks it.
    pub fn find(&self, keys: &[MatchKey]) -> Option<&TargetRecord> {
        let wanted: Vec<String> = keys
            .iter()
            .map(|key| text(&key.value))
            .collect::<Option<_>>()?;
        if wanted.is_empty() {
            return None;
        }
        let paths: Vec<String> = keys.iter().map(|key| key.path.clone()).collect();
        let mut by_keys = self.by_keys.lock().unwrap_or_else(|e| e.into_inner());
        let index = by_keys
            .entry(paths)
            .or_insert_with_key(|paths| self.index_by(paths));
        index.get(&wanted).map(|&at| &self.records[at])
    }

    /// Each record by its values at `paths`; records missing one are left out.
    fn index_by(&self, paths: &[String]) -> KeyIndex {
        let mut index = HashMap::new();
        for (at, record) in self.records.iter().enumerate() {
            let values: Option<Vec<String>> = paths
                .iter()
                .map(|path| value_at(&record.data, path).and_then(text))
                .collect();
            if let Some(values) = values {
                index.entry(values).or_insert(at);
            }
        }
        index
    }
}

fn value_at<'v>(data: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('.')
        .try_fold(data, |value, part| value.get(part))
}

fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn record(id: &str, data: Value) -> TargetRecord {
        TargetRecord {
            id: id.into(),
            data,
            etag: None,
        }
    }

    fn key(path: &str, value: Value) -> MatchKey {
        MatchKey {
            path: path.into(),
            value,
        }
    }

    #[test]
    fn records_are_found_by_id_and_by_every_key() {
        let listing = Listing::new([
            record(
                "cus_1",
                json!({"email": "a@x.com", "metadata": {"capsule_id": "7"}}),
            ),
            record(
                "cus_2",
                json!({"email": "b@x.com", "metadata": {"capsule_id": "8"}}),
            ),
        ]);
        assert_eq!(listing.get("cus_2").unwrap().data["email"], "b@x.com");
        assert!(listing.get("cus_3").is_none());
        let found = listing.find(&[
            key("email", json!("b@x.com")),
            key("metadata.capsule_id", json!(8)),
        ]);
        assert_eq!(found.unwrap().id, "cus_2");
        assert!(
            listing
                .find(&[
                    key("email", json!("b@x.com")),
                    key("metadata.capsule_id", json!(7))
                ])
                .is_none()
        );
        assert!(listing.find(&[key("email", Value::Null)]).is_none());
        assert!(listing.find(&[]).is_none());
    }

    #[test]
    fn a_record_listed_twice_keeps_its_last_version() {
        let listing = Listing::new([
            record("cus_1", json!({"name": "old"})),
            record("cus_1", json!({"name": "new"})),
        ]);
        assert_eq!(listing.len(), 1);
        assert_eq!(listing.get("cus_1").unwrap().data["name"], "new");
    }
}
