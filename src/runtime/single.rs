//! One record on its own, committed on its own: a dead letter's replay and a webhook event.

use jiff::Timestamp;

use super::deliver::DeliveryError;
use super::job::Job;
use super::record::{Fate, strongest};
use super::runner::{RunError, Runner};
use crate::connectors::SourceRecord;
use crate::store::{Batch, CrossReference, CrossReferenceSnapshot, FinishedEvents, Operation};

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

/// A record mapped and delivered through a job, whose store writes (cross reference, audit
/// entry, dead letter) are not written yet: [`Runner::write_delivery`] adds them to a batch.
/// Workers commit several events' deliveries in one transaction this way.
pub struct Delivery {
    fate: Fate,
    pub processed: Processed,
}

impl Delivery {
    /// Adds the delivery's cross reference, audit entry and resolved dead letter (or its new
    /// dead letter) to `writes`.
    pub fn add_to(&self, job: &Job, writes: &mut FinishedEvents) {
        self.fate.add_to(&job.name, writes);
    }

    /// The cross reference of the delivery's first write, if it wrote to a target.
    pub fn link(&self) -> Option<&CrossReference> {
        match &self.fate {
            Fate::Delivered { writes, .. } => writes.first().map(|w| &w.link),
            _ => None,
        }
    }
}

/// The store's answers for records about to be delivered one at a time (see
/// [`Runner::read_ahead`]).
pub struct ReadAhead {
    snapshot: CrossReferenceSnapshot,
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
        let delivery = self.deliver_one(job, record).await?;
        let store_error = |error| RunError::Store {
            pipeline: job.name.clone(),
            error,
        };
        let mut batch = self.store().begin().await.map_err(store_error)?;
        // `also` first: a replay closes its letter as replayed before the delivery's writes
        // would close it as delivered by a run.
        also(&mut batch, &delivery.processed)
            .await
            .map_err(store_error)?;
        self.write_delivery(&mut batch, job, &delivery).await?;
        batch.commit().await.map_err(store_error)?;
        Ok(delivery.processed)
    }

    /// Maps and delivers `record` through `job`; nothing is written to the store yet.
    pub async fn deliver_one(&self, job: &Job, record: SourceRecord) -> Result<Delivery, RunError> {
        let ahead = self.read_ahead(job, std::slice::from_ref(&record)).await?;
        self.deliver_read_ahead(job, record, &ahead).await
    }

    /// What delivering `records` through `job` one at a time, side by side, reads from the
    /// store, read in one statement per table rather than one per record: their links (and
    /// those of the collections the pipeline's `xref` calls name), and the pipeline's writes in
    /// flight. The caller holds the records' objects, so none of it changes before they are
    /// delivered with [`Runner::deliver_read_ahead`]; a record that was not passed here is
    /// still delivered right, with its link read on its own.
    pub async fn read_ahead(
        &self,
        job: &Job,
        records: &[SourceRecord],
    ) -> Result<ReadAhead, RunError> {
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
        let mut snapshot = self
            .store()
            .cross_reference_snapshot(&collections)
            .await
            .map_err(store_error)?;
        self.read_page_links(job, records, &mut snapshot)
            .await
            .map_err(store_error)?;
        self.load_in_flight(&job.name).await.map_err(store_error)?;
        Ok(ReadAhead { snapshot })
    }

    /// [`Runner::deliver_one`] with what [`Runner::read_ahead`] read for it.
    pub async fn deliver_read_ahead(
        &self,
        job: &Job,
        record: SourceRecord,
        ahead: &ReadAhead,
    ) -> Result<Delivery, RunError> {
        let store_error = |error| RunError::Store {
            pipeline: job.name.clone(),
            error,
        };
        let snapshot = &ahead.snapshot;
        let record = self.reread(job, record).await?;
        let fate = self
            .record(
                job,
                record,
                snapshot,
                Timestamp::now(),
                false,
                self.claims(),
                false,
            )
            .await
            .map_err(|error| match error {
                DeliveryError::Connector(error) => RunError::Connector {
                    pipeline: job.name.clone(),
                    error: Box::new(error),
                },
                DeliveryError::Store(error) => store_error(error),
            })?;
        let processed = match &fate {
            Fate::Delivered { writes, .. } => {
                Processed::Delivered(strongest(writes.iter().map(|w| w.operation)))
            }
            Fate::Filtered => Processed::Filtered,
            Fate::Skipped | Fate::DeletedAtSource => Processed::Skipped,
            Fate::DeadLetter { code, message, .. } => Processed::DeadLettered {
                code: code.clone(),
                message: message.clone(),
            },
            Fate::Planned(writes) => {
                Processed::Delivered(strongest(writes.iter().map(|w| w.operation)))
            }
        };
        Ok(Delivery { fate, processed })
    }

    /// `record` as the source holds it now, where its connector says a delivery carries less
    /// than a read (`Client::rereads_delivered`); as delivered otherwise, when it was deleted,
    /// or when the source no longer has it (its deletion is on its way).
    async fn reread(&self, job: &Job, record: SourceRecord) -> Result<SourceRecord, RunError> {
        let stream = &job.source.stream;
        let Some(source) = self.connector_named(&job.source.connection) else {
            return Ok(record);
        };
        if record.deleted || !source.rereads_delivered(stream) {
            return Ok(record);
        }
        match source.get(stream, &record.id).await {
            Ok(Some(current)) => Ok(SourceRecord {
                id: record.id,
                data: current.data,
                deleted: false,
            }),
            Ok(None) => Ok(record),
            Err(error) => Err(RunError::Connector {
                pipeline: job.name.clone(),
                error: Box::new(error),
            }),
        }
    }

    /// Adds a delivery's cross reference, audit entry or dead letter to `batch`.
    pub async fn write_delivery(
        &self,
        batch: &mut Batch,
        job: &Job,
        delivery: &Delivery,
    ) -> Result<(), RunError> {
        let mut writes = FinishedEvents::default();
        delivery.add_to(job, &mut writes);
        batch
            .write_finished(&writes, "")
            .await
            .map_err(|error| RunError::Store {
                pipeline: job.name.clone(),
                error,
            })?;
        Ok(())
    }
}
