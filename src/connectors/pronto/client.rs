//! Pronto Avenue over HTTP: list pages polled in passes (`cursor.rs`), records read by their
//! key filters, and orders created through the asynchronous order/v6 (`orders.rs`).

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde_json::Value;
use url::Url;

use super::cursor::{self, PassCursor};
use super::endpoints::{Endpoints, Resource};
use super::normalize::normalize;
use super::orders::{self, TransactionPolling};
use super::wire::{self, ListPage, api_error, bad_response, filter_time, text_field};
use crate::connectors::connection::{base_url, http_config};
use crate::connectors::client::{PassProgress, list_by_polling};
use crate::connectors::http::{HttpClient, HttpConfig, HttpStats, RequestSpec};
use crate::connectors::{
    Client, ConnectorError, MAX_RELATED, MatchKey, PollOptions, RejectedRecord,
    ResolvedConnection, SourcePage, TargetRecord, Write,
};

/// Records a page asks for unless the connection sets `per_page`: Avenue documents no largest
/// page [U], and 100 keeps a backfill at 0.01 calls a record.
pub const DEFAULT_PER_PAGE: u64 = 100;

/// One Pronto tenant.
#[derive(Debug, Clone)]
pub struct ProntoClient {
    http: HttpClient,
    /// The tenant's root without a trailing slash (`https://acme.prontoavenue.biz`).
    base_url: String,
    endpoints: Endpoints,
    /// The zone the tenant's dates are written in.
    zone: TimeZone,
    per_page: u64,
    polling: TransactionPolling,
}

impl ProntoClient {
    /// The client of a `kind: pronto` connection.
    pub fn new(connection: &ResolvedConnection) -> Result<Self, ConnectorError> {
        let base = base_url(connection).ok_or_else(|| {
            ConnectorError::Unsupported(format!("{}: no base_url", connection.name))
        })?;
        let invalid = |key: &str, value: &str, expected: &str| {
            ConnectorError::Unsupported(format!(
                "connection `{}`: `{key}: {value}` is not {expected}",
                connection.name
            ))
        };
        let zone = match connection.setting("timezone") {
            Some(name) => TimeZone::get(name)
                .map_err(|_| invalid("timezone", name, "an IANA time zone"))?,
            None => default_zone(),
        };
        let per_page = match connection.setting("per_page") {
            Some(text) => text
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|n| (1..=10_000).contains(n))
                .ok_or_else(|| invalid("per_page", text, "a whole number from 1 to 10000"))?,
            None => DEFAULT_PER_PAGE,
        };
        let polling = TransactionPolling::of(connection)?;
        let mut config = http_config(connection);
        // How Avenue counts its 30 calls a minute is not documented [U]: calls spaced evenly,
        // with no burst, stay under it however the window is placed (the sandbox slides it).
        config.rate_limit = config.rate_limit.map(|limit| limit.rolling());
        let mut client = Self::with_config(&base, config)?;
        client.endpoints = Endpoints::of(connection)?;
        client.zone = zone;
        client.per_page = per_page;
        client.polling = polling;
        Ok(client)
    }

    /// A client for `base_url` with explicit HTTP settings and the documented defaults.
    pub fn with_config(base_url: &str, config: HttpConfig) -> Result<Self, ConnectorError> {
        let http = HttpClient::new(config)
            .map_err(|error| ConnectorError::Unsupported(format!("pronto: {error}")))?;
        Ok(ProntoClient {
            http,
            base_url: base_url.trim_end_matches('/').to_string(),
            endpoints: Endpoints::default(),
            zone: default_zone(),
            per_page: DEFAULT_PER_PAGE,
            polling: TransactionPolling::default(),
        })
    }

    pub(super) fn http(&self) -> &HttpClient {
        &self.http
    }

    pub(super) fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    pub(super) fn zone(&self) -> &TimeZone {
        &self.zone
    }

    pub(super) fn polling(&self) -> &TransactionPolling {
        &self.polling
    }

    /// The URL of `resource` with `query`.
    pub(super) fn url(
        &self,
        resource: Resource,
        query: &[(&str, String)],
    ) -> Result<String, ConnectorError> {
        self.url_of(&self.endpoints.path(resource), query)
    }

    /// A path under the tenant's root (`result_url` is one) with `query` added.
    pub(super) fn url_of(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<String, ConnectorError> {
        let mut url = Url::parse(&format!("{}/{}", self.base_url, path.trim_start_matches('/')))
            .map_err(|error| {
                ConnectorError::Unsupported(format!(
                    "pronto: bad base_url {}: {error}",
                    self.base_url
                ))
            })?;
        if !query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (key, value) in query {
                pairs.append_pair(key, value);
            }
        }
        Ok(url.to_string())
    }

    /// One page of `resource`'s listing with `query`, and the server's clock when it answered.
    async fn list_page(
        &self,
        resource: Resource,
        query: &[(&str, String)],
    ) -> Result<(ListPage, Option<Timestamp>), ConnectorError> {
        let name = self.endpoints.name(resource);
        let spec = RequestSpec::get(format!("pronto: list {name}"), self.url(resource, query)?);
        let response = self.http.send(spec).await.map_err(api_error)?;
        let body: Value = response.json()?;
        let page = wire::list_page(body, resource.root(), &name)?;
        Ok((page, response.server_time()))
    }

    /// The records of `resource` whose `filter` is `value` (at most one page's worth).
    async fn select(
        &self,
        resource: Resource,
        filters: &[(&str, String)],
    ) -> Result<Vec<Value>, ConnectorError> {
        let mut query = filters.to_vec();
        query.push(("per_page", self.per_page.to_string()));
        Ok(self.list_page(resource, &query).await?.0.records)
    }

    /// A record read by key, as pipelines see it; one that is not what the schema says is an
    /// error naming the endpoint and the field.
    fn normalized(&self, resource: Resource, record: Value) -> Result<Value, ConnectorError> {
        normalize(resource, record, &self.zone).map_err(|reason| ConnectorError::BadResponse {
            endpoint: format!("pronto {}", self.endpoints.name(resource)),
            reason,
        })
    }

    /// Reads the order `number` and shows it as order/v6 takes one, so that a mapped order
    /// compares with what Pronto holds.
    pub(super) async fn order_numbered(
        &self,
        number: &str,
    ) -> Result<Option<TargetRecord>, ConnectorError> {
        let found = self
            .select(Resource::Orders, &[("number", number.to_string())])
            .await?;
        let name = self.endpoints.name(Resource::Orders);
        found
            .into_iter()
            .find(|order| order_id(order).as_deref() == Some(number))
            .map(|order| orders::as_target(order, &name, &self.zone))
            .transpose()
    }
}

/// Australia/Sydney, where Pronto's tenants mostly are, unless the connection sets `timezone`.
fn default_zone() -> TimeZone {
    TimeZone::get("Australia/Sydney").unwrap_or(TimeZone::UTC)
}

/// A readable stream and its record key.
fn resource_of(stream: &str) -> Result<Resource, ConnectorError> {
    match stream {
        "debtors" => Ok(Resource::Debtors),
        "orders" => Ok(Resource::Orders),
        "products" => Ok(Resource::Products),
        "categories" => Ok(Resource::Categories),
        other => Err(ConnectorError::Unsupported(format!(
            "pronto has no `{other}` (it has debtors, orders, products and categories)"
        ))),
    }
}

/// A record's id: a debtor's or product's `code`, an order's number (with its suffix when it
/// has one), a category's `slug`.
fn record_id(resource: Resource, record: &Value) -> Option<String> {
    match resource {
        Resource::Orders | Resource::OrderCreate => order_id(record),
        Resource::Categories => text_field(record, "slug"),
        _ => text_field(record, "code"),
    }
}

pub(super) fn order_id(order: &Value) -> Option<String> {
    let number = text_field(order, "pronto_order_number")?;
    Some(match text_field(order, "suffix") {
        Some(suffix) => format!("{number}{suffix}"),
        None => number,
    })
}

/// The filter that selects one record of `resource` by its id.
fn id_filter(resource: Resource) -> &'static str {
    match resource {
        Resource::Debtors => "account_code",
        Resource::Orders | Resource::OrderCreate => "number",
        Resource::Categories => "slug",
        _ => "code",
    }
}

impl Client for ProntoClient {
    /// One page of the stream's current pass; a record that cannot be read (no key, a date in
    /// neither format) is rejected to the dead letters with the endpoint and the field.
    async fn poll(
        &self,
        stream: &str,
        cursor: Option<&str>,
        options: &PollOptions,
    ) -> Result<SourcePage, ConnectorError> {
        let resource = resource_of(stream)?;
        let name = self.endpoints.name(resource);
        // The tenant's page size, not the run's `--page-size`: pages cost calls at 30 a minute.
        let mut cursor = PassCursor::resume(cursor, options.since, self.per_page)?;
        let mut query = vec![
            ("page", cursor.page.to_string()),
            ("per_page", cursor.per_page.to_string()),
        ];
        if let Some(since) = cursor.since {
            query.push(("updated_since", filter_time(since, &self.zone)));
        }
        let (page, server_time) = self.list_page(resource, &query).await?;
        let read_at = server_time.unwrap_or_else(Timestamp::now);
        let mut restart = false;
        match cursor.count {
            None => {
                cursor.count = Some(page.count);
                cursor.started = Some(read_at);
            }
            Some(count) if count != page.count => restart = true,
            Some(_) => {}
        }
        let overlap_from = wire::minute_before(cursor.started.unwrap_or(read_at), &self.zone);
        let mut records = Vec::with_capacity(page.records.len());
        let mut rejected = Vec::new();
        for record in page.records {
            let id = record_id(resource, &record);
            let at = wire::updated_at(&record, &self.zone);
            let (id, at) = match (id, at) {
                (Some(id), Ok(at)) => (id, at),
                (id, at) => {
                    let reason = match at {
                        Err(reason) => reason,
                        Ok(_) => format!("it has no `{}`", id_filter(resource)),
                    };
                    rejected.push(RejectedRecord {
                        id: id.unwrap_or_else(|| format!("{name} page {}", cursor.page)),
                        raw: record.to_string(),
                        reason: format!("pronto {name}: {reason}"),
                    });
                    continue;
                }
            };
            let key = cursor::record_key(&id, at);
            if cursor.handed_out(&key) {
                continue;
            }
            if at >= overlap_from {
                cursor.overlap.push(key);
            }
            let raw = record.to_string();
            match normalize(resource, record, &self.zone) {
                Ok(record) => records.push((at, wire::source_record(record, id))),
                Err(reason) => rejected.push(RejectedRecord {
                    id,
                    raw,
                    reason: format!("pronto {name}: {reason}"),
                }),
            }
        }
        records.sort_by_key(|(at, _)| *at);
        let last_page = cursor.page >= page.pages;
        let more = if restart {
            cursor.restart_pass();
            true
        } else if last_page {
            cursor.next_pass(overlap_from, |key| {
                cursor::key_time(key).is_some_and(|at| at >= overlap_from)
            });
            false
        } else {
            cursor.page += 1;
            true
        };
        Ok(SourcePage {
            records: records.into_iter().map(|(_, record)| record).collect(),
            cursor: Some(cursor.encode()),
            more,
            rejected,
        })
    }

    /// The record whose key is `id`, read through the endpoint's key filter.
    async fn get(
        &self,
        collection: &str,
        id: &str,
    ) -> Result<Option<TargetRecord>, ConnectorError> {
        let resource = resource_of(collection)?;
        if resource == Resource::Orders {
            return self.order_numbered(id).await;
        }
        let found = self
            .select(resource, &[(id_filter(resource), id.to_string())])
            .await?;
        let Some(record) = found
            .into_iter()
            .find(|record| record_id(resource, record).as_deref() == Some(id))
        else {
            return Ok(None);
        };
        Ok(Some(TargetRecord {
            id: id.to_string(),
            data: self.normalized(resource, record)?,
            etag: None,
        }))
    }

    /// Orders are matched on `customer_reference` (with `debtor`) or their number.
    async fn find(
        &self,
        collection: &str,
        keys: &[MatchKey],
    ) -> Result<Option<TargetRecord>, ConnectorError> {
        if resource_of(collection)? != Resource::Orders {
            return Err(ConnectorError::Unsupported(format!(
                "pronto.{collection} cannot be written, so it is never matched"
            )));
        }
        orders::find(self, keys).await
    }

    /// Creates an order through order/v6 and waits for its transaction.
    async fn create(
        &self,
        collection: &str,
        write: &Write,
    ) -> Result<TargetRecord, ConnectorError> {
        if resource_of(collection)? != Resource::Orders {
            return Err(ConnectorError::Unsupported(format!(
                "pronto.{collection} cannot be written through Avenue (orders can)"
            )));
        }
        orders::create(self, write).await
    }

    /// Avenue has no call that changes an order once it is made.
    async fn update(
        &self,
        collection: &str,
        current: &TargetRecord,
        write: &Write,
    ) -> Result<TargetRecord, ConnectorError> {
        let fields: Vec<String> = write
            .fields
            .as_object()
            .map(|fields| fields.keys().cloned().collect())
            .unwrap_or_default();
        Err(ConnectorError::Api {
            endpoint: format!("pronto {collection}"),
            status: 422,
            kind: None,
            code: Some("order_cannot_change".into()),
            param: Some(fields.join(",")),
            message: format!(
                "Pronto order {} already exists and differs in {}; Avenue cannot change an order, so amend it in Pronto",
                current.id,
                fields.join(", ")
            ),
        })
    }

    /// Every record of `collection` (a reconcile's listing); orders shown as order/v6 takes one,
    /// as [`Client::get`] shows it, so that a reconcile compares like with like.
    async fn list_records(&self, collection: &str) -> Result<Vec<TargetRecord>, ConnectorError> {
        let mut records = list_by_polling(self, collection).await?;
        if resource_of(collection)? == Resource::Orders {
            for record in &mut records {
                orders::add_order_create_fields(&mut record.data);
            }
        }
        Ok(records)
    }

    /// Every record of `stream` the filters select (`fetch_all(pronto.orders, { debtor: ... })`).
    async fn list_all(
        &self,
        stream: &str,
        filters: &[(String, String)],
    ) -> Result<Vec<Value>, ConnectorError> {
        let resource = resource_of(stream)?;
        let mut all = Vec::new();
        let mut page = 1;
        loop {
            let mut query: Vec<(&str, String)> =
                filters.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
            query.push(("page", page.to_string()));
            query.push(("per_page", self.per_page.to_string()));
            let (listing, _) = self.list_page(resource, &query).await?;
            for record in listing.records {
                all.push(self.normalized(resource, record)?);
            }
            if all.len() > MAX_RELATED {
                return Err(bad_response(
                    &self.endpoints.name(resource),
                    "count",
                    &format!("is over {MAX_RELATED}: narrow the filters"),
                ));
            }
            if page >= listing.pages {
                return Ok(all);
            }
            page += 1;
        }
    }

    fn cursor_time(&self, _stream: &str, cursor: &str) -> Option<Timestamp> {
        PassCursor::time_of(cursor)
    }

    /// The pages read of the pass against the `count` its first page gave.
    fn cursor_progress(&self, _stream: &str, cursor: &str) -> Option<PassProgress> {
        PassCursor::progress_of(cursor)
    }

    fn http_stats(&self) -> Option<HttpStats> {
        Some(self.http.stats())
    }
}
