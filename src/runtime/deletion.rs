//! Deletions at the source. Most leave their target as it is. A source whose connector says a
//! deletion changes what its record belonged to (`Client::remaps_deletions`: a Capsule
//! opportunity or case, of its party) lists it by id only, so the runner keeps the version of
//! each such record it last read, in the store, and maps the deletion from it: the pipeline
//! then reads the owner's current set again, which no longer holds the record. The target is
//! updated, never deleted.

use serde_json::Value;

use super::job::Job;
use super::runner::Runner;
use crate::connectors::SourceRecord;
use crate::store::StoreError;

impl Runner {
    /// The record to map: `record` itself, a deletion completed from the record's version last
    /// read, or `None` when the deletion leaves the target as it is. Keeps the version of a
    /// record whose deletion would be completed (not in a dry run, which writes nothing).
    pub(super) async fn completed(
        &self,
        job: &Job,
        record: SourceRecord,
        dry_run: bool,
    ) -> Result<Option<SourceRecord>, StoreError> {
        let remaps = self
            .connector_named(&job.source.connection)
            .is_some_and(|source| source.remaps_deletions(&job.source.stream));
        if !remaps {
            if record.deleted {
                tracing::info!(pipeline = %job.name, source_id = %record.id, "deleted at the source; the target is left as it is");
                return Ok(None);
            }
            return Ok(Some(record));
        }
        let source = job.source.collection();
        if !record.deleted {
            if !dry_run {
                let json = self.redacted(&record.data.to_string());
                self.store()
                    .put_record_seen(&source, &record.id, &json)
                    .await?;
            }
            return Ok(Some(record));
        }
        let last = self
            .store()
            .record_seen(&source, &record.id)
            .await?
            .and_then(|json| serde_json::from_str::<Value>(&json).ok());
        let Some(Value::Object(mut last)) = last else {
            // Nothing ferry wrote came from it, and nothing names its owner: the owner's next
            // change (or `ferry reconcile`) brings the owner up to date.
            tracing::info!(pipeline = %job.name, source_id = %record.id, "deleted at the source before ferry read it: nothing of it to map, the target is left as it is");
            return Ok(None);
        };
        // The deletion's own fields (when it was deleted, its newest stamp) over the last version.
        if let Value::Object(fields) = record.data {
            last.extend(fields);
        }
        tracing::info!(pipeline = %job.name, source_id = %record.id, "deleted at the source: mapped from its version last read, so what it belonged to is read again");
        Ok(Some(SourceRecord {
            id: record.id,
            data: Value::Object(last),
            deleted: false,
        }))
    }
}
