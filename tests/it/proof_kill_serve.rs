//! Proof 1b: `ferry serve` killed with SIGKILL at random moments while signed `customer.created`
//! events keep arriving, restarted after each kill: every event it acknowledged is processed
//! exactly once (one Business Central customer, one audit entry, the inbox row `done`). A sender
//! that gets no 2xx sends again later, as Stripe does. Catch-up from `/v1/events` is off, so
//! nothing but the acknowledged deliveries can explain the effects.
//!
//! Size: `FERRY_PROOF_EVENTS` events and `FERRY_PROOF_KILLS` kills (CI: 1,000 and 3;
//! `scripts/proof.sh`: 10,000 and 20).

use crate::proof_support;
use crate::run_support;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use proof_support::deliveries::{Deliveries, all_acknowledged, send, senders_done};
use proof_support::{
    Report, count, ferry, free_port, read_store, serve_args, size, tail, terminate, wait_healthy,
    wait_inbox_drained,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use run_support::*;
use serde_json::Value;

const PIPELINE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/pipelines/stripe_customers_to_business_central.ferry"
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_killed_at_random_moments_processes_each_acknowledged_event_once() {
    let size = size();
    let mut report = Report::new("kill: ferry serve");
    let world = unlimited_world().await;
    for n in 0..size.events {
        world
            .stripe_post(
                "/v1/customers",
                &format!("email=buyer{n}%40example.com&name=Buyer+{n}"),
            )
            .await;
    }
    let mut events: Vec<Value> = world.stripe.objects("event");
    events.reverse();
    assert_eq!(events.len() as u64, size.events);
    let deliveries = Arc::new(Mutex::new(Deliveries::default()));
    {
        let mut deliveries = deliveries.lock().unwrap();
        for event in &events {
            let id = event["id"].as_str().unwrap().to_string();
            deliveries.queue.push_back((id, event.to_string()));
        }
    }

    let project = unlimited_project(&world);
    let dir = world.dir.path();
    let log = dir.join("serve.log");
    let bind = free_port();
    let base = format!("http://{bind}");
    let args = serve_args(&project, &[PIPELINE], bind);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut rng = StdRng::seed_from_u64(size.seed);

    let mut child = ferry(dir, &args, &log);
    wait_healthy(&base, &mut child, &log).await;
    let url = format!("{base}/webhooks/stripe/stripe");
    let senders: Vec<_> = (0..4)
        .map(|n| {
            tokio::spawn(send(
                vec![url.clone()],
                deliveries.clone(),
                size.seed.wrapping_add(n),
            ))
        })
        .collect();

    // Kill n once about n/(kills+1) of the events are acknowledged, a random moment later.
    let mut at_kills = Vec::new();
    for kill in 1..=size.kills {
        let target = size.events * kill / (size.kills + 1);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                panic!(
                    "kill {kill}: ferry serve exited on its own ({status})\n{}",
                    tail(&log, 30)
                );
            }
            if deliveries.lock().unwrap().acknowledged.len() as u64 >= target {
                break;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        tokio::time::sleep(Duration::from_micros(rng.random_range(0..30_000))).await;
        assert!(
            child.try_wait().unwrap().is_none(),
            "kill {kill}: ferry serve had already exited\n{}",
            tail(&log, 30)
        );
        child.start_kill().unwrap();
        child.wait().await.unwrap();
        let acknowledged = deliveries.lock().unwrap().acknowledged.len();
        eprintln!("kill {kill}: SIGKILL with {acknowledged} events acknowledged");
        at_kills.push(acknowledged);
        // Down for a moment: senders meet a closed port and keep their events.
        tokio::time::sleep(Duration::from_millis(rng.random_range(0..200))).await;
        child = ferry(dir, &args, &log);
        wait_healthy(&base, &mut child, &log).await;
    }
    let started = std::time::Instant::now();
    senders_done(senders).await;

    eprintln!(
        "all acknowledged {:?} after the last restart",
        started.elapsed()
    );
    // Wait for the inbox to drain, then stop ferry serve and read what it left.
    let store_path = dir.join("state.db");
    wait_inbox_drained(&store_path, &log).await;
    eprintln!("drained {:?} after the last restart", started.elapsed());
    // The last stop is a service manager's: SIGTERM, answered by a clean shutdown.
    terminate(&mut child, &log).await;

    let deliveries = all_acknowledged(&deliveries, &events);

    let store = read_store(&store_path).await;
    let inbox: Vec<(String, String, i64)> =
        sqlx::query_as("SELECT event_id, state, attempts FROM inbox WHERE connection = 'stripe'")
            .fetch_all(&store)
            .await
            .unwrap();
    let mut states = BTreeMap::new();
    for (event_id, state, _) in &inbox {
        assert!(
            states.insert(event_id.clone(), state.clone()).is_none(),
            "{event_id} is in the inbox twice"
        );
    }
    for id in &deliveries.acknowledged {
        assert_eq!(
            states.get(id).map(String::as_str),
            Some("done"),
            "acknowledged event {id} was not processed (lost by a kill?)"
        );
    }

    // One Business Central customer per Stripe customer, created once.
    let customers = world.business_central("customers").await;
    let mut by_email: BTreeMap<String, usize> = BTreeMap::new();
    for customer in &customers {
        if let Some(email) = customer["email"].as_str()
            && email.starts_with("buyer")
        {
            *by_email.entry(email.to_string()).or_default() += 1;
        }
    }
    for n in 0..size.events {
        let email = format!("buyer{n}@example.com");
        assert_eq!(
            by_email.get(&email),
            Some(&1),
            "{email}: Business Central holds {:?} customers",
            by_email.get(&email)
        );
    }
    let creates: Vec<(String, i64)> = sqlx::query_as(
        "SELECT source_id, count(*) FROM audit_log WHERE operation = 'create' GROUP BY source_id",
    )
    .fetch_all(&store)
    .await
    .unwrap();
    assert_eq!(
        creates.len() as u64,
        size.events,
        "a customer's create is not audited"
    );
    let twice: Vec<_> = creates.iter().filter(|(_, n)| *n > 1).collect();
    assert!(twice.is_empty(), "audited twice: {twice:?}");
    let links = count(
        &store,
        "SELECT count(*) FROM cross_references WHERE source_collection = 'stripe.customers' \
         AND target_collection = 'business_central.customers'",
    )
    .await;
    assert_eq!(links as u64, size.events);
    let letters = count(&store, "SELECT count(*) FROM dead_letters").await;
    assert_eq!(letters, 0, "dead letters after the kills");

    report
        .figure("events", size.events)
        .figure("kills", size.kills)
        .figure("acknowledged_at_each_kill", at_kills)
        .figure("deliveries_refused_or_cut", deliveries.refused)
        .figure(
            "inbox_done",
            states.values().filter(|s| *s == "done").count(),
        )
        .figure("business_central_customers", by_email.len())
        .passed();
}
