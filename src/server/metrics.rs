//! Prometheus metrics: one recorder per process (the `metrics` crate's global), rendered at
//! `/metrics`.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

/// The process's recorder, installed on first use.
pub fn handle() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| PrometheusBuilder::new().install_recorder().ok())
        .as_ref()
}

/// Names of the metrics ferry serve reports.
pub mod name {
    pub const EVENTS_RECEIVED: &str = "ferry_events_received_total";
    pub const EVENTS_REJECTED: &str = "ferry_events_rejected_total";
    pub const EVENTS_PROCESSED: &str = "ferry_events_processed_total";
    pub const EVENTS_FAILED: &str = "ferry_events_failed_total";
    pub const EVENTS_DEAD_LETTERED: &str = "ferry_events_dead_lettered_total";
    pub const HTTP_REQUESTS: &str = "ferry_http_requests_total";
    pub const HTTP_RETRIES: &str = "ferry_http_retries_total";
    pub const HTTP_RATE_LIMITED: &str = "ferry_http_rate_limited_total";
    pub const INBOX_PENDING: &str = "ferry_inbox_pending";
    pub const INBOX_LAG: &str = "ferry_inbox_lag_seconds";
}
