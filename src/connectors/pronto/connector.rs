//! How Pronto plugs into ferry: its descriptor. Its client is [`super::client`].

use std::path::PathBuf;

use super::ProntoClient;
use crate::connectors::client::DynClient;
use crate::connectors::descriptor::{AuthScheme, Descriptor, RateLimits, Runs};
use crate::connectors::rate_limit::{MINUTE, RateLimit};
use crate::connectors::{ConnectorError, ResolvedConnection};

pub static DESCRIPTOR: Descriptor = Descriptor {
    name: "pronto",
    title: "Pronto",
    required: &["base_url", "username", "password"],
    optional: &[
        "timezone",
        "per_page",
        "api_path",
        "debtor_version",
        "order_version",
        "order_create_version",
        "transaction_version",
        "product_version",
        "category_version",
        "transaction_timeout",
        "transaction_poll",
    ],
    secrets: &["password"],
    key_prefixes: &[],
    live_key_prefixes: &[],
    // Each tenant has its own host (`<tenant>.prontoavenue.biz`, or its own domain).
    default_base_url: None,
    auth: AuthScheme::Basic {
        user: "username",
        password: "password",
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

/// Avenue's documented limit: 30 calls a minute.
const LIMIT: RateLimit = RateLimit::new(30, MINUTE);

fn open(
    connection: &ResolvedConnection,
    _: Option<PathBuf>,
) -> Result<Box<dyn DynClient>, ConnectorError> {
    Ok(Box::new(ProntoClient::new(connection)?))
}

#[cfg(test)]
mod tests {
    use super::DESCRIPTOR;
    use crate::connectors::pronto::{endpoints, orders};

    #[test]
    fn every_setting_the_client_reads_is_declared() {
        for key in endpoints::SETTINGS.iter().chain(&orders::SETTINGS) {
            assert!(DESCRIPTOR.optional.contains(key), "{key}");
        }
    }
}
