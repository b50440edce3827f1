use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::PathBuf;

use crate::lang::{MapCrossReferences, Outcome, RunEnv};
use crate::program::Program;

use super::exit;
use super::output::print_human;

#[derive(clap::Args)]
pub struct Args {
    /// The pipeline file.
    file: PathBuf,
    /// Which pipeline of the file (optional when it has only one).
    #[arg(long)]
    pipeline: Option<String>,
    /// JSON lines to map; `-` reads standard input.
    #[arg(long, default_value = "-")]
    input: String,
    /// Cross references to use instead of a store, as JSON:
    /// `{"business_central.customers": {"cus_123": "C00010"}}`.
    #[arg(long)]
    xrefs: Option<PathBuf>,
    /// The clock, as RFC 3339 (default: now).
    #[arg(long)]
    now: Option<String>,
}

#[derive(Default)]
struct Counts {
    mapped: u64,
    filtered: u64,
    skipped: u64,
    failed: u64,
}

pub fn run(args: Args) -> u8 {
    let program = Program::load(&args.file);
    if program.has_errors() {
        print_human(&program.diagnostics, &program.sources);
        return exit::FAILED;
    }
    let names = program.pipeline_names();
    let name = match (&args.pipeline, names.as_slice()) {
        (Some(name), _) => name.clone(),
        (None, [only]) => only.clone(),
        (None, _) => {
            eprintln!(
                "error: {} has {} pipelines; choose one with --pipeline ({})",
                args.file.display(),
                names.len(),
                names.join(", ")
            );
            return exit::USAGE;
        }
    };
    let compiled = match program.compile(&name) {
        Ok(compiled) => compiled,
        Err(message) => {
            eprintln!("error: {message}");
            return exit::USAGE;
        }
    };
    let now = match &args.now {
        Some(text) => match text.parse::<jiff::Timestamp>() {
            Ok(now) => now,
            Err(e) => {
                eprintln!("error: --now `{text}` is not an RFC 3339 timestamp: {e}");
                return exit::USAGE;
            }
        },
        None => jiff::Timestamp::now(),
    };
    let input: Box<dyn Read> = if args.input == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        match std::fs::File::open(&args.input) {
            Ok(file) => Box::new(file),
            Err(e) => {
                eprintln!("error: cannot read {}: {e}", args.input);
                return exit::USAGE;
            }
        }
    };
    let cross_references = match &args.xrefs {
        None => MapCrossReferences::default(),
        Some(path) => match read_cross_references(path) {
            Ok(map) => map,
            Err(message) => {
                eprintln!("error: --xrefs {}: {message}", path.display());
                return exit::USAGE;
            }
        },
    };
    let env = RunEnv {
        now,
        cross_references: &cross_references,
    };
    // Only the paths the pipeline reads are parsed; the rest of each line is skipped.
    let projection = compiled.projection();
    let mut reader = BufReader::with_capacity(1 << 20, input);
    let mut out = BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
    let mut line = Vec::new();
    let mut buffer = Vec::with_capacity(4096);
    let mut counts = Counts::default();
    let mut number = 0u64;
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                eprintln!("error: reading input after line {number}: {e}");
                return exit::USAGE;
            }
        }
        number += 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let record = match crate::lang::parse_record_projected(&line, &projection) {
            Ok(record) => record,
            Err(e) => {
                counts.failed += 1;
                eprintln!("line {number}: E0706 input record is not valid JSON: {e}");
                continue;
            }
        };
        match compiled.run(&record, &env) {
            Outcome::Mapped(value) => {
                counts.mapped += 1;
                buffer.clear();
                crate::lang::write_record(&value, &mut buffer);
                buffer.push(b'\n');
                if out.write_all(&buffer).is_err() {
                    // Stdout closed (a pipe into `head`): stop quietly.
                    return exit::OK;
                }
            }
            Outcome::Filtered => counts.filtered += 1,
            Outcome::Skipped(_) => counts.skipped += 1,
            Outcome::Failed(error) => {
                counts.failed += 1;
                let (l, c) = program.sources.line_col(error.span.file, error.span.start);
                let file = program
                    .sources
                    .get(error.span.file)
                    .map(|f| f.path.display().to_string())
                    .unwrap_or_default();
                eprintln!(
                    "line {number}: {} {} (at {file}:{l}:{c})",
                    error.code, error.message
                );
            }
        }
    }
    if out.flush().is_err() {
        return exit::OK;
    }
    eprintln!(
        "{} mapped, {} filtered, {} skipped, {} failed",
        counts.mapped, counts.filtered, counts.skipped, counts.failed
    );
    if counts.failed > 0 {
        exit::FAILED
    } else {
        exit::OK
    }
}

fn read_cross_references(path: &std::path::Path) -> Result<MapCrossReferences, String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    let value = crate::lang::json::parse_value(&bytes).map_err(|e| e.to_string())?;
    MapCrossReferences::from_value(&value)
}
