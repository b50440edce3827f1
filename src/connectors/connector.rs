//! One client per `ferry.yaml` connection, behind a single type the runner calls.

use std::path::PathBuf;

use super::business_central::BusinessCentralClient;
use super::capsule::CapsuleClient;
use super::files::FileConnector;
use super::http::HttpStats;
use super::stripe::StripeClient;
use super::syspro::SysproClient;
use super::{ConnectorError, MatchKey, PollOptions, SourcePage, TargetRecord, Write};
use crate::project::{Kind, ResolvedConnection};

/// A connection's client.
#[derive(Debug)]
pub enum Connector {
    Stripe(StripeClient),
    Capsule(CapsuleClient),
    BusinessCentral(BusinessCentralClient),
    Syspro(SysproClient),
    File(FileConnector),
}

/// Runs the same call on whichever client `$connector` holds.
macro_rules! dispatch {
    ($connector:expr, |$client:ident| $call:expr) => {
        match $connector {
            Connector::Stripe($client) => $call,
            Connector::Capsule($client) => $call,
            Connector::BusinessCentral($client) => $call,
            Connector::Syspro($client) => $call,
            Connector::File($client) => $call,
        }
    };
}

impl Connector {
    /// Builds the client of `connection`; `file_override` replaces a file connection's `path`
    /// (`ferry run --input`).
    pub fn open(
        connection: &ResolvedConnection,
        file_override: Option<PathBuf>,
    ) -> Result<Connector, ConnectorError> {
        match connection.kind {
            Kind::Stripe => Ok(Connector::Stripe(StripeClient::new(connection)?)),
            Kind::Capsule => Ok(Connector::Capsule(CapsuleClient::new(connection)?)),
            Kind::BusinessCentral => Ok(Connector::BusinessCentral(BusinessCentralClient::new(
                connection,
            )?)),
            Kind::Syspro => Ok(Connector::Syspro(SysproClient::new(connection)?)),
            Kind::File => {
                let path = file_override
                    .or_else(|| connection.setting("path").map(PathBuf::from))
                    .ok_or_else(|| {
                        ConnectorError::Unsupported(format!(
                            "connection `{}` has no `path`",
                            connection.name
                        ))
                    })?;
                Ok(Connector::File(FileConnector::new(path)))
            }
            other => Err(ConnectorError::Unsupported(format!(
                "ferry cannot yet run pipelines against {} (connection `{}`)",
                other.name(),
                connection.name
            ))),
        }
    }

    /// A file connection that no `ferry.yaml` names (`ferry run --input FILE`).
    pub fn file(path: PathBuf) -> Connector {
        Connector::File(FileConnector::new(path))
    }

    /// Gets the connector ready to be written to as `stream` (files open their output).
    pub fn prepare_sink(&mut self, stream: &str) -> Result<(), ConnectorError> {
        match self {
            Connector::File(file) => file.prepare_sink(stream),
            _ => Ok(()),
        }
    }

    /// Request counters of the connection's HTTP client (none for files).
    pub fn http_stats(&self) -> Option<HttpStats> {
        match self {
            Connector::Stripe(client) => Some(client.http_stats()),
            Connector::Capsule(client) => Some(client.http().stats()),
            Connector::BusinessCentral(client) => Some(client.http().stats()),
            Connector::Syspro(client) => Some(client.http().stats()),
            Connector::File(_) => None,
        }
    }

    pub async fn poll(
        &self,
        stream: &str,
        cursor: Option<&str>,
        options: &PollOptions,
    ) -> Result<SourcePage, ConnectorError> {
        dispatch!(self, |client| client.poll(stream, cursor, options).await)
    }

    pub async fn get(
        &self,
        collection: &str,
        id: &str,
    ) -> Result<Option<TargetRecord>, ConnectorError> {
        dispatch!(self, |client| client.get(collection, id).await)
    }

    /// What `fetch(...)` / `fetch_all(...)` asked of this connection's `stream`: one object by
    /// id (`None` when the API has none), or every object the filters select, as a JSON array.
    pub async fn fetch(
        &self,
        stream: &str,
        id: Option<&str>,
        filters: &[(String, String)],
    ) -> Result<Option<serde_json::Value>, ConnectorError> {
        if let Some(id) = id {
            return Ok(self.get(stream, id).await?.map(|record| record.data));
        }
        match self {
            Connector::Stripe(client) => Ok(Some(serde_json::Value::Array(
                client.list_all(stream, filters).await?,
            ))),
            Connector::BusinessCentral(client) => Ok(Some(serde_json::Value::Array(
                client.list_all(stream, filters).await?,
            ))),
            _ => Err(ConnectorError::Unsupported(format!(
                "`{stream}` of this connection cannot be listed with filters"
            ))),
        }
    }

    /// Posts the written document `id` of `collection` (Business Central only); the document
    /// as posted.
    pub async fn post_document(
        &self,
        collection: &str,
        id: &str,
    ) -> Result<Option<TargetRecord>, ConnectorError> {
        match self {
            Connector::BusinessCentral(client) => client.post_document(collection, id).await,
            _ => Err(ConnectorError::Unsupported(format!(
                "`{collection}` documents of this connection cannot be posted"
            ))),
        }
    }

    /// The Business Central client, for what only Business Central does (posting a journal).
    pub fn business_central(&self) -> Option<&BusinessCentralClient> {
        match self {
            Connector::BusinessCentral(client) => Some(client),
            _ => None,
        }
    }

    pub async fn find(
        &self,
        collection: &str,
        keys: &[MatchKey],
    ) -> Result<Option<TargetRecord>, ConnectorError> {
        dispatch!(self, |client| client.find(collection, keys).await)
    }

    pub async fn create(
        &self,
        collection: &str,
        write: &Write,
    ) -> Result<TargetRecord, ConnectorError> {
        dispatch!(self, |client| client.create(collection, write).await)
    }

    pub async fn update(
        &self,
        collection: &str,
        current: &TargetRecord,
        write: &Write,
    ) -> Result<TargetRecord, ConnectorError> {
        dispatch!(self, |client| client
            .update(collection, current, write)
            .await)
    }
}
