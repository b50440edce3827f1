//! `ferry run`: carry pipelines against the environment's APIs.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use jiff::Timestamp;

use super::exit;
use super::logging::{self, LogFormat};
use super::output::{outln, print_human};
use crate::alerts::stall::{Pass, StallWatch, Stalls};
use crate::alerts::{self, Alerts};
use crate::connectors::SourcePage;
use crate::connectors::client::PassProgress;
use crate::runtime::{
    Job, PipelineReport, PlannedWrite, Progress, RunOptions, Runner, SetupError, Workspace,
};
use crate::store::Operation;

/// Which pipelines a command takes, and against which environment.
#[derive(clap::Args)]
pub(super) struct PipelineArgs {
    /// Pipeline files, folders of them, or pipeline names (looked up in `pipelines/`).
    #[arg(required = true)]
    pub pipelines: Vec<String>,
    /// The ferry.yaml environment (default: the file's `default_environment`).
    #[arg(long)]
    pub env: Option<String>,
    /// The project file (default: the nearest ferry.yaml from here up).
    #[arg(long)]
    pub project: Option<PathBuf>,
}

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    selection: PipelineArgs,
    /// Run until the sources are drained, then stop (the default).
    #[arg(long, conflicts_with = "watch")]
    once: bool,
    /// Keep polling at each pipeline's `poll every` interval until Ctrl-C.
    #[arg(long)]
    watch: bool,
    /// Read the sources from the start, ignoring stored cursors.
    #[arg(long, conflicts_with = "since")]
    backfill: bool,
    /// Start at this time when a source has no cursor yet (RFC 3339).
    #[arg(long)]
    since: Option<Timestamp>,
    /// Show the writes as a diff against the targets' current state; write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Read file sources (`file.csv`, `file.jsonl`) from this file.
    #[arg(long)]
    input: Option<PathBuf>,
    /// Records per page.
    #[arg(long, default_value_t = 100)]
    page_size: usize,
    /// Records delivered at once.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// When another run of a pipeline holds it on this store, wait for that run to end
    /// instead of refusing.
    #[arg(long)]
    wait: bool,
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
}

pub fn run(args: Args) -> u8 {
    logging::init(args.log_format);
    on_one_thread(run_async(args))
}

/// Runs a command's future on one thread: a run waits on the network and the store, and its
/// records' requests and their connections' tasks then wake each other without crossing
/// threads (about a quarter less CPU per request than the multi-thread scheduler, measured by
/// bench/sync.sh).
pub(super) fn on_one_thread(command: impl std::future::Future<Output = u8>) -> u8 {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build();
    match runtime {
        Ok(runtime) => runtime.block_on(command),
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            exit::USAGE
        }
    }
}

async fn run_async(args: Args) -> u8 {
    let (runner, jobs, alerts) = match setup(&args).await {
        Ok(ready) => ready,
        Err(error) => return report_setup_error(error),
    };
    let started = Timestamp::now();
    let mut digested = alerts::watch::Digested::since(started);
    let options = RunOptions {
        backfill: args.backfill,
        since: args.since,
        dry_run: args.dry_run,
        page_size: args.page_size.max(1),
        concurrency: args.concurrency.max(1),
        wait_for_lock: args.wait,
        history: false,
    };
    let mut code = exit::OK;
    let mut first = true;
    let stalls = stall_watch(&alerts, &runner, &jobs, &args, started);
    loop {
        let pass_options = RunOptions {
            backfill: options.backfill && first,
            ..options.clone()
        };
        for job in &jobs {
            let show_bar = args.backfill && first;
            let pass = match &stalls {
                Some(stalls) => {
                    let pass = run_job(&runner, job, &pass_options, show_bar, Some(stalls));
                    stalls.pass(&job.name, pass).await
                }
                None => run_job(&runner, job, &pass_options, show_bar, None).await,
            };
            if let Some(error) = &pass.error {
                code = exit::FAILED;
                alerts.run_failed(&job.name, error);
            }
            if let Some(stalls) = &stalls {
                let cursor_at = runner.cursor_time(job).await.unwrap_or_else(|error| {
                    tracing::warn!("cannot read the cursor of {}: {error}", job.name);
                    None
                });
                stalls.passed(&job.name, pass, cursor_at);
            }
        }
        first = false;
        digest_dead_letters(&alerts, &runner, &jobs, &mut digested, args.dry_run).await;
        if !args.watch {
            break;
        }
        if !pause(watch_interval(&jobs), stalls.as_ref()).await {
            eprintln!("stopping: every finished page is stored; the next run resumes from it");
            break;
        }
    }
    for (connection, stats) in runner.http_stats() {
        outln!(
            "{connection}: {} requests, {} retries, {} rate-limited (429)",
            stats.attempts,
            stats.retries,
            stats.rate_limited
        );
    }
    // A command that ends must not end before its alerts are out.
    alerts.flush(Duration::from_secs(60)).await;
    runner.close_connections().await;
    runner.store().close().await;
    code
}

/// The stall watch of `ferry run --watch` when the `stalled` trigger is on (a dry run stores no
/// cursor, and has none).
fn stall_watch(
    alerts: &Alerts,
    runner: &Runner,
    jobs: &[Job],
    args: &Args,
    start: Timestamp,
) -> Option<StallWatch> {
    let after = alerts.triggers().and_then(|t| t.stalled)?;
    let names: Vec<String> = jobs.iter().map(|job| job.name.clone()).collect();
    (args.watch && !args.dry_run).then(|| {
        let stalls = Stalls::new(after, &names, start);
        StallWatch::new(stalls, alerts.clone(), runner.store().clone())
    })
}

/// Waits `interval` for the next pass, raising the stalls that fall due meanwhile; `false` when
/// the watch is asked to stop.
async fn pause(interval: Duration, stalls: Option<&StallWatch>) -> bool {
    let wait = async {
        tokio::select! {
            _ = tokio::time::sleep(interval) => true,
            _ = super::signals::stop_requested() => false,
        }
    };
    match stalls {
        Some(stalls) => stalls.beside(wait).await,
        None => wait.await,
    }
}

/// Raises a digest of the dead letters the pass made, per pipeline (see `alerts:`).
async fn digest_dead_letters(
    alerts: &Alerts,
    runner: &Runner,
    jobs: &[Job],
    digested: &mut alerts::watch::Digested,
    dry_run: bool,
) {
    let Some(window) = alerts.triggers().and_then(|t| t.dead_letters) else {
        return;
    };
    if dry_run {
        return;
    }
    let names: Vec<String> = jobs.iter().map(|job| job.name.clone()).collect();
    if let Err(error) =
        alerts::watch::dead_letters(alerts, runner.store(), digested, window, Some(&names)).await
    {
        tracing::warn!("cannot read the dead letters for alerts: {error}");
    }
}

async fn setup(args: &Args) -> Result<(Runner, Vec<Job>, Alerts), SetupError> {
    let (runner, jobs, workspace) = open_runner(&args.selection, args.input.as_deref(), |line| {
        outln!("{line}")
    })
    .await?;
    let alerts = Alerts::start(
        workspace.alerts.clone(),
        Some(runner.store().clone()),
        workspace.secrets(),
        workspace.project_name(),
    );
    Ok((runner, jobs, alerts))
}

/// Opens the project's environment and store and selects `pipelines`; `skipped` is told of
/// each pipeline of a folder that ferry.yaml turns off.
pub(super) async fn open_runner(
    pipelines: &PipelineArgs,
    input: Option<&std::path::Path>,
    skipped: impl Fn(&str),
) -> Result<(Runner, Vec<Job>, Workspace), SetupError> {
    let workspace = Workspace::open(pipelines.project.as_deref(), pipelines.env.as_deref())?;
    let selection = workspace.select(&pipelines.pipelines)?;
    for name in &selection.skipped {
        skipped(&format!("{name}: skipped, ferry.yaml turns it off"));
    }
    for name in &selection.run_though_disabled {
        eprintln!("warning: ferry.yaml turns {name} off; running it because it was named");
    }
    let jobs = selection.jobs;
    let store = workspace.store().await?;
    let connectors = workspace.connectors(&jobs, input, &store)?;
    Ok((
        Runner::new(store, connectors, workspace.secrets()),
        jobs,
        workspace,
    ))
}

/// Runs one pipeline and prints what it did; what the pass saw of its source, with the error
/// when it stopped early. Each page read and batch stored is progress to `stalls`.
async fn run_job(
    runner: &Runner,
    job: &Job,
    options: &RunOptions,
    show_bar: bool,
    stalls: Option<&StallWatch>,
) -> Pass {
    let visible = show_bar && std::io::stderr().is_terminal();
    let bar = ProgressReporter::new(visible, &job.name, stalls.cloned());
    let result = runner.run(job, options, &bar).await;
    bar.finish();
    let error = match result {
        Ok((report, planned)) => {
            for write in &planned {
                print_planned(write);
            }
            print_report(&report, options.dry_run);
            None
        }
        Err(error) => {
            tracing::error!("{error}");
            eprintln!("error: {error}");
            eprintln!("  the cursor stays at the last stored page; run again to resume");
            Some(error.to_string())
        }
    };
    Pass {
        polled: bar.polled.load(Ordering::Relaxed),
        more: bar.more.load(Ordering::Relaxed),
        error,
    }
}

fn watch_interval(jobs: &[Job]) -> Duration {
    jobs.iter()
        .filter_map(|job| job.poll_every)
        .min()
        .unwrap_or(Duration::from_secs(60))
        .max(Duration::from_secs(1))
}

fn print_report(report: &PipelineReport, dry_run: bool) {
    let deleted = if report.deleted_at_source > 0 {
        format!(
            ", {} deleted at the source (left in the target)",
            report.deleted_at_source
        )
    } else {
        String::new()
    };
    if dry_run {
        outln!(
            "{} (dry run): {} read, would create {} and update {}, {} unchanged, {} filtered, {} skipped, {} would be dead-lettered{deleted}",
            report.pipeline,
            report.read,
            report.created,
            report.updated,
            report.unchanged,
            report.filtered,
            report.skipped,
            report.dead_lettered,
        );
        return;
    }
    outln!(
        "{}: {} read, {} created, {} updated, {} unchanged, {} filtered, {} skipped, {} dead-lettered{deleted}",
        report.pipeline,
        report.read,
        report.created,
        report.updated,
        report.unchanged,
        report.filtered,
        report.skipped,
        report.dead_lettered,
    );
    if report.dead_lettered > 0 {
        outln!("  see them with `ferry dlq list`; fix the pipeline, then `ferry dlq replay --all`");
    }
}

fn print_planned(write: &PlannedWrite) {
    match write.operation {
        Operation::Create => {
            outln!("create {} (from {})", write.target, write.link);
            for path in &write.paths {
                outln!("  + {path} = {}", value_at(&write.fields, path));
            }
        }
        Operation::Update => {
            let id = write.current.as_ref().map(|c| c.id.as_str()).unwrap_or("?");
            outln!("update {} {id} (from {})", write.target, write.link);
            for path in &write.paths {
                let old = write
                    .current
                    .as_ref()
                    .map(|c| value_at(&c.data, path))
                    .unwrap_or_else(|| "null".into());
                outln!("  ~ {path}: {old} -> {}", value_at(&write.fields, path));
            }
        }
        Operation::Noop | Operation::Delete => {}
    }
}

fn value_at(value: &serde_json::Value, path: &str) -> String {
    path.split('.')
        .try_fold(value, |v, name| v.get(name))
        .map(|v| v.to_string())
        .unwrap_or_else(|| "null".into())
}

pub(super) fn report_setup_error(error: SetupError) -> u8 {
    match error {
        SetupError::Project {
            diagnostics,
            sources,
        }
        | SetupError::Pipeline {
            diagnostics,
            sources,
            ..
        } => {
            print_human(&diagnostics, &sources);
            exit::USAGE
        }
        other => {
            eprintln!("error: {other}");
            exit::USAGE
        }
    }
}

/// A spinner with running counts while a backfill runs in a terminal; what the pass read,
/// told to the stall watch as it goes.
struct ProgressReporter {
    bar: Option<ProgressBar>,
    pipeline: String,
    stalls: Option<StallWatch>,
    /// A page of the source was read.
    polled: AtomicBool,
    /// A page read had records or said there were more.
    more: AtomicBool,
}

impl ProgressReporter {
    fn new(visible: bool, pipeline: &str, stalls: Option<StallWatch>) -> Self {
        let bar = visible.then(|| {
            let bar = ProgressBar::new_spinner();
            bar.set_style(
                ProgressStyle::with_template("{spinner} {prefix}: {msg} [{elapsed}]")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.set_prefix(pipeline.to_string());
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        ProgressReporter {
            bar,
            pipeline: pipeline.to_string(),
            stalls,
            polled: AtomicBool::new(false),
            more: AtomicBool::new(false),
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    fn progressed(&self) {
        if let Some(stalls) = &self.stalls {
            stalls.progressed(&self.pipeline);
        }
    }
}

impl Progress for ProgressReporter {
    fn batch(&self, report: &PipelineReport) {
        self.progressed();
        if let Some(bar) = &self.bar {
            bar.set_message(format!(
                "{} read, {} written, {} unchanged, {} dead-lettered",
                report.read,
                report.written(),
                report.unchanged,
                report.dead_lettered
            ));
        }
        tracing::debug!(pipeline = %report.pipeline, read = report.read, written = report.written(), unchanged = report.unchanged, "batch stored");
    }

    fn polled(&self, page: &SourcePage) {
        self.progressed();
        self.polled.store(true, Ordering::Relaxed);
        if page.more || !page.records.is_empty() || !page.rejected.is_empty() {
            self.more.store(true, Ordering::Relaxed);
        }
    }

    /// A source that tells the size of its pass (Pronto) gets a bar with an ETA instead of the
    /// spinner: at 30 calls a minute a year's backfill takes a while, and the user should know
    /// how long.
    fn position(&self, progress: PassProgress) {
        let Some(bar) = &self.bar else {
            return;
        };
        if bar.length() != Some(progress.total) {
            bar.set_style(
                ProgressStyle::with_template(
                    "{prefix}: [{bar:30}] {pos}/{len} records, ETA {eta} ({msg}) [{elapsed}]",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar.set_length(progress.total);
        }
        bar.set_position(progress.read);
    }
}
