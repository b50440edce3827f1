//! How Syspro plugs into ferry: its descriptor and its client.

use std::path::PathBuf;

use super::SysproClient;
use crate::connectors::descriptor::{AuthScheme, Client, Descriptor, RateLimits};
use crate::connectors::http::HttpStats;
use crate::connectors::rate_limit::{RateLimit, SECOND};
use crate::connectors::{
    self, ConnectorError, MatchKey, PollOptions, ResolvedConnection, SourcePage, TargetRecord,
    Write, client::DynClient,
};

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
    auth: AuthScheme::SysproLogon,
    // Unverified: Syspro's e.net service publishes no limit; stay gentle.
    rate_limit: Some(RateLimits {
        default: |_| LIMIT,
        ceiling: LIMIT,
    }),
    schemas: super::schemas,
    client: Client::Runs(open),
};

const LIMIT: RateLimit = RateLimit::new(10, SECOND);

fn open(
    connection: &ResolvedConnection,
    _: Option<PathBuf>,
) -> Result<Box<dyn DynClient>, ConnectorError> {
    Ok(Box::new(SysproClient::new(connection)?))
}

impl connectors::Client for SysproClient {
    async fn poll(
        &self,
        stream: &str,
        cursor: Option<&str>,
        options: &PollOptions,
    ) -> Result<SourcePage, ConnectorError> {
        SysproClient::poll(self, stream, cursor, options).await
    }

    async fn get(&self, collection: &str, id: &str) -> Result<Option<TargetRecord>, ConnectorError> {
        SysproClient::get(self, collection, id).await
    }

    async fn find(
        &self,
        collection: &str,
        keys: &[MatchKey],
    ) -> Result<Option<TargetRecord>, ConnectorError> {
        SysproClient::find(self, collection, keys).await
    }

    async fn create(&self, collection: &str, write: &Write) -> Result<TargetRecord, ConnectorError> {
        SysproClient::create(self, collection, write).await
    }

    async fn update(
        &self,
        collection: &str,
        current: &TargetRecord,
        write: &Write,
    ) -> Result<TargetRecord, ConnectorError> {
        SysproClient::update(self, collection, current, write).await
    }

    fn http_stats(&self) -> Option<HttpStats> {
        Some(self.http().stats())
    }
}
