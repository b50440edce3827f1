//! One record on its own, committed on its own: a dead letter's replay and a webhook event.

use jiff::Timestamp;

use super::claims::MatchClaims;
use super::deliver::DeliveryError;
use super::job::Job;
use super::record::{Fate, record_writes, strongest};
use super::runner::{RunError, Runner};
use crate::connectors::SourceRecord;
use crate::store::{Batch, Operation};

/// What became of a record delivered on its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Processed {
    /// Written (create or update) or found unchanged.
    Delivered(Operation),
    /// The pipeline's `where` left it out.
    Filtered,
    /// `skip(...)`, or deleted at the source.
    Skipped,
    /// Failed permanently; filed in the dead-letter queue under the record's id.
    DeadLettered { code: String, message: String },
}

impl Runner {
    /// Maps and delivers `record` through `job`, then commits its cross reference, audit entry
    /// or dead letter together with whatever `also` adds to the same transaction.
    pub async fn process_one<F>(
        &self,
        job: &Job,
        record: SourceRecord,
        also: F,
    ) -> Result<Processed, RunError>
    where
        F: AsyncFnOnce(&mut Batch, &Processed) -> Result<(), crate::store::StoreError>,
    {
        let store_error = |error| RunError::Store {
            pipeline: job.name.clone(),
            error,
        };
        for step in &job.steps {
            self.connector(job, &step.sink.connector_key(false))?;
        }
        let collections: Vec<&str> = job
            .compiled
            .xref_collections
            .iter()
            .map(String::as_str)
            .collect();
        let snapshot = self
            .store()
            .cross_reference_snapshot(&collections)
            .await
            .map_err(store_error)?;
        let fate = self
            .record(
                job,
                record,
                &snapshot,
                Timestamp::now(),
                false,
                &MatchClaims::default(),
            )
            .await
            .map_err(|error| match error {
                DeliveryError::Connector(error) => RunError::Connector {
                    pipeline: job.name.clone(),
                    error: Box::new(error),
                },
                DeliveryError::Store(error) => store_error(error),
            })?;
        let mut batch = self.store().begin().await.map_err(store_error)?;
        let processed = match fate {
            Fate::Delivered { source_id, writes } => {
                record_writes(&mut batch, &writes)
                    .await
                    .map_err(store_error)?;
                batch
                    .resolve_delivered(&job.name, &source_id)
                    .await
                    .map_err(store_error)?;
                Processed::Delivered(strongest(&writes))
            }
            Fate::Filtered => Processed::Filtered,
            Fate::Skipped | Fate::DeletedAtSource => Processed::Skipped,
            Fate::DeadLetter {
                source_id,
                record_json,
                code,
                message,
                writes,
            } => {
                record_writes(&mut batch, &writes)
                    .await
                    .map_err(store_error)?;
                batch
                    .dead_letter(&job.name, &source_id, &record_json, &code, &message)
                    .await
                    .map_err(store_error)?;
                Processed::DeadLettered { code, message }
            }
            Fate::Planned(writes) => Processed::Delivered(
                writes
                    .iter()
                    .map(|w| w.operation)
                    .max_by_key(|operation| match operation {
                        crate::store::Operation::Create => 2,
                        crate::store::Operation::Update => 1,
                        _ => 0,
                    })
                    .unwrap_or(crate::store::Operation::Noop),
            ),
        };
        also(&mut batch, &processed).await.map_err(store_error)?;
        batch.commit().await.map_err(store_error)?;
        Ok(processed)
    }
}
