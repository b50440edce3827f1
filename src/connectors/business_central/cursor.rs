//! Where a Business Central poll resumes.
//!
//! A pass lists `lastModifiedDateTime ge since` page by page through `@odata.nextLink`. The
//! emulator cannot `$orderby`, and server-driven paging follows the record key, so a record
//! changed after the pass read past it is not seen again in that pass. The next pass therefore
//! starts no later than the server's clock when the pass began (less a margin for clock skew),
//! nor later than the newest change the pass saw; `ge` repeats the boundary records, never
//! skips them. A pass of one page may start the next one at its newest change.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::connectors::ConnectorError;

/// Slack for the server's clock (its `Date` header) against record times.
const CLOCK_MARGIN: SignedDuration = SignedDuration::from_secs(60);

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChangeCursor {
    /// Lower bound (inclusive) of `lastModifiedDateTime` for the pass (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    /// The query of the pass's next page (`?$skiptoken=...` and the filter), without the
    /// host, so a moved base URL still resumes; see `paging::odata_next_query`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    /// The server's time when the pass began.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pass_start: Option<String>,
    /// The newest `lastModifiedDateTime` the pass has handed out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub newest: Option<String>,
}

impl ChangeCursor {
    pub fn resume(stored: Option<&str>, since: Option<Timestamp>) -> Result<Self, ConnectorError> {
        match stored {
            None => Ok(ChangeCursor {
                since: since.map(|at| at.to_string()),
                ..ChangeCursor::default()
            }),
            Some(text) => serde_json::from_str(text).map_err(|error| {
                ConnectorError::Unsupported(format!(
                    "business central: the stored cursor `{text}` is not a change cursor: {error}"
                ))
            }),
        }
    }

    /// The pass's lower bound in a stored cursor: every change before it was handed out
    /// (`Client::cursor_time`).
    pub fn time_of(stored: &str) -> Option<Timestamp> {
        time(&ChangeCursor::resume(Some(stored), None).ok()?.since)
    }

    pub fn encode(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Notes a page: its newest change and, on a pass's first page, the server's time.
    pub fn saw_page(&mut self, newest: Option<Timestamp>, server_time: Timestamp) {
        if self.next.is_none() {
            self.pass_start = Some(server_time.to_string());
        }
        if let Some(newest) = newest
            && time(&self.newest).is_none_or(|seen| newest > seen)
        {
            self.newest = Some(newest.to_string());
        }
    }

    /// Ends the pass: where the next one starts.
    pub fn finish_pass(&mut self, single_page: bool) {
        if let Some(newest) = time(&self.newest) {
            let bound = match time(&self.pass_start) {
                Some(start) if !single_page => newest.min(start - CLOCK_MARGIN),
                _ => newest,
            };
            let since = match time(&self.since) {
                Some(since) => since.max(bound),
                None => bound,
            };
            self.since = Some(since.to_string());
        }
        self.next = None;
        self.pass_start = None;
        self.newest = None;
    }
}

fn time(text: &Option<String>) -> Option<Timestamp> {
    text.as_deref()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn a_one_page_pass_moves_to_its_newest_change() {
        let mut cursor = ChangeCursor::default();
        cursor.saw_page(Some(at("2026-01-01T10:00:00Z")), at("2026-01-02T00:00:00Z"));
        cursor.finish_pass(true);
        assert_eq!(cursor.since.as_deref(), Some("2026-01-01T10:00:00Z"));
        assert!(cursor.next.is_none() && cursor.pass_start.is_none());
    }

    #[test]
    fn a_long_pass_never_moves_past_its_start() {
        let mut cursor = ChangeCursor {
            since: Some("2026-01-01T00:00:00Z".into()),
            ..ChangeCursor::default()
        };
        cursor.saw_page(Some(at("2026-01-01T09:00:00Z")), at("2026-01-01T10:00:00Z"));
        cursor.next = Some("?$skiptoken=3".into());
        cursor.saw_page(Some(at("2026-01-01T10:00:30Z")), at("2026-01-01T10:00:31Z"));
        assert_eq!(cursor.pass_start.as_deref(), Some("2026-01-01T10:00:00Z"));
        cursor.finish_pass(false);
        assert_eq!(cursor.since.as_deref(), Some("2026-01-01T09:59:00Z"));
    }

    #[test]
    fn a_pass_without_changes_keeps_its_start() {
        let mut cursor = ChangeCursor::resume(None, Some(at("2026-01-01T00:00:00Z"))).unwrap();
        cursor.saw_page(None, at("2026-03-01T00:00:00Z"));
        cursor.finish_pass(true);
        let back = ChangeCursor::resume(Some(&cursor.encode()), None).unwrap();
        assert_eq!(back.since.as_deref(), Some("2026-01-01T00:00:00Z"));
        assert_eq!(
            ChangeCursor::time_of(&cursor.encode()),
            Some(at("2026-01-01T00:00:00Z"))
        );
        assert_eq!(ChangeCursor::time_of("{}"), None);
    }
}
