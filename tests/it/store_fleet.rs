//! What several `ferry serve` processes on one store rely on: a claim never hands out an event
//! whose object another worker holds (events of one object are processed one at a time, in
//! order, whoever claims them), and a lease on scheduled work has one holder until it runs out.

use crate::store_support::TestBackend;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ferry::store::{FinishedEvents, InboxEvent, InboxOutcome, Store, StoredEvent};
use jiff::Timestamp;

const LEASE: Duration = Duration::from_secs(60);

fn event(event_id: &str, object: &str, created: i64) -> InboxEvent {
    InboxEvent {
        connection: "stripe".into(),
        event_id: event_id.into(),
        event_type: "customer.updated".into(),
        created,
        body: format!(r#"{{"id":"{event_id}","data":{{"object":{{"id":"{object}"}}}}}}"#),
        received_at: Timestamp::now(),
        object_key: Some(format!("stripe/{object}")),
    }
}

fn ids(claimed: &[StoredEvent]) -> Vec<&str> {
    claimed
        .iter()
        .map(|stored| stored.event.event_id.as_str())
        .collect()
}

async fn done(store: &Store, event_id: &str, worker: &str) {
    let held = store
        .inbox_finish("stripe", event_id, worker, &InboxOutcome::Done)
        .await
        .unwrap();
    assert!(held, "{worker} no longer held {event_id}");
}

async fn an_object_held_by_one_worker_is_passed_over_by_the_others(backend: TestBackend) {
    let store = backend.open().await;
    for put in [
        event("evt_k1", "cus_k", 100),
        event("evt_k2", "cus_k", 200),
        event("evt_l1", "cus_l", 150),
    ] {
        store.inbox_put(&put).await.unwrap();
    }
    let first = store.inbox_claim("a", 1, LEASE).await.unwrap();
    assert_eq!(ids(&first), ["evt_k1"]);
    let second = store.inbox_claim("b", 10, LEASE).await.unwrap();
    assert_eq!(
        ids(&second),
        ["evt_l1"],
        "cus_k is held by a: its later event waits"
    );
    assert!(store.inbox_claim("c", 10, LEASE).await.unwrap().is_empty());
    done(&store, "evt_k1", "a").await;
    let third = store.inbox_claim("c", 10, LEASE).await.unwrap();
    assert_eq!(ids(&third), ["evt_k2"], "cus_k is free once a finished");
}

async fn an_object_whose_lease_ran_out_is_free_again(backend: TestBackend) {
    let store = backend.open().await;
    store
        .inbox_put(&event("evt_k1", "cus_k", 100))
        .await
        .unwrap();
    store
        .inbox_put(&event("evt_k2", "cus_k", 200))
        .await
        .unwrap();
    // a claims the first and dies: its lease runs out at once.
    let dead = store.inbox_claim("a", 1, Duration::ZERO).await.unwrap();
    assert_eq!(ids(&dead), ["evt_k1"]);
    tokio::time::sleep(Duration::from_millis(5)).await;
    let taken = store.inbox_claim("b", 10, LEASE).await.unwrap();
    assert_eq!(ids(&taken), ["evt_k1", "evt_k2"]);
}

async fn an_event_without_an_object_is_never_held_back(backend: TestBackend) {
    let store = backend.open().await;
    let mut first = event("evt_1", "cus_k", 100);
    first.object_key = None;
    let mut second = event("evt_2", "cus_k", 200);
    second.object_key = None;
    store.inbox_put(&first).await.unwrap();
    store.inbox_put(&second).await.unwrap();
    assert_eq!(
        ids(&store.inbox_claim("a", 1, LEASE).await.unwrap()),
        ["evt_1"]
    );
    assert_eq!(
        ids(&store.inbox_claim("b", 1, LEASE).await.unwrap()),
        ["evt_2"]
    );
}

/// Which worker holds which object right now, and the events each object went through.
#[derive(Default)]
struct Holding {
    by_object: HashMap<String, String>,
    processed: HashMap<String, Vec<i64>>,
}

/// Claims, "processes" (notes the object held, waits a moment) and finishes until the inbox is
/// empty; half the claimers finish in the writer's group transaction with their next claim.
async fn claim_until_empty(store: Store, worker: String, holding: Arc<Mutex<Holding>>) -> usize {
    let grouped = worker.ends_with('1') || worker.ends_with('3');
    let mut claimed = store.inbox_claim(&worker, 3, LEASE).await.unwrap();
    let mut handled = 0;
    let mut idle = 0;
    loop {
        if claimed.is_empty() {
            idle += 1;
            if idle > 50 {
                return handled;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
            claimed = store.inbox_claim(&worker, 3, LEASE).await.unwrap();
            continue;
        }
        idle = 0;
        {
            let mut holding = holding.lock().unwrap();
            for stored in &claimed {
                let object = stored.event.object_key.clone().unwrap();
                if let Some(other) = holding.by_object.get(&object)
                    && *other != worker
                {
                    panic!("{worker} claimed an event of {object}, which {other} holds");
                }
                holding.by_object.insert(object.clone(), worker.clone());
                holding
                    .processed
                    .entry(object)
                    .or_default()
                    .push(stored.event.created);
            }
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
        {
            // Let go before finishing: once the finish commits, another claim may take them.
            let mut holding = holding.lock().unwrap();
            for stored in &claimed {
                holding
                    .by_object
                    .remove(stored.event.object_key.as_deref().unwrap());
            }
        }
        handled += claimed.len();
        if grouped {
            let writes = FinishedEvents {
                outcomes: claimed
                    .iter()
                    .map(|stored| {
                        let id = stored.event.event_id.clone();
                        ("stripe".to_string(), id, InboxOutcome::Done)
                    })
                    .collect(),
                ..FinishedEvents::default()
            };
            let finished = store
                .finish_and_claim(writes, &worker, 3, LEASE)
                .await
                .unwrap();
            assert!(finished.held.iter().all(|held| *held));
            claimed = finished.claimed;
        } else {
            for stored in &claimed {
                done(&store, &stored.event.event_id, &worker).await;
            }
            claimed = store.inbox_claim(&worker, 3, LEASE).await.unwrap();
        }
    }
}

async fn racing_claimers_never_hold_one_object_at_once(backend: TestBackend) {
    let store = backend.open().await;
    let objects = 12;
    let per_object = 8;
    let mut events = Vec::new();
    for n in 0..per_object {
        for object in 0..objects {
            let created = 1_000 + n * 10 + object;
            events.push(event(
                &format!("evt_{object}_{n}"),
                &format!("cus_{object}"),
                created,
            ));
        }
    }
    store.inbox_put_many(&events).await.unwrap();
    let holding = Arc::new(Mutex::new(Holding::default()));
    let claimers: Vec<_> = (0..4)
        .map(|n| {
            tokio::spawn(claim_until_empty(
                store.clone(),
                format!("worker-{n}"),
                holding.clone(),
            ))
        })
        .collect();
    let mut handled = 0;
    for claimer in claimers {
        handled += claimer.await.unwrap();
    }
    assert_eq!(handled as i64, objects * per_object, "each event once");
    assert_eq!(store.inbox_stats().await.unwrap().pending, 0);
    let holding = holding.lock().unwrap();
    for (object, created) in &holding.processed {
        let mut sorted = created.clone();
        sorted.sort_unstable();
        assert_eq!(created, &sorted, "{object}'s events out of order");
    }
}

async fn a_lease_has_one_holder_until_it_runs_out(backend: TestBackend) {
    let store = backend.open().await;
    let minute = Duration::from_secs(60);
    assert!(
        store
            .try_lease("catch_up", "a", minute, None)
            .await
            .unwrap()
    );
    assert!(
        !store
            .try_lease("catch_up", "b", minute, None)
            .await
            .unwrap()
    );
    assert!(
        store
            .try_lease("catch_up", "a", minute, None)
            .await
            .unwrap(),
        "its holder renews it"
    );
    assert!(
        store.try_lease("prune", "b", minute, None).await.unwrap(),
        "another lease is another name"
    );
    store.release_lease("catch_up", "b").await.unwrap();
    assert_eq!(
        store.lease_holder("catch_up").await.unwrap().as_deref(),
        Some("a"),
        "only its holder gives a lease back"
    );
    assert!(
        store
            .try_lease("catch_up", "b", minute, Some("a"))
            .await
            .unwrap(),
        "a holder known to be gone is replaced"
    );
    assert!(
        !store
            .try_lease("catch_up", "a", minute, None)
            .await
            .unwrap()
    );
    store.release_lease("catch_up", "b").await.unwrap();
    assert_eq!(store.lease_holder("catch_up").await.unwrap(), None);

    assert!(
        store
            .try_lease("reconcile", "a", Duration::ZERO, None)
            .await
            .unwrap()
    );
    tokio::time::sleep(Duration::from_millis(5)).await;
    assert!(
        store
            .try_lease("reconcile", "b", minute, None)
            .await
            .unwrap(),
        "a lease that ran out is free"
    );
}

async fn racing_takers_of_a_free_lease_make_one_holder(backend: TestBackend) {
    let store = backend.open().await;
    let takers: Vec<_> = (0..8)
        .map(|n| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .try_lease("subscribe", &format!("p{n}"), Duration::from_secs(60), None)
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut won = 0;
    for taker in takers {
        won += usize::from(taker.await.unwrap());
    }
    assert_eq!(won, 1);
}

crate::on_every_backend!(
    an_object_held_by_one_worker_is_passed_over_by_the_others,
    an_object_whose_lease_ran_out_is_free_again,
    an_event_without_an_object_is_never_held_back,
    racing_claimers_never_hold_one_object_at_once,
    a_lease_has_one_holder_until_it_runs_out,
    racing_takers_of_a_free_lease_make_one_holder,
);
