//! Capsule CRM emulator (`/api/v2`): parties, opportunities, kases (projects) and tasks with
//! `since` cursors (not tasks: Capsule's `/tasks` has none), `Link` paging, deleted records,
//! `embed`, 422 validation errors, the per-token hourly rate limit with `X-RateLimit-*`, and
//! REST hooks (`/resthooks`) delivered as records change through the API.
//!
//! Choices where Capsule's documentation is silent (unverified): `perPage` outside 1..=100 and
//! `page` below 1 are answered 400, not clamped; `since` is inclusive (`updatedAt >= since`,
//! timestamps are whole seconds, so clients should skip ids they already hold); unknown party
//! keys in a write are ignored.

pub mod activity;
mod activity_handlers;
mod activity_input;
mod emulator;
mod field_definitions;
mod handlers;
pub mod input;
pub mod resthooks;
pub mod party;
mod seed;
mod seed_activity;

pub use emulator::EMULATOR;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use jiff::Timestamp;
use serde_json::json;

use super::rate_window::RateWindows;
use activity::{Kase, LostReason, Milestone, Opportunity, Task};
use party::{FieldDefinition, Party, Tag, Team, User};

/// How the Capsule emulator behaves.
#[derive(Debug, Clone)]
pub struct CapsuleConfig {
    /// Bearer tokens it accepts.
    pub tokens: Vec<String>,
    /// Requests per token per window (Capsule: 4,000 an hour).
    pub rate_limit: u32,
    pub rate_window: Duration,
    /// People in a seeded account (with 500 organisations); 2,000 unless told.
    pub people: usize,
}

/// The token the sandbox accepts unless configured otherwise.
pub const DEFAULT_TOKEN: &str = "capsule-sandbox-token";

impl Default for CapsuleConfig {
    fn default() -> Self {
        CapsuleConfig {
            tokens: vec![DEFAULT_TOKEN.to_string()],
            rate_limit: 4_000,
            rate_window: Duration::from_secs(3_600),
            people: seed::PEOPLE,
        }
    }
}

/// The emulator's records.
#[derive(Debug, Default)]
pub struct CapsuleData {
    pub parties: BTreeMap<u64, Party>,
    pub deleted: Vec<(u64, Timestamp)>,
    pub opportunities: BTreeMap<u64, Opportunity>,
    pub deleted_opportunities: Vec<(u64, Timestamp)>,
    pub kases: BTreeMap<u64, Kase>,
    pub deleted_kases: Vec<(u64, Timestamp)>,
    /// Capsule has no listing of deleted tasks: a deleted task is just gone.
    pub tasks: BTreeMap<u64, Task>,
    pub milestones: Vec<Milestone>,
    /// REST hook subscriptions; changes made through the API are delivered to them.
    pub hooks: Vec<resthooks::RestHook>,
    pub lost_reasons: Vec<LostReason>,
    pub users: Vec<User>,
    pub teams: Vec<Team>,
    pub tags: Vec<Tag>,
    pub definitions: Vec<FieldDefinition>,
    /// The last id handed out; parties, list items and tags share the sequence.
    pub next_id: u64,
}

impl CapsuleData {
    pub fn directory(&self) -> party::Directory<'_> {
        party::Directory {
            parties: &self.parties,
            users: &self.users,
            teams: &self.teams,
            tags: &self.tags,
            definitions: &self.definitions,
        }
    }
}

/// Shared state of one Capsule emulator; cheap to clone.
#[derive(Debug, Clone)]
pub struct CapsuleState {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: CapsuleConfig,
    windows: RateWindows,
    data: Mutex<CapsuleData>,
}

impl CapsuleState {
    /// An account with users, tags and custom field definitions but no parties.
    pub fn new(config: CapsuleConfig) -> Self {
        Self::with_data(config, seed::account())
    }

    /// An account with `config.people` people and 500 organisations, the same for the same
    /// seed.
    pub fn seeded(config: CapsuleConfig, seed: u64) -> Self {
        let data = seed::populated(seed, config.people);
        Self::with_data(config, data)
    }

    fn with_data(config: CapsuleConfig, data: CapsuleData) -> Self {
        CapsuleState {
            inner: Arc::new(Inner {
                windows: RateWindows::new(config.rate_limit, config.rate_window),
                config,
                data: Mutex::new(data),
            }),
        }
    }

    /// Locks the records (for handlers and for tests that inspect them).
    pub fn data(&self) -> MutexGuard<'_, CapsuleData> {
        self.inner.data.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The routes, relative to `/api/v2`.
pub fn router(state: CapsuleState) -> Router {
    Router::new()
        .route(
            "/parties",
            get(handlers::list_parties).post(handlers::create_party),
        )
        .route("/parties/deleted", get(handlers::deleted_parties))
        .route(
            "/parties/fields/definitions",
            get(|s, q, h, u| field_definitions::list("parties", s, q, h, u)),
        )
        .route(
            "/parties/{id}",
            get(handlers::get_party)
                .put(handlers::update_party)
                .delete(handlers::delete_party),
        )
        .route("/users", get(handlers::list_users))
        .merge(activity_handlers::routes())
        .merge(resthooks::routes())
        .fallback(handlers::not_found)
        .layer(middleware::from_fn_with_state(state.clone(), guard))
        .with_state(state)
}

/// Authenticates the bearer token and meters it, adding `X-RateLimit-*` to every answer.
async fn guard(State(state): State<CapsuleState>, request: Request, next: Next) -> Response {
    let token = bearer(request.headers());
    let Some(token) = token.filter(|t| state.inner.config.tokens.iter().any(|k| k == t)) else {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(
                json!({"message": "authentication failed: a valid bearer token is required"}),
            ),
        )
            .into_response();
    };
    let allowance = state.inner.windows.take(&token);
    let mut response = if allowance.allowed {
        next.run(request).await
    } else {
        (
            StatusCode::TOO_MANY_REQUESTS,
            axum::Json(json!({"error": "rate limit reached"})),
        )
            .into_response()
    };
    let headers = response.headers_mut();
    headers.insert("x-ratelimit-limit", HeaderValue::from(allowance.limit));
    headers.insert(
        "x-ratelimit-remaining",
        HeaderValue::from(allowance.remaining),
    );
    headers.insert(
        "x-ratelimit-reset",
        HeaderValue::from(allowance.reset_epoch),
    );
    if !allowance.allowed {
        headers.insert(
            header::RETRY_AFTER,
            HeaderValue::from(allowance.retry_after),
        );
    }
    response
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
        .filter(|t| !t.is_empty())
}
