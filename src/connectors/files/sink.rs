//! Appending records to CSV and JSON Lines files. A written line never changes: its id is its
//! line number, and the runner finds it again through the cross reference.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write as _};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};
use tokio::sync::Mutex;

use super::Format;
use crate::connectors::{ConnectorError, TargetRecord, Write};

/// One output file, opened lazily; writes are serialised.
#[derive(Debug)]
pub struct FileSink {
    path: PathBuf,
    format: Format,
    state: Mutex<Option<SinkState>>,
}

#[derive(Debug)]
struct SinkState {
    /// Lines already in the file, by id, as written.
    lines: HashMap<String, Value>,
    headers: Vec<String>,
    next_line: u64,
}

impl FileSink {
    pub fn new(path: PathBuf, format: Format) -> Self {
        FileSink {
            path,
            format,
            state: Mutex::new(None),
        }
    }

    fn error(&self, reason: impl std::fmt::Display) -> ConnectorError {
        ConnectorError::File {
            path: self.path.display().to_string(),
            reason: reason.to_string(),
        }
    }

    pub async fn get(&self, id: &str) -> Result<Option<TargetRecord>, ConnectorError> {
        let mut state = self.state.lock().await;
        let state = self.loaded(&mut state)?;
        Ok(state.lines.get(id).map(|data| TargetRecord {
            id: id.to_string(),
            data: data.clone(),
            etag: None,
        }))
    }

    pub async fn append(&self, write: &Write) -> Result<TargetRecord, ConnectorError> {
        let mut guard = self.state.lock().await;
        let format = self.format;
        let path = self.path.clone();
        let state = self.loaded(&mut guard)?;
        let Value::Object(fields) = &write.fields else {
            return Err(self.error("a file record must be an object"));
        };
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| self.error(e))?;
        let text = match format {
            Format::JsonLines => {
                let mut line = serde_json::to_string(&write.fields).map_err(|e| self.error(e))?;
                line.push('\n');
                line
            }
            Format::Csv => {
                let mut text = String::new();
                if state.headers.is_empty() {
                    state.headers = fields.keys().cloned().collect();
                    text.push_str(&csv_row(state.headers.iter().map(String::as_str))?);
                    state.next_line = 2;
                }
                if let Some(extra) = fields.keys().find(|k| !state.headers.contains(k)) {
                    return Err(self.error(format!(
                        "`{extra}` is not a column of the file's header ({})",
                        state.headers.join(", ")
                    )));
                }
                let cells: Vec<String> = state
                    .headers
                    .iter()
                    .map(|name| cell(fields.get(name)))
                    .collect();
                text.push_str(&csv_row(cells.iter().map(String::as_str))?);
                text
            }
        };
        file.write_all(text.as_bytes()).map_err(|e| self.error(e))?;
        file.sync_data().map_err(|e| self.error(e))?;
        let id = format!("line {}", state.next_line);
        state.next_line += 1;
        state.lines.insert(id.clone(), write.fields.clone());
        Ok(TargetRecord {
            id,
            data: write.fields.clone(),
            etag: None,
        })
    }

    /// Reads what the file already holds, once.
    fn loaded<'s>(
        &self,
        state: &'s mut Option<SinkState>,
    ) -> Result<&'s mut SinkState, ConnectorError> {
        if state.is_none() {
            *state = Some(read_existing(&self.path, self.format).map_err(|e| self.error(e))?);
        }
        state
            .as_mut()
            .ok_or_else(|| self.error("the sink file could not be read"))
    }
}

fn read_existing(path: &Path, format: Format) -> Result<SinkState, String> {
    let mut state = SinkState {
        lines: HashMap::new(),
        headers: Vec::new(),
        next_line: 1,
    };
    let file = match File::open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(state),
        Err(error) => return Err(error.to_string()),
    };
    for line in BufReader::new(file).lines() {
        let line = line.map_err(|e| e.to_string())?;
        let number = state.next_line;
        state.next_line += 1;
        let value = match format {
            Format::JsonLines => serde_json::from_str(&line).unwrap_or(Value::Null),
            Format::Csv => {
                let cells = csv_cells(&line)?;
                if number == 1 {
                    state.headers = cells;
                    continue;
                }
                let object: Map<String, Value> = state
                    .headers
                    .iter()
                    .cloned()
                    .zip(cells.into_iter().map(Value::String))
                    .collect();
                Value::Object(object)
            }
        };
        state.lines.insert(format!("line {number}"), value);
    }
    Ok(state)
}

fn csv_cells(line: &str) -> Result<Vec<String>, String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(line.as_bytes());
    match reader.records().next() {
        Some(Ok(row)) => Ok(row.iter().map(str::to_string).collect()),
        Some(Err(error)) => Err(error.to_string()),
        None => Ok(Vec::new()),
    }
}

fn csv_row<'a>(cells: impl Iterator<Item = &'a str>) -> Result<String, ConnectorError> {
    let mut writer = csv::WriterBuilder::new().from_writer(Vec::new());
    writer
        .write_record(cells)
        .map_err(|e| ConnectorError::Unsupported(e.to_string()))?;
    let bytes = writer
        .into_inner()
        .map_err(|e| ConnectorError::Unsupported(e.to_string()))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// A value as a CSV cell: text as is, numbers and bools as written, null and absent empty,
/// lists and objects as JSON.
fn cell(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
    }
}
