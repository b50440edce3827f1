//! How Syspro plugs into ferry: its descriptor. Its client is
//! [`super::client`].

use std::path::PathBuf;

use super::SysproClient;
use crate::connectors::descriptor::{AuthScheme, Descriptor, RateLimits, Runs};
use crate::connectors::rate_limit::{RateLimit, SECOND};
use crate::connectors::client::DynClient;
use crate::connectors::{ConnectorError, ResolvedConnection};

pub static DESCRIPTOR: Descriptor = Descriptor {
    name: "syspro",
    title: "Syspro",
    required: &["base_url", "operator", "operator_password", "company_id"],
    optional: &["company_password"],
    secrets: &["operator_password", "company_password"],
    key_prefixes: &[],
    live_key_prefixes: &[],
    // Each site runs its own e.net service.
    default_base_url: None,
    auth: AuthScheme::Session,
    // Unverified: Syspro's e.net service publishes no limit; stay gentle.
    rate_limit: Some(RateLimits {
        default: |_| LIMIT,
        ceiling: LIMIT,
    }),
    schemas: super::schemas,
    runs: Runs::Yes(open),
    local_files: false,
    webhooks: None,
    project_schemas: None,
};

const LIMIT: RateLimit = RateLimit::new(10, SECOND);

fn open(
    connection: &ResolvedConnection,
    _: Option<PathBuf>,
) -> Result<Box<dyn DynClient>, ConnectorError> {
    Ok(Box::new(SysproClient::new(connection)?))
}
