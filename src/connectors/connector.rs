//! One client per `ferry.yaml` connection, behind a single type the runner calls.

use std::path::PathBuf;

use super::client::{DynClient, PassProgress};
use super::descriptor::Runs;
use super::files::FileConnector;
use super::http::HttpStats;
use super::{
    ConnectorError, MatchKey, PollOptions, PostedDifference, PostedJournal, PostedLedger,
    PostingLine, ResolvedConnection, SourcePage, TargetRecord, Write,
};

/// Ends every connection's session with its system once the work is over. A failure is only
/// logged: the work is done, and the session ends on the system's idle timeout.
pub async fn close_all(connectors: &std::collections::HashMap<String, std::sync::Arc<Connector>>) {
    for (name, connector) in connectors {
        if let Err(error) = connector.close().await {
            tracing::warn!(connection = %name, %error, "could not end the session");
        }
    }
}

/// A connection's client, whichever system it talks to.
#[derive(Debug)]
pub struct Connector(Box<dyn DynClient>);

impl Connector {
    /// Builds the client of `connection`; `file_override` replaces a file connection's `path`
    /// (`ferry run --input`).
    pub fn open(
        connection: &ResolvedConnection,
        file_override: Option<PathBuf>,
    ) -> Result<Connector, ConnectorError> {
        match connection.kind.runs {
            Runs::Yes(open) => Ok(Connector(open(connection, file_override)?)),
            Runs::NotYet => Err(ConnectorError::Unsupported(format!(
                "ferry cannot yet run pipelines against {} (connection `{}`)",
                connection.kind.name(),
                connection.name
            ))),
        }
    }

    /// A file connection that no `ferry.yaml` names (`ferry run --input FILE`).
    pub fn file(path: PathBuf) -> Connector {
        Connector(Box::new(FileConnector::new(path)))
    }

    /// Gets the connector ready to be written to as `stream` (files open their output).
    pub fn prepare_sink(&mut self, stream: &str) -> Result<(), ConnectorError> {
        self.0.prepare_sink(stream)
    }

    /// Ends the connection's session with its system, if it keeps one (at the end of a run).
    pub async fn close(&self) -> Result<(), ConnectorError> {
        self.0.close().await
    }

    /// Request counters of the connection's HTTP client (none for files).
    pub fn http_stats(&self) -> Option<HttpStats> {
        self.0.http_stats()
    }

    /// The time of the source's changes that `cursor` of `stream` has read up to, when the
    /// connector can tell.
    pub fn cursor_time(&self, stream: &str, cursor: &str) -> Option<jiff::Timestamp> {
        self.0.cursor_time(stream, cursor)
    }

    /// Whether a deletion in `stream` is mapped from the record's version last read (see
    /// `Client::remaps_deletions`).
    pub fn remaps_deletions(&self, stream: &str) -> bool {
        self.0.remaps_deletions(stream)
    }

    /// Whether a record of `stream` delivered on its own is read again before it is mapped
    /// (see `Client::rereads_delivered`).
    pub fn rereads_delivered(&self, stream: &str) -> bool {
        self.0.rereads_delivered(stream)
    }

    /// How far through its pass `cursor` of `stream` stands, when the source tells.
    pub fn cursor_progress(&self, stream: &str, cursor: &str) -> Option<PassProgress> {
        self.0.cursor_progress(stream, cursor)
    }

    pub async fn poll(
        &self,
        stream: &str,
        cursor: Option<&str>,
        options: &PollOptions,
    ) -> Result<SourcePage, ConnectorError> {
        self.0.poll(stream, cursor, options).await
    }

    pub async fn get(
        &self,
        collection: &str,
        id: &str,
    ) -> Result<Option<TargetRecord>, ConnectorError> {
        self.0.get(collection, id).await
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
        let all = self.0.list_all(stream, filters).await?;
        Ok(Some(serde_json::Value::Array(all)))
    }

    /// Every record of `collection`, list pages only (a reconcile's listing).
    pub async fn list_records(
        &self,
        collection: &str,
    ) -> Result<Vec<TargetRecord>, ConnectorError> {
        self.0.list_records(collection).await
    }

    /// Posts the written document `id` of `collection` (sinks whose schema says they post);
    /// the document as posted.
    pub async fn post_document(
        &self,
        collection: &str,
        id: &str,
    ) -> Result<Option<TargetRecord>, ConnectorError> {
        self.0.post_document(collection, id).await
    }

    /// Whether the ledger can tell that `lines` were posted (a journal sink's record).
    pub fn check_posting(
        &self,
        collection: &str,
        lines: &[PostingLine],
    ) -> Result<(), ConnectorError> {
        self.0.check_posting(collection, lines)
    }

    /// The ledger entry of `lines` when they were posted already.
    pub async fn posted_entry(
        &self,
        collection: &str,
        lines: &[PostingLine],
    ) -> Result<Option<TargetRecord>, ConnectorError> {
        self.0.posted_entry(collection, lines).await
    }

    /// The ledger `collection` posts to, read whole for a reconcile, when the connector can.
    pub async fn read_ledger(
        &self,
        collection: &str,
    ) -> Result<Option<std::sync::Arc<dyn PostedLedger>>, ConnectorError> {
        self.0.read_ledger(collection).await
    }

    /// How the ledger's entries of posted `lines` differ from them in amount.
    pub async fn posted_differences(
        &self,
        collection: &str,
        lines: &[PostingLine],
    ) -> Result<Vec<PostedDifference>, ConnectorError> {
        self.0.posted_differences(collection, lines).await
    }

    /// Posts the journal that holds the written `lines` alone; the journal posted, if any.
    pub async fn post_journal(
        &self,
        collection: &str,
        lines: &[PostingLine],
        written: &[String],
    ) -> Result<Option<PostedJournal>, ConnectorError> {
        self.0.post_journal(collection, lines, written).await
    }

    /// Takes a failed record's written line `id` out of its journal again.
    pub async fn discard_line(
        &self,
        collection: &str,
        lines: &[PostingLine],
        id: &str,
    ) -> Result<(), ConnectorError> {
        self.0.discard_line(collection, lines, id).await
    }

    pub async fn find(
        &self,
        collection: &str,
        keys: &[MatchKey],
    ) -> Result<Option<TargetRecord>, ConnectorError> {
        self.0.find(collection, keys).await
    }

    pub async fn create(
        &self,
        collection: &str,
        write: &Write,
    ) -> Result<TargetRecord, ConnectorError> {
        self.0.create(collection, write).await
    }

    pub async fn update(
        &self,
        collection: &str,
        current: &TargetRecord,
        write: &Write,
    ) -> Result<TargetRecord, ConnectorError> {
        self.0.update(collection, current, write).await
    }
}
