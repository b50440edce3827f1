//! `ferry dlq replay`: a dead letter's record, through the pipeline as it is now.

use jiff::Timestamp;

use super::claims::MatchClaims;
use super::job::Job;
use super::runner::{Fate, RunError, Runner};
use crate::connectors::SourceRecord;
use crate::store::{DeadLetter, Operation};

/// What a replay did with one dead letter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Replayed {
    /// Delivered (or now filtered or skipped by the fixed pipeline): the letter is resolved.
    Resolved(Option<Operation>),
    /// It failed again; the letter stays open with one more attempt and the new reason.
    FailedAgain { code: String, message: String },
}

impl Runner {
    /// Replays `letter` through `job`, which must be the pipeline that filed it.
    pub async fn replay(&self, job: &Job, letter: &DeadLetter) -> Result<Replayed, RunError> {
        let store_error = |error| RunError::Store {
            pipeline: job.name.clone(),
            error,
        };
        let sink = self.connector(job, &job.sink.connector_key(false))?.clone();
        let data = match serde_json::from_str(&letter.record_json) {
            Ok(data) => data,
            Err(error) => {
                let message = format!(
                    "the stored record is not JSON ({error}); fix the source and run the pipeline with --backfill"
                );
                self.store()
                    .dead_letter(
                        &job.name,
                        &letter.source_id,
                        &letter.record_json,
                        &letter.error_code,
                        &message,
                    )
                    .await
                    .map_err(store_error)?;
                return Ok(Replayed::FailedAgain {
                    code: letter.error_code.clone(),
                    message,
                });
            }
        };
        let record = SourceRecord {
            id: letter.source_id.clone(),
            data,
            deleted: false,
        };
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
                &sink,
                record,
                &snapshot,
                Timestamp::now(),
                false,
                &MatchClaims::default(),
            )
            .await
            .map_err(|error| match error {
                super::deliver::DeliveryError::Connector(error) => RunError::Connector {
                    pipeline: job.name.clone(),
                    error: Box::new(error),
                },
                super::deliver::DeliveryError::Store(error) => store_error(error),
            })?;
        let mut batch = self.store().begin().await.map_err(store_error)?;
        let replayed = match fate {
            Fate::Delivered {
                link,
                audit,
                operation,
            } => {
                batch
                    .put_cross_reference(&link)
                    .await
                    .map_err(store_error)?;
                if let Some(entry) = audit {
                    batch.audit(&entry).await.map_err(store_error)?;
                }
                batch
                    .resolve_dead_letter(letter.id)
                    .await
                    .map_err(store_error)?;
                Replayed::Resolved(Some(operation))
            }
            Fate::Filtered | Fate::Skipped | Fate::DeletedAtSource => {
                batch
                    .resolve_dead_letter(letter.id)
                    .await
                    .map_err(store_error)?;
                Replayed::Resolved(None)
            }
            Fate::DeadLetter {
                source_id,
                record_json,
                code,
                message,
            } => {
                batch
                    .dead_letter(&job.name, &source_id, &record_json, &code, &message)
                    .await
                    .map_err(store_error)?;
                Replayed::FailedAgain { code, message }
            }
            Fate::Planned(_) => Replayed::Resolved(None),
        };
        batch.commit().await.map_err(store_error)?;
        Ok(replayed)
    }
}
