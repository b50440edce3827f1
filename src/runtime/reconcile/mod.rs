//! Reconciling a pipeline: every source record against what the pipeline keeps in its targets,
//! and, for a record sync, the target collection against the store's cross references.
//!
//! The source side is a dry-run backfill: each record is read, mapped and planned against its
//! targets exactly as `ferry run` would, and the plan is the verdict (unchanged: in sync;
//! create: missing; update: drift, or an amount mismatch when a drifted field is an amount).
//! Nothing is written to a target or to the store, and no cursor moves. The targets are listed
//! first, through their connectors' list pages, and planned against.
//!
//! Money flows are reconciled the same way. A pipeline fed by events (a payout paid, a charge
//! refunded) is run over its source's whole history (`PollOptions::history`: Stripe reads the
//! objects' lists, since it keeps 30 days of events), and each target record is judged once,
//! however many events led to it. Lines a journal sink posted are compared with the
//! ledger by the connector ([`crate::connectors::Client::posted_differences`]): a payout's
//! journal with its general ledger entries per account, a payment with its ledger entry. A
//! posted amount that differs is an amount mismatch that `--fix` leaves alone: a ledger is
//! corrected with a reversal in the target, never by writing again.

mod amounts;
mod report;

pub use amounts::CurrencyTotal;
pub use report::{Failed, Fix, ReconcileReport, ReportSummary, Skipped, Totals};

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::job::{Job, Step};
use super::journal;
use super::listing::Listing;
use super::report::PlannedWrite;
use super::runner::{Progress, RunError, RunOptions, Runner};
use super::single::Processed;
use crate::check::Type;
use crate::connectors::{ConnectorError, PostedLedger, TargetRecord};
use crate::store::{Operation, ReconcileRecord, StoreError};

/// What a reconcile found for one source record, or one target record (orphans).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    InSync,
    /// No cross reference, and nothing matches: a run would create it.
    Missing,
    /// The store links the record to a target id the target no longer has.
    BrokenCrossReference,
    /// The target no longer holds what the pipeline would write.
    FieldDrift,
    /// In the target, and no cross reference of the pipeline points to it.
    Orphan,
    /// The pipeline fails this record (a run would dead-letter it), so it was not compared.
    WouldFail,
    /// An amount the target holds is not what the pipeline would write: a drifted amount
    /// field, or a posted ledger entry that differs from the lines posted.
    AmountMismatch,
}

impl Class {
    pub fn as_str(self) -> &'static str {
        match self {
            Class::InSync => "in_sync",
            Class::Missing => "missing",
            Class::BrokenCrossReference => "broken_cross_reference",
            Class::FieldDrift => "field_drift",
            Class::Orphan => "orphan",
            Class::WouldFail => "would_fail",
            Class::AmountMismatch => "amount_mismatch",
        }
    }
}

/// One mismatch: a row of the report. Drift gives one row per drifted field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mismatch {
    pub pipeline: String,
    pub class: Class,
    pub source_id: Option<String>,
    pub target_id: Option<String>,
    pub field: Option<String>,
    /// What the target holds at `field`.
    pub target_value: Option<Value>,
    /// What the pipeline would write at `field`.
    pub pipeline_value: Option<Value>,
    pub detail: Option<String>,
    /// For an amount mismatch, the currency of both values (none: the target's own, such as a
    /// ledger's local currency).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
}

/// Counts for one pipeline. Drift counts records, not fields.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReconcileSummary {
    pub pipeline: String,
    pub source: String,
    pub target: String,
    /// Source records read.
    pub read: u64,
    pub in_sync: u64,
    pub missing: u64,
    pub broken_cross_reference: u64,
    pub field_drift: u64,
    /// Records (or posted journals) whose amounts differ.
    #[serde(default)]
    pub amount_mismatch: u64,
    /// `None` when the target could not be listed (see `orphans_not_listed`).
    pub orphans: Option<u64>,
    pub would_fail: u64,
    /// Records the pipeline leaves out on purpose (filtered, skipped, deleted at the source,
    /// or left to another record of the same target by `on conflict newest by`).
    pub not_compared: u64,
    /// Target records listed.
    pub target_listed: Option<u64>,
    /// Why orphans were not looked for.
    pub orphans_not_listed: Option<String>,
    /// HTTP requests each connection sent for this reconcile (retries included).
    #[serde(default)]
    pub requests: BTreeMap<String, u64>,
}

impl ReconcileSummary {
    pub fn mismatches(&self) -> u64 {
        self.missing
            + self.broken_cross_reference
            + self.field_drift
            + self.amount_mismatch
            + self.orphans.unwrap_or(0)
            + self.would_fail
    }
}

/// One pipeline's reconcile.
#[derive(Debug, Clone)]
pub struct Reconciled {
    pub summary: ReconcileSummary,
    pub rows: Vec<Mismatch>,
    /// The writes that would mend its missing, drifted and broken records, with their class.
    pub fixable: Vec<(Class, PlannedWrite)>,
}

#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    #[error(
        "pipeline `{pipeline}` cannot be reconciled ({reason}); reconcile compares pipelines that write records to an API"
    )]
    NotComparable { pipeline: String, reason: String },
    #[error("pipeline `{pipeline}`: the source `{collection}` could not be read: {error}")]
    Source {
        pipeline: String,
        collection: String,
        error: Box<ConnectorError>,
    },
    #[error("pipeline `{pipeline}`: the target `{collection}` could not be read: {error}")]
    Target {
        pipeline: String,
        collection: String,
        error: Box<ConnectorError>,
    },
    #[error("pipeline `{pipeline}`: the store failed: {error}")]
    Store { pipeline: String, error: StoreError },
    #[error("pipeline `{pipeline}`: {reason}")]
    Setup { pipeline: String, reason: String },
}

/// What a reconcile tells as it goes: progress bars and lines.
pub trait ReconcileProgress: Progress {
    /// `job` begins: its target is listed first.
    fn started(&self, _job: &Job, _target: &str) {}
    /// The targets are listed. `Some(count)`: a record sync's target holds `count` records, and
    /// about as many source records will be read; `None`: how many will be read is not known
    /// (a flow's events bear no relation to its targets' sizes).
    fn listed(&self, _count: Option<u64>) {}
    /// `job` is done, or failed.
    fn finished(&self, _job: &Job, _outcome: Result<&ReconcileSummary, &ReconcileError>) {}
}

impl ReconcileProgress for () {}

/// What `--fix` does with what a reconcile finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FixMode {
    /// Report only (the default).
    #[default]
    Report,
    /// Say what a fix would write, and write nothing.
    DryRun,
    /// Deliver each missing, drifted or broken record through the pipeline's normal path.
    Apply,
}

/// How to reconcile.
#[derive(Debug, Clone, Default)]
pub struct ReconcileOptions {
    /// Compare only the source records listed from this time on (the source's own notion: a
    /// change time where the API has one); `None` compares every record.
    pub since: Option<Timestamp>,
    pub fix: FixMode,
}

impl ReconcileOptions {
    /// The report's account of which records were compared.
    pub fn scope(&self) -> String {
        match self.since {
            Some(since) => format!("records changed since {since}"),
            None => "all records".to_string(),
        }
    }
}

impl Runner {
    /// Reconciles each of `jobs` in turn into one report; a pipeline that writes a file
    /// is skipped and one that fails is listed with its error, never counted in sync.
    pub async fn reconcile_all(
        &self,
        jobs: &[&Job],
        options: &ReconcileOptions,
        progress: &dyn ReconcileProgress,
    ) -> ReconcileReport {
        let started_at = Timestamp::now();
        let mut reconciled = Vec::new();
        let mut skipped = Vec::new();
        let mut errors = Vec::new();
        let mut fixes = Vec::new();
        for job in jobs {
            let outcome = self.reconcile(job, options, progress).await;
            progress.finished(job, outcome.as_ref().map(|r| &r.summary));
            match outcome {
                Ok(mut done) => {
                    if options.fix != FixMode::Report {
                        let fixable = std::mem::take(&mut done.fixable);
                        match self.fix(job, fixable, options.fix).await {
                            Ok(fixed) => fixes.extend(fixed),
                            Err(error) => errors.push(Failed {
                                pipeline: job.name.clone(),
                                error: format!("fixing it stopped: {error}"),
                            }),
                        }
                    }
                    reconciled.push(done);
                }
                Err(ReconcileError::NotComparable { pipeline, reason }) => {
                    skipped.push(Skipped { pipeline, reason });
                }
                Err(error) => errors.push(Failed {
                    pipeline: job.name.clone(),
                    error: error.to_string(),
                }),
            }
        }
        // To the second: a report is read by people.
        let shown = |at: Timestamp| at.round(jiff::Unit::Second).unwrap_or(at).to_string();
        let mut report = ReconcileReport::new(
            shown(started_at),
            shown(Timestamp::now()),
            options.scope(),
            reconciled,
            skipped,
            errors,
        );
        report.fixes = fixes;
        report
    }

    /// Keeps `report` in the store, under `origin` (`command`, or a schedule's name).
    pub async fn keep_report(
        &self,
        report: &ReconcileReport,
        origin: &str,
    ) -> Result<i64, StoreError> {
        let time = |text: &str| {
            text.parse::<Timestamp>()
                .unwrap_or_else(|_| Timestamp::now())
        };
        let summary = &report.summary;
        let pipelines = summary
            .pipelines
            .iter()
            .map(|s| s.pipeline.clone())
            .chain(summary.skipped.iter().map(|s| s.pipeline.clone()))
            .chain(summary.errors.iter().map(|f| f.pipeline.clone()))
            .collect();
        let record = ReconcileRecord {
            id: 0,
            started_at: time(&summary.started_at),
            finished_at: time(&summary.finished_at),
            origin: origin.to_string(),
            pipelines,
            mismatches: report.mismatches(),
            errors: summary.errors.len() as u64,
            report: self.redacted(&report.to_json()),
        };
        self.store().record_reconcile(&record).await
    }

    /// Reconciles `job`, writing nothing anywhere. Its targets are listed first, whole, and
    /// every record is planned against those listings: a request per list page, not per
    /// record (a posted journal's ledger is asked per record, by document).
    pub async fn reconcile(
        &self,
        job: &Job,
        options: &ReconcileOptions,
        progress: &dyn ReconcileProgress,
    ) -> Result<Reconciled, ReconcileError> {
        let shape = shape_of(job)?;
        let targets = job
            .steps
            .iter()
            .map(|step| step.sink.collection())
            .collect::<Vec<_>>()
            .join(", ");
        progress.started(job, &targets);
        let before = self.requests_sent();
        let mut listings: HashMap<String, Arc<Listing>> = HashMap::new();
        let mut ledgers: HashMap<String, Arc<dyn PostedLedger>> = HashMap::new();
        let mut not_listed = None;
        for step in &job.steps {
            if journal::journal_posting(step).is_some() {
                // Posted lines leave their journal: the ledger is read instead, whole where
                // the connector can, else asked record by record.
                let read = match self.connector_named(&step.sink.connector_key(false)) {
                    Some(sink) => sink.read_ledger(&step.sink.stream).await,
                    None => Ok(None),
                };
                match read {
                    Ok(Some(ledger)) => {
                        ledgers.insert(step.sink.collection(), ledger);
                    }
                    Ok(None) => {}
                    Err(error) => {
                        return Err(ReconcileError::Target {
                            pipeline: job.name.clone(),
                            collection: step.sink.collection(),
                            error: Box::new(error),
                        });
                    }
                }
                continue;
            }
            match self.list_target(step).await {
                Ok(records) => {
                    listings.insert(step.sink.collection(), Arc::new(Listing::new(records)));
                }
                Err(ConnectorError::Unsupported(reason)) => not_listed = Some(reason),
                Err(error) => {
                    return Err(ReconcileError::Target {
                        pipeline: job.name.clone(),
                        collection: step.sink.collection(),
                        error: Box::new(error),
                    });
                }
            }
        }
        progress.listed(match &shape {
            Shape::RecordSync(step) => listings
                .get(&step.sink.collection())
                .map(|listing| listing.len() as u64),
            Shape::Flow(_) => None,
        });
        let run_options = RunOptions {
            backfill: true,
            since: options.since,
            dry_run: true,
            history: true,
            ..RunOptions::default()
        };
        let planner = self.planning_against(listings.clone(), ledgers);
        let (report, planned) = planner
            .run(job, &run_options, progress)
            .await
            .map_err(|error| side_of(job, error))?;
        let mut summary = ReconcileSummary {
            pipeline: job.name.clone(),
            source: job.source.collection(),
            target: targets,
            read: report.read,
            ..ReconcileSummary::default()
        };
        let record_types: HashMap<String, &Type> = job
            .steps
            .iter()
            .map(|step| (step.sink.collection(), &step.target))
            .collect();
        let mut rows = Vec::new();
        let mut fixable = Vec::new();
        let mut accounted: HashSet<String> = HashSet::new();
        // Several events of one object plan the same target record: it is judged once, on the
        // newest event's plan (a backfill reads oldest first).
        let mut judged: BTreeMap<(String, String), PlannedWrite> = BTreeMap::new();
        for write in planned {
            if let Some(current) = &write.current {
                accounted.insert(current.id.clone());
            }
            judged.insert((write.target.clone(), write.link_id.clone()), write);
        }
        for write in judged.into_values() {
            let record = record_types.get(&write.target).copied();
            if let Some(class) = classify(&write, record, &mut summary, &mut rows) {
                fixable.push((class, write));
            }
        }
        let mut failing: BTreeMap<&str, &super::report::WouldFail> = BTreeMap::new();
        for failed in &report.would_fail {
            failing.insert(&failed.source_id, failed);
        }
        for failed in failing.into_values() {
            summary.would_fail += 1;
            rows.push(Mismatch {
                pipeline: job.name.clone(),
                class: Class::WouldFail,
                source_id: Some(failed.source_id.clone()),
                target_id: None,
                field: None,
                target_value: None,
                pipeline_value: None,
                detail: Some(format!("{}: {}", failed.code, failed.message)),
                currency: None,
            });
        }
        summary.not_compared = match shape {
            Shape::RecordSync(_) => {
                let compared = fixable.len() as u64
                    + summary.in_sync
                    + summary.would_fail
                    + summary.amount_mismatch;
                report.read.saturating_sub(compared)
            }
            Shape::Flow(_) => report.filtered + report.skipped + report.deleted_at_source,
        };

        match shape {
            Shape::RecordSync(step) => match listings.get(&step.sink.collection()) {
                Some(listing) => {
                    let orphans =
                        self.orphans(job, step, listing, accounted)
                            .await
                            .map_err(|error| ReconcileError::Store {
                                pipeline: job.name.clone(),
                                error,
                            })?;
                    summary.target_listed = Some(listing.len() as u64);
                    summary.orphans = Some(orphans.len() as u64);
                    rows.extend(orphans);
                }
                None => {
                    summary.orphans_not_listed = Some(format!(
                        "{} cannot be listed ({})",
                        step.sink.collection(),
                        not_listed.unwrap_or_default()
                    ));
                }
            },
            Shape::Flow(reason) => summary.orphans_not_listed = Some(reason.to_string()),
        }
        let after = self.requests_sent();
        summary.requests = after
            .into_iter()
            .map(|(connection, sent)| {
                let earlier = before.get(&connection).copied().unwrap_or(0);
                (connection, sent.saturating_sub(earlier))
            })
            .filter(|(_, sent)| *sent > 0)
            .collect();
        Ok(Reconciled {
            summary,
            rows,
            fixable,
        })
    }

    /// The records of a record sync's listed target that no cross reference points to or
    /// starts from, and no plan found (`accounted`). A cross reference of any pipeline counts:
    /// a target shared by several pipelines (Stripe's customers, made from Capsule, Pronto and
    /// Syspro, and kept up to date with each contact's activity) holds the others' records, and
    /// a two-way sync's target holds the records its other direction reads (a Stripe customer
    /// made in Stripe and carried into Syspro), none of them orphans.
    async fn orphans(
        &self,
        job: &Job,
        step: &Step,
        listing: &Listing,
        mut accounted: HashSet<String>,
    ) -> Result<Vec<Mismatch>, StoreError> {
        // Links are read after the listing, so a record created meanwhile is linked.
        let collection = step.sink.collection();
        let links = self.store().links_into(&collection).await?;
        accounted.extend(links.into_iter().map(|link| link.target_id));
        let read = self.store().links_from(&collection).await?;
        accounted.extend(read.into_iter().map(|link| link.source_id));
        Ok(listing
            .ids()
            .filter(|id| !accounted.contains(*id))
            .map(|id| Mismatch {
                pipeline: job.name.clone(),
                class: Class::Orphan,
                source_id: None,
                target_id: Some(id.to_string()),
                field: None,
                target_value: None,
                pipeline_value: None,
                detail: Some(format!(
                    "no cross reference points to it or starts from it (this pipeline's source is {})",
                    step.link.collection
                )),
                currency: None,
            })
            .collect())
    }

    /// Mends what a reconcile found: each record delivered on its own through the pipeline,
    /// as a webhook's would be (idempotent, audited, dead-lettered if it fails), or with
    /// [`FixMode::DryRun`] only said.
    async fn fix(
        &self,
        job: &Job,
        fixable: Vec<(Class, PlannedWrite)>,
        mode: FixMode,
    ) -> Result<Vec<Fix>, RunError> {
        let mut fixes = Vec::new();
        // A source record is delivered once, however many of its targets need mending (a
        // charge's invoice and its payment): the outcome is each one's.
        let mut delivered: HashMap<String, (String, Option<Value>)> = HashMap::new();
        for (class, write) in fixable {
            let Some(source) = write.source else { continue };
            let mut fix = Fix {
                pipeline: job.name.clone(),
                class,
                source_id: write.link_id.clone(),
                outcome: String::new(),
                target_id: write.current.as_ref().map(|current| current.id.clone()),
                detail: None,
            };
            if mode == FixMode::DryRun {
                fix.outcome = match write.operation {
                    Operation::Create => "would_create",
                    Operation::Update => "would_update",
                    Operation::Noop | Operation::Delete => "would_relink",
                }
                .to_string();
                fix.detail = Some(write.fields);
                fixes.push(fix);
                continue;
            }
            if let Some((outcome, detail)) = delivered.get(&source.id) {
                fix.outcome = outcome.clone();
                fix.detail = detail.clone();
                fixes.push(fix);
                continue;
            }
            let source_id = source.id.clone();
            let processed = self.process_one(job, source, async |_, _| Ok(())).await?;
            fix.outcome = match &processed {
                Processed::Delivered(operation) => match operation {
                    Operation::Create => "created",
                    Operation::Update => "updated",
                    Operation::Noop | Operation::Delete => "relinked",
                },
                Processed::Filtered => "filtered",
                Processed::Skipped => "skipped",
                Processed::DeadLettered { .. } => "dead_lettered",
            }
            .to_string();
            if let Processed::DeadLettered { code, message } = processed {
                fix.detail = Some(Value::String(format!("{code}: {message}")));
            }
            if matches!(fix.outcome.as_str(), "created" | "relinked") {
                fix.target_id = self
                    .store()
                    .target_id(&write.target, &write.link_id)
                    .await
                    .map_err(|error| RunError::Store {
                        pipeline: job.name.clone(),
                        error,
                    })?;
            }
            delivered.insert(source_id, (fix.outcome.clone(), fix.detail.clone()));
            fixes.push(fix);
        }
        Ok(fixes)
    }

    /// Requests each connection has sent so far.
    fn requests_sent(&self) -> BTreeMap<String, u64> {
        self.http_stats()
            .into_iter()
            .map(|(connection, stats)| (connection, stats.attempts))
            .collect()
    }

    /// Every record of the step's target collection, list pages only.
    async fn list_target(
        &self,
        step: &super::job::Step,
    ) -> Result<Vec<TargetRecord>, ConnectorError> {
        let Some(sink) = self.connector_named(&step.sink.connector_key(false)) else {
            return Err(ConnectorError::Unsupported(format!(
                "no connection `{}` in this environment of ferry.yaml",
                step.sink.connection
            )));
        };
        sink.list_records(&step.sink.stream).await
    }
}

/// What a reconcile can compare of a pipeline.
enum Shape<'a> {
    /// One target record per source record, in one step: the target is its own, so a target
    /// record no cross reference points to is an orphan.
    RecordSync(&'a Step),
    /// Anything else that writes to APIs (events, several steps, one record to many, posted
    /// journals): each target record is compared, and orphans are not looked for, for the
    /// reason given.
    Flow(&'static str),
}

fn shape_of(job: &Job) -> Result<Shape<'_>, ReconcileError> {
    if job.steps.iter().any(|step| step.sink.is_local_files()) {
        return Err(ReconcileError::NotComparable {
            pipeline: job.name.clone(),
            reason: "it writes a file".to_string(),
        });
    }
    // Events (records that wrap the object they are about) are versions, not records.
    let flow = if job.object_at.is_some() || !job.events.is_empty() {
        Some("it reads events: the target's other records are not its to account for")
    } else if job.steps.len() > 1 {
        Some("it writes more than one target")
    } else if job.compiled.maps_each(0) {
        Some("it maps one source record to several target records")
    } else if job.steps.iter().any(|step| step.post.is_some()) {
        Some("it posts what it writes")
    } else {
        None
    };
    match (flow, job.steps.as_slice()) {
        (None, [step]) => Ok(Shape::RecordSync(step)),
        (Some(reason), _) => Ok(Shape::Flow(reason)),
        (None, _) => Err(ReconcileError::NotComparable {
            pipeline: job.name.clone(),
            reason: "it writes nothing".to_string(),
        }),
    }
}

/// A dry run's error, with the side that failed named.
fn side_of(job: &Job, error: RunError) -> ReconcileError {
    let target = || {
        job.first()
            .map(|step| step.sink.collection())
            .unwrap_or_default()
    };
    match error {
        RunError::Source { pipeline, error } => ReconcileError::Source {
            pipeline,
            collection: job.source.collection(),
            error,
        },
        RunError::Connector { pipeline, error } => ReconcileError::Target {
            pipeline,
            collection: target(),
            error,
        },
        RunError::Store { pipeline, error } => ReconcileError::Store { pipeline, error },
        RunError::Setup { pipeline, reason } => ReconcileError::Setup { pipeline, reason },
    }
}

/// Counts a planned write in `summary` and adds its rows; the class of a mismatch that a fix
/// would mend. `record` is the target's record type, which says which fields are amounts.
fn classify(
    write: &PlannedWrite,
    record: Option<&Type>,
    summary: &mut ReconcileSummary,
    rows: &mut Vec<Mismatch>,
) -> Option<Class> {
    let row = |class, target_id: Option<String>, detail: Option<String>| Mismatch {
        pipeline: write.pipeline.clone(),
        class,
        source_id: Some(write.link_id.clone()),
        target_id,
        field: None,
        target_value: None,
        pipeline_value: None,
        detail,
        currency: None,
    };
    let current_id = write.current.as_ref().map(|current| current.id.clone());
    if let Some(gone) = &write.broken_link {
        summary.broken_cross_reference += 1;
        let then = match &current_id {
            Some(found) => format!("a run would link it to {found}, found by match key"),
            None => "a run would create it again".to_string(),
        };
        rows.push(row(
            Class::BrokenCrossReference,
            Some(gone.clone()),
            Some(format!("{} no longer has {gone}; {then}", write.target)),
        ));
        return Some(Class::BrokenCrossReference);
    }
    if !write.posted_differences.is_empty() {
        // Posted: the ledger is mended in the target (a reversal), not by ferry writing again.
        summary.amount_mismatch += 1;
        for difference in &write.posted_differences {
            rows.push(Mismatch {
                field: Some(difference.field.clone()),
                target_value: Some(difference.posted.clone()),
                pipeline_value: Some(difference.expected.clone()),
                currency: difference.currency.clone(),
                ..row(
                    Class::AmountMismatch,
                    current_id.clone(),
                    Some(format!(
                        "posted in {}: correct it there (a reversal); ferry never posts twice",
                        write.target
                    )),
                )
            });
        }
        return None;
    }
    match write.operation {
        Operation::Create => {
            summary.missing += 1;
            rows.push(row(Class::Missing, None, None));
            Some(Class::Missing)
        }
        Operation::Update => {
            let current = write.current.as_ref().map(|c| &c.data);
            let currency = amounts::currency_of(&write.fields)
                .or_else(|| current.and_then(amounts::currency_of));
            let mut record_class = Class::FieldDrift;
            for path in &write.paths {
                let target = current.map(|data| value_at(data, path)).unwrap_or_default();
                let pipeline = value_at(&write.fields, path);
                for leaf in amounts::drifted_leaves(path, &pipeline, &target) {
                    let is_amount = record.is_some_and(|ty| amounts::is_amount(ty, &leaf.path));
                    let class = match is_amount {
                        true => Class::AmountMismatch,
                        false => Class::FieldDrift,
                    };
                    if is_amount {
                        record_class = Class::AmountMismatch;
                    }
                    rows.push(Mismatch {
                        field: Some(leaf.path),
                        target_value: Some(leaf.target),
                        pipeline_value: Some(leaf.pipeline),
                        currency: is_amount.then(|| currency.clone()).flatten(),
                        ..row(class, current_id.clone(), None)
                    });
                }
            }
            match record_class {
                Class::AmountMismatch => summary.amount_mismatch += 1,
                _ => summary.field_drift += 1,
            }
            Some(record_class)
        }
        Operation::Noop | Operation::Delete => {
            summary.in_sync += 1;
            None
        }
    }
}

/// The value at a dotted path (`address.city`), null when absent.
fn value_at(value: &Value, path: &str) -> Value {
    path.split('.')
        .try_fold(value, |v, name| v.get(name))
        .cloned()
        .unwrap_or(Value::Null)
}
