//! Running pipelines: polling, delivery, dead letters and the audit log.

mod claims;
mod conflict;
mod deletion;
pub mod deliver;
pub mod diff;
mod fleet_budget;
pub mod job;
mod journal;
pub mod listing;
pub mod reconcile;
mod record;
mod related;
pub mod replay;
pub mod report;
pub mod runner;
pub mod single;
pub mod workspace;

pub use job::{Endpoint, Job};
pub use reconcile::{
    Class, FixMode, Mismatch, ReconcileError, ReconcileOptions, ReconcileProgress, ReconcileReport,
    ReconcileSummary, Reconciled,
};
pub use replay::Replayed;
pub use report::{PipelineReport, PlannedWrite, WouldFail};
pub use runner::{Progress, RunError, RunOptions, Runner};
pub use single::{Delivery, Processed, ReadAhead};
pub use workspace::{Selection, SetupError, Workspace};
