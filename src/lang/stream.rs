//! Mapping a stream of JSON lines: batches of lines are parsed and mapped on every core, and
//! written in input order, so output is the same as a one-by-one loop, only sooner.

use std::collections::BTreeMap;
use std::io::{self, BufRead, Write};
use std::sync::mpsc::{Receiver, sync_channel};
use std::sync::{Arc, Mutex};

use super::compile::CompiledPipeline;
use super::outcome::{Outcome, RecordError, RunEnv};
use super::projection::Projection;

/// Lines handed to a worker at a time.
const BATCH_LINES: usize = 2_000;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StreamCounts {
    pub mapped: u64,
    pub filtered: u64,
    pub skipped: u64,
    pub failed: u64,
}

/// A line that did not map, with its one-based line number.
#[derive(Debug)]
pub enum LineReport {
    InvalidJson { line: u64, message: String },
    Failed { line: u64, error: RecordError },
}

/// Lines kept in one buffer, with where each ends, so reading allocates once per batch.
struct Batch {
    index: u64,
    first_line: u64,
    data: Vec<u8>,
    ends: Vec<usize>,
}

impl Batch {
    fn lines(&self) -> impl Iterator<Item = &[u8]> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(self.ends.iter().copied())
            .map(|(start, end)| &self.data[start..end])
    }
}

struct Mapped {
    output: Vec<u8>,
    reports: Vec<LineReport>,
    counts: StreamCounts,
}

/// Maps every line of `input` and writes the mapped records to `output` as JSON lines.
/// Reports come in line order. Stops early only if writing fails (a closed pipe).
pub fn map_lines(
    compiled: &CompiledPipeline,
    env: &RunEnv,
    input: impl BufRead + Send,
    output: &mut impl Write,
    report: &mut dyn FnMut(LineReport),
) -> io::Result<StreamCounts> {
    let projection = compiled.projection();
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8);
    let (batches_in, batches_out) = sync_channel::<Batch>(workers * 2);
    let batches_out = Arc::new(Mutex::new(batches_out));
    let (results_in, results_out) = sync_channel::<(u64, io::Result<Mapped>)>(workers * 2);
    std::thread::scope(|scope| {
        let reader = scope.spawn(move || read_batches(input, batches_in));
        for _ in 0..workers {
            let batches = Arc::clone(&batches_out);
            let results = results_in.clone();
            let projection = &projection;
            scope.spawn(move || {
                while let Some(batch) = next_batch(&batches) {
                    let index = batch.index;
                    if results
                        .send((index, Ok(map_batch(compiled, env, projection, batch))))
                        .is_err()
                    {
                        break;
                    }
                }
            });
        }
        drop(results_in);
        let written = collect(results_out, output, report);
        // Dropping the receiver ends the reader and the workers if writing stopped early.
        let read = reader
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the reader stopped")));
        let counts = written?;
        read.map(|()| counts)
    })
}

fn next_batch(batches: &Mutex<Receiver<Batch>>) -> Option<Batch> {
    batches.lock().ok()?.recv().ok()
}

fn read_batches(
    mut input: impl BufRead,
    batches: std::sync::mpsc::SyncSender<Batch>,
) -> io::Result<()> {
    let mut index = 0;
    let mut line_number = 0u64;
    loop {
        let first_line = line_number + 1;
        let mut data = Vec::with_capacity(BATCH_LINES * 1024);
        let mut ends = Vec::with_capacity(BATCH_LINES);
        while ends.len() < BATCH_LINES {
            if input.read_until(b'\n', &mut data)? == 0 {
                break;
            }
            line_number += 1;
            ends.push(data.len());
        }
        if ends.is_empty() {
            return Ok(());
        }
        let last = ends.len() < BATCH_LINES;
        if batches
            .send(Batch {
                index,
                first_line,
                data,
                ends,
            })
            .is_err()
        {
            return Ok(());
        }
        index += 1;
        if last {
            return Ok(());
        }
    }
}

fn map_batch(
    compiled: &CompiledPipeline,
    env: &RunEnv,
    projection: &Projection,
    batch: Batch,
) -> Mapped {
    let mut mapped = Mapped {
        output: Vec::with_capacity(batch.ends.len() * 256),
        reports: Vec::new(),
        counts: StreamCounts::default(),
    };
    for (offset, line) in batch.lines().enumerate() {
        let number = batch.first_line + offset as u64;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let record = match super::parse_record_projected(line, projection) {
            Ok(record) => record,
            Err(error) => {
                mapped.counts.failed += 1;
                mapped.reports.push(LineReport::InvalidJson {
                    line: number,
                    message: error.to_string(),
                });
                continue;
            }
        };
        match compiled.run(&record, env) {
            Outcome::Mapped(crate::value::Value::List(items)) if compiled.maps_each(0) => {
                mapped.counts.mapped += 1;
                for item in items.iter() {
                    super::write_record(item, &mut mapped.output);
                    mapped.output.push(b'\n');
                }
            }
            Outcome::Mapped(value) => {
                mapped.counts.mapped += 1;
                super::write_record(&value, &mut mapped.output);
                mapped.output.push(b'\n');
            }
            Outcome::Filtered => mapped.counts.filtered += 1,
            Outcome::Skipped(_) => mapped.counts.skipped += 1,
            Outcome::Failed(error) => {
                mapped.counts.failed += 1;
                mapped.reports.push(LineReport::Failed {
                    line: number,
                    error,
                });
            }
            Outcome::NeedsFetch(request) => {
                mapped.counts.failed += 1;
                mapped.reports.push(LineReport::Failed {
                    line: number,
                    error: RecordError::new(
                        crate::diagnostics::Code::FetchNotAvailable,
                        crate::diagnostics::Span::default(),
                        format!("needs {request} from the API, and `ferry map` does not call APIs"),
                    ),
                });
            }
        }
    }
    mapped
}

/// Writes results in batch order as they arrive.
fn collect(
    results: Receiver<(u64, io::Result<Mapped>)>,
    output: &mut impl Write,
    report: &mut dyn FnMut(LineReport),
) -> io::Result<StreamCounts> {
    let mut counts = StreamCounts::default();
    let mut waiting = BTreeMap::new();
    let mut next = 0u64;
    for (index, result) in results {
        waiting.insert(index, result);
        while let Some(result) = waiting.remove(&next) {
            let mapped = result?;
            output.write_all(&mapped.output)?;
            mapped.reports.into_iter().for_each(&mut *report);
            counts.mapped += mapped.counts.mapped;
            counts.filtered += mapped.counts.filtered;
            counts.skipped += mapped.counts.skipped;
            counts.failed += mapped.counts.failed;
            next += 1;
        }
    }
    output.flush()?;
    Ok(counts)
}
