//! Polling a Capsule listing (`/parties`, `/opportunities`, `/kases`, `/tasks`) with `since`
//! and `Link` paging, then the entity's deleted records at the end of the listing. One code
//! path for every entity: [`Entity`] says where each lives.

use jiff::Timestamp;
use serde_json::Value;

use super::CapsuleClient;
use super::cursor::{self, ListingCursor};
use super::entity::Entity;
use super::wire::{api_error, bad_response, deleted_record, list_of, listed, record_id, updated_at};
use crate::connectors::http::RequestSpec;
use crate::connectors::http::paging::next_link;
use crate::connectors::{ConnectorError, PollOptions, RejectedRecord, SourcePage, SourceRecord};

/// Capsule's largest page.
pub const MAX_PAGE_SIZE: usize = 100;

/// One page of a listing, less what the cursor already handed out.
struct Window {
    records: Vec<Value>,
    /// Positions of the listing read up to the end of this page.
    consumed: usize,
    /// The id of the page's last record, handed out or not.
    last_id: Option<u64>,
    has_next: bool,
    server_time: Timestamp,
}

/// Records read from a page: handed out, or dead-lettered with the reason.
type Read = (Vec<(Timestamp, SourceRecord)>, Vec<RejectedRecord>);

fn numeric_id(record: &Value) -> Option<u64> {
    record_id(record)?.parse().ok()
}

impl CapsuleClient {
    /// One listing page: its records, whether a `Link` to the next follows, and the server's
    /// clock.
    async fn list_page(
        &self,
        entity: &Entity,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<(Vec<Value>, bool, Timestamp), ConnectorError> {
        let mut url = self.url(path)?;
        {
            let mut pairs = url.query_pairs_mut();
            for (key, value) in entity.list_query {
                pairs.append_pair(key, value);
            }
            if let Some(embed) = entity.poll_embed {
                pairs.append_pair("embed", embed);
            }
            for (key, value) in query {
                pairs.append_pair(key, value);
            }
        }
        let url = url.to_string();
        let response = self
            .http
            .send(RequestSpec::get(
                format!("capsule: list {}", entity.plural),
                url.as_str(),
            ))
            .await
            .map_err(api_error)?;
        let has_next = next_link(&url, &response.headers).is_some();
        let server_time = response.server_time().unwrap_or_else(Timestamp::now);
        let body: Value = response.json()?;
        let records = list_of(body, entity.plural).ok_or_else(|| bad_response(path, entity.plural))?;
        Ok((records, has_next, server_time))
    }

    /// Every page of `path`, following `Link` (a party's opportunities, the whole `/tasks`).
    pub(super) async fn list_every_page(
        &self,
        entity: &Entity,
        path: &str,
    ) -> Result<(Vec<Value>, Timestamp), ConnectorError> {
        let mut all = Vec::new();
        let mut page = 1usize;
        loop {
            let query = [
                ("perPage", MAX_PAGE_SIZE.to_string()),
                ("page", page.to_string()),
            ];
            let (records, has_next, server_time) = self.list_page(entity, path, &query).await?;
            all.extend(records);
            if !has_next || all.len() >= crate::connectors::MAX_RELATED {
                return Ok((all, server_time));
            }
            page += 1;
        }
    }

    /// One page of the listing without the records the cursor already handed out; `None` when
    /// the anchor is not where it should be.
    async fn read_window(
        &self,
        entity: &Entity,
        cursor: &ListingCursor,
        page_size: usize,
    ) -> Result<Option<Window>, ConnectorError> {
        let (per_page, page, anchor_index) = cursor.window(page_size);
        let mut query = Vec::new();
        if let Some(since) = cursor.since {
            query.push(("since", since.to_string()));
        }
        query.push(("perPage", per_page.to_string()));
        query.push(("page", page.to_string()));
        let (mut records, has_next, server_time) =
            self.list_page(entity, entity.plural, &query).await?;
        let consumed = (page - 1) * per_page + records.len();
        let last_id = records.last().and_then(numeric_id);
        let read_before = match anchor_index {
            Some(index) => {
                let anchor_holds = records.get(index).is_some_and(|record| {
                    numeric_id(record) == cursor.anchor && updated_at(record) == cursor.since
                });
                if !anchor_holds {
                    return Ok(None);
                }
                index + 1
            }
            None => 0,
        };
        let already_handed_out = read_before
            + records[read_before..]
                .iter()
                .take_while(|record| {
                    cursor.through.is_some()
                        && updated_at(record) == cursor.since
                        && numeric_id(record) <= cursor.through
                })
                .count();
        records.drain(..already_handed_out);
        Ok(Some(Window {
            records,
            consumed,
            last_id,
            has_next,
            server_time,
        }))
    }

    /// The entity's deleted records since `since`, oldest first.
    async fn deleted_since(
        &self,
        entity: &Entity,
        path: &str,
        since: Option<Timestamp>,
    ) -> Result<Vec<(Timestamp, SourceRecord)>, ConnectorError> {
        let mut url = self.url(path)?;
        if let Some(since) = since {
            url.query_pairs_mut()
                .append_pair("since", &since.to_string());
        }
        let response = self
            .http
            .send(RequestSpec::get(
                format!("capsule: deleted {}", entity.plural),
                url.as_str(),
            ))
            .await
            .map_err(api_error)?;
        let body: Value = response.json()?;
        let records = list_of(body, entity.plural).ok_or_else(|| bad_response(path, entity.plural))?;
        let mut deleted = records
            .into_iter()
            .map(|record| deleted_record(path, record))
            .collect::<Result<Vec<_>, _>>()?;
        deleted.sort_by_key(|(at, _)| *at);
        Ok(deleted)
    }

    fn read(entity: &Entity, endpoint: &str, records: Vec<Value>) -> Result<Read, ConnectorError> {
        let mut good = Vec::with_capacity(records.len());
        let mut rejected = Vec::new();
        for record in records {
            match listed(entity, endpoint, record)? {
                Ok(record) => good.push(record),
                Err(bad) => rejected.push(bad),
            }
        }
        Ok((good, rejected))
    }

    /// Records of `entity` changed since the cursor, oldest first; at the end of the listing,
    /// those deleted since the last pass (`deleted: true`).
    pub(super) async fn poll_listing(
        &self,
        entity: &Entity,
        cursor: Option<&str>,
        options: &PollOptions,
    ) -> Result<SourcePage, ConnectorError> {
        let mut cursor = ListingCursor::resume(cursor, options.since)?;
        if !entity.since {
            return self.poll_whole(entity, cursor).await;
        }
        let page_size = match options.page_size {
            0 => MAX_PAGE_SIZE,
            n => n.min(MAX_PAGE_SIZE),
        };
        let window = match self.read_window(entity, &cursor, page_size).await? {
            Some(window) => window,
            None => {
                // Records moved inside the crowded second: read it again from its start.
                cursor.skip = 0;
                cursor.anchor = None;
                self.read_window(entity, &cursor, page_size)
                    .await?
                    .ok_or_else(|| bad_response(entity.plural, entity.plural))?
            }
        };
        let (mut records, rejected) = Self::read(entity, entity.plural, window.records)?;
        let last = records
            .last()
            .map(|(at, record)| (*at, record.id.parse::<u64>().ok()));
        let settled = |at| cursor::settled(at, window.server_time);
        let more = window.has_next;
        match (window.has_next, last) {
            // The whole page was handed out before: the second is crowded.
            (true, None) => {
                cursor.skip = window.consumed;
                cursor.anchor = window.last_id;
            }
            (true, Some((at, id))) if cursor.since == Some(at) => {
                if settled(at) {
                    cursor.skip = window.consumed;
                    cursor.anchor = id;
                    cursor.through = id;
                } else {
                    // A crowded second still being written (a bulk import, say): wait until
                    // it is over, then read it by position. Nothing of it is handed out yet,
                    // so the run goes on rather than stopping short of the end.
                    tokio::time::sleep(cursor::until_settled(at, window.server_time)).await;
                    return Ok(SourcePage {
                        records: Vec::new(),
                        cursor: None,
                        more: true,
                        rejected: Vec::new(),
                    });
                }
            }
            (_, Some((at, id))) => {
                cursor.since = Some(at);
                cursor.skip = 0;
                cursor.anchor = None;
                cursor.through = id.filter(|_| settled(at));
            }
            (false, None) => {
                cursor.skip = 0;
                cursor.anchor = None;
            }
        }
        if !window.has_next
            && let Some(path) = entity.deleted
        {
            let deleted = self.deleted_since(entity, path, cursor.deleted_since).await?;
            if let Some((at, _)) = deleted.last() {
                // A finished second gets no more deletions: start after it.
                cursor.deleted_since = Some(if settled(*at) {
                    at.saturating_add(jiff::SignedDuration::from_secs(1))
                        .unwrap_or(*at)
                } else {
                    *at
                });
            }
            records.extend(deleted);
            records.sort_by_key(|(at, _)| *at);
        }
        Ok(SourcePage {
            records: records.into_iter().map(|(_, record)| record).collect(),
            cursor: Some(cursor.encode()),
            more,
            rejected,
        })
    }

    /// A listing without `since` (`/tasks`): read whole, and the records after the cursor
    /// handed out in `updatedAt` order, in one page.
    async fn poll_whole(
        &self,
        entity: &Entity,
        mut cursor: ListingCursor,
    ) -> Result<SourcePage, ConnectorError> {
        let (records, server_time) = self.list_every_page(entity, entity.plural).await?;
        let (mut records, rejected) = Self::read(entity, entity.plural, records)?;
        records.retain(|(at, record)| {
            let id = record.id.parse::<u64>().ok();
            match cursor.since {
                None => true,
                Some(since) if *at > since => true,
                Some(since) => *at == since && (cursor.through.is_none() || id > cursor.through),
            }
        });
        records.sort_by_key(|(at, record)| (*at, record.id.parse::<u64>().unwrap_or(0)));
        if let Some((at, record)) = records.last() {
            let settled = cursor::settled(*at, server_time);
            cursor.since = Some(*at);
            cursor.through = record.id.parse::<u64>().ok().filter(|_| settled);
        }
        Ok(SourcePage {
            records: records.into_iter().map(|(_, record)| record).collect(),
            cursor: Some(cursor.encode()),
            more: false,
            rejected,
        })
    }
}
