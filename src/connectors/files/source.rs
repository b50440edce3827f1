//! Reading CSV and JSON Lines files a page at a time, from a byte offset, so a file of any size
//! streams in flat memory and a crash resumes where the last durable page ended.

use std::fs::File;
use std::io::{BufRead, BufReader, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::Format;
use crate::connectors::{ConnectorError, RejectedRecord, SourcePage, SourceRecord};

/// Records per page when the caller does not say.
const DEFAULT_PAGE: usize = 1000;

/// Where the next page starts: a byte offset and the number of the line there (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub offset: u64,
    pub line: u64,
}

impl Position {
    const START: Position = Position { offset: 0, line: 1 };

    pub fn parse(cursor: &str) -> Option<Position> {
        let (offset, line) = cursor.split_once(':')?;
        Some(Position {
            offset: offset.parse().ok()?,
            line: line.parse().ok()?,
        })
    }

    pub fn render(self) -> String {
        format!("{}:{}", self.offset, self.line)
    }
}

/// Reads the page of `path` that starts at `cursor` (the file's start when `None`).
pub fn read_page(
    path: &Path,
    format: Format,
    cursor: Option<&str>,
    page_size: usize,
) -> Result<SourcePage, ConnectorError> {
    let file_error = |reason: String| ConnectorError::File {
        path: path.display().to_string(),
        reason,
    };
    let start = match cursor {
        None => Position::START,
        Some(text) => Position::parse(text)
            .ok_or_else(|| file_error(format!("the stored cursor `{text}` is not offset:line")))?,
    };
    let limit = if page_size == 0 {
        DEFAULT_PAGE
    } else {
        page_size
    };
    let file = File::open(path).map_err(|e| file_error(e.to_string()))?;
    let mut reader = PageReader::open(file, path.to_path_buf(), format, start)?;
    let mut page = SourcePage::default();
    while page.records.len() + page.rejected.len() < limit {
        match reader.next_line()? {
            None => break,
            Some(Line::Record(record)) => page.records.push(record),
            Some(Line::Rejected(rejected)) => page.rejected.push(rejected),
            Some(Line::Blank) => {}
        }
    }
    page.more = reader.has_more()?;
    if reader.position != start {
        page.cursor = Some(reader.position.render());
    }
    Ok(page)
}

enum Line {
    Record(SourceRecord),
    Rejected(RejectedRecord),
    Blank,
}

struct PageReader {
    reader: BufReader<File>,
    path: PathBuf,
    format: Format,
    headers: Vec<String>,
    position: Position,
    buffer: Vec<u8>,
}

impl PageReader {
    fn open(
        mut file: File,
        path: PathBuf,
        format: Format,
        start: Position,
    ) -> Result<Self, ConnectorError> {
        let file_error = |reason: String| ConnectorError::File {
            path: path.display().to_string(),
            reason,
        };
        let mut headers = Vec::new();
        let mut position = start;
        if format == Format::Csv {
            let mut first_line = Vec::new();
            let header_length = BufReader::new(&mut file)
                .read_until(b'\n', &mut first_line)
                .map_err(|e| file_error(e.to_string()))?;
            let text = String::from_utf8_lossy(&first_line);
            headers = csv::ReaderBuilder::new()
                .has_headers(false)
                .from_reader(text.trim_end_matches(['\n', '\r']).as_bytes())
                .records()
                .next()
                .transpose()
                .map_err(|e| file_error(format!("the header row: {e}")))?
                .map(|row| row.iter().map(str::to_string).collect())
                .unwrap_or_default();
            if headers.iter().all(String::is_empty) {
                return Err(file_error("the CSV file has no header row".into()));
            }
            if start == Position::START {
                position = Position {
                    offset: header_length as u64,
                    line: 2,
                };
            }
        }
        file.seek(SeekFrom::Start(position.offset))
            .map_err(|e| file_error(e.to_string()))?;
        Ok(PageReader {
            reader: BufReader::with_capacity(1 << 16, file),
            path,
            format,
            headers,
            position,
            buffer: Vec::with_capacity(4096),
        })
    }

    fn next_line(&mut self) -> Result<Option<Line>, ConnectorError> {
        self.buffer.clear();
        let read = self
            .reader
            .read_until(b'\n', &mut self.buffer)
            .map_err(|e| ConnectorError::File {
                path: self.path.display().to_string(),
                reason: e.to_string(),
            })?;
        if read == 0 {
            return Ok(None);
        }
        let line_number = self.position.line;
        self.position.offset += read as u64;
        self.position.line += 1;
        let text = String::from_utf8_lossy(&self.buffer);
        let text = text.trim_end_matches(['\n', '\r']);
        if text.trim().is_empty() {
            return Ok(Some(Line::Blank));
        }
        let parsed = match self.format {
            Format::JsonLines => parse_json_line(text),
            Format::Csv => parse_csv_line(text, &self.headers),
        };
        Ok(Some(match parsed {
            Ok(data) => Line::Record(SourceRecord {
                id: record_id(&data, line_number),
                data,
                deleted: false,
            }),
            Err(reason) => Line::Rejected(RejectedRecord {
                id: format!("line {line_number}"),
                raw: text.chars().take(4096).collect(),
                reason: format!("line {line_number}: {reason}"),
            }),
        }))
    }

    fn has_more(&mut self) -> Result<bool, ConnectorError> {
        let buffered = self.reader.fill_buf().map_err(|e| ConnectorError::File {
            path: self.path.display().to_string(),
            reason: e.to_string(),
        })?;
        Ok(!buffered.is_empty())
    }
}

/// The record's `id` field as text, or its line number when it has none.
fn record_id(data: &Value, line: u64) -> String {
    match data.get("id") {
        Some(Value::String(id)) if !id.is_empty() => id.clone(),
        Some(Value::Number(id)) => id.to_string(),
        _ => format!("line {line}"),
    }
}

fn parse_json_line(text: &str) -> Result<Value, String> {
    match serde_json::from_str::<Value>(text) {
        Ok(value @ Value::Object(_)) => Ok(value),
        Ok(other) => Err(format!(
            "a JSON line must hold an object, not {}",
            json_kind(&other)
        )),
        Err(error) => Err(format!("not JSON: {error}")),
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a bool",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// One CSV row as an object of header -> text. Quoted fields with newlines are not supported
/// by the line-at-a-time reader and are rejected with that reason.
fn parse_csv_line(text: &str, headers: &[String]) -> Result<Value, String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes());
    let mut record = csv::StringRecord::new();
    match reader.read_record(&mut record) {
        Ok(true) => {}
        Ok(false) => return Err("empty row".into()),
        Err(error) => return Err(format!("not CSV: {error}")),
    }
    if record.len() != headers.len() {
        return Err(format!(
            "{} fields where the header has {} (a quoted field spanning lines is not supported)",
            record.len(),
            headers.len()
        ));
    }
    let mut object = Map::new();
    for (name, field) in headers.iter().zip(record.iter()) {
        object.insert(name.clone(), Value::String(field.to_string()));
    }
    Ok(Value::Object(object))
}
