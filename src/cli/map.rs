use std::io::{BufReader, BufWriter, Read};
use std::path::PathBuf;

use crate::lang::stream::{LineReport, map_lines};
use crate::lang::{MapCrossReferences, RunEnv};
use crate::program::{CompileError, Program};

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
        Err(CompileError::Diagnostic(diagnostic)) => {
            print_human(std::slice::from_ref(&*diagnostic), &program.sources);
            return exit::USAGE;
        }
        Err(error) => {
            eprintln!("error: {error}");
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
    let input: Box<dyn Read + Send> = if args.input == "-" {
        Box::new(std::io::stdin())
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
        related: &crate::value::NoRelated,
    };
    let reader = BufReader::with_capacity(1 << 20, input);
    let mut out = BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
    let mut report = |line: LineReport| match line {
        LineReport::InvalidJson { line, message } => {
            eprintln!("line {line}: E0706 input record is not valid JSON: {message}");
        }
        LineReport::Failed { line, error } => {
            let (l, c) = program.sources.line_col(error.span.file, error.span.start);
            let file = program
                .sources
                .get(error.span.file)
                .map(|f| f.path.display().to_string())
                .unwrap_or_default();
            eprintln!(
                "line {line}: {} {} (at {file}:{l}:{c})",
                error.code, error.message
            );
        }
    };
    let counts = match map_lines(&compiled, &env, reader, &mut out, &mut report) {
        Ok(counts) => counts,
        // Stdout closed (a pipe into `head`): stop quietly.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return exit::OK,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::USAGE;
        }
    };
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
