//! How Capsule CRM plugs into ferry: its descriptor and its client.

use std::path::PathBuf;
use std::time::Duration;

use super::CapsuleClient;
use crate::connectors::descriptor::{AuthScheme, Client, Descriptor, RateLimits};
use crate::connectors::http::HttpStats;
use crate::connectors::rate_limit::RateLimit;
use crate::connectors::{
    self, ConnectorError, MatchKey, PollOptions, ResolvedConnection, SourcePage, TargetRecord,
    Write, client::DynClient,
};

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
    client: Client::Runs(open),
};

/// 4000 requests an hour.
const LIMIT: RateLimit = RateLimit::new(4000, Duration::from_secs(3600));

fn open(
    connection: &ResolvedConnection,
    _: Option<PathBuf>,
) -> Result<Box<dyn DynClient>, ConnectorError> {
    Ok(Box::new(CapsuleClient::new(connection)?))
}

impl connectors::Client for CapsuleClient {
    async fn poll(
        &self,
        stream: &str,
        cursor: Option<&str>,
        options: &PollOptions,
    ) -> Result<SourcePage, ConnectorError> {
        CapsuleClient::poll(self, stream, cursor, options).await
    }

    async fn get(&self, collection: &str, id: &str) -> Result<Option<TargetRecord>, ConnectorError> {
        CapsuleClient::get(self, collection, id).await
    }

    async fn find(
        &self,
        collection: &str,
        keys: &[MatchKey],
    ) -> Result<Option<TargetRecord>, ConnectorError> {
        CapsuleClient::find(self, collection, keys).await
    }

    async fn create(&self, collection: &str, write: &Write) -> Result<TargetRecord, ConnectorError> {
        CapsuleClient::create(self, collection, write).await
    }

    async fn update(
        &self,
        collection: &str,
        current: &TargetRecord,
        write: &Write,
    ) -> Result<TargetRecord, ConnectorError> {
        CapsuleClient::update(self, collection, current, write).await
    }

    fn http_stats(&self) -> Option<HttpStats> {
        Some(self.http().stats())
    }
}
