//! Polling a Stripe list (`events`, `customers`, `charges`, ...) oldest first.
//!
//! Stripe lists newest first and pages with `starting_after` (older) and `ending_before`
//! (newer). The cursor is the newest record returned so far, as `<id>@<created>`:
//!
//! - with a cursor, `ending_before=<id>` gives the records just newer than it, which are
//!   returned reversed, so the cursor only ever moves as far as the records handed out;
//! - without one, the list is walked back to its oldest record (from `options.since` on, as
//!   `created[gte]`) and the oldest page is returned;
//! - when the cursor's object is gone (deleted, or an event older than Stripe's 30 days), the
//!   poll starts again from the cursor's `created` second: some records repeat, none is skipped.

use std::collections::VecDeque;

use super::client::{StripeClient, readable};
use super::replay::Replay;
use crate::connectors::http::RequestSpec;
use crate::connectors::record::{ConnectorError, PollOptions, SourcePage, SourceRecord};

/// Stripe's largest `limit`.
const MAX_LIMIT: usize = 100;
const DEFAULT_PAGE_SIZE: usize = 100;

/// Where a stream was read up to: the newest record handed out.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Cursor {
    id: String,
    created: i64,
}

impl Cursor {
    fn parse(text: &str) -> Option<Cursor> {
        let (id, created) = text.rsplit_once('@')?;
        let created = created.parse().ok()?;
        (!id.is_empty()).then(|| Cursor {
            id: id.to_string(),
            created,
        })
    }

    fn encode(&self) -> String {
        format!("{}@{}", self.id, self.created)
    }
}

/// When the newest record handed out was created, by a cursor `poll` returned.
pub(super) fn cursor_time(text: &str) -> Option<jiff::Timestamp> {
    jiff::Timestamp::from_second(Cursor::parse(text)?.created).ok()
}

/// A record with the `created` second its cursor needs.
struct Polled {
    record: SourceRecord,
    created: i64,
}

/// One list request's records, newest first as Stripe sends them.
struct Batch {
    records: Vec<Polled>,
    has_more: bool,
}

/// What a poll asks of one stream: its path and the filters every request carries.
struct Listing<'a> {
    stream: &'a str,
    filters: Vec<(String, String)>,
}

impl StripeClient {
    /// The records of `stream` after `cursor`, oldest first, at most `options.page_size`
    /// (Stripe's `events` filtered by `options.event_types`). `options.backfill` is the runner's
    /// to act on (it polls without a cursor); it changes nothing here. With `options.history`,
    /// events of types an object list tells apart are read from that list instead, over its
    /// whole history (`replay.rs`); the cursor is then the objects'.
    pub async fn poll(
        &self,
        stream: &str,
        cursor: Option<&str>,
        options: &PollOptions,
    ) -> Result<SourcePage, ConnectorError> {
        readable(stream)?;
        if stream == "events"
            && options.history
            && let Some(replay) = Replay::of(&options.event_types)
        {
            let (list, filters) = replay.list();
            let listing = Listing {
                stream: list,
                filters,
            };
            let mut page = self.poll_listing(&listing, cursor, options).await?;
            page.records = page
                .records
                .into_iter()
                .filter_map(|object| replay.event(object))
                .collect();
            return Ok(page);
        }
        let listing = Listing::new(stream, options)?;
        self.poll_listing(&listing, cursor, options).await
    }

    /// The records of `listing` after `cursor`, oldest first, at most `options.page_size`.
    async fn poll_listing(
        &self,
        listing: &Listing<'_>,
        cursor: Option<&str>,
        options: &PollOptions,
    ) -> Result<SourcePage, ConnectorError> {
        let stream = listing.stream;
        let page_size = match options.page_size {
            0 => DEFAULT_PAGE_SIZE,
            size => size,
        };
        let Some(text) = cursor else {
            let since = options.since.map(|t| t.as_second());
            return self.oldest(listing, since, page_size).await;
        };
        let cursor = Cursor::parse(text).ok_or_else(|| {
            ConnectorError::Unsupported(format!(
                "the stored cursor `{text}` of stripe.{stream} is not `<id>@<created>`"
            ))
        })?;
        match self.newer(listing, &cursor, page_size).await {
            Err(error) if cursor_gone(&error) => {
                tracing::info!(stream, cursor = %text, "cursor object is gone; reading from its second");
                self.oldest(listing, Some(cursor.created), page_size).await
            }
            page => page,
        }
    }

    /// The records just newer than `cursor`, oldest first.
    async fn newer(
        &self,
        listing: &Listing<'_>,
        cursor: &Cursor,
        page_size: usize,
    ) -> Result<SourcePage, ConnectorError> {
        let mut polled: Vec<Polled> = Vec::new();
        let mut anchor = cursor.id.clone();
        loop {
            let limit = page_size.saturating_sub(polled.len()).min(MAX_LIMIT);
            let batch = self
                .list(
                    listing,
                    limit,
                    Some(("ending_before", anchor.as_str())),
                    None,
                )
                .await?;
            // An empty page that claims more would have the runner poll in a loop.
            let more = batch.has_more && !batch.records.is_empty();
            polled.extend(batch.records.into_iter().rev());
            match polled.last() {
                Some(newest) if more && polled.len() < page_size => {
                    anchor = newest.record.id.clone();
                }
                _ => return Ok(page(polled, more)),
            }
        }
    }

    /// The oldest records of the stream (from `since` on), found by walking back from the
    /// newest; only the last `page_size` seen are kept.
    async fn oldest(
        &self,
        listing: &Listing<'_>,
        since: Option<i64>,
        page_size: usize,
    ) -> Result<SourcePage, ConnectorError> {
        let mut window: VecDeque<Polled> = VecDeque::with_capacity(page_size);
        let mut seen = 0usize;
        let mut after: Option<String> = None;
        loop {
            let position = after.as_deref().map(|id| ("starting_after", id));
            let batch = self.list(listing, MAX_LIMIT, position, since).await?;
            after = batch.records.last().map(|p| p.record.id.clone());
            for polled in batch.records {
                seen += 1;
                if window.len() == page_size {
                    window.pop_front();
                }
                window.push_back(polled);
            }
            if !batch.has_more || after.is_none() {
                break;
            }
        }
        let more = seen > window.len();
        Ok(page(window.into_iter().rev().collect(), more))
    }

    /// One list request: `limit`, a paging position, `created[gte]`, and the stream's filters.
    async fn list(
        &self,
        listing: &Listing<'_>,
        limit: usize,
        position: Option<(&str, &str)>,
        since: Option<i64>,
    ) -> Result<Batch, ConnectorError> {
        let mut query = vec![("limit".to_string(), limit.max(1).to_string())];
        if let Some((name, id)) = position {
            query.push((name.to_string(), id.to_string()));
        }
        if let Some(since) = since {
            query.push(("created[gte]".to_string(), since.to_string()));
        }
        query.extend(listing.filters.iter().cloned());
        let url = self.url(&[listing.stream], &query);
        let spec = RequestSpec::get(format!("stripe: list {}", listing.stream), url);
        let mut page = self.send(spec).await?.into_list()?;
        let records = std::mem::take(&mut page.items)
            .into_iter()
            .map(|item| {
                let created = page.created(&item)?;
                let record = page.source_record(item)?;
                Ok(Polled { record, created })
            })
            .collect::<Result<Vec<_>, ConnectorError>>()?;
        Ok(Batch {
            records,
            has_more: page.has_more,
        })
    }
}

impl<'a> Listing<'a> {
    fn new(stream: &'a str, options: &PollOptions) -> Result<Listing<'a>, ConnectorError> {
        let mut filters = Vec::new();
        if stream == "events" {
            filters.extend(
                options
                    .event_types
                    .iter()
                    .map(|kind| ("types[]".to_string(), kind.clone())),
            );
        } else if !options.event_types.is_empty() {
            return Err(ConnectorError::Unsupported(format!(
                "stripe.{stream} has no event types to filter on (only stripe.events does)"
            )));
        }
        Ok(Listing { stream, filters })
    }
}

/// Records oldest first; the cursor moves to the newest of them (or stays when there are none).
fn page(polled: Vec<Polled>, more: bool) -> SourcePage {
    let cursor = polled.last().map(|newest| {
        Cursor {
            id: newest.record.id.clone(),
            created: newest.created,
        }
        .encode()
    });
    SourcePage {
        records: polled.into_iter().map(|p| p.record).collect(),
        cursor,
        more,
        rejected: Vec::new(),
    }
}

/// Stripe no longer knows the `ending_before` object.
fn cursor_gone(error: &ConnectorError) -> bool {
    matches!(
        error,
        ConnectorError::Api { status: 404, code, param, .. }
            if code.as_deref() == Some("resource_missing")
                && param.as_deref() == Some("ending_before")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_junk() {
        let cursor = Cursor {
            id: "evt_1@x".into(),
            created: 1_700_000_000,
        };
        assert_eq!(Cursor::parse(&cursor.encode()), Some(cursor));
        assert_eq!(Cursor::parse("evt_1"), None);
        assert_eq!(Cursor::parse("@17"), None);
        assert_eq!(Cursor::parse("evt_1@soon"), None);
    }

    #[test]
    fn a_cursor_stands_at_its_records_creation() {
        assert_eq!(
            cursor_time("ch_1@1700000000"),
            Some(jiff::Timestamp::from_second(1_700_000_000).unwrap())
        );
        assert_eq!(cursor_time("ch_1"), None);
    }
}
