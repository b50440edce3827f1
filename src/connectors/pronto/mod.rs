//! Pronto Xi (through its e-commerce REST endpoints). Its schemas are known, so pipelines
//! against it lint and test, but ferry has no client for it yet.

pub mod schema;

pub use schema::schemas;

use crate::connectors::descriptor::{AuthScheme, Descriptor, RateLimits, Runs};
use crate::connectors::rate_limit::{MINUTE, RateLimit};

pub static DESCRIPTOR: Descriptor = Descriptor {
    name: "pronto",
    title: "Pronto",
    required: &["base_url", "token"],
    optional: &[],
    secrets: &["token"],
    key_prefixes: &[],
    live_key_prefixes: &[],
    // Each site runs its own server.
    default_base_url: None,
    auth: AuthScheme::Bearer { secret: "token" },
    rate_limit: Some(RateLimits {
        default: |_| LIMIT,
        ceiling: LIMIT,
    }),
    schemas,
    runs: Runs::NotYet,
    local_files: false,
    webhooks: None,
};

/// 30 requests a minute.
const LIMIT: RateLimit = RateLimit::new(30, MINUTE);
