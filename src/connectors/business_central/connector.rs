//! How Business Central plugs into ferry: its descriptor and its client.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

use super::BusinessCentralClient;
use crate::connectors::descriptor::{AuthScheme, Client, Descriptor, RateLimits};
use crate::connectors::http::HttpStats;
use crate::connectors::rate_limit::RateLimit;
use crate::connectors::{
    self, ConnectorError, MatchKey, PollOptions, ResolvedConnection, SourcePage, TargetRecord,
    Write, client::DynClient,
};

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
        scope: "https://api.businesscentral.dynamics.com/.default",
    },
    rate_limit: Some(RateLimits {
        default: |_| LIMIT,
        ceiling: LIMIT,
    }),
    schemas: super::schemas,
    client: Client::Runs(open),
};

/// 6000 requests in every 5 minutes.
const LIMIT: RateLimit = RateLimit::new(6000, Duration::from_secs(300));

fn open(
    connection: &ResolvedConnection,
    _: Option<PathBuf>,
) -> Result<Box<dyn DynClient>, ConnectorError> {
    Ok(Box::new(BusinessCentralClient::new(connection)?))
}

impl connectors::Client for BusinessCentralClient {
    async fn poll(
        &self,
        stream: &str,
        cursor: Option<&str>,
        options: &PollOptions,
    ) -> Result<SourcePage, ConnectorError> {
        BusinessCentralClient::poll(self, stream, cursor, options).await
    }

    async fn get(&self, collection: &str, id: &str) -> Result<Option<TargetRecord>, ConnectorError> {
        BusinessCentralClient::get(self, collection, id).await
    }

    async fn find(
        &self,
        collection: &str,
        keys: &[MatchKey],
    ) -> Result<Option<TargetRecord>, ConnectorError> {
        BusinessCentralClient::find(self, collection, keys).await
    }

    async fn create(&self, collection: &str, write: &Write) -> Result<TargetRecord, ConnectorError> {
        BusinessCentralClient::create(self, collection, write).await
    }

    async fn update(
        &self,
        collection: &str,
        current: &TargetRecord,
        write: &Write,
    ) -> Result<TargetRecord, ConnectorError> {
        BusinessCentralClient::update(self, collection, current, write).await
    }

    async fn list_all(
        &self,
        stream: &str,
        filters: &[(String, String)],
    ) -> Result<Vec<Value>, ConnectorError> {
        BusinessCentralClient::list_all(self, stream, filters).await
    }

    async fn post_document(
        &self,
        collection: &str,
        id: &str,
    ) -> Result<Option<TargetRecord>, ConnectorError> {
        BusinessCentralClient::post_document(self, collection, id).await
    }

    fn http_stats(&self) -> Option<HttpStats> {
        Some(self.http().stats())
    }
}
