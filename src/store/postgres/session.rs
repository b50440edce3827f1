//! [`Statements`] on a PostgreSQL connection: a pooled one, or a transaction's.

use std::collections::HashMap;
use std::ops::DerefMut;
use std::time::Duration;

use jiff::Timestamp;
use sqlx::postgres::PgConnection;

use super::{
    activity, alert, audit, cross_reference, cursor, dead_letter, finished, idempotency, inbox,
    last_event, millis, object_version, reconcile_report, record_seen, scan,
};
use crate::store::backend::{Answer, Statements, Transaction};
use crate::store::{
    AlertRecord, AuditEntry, AuditFilter, CrossReference, DeadLetter, DeadLetterFilter,
    DeadLetterStep, FinishedEvents, HourActivity, IdempotencyRecord, InboxEvent, InboxOutcome,
    InboxPut, InboxStats, LastEvent, ObjectVersion, ReconcileRecord, SettledWrites, StoredEvent,
};

/// A connection (`C`: pooled, or a transaction). PostgreSQL lets writers run side by side,
/// so there is no turn to hold.
pub(super) struct Session<C> {
    pub(super) connection: C,
}

impl Transaction for Session<sqlx::Transaction<'static, sqlx::Postgres>> {
    fn commit(self: Box<Self>) -> Answer<'static, ()> {
        Box::pin(async move { Ok(self.connection.commit().await?) })
    }

    fn rollback(self: Box<Self>) -> Answer<'static, ()> {
        Box::pin(async move { Ok(self.connection.rollback().await?) })
    }
}

impl<C> Session<C>
where
    C: DerefMut<Target = PgConnection> + Send,
{
    fn conn(&mut self) -> &mut PgConnection {
        &mut self.connection
    }
}

impl<C> Statements for Session<C>
where
    C: DerefMut<Target = PgConnection> + Send,
{
    fn cursor<'a>(&'a mut self, pipeline: &'a str, source: &'a str) -> Answer<'a, Option<String>> {
        Box::pin(cursor::get(self.conn(), pipeline, source))
    }

    fn set_cursor<'a>(
        &'a mut self,
        pipeline: &'a str,
        source: &'a str,
        value: &'a str,
    ) -> Answer<'a, ()> {
        Box::pin(cursor::set(self.conn(), pipeline, source, value))
    }

    fn put_cross_reference<'a>(&'a mut self, link: &'a CrossReference) -> Answer<'a, ()> {
        Box::pin(cross_reference::put(self.conn(), link))
    }

    fn delete_cross_reference<'a>(
        &'a mut self,
        source_collection: &'a str,
        source_id: &'a str,
        target_collection: &'a str,
    ) -> Answer<'a, bool> {
        Box::pin(cross_reference::delete(
            self.conn(),
            source_collection,
            source_id,
            target_collection,
        ))
    }

    fn target_id<'a>(
        &'a mut self,
        target_collection: &'a str,
        source_id: &'a str,
    ) -> Answer<'a, Option<String>> {
        Box::pin(cross_reference::target_id(
            self.conn(),
            target_collection,
            source_id,
        ))
    }

    fn target_ids<'a>(
        &'a mut self,
        target_collection: &'a str,
        source_ids: &'a [String],
    ) -> Answer<'a, HashMap<String, String>> {
        Box::pin(cross_reference::target_ids(
            self.conn(),
            target_collection,
            source_ids,
        ))
    }

    fn source_id<'a>(
        &'a mut self,
        source_collection: &'a str,
        target_id: &'a str,
    ) -> Answer<'a, Option<String>> {
        Box::pin(cross_reference::source_id(
            self.conn(),
            source_collection,
            target_id,
        ))
    }

    fn cross_references_into<'a>(
        &'a mut self,
        target_collection: &'a str,
    ) -> Answer<'a, Vec<CrossReference>> {
        Box::pin(cross_reference::into_collection(
            self.conn(),
            target_collection,
        ))
    }

    fn cross_references_from<'a>(
        &'a mut self,
        source_collection: &'a str,
    ) -> Answer<'a, Vec<CrossReference>> {
        Box::pin(cross_reference::from_collection(
            self.conn(),
            source_collection,
        ))
    }

    fn sources_of<'a>(
        &'a mut self,
        source_collection: &'a str,
        target_collection: &'a str,
        target_id: &'a str,
    ) -> Answer<'a, Vec<(String, Option<String>)>> {
        Box::pin(cross_reference::sources_of(
            self.conn(),
            source_collection,
            target_collection,
            target_id,
        ))
    }

    fn idempotency<'a>(&'a mut self, key: &'a str) -> Answer<'a, Option<IdempotencyRecord>> {
        Box::pin(idempotency::get(self.conn(), key))
    }

    fn put_idempotency<'a>(&'a mut self, record: &'a IdempotencyRecord) -> Answer<'a, ()> {
        Box::pin(idempotency::put(self.conn(), record))
    }

    fn writes_in_flight<'a>(
        &'a mut self,
        pipeline: &'a str,
        before: Option<Timestamp>,
    ) -> Answer<'a, Vec<IdempotencyRecord>> {
        Box::pin(idempotency::in_flight(self.conn(), pipeline, before))
    }

    fn put_in_flight<'a>(&'a mut self, records: &'a [IdempotencyRecord]) -> Answer<'a, ()> {
        Box::pin(idempotency::put_in_flight(self.conn(), records))
    }

    fn settle_writes<'a>(&'a mut self, settled: &'a [SettledWrites]) -> Answer<'a, ()> {
        Box::pin(idempotency::settle(self.conn(), settled))
    }

    fn prune_idempotency(&mut self, cutoff: Timestamp) -> Answer<'_, u64> {
        Box::pin(idempotency::prune(self.conn(), millis(cutoff)))
    }

    fn dead_letter<'a>(
        &'a mut self,
        pipeline: &'a str,
        source_id: &'a str,
        record_json: &'a str,
        error_code: &'a str,
        error_message: &'a str,
    ) -> Answer<'a, i64> {
        Box::pin(dead_letter::put(
            self.conn(),
            pipeline,
            source_id,
            record_json,
            error_code,
            error_message,
        ))
    }

    fn dead_letters<'a>(&'a mut self, filter: &'a DeadLetterFilter) -> Answer<'a, Vec<DeadLetter>> {
        Box::pin(dead_letter::list(self.conn(), filter))
    }

    fn count_dead_letters<'a>(&'a mut self, filter: &'a DeadLetterFilter) -> Answer<'a, u64> {
        Box::pin(dead_letter::count(self.conn(), filter))
    }

    fn dead_letter_by_id(&mut self, id: i64) -> Answer<'_, Option<DeadLetter>> {
        Box::pin(dead_letter::by_id(self.conn(), id))
    }

    fn resolve_dead_letter(&mut self, id: i64) -> Answer<'_, ()> {
        Box::pin(dead_letter::resolve(self.conn(), id))
    }

    fn discard_dead_letter<'a>(&'a mut self, id: i64, reason: &'a str) -> Answer<'a, ()> {
        Box::pin(dead_letter::discard(self.conn(), id, reason))
    }

    fn dead_letter_history(&mut self, id: i64) -> Answer<'_, Vec<DeadLetterStep>> {
        Box::pin(dead_letter::history(self.conn(), id))
    }

    fn resolve_delivered<'a>(
        &'a mut self,
        pipeline: &'a str,
        source_id: &'a str,
    ) -> Answer<'a, u64> {
        Box::pin(dead_letter::resolve_delivered(
            self.conn(),
            pipeline,
            source_id,
        ))
    }

    fn record_alert<'a>(&'a mut self, alert: &'a AlertRecord) -> Answer<'a, i64> {
        Box::pin(alert::put(self.conn(), alert))
    }

    fn last_alert_sent<'a>(&'a mut self, key: &'a str) -> Answer<'a, Option<Timestamp>> {
        Box::pin(alert::last_sent(self.conn(), key))
    }

    fn recent_alerts(&mut self, limit: u32) -> Answer<'_, Vec<AlertRecord>> {
        Box::pin(alert::recent(self.conn(), limit))
    }

    fn record_reconcile<'a>(&'a mut self, record: &'a ReconcileRecord) -> Answer<'a, i64> {
        Box::pin(reconcile_report::put(self.conn(), record))
    }

    fn reconcile_reports(&mut self, limit: u32) -> Answer<'_, Vec<ReconcileRecord>> {
        Box::pin(reconcile_report::recent(self.conn(), limit))
    }

    fn reconcile_report(&mut self, id: i64) -> Answer<'_, Option<ReconcileRecord>> {
        Box::pin(reconcile_report::by_id(self.conn(), id))
    }

    fn last_reconcile_started<'a>(&'a mut self, origin: &'a str) -> Answer<'a, Option<Timestamp>> {
        Box::pin(reconcile_report::last_started(self.conn(), origin))
    }

    fn audit<'a>(&'a mut self, entry: &'a AuditEntry) -> Answer<'a, ()> {
        Box::pin(audit::append(self.conn(), entry))
    }

    fn audit_entries<'a>(&'a mut self, filter: &'a AuditFilter) -> Answer<'a, Vec<AuditEntry>> {
        Box::pin(audit::list(self.conn(), filter))
    }

    fn activity_per_hour(&mut self, since: Timestamp) -> Answer<'_, Vec<HourActivity>> {
        Box::pin(activity::per_hour(self.conn(), since))
    }

    fn records_read(&mut self, since: Timestamp) -> Answer<'_, HashMap<String, u64>> {
        Box::pin(activity::read_per_pipeline(self.conn(), since))
    }

    fn inbox_put<'a>(&'a mut self, event: &'a InboxEvent) -> Answer<'a, InboxPut> {
        Box::pin(inbox::put(self.conn(), event))
    }

    fn inbox_put_many<'a>(&'a mut self, events: &'a [InboxEvent]) -> Answer<'a, Vec<InboxPut>> {
        Box::pin(inbox::put_many(self.conn(), events))
    }

    fn inbox_claim<'a>(
        &'a mut self,
        worker: &'a str,
        limit: u32,
        lease: Duration,
    ) -> Answer<'a, Vec<StoredEvent>> {
        Box::pin(inbox::claim(self.conn(), worker, limit, lease))
    }

    fn inbox_finish<'a>(
        &'a mut self,
        connection: &'a str,
        event_id: &'a str,
        worker: &'a str,
        outcome: &'a InboxOutcome,
    ) -> Answer<'a, bool> {
        Box::pin(inbox::finish(
            self.conn(),
            connection,
            event_id,
            worker,
            outcome,
        ))
    }

    fn write_finished<'a>(
        &'a mut self,
        writes: &'a FinishedEvents,
        worker: &'a str,
    ) -> Answer<'a, Vec<bool>> {
        Box::pin(finished::write(self.conn(), writes, worker))
    }

    fn inbox_event<'a>(
        &'a mut self,
        connection: &'a str,
        event_id: &'a str,
    ) -> Answer<'a, Option<StoredEvent>> {
        Box::pin(inbox::get(self.conn(), connection, event_id))
    }

    fn inbox_stats(&mut self) -> Answer<'_, InboxStats> {
        Box::pin(inbox::stats(self.conn()))
    }

    fn inbox_prune(&mut self, cutoff: Timestamp) -> Answer<'_, u64> {
        Box::pin(inbox::prune_done(self.conn(), millis(cutoff)))
    }

    fn inbox_holders(&mut self) -> Answer<'_, Vec<String>> {
        Box::pin(inbox::holders(self.conn()))
    }

    fn inbox_release<'a>(&'a mut self, worker: &'a str) -> Answer<'a, u64> {
        Box::pin(inbox::release(self.conn(), worker))
    }

    fn object_version<'a>(
        &'a mut self,
        connection: &'a str,
        object_id: &'a str,
    ) -> Answer<'a, Option<ObjectVersion>> {
        Box::pin(object_version::get(self.conn(), connection, object_id))
    }

    fn object_versions<'a>(
        &'a mut self,
        objects: &'a [(&'a str, &'a str)],
    ) -> Answer<'a, Vec<ObjectVersion>> {
        Box::pin(object_version::get_many(self.conn(), objects))
    }

    fn set_object_version<'a>(&'a mut self, version: &'a ObjectVersion) -> Answer<'a, bool> {
        Box::pin(object_version::advance(self.conn(), version))
    }

    fn last_event<'a>(&'a mut self, connection: &'a str) -> Answer<'a, Option<LastEvent>> {
        Box::pin(last_event::get(self.conn(), connection))
    }

    fn set_last_event<'a>(
        &'a mut self,
        connection: &'a str,
        last: &'a LastEvent,
    ) -> Answer<'a, bool> {
        Box::pin(last_event::advance(self.conn(), connection, last))
    }

    fn record_seen<'a>(
        &'a mut self,
        source: &'a str,
        source_id: &'a str,
    ) -> Answer<'a, Option<String>> {
        Box::pin(record_seen::get(self.conn(), source, source_id))
    }

    fn put_record_seen<'a>(
        &'a mut self,
        source: &'a str,
        source_id: &'a str,
        record_json: &'a str,
    ) -> Answer<'a, ()> {
        Box::pin(record_seen::put(
            self.conn(),
            source,
            source_id,
            record_json,
        ))
    }

    fn contains_text<'a>(&'a mut self, needle: &'a str) -> Answer<'a, bool> {
        Box::pin(scan::contains_text(self.conn(), needle))
    }
}
