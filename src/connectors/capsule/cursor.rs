//! Where a poll of a Capsule listing (parties, opportunities, kases, tasks) resumes.
//!
//! Capsule's `since` is inclusive and its times are whole seconds. The cursor holds the
//! `updatedAt` of the last record handed out and the next poll starts at page 1 again: a record
//! changed meanwhile gets a later `updatedAt` and cannot be skipped.
//!
//! Records of that last second come back too, unless the second was already over (by the
//! server's clock) when the page was read: then nothing can change in it any more, and the
//! cursor's `through` (the highest id of that second handed out) drops them.
//!
//! When a whole page shares one finished second, restarting at page 1 would never progress.
//! Then the cursor also counts the positions of that second already read (`skip`) and the id
//! at the last one (`anchor`). The next request is sized so that its page holds the anchor and
//! what follows it; if the anchor is not where it should be, records moved and the second is
//! read again from its start.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::connectors::ConnectorError;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ListingCursor {
    /// Lower bound (inclusive) of `updatedAt`; none reads from the beginning.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "time_text")]
    pub since: Option<Timestamp>,
    /// Parties at or after `since` already handed out, when more than a page shares `since`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub skip: usize,
    /// The id at position `skip` - 1 while `skip` is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anchor: Option<u64>,
    /// The highest id at `since` handed out, when that second was over as it was read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub through: Option<u64>,
    /// Lower bound (inclusive) of `deletedAt` for the entity's `/x/deleted`.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "time_text")]
    pub deleted_since: Option<Timestamp>,
}

/// Times as RFC 3339 text (jiff is built without its serde feature).
mod time_text {
    use jiff::Timestamp;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(at: &Option<Timestamp>, out: S) -> Result<S::Ok, S::Error> {
        match at {
            Some(at) => out.collect_str(at),
            None => out.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(input: D) -> Result<Option<Timestamp>, D::Error> {
        Option::<String>::deserialize(input)?
            .map(|text| text.parse().map_err(serde::de::Error::custom))
            .transpose()
    }
}

/// How long after a second the server must be before no write can land in it any more.
const SETTLE: jiff::SignedDuration = jiff::SignedDuration::from_secs(5);

/// Whether writes at `at` are over by the server's clock `now`.
pub fn settled(at: Timestamp, now: Timestamp) -> bool {
    now.duration_since(at) >= SETTLE
}

/// How long until writes at `at` are over by the server's clock `now`.
pub fn until_settled(at: Timestamp, now: Timestamp) -> std::time::Duration {
    let left = SETTLE - now.duration_since(at);
    std::time::Duration::try_from(left).unwrap_or_default()
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl ListingCursor {
    /// A cursor from storage, or the start (`since`) when there is none.
    pub fn resume(stored: Option<&str>, since: Option<Timestamp>) -> Result<Self, ConnectorError> {
        match stored {
            None => Ok(ListingCursor {
                since,
                deleted_since: since,
                ..ListingCursor::default()
            }),
            Some(text) => serde_json::from_str(text).map_err(|error| {
                ConnectorError::Unsupported(format!(
                    "capsule: the stored cursor `{text}` is not a Capsule listing cursor: {error}"
                ))
            }),
        }
    }

    /// The `updatedAt` a stored cursor has read up to (`Client::cursor_time`).
    pub fn time_of(stored: &str) -> Option<Timestamp> {
        ListingCursor::resume(Some(stored), None).ok()?.since
    }

    pub fn encode(&self) -> String {
        // A struct of strings and numbers always serializes.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Which page to ask for: `(per_page, page, anchor_index)`. Resuming inside a crowded
    /// second picks the largest page size that does not divide `skip`, so the page holds the
    /// anchor (at `anchor_index`) and at least one party after it.
    pub fn window(&self, page_size: usize) -> (usize, usize, Option<usize>) {
        if self.skip == 0 || self.anchor.is_none() {
            return (page_size, 1, None);
        }
        match (1..=page_size)
            .rev()
            .find(|m| !self.skip.is_multiple_of(*m))
        {
            Some(per_page) => (
                per_page,
                self.skip / per_page + 1,
                Some(self.skip % per_page - 1),
            ),
            None => (page_size, 1, None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fresh_cursor_reads_page_one() {
        let cursor = ListingCursor::default();
        assert_eq!(cursor.window(100), (100, 1, None));
    }

    #[test]
    fn a_crowded_second_overlaps_the_anchor() {
        let cursor = ListingCursor {
            skip: 100,
            anchor: Some(7),
            ..ListingCursor::default()
        };
        // 100 % 99 == 1: page 2 of 99 starts at 99, so index 0 is party 100 (the anchor).
        assert_eq!(cursor.window(100), (99, 2, Some(0)));
        let cursor = ListingCursor {
            skip: 150,
            anchor: Some(7),
            ..ListingCursor::default()
        };
        assert_eq!(cursor.window(100), (100, 2, Some(49)));
    }

    #[test]
    fn cursors_round_trip() {
        let cursor = ListingCursor {
            since: Some("2026-01-01T00:00:00Z".parse().unwrap()),
            skip: 3,
            anchor: Some(11),
            through: Some(11),
            deleted_since: None,
        };
        let back = ListingCursor::resume(Some(&cursor.encode()), None).unwrap();
        assert_eq!(back, cursor);
        assert_eq!(ListingCursor::time_of(&cursor.encode()), cursor.since);
        assert_eq!(ListingCursor::time_of("nope"), None);
        assert!(ListingCursor::resume(Some("nope"), None).is_err());
    }
}
