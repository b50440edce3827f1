//! How Stripe plugs into ferry: its descriptor and its client.

use std::path::PathBuf;

use serde_json::Value;

use super::StripeClient;
use crate::connectors::descriptor::{AuthScheme, Descriptor, RateLimits, Runs};
use crate::connectors::http::HttpStats;
use crate::connectors::rate_limit::{RateLimit, SECOND};
use crate::connectors::{
    self, ConnectorError, MatchKey, PollOptions, ResolvedConnection, SourcePage, TargetRecord,
    Write, client::DynClient,
};

pub static DESCRIPTOR: Descriptor = Descriptor {
    name: "stripe",
    title: "Stripe",
    required: &["api_key"],
    optional: &[
        "base_url",
        "api_version",
        "account",
        "webhook_secret",
        "webhook_secret_previous",
    ],
    secrets: &["api_key", "webhook_secret", "webhook_secret_previous"],
    // Secret and restricted keys, and webhook signing secrets.
    key_prefixes: &["sk_live_", "sk_test_", "rk_live_", "rk_test_", "whsec_"],
    live_key_prefixes: &["sk_live_", "rk_live_"],
    default_base_url: Some("https://api.stripe.com"),
    auth: AuthScheme::Bearer { secret: "api_key" },
    // 100 requests a second with a live key, 25 in test mode.
    rate_limit: Some(RateLimits {
        default: rate_limit,
        ceiling: RateLimit::new(100, SECOND),
    }),
    schemas: super::schemas,
    runs: Runs::Yes(open),
    local_files: false,
    webhooks: Some(&super::webhook::WEBHOOKS),
    project_schemas: None,
};

fn rate_limit(api_key: Option<&str>) -> RateLimit {
    let live = api_key.is_some_and(|key| DESCRIPTOR.is_live_key(key));
    RateLimit::new(if live { 100 } else { 25 }, SECOND)
}

fn open(
    connection: &ResolvedConnection,
    _: Option<PathBuf>,
) -> Result<Box<dyn DynClient>, ConnectorError> {
    Ok(Box::new(StripeClient::new(connection)?))
}

impl connectors::Client for StripeClient {
    async fn poll(
        &self,
        stream: &str,
        cursor: Option<&str>,
        options: &PollOptions,
    ) -> Result<SourcePage, ConnectorError> {
        StripeClient::poll(self, stream, cursor, options).await
    }

    async fn get(&self, collection: &str, id: &str) -> Result<Option<TargetRecord>, ConnectorError> {
        StripeClient::get(self, collection, id).await
    }

    async fn find(
        &self,
        collection: &str,
        keys: &[MatchKey],
    ) -> Result<Option<TargetRecord>, ConnectorError> {
        StripeClient::find(self, collection, keys).await
    }

    async fn create(&self, collection: &str, write: &Write) -> Result<TargetRecord, ConnectorError> {
        StripeClient::create(self, collection, write).await
    }

    async fn update(
        &self,
        collection: &str,
        current: &TargetRecord,
        write: &Write,
    ) -> Result<TargetRecord, ConnectorError> {
        StripeClient::update(self, collection, current, write).await
    }

    async fn list_all(
        &self,
        stream: &str,
        filters: &[(String, String)],
    ) -> Result<Vec<Value>, ConnectorError> {
        StripeClient::list_all(self, stream, filters).await
    }

    async fn list_records(&self, collection: &str) -> Result<Vec<TargetRecord>, ConnectorError> {
        StripeClient::list_records(self, collection).await
    }

    /// The `created` second of the newest record handed out.
    fn cursor_time(&self, _stream: &str, cursor: &str) -> Option<jiff::Timestamp> {
        super::poll::cursor_time(cursor)
    }

    fn http_stats(&self) -> Option<HttpStats> {
        Some(StripeClient::http_stats(self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_follows_the_key_mode() {
        assert_eq!(rate_limit(Some("sk_test_x")), RateLimit::new(25, SECOND));
        assert_eq!(rate_limit(Some("sk_live_x")), RateLimit::new(100, SECOND));
        assert_eq!(rate_limit(Some("rk_live_x")), RateLimit::new(100, SECOND));
        assert_eq!(rate_limit(None), RateLimit::new(25, SECOND));
    }
}
