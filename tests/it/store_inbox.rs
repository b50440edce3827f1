//! The webhook inbox: a duplicate is a no-op, claims are exclusive and ordered, a dead worker's
//! events come back, and nothing put is lost across a restart.

use crate::store_support::TestBackend;
use std::collections::HashSet;
use std::time::Duration;

use ferry::store::{
    FinishedEvents, InboxEvent, InboxOutcome, InboxPut, InboxState, InboxStats, LastEvent,
    ObjectVersion, Store, StoredEvent,
};
use jiff::Timestamp;

const LEASE: Duration = Duration::from_secs(60);

fn event(event_id: &str, created: i64) -> InboxEvent {
    InboxEvent {
        connection: "stripe".into(),
        event_id: event_id.into(),
        event_type: "charge.succeeded".into(),
        created,
        body: format!(r#"{{"id":"{event_id}","created":{created}}}"#),
        received_at: now_in_millis(),
        object_key: None,
    }
}

/// The store keeps milliseconds, so events made here compare equal once read back.
fn now_in_millis() -> Timestamp {
    Timestamp::from_millisecond(Timestamp::now().as_millisecond()).unwrap()
}

fn ids(claimed: &[StoredEvent]) -> Vec<&str> {
    claimed
        .iter()
        .map(|stored| stored.event.event_id.as_str())
        .collect()
}

/// Finishes a `stripe` event; whether the worker still held it.
async fn finish(store: &Store, event_id: &str, worker: &str, outcome: &InboxOutcome) -> bool {
    store
        .inbox_finish("stripe", event_id, worker, outcome)
        .await
        .unwrap()
}

async fn stored(store: &Store, event_id: &str) -> StoredEvent {
    store
        .inbox_event("stripe", event_id)
        .await
        .unwrap()
        .unwrap()
}

fn url_in(dir: &tempfile::TempDir) -> String {
    format!("sqlite://{}/state.db", dir.path().display())
}

async fn a_duplicate_put_changes_nothing(backend: TestBackend) {
    let store = backend.open().await;
    let first = event("evt_1", 100);
    assert_eq!(store.inbox_put(&first).await.unwrap(), InboxPut::Inserted);
    let mut again = event("evt_1", 999);
    again.body = "{}".into();
    again.event_type = "charge.refunded".into();
    assert_eq!(store.inbox_put(&again).await.unwrap(), InboxPut::Duplicate);

    let stored = stored(&store, "evt_1").await;
    assert_eq!(stored.event, first);
    assert_eq!(stored.state, InboxState::Pending);
    assert_eq!(stored.attempts, 0);
    assert_eq!(store.inbox_stats().await.unwrap().pending, 1);
}

async fn the_same_id_on_another_connection_is_another_event(backend: TestBackend) {
    let store = backend.open().await;
    store.inbox_put(&event("evt_1", 100)).await.unwrap();
    let mut other = event("evt_1", 100);
    other.connection = "stripe_au".into();
    assert_eq!(store.inbox_put(&other).await.unwrap(), InboxPut::Inserted);
    assert_eq!(store.inbox_stats().await.unwrap().pending, 2);
}

async fn put_many_reports_each_event_and_keeps_duplicates_out(backend: TestBackend) {
    let store = backend.open().await;
    store.inbox_put(&event("evt_1", 100)).await.unwrap();
    let outcomes = store
        .inbox_put_many(&[
            event("evt_1", 100),
            event("evt_2", 101),
            event("evt_2", 101),
        ])
        .await
        .unwrap();
    assert_eq!(
        outcomes,
        vec![InboxPut::Duplicate, InboxPut::Inserted, InboxPut::Duplicate]
    );
    assert!(store.inbox_put_many(&[]).await.unwrap().is_empty());
    assert_eq!(store.inbox_stats().await.unwrap().pending, 2);
}

async fn put_many_keeps_nothing_when_one_event_is_refused(backend: TestBackend) {
    let store = backend.open().await;
    // An empty id breaks the schema's CHECK after the first event was written.
    let result = store
        .inbox_put_many(&[event("evt_1", 100), event("", 101)])
        .await;
    assert!(result.is_err());
    assert_eq!(store.inbox_event("stripe", "evt_1").await.unwrap(), None);
    assert_eq!(store.inbox_stats().await.unwrap(), InboxStats::default());
}

async fn claims_take_the_oldest_created_first_then_received_order(backend: TestBackend) {
    let store = backend.open().await;
    store
        .inbox_put_many(&[
            event("evt_late", 300),
            event("evt_b", 200),
            event("evt_early", 100),
            event("evt_a", 200),
        ])
        .await
        .unwrap();

    let first = store.inbox_claim("w1", 3, LEASE).await.unwrap();
    assert_eq!(ids(&first), ["evt_early", "evt_b", "evt_a"]);
    for stored in &first {
        assert_eq!(stored.state, InboxState::Processing);
        assert_eq!(stored.attempts, 1);
        assert_eq!(stored.claimed_by.as_deref(), Some("w1"));
        assert!(stored.lease_until.unwrap() > Timestamp::now());
    }
    let rest = store.inbox_claim("w2", 3, LEASE).await.unwrap();
    assert_eq!(ids(&rest), ["evt_late"]);
    assert!(store.inbox_claim("w3", 3, LEASE).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_claimers_never_share_an_event() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&url_in(&dir)).await.unwrap();
    let events: Vec<InboxEvent> = (0..200).map(|n| event(&format!("evt_{n}"), n)).collect();
    store.inbox_put_many(&events).await.unwrap();

    let mut workers = Vec::new();
    for worker in 0..8 {
        let store = store.clone();
        workers.push(tokio::spawn(async move {
            let name = format!("w{worker}");
            let mut mine = Vec::new();
            loop {
                let claimed = store.inbox_claim(&name, 7, LEASE).await.unwrap();
                if claimed.is_empty() {
                    return mine;
                }
                mine.extend(claimed.into_iter().map(|stored| stored.event.event_id));
                tokio::task::yield_now().await;
            }
        }));
    }
    let mut seen = HashSet::new();
    let mut total = 0;
    for worker in workers {
        for id in worker.await.unwrap() {
            total += 1;
            assert!(seen.insert(id.clone()), "{id} was claimed twice");
        }
    }
    assert_eq!(total, 200);
    let stats = store.inbox_stats().await.unwrap();
    assert_eq!((stats.pending, stats.processing), (0, 200));
}

async fn an_expired_lease_is_claimed_again(backend: TestBackend) {
    let store = backend.open().await;
    store.inbox_put(&event("evt_1", 100)).await.unwrap();
    let first = store
        .inbox_claim("crashed", 10, Duration::from_millis(1))
        .await
        .unwrap();
    assert_eq!(ids(&first), ["evt_1"]);
    tokio::time::sleep(Duration::from_millis(20)).await;

    let again = store.inbox_claim("w2", 10, LEASE).await.unwrap();
    assert_eq!(ids(&again), ["evt_1"]);
    assert_eq!(again[0].attempts, 2);
    assert_eq!(again[0].claimed_by.as_deref(), Some("w2"));
    // The worker that lost its lease can no longer finish the event.
    assert!(!finish(&store, "evt_1", "crashed", &InboxOutcome::Done).await);
    assert!(finish(&store, "evt_1", "w2", &InboxOutcome::Done).await);
}

async fn a_held_lease_is_not_claimed_again(backend: TestBackend) {
    let store = backend.open().await;
    store.inbox_put(&event("evt_1", 100)).await.unwrap();
    assert_eq!(store.inbox_claim("w1", 10, LEASE).await.unwrap().len(), 1);
    assert!(store.inbox_claim("w2", 10, LEASE).await.unwrap().is_empty());
}

async fn done_records_when_and_is_never_claimed_again(backend: TestBackend) {
    let store = backend.open().await;
    store.inbox_put(&event("evt_1", 100)).await.unwrap();
    store.inbox_claim("w1", 10, LEASE).await.unwrap();
    let before = now_in_millis();
    assert!(finish(&store, "evt_1", "w1", &InboxOutcome::Done).await);
    let stored = stored(&store, "evt_1").await;
    assert_eq!(stored.state, InboxState::Done);
    assert!(stored.processed_at.unwrap() >= before);
    assert_eq!((stored.claimed_by, stored.lease_until), (None, None));
    // Finishing twice is refused, and a redelivery stays a duplicate.
    assert!(!finish(&store, "evt_1", "w1", &InboxOutcome::Done).await);
    assert_eq!(
        store.inbox_put(&event("evt_1", 100)).await.unwrap(),
        InboxPut::Duplicate
    );
    assert!(store.inbox_claim("w1", 10, LEASE).await.unwrap().is_empty());
}

async fn failed_is_kept_with_its_error_and_not_claimed_again(backend: TestBackend) {
    let store = backend.open().await;
    store.inbox_put(&event("evt_1", 100)).await.unwrap();
    store.inbox_claim("w1", 10, LEASE).await.unwrap();
    let failed = InboxOutcome::Failed {
        error: "E0700 customer not synced yet".into(),
    };
    assert!(finish(&store, "evt_1", "w1", &failed).await);
    let stored = stored(&store, "evt_1").await;
    assert_eq!(stored.state, InboxState::Failed);
    assert_eq!(
        stored.last_error.as_deref(),
        Some("E0700 customer not synced yet")
    );
    assert_eq!(stored.processed_at, None);
    assert!(store.inbox_claim("w1", 10, LEASE).await.unwrap().is_empty());
}

async fn retry_waits_for_not_before_then_counts_another_attempt(backend: TestBackend) {
    let store = backend.open().await;
    store.inbox_put(&event("evt_1", 100)).await.unwrap();
    store.inbox_put(&event("evt_2", 200)).await.unwrap();
    store.inbox_claim("w1", 1, LEASE).await.unwrap();
    let later = InboxOutcome::Retry {
        error: "503 from Business Central".into(),
        not_before: Timestamp::now() + Duration::from_secs(3600),
    };
    assert!(finish(&store, "evt_1", "w1", &later).await);
    let stored = stored(&store, "evt_1").await;
    assert_eq!(stored.state, InboxState::Pending);
    assert_eq!(
        stored.last_error.as_deref(),
        Some("503 from Business Central")
    );
    // Not yet due: the next claim skips it for the younger event.
    assert_eq!(
        ids(&store.inbox_claim("w1", 10, LEASE).await.unwrap()),
        ["evt_2"]
    );

    assert!(finish(&store, "evt_2", "w1", &InboxOutcome::Done).await);
    store.inbox_put(&event("evt_3", 300)).await.unwrap();
    store.inbox_claim("w1", 1, LEASE).await.unwrap();
    let now = InboxOutcome::Retry {
        error: "timeout".into(),
        not_before: Timestamp::now(),
    };
    assert!(finish(&store, "evt_3", "w1", &now).await);
    let again = store.inbox_claim("w1", 10, LEASE).await.unwrap();
    assert_eq!(ids(&again), ["evt_3"]);
    assert_eq!(again[0].attempts, 2);
    assert_eq!(again[0].not_before, None);
}

async fn stats_count_each_state_and_the_oldest_pending(backend: TestBackend) {
    let store = backend.open().await;
    assert_eq!(store.inbox_stats().await.unwrap(), InboxStats::default());
    let mut oldest = event("evt_1", 400);
    oldest.received_at = Timestamp::from_second(1_700_000_000).unwrap();
    let mut newer = event("evt_2", 300);
    newer.received_at = Timestamp::from_second(1_700_000_100).unwrap();
    store
        .inbox_put_many(&[
            oldest,
            newer,
            event("evt_3", 100),
            event("evt_4", 200),
            event("evt_5", 50),
        ])
        .await
        .unwrap();
    // Claims evt_5, evt_3 and evt_4 (the oldest created).
    store.inbox_claim("w1", 3, LEASE).await.unwrap();
    assert!(finish(&store, "evt_5", "w1", &InboxOutcome::Done).await);
    let failed = InboxOutcome::Failed {
        error: "bad".into(),
    };
    assert!(finish(&store, "evt_3", "w1", &failed).await);

    let stats = store.inbox_stats().await.unwrap();
    assert_eq!(
        stats,
        InboxStats {
            pending: 2,
            processing: 1,
            failed: 1,
            oldest_pending_received_at: Some(Timestamp::from_second(1_700_000_000).unwrap()),
        }
    );
}

async fn object_version_only_moves_forward(backend: TestBackend) {
    let store = backend.open().await;
    assert_eq!(store.object_version("stripe", "cus_1").await.unwrap(), None);

    let mut batch = store.begin().await.unwrap();
    let newer = ObjectVersion::new("stripe", "cus_1", 200, "evt_new");
    assert!(batch.set_object_version(&newer).await.unwrap());
    let older = ObjectVersion::new("stripe", "cus_1", 100, "evt_old");
    assert!(!batch.set_object_version(&older).await.unwrap());
    assert_eq!(
        batch.object_version("stripe", "cus_1").await.unwrap(),
        Some(newer.clone())
    );
    batch.commit().await.unwrap();
    assert_eq!(
        store.object_version("stripe", "cus_1").await.unwrap(),
        Some(newer)
    );

    // Events of the same second cannot be ordered, so an equal version is not skipped.
    let mut batch = store.begin().await.unwrap();
    let same_second = ObjectVersion::new("stripe", "cus_1", 200, "evt_same");
    assert!(batch.set_object_version(&same_second).await.unwrap());
    let newest = ObjectVersion::new("stripe", "cus_1", 300, "evt_newest");
    assert!(batch.set_object_version(&newest).await.unwrap());
    // Another object, and the same object on another connection, are apart.
    let other = ObjectVersion::new("stripe_au", "cus_1", 1, "evt_au");
    assert!(batch.set_object_version(&other).await.unwrap());
    batch.commit().await.unwrap();
    assert_eq!(
        store.object_version("stripe", "cus_1").await.unwrap(),
        Some(newest)
    );
    assert_eq!(
        store.object_version("stripe_au", "cus_1").await.unwrap(),
        Some(other)
    );
}

async fn a_rolled_back_batch_keeps_the_event_claimed_and_the_version_unmoved(backend: TestBackend) {
    let store = backend.open().await;
    store.inbox_put(&event("evt_1", 100)).await.unwrap();
    store.inbox_claim("w1", 1, LEASE).await.unwrap();
    let mut batch = store.begin().await.unwrap();
    let version = ObjectVersion::new("stripe", "ch_1", 100, "evt_1");
    assert!(batch.set_object_version(&version).await.unwrap());
    assert!(
        batch
            .inbox_finish("stripe", "evt_1", "w1", &InboxOutcome::Done)
            .await
            .unwrap()
    );
    batch.rollback().await.unwrap();

    let stored = stored(&store, "evt_1").await;
    assert_eq!(stored.state, InboxState::Processing);
    assert_eq!(store.object_version("stripe", "ch_1").await.unwrap(), None);
}

async fn last_event_moves_forward_only(backend: TestBackend) {
    let store = backend.open().await;
    assert_eq!(store.last_event("stripe").await.unwrap(), None);
    let at = |event_id: &str, created| LastEvent {
        event_id: event_id.into(),
        created,
    };
    assert!(
        store
            .set_last_event("stripe", &at("evt_2", 200))
            .await
            .unwrap()
    );
    assert!(
        !store
            .set_last_event("stripe", &at("evt_1", 100))
            .await
            .unwrap()
    );
    assert_eq!(
        store.last_event("stripe").await.unwrap(),
        Some(at("evt_2", 200))
    );
    let mut batch = store.begin().await.unwrap();
    assert!(
        batch
            .set_last_event("stripe", &at("evt_3", 300))
            .await
            .unwrap()
    );
    batch.commit().await.unwrap();
    assert_eq!(
        store.last_event("stripe").await.unwrap(),
        Some(at("evt_3", 300))
    );
    assert_eq!(store.last_event("stripe_au").await.unwrap(), None);
}

async fn everything_survives_closing_and_reopening_the_file(backend: TestBackend) {
    let url = backend.url();
    {
        let store = Store::open(&url).await.unwrap();
        store.inbox_put(&event("evt_1", 100)).await.unwrap();
        store
            .inbox_put_many(&[event("evt_2", 200), event("evt_3", 300)])
            .await
            .unwrap();
        // A worker claims evt_1 and dies with the lease held.
        store
            .inbox_claim("crashed", 1, Duration::from_millis(1))
            .await
            .unwrap();
        let mut batch = store.begin().await.unwrap();
        batch
            .set_object_version(&ObjectVersion::new("stripe", "ch_1", 100, "evt_0"))
            .await
            .unwrap();
        batch
            .set_last_event(
                "stripe",
                &LastEvent {
                    event_id: "evt_3".into(),
                    created: 300,
                },
            )
            .await
            .unwrap();
        batch.commit().await.unwrap();
        store.close().await;
    }
    tokio::time::sleep(Duration::from_millis(20)).await;

    let store = Store::open(&url).await.unwrap();
    assert_eq!(
        store.inbox_put(&event("evt_2", 200)).await.unwrap(),
        InboxPut::Duplicate
    );
    let claimed = store.inbox_claim("w1", 10, LEASE).await.unwrap();
    assert_eq!(ids(&claimed), ["evt_1", "evt_2", "evt_3"]);
    assert_eq!(claimed[0].attempts, 2);
    assert_eq!(claimed[1].event.body, event("evt_2", 200).body);
    assert_eq!(
        store.object_version("stripe", "ch_1").await.unwrap(),
        Some(ObjectVersion::new("stripe", "ch_1", 100, "evt_0"))
    );
    assert_eq!(
        store
            .last_event("stripe")
            .await
            .unwrap()
            .map(|last| last.created),
        Some(300)
    );
}

/// A worker's writes that finish a `stripe` event as done.
fn finishing(event_id: &str) -> FinishedEvents {
    FinishedEvents {
        outcomes: vec![("stripe".into(), event_id.into(), InboxOutcome::Done)],
        ..FinishedEvents::default()
    }
}

async fn a_worker_finishes_its_events_and_claims_the_next_in_one_call(backend: TestBackend) {
    let store = backend.open().await;
    for (id, created) in [("evt_1", 100), ("evt_2", 200), ("evt_3", 300)] {
        store.inbox_put(&event(id, created)).await.unwrap();
    }
    assert_eq!(
        ids(&store.inbox_claim("w1", 1, LEASE).await.unwrap()),
        ["evt_1"]
    );

    let writes = finishing("evt_1");
    let finished = store
        .finish_and_claim(writes, "w1", 2, LEASE)
        .await
        .unwrap();
    assert_eq!(finished.held, [true]);
    assert_eq!(ids(&finished.claimed), ["evt_2", "evt_3"]);
    assert_eq!(stored(&store, "evt_1").await.state, InboxState::Done);

    // Another worker's outcome for an event it does not hold is not recorded.
    let stolen = finishing("evt_2");
    let finished = store
        .finish_and_claim(stolen, "w2", 0, LEASE)
        .await
        .unwrap();
    assert_eq!(finished.held, [false]);
    assert!(finished.claimed.is_empty());
    assert_eq!(stored(&store, "evt_2").await.state, InboxState::Processing);
}

async fn writes_made_at_one_moment_succeed_or_fail_each_on_its_own(backend: TestBackend) {
    let store = backend.open().await;
    store.inbox_put(&event("evt_held", 50)).await.unwrap();
    store.inbox_claim("w1", 1, LEASE).await.unwrap();

    let good = event("evt_good", 100);
    // An empty id breaks the schema's CHECK: that event is refused, and only that one.
    let refused = event("", 101);
    let writes = finishing("evt_held");
    let (good_put, refused_put, finished) = tokio::join!(
        store.inbox_put(&good),
        store.inbox_put(&refused),
        store.finish_and_claim(writes, "w1", 0, LEASE),
    );
    assert_eq!(good_put.unwrap(), InboxPut::Inserted);
    assert!(refused_put.is_err());
    assert_eq!(finished.unwrap().held, [true]);
    assert_eq!(stored(&store, "evt_good").await.state, InboxState::Pending);
    assert_eq!(stored(&store, "evt_held").await.state, InboxState::Done);
}

async fn object_versions_are_read_together_by_connection_and_id(backend: TestBackend) {
    let store = backend.open().await;
    let kept = [
        ObjectVersion::new("stripe", "cus_1", 100, "evt_1"),
        ObjectVersion::new("stripe", "cus_2", 200, "evt_2"),
        ObjectVersion::new("other", "cus_1", 300, "evt_3"),
    ];
    let mut batch = store.begin().await.unwrap();
    for version in &kept {
        assert!(batch.set_object_version(version).await.unwrap());
    }
    batch.commit().await.unwrap();

    let mut found = store
        .object_versions(&[("stripe", "cus_1"), ("other", "cus_1"), ("stripe", "cus_9")])
        .await
        .unwrap();
    found.sort_by_key(|version| version.version);
    assert_eq!(found, [kept[0].clone(), kept[2].clone()]);
    assert!(store.object_versions(&[]).await.unwrap().is_empty());

    // More objects than one statement takes.
    let many: Vec<(String, String)> = (0..1200)
        .map(|n| ("stripe".to_string(), format!("cus_{n}")))
        .collect();
    let asked: Vec<(&str, &str)> = many.iter().map(|(c, o)| (c.as_str(), o.as_str())).collect();
    assert_eq!(store.object_versions(&asked).await.unwrap().len(), 2);
}

async fn a_refused_event_does_not_refuse_the_events_stored_beside_it(backend: TestBackend) {
    let store = backend.open().await;
    let (first, refused, second) = (event("evt_a", 100), event("", 101), event("evt_b", 102));
    let (first, refused, second) = tokio::join!(
        store.inbox_put(&first),
        store.inbox_put(&refused),
        store.inbox_put(&second),
    );
    assert_eq!(first.unwrap(), InboxPut::Inserted);
    assert!(refused.is_err());
    assert_eq!(second.unwrap(), InboxPut::Inserted);
    assert_eq!(store.inbox_stats().await.unwrap().pending, 2);
}

crate::on_every_backend!(
    a_duplicate_put_changes_nothing,
    the_same_id_on_another_connection_is_another_event,
    put_many_reports_each_event_and_keeps_duplicates_out,
    put_many_keeps_nothing_when_one_event_is_refused,
    claims_take_the_oldest_created_first_then_received_order,
    an_expired_lease_is_claimed_again,
    a_held_lease_is_not_claimed_again,
    done_records_when_and_is_never_claimed_again,
    failed_is_kept_with_its_error_and_not_claimed_again,
    retry_waits_for_not_before_then_counts_another_attempt,
    stats_count_each_state_and_the_oldest_pending,
    object_version_only_moves_forward,
    a_rolled_back_batch_keeps_the_event_claimed_and_the_version_unmoved,
    last_event_moves_forward_only,
    everything_survives_closing_and_reopening_the_file,
    a_worker_finishes_its_events_and_claims_the_next_in_one_call,
    writes_made_at_one_moment_succeed_or_fail_each_on_its_own,
    object_versions_are_read_together_by_connection_and_id,
    a_refused_event_does_not_refuse_the_events_stored_beside_it,
);
