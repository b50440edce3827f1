//! A reconcile's report: counts per pipeline and in total, one row per mismatch, and what
//! `--fix` did. It is kept in the store as JSON and rendered as a table, CSV, JSON or a page an
//! accountant can read.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use std::time::Duration;

use super::amounts::{CurrencyTotal, currency_totals};
use super::{Class, Mismatch, ReconcileSummary, Reconciled};
use crate::alerts::{Alert, Alerts, Trigger};
use crate::formats::html::escape;

/// What a reader must know of the figures, said in every report.
pub const NOTE: &str = "a pipeline fed by Stripe's events is compared over its objects' whole history, each object as the event it stands for (event types no object list tells apart: over the 30 days of events Stripe keeps); amounts posted to a ledger are compared with its entries, and a posted amount that differs is corrected in the ledger, never by --fix";

/// A whole reconcile of one or more pipelines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReconcileReport {
    pub summary: ReportSummary,
    pub rows: Vec<Mismatch>,
    /// What `--fix` wrote (or, with `--dry-run`, would write), one per record it took up.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fixes: Vec<Fix>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportSummary {
    /// RFC 3339, UTC.
    pub started_at: String,
    pub finished_at: String,
    /// Which source records were compared: `all`, or `changed since <time>`.
    pub scope: String,
    pub pipelines: Vec<ReconcileSummary>,
    pub totals: Totals,
    /// The amount mismatches' values added up per currency.
    #[serde(default)]
    pub currencies: Vec<CurrencyTotal>,
    pub skipped: Vec<Skipped>,
    pub errors: Vec<Failed>,
    pub note: String,
}

/// The counts of every pipeline added up.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub read: u64,
    pub in_sync: u64,
    pub missing: u64,
    pub broken_cross_reference: u64,
    pub field_drift: u64,
    #[serde(default)]
    pub amount_mismatch: u64,
    pub orphans: u64,
    pub would_fail: u64,
    pub not_compared: u64,
    pub mismatches: u64,
}

/// A pipeline left out, with why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    pub pipeline: String,
    pub reason: String,
}

/// A pipeline that could not be reconciled, with the error (which names the side).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failed {
    pub pipeline: String,
    pub error: String,
}

/// One record `--fix` took up: delivered through the pipeline's normal path, or planned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fix {
    pub pipeline: String,
    pub class: Class,
    pub source_id: String,
    /// `created`, `updated`, `unchanged`, `filtered`, `skipped`, `dead_lettered`; with
    /// `--dry-run`, `would_create` or `would_update`.
    pub outcome: String,
    pub target_id: Option<String>,
    /// With `--dry-run`: the fields the write would send. Otherwise the failure, if any.
    pub detail: Option<Value>,
}

impl ReconcileReport {
    pub fn new(
        started_at: String,
        finished_at: String,
        scope: String,
        reconciled: Vec<Reconciled>,
        skipped: Vec<Skipped>,
        errors: Vec<Failed>,
    ) -> ReconcileReport {
        let pipelines: Vec<ReconcileSummary> =
            reconciled.iter().map(|r| r.summary.clone()).collect();
        let total = |count: fn(&ReconcileSummary) -> u64| pipelines.iter().map(count).sum::<u64>();
        let totals = Totals {
            read: total(|s| s.read),
            in_sync: total(|s| s.in_sync),
            missing: total(|s| s.missing),
            broken_cross_reference: total(|s| s.broken_cross_reference),
            field_drift: total(|s| s.field_drift),
            amount_mismatch: total(|s| s.amount_mismatch),
            orphans: total(|s| s.orphans.unwrap_or(0)),
            would_fail: total(|s| s.would_fail),
            not_compared: total(|s| s.not_compared),
            mismatches: total(ReconcileSummary::mismatches),
        };
        let rows: Vec<Mismatch> = reconciled.into_iter().flat_map(|r| r.rows).collect();
        ReconcileReport {
            summary: ReportSummary {
                started_at,
                finished_at,
                scope,
                pipelines,
                totals,
                currencies: currency_totals(&rows),
                skipped,
                errors,
                note: NOTE.to_string(),
            },
            rows,
            fixes: Vec::new(),
        }
    }

    /// No pipeline reconciled at all, or one failed: the report cannot say the books agree.
    pub fn has_errors(&self) -> bool {
        !self.summary.errors.is_empty() || self.summary.pipelines.is_empty()
    }

    pub fn mismatches(&self) -> u64 {
        self.summary.totals.mismatches
    }

    /// `ferry reconcile`'s exit code: 2 on errors, 1 on mismatches not mended by `--fix`, 0
    /// when clean (or every mismatch was fixed).
    pub fn exit_code(&self) -> u8 {
        if self.has_errors() {
            2
        } else if self.rows.iter().all(|row| self.mended(row)) {
            0
        } else {
            1
        }
    }

    /// Whether `--fix` delivered the record of `row` (orphans and failures it never mends).
    fn mended(&self, row: &Mismatch) -> bool {
        self.fixes.iter().any(|fix| {
            fix.pipeline == row.pipeline
                && Some(&fix.source_id) == row.source_id.as_ref()
                && fix.class == row.class
                && matches!(fix.outcome.as_str(), "created" | "updated" | "relinked")
        })
    }

    /// Tells the alerts' channels of the mismatches, one alert per pipeline (trigger
    /// `reconcile`); a pipeline that could not be reconciled is told as a failure.
    pub fn raise_alerts(&self, alerts: &Alerts) {
        let report = self;
        if !alerts.triggers().is_some_and(|t| t.reconcile) {
            return;
        }
        for summary in &report.summary.pipelines {
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
                    "Reconciling pipeline `{pipeline}` read {} records of {}: {} in sync, {} missing in {}, {} with a broken cross reference, {} with drifted fields, {} with amounts that differ, {} orphans. `ferry reconcile {pipeline}` lists each one.",
                    summary.read,
                    summary.source,
                    summary.in_sync,
                    summary.missing,
                    summary.target,
                    summary.broken_cross_reference,
                    summary.field_drift,
                    summary.amount_mismatch,
                    summary.orphans.map_or("unlisted".to_string(), |n| n.to_string()),
                ),
                quiet: Duration::ZERO,
            });
        }
        for failed in &report.summary.errors {
            alerts.run_failed(
                &failed.pipeline,
                &format!("reconciling it failed: {}", failed.error),
            );
        }
    }

    pub fn to_json(&self) -> String {
        // A report is plain data: serialising it cannot fail.
        format!("{:#}\n", serde_json::to_value(self).unwrap_or(Value::Null))
    }

    pub fn to_csv(&self) -> String {
        let mut writer = csv::Writer::from_writer(Vec::new());
        // Writing to memory cannot fail but for a bug; a failed row would show as a short file.
        let _ = writer.write_record(ROW_HEADER);
        for row in &self.rows {
            let _ = writer.write_record(row_cells(row));
        }
        let bytes = writer.into_inner().unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    pub fn to_table(&self) -> String {
        let mut counts = vec![COUNT_HEADER.map(str::to_string).to_vec()];
        counts.extend(self.summary.pipelines.iter().map(count_cells));
        let mut text = format!(
            "reconcile of {}, {} to {}\n\n",
            self.summary.scope, self.summary.started_at, self.summary.finished_at
        );
        text.push_str(&aligned(&counts));
        if !self.summary.currencies.is_empty() {
            let mut table = vec![CURRENCY_HEADER.map(str::to_string).to_vec()];
            table.extend(self.summary.currencies.iter().map(currency_cells));
            text.push('\n');
            text.push_str(&aligned(&table));
        }
        for s in &self.summary.pipelines {
            text.push_str(&format!("{}: {}\n", s.pipeline, requests_line(s)));
            if let Some(reason) = &s.orphans_not_listed {
                text.push_str(&format!(
                    "{}: orphans not looked for: {reason}\n",
                    s.pipeline
                ));
            }
        }
        if self.rows.is_empty() {
            text.push_str("\nno mismatches\n");
        } else {
            let mut table = vec![ROW_HEADER.map(str::to_string).to_vec()];
            table.extend(self.rows.iter().map(row_cells));
            text.push('\n');
            text.push_str(&aligned(&table));
        }
        if !self.fixes.is_empty() {
            let mut table = vec![FIX_HEADER.map(str::to_string).to_vec()];
            table.extend(self.fixes.iter().map(fix_cells));
            text.push('\n');
            text.push_str(&aligned(&table));
        }
        for skipped in &self.summary.skipped {
            text.push_str(&format!(
                "{}: skipped, it cannot be reconciled ({})\n",
                skipped.pipeline, skipped.reason
            ));
        }
        for failed in &self.summary.errors {
            text.push_str(&format!(
                "{}: NOT reconciled: {}\n",
                failed.pipeline, failed.error
            ));
        }
        text.push_str(&format!("note: {}\n", self.summary.note));
        text
    }

    /// A page for people who keep the books: the verdict first, counts per pipeline, a chart
    /// of mismatches by class, then every mismatch with both sides' values. Self-contained:
    /// its style inline, no script, nothing fetched.
    pub fn to_html(&self) -> String {
        format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
             <title>Reconcile report {}</title><style>{REPORT_STYLE}</style></head>\
             <body><main>{}</main></body></html>\n",
            escape(&self.summary.started_at),
            self.html_body()
        )
    }

    /// The report's content, for a page of its own or inside the dashboard's.
    pub fn html_body(&self) -> String {
        let s = &self.summary;
        let verdict = match self.exit_code() {
            0 => "<p class=\"clean\">Every record compared is in sync.</p>".to_string(),
            1 => format!(
                "<p class=\"mismatch\">{} mismatches need a look.</p>",
                s.totals.mismatches
            ),
            _ => "<p class=\"failed\">The reconcile did not finish for every pipeline: the figures below are not the whole picture.</p>".to_string(),
        };
        let mut html = format!(
            "<h1>Reconcile report</h1><p>Records compared: {}. Started {}, finished {}.</p>{verdict}",
            escape(&s.scope),
            escape(&s.started_at),
            escape(&s.finished_at)
        );
        for failed in &s.errors {
            html.push_str(&format!(
                "<p class=\"failed\">{}: not reconciled: {}</p>",
                escape(&failed.pipeline),
                escape(&failed.error)
            ));
        }
        html.push_str("<h2>Per pipeline</h2>");
        html.push_str(&html_table(
            &COUNT_HEADER,
            self.summary.pipelines.iter().map(count_cells),
        ));
        if !s.currencies.is_empty() {
            html.push_str("<h2>Amounts that differ, per currency</h2>");
            html.push_str(&html_table(
                &CURRENCY_HEADER,
                s.currencies.iter().map(currency_cells),
            ));
        }
        html.push_str("<h2>Mismatches by class</h2>");
        html.push_str(&class_chart(&s.totals));
        if !self.rows.is_empty() {
            html.push_str("<h2>Each mismatch</h2>");
            html.push_str(&html_table(&ROW_HEADER, self.rows.iter().map(row_cells)));
        }
        if !self.fixes.is_empty() {
            html.push_str("<h2>Fixes</h2>");
            html.push_str(&html_table(&FIX_HEADER, self.fixes.iter().map(fix_cells)));
        }
        for skipped in &s.skipped {
            html.push_str(&format!(
                "<p class=\"note\">{}: skipped, it cannot be reconciled ({}).</p>",
                escape(&skipped.pipeline),
                escape(&skipped.reason)
            ));
        }
        html.push_str(&format!("<p class=\"note\">Note: {}.</p>", escape(&s.note)));
        html
    }
}

const REPORT_STYLE: &str = "
body{font:14px/1.45 system-ui,sans-serif;margin:1.2em;color:#1d2330}
table{border-collapse:collapse;width:100%;margin-bottom:1em}
th,td{border-bottom:1px solid #e3e6ea;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#eef0f3}.clean{color:#37703a;font-weight:600}.mismatch{color:#a3261b;font-weight:600}
.failed{background:#fde8e6;border:1px solid #f0b3ad;padding:.6em}.note{color:#5b6475}
.bars text{font-size:12px;fill:#1d2330}.bars rect{fill:#c0392b}
";

/// The mismatch classes in the chart, with their labels.
const CHART_CLASSES: [(Class, &str); 6] = [
    (Class::Missing, "missing in the target"),
    (Class::FieldDrift, "field drift (records)"),
    (Class::AmountMismatch, "amounts differ (records)"),
    (Class::BrokenCrossReference, "broken cross reference"),
    (Class::Orphan, "orphans"),
    (Class::WouldFail, "would fail"),
];

/// A horizontal bar per class, scaled to the largest, with its count.
fn class_chart(totals: &Totals) -> String {
    let count = |class: Class| match class {
        Class::Missing => totals.missing,
        Class::FieldDrift => totals.field_drift,
        Class::AmountMismatch => totals.amount_mismatch,
        Class::BrokenCrossReference => totals.broken_cross_reference,
        Class::Orphan => totals.orphans,
        Class::WouldFail => totals.would_fail,
        Class::InSync => totals.in_sync,
    };
    let most = CHART_CLASSES
        .iter()
        .map(|(class, _)| count(*class))
        .max()
        .unwrap_or(0)
        .max(1);
    let (label_width, bar_width, row) = (190u64, 360u64, 24u64);
    let height = row * CHART_CLASSES.len() as u64;
    let mut svg = format!(
        "<svg class=\"bars\" width=\"{w}\" height=\"{height}\" viewBox=\"0 0 {w} {height}\" role=\"img\" aria-label=\"Mismatches by class\">",
        w = label_width + bar_width + 60
    );
    for (n, (class, label)) in CHART_CLASSES.iter().enumerate() {
        let value = count(*class);
        let y = n as u64 * row;
        let width = value * bar_width / most;
        svg.push_str(&format!(
            "<text x=\"0\" y=\"{}\">{label}</text><rect x=\"{label_width}\" y=\"{}\" width=\"{width}\" height=\"{}\"><title>{label}: {value}</title></rect><text x=\"{}\" y=\"{}\">{value}</text>",
            y + 16,
            y + 4,
            row - 8,
            label_width + width + 6,
            y + 16,
        ));
    }
    svg.push_str("</svg>");
    svg
}

fn html_table(header: &[&str], rows: impl Iterator<Item = Vec<String>>) -> String {
    let mut html = String::from("<table><thead><tr>");
    for name in header {
        html.push_str(&format!("<th>{}</th>", escape(name)));
    }
    html.push_str("</tr></thead><tbody>");
    for row in rows {
        html.push_str("<tr>");
        for cell in row {
            html.push_str(&format!("<td>{}</td>", escape(&cell)));
        }
        html.push_str("</tr>");
    }
    html.push_str("</tbody></table>");
    html
}

/// `requests: stripe 2, capsule 1 (0.30 per record read)`.
fn requests_line(s: &ReconcileSummary) -> String {
    let total: u64 = s.requests.values().sum();
    let each: Vec<String> = s
        .requests
        .iter()
        .map(|(connection, sent)| format!("{connection} {sent}"))
        .collect();
    let per_record = if s.read == 0 {
        String::new()
    } else {
        // Two decimals of a ratio, in integers: no float in a report.
        let hundredths = (u128::from(total) * 100 + u128::from(s.read) / 2) / u128::from(s.read);
        format!(
            " ({}.{:02} per record read)",
            hundredths / 100,
            hundredths % 100
        )
    };
    format!(
        "requests: {}{per_record}",
        if each.is_empty() {
            "none".to_string()
        } else {
            each.join(", ")
        }
    )
}

/// A value as a cell: text as it is, anything else as JSON.
fn cell(value: Option<&Value>) -> String {
    match value {
        None => String::new(),
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
    }
}

const COUNT_HEADER: [&str; 10] = [
    "pipeline",
    "read",
    "in sync",
    "missing",
    "broken xref",
    "drift",
    "amounts",
    "orphans",
    "would fail",
    "not compared",
];

fn count_cells(s: &ReconcileSummary) -> Vec<String> {
    vec![
        s.pipeline.clone(),
        s.read.to_string(),
        s.in_sync.to_string(),
        s.missing.to_string(),
        s.broken_cross_reference.to_string(),
        s.field_drift.to_string(),
        s.amount_mismatch.to_string(),
        s.orphans
            .map(|n| n.to_string())
            .unwrap_or_else(|| "not listed".into()),
        s.would_fail.to_string(),
        s.not_compared.to_string(),
    ]
}

const ROW_HEADER: [&str; 9] = [
    "pipeline",
    "class",
    "source_id",
    "target_id",
    "field",
    "target_value",
    "pipeline_value",
    "detail",
    "currency",
];

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
        row.currency.clone().unwrap_or_default(),
    ]
}

const CURRENCY_HEADER: [&str; 5] = [
    "currency",
    "amount mismatches",
    "in the target",
    "by the pipeline",
    "target less pipeline",
];

fn currency_cells(total: &CurrencyTotal) -> Vec<String> {
    vec![
        total.currency.clone(),
        total.mismatches.to_string(),
        total.target.to_string(),
        total.pipeline.to_string(),
        total.difference().to_string(),
    ]
}

const FIX_HEADER: [&str; 6] = [
    "pipeline",
    "class",
    "source_id",
    "fix",
    "target_id",
    "detail",
];

fn fix_cells(fix: &Fix) -> Vec<String> {
    vec![
        fix.pipeline.clone(),
        fix.class.as_str().to_string(),
        fix.source_id.clone(),
        fix.outcome.clone(),
        fix.target_id.clone().unwrap_or_default(),
        cell(fix.detail.as_ref()),
    ]
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn drifted() -> ReconcileReport {
        let summary = ReconcileSummary {
            pipeline: "people".into(),
            source: "capsule.parties".into(),
            target: "stripe.customers".into(),
            read: 3,
            in_sync: 2,
            field_drift: 1,
            orphans: Some(0),
            target_listed: Some(3),
            ..ReconcileSummary::default()
        };
        let row = Mismatch {
            pipeline: "people".into(),
            class: Class::FieldDrift,
            source_id: Some("11".into()),
            target_id: Some("cus_1".into()),
            field: Some("name".into()),
            target_value: Some(json!("<b>Ann</b>")),
            pipeline_value: Some(json!("Ann")),
            detail: None,
            currency: None,
        };
        ReconcileReport::new(
            "2026-12-07T02:00:00Z".into(),
            "2026-12-07T02:00:03Z".into(),
            "all".into(),
            vec![Reconciled {
                summary,
                rows: vec![row],
                fixable: Vec::new(),
            }],
            Vec::new(),
            Vec::new(),
        )
    }

    #[test]
    fn a_stored_report_reads_back_as_it_was() {
        let report = drifted();
        let back: ReconcileReport = serde_json::from_str(&report.to_json()).unwrap();
        assert_eq!(back, report);
        assert_eq!(back.exit_code(), 1);
        assert_eq!(back.summary.totals.field_drift, 1);
        assert_eq!(back.summary.totals.mismatches, 1);
    }

    #[test]
    fn the_page_escapes_what_the_systems_hold_and_charts_each_class() {
        let html = drifted().to_html();
        assert!(html.contains("&lt;b&gt;Ann&lt;/b&gt;"), "{html}");
        assert!(!html.contains("<b>Ann"), "{html}");
        assert!(html.contains("1 mismatches need a look"), "{html}");
        assert!(
            html.contains("<title>field drift (records): 1</title>"),
            "{html}"
        );
        assert!(!html.contains("<script"), "{html}");
    }

    #[test]
    fn no_pipeline_reconciled_is_an_error_not_a_clean_report() {
        let report = ReconcileReport::new(
            "a".into(),
            "b".into(),
            "all".into(),
            Vec::new(),
            Vec::new(),
            vec![Failed {
                pipeline: "people".into(),
                error: "the target `stripe.customers` could not be read".into(),
            }],
        );
        assert_eq!(report.exit_code(), 2);
        assert!(report.to_table().contains("NOT reconciled"));
    }
}
