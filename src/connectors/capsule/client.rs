//! Capsule CRM's parties over HTTP: polling with `since` and `Link` paging, deleted parties,
//! reads and writes, and Capsule's error bodies as [`ConnectorError::Api`].

use jiff::Timestamp;
use reqwest::Method;
use serde_json::{Value, json};
use url::Url;

use super::cursor::{self, PartyCursor};
use super::wire::{
    api_error, bad_response, check_collection, parties_of, party_id, party_record, updated_at,
};
use crate::connectors::connection::{base_url, http_config};
use crate::connectors::http::paging::next_link;
use crate::connectors::http::{Auth, HttpClient, HttpConfig, RequestSpec, Secret};
use crate::connectors::{
    ConnectorError, MatchKey, PollOptions, SourcePage, SourceRecord, TargetRecord, Write,
};
use crate::connectors::http::HttpStats;
use crate::connectors::{Client, ResolvedConnection};

/// Capsule's largest page.
const MAX_PAGE_SIZE: usize = 100;

/// One page of a party listing, less what the cursor already handed out.
struct Window {
    parties: Vec<Value>,
    /// Positions of the listing read up to the end of this page.
    consumed: usize,
    /// The id of the page's last party, handed out or not.
    last_id: Option<u64>,
    has_next: bool,
    server_time: Timestamp,
}

/// One Capsule account.
#[derive(Debug, Clone)]
pub struct CapsuleClient {
    http: HttpClient,
    /// The API root without a trailing slash (`https://api.capsulecrm.com/api/v2`).
    base_url: String,
}

impl CapsuleClient {
    /// The client of a `kind: capsule` connection.
    pub fn new(connection: &ResolvedConnection) -> Result<Self, ConnectorError> {
        let base = base_url(connection).ok_or_else(|| {
            ConnectorError::Unsupported(format!("{}: no base_url", connection.name))
        })?;
        Self::with_config(&base, http_config(connection))
    }

    /// A client for `base_url` with a bearer token (tests, the sandbox).
    pub fn with_token(base_url: &str, token: &str) -> Result<Self, ConnectorError> {
        let config = HttpConfig {
            auth: Auth::Bearer(Secret::new(token)),
            ..HttpConfig::default()
        };
        Self::with_config(base_url, config)
    }

    pub fn with_config(base_url: &str, config: HttpConfig) -> Result<Self, ConnectorError> {
        let http = HttpClient::new(config)
            .map_err(|error| ConnectorError::Unsupported(format!("capsule: {error}")))?;
        Ok(CapsuleClient {
            http,
            base_url: base_url.trim_end_matches('/').to_string(),
        })
    }

    /// The HTTP client, for its counters.
    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    /// One page of `/parties` without the parties the cursor already handed out; `None` when
    /// the anchor is not where it should be.
    async fn read_window(
        &self,
        cursor: &PartyCursor,
        page_size: usize,
    ) -> Result<Option<Window>, ConnectorError> {
        let (per_page, page, anchor_index) = cursor.window(page_size);
        let mut url = self.url("parties")?;
        {
            let mut query = url.query_pairs_mut();
            if let Some(since) = cursor.since {
                query.append_pair("since", &since.to_string());
            }
            query
                .append_pair("perPage", &per_page.to_string())
                .append_pair("page", &page.to_string());
        }
        let url = url.to_string();
        let response = self
            .http
            .send(RequestSpec::get("capsule: list parties", url.as_str()))
            .await
            .map_err(api_error)?;
        let has_next = next_link(&url, &response.headers).is_some();
        let server_time = response.server_time().unwrap_or_else(Timestamp::now);
        let body: Value = response.json()?;
        let mut parties = parties_of(body).ok_or_else(|| bad_response("parties", "parties"))?;
        let consumed = (page - 1) * per_page + parties.len();
        let last_id = parties.last().and_then(|p| p.get("id")?.as_u64());
        let read_before = match anchor_index {
            Some(index) => {
                let anchor_holds = parties.get(index).is_some_and(|party| {
                    party.get("id").and_then(Value::as_u64) == cursor.anchor
                        && updated_at(party).ok() == cursor.since
                });
                if !anchor_holds {
                    return Ok(None);
                }
                index + 1
            }
            None => 0,
        };
        let already_handed_out = read_before
            + parties[read_before..]
                .iter()
                .take_while(|party| {
                    cursor.through.is_some()
                        && updated_at(party).ok() == cursor.since
                        && party.get("id").and_then(Value::as_u64) <= cursor.through
                })
                .count();
        parties.drain(..already_handed_out);
        Ok(Some(Window {
            parties,
            consumed,
            last_id,
            has_next,
            server_time,
        }))
    }

    /// `/parties/deleted`, oldest first.
    async fn deleted_since(
        &self,
        since: Option<Timestamp>,
    ) -> Result<Vec<(Timestamp, SourceRecord)>, ConnectorError> {
        let mut url = self.url("parties/deleted")?;
        if let Some(since) = since {
            url.query_pairs_mut()
                .append_pair("since", &since.to_string());
        }
        let response = self
            .http
            .send(RequestSpec::get("capsule: deleted parties", url.as_str()))
            .await
            .map_err(api_error)?;
        let body: Value = response.json()?;
        let parties = parties_of(body).ok_or_else(|| bad_response("parties/deleted", "parties"))?;
        let mut deleted = Vec::with_capacity(parties.len());
        for party in parties {
            let at = party
                .get("deletedAt")
                .and_then(Value::as_str)
                .and_then(|text| text.parse::<Timestamp>().ok())
                .ok_or_else(|| bad_response("parties/deleted", "deletedAt"))?;
            let mut record = party_record(party)?;
            record.deleted = true;
            deleted.push((at, record));
        }
        deleted.sort_by_key(|(at, _)| *at);
        Ok(deleted)
    }

    fn url(&self, path: &str) -> Result<Url, ConnectorError> {
        Url::parse(&format!("{}/{path}", self.base_url)).map_err(|error| {
            ConnectorError::Unsupported(format!("capsule: bad base_url {}: {error}", self.base_url))
        })
    }

    fn party_url(&self, id: &str) -> Result<String, ConnectorError> {
        let mut url = self.url("parties")?;
        url.path_segments_mut()
            .map_err(|_| ConnectorError::Unsupported("capsule: bad base_url".into()))?
            .push(id);
        Ok(url.to_string())
    }

    /// `{"party": {...}}` as a target record.
    fn target(&self, body: Value, endpoint: &str) -> Result<TargetRecord, ConnectorError> {
        let party = match body {
            Value::Object(mut map) => map.remove("party"),
            _ => None,
        }
        .ok_or_else(|| bad_response(endpoint, "party"))?;
        let id = party_id(&party).ok_or_else(|| bad_response(endpoint, "party.id"))?;
        Ok(TargetRecord {
            id,
            data: party,
            etag: None,
        })
    }
}

impl Client for CapsuleClient {
    /// Parties changed since the cursor, oldest first; at the end of the listing, the parties
    /// deleted since the last pass (`deleted: true`).
    async fn poll(
        &self,
        stream: &str,
        cursor: Option<&str>,
        options: &PollOptions,
    ) -> Result<SourcePage, ConnectorError> {
        check_collection(stream)?;
        let page_size = match options.page_size {
            0 => MAX_PAGE_SIZE,
            n => n.min(MAX_PAGE_SIZE),
        };
        let mut cursor = PartyCursor::resume(cursor, options.since)?;
        let window = match self.read_window(&cursor, page_size).await? {
            Some(window) => window,
            None => {
                // Parties moved inside the crowded second: read it again from its start.
                cursor.skip = 0;
                cursor.anchor = None;
                self.read_window(&cursor, page_size)
                    .await?
                    .ok_or_else(|| bad_response("parties", "parties"))?
            }
        };
        let mut records = Vec::with_capacity(window.parties.len());
        for party in window.parties {
            records.push((updated_at(&party)?, party_record(party)?));
        }
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
        if !window.has_next {
            let deleted = self.deleted_since(cursor.deleted_since).await?;
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
            rejected: Vec::new(),
        })
    }

    /// The party with this id, or `None` when Capsule has none.
    async fn get(
        &self,
        collection: &str,
        id: &str,
    ) -> Result<Option<TargetRecord>, ConnectorError> {
        check_collection(collection)?;
        let url = self.party_url(id)?;
        match self
            .http
            .send(RequestSpec::get("capsule: get party", url))
            .await
        {
            Ok(response) => self.target(response.json()?, "parties/{id}").map(Some),
            Err(error) if error.status() == Some(404) => Ok(None),
            Err(error) => Err(api_error(error)),
        }
    }

    /// Capsule has no exact-match search the sandbox emulates, so only `id` keys are found.
    async fn find(
        &self,
        collection: &str,
        keys: &[MatchKey],
    ) -> Result<Option<TargetRecord>, ConnectorError> {
        check_collection(collection)?;
        match keys {
            [key] if key.path == "id" => {
                let id = match &key.value {
                    Value::String(text) => text.clone(),
                    Value::Number(number) => number.to_string(),
                    _ => return Ok(None),
                };
                self.get(collection, &id).await
            }
            _ => Err(ConnectorError::Unsupported(
                "capsule: parties can be matched on `id` only".into(),
            )),
        }
    }

    /// `POST /parties` with `{"party": fields}`.
    async fn create(
        &self,
        collection: &str,
        write: &Write,
    ) -> Result<TargetRecord, ConnectorError> {
        check_collection(collection)?;
        let spec = RequestSpec::post("capsule: create party", self.url("parties")?.as_str())
            .json(&json!({ "party": write.fields }));
        let response = self.http.send(spec).await.map_err(api_error)?;
        self.target(response.json()?, "parties")
    }

    /// `PUT /parties/{id}` with the changed fields.
    async fn update(
        &self,
        collection: &str,
        current: &TargetRecord,
        write: &Write,
    ) -> Result<TargetRecord, ConnectorError> {
        check_collection(collection)?;
        let spec = RequestSpec::new(
            Method::PUT,
            "capsule: update party",
            self.party_url(&current.id)?,
        )
        .json(&json!({ "party": write.fields }));
        let response = self.http.send(spec).await.map_err(api_error)?;
        self.target(response.json()?, "parties/{id}")
    }

    /// The `updatedAt` of the last party handed out.
    fn cursor_time(&self, _stream: &str, cursor: &str) -> Option<Timestamp> {
        PartyCursor::time_of(cursor)
    }

    fn http_stats(&self) -> Option<HttpStats> {
        Some(self.http().stats())
    }
}
