//! `StripeClient`: reads and writes Stripe's API v1 for pipelines. Paging through streams lives
//! in `poll.rs`, `match on` searches in `search.rs`, answers and error objects in `answer.rs`.

use serde_json::Value;
use url::Url;

use super::answer::{Answer, api_error};
use super::form;
use crate::connectors::connection;
use crate::connectors::http::{
    Auth, Endpoint, HttpClient, HttpConfig, HttpError, HttpStats, RequestSpec, Secret,
};
use crate::connectors::record::{ConnectorError, TargetRecord, Write};
use crate::connectors::ResolvedConnection;

/// Resources a pipeline may read with `get` and `poll`.
const READABLE: &[&str] = &[
    "customers",
    "charges",
    "refunds",
    "disputes",
    "payouts",
    "balance_transactions",
    "invoices",
    "invoiceitems",
    "subscriptions",
    "products",
    "prices",
    "events",
];

/// Resources a sink may create and update.
const WRITABLE: &[&str] = &["customers", "products", "prices", "invoices", "invoiceitems"];

/// One Stripe account over HTTP; cheap to clone (the HTTP client is shared).
#[derive(Debug, Clone)]
pub struct StripeClient {
    http: HttpClient,
    /// The API root without a trailing slash and without `/v1`.
    base_url: Url,
    /// `Stripe-Version` and `Stripe-Account`, when the connection sets them.
    headers: Vec<(String, String)>,
}

impl StripeClient {
    /// The client of a `kind: stripe` connection: its key as `Bearer`, its limits, and its
    /// `api_version` / `account` settings as `Stripe-Version` / `Stripe-Account`.
    pub fn new(connection: &ResolvedConnection) -> Result<StripeClient, ConnectorError> {
        let base_url = connection::base_url(connection).ok_or_else(|| {
            ConnectorError::Unsupported(format!(
                "connection `{}` has no base_url for Stripe",
                connection.name
            ))
        })?;
        let client = Self::with_config(&base_url, connection::http_config(connection))?;
        Ok(client
            .api_version(connection.setting("api_version"))
            .account(connection.setting("account")))
    }

    /// A client for `base_url` (such as `https://api.stripe.com` or a sandbox's
    /// `http://127.0.0.1:4010/stripe`) with the secret key `api_key` and default settings.
    pub fn with_key(base_url: &str, api_key: &str) -> Result<StripeClient, ConnectorError> {
        let config = HttpConfig {
            auth: Auth::Bearer(Secret::new(api_key)),
            ..HttpConfig::default()
        };
        Self::with_config(base_url, config)
    }

    /// A client for `base_url` with explicit HTTP settings (credentials included).
    pub fn with_config(base_url: &str, config: HttpConfig) -> Result<StripeClient, ConnectorError> {
        let invalid = |reason: String| {
            ConnectorError::Http(HttpError::InvalidRequest {
                endpoint: Endpoint::new("", "stripe base URL", base_url),
                reason,
            })
        };
        let base_url = Url::parse(base_url.trim_end_matches('/'))
            .map_err(|error| invalid(format!("bad base URL: {error}")))?;
        if base_url.cannot_be_a_base() {
            return Err(invalid(
                "the base URL cannot have paths joined to it".into(),
            ));
        }
        let http = HttpClient::new(config).map_err(|error| invalid(error.reason))?;
        Ok(StripeClient {
            http,
            base_url,
            headers: Vec::new(),
        })
    }

    /// Pins the API version (`Stripe-Version`); `None` uses the account's default.
    pub fn api_version(self, version: Option<&str>) -> Self {
        self.with_header("Stripe-Version", version)
    }

    /// Acts on a connected account (`Stripe-Account`).
    pub fn account(self, account: Option<&str>) -> Self {
        self.with_header("Stripe-Account", account)
    }

    fn with_header(mut self, name: &str, value: Option<&str>) -> Self {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        if let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) {
            self.headers.push((name.to_string(), value.to_string()));
        }
        self
    }

    /// The connection's request counters (attempts, retries, 429s).
    pub fn http_stats(&self) -> HttpStats {
        self.http.stats()
    }

    /// The live object `collection/id`; `None` when Stripe has no such object or it was
    /// deleted.
    pub async fn get(
        &self,
        collection: &str,
        id: &str,
    ) -> Result<Option<TargetRecord>, ConnectorError> {
        readable(collection)?;
        let url = self.url(&[collection, id], &[]);
        let spec = RequestSpec::get(format!("stripe: get {collection}"), url);
        let answer = match self.send(spec).await {
            Ok(answer) => answer,
            Err(ConnectorError::Api {
                status: 404, code, ..
            }) if code.as_deref() == Some("resource_missing") => {
                return Ok(None);
            }
            Err(error) => return Err(error),
        };
        let record = answer.into_record()?;
        let deleted = record.data.get("deleted").and_then(Value::as_bool) == Some(true);
        Ok((!deleted).then_some(record))
    }

    /// Creates an object of `collection` from `write.fields`, sent once however often the
    /// request is retried (Stripe replays the first answer for the same idempotency key).
    pub async fn create(
        &self,
        collection: &str,
        write: &Write,
    ) -> Result<TargetRecord, ConnectorError> {
        writable(collection)?;
        let url = self.url(&[collection], &[]);
        let spec = RequestSpec::post(format!("stripe: create {collection}"), url);
        self.send(with_write(spec, write)?).await?.into_record()
    }

    /// Sends the changed `write.fields` to the object `current` is; with nothing to change it
    /// sends nothing and returns `current`. A price whose amount, currency, product or interval
    /// changes is replaced by a new price instead (prices are immutable).
    pub async fn update(
        &self,
        collection: &str,
        current: &TargetRecord,
        write: &Write,
    ) -> Result<TargetRecord, ConnectorError> {
        writable(collection)?;
        if write
            .fields
            .as_object()
            .is_some_and(|fields| fields.is_empty())
        {
            return Ok(current.clone());
        }
        if collection == "prices" && super::price_change::needs_new_price(write) {
            return self.replace_price(current, write).await;
        }
        self.update_in_place(collection, current, write).await
    }

    /// `POST /v1/{collection}/{id}` with the write's fields.
    pub(super) async fn update_in_place(
        &self,
        collection: &str,
        current: &TargetRecord,
        write: &Write,
    ) -> Result<TargetRecord, ConnectorError> {
        let url = self.url(&[collection, &current.id], &[]);
        let spec = RequestSpec::post(format!("stripe: update {collection}"), url);
        self.send(with_write(spec, write)?).await?.into_record()
    }

    /// `{base}/v1/{segments...}?{query}`, each segment and pair percent-encoded.
    pub(super) fn url(&self, segments: &[&str], query: &[(String, String)]) -> String {
        let mut url = self.base_url.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().push("v1").extend(segments);
        }
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        url.into()
    }

    /// Sends `spec` with the connection's Stripe headers; the answer's JSON body, or Stripe's
    /// error object as [`ConnectorError::Api`].
    pub(super) async fn send(&self, mut spec: RequestSpec) -> Result<Answer, ConnectorError> {
        spec.headers.extend(self.headers.iter().cloned());
        let response = self.http.send(spec).await.map_err(api_error)?;
        Answer::from_response(&response)
    }
}

/// The write's fields as a form body, with its idempotency key; a keyed POST is safe to retry.
fn with_write(spec: RequestSpec, write: &Write) -> Result<RequestSpec, ConnectorError> {
    if !write.fields.is_object() {
        return Err(ConnectorError::Unsupported(format!(
            "{}: the fields to write must be an object",
            spec.label
        )));
    }
    let spec = spec.form(form::encode(&write.fields));
    if write.idempotency_key.is_empty() {
        return Ok(spec);
    }
    Ok(spec
        .header("Idempotency-Key", write.idempotency_key.as_str())
        .idempotent(true))
}

pub(super) fn readable(collection: &str) -> Result<(), ConnectorError> {
    known(collection, READABLE, "read")
}

fn writable(collection: &str) -> Result<(), ConnectorError> {
    known(collection, WRITABLE, "write")
}

fn known(collection: &str, allowed: &[&str], verb: &str) -> Result<(), ConnectorError> {
    if allowed.contains(&collection) {
        Ok(())
    } else {
        Err(ConnectorError::Unsupported(format!(
            "ferry cannot {verb} stripe.{collection} (it can {verb} {})",
            allowed.join(", ")
        )))
    }
}
