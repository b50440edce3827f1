//! Local files: CSV and JSON Lines, as sources (read a page at a time from a byte offset) and
//! sinks (appended, one line per record).

pub mod schema;
pub mod sink;
pub mod source;

use std::path::PathBuf;

pub use schema::schemas;
pub use sink::FileSink;

use super::{ConnectorError, MatchKey, PollOptions, SourcePage, TargetRecord, Write};

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

    pub async fn poll(
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

    fn sink(&mut self, stream: &str) -> Result<&FileSink, ConnectorError> {
        let format = Self::format(stream)?;
        let path = self.path.clone();
        Ok(self.sink.get_or_insert_with(|| FileSink::new(path, format)))
    }

    /// Opens the file for appending as `file.{stream}`; call once before writing.
    pub fn prepare_sink(&mut self, stream: &str) -> Result<(), ConnectorError> {
        self.sink(stream).map(|_| ())
    }

    fn opened(&self) -> Result<&FileSink, ConnectorError> {
        self.sink
            .as_ref()
            .ok_or_else(|| ConnectorError::Unsupported("the file was not opened as a sink".into()))
    }

    pub async fn get(
        &self,
        _stream: &str,
        id: &str,
    ) -> Result<Option<TargetRecord>, ConnectorError> {
        self.opened()?.get(id).await
    }

    /// Files have no index to search: records are found through their cross reference.
    pub async fn find(
        &self,
        _stream: &str,
        _keys: &[MatchKey],
    ) -> Result<Option<TargetRecord>, ConnectorError> {
        Ok(None)
    }

    pub async fn create(
        &self,
        _stream: &str,
        write: &Write,
    ) -> Result<TargetRecord, ConnectorError> {
        self.opened()?.append(write).await
    }

    pub async fn update(
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
