//! Syspro emulator: the SYSPRO 8 e.net REST service (`/SYSPROWCFService/Rest/...`) with
//! operator logons and sessions, the generic find COMFND, sales order import SORTOI and query
//! SORQRY, customer setup ARSSCS, AR payments ARSTPY and credit notes ARSTIN applied to the
//! invoices orders become, and general ledger journals GENTJL posted to its ledger.
//!
//! The wire shapes follow `connectors/syspro` (whose templates say what is unverified).
//! Choices where Syspro's documentation is silent: every answer is HTTP 200 (XmlOut as
//! `text/xml`, `ERROR ...` text as `text/plain`); a business rule failure rejects the whole
//! document and is reported in `<ErrorDescription>` next to the offending element; sessions
//! end after 20 idle minutes.

mod credit_notes;
mod customers;
mod emulator;
pub mod data;
mod drift;
mod find;
mod handlers;
mod invoices;
mod items;
mod journals;
pub mod ledger;
mod orders;
mod payments;
mod seed;
mod status;

pub use emulator::EMULATOR;

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::routing::get;

pub use data::{ArInvoice, Customer, SalesOrder, StockItem, SysproData};

/// The operator, password and company the sandbox accepts unless configured otherwise
/// (ferry.yaml's sandbox environment uses them).
pub const OPERATOR: &str = "ADMIN";
pub const OPERATOR_PASSWORD: &str = "sandbox-password";
pub const COMPANY_ID: &str = "EDU1";

/// How the Syspro emulator behaves.
#[derive(Debug, Clone)]
pub struct SysproConfig {
    /// Operators and their passwords.
    pub operators: Vec<(String, String)>,
    pub company_id: String,
    /// `None`: the company has no password (an empty `CompanyPassword` is accepted).
    pub company_password: Option<String>,
    /// A session unused this long has expired (Syspro then answers `ERROR: ...`).
    pub session_idle: Duration,
    /// XmlOut as Syspro sends it: declared and encoded Windows-1252, its root element
    /// lower-cased. `false`: UTF-8 and the root as named.
    pub windows_1252_answers: bool,
    /// An imported sales order is invoiced at once (the sandbox's stand-in for the site's
    /// dispatch and invoicing run), so a payment or a credit can be applied to its invoice.
    /// `false`: orders stay open until [`SysproState::invoice_order`].
    pub invoice_on_import: bool,
}

impl Default for SysproConfig {
    fn default() -> Self {
        SysproConfig {
            operators: vec![(OPERATOR.into(), OPERATOR_PASSWORD.into())],
            company_id: COMPANY_ID.into(),
            company_password: None,
            session_idle: Duration::from_secs(20 * 60),
            windows_1252_answers: true,
            invoice_on_import: true,
        }
    }
}

/// Shared state of one Syspro emulator; cheap to clone.
#[derive(Debug, Clone)]
pub struct SysproState {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: SysproConfig,
    data: Mutex<SysproData>,
}

impl SysproState {
    /// A company with warehouses, currencies and stock codes but no customers.
    pub fn new(config: SysproConfig) -> Self {
        Self::with_data(config, seed::company())
    }

    /// A company with customers too, the same for the same seed.
    pub fn seeded(config: SysproConfig, seed: u64) -> Self {
        Self::with_data(config, seed::populated(seed))
    }

    fn with_data(config: SysproConfig, mut data: SysproData) -> Self {
        data.invoice_on_import = config.invoice_on_import;
        SysproState {
            inner: Arc::new(Inner {
                config,
                data: Mutex::new(data),
            }),
        }
    }

    pub fn config(&self) -> &SysproConfig {
        &self.inner.config
    }

    /// Locks the records (for handlers and for tests that inspect or change them).
    pub fn data(&self) -> MutexGuard<'_, SysproData> {
        self.inner.data.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Invoices sales order `number` in full, as the site's invoicing run would; the invoice
    /// number, or why it cannot be invoiced.
    pub fn invoice_order(&self, number: &str) -> Result<String, String> {
        invoices::invoice_order(&mut self.data(), number)
    }

    /// Ends every session, as an idle timeout or a restart of the service would.
    pub fn expire_sessions(&self) {
        self.data().sessions.clear();
    }
}

/// The routes, relative to the mount point (`/syspro`).
pub fn router(state: SysproState) -> Router {
    Router::new()
        .route("/SYSPROWCFService/Rest/Logon", get(handlers::logon))
        .route("/SYSPROWCFService/Rest/Logoff", get(handlers::logoff))
        .route("/SYSPROWCFService/Rest/Query/Query", get(handlers::query))
        .route(
            "/SYSPROWCFService/Rest/Transaction/Post",
            get(handlers::post),
        )
        .route("/SYSPROWCFService/Rest/Setup/Add", get(handlers::setup_add))
        .route(
            "/SYSPROWCFService/Rest/Setup/Update",
            get(handlers::setup_update),
        )
        .fallback(handlers::not_found)
        .with_state(state)
}
