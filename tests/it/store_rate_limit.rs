//! The fleet-wide request budget: on PostgreSQL, processes reserving slots from one key keep
//! its pace together; SQLite keeps no budget (each process paces alone).

use std::time::{Duration, Instant};

use crate::store_support::TestBackend;
use ferry::store::Store;

/// Stripe's test-mode limit: 25 requests a second, one every 40 ms, no burst.
const LIMIT: usize = 25;
const INTERVAL: Duration = Duration::from_millis(40);
/// How long the reservers keep asking.
const BUSY: Duration = Duration::from_secs(2);
async fn a_fleet_budget_keeps_its_pace_across_processes(backend: TestBackend) {
    let first = backend.open().await;
    if backend.name() == "sqlite" {
        let kept = first
            .reserve_request("stripe:abc", INTERVAL, Duration::ZERO)
            .await
            .unwrap();
        assert_eq!(kept, None, "SQLite keeps no fleet-wide budget");
        return;
    }
    // Four processes (a store each, as four `ferry run`s open), two requests in flight each.
    let mut stores = vec![first];
    for _ in 1..4 {
        stores.push(backend.open().await);
    }
    let started = Instant::now();
    let mut reservers = Vec::new();
    for store in &stores {
        for _ in 0..2 {
            reservers.push(tokio::spawn(reserve_until(store.clone(), started + BUSY)));
        }
    }
    let mut slots: Vec<Slot> = Vec::new();
    for reserver in reservers {
        slots.extend(reserver.await.unwrap());
    }
    let busiest = most_certainly_in_one_second(&slots);
    assert!(
        busiest <= LIMIT,
        "{busiest} slots certainly in one second, over the limit of {LIMIT}"
    );
    let in_busy_period = slots.len();
    let expected = LIMIT * BUSY.as_secs() as usize;
    eprintln!(
        "{in_busy_period} slots in {BUSY:?} (limit {expected}), at most {busiest} certainly in a second"
    );
    assert!(
        in_busy_period * 100 >= expected * 95,
        "{in_busy_period} slots in {BUSY:?}, under 95% of {expected}"
    );
}

/// When a slot is, as far as its reserver can tell: the server read its clock between the
/// reservation's question and its answer, and the slot is the wait after that.
#[derive(Debug, Clone, Copy)]
struct Slot {
    earliest: Instant,
    latest: Instant,
}

/// Reserves slots one after another until one may fall past `until`, waiting for each as a
/// request would.
async fn reserve_until(store: Store, until: Instant) -> Vec<Slot> {
    let mut slots = Vec::new();
    loop {
        let asked = Instant::now();
        let wait = store
            .reserve_request("stripe:fleet", INTERVAL, Duration::ZERO)
            .await
            .unwrap()
            .expect("PostgreSQL keeps a fleet-wide budget");
        let answered = Instant::now();
        let slot = Slot {
            earliest: asked + wait,
            latest: answered + wait,
        };
        if slot.latest >= until {
            return slots;
        }
        slots.push(slot);
        tokio::time::sleep_until(slot.latest.into()).await;
    }
}

/// The most slots that certainly fall within one second: for each slot as the earliest, the
/// others whose latest time is less than a second after its earliest. A round trip slowed by a
/// busy machine widens a slot's bounds, so this never counts more than there were.
fn most_certainly_in_one_second(slots: &[Slot]) -> usize {
    slots
        .iter()
        .map(|first| {
            let window_end = first.earliest + Duration::from_secs(1);
            slots
                .iter()
                .filter(|slot| slot.earliest >= first.earliest && slot.latest < window_end)
                .count()
        })
        .max()
        .unwrap_or(0)
}

async fn an_idle_budget_allows_its_burst_and_keys_are_apart(backend: TestBackend) {
    if backend.name() == "sqlite" {
        return;
    }
    let store = backend.open().await;
    let interval = Duration::from_secs(10);
    // A burst of three: a tolerance of two intervals.
    let tolerance = 2 * interval;
    let mut waits = Vec::new();
    for _ in 0..4 {
        let wait = store
            .reserve_request("capsule:abc", interval, tolerance)
            .await
            .unwrap()
            .unwrap();
        waits.push(wait);
    }
    assert_eq!(&waits[..3], &[Duration::ZERO; 3], "the burst goes at once");
    assert!(
        waits[3] > Duration::from_secs(9) && waits[3] <= interval,
        "the fourth waits one interval: {:?}",
        waits[3]
    );
    let other = store
        .reserve_request("capsule:def", interval, Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(
        other,
        Some(Duration::ZERO),
        "another key has its own budget"
    );
}

crate::on_every_backend!(
    a_fleet_budget_keeps_its_pace_across_processes,
    an_idle_budget_allows_its_burst_and_keys_are_apart,
);
