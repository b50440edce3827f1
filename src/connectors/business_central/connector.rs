//! How Business Central plugs into ferry: its descriptor. Its client is
//! [`super::client`].

use std::path::PathBuf;
use std::time::Duration;

use super::BusinessCentralClient;
use crate::connectors::descriptor::{AuthScheme, Descriptor, RateLimits, Runs};
use crate::connectors::rate_limit::RateLimit;
use crate::connectors::client::DynClient;
use crate::connectors::{ConnectorError, ResolvedConnection};

pub static DESCRIPTOR: Descriptor = Descriptor {
    name: "business_central",
    title: "Business Central",
    required: &[
        "tenant",
        "environment",
        "company_id",
        "client_id",
        "client_secret",
    ],
    optional: &["base_url", "login_url", "scope", "journal_id", "journal"],
    secrets: &["client_secret"],
    key_prefixes: &[],
    live_key_prefixes: &[],
    default_base_url: Some("https://api.businesscentral.dynamics.com"),
    // Microsoft's identity platform, and the scope of Business Central's API.
    auth: AuthScheme::ClientCredentials {
        login_url: "https://login.microsoftonline.com",
        // Microsoft's identity platform: one token endpoint per tenant.
        token_path: "{tenant}/oauth2/v2.0/token",
        scope: "https://api.businesscentral.dynamics.com/.default",
    },
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

/// 6000 requests in every 5 minutes.
const LIMIT: RateLimit = RateLimit::new(6000, Duration::from_secs(300));

fn open(
    connection: &ResolvedConnection,
    _: Option<PathBuf>,
) -> Result<Box<dyn DynClient>, ConnectorError> {
    Ok(Box::new(BusinessCentralClient::new(connection)?))
}
