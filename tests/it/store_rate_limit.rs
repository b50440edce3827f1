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
/// How precisely a slot's time is known from outside: the middle of the reservation's round
/// trip plus the wait it was told, against the server's exact slots.
const ESTIMATE: Duration = Duration::from_millis(5);

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
    let mut slots: Vec<Instant> = Vec::new();
    for reserver in reservers {
        slots.extend(reserver.await.unwrap());
    }
    slots.sort();
    let busiest = slots
        .iter()
        .map(|from| {
            let until = *from + Duration::from_secs(1) - ESTIMATE;
            slots
                .iter()
                .filter(|at| *at >= from && **at < until)
                .count()
        })
        .max()
        .unwrap_or(0);
    assert!(
        busiest <= LIMIT,
        "{busiest} slots in one second, over the limit of {LIMIT}"
    );
    let in_busy_period = slots.iter().filter(|at| **at < started + BUSY).count();
    let expected = LIMIT * BUSY.as_secs() as usize;
    eprintln!(
        "{in_busy_period} slots in {BUSY:?} (limit {expected}), at most {busiest} in a second"
    );
    assert!(
        in_busy_period * 100 >= expected * 95,
        "{in_busy_period} slots in {BUSY:?}, under 95% of {expected}"
    );
}

/// Reserves slots one after another until one falls past `until`, waiting for each as a
/// request would; the estimated time of each slot.
async fn reserve_until(store: Store, until: Instant) -> Vec<Instant> {
    let mut slots = Vec::new();
    loop {
        let asked = Instant::now();
        let wait = store
            .reserve_request("stripe:fleet", INTERVAL, Duration::ZERO)
            .await
            .unwrap()
            .expect("PostgreSQL keeps a fleet-wide budget");
        let answered = Instant::now();
        let slot = asked + (answered - asked) / 2 + wait;
        if slot >= until {
            return slots;
        }
        slots.push(slot);
        tokio::time::sleep_until((answered + wait).into()).await;
    }
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
