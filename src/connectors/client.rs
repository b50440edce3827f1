//! The client contract: what every connector's client does for the runner.
//!
//! A connector implements [`Client`]; its descriptor opens it as a `Box<dyn DynClient>`, which
//! [`super::Connector`] holds. `stream` and `collection` are the second half of a pipeline's
//! `source x.y` / `sink x.y` (`parties`, `events`, `customers`, `salesOrders`, ...).
//!
//! The five record calls are required. The rest are capabilities with a default that says the
//! connector does not have them.

use std::any::Any;
use std::future::Future;
use std::pin::Pin;

use serde_json::Value;

use super::http::HttpStats;
use super::{ConnectorError, MatchKey, PollOptions, SourcePage, TargetRecord, Write};

/// A future a [`DynClient`] returns.
pub type Call<'a, T> = Pin<Box<dyn Future<Output = Result<T, ConnectorError>> + Send + 'a>>;

/// One connection's client.
pub trait Client: Any + Send + Sync + std::fmt::Debug {
    /// The records of `stream` after `cursor`, oldest first, and where to resume.
    fn poll(
        &self,
        stream: &str,
        cursor: Option<&str>,
        options: &PollOptions,
    ) -> impl Future<Output = Result<SourcePage, ConnectorError>> + Send;

    /// The record `id` of `collection`, if it exists.
    fn get(
        &self,
        collection: &str,
        id: &str,
    ) -> impl Future<Output = Result<Option<TargetRecord>, ConnectorError>> + Send;

    /// The record of `collection` that the `match on` keys select, if any.
    fn find(
        &self,
        collection: &str,
        keys: &[MatchKey],
    ) -> impl Future<Output = Result<Option<TargetRecord>, ConnectorError>> + Send;

    fn create(
        &self,
        collection: &str,
        write: &Write,
    ) -> impl Future<Output = Result<TargetRecord, ConnectorError>> + Send;

    /// Sends the changed fields of `current`.
    fn update(
        &self,
        collection: &str,
        current: &TargetRecord,
        write: &Write,
    ) -> impl Future<Output = Result<TargetRecord, ConnectorError>> + Send;

    /// Every object of `stream` the filters select (`fetch_all(...)`).
    fn list_all(
        &self,
        stream: &str,
        _filters: &[(String, String)],
    ) -> impl Future<Output = Result<Vec<Value>, ConnectorError>> + Send {
        let refusal = ConnectorError::Unsupported(format!(
            "`{stream}` of this connection cannot be listed with filters"
        ));
        async { Err(refusal) }
    }

    /// Posts the written document `id` of `collection` (a sink whose schema says it posts);
    /// the document as posted.
    fn post_document(
        &self,
        collection: &str,
        _id: &str,
    ) -> impl Future<Output = Result<Option<TargetRecord>, ConnectorError>> + Send {
        let refusal = ConnectorError::Unsupported(format!(
            "`{collection}` documents of this connection cannot be posted"
        ));
        async { Err(refusal) }
    }

    /// Gets ready to be written to as `stream` (a file opens its output).
    fn prepare_sink(&mut self, _stream: &str) -> Result<(), ConnectorError> {
        Ok(())
    }

    /// Request counters of the connection's HTTP client (none without HTTP).
    fn http_stats(&self) -> Option<HttpStats> {
        None
    }
}

/// [`Client`] with boxed futures, so that the runner can hold any connector's client.
/// Every [`Client`] is one.
pub trait DynClient: Send + Sync + std::fmt::Debug {
    fn poll<'a>(
        &'a self,
        stream: &'a str,
        cursor: Option<&'a str>,
        options: &'a PollOptions,
    ) -> Call<'a, SourcePage>;
    fn get<'a>(&'a self, collection: &'a str, id: &'a str) -> Call<'a, Option<TargetRecord>>;
    fn find<'a>(
        &'a self,
        collection: &'a str,
        keys: &'a [MatchKey],
    ) -> Call<'a, Option<TargetRecord>>;
    fn create<'a>(&'a self, collection: &'a str, write: &'a Write) -> Call<'a, TargetRecord>;
    fn update<'a>(
        &'a self,
        collection: &'a str,
        current: &'a TargetRecord,
        write: &'a Write,
    ) -> Call<'a, TargetRecord>;
    fn list_all<'a>(
        &'a self,
        stream: &'a str,
        filters: &'a [(String, String)],
    ) -> Call<'a, Vec<Value>>;
    fn post_document<'a>(
        &'a self,
        collection: &'a str,
        id: &'a str,
    ) -> Call<'a, Option<TargetRecord>>;
    fn prepare_sink(&mut self, stream: &str) -> Result<(), ConnectorError>;
    fn http_stats(&self) -> Option<HttpStats>;
    /// The client itself, for a runtime stage that needs one system's own calls.
    fn as_any(&self) -> &dyn Any;
}

impl<C: Client> DynClient for C {
    fn poll<'a>(
        &'a self,
        stream: &'a str,
        cursor: Option<&'a str>,
        options: &'a PollOptions,
    ) -> Call<'a, SourcePage> {
        Box::pin(Client::poll(self, stream, cursor, options))
    }

    fn get<'a>(&'a self, collection: &'a str, id: &'a str) -> Call<'a, Option<TargetRecord>> {
        Box::pin(Client::get(self, collection, id))
    }

    fn find<'a>(
        &'a self,
        collection: &'a str,
        keys: &'a [MatchKey],
    ) -> Call<'a, Option<TargetRecord>> {
        Box::pin(Client::find(self, collection, keys))
    }

    fn create<'a>(&'a self, collection: &'a str, write: &'a Write) -> Call<'a, TargetRecord> {
        Box::pin(Client::create(self, collection, write))
    }

    fn update<'a>(
        &'a self,
        collection: &'a str,
        current: &'a TargetRecord,
        write: &'a Write,
    ) -> Call<'a, TargetRecord> {
        Box::pin(Client::update(self, collection, current, write))
    }

    fn list_all<'a>(
        &'a self,
        stream: &'a str,
        filters: &'a [(String, String)],
    ) -> Call<'a, Vec<Value>> {
        Box::pin(Client::list_all(self, stream, filters))
    }

    fn post_document<'a>(
        &'a self,
        collection: &'a str,
        id: &'a str,
    ) -> Call<'a, Option<TargetRecord>> {
        Box::pin(Client::post_document(self, collection, id))
    }

    fn prepare_sink(&mut self, stream: &str) -> Result<(), ConnectorError> {
        Client::prepare_sink(self, stream)
    }

    fn http_stats(&self) -> Option<HttpStats> {
        Client::http_stats(self)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
