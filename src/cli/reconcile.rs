//! `ferry reconcile`: each source record of record-sync pipelines against its target, and the
//! targets against the cross references; a report, and nothing written.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Value, json};

use super::exit;
use super::logging::{self, LogFormat};
use super::output::out;
use super::run::{PipelineArgs, on_one_thread, open_runner, report_setup_error};
use crate::alerts::{Alert, Alerts, Trigger};
use crate::runtime::{
    Mismatch, PipelineReport, Progress, ReconcileError, ReconcileProgress, ReconcileSummary,
    Reconciled,
};

/// What this version leaves out, said in every report.
const NOTE: &str = "record-sync pipelines only; money-flow amount checks (payouts, charges, refunds) are not part of this version";

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Table,
    Csv,
    Json,
}

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    selection: PipelineArgs,
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    format: ReportFormat,
    /// Write the report to this file instead of standard output.
    #[arg(long)]
    out: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
}

/// Every pipeline's outcome, in the order given.
#[derive(Default)]
struct Report {
    reconciled: Vec<Reconciled>,
    /// Pipelines left out: (pipeline, why).
    skipped: Vec<(String, String)>,
    /// Pipelines that could not be reconciled: (pipeline, error).
    errors: Vec<(String, String)>,
}

pub fn run(args: Args) -> u8 {
    logging::init(args.log_format);
    on_one_thread(reconcile(args))
}

async fn reconcile(args: Args) -> u8 {
    let opened = open_runner(&args.selection, None, |line| eprintln!("{line}")).await;
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
    let mut report = Report::default();
    for job in &jobs {
        let lines = Lines(job.name.clone());
        eprintln!(
            "{}: reading {} and comparing each record with {}",
            job.name,
            job.source.collection(),
            job.first()
                .map(|step| step.sink.collection())
                .unwrap_or_default()
        );
        match runner.reconcile(job, &lines).await {
            Ok(reconciled) => {
                eprintln!(
                    "{}: {} read, {} mismatches",
                    job.name,
                    reconciled.summary.read,
                    reconciled.summary.mismatches()
                );
                report.reconciled.push(reconciled);
            }
            Err(ReconcileError::NotRecordSync { pipeline, reason }) => {
                eprintln!("{pipeline}: skipped, not a record sync ({reason})");
                report.skipped.push((pipeline, reason));
            }
            Err(error) => {
                eprintln!("error: {error}");
                report.errors.push((job.name.clone(), error.to_string()));
            }
        }
    }
    raise_mismatches(&alerts, &report);
    alerts.flush(Duration::from_secs(60)).await;
    runner.store().close().await;
    let text = match args.format {
        ReportFormat::Json => format!("{:#}\n", as_json(&report)),
        ReportFormat::Csv => as_csv(&report),
        ReportFormat::Table => as_table(&report),
    };
    match &args.out {
        Some(path) => {
            if let Err(error) = std::fs::write(path, text) {
                eprintln!("error: cannot write {}: {error}", path.display());
                return exit::USAGE;
            }
        }
        None => out!("{text}"),
    }
    if !report.errors.is_empty() || report.reconciled.is_empty() {
        if report.errors.is_empty() {
            eprintln!("error: no record-sync pipeline to reconcile");
        }
        exit::USAGE
    } else if report.reconciled.iter().any(|r| !r.rows.is_empty()) {
        exit::FAILED
    } else {
        exit::OK
    }
}

/// Tells the alerts' channels of the mismatches, one alert per pipeline (trigger
/// `reconcile`); a pipeline that could not be reconciled is told as a failure.
fn raise_mismatches(alerts: &Alerts, report: &Report) {
    if !alerts.triggers().is_some_and(|t| t.reconcile) {
        return;
    }
    for reconciled in &report.reconciled {
        let summary = &reconciled.summary;
        let count = summary.mismatches();
        if count == 0 {
            continue;
        }
        let pipeline = &summary.pipeline;
        alerts.raise(Alert {
            trigger: Trigger::Reconcile,
            key: format!("reconcile/{pipeline}"),
            subject: format!("{count} mismatches between {} and {}", summary.source, summary.target),
            body: format!(
                "Reconciling pipeline `{pipeline}` read {} records of {}: {} in sync, {} missing in {}, {} with a broken cross reference, {} drifted fields, {} orphans. `ferry reconcile {pipeline}` lists each one.",
                summary.read,
                summary.source,
                summary.in_sync,
                summary.missing,
                summary.target,
                summary.broken_cross_reference,
                summary.field_drift,
                summary.orphans.map_or("unlisted".to_string(), |n| n.to_string()),
            ),
            quiet: Duration::ZERO,
        });
    }
    for (pipeline, error) in &report.errors {
        alerts.run_failed(pipeline, &format!("reconciling it failed: {error}"));
    }
}

/// Progress lines on standard error.
struct Lines(String);

impl Progress for Lines {
    fn batch(&self, report: &PipelineReport) {
        eprintln!("{}: {} read", self.0, report.read);
    }
}

impl ReconcileProgress for Lines {
    fn listing(&self, target: &str) {
        eprintln!("{}: listing {target} for orphans", self.0);
    }
}

fn rows(report: &Report) -> impl Iterator<Item = &Mismatch> {
    report.reconciled.iter().flat_map(|r| r.rows.iter())
}

fn summaries(report: &Report) -> impl Iterator<Item = &ReconcileSummary> {
    report.reconciled.iter().map(|r| &r.summary)
}

fn as_json(report: &Report) -> Value {
    let named = |list: &[(String, String)], key: &str| -> Vec<Value> {
        list.iter()
            .map(|(pipeline, text)| json!({ "pipeline": pipeline, key: text }))
            .collect()
    };
    let total = |count: fn(&ReconcileSummary) -> u64| summaries(report).map(count).sum::<u64>();
    json!({
        "summary": {
            "pipelines": summaries(report).collect::<Vec<_>>(),
            "totals": {
                "read": total(|s| s.read),
                "in_sync": total(|s| s.in_sync),
                "missing": total(|s| s.missing),
                "broken_cross_reference": total(|s| s.broken_cross_reference),
                "field_drift": total(|s| s.field_drift),
                "orphans": total(|s| s.orphans.unwrap_or(0)),
                "would_fail": total(|s| s.would_fail),
                "not_compared": total(|s| s.not_compared),
                "mismatches": total(ReconcileSummary::mismatches),
            },
            "skipped": named(&report.skipped, "reason"),
            "errors": named(&report.errors, "error"),
            "note": NOTE,
        },
        "rows": rows(report).collect::<Vec<_>>(),
    })
}

/// A value as a cell: text as it is, anything else as JSON.
fn cell(value: Option<&Value>) -> String {
    match value {
        None => String::new(),
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
    }
}

fn row_cells(row: &Mismatch) -> Vec<String> {
    vec![
        row.pipeline.clone(),
        row.class.as_str().to_string(),
        row.source_id.clone().unwrap_or_default(),
        row.target_id.clone().unwrap_or_default(),
        row.field.clone().unwrap_or_default(),
        cell(row.target_value.as_ref()),
        cell(row.pipeline_value.as_ref()),
        row.detail.clone().unwrap_or_default(),
    ]
}

const ROW_HEADER: [&str; 8] = [
    "pipeline",
    "class",
    "source_id",
    "target_id",
    "field",
    "target_value",
    "pipeline_value",
    "detail",
];

fn as_csv(report: &Report) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    // Writing to memory cannot fail but for a bug; a failed row would show as a short file.
    let _ = writer.write_record(ROW_HEADER);
    for row in rows(report) {
        let _ = writer.write_record(row_cells(row));
    }
    let bytes = writer.into_inner().unwrap_or_default();
    String::from_utf8_lossy(&bytes).into_owned()
}

fn as_table(report: &Report) -> String {
    let mut counts = vec![
        [
            "pipeline",
            "read",
            "in sync",
            "missing",
            "broken xref",
            "drift",
            "orphans",
            "would fail",
            "not compared",
        ]
        .map(str::to_string)
        .to_vec(),
    ];
    for s in summaries(report) {
        counts.push(vec![
            s.pipeline.clone(),
            s.read.to_string(),
            s.in_sync.to_string(),
            s.missing.to_string(),
            s.broken_cross_reference.to_string(),
            s.field_drift.to_string(),
            s.orphans
                .map(|n| n.to_string())
                .unwrap_or_else(|| "not listed".into()),
            s.would_fail.to_string(),
            s.not_compared.to_string(),
        ]);
    }
    let mut text = aligned(&counts);
    for s in summaries(report) {
        if let Some(reason) = &s.orphans_not_listed {
            text.push_str(&format!(
                "{}: orphans not looked for: {} cannot be listed ({reason})\n",
                s.pipeline, s.target
            ));
        }
    }
    let mismatches: Vec<Vec<String>> = rows(report).map(row_cells).collect();
    if mismatches.is_empty() {
        text.push_str("\nno mismatches\n");
    } else {
        let mut table = vec![ROW_HEADER.map(str::to_string).to_vec()];
        table.extend(mismatches);
        text.push('\n');
        text.push_str(&aligned(&table));
    }
    for (pipeline, reason) in &report.skipped {
        text.push_str(&format!(
            "{pipeline}: skipped, not a record sync ({reason})\n"
        ));
    }
    for (pipeline, error) in &report.errors {
        text.push_str(&format!("{pipeline}: NOT reconciled: {error}\n"));
    }
    text.push_str(&format!("note: {NOTE}\n"));
    text
}

/// Columns padded to their widest cell.
fn aligned(table: &[Vec<String>]) -> String {
    let columns = table.first().map(Vec::len).unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            table
                .iter()
                .map(|row| row[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut text = String::new();
    for row in table {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        text.push_str(line.join("  ").trim_end());
        text.push('\n');
    }
    text
}
