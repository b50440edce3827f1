//! `ferry reconcile`: each source record of record-sync pipelines against its target, and the
//! targets against the cross references; a report kept in the store, and with `--fix` the
//! records that differ delivered again.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use jiff::Timestamp;

use super::exit;
use super::logging::{self, LogFormat};
use super::output::out;
use super::run::{PipelineArgs, on_one_thread, open_runner, report_setup_error};
use crate::alerts::Alerts;
use crate::runtime::{
    FixMode, Job, PipelineReport, Progress, ReconcileError, ReconcileOptions, ReconcileProgress,
    ReconcileReport, ReconcileSummary, Workspace,
};
use crate::store::{ReconcileRecord, Store};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Table,
    Csv,
    Json,
    Html,
}

#[derive(clap::Args)]
pub struct Args {
    /// Pipeline files, folders of them, or pipeline names (looked up in `pipelines/`).
    #[arg(required_unless_present_any = ["list", "show"])]
    pipelines: Vec<String>,
    /// The ferry.yaml environment (default: the file's `default_environment`).
    #[arg(long)]
    env: Option<String>,
    /// The project file (default: the nearest ferry.yaml from here up).
    #[arg(long)]
    project: Option<PathBuf>,
    /// Compare only the source records changed since this time (RFC 3339).
    #[arg(long, conflicts_with = "all")]
    since: Option<Timestamp>,
    /// Compare every source record (the default).
    #[arg(long)]
    all: bool,
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    format: ReportFormat,
    /// Write the report to this file instead of standard output.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Deliver the missing, drifted and broken records again, through the pipeline.
    #[arg(long)]
    fix: bool,
    /// With --fix: show what it would write, and write nothing.
    #[arg(long, requires = "fix")]
    dry_run: bool,
    /// List the reports kept in the store, newest first (`--format json`: one object a line).
    #[arg(long, conflicts_with_all = ["pipelines", "show", "fix", "since", "all"])]
    list: bool,
    /// Print the kept report ID (in --format).
    #[arg(long, value_name = "ID", conflicts_with_all = ["pipelines", "fix", "since", "all"])]
    show: Option<i64>,
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
}

pub fn run(args: Args) -> u8 {
    logging::init(args.log_format);
    if args.list || args.show.is_some() {
        return on_one_thread(kept_reports(args));
    }
    on_one_thread(reconcile(args))
}

async fn reconcile(args: Args) -> u8 {
    let selection = PipelineArgs {
        pipelines: args.pipelines.clone(),
        env: args.env.clone(),
        project: args.project.clone(),
    };
    let opened = open_runner(&selection, None, |line| eprintln!("{line}")).await;
    let (runner, jobs, workspace) = match opened {
        Ok(opened) => opened,
        Err(error) => return report_setup_error(error),
    };
    let alerts = Alerts::start(
        workspace.alerts.clone(),
        Some(runner.store().clone()),
        workspace.secrets(),
        workspace.project_name(),
    );
    let options = ReconcileOptions {
        since: args.since,
        fix: match (args.fix, args.dry_run) {
            (false, _) => FixMode::Report,
            (true, true) => FixMode::DryRun,
            (true, false) => FixMode::Apply,
        },
    };
    let progress = Bar::new(std::io::stderr().is_terminal());
    let jobs: Vec<&Job> = jobs.iter().collect();
    let report = runner.reconcile_all(&jobs, &options, &progress).await;
    progress.done();
    match runner.keep_report(&report, "command").await {
        Ok(id) => eprintln!("report {id} kept in the store (`ferry reconcile --show {id}`)"),
        Err(error) => eprintln!("warning: the report could not be kept in the store: {error}"),
    }
    report.raise_alerts(&alerts);
    alerts.flush(Duration::from_secs(60)).await;
    runner.close_connections().await;
    runner.store().close().await;
    if let Err(code) = write_report(&report, args.format, args.out.as_ref()) {
        return code;
    }
    if report.summary.pipelines.is_empty() && report.summary.errors.is_empty() {
        eprintln!("error: no record-sync pipeline to reconcile");
    }
    report.exit_code()
}

/// `--list` and `--show ID`.
async fn kept_reports(args: Args) -> u8 {
    let store = match open_store(&args).await {
        Ok(store) => store,
        Err(code) => return code,
    };
    let code = match args.show {
        Some(id) => match store.reconcile_report(id).await {
            Ok(Some(kept)) => match serde_json::from_str::<ReconcileReport>(&kept.report) {
                Ok(report) => match write_report(&report, args.format, args.out.as_ref()) {
                    Ok(()) => exit::OK,
                    Err(code) => code,
                },
                Err(error) => {
                    eprintln!("error: report {id} in the store cannot be read: {error}");
                    exit::USAGE
                }
            },
            Ok(None) => {
                eprintln!(
                    "error: no reconcile report {id} in the store (`ferry reconcile --list`)"
                );
                exit::USAGE
            }
            Err(error) => {
                eprintln!("error: {error}");
                exit::USAGE
            }
        },
        None => match store.reconcile_reports(100).await {
            Ok(kept) => {
                out!("{}", listing(&kept, args.format));
                exit::OK
            }
            Err(error) => {
                eprintln!("error: {error}");
                exit::USAGE
            }
        },
    };
    store.close().await;
    code
}

/// The kept reports: a table, or with `--format json` one JSON object per line.
fn listing(kept: &[ReconcileRecord], format: ReportFormat) -> String {
    let second = |at: Timestamp| at.round(jiff::Unit::Second).unwrap_or(at);
    if format == ReportFormat::Json {
        return kept
            .iter()
            .map(|report| {
                let line = serde_json::json!({
                    "id": report.id,
                    "started_at": second(report.started_at).to_string(),
                    "finished_at": second(report.finished_at).to_string(),
                    "origin": report.origin,
                    "pipelines": report.pipelines,
                    "mismatches": report.mismatches,
                    "errors": report.errors,
                });
                format!("{line}\n")
            })
            .collect();
    }
    if kept.is_empty() {
        return "no reconcile reports yet\n".to_string();
    }
    let mut text = String::from(
        "id  started               finished              origin  mismatches  errors  pipelines\n",
    );
    for report in kept {
        text.push_str(&format!(
            "{}  {}  {}  {}  {}  {}  {}\n",
            report.id,
            second(report.started_at),
            second(report.finished_at),
            report.origin,
            report.mismatches,
            report.errors,
            report.pipelines.join(", ")
        ));
    }
    text
}

async fn open_store(args: &Args) -> Result<Store, u8> {
    let workspace = Workspace::open(args.project.as_deref(), args.env.as_deref())
        .map_err(report_setup_error)?;
    workspace.store().await.map_err(report_setup_error)
}

/// The report in `format`, to `out` or standard output.
fn write_report(
    report: &ReconcileReport,
    format: ReportFormat,
    out: Option<&PathBuf>,
) -> Result<(), u8> {
    let text = match format {
        ReportFormat::Json => report.to_json(),
        ReportFormat::Csv => report.to_csv(),
        ReportFormat::Table => report.to_table(),
        ReportFormat::Html => report.to_html(),
    };
    match out {
        Some(path) => std::fs::write(path, text).map_err(|error| {
            eprintln!("error: cannot write {}: {error}", path.display());
            exit::USAGE
        }),
        None => {
            out!("{text}");
            Ok(())
        }
    }
}

/// Progress on standard error: on a terminal a bar per pipeline, its length the target's
/// size (about as many source records are read), with an ETA; otherwise a line per batch.
struct Bar {
    terminal: bool,
    current: Mutex<Option<(String, Option<ProgressBar>)>>,
}

impl Bar {
    fn new(terminal: bool) -> Bar {
        Bar {
            terminal,
            current: Mutex::new(None),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut Option<(String, Option<ProgressBar>)>) -> T) -> T {
        let mut current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut current)
    }

    fn done(&self) {
        self.with(|current| {
            if let Some((_, Some(bar))) = current.take() {
                bar.finish_and_clear();
            }
        });
    }
}

impl Progress for Bar {
    fn batch(&self, report: &PipelineReport) {
        self.with(|current| match current {
            Some((_, Some(bar))) => {
                if bar.length().is_some_and(|length| report.read > length) {
                    bar.set_length(report.read);
                }
                bar.set_position(report.read);
            }
            Some((name, None)) => eprintln!("{name}: {} read", report.read),
            None => {}
        });
    }
}

impl ReconcileProgress for Bar {
    fn started(&self, job: &Job, target: &str) {
        eprintln!(
            "{}: listing {target}, then reading {} and comparing each record",
            job.name,
            job.source.collection()
        );
        self.done();
        self.with(|current| *current = Some((job.name.clone(), None)));
    }

    fn listed(&self, count: Option<u64>) {
        self.with(|current| {
            let Some((name, bar)) = current else { return };
            if self.terminal {
                let (new, template) = match count {
                    Some(count) => (
                        ProgressBar::new(count),
                        "{prefix}: [{bar:30}] {pos}/{len} read, {per_sec}, ETA {eta}",
                    ),
                    None => (
                        ProgressBar::new_spinner(),
                        "{prefix}: {spinner} {pos} read, {per_sec}",
                    ),
                };
                new.set_style(
                    ProgressStyle::with_template(template)
                        .unwrap_or_else(|_| ProgressStyle::default_bar())
                        .progress_chars("=> "),
                );
                new.set_prefix(name.clone());
                new.enable_steady_tick(Duration::from_millis(200));
                *bar = Some(new);
            } else if let Some(count) = count {
                eprintln!("{name}: the target holds {count} records");
            }
        });
    }

    fn finished(&self, job: &Job, outcome: Result<&ReconcileSummary, &ReconcileError>) {
        self.done();
        match outcome {
            Ok(summary) => eprintln!(
                "{}: {} read, {} mismatches",
                job.name,
                summary.read,
                summary.mismatches()
            ),
            Err(ReconcileError::NotComparable { pipeline, reason }) => {
                eprintln!("{pipeline}: skipped, it cannot be reconciled ({reason})")
            }
            Err(error) => eprintln!("error: {error}"),
        }
    }
}
