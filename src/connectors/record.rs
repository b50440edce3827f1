//! What connectors hand the runner and take from it: source pages, target records, write
//! requests, and the errors of both. The calls that take and return them are the
//! [`super::Client`] trait.

use serde_json::Value;

use super::http::HttpError;

/// One record read from a source.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceRecord {
    /// The record's id in its system, as text (`"11587"`, `"evt_1"`, a CSV row's key).
    pub id: String,
    /// The record as the API returned it (for `stripe.events`: the whole event).
    pub data: Value,
    /// The record was deleted at the source (Capsule's `/parties/deleted`).
    pub deleted: bool,
}

/// One poll's worth of records, oldest first, and where to resume after them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SourcePage {
    pub records: Vec<SourceRecord>,
    /// The opaque cursor to store once this page's writes are durable; `None` keeps the old one.
    /// Passing it back to `poll` must never skip a record (repeats are fine: writes are
    /// idempotent and unchanged records write nothing).
    pub cursor: Option<String>,
    /// Whether polling again right away with `cursor` gives more records.
    pub more: bool,
    /// Records the source holds but that could not be read (a malformed line): each goes to
    /// the dead-letter queue, never silently dropped.
    pub rejected: Vec<RejectedRecord>,
}

/// A source record that could not be read, with the raw text and why.
#[derive(Debug, Clone, PartialEq)]
pub struct RejectedRecord {
    pub id: String,
    pub raw: String,
    pub reason: String,
}

/// How a poll reads its source.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PollOptions {
    /// Stripe events: only these types (empty: every type).
    pub event_types: Vec<String>,
    /// Ignore the stored cursor's position but keep paging (`ferry run --backfill`).
    pub backfill: bool,
    /// Start from this time when there is no cursor (`ferry run --since`).
    pub since: Option<jiff::Timestamp>,
    /// Largest page to ask for (the API's own maximum caps it).
    pub page_size: usize,
    /// Read the stream's whole history where the API keeps less of it as the stream (Stripe
    /// keeps 30 days of events; their objects' lists go back further): `ferry reconcile`'s.
    pub history: bool,
}

/// A record as it is in the target system now.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetRecord {
    pub id: String,
    /// The record as the API returned it, for diffs against the mapped fields.
    pub data: Value,
    /// Business Central's `@odata.etag`, sent back as `If-Match`.
    pub etag: Option<String>,
}

/// `fetch_all` answers at most this many objects: a list longer than this is not a related set
/// but a backfill, and the record fails instead.
pub const MAX_RELATED: usize = 10_000;

/// A sink's `match on` key with the value the mapped record gives it.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchKey {
    /// Dotted path in the target record (`email`, `metadata.capsule_id`).
    pub path: String,
    pub value: Value,
}

/// One write: the fields to send and the key that makes sending it twice harmless.
#[derive(Debug, Clone, PartialEq)]
pub struct Write {
    /// The mapped fields (a JSON object, nested paths as nested objects). On update, only the
    /// fields that changed.
    pub fields: Value,
    /// Deterministic per pipeline, source record and content (hex SHA-256); Stripe gets it as
    /// `Idempotency-Key`.
    pub idempotency_key: String,
}

/// Why a connector call failed.
#[derive(Debug, thiserror::Error)]
pub enum ConnectorError {
    /// The transport or an HTTP status the API gave no structured error for.
    #[error(transparent)]
    Http(#[from] HttpError),
    /// An API's own error object (Stripe's `error`, an OData `error`, Capsule's `errors`).
    #[error("{endpoint}: {status} {message}{}", detail(.kind, .code, .param))]
    Api {
        endpoint: String,
        status: u16,
        /// Stripe's `type` (`invalid_request_error`, ...), OData's code, ...
        kind: Option<String>,
        code: Option<String>,
        param: Option<String>,
        message: String,
    },
    /// The answer was not what the API promises (not JSON, a field missing or of another type).
    #[error("{endpoint}: unexpected response: {reason}")]
    BadResponse { endpoint: String, reason: String },
    /// The pipeline asks for something this connector cannot do (an unknown stream, say).
    #[error("{0}")]
    Unsupported(String),
    /// A local file could not be read or written.
    #[error("{path}: {reason}")]
    File { path: String, reason: String },
    /// The account no longer has what the project pulled of it (`ferry schema pull`): a custom
    /// field removed or retyped. Nothing is read or written with the stale schema.
    #[error("{}: {message}; pull it again with `ferry schema pull` and lint the pipelines", crate::diagnostics::Code::PulledSchemaStale.as_str())]
    PulledSchemaStale { message: String },
}

fn detail(kind: &Option<String>, code: &Option<String>, param: &Option<String>) -> String {
    let parts: Vec<String> = [("type", kind), ("code", code), ("param", param)]
        .into_iter()
        .filter_map(|(name, value)| value.as_ref().map(|v| format!("{name}={v}")))
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join(", "))
    }
}

impl ConnectorError {
    /// A failure that retrying the same request later cannot fix: the record goes to the
    /// dead-letter queue. Transient failures stop the run and leave the cursor where it was.
    pub fn is_permanent(&self) -> bool {
        match self {
            ConnectorError::Http(error) => !error.is_transient(),
            ConnectorError::Api { status, .. } => {
                !(*status == 409 || *status == 429 || *status >= 500)
            }
            ConnectorError::BadResponse { .. }
            | ConnectorError::Unsupported(_)
            | ConnectorError::PulledSchemaStale { .. } => true,
            ConnectorError::File { .. } => false,
        }
    }

    /// A short stable name for dead letters and logs.
    pub fn code(&self) -> String {
        match self {
            ConnectorError::Http(error) => match error.status() {
                Some(status) => format!("http_{status}"),
                None => "http_transport".into(),
            },
            ConnectorError::Api {
                code, kind, status, ..
            } => code
                .clone()
                .or_else(|| kind.clone())
                .unwrap_or_else(|| format!("http_{status}")),
            ConnectorError::BadResponse { .. } => "bad_response".into(),
            ConnectorError::Unsupported(_) => "unsupported".into(),
            ConnectorError::File { .. } => "file".into(),
            ConnectorError::PulledSchemaStale { .. } => {
                crate::diagnostics::Code::PulledSchemaStale.as_str().into()
            }
        }
    }
}
