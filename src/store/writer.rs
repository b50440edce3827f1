//! Group commit for the writes many tasks make at once: webhook events to acknowledge, writes
//! about to be sent (in flight), and workers' finished events with their next claim. One writer
//! task stores everything that arrived meanwhile in one transaction (one disk flush), then
//! answers each caller. SQLite has one writer and a flush takes milliseconds, so a flush per
//! caller would make acknowledgements and workers wait on each other's flushes.
//!
//! If the shared transaction fails, each kind of request is written again on its own, so one
//! caller's failure is never another's.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use super::{
    FinishedEvents, IdempotencyRecord, InboxEvent, InboxPut, InboxState, Store, StoreError,
    StoredEvent,
};

/// Requests taken into one transaction at most.
const MAX_GROUP: usize = 512;

/// A caller's answer. One failed transaction answers many callers, so they share its error.
type Reply<T> = oneshot::Sender<Result<T, Arc<StoreError>>>;

/// A worker's finished events, written with its next claim.
pub(super) struct Finish {
    pub writes: FinishedEvents,
    pub worker: String,
    /// Events to claim for `worker` in the same transaction (0: none), and for how long.
    pub claim: u32,
    pub lease: Duration,
}

/// What [`Finish`] came to: for each outcome, whether the worker still held its event, and the
/// events claimed.
pub struct Finished {
    pub held: Vec<bool>,
    pub claimed: Vec<StoredEvent>,
}

enum Request {
    Inbox(InboxEvent, Reply<InboxPut>),
    InFlight(IdempotencyRecord, Reply<()>),
    Finish(Box<(Finish, Reply<Finished>)>),
}

/// The writer's handle; cheap to clone.
#[derive(Clone)]
pub(super) struct Writer {
    /// One writer task per kind of request ([`Lane`]) where the database lets transactions
    /// write side by side (PostgreSQL); one for all where it has a single writer (SQLite).
    lanes: Vec<mpsc::Sender<Request>>,
}

/// The writer task a request goes to, where there is one per kind: acknowledgements then
/// never wait for a worker's larger transaction (a dozen statements, each a round trip to the
/// server), nor a write about to be sent for the events being acknowledged.
#[derive(Clone, Copy)]
enum Lane {
    Inbox = 0,
    InFlight = 1,
    Finish = 2,
}

impl Writer {
    /// Starts the writer tasks on `store` (a handle without a writer of its own); they stop
    /// when every handle is dropped.
    pub(super) fn start(store: Store) -> Self {
        let count = if store.shared() { 3 } else { 1 };
        let lanes = (0..count)
            .map(|_| {
                let (sender, receiver) = mpsc::channel(4 * MAX_GROUP);
                tokio::spawn(write_groups(store.clone(), receiver));
                sender
            })
            .collect();
        Writer { lanes }
    }

    /// Stores a webhook event in the inbox durably.
    pub(super) async fn inbox_put(&self, event: InboxEvent) -> Result<InboxPut, StoreError> {
        self.ask(|reply| Request::Inbox(event, reply)).await
    }

    /// Records a write about to be sent, durably.
    pub(super) async fn put_in_flight(&self, record: IdempotencyRecord) -> Result<(), StoreError> {
        self.ask(|reply| Request::InFlight(record, reply)).await
    }

    /// Writes a worker's finished events and claims its next ones.
    pub(super) async fn finish(&self, finish: Finish) -> Result<Finished, StoreError> {
        self.ask(|reply| Request::Finish(Box::new((finish, reply))))
            .await
    }

    async fn ask<T>(&self, request: impl FnOnce(Reply<T>) -> Request) -> Result<T, StoreError> {
        let (reply, answer) = oneshot::channel();
        let request = request(reply);
        let lane = match &request {
            Request::Inbox(..) => Lane::Inbox,
            Request::InFlight(..) => Lane::InFlight,
            Request::Finish(..) => Lane::Finish,
        };
        let sender = self
            .lanes
            .get(lane as usize)
            .or(self.lanes.first())
            .ok_or(StoreError::WriterStopped)?;
        sender
            .send(request)
            .await
            .map_err(|_| StoreError::WriterStopped)?;
        answer
            .await
            .map_err(|_| StoreError::WriterStopped)?
            .map_err(StoreError::Shared)
    }
}

/// A group's requests, by kind, each with its reply.
#[derive(Default)]
struct Group {
    events: Vec<InboxEvent>,
    event_replies: Vec<Reply<InboxPut>>,
    records: Vec<IdempotencyRecord>,
    record_replies: Vec<Reply<()>>,
    finishes: Vec<(Finish, Reply<Finished>)>,
}

impl Group {
    fn of(requests: impl Iterator<Item = Request>) -> Self {
        let mut group = Group::default();
        for request in requests {
            match request {
                Request::Inbox(event, reply) => {
                    group.events.push(event);
                    group.event_replies.push(reply);
                }
                Request::InFlight(record, reply) => {
                    group.records.push(record);
                    group.record_replies.push(reply);
                }
                Request::Finish(finish) => group.finishes.push(*finish),
            }
        }
        group
    }
}

async fn write_groups(store: Store, mut receiver: mpsc::Receiver<Request>) {
    let mut requests = Vec::with_capacity(MAX_GROUP);
    while receiver.recv_many(&mut requests, MAX_GROUP).await > 0 {
        let group = Group::of(requests.drain(..));
        let finishes: Vec<&Finish> = group.finishes.iter().map(|(finish, _)| finish).collect();
        match write(&store, &group.events, &group.records, &finishes).await {
            Ok((puts, finished)) => answer(
                group,
                puts.into_iter().map(Ok).collect(),
                Ok(()),
                finished.into_iter().map(Ok).collect(),
            ),
            Err(_) => write_apart(&store, group).await,
        }
    }
}

/// Writes each kind of request in a transaction of its own, each worker's apart, and the
/// events together or, if that fails, each apart.
async fn write_apart(store: &Store, group: Group) {
    let error = Arc::new;
    let puts = match write(store, &group.events, &[], &[]).await {
        Ok((puts, _)) => puts.into_iter().map(Ok).collect(),
        Err(together) if group.events.len() == 1 => vec![Err(error(together))],
        Err(_) => {
            let mut puts = Vec::with_capacity(group.events.len());
            for event in &group.events {
                let put = write(store, std::slice::from_ref(event), &[], &[]).await;
                puts.push(put.map(|(mut puts, _)| puts.remove(0)).map_err(error));
            }
            puts
        }
    };
    let records = write(store, &[], &group.records, &[]).await;
    let mut finished = Vec::with_capacity(group.finishes.len());
    for (finish, _) in &group.finishes {
        finished.push(write_finish_again(store, finish).await.map_err(error));
    }
    answer(group, puts, records.map(|_| ()).map_err(error), finished);
}

/// Writes a worker's finish on its own, after its group failed, unless the worker no longer
/// holds its events. A server may have kept a group whose commit answer was lost (the
/// connection cut as it committed): its events are then `done`, and writing their cross
/// references and audit entries again would audit each write twice. The finish is then
/// answered as not held, and nothing is written.
async fn write_finish_again(store: &Store, finish: &Finish) -> Result<Finished, StoreError> {
    if let Some((connection, event_id, _)) = finish.writes.outcomes.first() {
        let stored = store.inbox_event(connection, event_id).await?;
        let held = stored.is_some_and(|stored| {
            stored.state == InboxState::Processing
                && stored.claimed_by.as_deref() == Some(finish.worker.as_str())
        });
        if !held {
            return Ok(Finished {
                held: vec![false; finish.writes.outcomes.len()],
                claimed: Vec::new(),
            });
        }
    }
    let (_, mut done) = write(store, &[], &[], &[finish]).await?;
    Ok(done.remove(0))
}

/// Writes `events`, `records` and `finishes` in one transaction.
pub(super) async fn write(
    store: &Store,
    events: &[InboxEvent],
    records: &[IdempotencyRecord],
    finishes: &[&Finish],
) -> Result<(Vec<InboxPut>, Vec<Finished>), StoreError> {
    if events.is_empty() && records.is_empty() && finishes.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    if store.shared() && finishes.is_empty() && (events.is_empty() || records.is_empty()) {
        // Alone in its lane, the group is one statement, a transaction of its own: BEGIN and
        // COMMIT would be two more round trips for an acknowledgement to wait for.
        let mut connection = store.writer().await?;
        if !records.is_empty() {
            connection.put_in_flight(records).await?;
            return Ok((Vec::new(), Vec::new()));
        }
        return Ok((connection.inbox_put_many(events).await?, Vec::new()));
    }
    let mut batch = store.begin().await?;
    if !records.is_empty() {
        batch.put_in_flight(records).await?;
    }
    let puts = if events.is_empty() {
        Vec::new()
    } else {
        batch.inbox_put_many(events).await?
    };
    let mut held = Vec::with_capacity(finishes.len());
    for finish in finishes {
        held.push(batch.write_finished(&finish.writes, &finish.worker).await?);
    }
    // Claims come last: a backend whose claims take turns (PostgreSQL) then holds the turn
    // only for the claims and the commit, never while it waits for a row another transaction
    // writes; and each claim sees every object the group just let go of.
    let mut finished = Vec::with_capacity(finishes.len());
    for (finish, held) in finishes.iter().zip(held) {
        let claimed = if finish.claim > 0 {
            batch
                .inbox_claim(&finish.worker, finish.claim, finish.lease)
                .await?
        } else {
            Vec::new()
        };
        finished.push(Finished { held, claimed });
    }
    batch.commit().await?;
    Ok((puts, finished))
}

fn answer(
    group: Group,
    puts: Vec<Result<InboxPut, Arc<StoreError>>>,
    records: Result<(), Arc<StoreError>>,
    finished: Vec<Result<Finished, Arc<StoreError>>>,
) {
    for (reply, put) in group.event_replies.into_iter().zip(puts) {
        let _ = reply.send(put);
    }
    for reply in group.record_replies {
        let _ = reply.send(records.clone());
    }
    for ((_, reply), one) in group.finishes.into_iter().zip(finished) {
        let _ = reply.send(one);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{AuditEntry, AuditFilter, InboxOutcome, Operation};

    async fn claimed_event(store: &Store, event_id: &str) -> Finish {
        let event = InboxEvent {
            connection: "stripe".into(),
            event_id: event_id.into(),
            event_type: "customer.updated".into(),
            created: 1_700_000_000,
            body: "{}".into(),
            received_at: jiff::Timestamp::now(),
            object_key: None,
        };
        store.inbox_put(&event).await.unwrap();
        let worker = "host/pid1/worker-0".to_string();
        let claimed = store
            .inbox_claim(&worker, 1, Duration::from_secs(120))
            .await
            .unwrap();
        assert_eq!(claimed.len(), 1);
        let mut writes = FinishedEvents::default();
        writes.audit.push(AuditEntry {
            pipeline: "customers".into(),
            pipeline_version: "v1".into(),
            source_id: event_id.into(),
            target: "file.record".into(),
            target_id: Some(format!("line-{event_id}")),
            operation: Operation::Create,
            fields_changed: Vec::new(),
            at: jiff::Timestamp::now(),
        });
        writes
            .outcomes
            .push(("stripe".into(), event_id.into(), InboxOutcome::Done));
        Finish {
            writes,
            worker,
            claim: 0,
            lease: Duration::ZERO,
        }
    }

    async fn audited(store: &Store) -> usize {
        store
            .audit_entries(&AuditFilter::default())
            .await
            .unwrap()
            .len()
    }

    #[tokio::test]
    async fn a_finish_whose_group_was_kept_after_all_is_not_written_again() {
        let store = Store::open("sqlite::memory:").await.unwrap();
        let finish = claimed_event(&store, "evt_1").await;
        // The group's commit was kept, though its caller saw an error (its answer was lost).
        write(&store, &[], &[], &[&finish]).await.unwrap();
        assert_eq!(audited(&store).await, 1);

        let again = write_finish_again(&store, &finish).await.unwrap();

        assert_eq!(again.held, vec![false]);
        assert_eq!(audited(&store).await, 1, "the write is audited once");
    }

    #[tokio::test]
    async fn a_finish_whose_group_failed_is_written_on_its_own() {
        let store = Store::open("sqlite::memory:").await.unwrap();
        let finish = claimed_event(&store, "evt_2").await;

        let again = write_finish_again(&store, &finish).await.unwrap();

        assert_eq!(again.held, vec![true]);
        assert_eq!(audited(&store).await, 1);
        let stored = store.inbox_event("stripe", "evt_2").await.unwrap().unwrap();
        assert_eq!(stored.state, InboxState::Done);
    }
}
