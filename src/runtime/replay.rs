//! `ferry dlq replay`: a dead letter's record, through the pipeline as it is now.

use super::job::Job;
use super::runner::{RunError, Runner};
use super::single::Processed;
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
        let letter_id = letter.id;
        let processed = self
            .process_one(job, record, async |batch, processed| {
                if matches!(processed, Processed::DeadLettered { .. }) {
                    Ok(())
                } else {
                    batch.resolve_dead_letter(letter_id).await
                }
            })
            .await?;
        Ok(match processed {
            Processed::Delivered(operation) => Replayed::Resolved(Some(operation)),
            Processed::Filtered | Processed::Skipped => Replayed::Resolved(None),
            Processed::DeadLettered { code, message } => Replayed::FailedAgain { code, message },
        })
    }
}
