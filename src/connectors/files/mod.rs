//! Local files: CSV and JSON Lines, as sources (read a page at a time from a byte offset) and
//! sinks (appended, one line per record).

pub mod schema;
pub mod sink;
pub mod source;

use std::path::PathBuf;

pub use schema::schemas;
pub use sink::FileSink;

use super::client::DynClient;
use super::descriptor::{AuthScheme, Descriptor, Runs};
use super::{
    Client, ConnectorError, MatchKey, PollOptions, ResolvedConnection, SourcePage, TargetRecord,
    Write,
};

pub static DESCRIPTOR: Descriptor = Descriptor {
    name: "file",
    title: "files",
    required: &["path"],
    optional: &["format"],
    secrets: &[],
    key_prefixes: &[],
    live_key_prefixes: &[],
    default_base_url: None,
    auth: AuthScheme::None,
    // No HTTP, so no limit.
    rate_limit: None,
    schemas,
    runs: Runs::Yes(open),
    local_files: true,
    webhooks: None,
    project_schemas: None,
};

/// The file the connection's `path` names, or the one `ferry run --input` gives.
fn open(
    connection: &ResolvedConnection,
    file_override: Option<PathBuf>,
) -> Result<Box<dyn DynClient>, ConnectorError> {
    let path = file_override
        .or_else(|| connection.setting("path").map(PathBuf::from))
        .ok_or_else(|| {
            ConnectorError::Unsupported(format!("connection `{}` has no `path`", connection.name))
        })?;
    Ok(Box::new(FileConnector::new(path)))
}

/// A file's record format, from the stream name (`file.csv`, `file.jsonl`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    JsonLines,
}

impl Format {
    pub fn from_stream(stream: &str) -> Option<Format> {
        match stream {
            "csv" => Some(Format::Csv),
            "jsonl" => Some(Format::JsonLines),
            _ => None,
        }
    }
}

/// One file, read as a source or appended to as a sink.
#[derive(Debug)]
pub struct FileConnector {
    path: PathBuf,
    sink: Option<FileSink>,
}

impl FileConnector {
    pub fn new(path: PathBuf) -> Self {
        FileConnector { path, sink: None }
    }

    fn format(stream: &str) -> Result<Format, ConnectorError> {
        Format::from_stream(stream).ok_or_else(|| {
            ConnectorError::Unsupported(format!("`file.{stream}`: files are `csv` or `jsonl`"))
        })
    }

    fn sink(&mut self, stream: &str) -> Result<&FileSink, ConnectorError> {
        let format = Self::format(stream)?;
        let path = self.path.clone();
        Ok(self.sink.get_or_insert_with(|| FileSink::new(path, format)))
    }

    fn opened(&self) -> Result<&FileSink, ConnectorError> {
        self.sink
            .as_ref()
            .ok_or_else(|| ConnectorError::Unsupported("the file was not opened as a sink".into()))
    }
}

impl Client for FileConnector {
    async fn poll(
        &self,
        stream: &str,
        cursor: Option<&str>,
        options: &PollOptions,
    ) -> Result<SourcePage, ConnectorError> {
        let format = Self::format(stream)?;
        let path = self.path.clone();
        let cursor = cursor.map(str::to_string);
        let page_size = options.page_size;
        tokio::task::spawn_blocking(move || {
            source::read_page(&path, format, cursor.as_deref(), page_size)
        })
        .await
        .map_err(|e| ConnectorError::Unsupported(format!("the file reader stopped: {e}")))?
    }

    /// Opens the file for appending as `file.{stream}`; call once before writing.
    fn prepare_sink(&mut self, stream: &str) -> Result<(), ConnectorError> {
        self.sink(stream).map(|_| ())
    }

    async fn get(
        &self,
        _stream: &str,
        id: &str,
    ) -> Result<Option<TargetRecord>, ConnectorError> {
        self.opened()?.get(id).await
    }

    /// Files have no index to search: records are found through their cross reference.
    async fn find(
        &self,
        _stream: &str,
        _keys: &[MatchKey],
    ) -> Result<Option<TargetRecord>, ConnectorError> {
        Ok(None)
    }

    async fn create(
        &self,
        _stream: &str,
        write: &Write,
    ) -> Result<TargetRecord, ConnectorError> {
        self.opened()?.append(write).await
    }

    async fn update(
        &self,
        _stream: &str,
        current: &TargetRecord,
        _write: &Write,
    ) -> Result<TargetRecord, ConnectorError> {
        Err(ConnectorError::Unsupported(format!(
            "{} of {} was written before with other values; a file sink never rewrites a line",
            current.id,
            self.path.display()
        )))
    }
}

