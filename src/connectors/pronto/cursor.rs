//! Where a poll of a Pronto listing stands.
//!
//! Avenue filters by `updated_since` to the minute and pages by number, with no way to ask for
//! records up to a time. So a poll reads in passes: a pass pages through everything changed
//! since its start minute, and the next pass starts a minute before the one the previous pass
//! began in (the server's clock), so that a record changed while a pass was being read is read
//! again by the next. Records handed out already at the overlap are remembered by id and
//! `updated_at` and not handed out twice.
//!
//! Pages are numbered, so a record that joins the listing mid-pass shifts the ones after it by
//! one: a `count` that differs from the pass's first page starts the pass again from page 1
//! (repeats are harmless; a skipped record is not). A change to a record already in the listing
//! does not move the others as long as the listing is in key order, which is what Pronto was
//! seen to do [U].

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::connectors::ConnectorError;
use crate::connectors::client::PassProgress;

/// One stream's position, stored as JSON text.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PassCursor {
    /// The `updated_since` of the pass being read; `None` reads everything.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "unix_seconds")]
    pub since: Option<Timestamp>,
    /// The next page of the pass, from 1.
    pub page: u64,
    /// The page size the pass is numbered in.
    pub per_page: u64,
    /// The listing's `count` when the pass read its first page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// The server's clock when the pass read its first page.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "unix_seconds")]
    pub started: Option<Timestamp>,
    /// Records the previous pass handed out at or after this pass's `since`: `id@updated_at`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skip: Vec<String>,
    /// Records this pass handed out that the next pass will read again (changed at or after
    /// the minute before `started`): `id@updated_at`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub overlap: Vec<String>,
}

impl PassCursor {
    /// The first pass: from `since` (`ferry run --since`), or everything.
    pub fn start(since: Option<Timestamp>, per_page: u64) -> PassCursor {
        PassCursor {
            since,
            page: 1,
            per_page,
            ..PassCursor::default()
        }
    }

    /// A stored cursor, or the first pass.
    pub fn resume(
        stored: Option<&str>,
        since: Option<Timestamp>,
        per_page: u64,
    ) -> Result<PassCursor, ConnectorError> {
        let Some(stored) = stored else {
            return Ok(PassCursor::start(since, per_page));
        };
        let cursor: PassCursor = serde_json::from_str(stored).map_err(|error| {
            ConnectorError::Unsupported(format!(
                "the stored Pronto cursor is not one this ferry wrote ({error}); run with --backfill"
            ))
        })?;
        if cursor.page == 0 || cursor.per_page == 0 {
            return Err(ConnectorError::Unsupported(
                "the stored Pronto cursor has no page; run with --backfill".into(),
            ));
        }
        Ok(cursor)
    }

    pub fn encode(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The time the pass being read starts at, for the stall alerts.
    pub fn time_of(stored: &str) -> Option<Timestamp> {
        serde_json::from_str::<PassCursor>(stored).ok()?.since
    }

    /// Records read of the pass, and in it, while a pass is under way.
    pub fn progress_of(stored: &str) -> Option<PassProgress> {
        let cursor: PassCursor = serde_json::from_str(stored).ok()?;
        let total = cursor.count?;
        let read = cursor.page.saturating_sub(1).saturating_mul(cursor.per_page);
        Some(PassProgress {
            read: read.min(total),
            total,
        })
    }

    /// Whether a record was handed out by the previous pass as it is now.
    pub fn handed_out(&self, key: &str) -> bool {
        self.skip.iter().any(|k| k == key)
    }

    /// The listing's count changed under the pass: read it again from its first page.
    pub fn restart_pass(&mut self) {
        self.page = 1;
        self.count = None;
        self.started = None;
    }

    /// The pass is read: the next starts at `next_since`, skipping what this one handed out
    /// from then on.
    pub fn next_pass(&mut self, next_since: Timestamp, overlap_at: impl Fn(&str) -> bool) {
        let overlap = std::mem::take(&mut self.overlap);
        self.skip = overlap.into_iter().filter(|key| overlap_at(key)).collect();
        self.since = Some(next_since);
        self.restart_pass();
    }
}

/// Times as whole Unix seconds (Pronto's times are whole minutes).
mod unix_seconds {
    use jiff::Timestamp;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(at: &Option<Timestamp>, out: S) -> Result<S::Ok, S::Error> {
        match at {
            Some(at) => out.serialize_i64(at.as_second()),
            None => out.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(input: D) -> Result<Option<Timestamp>, D::Error> {
        match Option::<i64>::deserialize(input)? {
            Some(seconds) => Timestamp::from_second(seconds)
                .map(Some)
                .map_err(serde::de::Error::custom),
            None => Ok(None),
        }
    }
}

/// The key a handed-out record is remembered by.
pub fn record_key(id: &str, updated_at: Timestamp) -> String {
    format!("{id}@{}", updated_at.as_second())
}

/// The `updated_at` a remembered key holds.
pub fn key_time(key: &str) -> Option<Timestamp> {
    let seconds = key.rsplit_once('@')?.1.parse().ok()?;
    Timestamp::from_second(seconds).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_and_refuses_garbage() {
        let mut cursor = PassCursor::start(None, 100);
        cursor.overlap.push(record_key("C1", Timestamp::UNIX_EPOCH));
        let text = cursor.encode();
        assert_eq!(PassCursor::resume(Some(&text), None, 5).unwrap(), cursor);
        assert!(PassCursor::resume(Some("{\"page\":0,\"per_page\":1}"), None, 5).is_err());
        assert!(PassCursor::resume(Some("nope"), None, 5).is_err());
    }

    #[test]
    fn the_next_pass_skips_only_what_it_will_read_again() {
        let old = Timestamp::from_second(1_000).unwrap();
        let new = Timestamp::from_second(2_000).unwrap();
        let mut cursor = PassCursor::start(None, 100);
        cursor.page = 4;
        cursor.overlap = vec![record_key("A", old), record_key("B", new)];
        cursor.next_pass(new, |key| key_time(key).is_some_and(|at| at >= new));
        assert_eq!(cursor.skip, vec![record_key("B", new)]);
        assert_eq!((cursor.page, cursor.since), (1, Some(new)));
        assert!(cursor.handed_out(&record_key("B", new)));
        assert!(!cursor.handed_out(&record_key("B", old)));
    }
}
