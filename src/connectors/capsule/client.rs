//! Capsule CRM over HTTP: every entity polled through [`super::listing`], read by id, listed
//! by party for `fetch_all` ([`super::related`]), and parties written; Capsule's error bodies
//! as [`ConnectorError::Api`].

use std::sync::Arc;

use jiff::Timestamp;
use reqwest::Method;
use serde_json::{Value, json};
use url::Url;

use super::cursor::ListingCursor;
use super::custom_fields::Pulled;
use super::custom_values::{CustomFields, custom_to_fields, fill_custom};
use super::entity::{self, Entity};
use super::wire::{api_error, bad_response, record_id};
use crate::connectors::connection::{base_url, http_config};
use crate::connectors::http::{Auth, HttpClient, HttpConfig, RequestSpec, Secret};
use crate::connectors::project_schema;
use crate::connectors::{
    ConnectorError, MatchKey, PollOptions, RejectedRecord, SourcePage, TargetRecord, Write,
};
use crate::connectors::http::HttpStats;
use crate::connectors::{Client, ResolvedConnection};

/// One Capsule account.
#[derive(Debug, Clone)]
pub struct CapsuleClient {
    pub(super) http: HttpClient,
    /// The API root without a trailing slash (`https://api.capsulecrm.com/api/v2`).
    base_url: String,
    /// The custom fields the project pulled (`schemas/<connection>.json`), if it did.
    pub(super) custom: Option<Arc<CustomFields>>,
}

impl CapsuleClient {
    /// The client of a `kind: capsule` connection.
    pub fn new(connection: &ResolvedConnection) -> Result<Self, ConnectorError> {
        let base = base_url(connection).ok_or_else(|| {
            ConnectorError::Unsupported(format!("{}: no base_url", connection.name))
        })?;
        let mut client = Self::with_config(&base, http_config(connection))?;
        if let Some(dir) = &connection.project_dir {
            let file = project_schema::read(dir, &connection.name)
                .map_err(|problem| ConnectorError::Unsupported(problem.to_string()))?;
            if let Some(file) = file {
                let pulled = Pulled::from_file(&file).map_err(|reason| {
                    let path = project_schema::file_of(dir, &connection.name);
                    ConnectorError::Unsupported(format!("{}: {reason}", path.display()))
                })?;
                client.custom = Some(Arc::new(CustomFields::new(pulled)));
            }
        }
        Ok(client)
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
            custom: None,
        })
    }

    /// Gives `record` its typed `.custom` when the project pulled custom fields of `entity`.
    async fn with_custom(
        &self,
        entity: &Entity,
        mut record: TargetRecord,
    ) -> Result<TargetRecord, ConnectorError> {
        if let Some(keyed) = self.checked_custom(entity).await? {
            fill_custom(keyed, &mut record.data).map_err(|reason| ConnectorError::BadResponse {
                endpoint: format!("capsule {}/{{id}}", entity.plural),
                reason,
            })?;
        }
        Ok(record)
    }

    /// A write's fields as Capsule takes them: `custom` as `fields`.
    async fn wire_fields(&self, entity: &Entity, write: &Write) -> Result<Value, ConnectorError> {
        let mut fields = write.fields.clone();
        if fields.get("custom").is_none() {
            return Ok(fields);
        }
        let keyed = self.checked_custom(entity).await?.ok_or_else(|| {
            ConnectorError::Unsupported(format!(
                "capsule: the project pulled no custom fields of {} (run `ferry schema pull`)",
                entity.plural
            ))
        })?;
        custom_to_fields(keyed, &mut fields).map_err(ConnectorError::Unsupported)?;
        Ok(fields)
    }

    /// The HTTP client, for its counters.
    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    pub(super) fn url(&self, path: &str) -> Result<Url, ConnectorError> {
        Url::parse(&format!("{}/{path}", self.base_url)).map_err(|error| {
            ConnectorError::Unsupported(format!("capsule: bad base_url {}: {error}", self.base_url))
        })
    }

    /// `{base}/{entity}/{id}`, the id escaped.
    fn record_url(&self, entity: &Entity, id: &str) -> Result<String, ConnectorError> {
        let mut url = self.url(entity.plural)?;
        url.path_segments_mut()
            .map_err(|_| ConnectorError::Unsupported("capsule: bad base_url".into()))?
            .push(id);
        Ok(url.to_string())
    }

    /// `{"opportunity": {...}}` as a target record.
    fn target(
        &self,
        entity: &Entity,
        body: Value,
        endpoint: &str,
    ) -> Result<TargetRecord, ConnectorError> {
        let record = match body {
            Value::Object(mut map) => map.remove(entity.singular),
            _ => None,
        }
        .ok_or_else(|| bad_response(endpoint, entity.singular))?;
        let id = record_id(&record)
            .ok_or_else(|| bad_response(endpoint, &format!("{}.id", entity.singular)))?;
        Ok(TargetRecord {
            id,
            data: record,
            etag: None,
        })
    }
}

impl Client for CapsuleClient {
    /// Records changed since the cursor, oldest first; at the end of the listing, those
    /// deleted since the last pass (`deleted: true`).
    async fn poll(
        &self,
        stream: &str,
        cursor: Option<&str>,
        options: &PollOptions,
    ) -> Result<SourcePage, ConnectorError> {
        let entity = entity::entity(stream)?;
        if entity.plural == entity::USERS.plural {
            return Err(ConnectorError::Unsupported(
                "capsule users are read with fetch, not polled".into(),
            ));
        }
        let mut page = self.poll_listing(entity, cursor, options).await?;
        if let Some(keyed) = self.checked_custom(entity).await? {
            let records = std::mem::take(&mut page.records);
            for mut record in records {
                if record.deleted {
                    page.records.push(record);
                    continue;
                }
                match fill_custom(keyed, &mut record.data) {
                    Ok(()) => page.records.push(record),
                    Err(reason) => page.rejected.push(RejectedRecord {
                        raw: record.data.to_string(),
                        reason: format!("capsule {}: {reason}", entity.plural),
                        id: record.id,
                    }),
                }
            }
        }
        Ok(page)
    }

    /// The record with this id, or `None` when Capsule has none.
    async fn get(
        &self,
        collection: &str,
        id: &str,
    ) -> Result<Option<TargetRecord>, ConnectorError> {
        let entity = entity::entity(collection)?;
        if entity.plural == entity::USERS.plural {
            return self.user(id).await;
        }
        let mut url = self.record_url(entity, id)?;
        if self.checked_custom(entity).await?.is_some()
            && let Some(embed) = entity.poll_embed
        {
            url = format!("{url}?embed={embed}");
        }
        let endpoint = format!("{}/{{id}}", entity.plural);
        match self
            .http
            .send(RequestSpec::get(format!("capsule: get {}", entity.singular), url))
            .await
        {
            Ok(response) => {
                let record = self.target(entity, response.json()?, &endpoint)?;
                self.with_custom(entity, record).await.map(Some)
            }
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
        entity::writable(collection)?;
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
        let entity = entity::writable(collection)?;
        let fields = self.wire_fields(entity, write).await?;
        let spec = RequestSpec::post(
            format!("capsule: create {}", entity.singular),
            self.url(entity.plural)?.as_str(),
        )
        .json(&json!({ entity.singular: fields }));
        let response = self.http.send(spec).await.map_err(api_error)?;
        self.target(entity, response.json()?, entity.plural)
    }

    /// `PUT /parties/{id}` with the changed fields.
    async fn update(
        &self,
        collection: &str,
        current: &TargetRecord,
        write: &Write,
    ) -> Result<TargetRecord, ConnectorError> {
        let entity = entity::writable(collection)?;
        let fields = self.wire_fields(entity, write).await?;
        let spec = RequestSpec::new(
            Method::PUT,
            format!("capsule: update {}", entity.singular),
            self.record_url(entity, &current.id)?,
        )
        .json(&json!({ entity.singular: fields }));
        let response = self.http.send(spec).await.map_err(api_error)?;
        self.target(entity, response.json()?, &format!("{}/{{id}}", entity.plural))
    }

    /// A party's opportunities, kases or tasks (`fetch_all(capsule.kases, { party: id })`).
    async fn list_all(
        &self,
        stream: &str,
        filters: &[(String, String)],
    ) -> Result<Vec<Value>, ConnectorError> {
        self.of_party(entity::entity(stream)?, filters).await
    }

    /// The `updatedAt` of the last record handed out.
    fn cursor_time(&self, _stream: &str, cursor: &str) -> Option<Timestamp> {
        ListingCursor::time_of(cursor)
    }

    fn http_stats(&self) -> Option<HttpStats> {
        Some(self.http().stats())
    }

    /// An opportunity's or case's deletion changes its party's activity, and Capsule lists it
    /// by id only (`/opportunities/deleted`).
    fn remaps_deletions(&self, stream: &str) -> bool {
        entity::entity(stream)
            .is_ok_and(|entity| entity.of_party.is_some() && entity.deleted.is_some())
    }

    /// A REST hook's payload is the record without its embedded custom fields: where the
    /// project pulled them, a delivered record is read again (with them) before it is mapped,
    /// or `.custom` would be empty and `?? omit` would keep a stale value in the target.
    fn rereads_delivered(&self, stream: &str) -> bool {
        self.custom.is_some() && entity::entity(stream).is_ok_and(|e| e.poll_embed.is_some())
    }
}
