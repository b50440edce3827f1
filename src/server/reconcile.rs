//! The `reconcile:` schedules of ferry.yaml, run inside `ferry serve`: each reconcile's report
//! kept in the store under the schedule's name, and its mismatches told to the alerts.
//!
//! A schedule's next run is counted from its last report in the store, so a restart neither
//! runs it twice nor forgets it: a run missed while ferry was down starts as soon as it is back.

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::App;
use crate::project::ReconcileSchedule;
use crate::runtime::{FixMode, Job, ReconcileOptions, SetupError};

/// A schedule with the served pipelines it reconciles.
#[derive(Clone, Debug)]
pub struct Scheduled {
    pub schedule: ReconcileSchedule,
    /// Names of served pipelines.
    pub pipelines: Vec<String>,
}

/// Each schedule with its pipelines: those it names, or every one served. A named pipeline
/// that this server does not serve is an error: the schedule would silently leave it out.
pub fn plan(schedules: &[ReconcileSchedule], jobs: &[Job]) -> Result<Vec<Scheduled>, SetupError> {
    let served: Vec<&str> = jobs.iter().map(|job| job.name.as_str()).collect();
    schedules
        .iter()
        .map(|schedule| {
            let pipelines = if schedule.pipelines.is_empty() {
                served.iter().map(|name| name.to_string()).collect()
            } else {
                let mut pipelines = Vec::new();
                for name in &schedule.pipelines {
                    if !served.contains(&name.value.as_str()) {
                        return Err(SetupError::Pipelines(format!(
                            "reconcile schedule `{}` names pipeline `{}`, which this `ferry serve` does not serve (it serves {}); serve it too, or take it out of the schedule",
                            schedule.name,
                            name.value,
                            served.join(", ")
                        )));
                    }
                    pipelines.push(name.value.clone());
                }
                pipelines
            };
            Ok(Scheduled {
                schedule: schedule.clone(),
                pipelines,
            })
        })
        .collect()
}

/// Runs `scheduled` at each of its due times until `stop`.
pub async fn run(
    app: Arc<App>,
    scheduled: Scheduled,
    zone: TimeZone,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let name = scheduled.schedule.name.clone();
    let started = Timestamp::now();
    loop {
        let last = match app.store.last_reconcile_started(&name).await {
            Ok(last) => last,
            Err(error) => {
                tracing::warn!(schedule = %name, "reading the schedule's last run failed: {error}; trying again in a minute");
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(60)) => continue,
                    _ = stop.changed() => return,
                }
            }
        };
        let due = scheduled
            .schedule
            .when
            .next_after(last.unwrap_or(started), &zone);
        let wait = due.duration_since(Timestamp::now());
        let wait = Duration::try_from(wait).unwrap_or(Duration::ZERO);
        tracing::info!(schedule = %name, due = %due, "next scheduled reconcile");
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stop.changed() => return,
        }
        reconcile_now(&app, &scheduled).await;
    }
}

/// One reconcile of the schedule's pipelines, kept and told.
async fn reconcile_now(app: &App, scheduled: &Scheduled) {
    let name = &scheduled.schedule.name;
    let jobs: Vec<&Job> = app
        .jobs
        .iter()
        .filter(|job| scheduled.pipelines.contains(&job.name))
        .collect();
    let options = ReconcileOptions {
        since: None,
        fix: if scheduled.schedule.fix {
            FixMode::Apply
        } else {
            FixMode::Report
        },
    };
    tracing::info!(schedule = %name, pipelines = jobs.len(), "reconcile started");
    let report = app.runner.reconcile_all(&jobs, &options, &()).await;
    match app.runner.keep_report(&report, name).await {
        Ok(id) => tracing::info!(
            schedule = %name,
            report = id,
            mismatches = report.mismatches(),
            errors = report.summary.errors.len(),
            "reconcile finished"
        ),
        Err(error) => {
            tracing::error!(schedule = %name, "the reconcile's report could not be kept: {error}")
        }
    }
    report.raise_alerts(&app.alerts);
}
