//! How Capsule CRM plugs into ferry: its descriptor. Its client is
//! [`super::client`].

use std::path::PathBuf;
use std::time::Duration;

use super::CapsuleClient;
use crate::connectors::descriptor::{AuthScheme, Descriptor, RateLimits, Runs};
use crate::connectors::rate_limit::RateLimit;
use crate::connectors::client::DynClient;
use crate::connectors::{ConnectorError, ResolvedConnection};

pub static DESCRIPTOR: Descriptor = Descriptor {
    name: "capsule",
    title: "Capsule",
    required: &["token"],
    optional: &["base_url", "webhook_token"],
    secrets: &["token", "webhook_token"],
    key_prefixes: &[],
    live_key_prefixes: &[],
    default_base_url: Some("https://api.capsulecrm.com/api/v2"),
    auth: AuthScheme::Bearer { secret: "token" },
    rate_limit: Some(RateLimits {
        default: |_| LIMIT,
        ceiling: LIMIT,
    }),
    schemas: super::schemas,
    runs: Runs::Yes(open),
    local_files: false,
    webhooks: Some(&super::webhook::WEBHOOKS),
    project_schemas: Some(&super::custom_fields::PROJECT_SCHEMAS),
};

/// 4000 requests an hour.
const LIMIT: RateLimit = RateLimit::new(4000, Duration::from_secs(3600));

fn open(
    connection: &ResolvedConnection,
    _: Option<PathBuf>,
) -> Result<Box<dyn DynClient>, ConnectorError> {
    Ok(Box::new(CapsuleClient::new(connection)?))
}
