//! Business Central API v2.0 emulator: OAuth2 client credentials, OData entity sets under
//! `companies({id})/`, `$filter`/`$select`/`$top`/`$skip`/`$expand`, server-driven paging with
//! `@odata.nextLink`, etags with `If-Match`, number series, bound `Microsoft.NAV.post` (sales
//! invoices and credit memos, general journals and customer payment journals, which write
//! read-only `generalLedgerEntries` in local currency and `customerLedgerEntries` in the
//! document's currency, applying payments and credit memos to invoices), `currencies` and
//! their `currencyExchangeRates`, a read-only chart of `accounts`, and a per-token request-rate
//! limit answered 429 with `Retry-After`.
//!
//! Unverified choices are listed in [`error`].

mod emulator;
mod auth;
pub mod currency;
mod documents;
mod drift;
pub mod error;
pub mod filter;
mod handlers;
pub mod ledger;
pub mod path;
mod order_drift;
mod payments;
pub mod posting;
mod query;
mod reversal;
pub mod rules;
pub mod schema;
mod seed;
pub mod store;
mod write;

pub use emulator::EMULATOR;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::{any, post};
use rand::SeedableRng;
use rand::rngs::StdRng;

use super::rate_window::RateWindows;
use store::BcData;

pub use auth::SCOPE;

/// How the Business Central emulator behaves.
#[derive(Debug, Clone)]
pub struct BusinessCentralConfig {
    pub tenant: String,
    pub environment: String,
    pub client_id: String,
    pub client_secret: String,
    /// Lifetime of issued access tokens (Entra ID: about an hour).
    pub token_lifetime: Duration,
    /// Requests per token per window (6,000 per 5 minutes).
    pub rate_limit: u32,
    pub rate_window: Duration,
    /// Page size when the client sends no `Prefer: odata.maxpagesize`.
    pub page_size: usize,
    pub company_name: String,
}

impl Default for BusinessCentralConfig {
    fn default() -> Self {
        BusinessCentralConfig {
            tenant: "sandbox-tenant".into(),
            environment: "sandbox".into(),
            client_id: "ferry-sandbox-client".into(),
            client_secret: "ferry-sandbox-secret".into(),
            token_lifetime: Duration::from_secs(3_599),
            rate_limit: 6_000,
            rate_window: Duration::from_secs(300),
            page_size: 100,
            company_name: "CRONUS Sandbox".into(),
        }
    }
}

/// Shared state of one emulator; cheap to clone.
#[derive(Debug, Clone)]
pub struct BusinessCentralState {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: BusinessCentralConfig,
    windows: RateWindows,
    tokens: Mutex<HashMap<String, Instant>>,
    data: Mutex<BcData>,
    /// Faults the next journal posts meet, first one first.
    journal_post_faults: Mutex<Vec<posting::JournalPostFault>>,
}

impl BusinessCentralState {
    /// One company with its journals and no customers or items.
    pub fn new(config: BusinessCentralConfig) -> Self {
        let data = seed::company(&config, StdRng::from_os_rng(), None);
        Self::with_data(config, data)
    }

    /// One company with hundreds of customers and items, the same for the same seed.
    pub fn seeded(config: BusinessCentralConfig, seed: u64) -> Self {
        let mut data = seed::company(&config, StdRng::seed_from_u64(seed), Some(seed));
        data.not_ferrys = data
            .companies
            .iter()
            .flat_map(|company| company.sets.values())
            .flat_map(|set| set.values().map(|entity| entity.id().to_string()))
            .collect();
        Self::with_data(config, data)
    }

    fn with_data(config: BusinessCentralConfig, data: BcData) -> Self {
        BusinessCentralState {
            inner: Arc::new(Inner {
                windows: RateWindows::new(config.rate_limit, config.rate_window),
                config,
                tokens: Mutex::new(HashMap::new()),
                data: Mutex::new(data),
                journal_post_faults: Mutex::new(Vec::new()),
            }),
        }
    }

    pub fn config(&self) -> &BusinessCentralConfig {
        &self.inner.config
    }

    /// Locks the records (for handlers and for tests that inspect them).
    pub fn data(&self) -> MutexGuard<'_, BcData> {
        self.inner.data.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sets every company's allowed posting dates (General Ledger Setup's Allow Posting From /
    /// To, `YYYY-MM-DD`; `None` leaves that end open): closing and reopening a period.
    pub fn allow_posting(&self, from: Option<&str>, to: Option<&str>) {
        for company in &mut self.data().companies {
            company.allow_posting_from = from.map(str::to_string);
            company.allow_posting_to = to.map(str::to_string);
        }
    }

    /// Makes the next journal post meet `fault` (tests of crashes around posting).
    pub fn fail_next_journal_post(&self, fault: posting::JournalPostFault) {
        self.inner
            .journal_post_faults
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(fault);
    }

    fn take_journal_post_fault(&self) -> Option<posting::JournalPostFault> {
        let mut faults = self
            .inner
            .journal_post_faults
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        (!faults.is_empty()).then(|| faults.remove(0))
    }

    /// The id of the first company, which the seeded data lives in.
    pub fn company_id(&self) -> String {
        self.data()
            .companies
            .first()
            .map(|c| c.id.clone())
            .unwrap_or_default()
    }
}

/// The sandbox company's id (ferry.yaml's sandbox environment uses it).
pub const COMPANY_ID: &str = "00000000-0000-0000-0000-000000000001";

/// The API routes, relative to `/business_central`: `/v2.0/{tenant}/{environment}/api/v2.0/...`,
/// and the finance reports API's customer ledger beside them.
pub fn router(state: BusinessCentralState) -> Router {
    Router::new()
        .route(
            "/v2.0/{tenant}/{environment}/api/v2.0/{*path}",
            any(handlers::dispatch),
        )
        .route(
            "/v2.0/{tenant}/{environment}/api/v2.0",
            any(handlers::service_root),
        )
        .route(
            "/v2.0/{tenant}/{environment}/api/microsoft/reportsFinance/beta/{*path}",
            any(handlers::dispatch_finance_reports),
        )
        .fallback(handlers::not_found)
        .with_state(state)
}

/// The token endpoint, relative to `/oauth`: `/{tenant}/oauth2/v2.0/token`.
pub fn token_router(state: BusinessCentralState) -> Router {
    Router::new()
        .route("/{tenant}/oauth2/v2.0/token", post(auth::token))
        .with_state(state)
}
