//! Proof 3: webhook chaos against `ferry serve`. Real `customer.created` and `customer.updated`
//! events from the Stripe emulator arrive shuffled, 10% of them twice, among forged signatures
//! (5%), stale timestamps (2%), bodies over 1 MiB and bodies that are not JSON (1% each); halfway
//! through, ferry serve is killed and started again. Every valid event is processed once, the
//! newest state of each customer wins whatever the order, and every invalid request gets its
//! status code without reaching the inbox.
//!
//! Size: `FERRY_PROOF_EVENTS` valid events (CI: 1,000; `scripts/proof.sh`: 10,000).

use crate::proof_support;
use crate::run_support;

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ferry::connectors::stripe::signature::sign;
use ferry::project::Secret;
use proof_support::{
    Report, count, ferry, free_port, read_store, serve_args, size, tail, wait_healthy,
    wait_inbox_drained,
};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use run_support::serve::WEBHOOK_SECRET;
use run_support::*;
use serde_json::{Value, json};

const PIPELINE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/pipelines/stripe_customers_to_business_central.ferry"
);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Valid,
    Duplicate,
    BadSignature,
    Stale,
    Oversized,
    NotJson,
}

impl Kind {
    fn expected_status(self) -> u16 {
        match self {
            Kind::Valid | Kind::Duplicate => 200,
            Kind::BadSignature | Kind::Stale | Kind::NotJson => 400,
            Kind::Oversized => 413,
        }
    }
}

struct Request {
    kind: Kind,
    label: String,
    body: String,
    /// Seconds before now to sign at.
    age: i64,
    secret: &'static str,
}

#[derive(Default)]
struct Outcomes {
    queue: VecDeque<Request>,
    answered: u64,
    retried: u64,
    /// (kind, status) -> count
    statuses: BTreeMap<(Kind, u16), u64>,
    wrong: Vec<String>,
}

async fn send(url: String, outcomes: Arc<Mutex<Outcomes>>) {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    loop {
        let next = outcomes.lock().unwrap().queue.pop_front();
        let Some(request) = next else { return };
        let at = jiff::Timestamp::now().as_second() - request.age;
        let header = sign(request.body.as_bytes(), &Secret::new(request.secret), at);
        let answer = client
            .post(&url)
            .header("content-type", "application/json")
            .header("stripe-signature", header)
            .body(request.body.clone())
            .send()
            .await;
        let status = answer.as_ref().ok().map(|r| r.status().as_u16());
        {
            let mut outcomes = outcomes.lock().unwrap();
            match status {
                // No answer, or a restart under way: as Stripe would, send it again later.
                None | Some(503) => {
                    outcomes.retried += 1;
                    outcomes.queue.push_back(request);
                }
                Some(status) => {
                    outcomes.answered += 1;
                    *outcomes.statuses.entry((request.kind, status)).or_default() += 1;
                    if status != request.kind.expected_status() {
                        outcomes.wrong.push(format!(
                            "{:?} {}: {status}, expected {}",
                            request.kind,
                            request.label,
                            request.kind.expected_status()
                        ));
                    }
                }
            }
        }
        let retry = status.is_none();
        if retry {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// A customer event that no Stripe account sent.
fn forged_event(id: &str) -> String {
    json!({
        "id": id, "object": "event", "type": "customer.created", "created": 1_700_000_000,
        "api_version": "2024-06-20", "livemode": false, "pending_webhooks": 1,
        "data": {"object": {"id": format!("cus_{id}"), "object": "customer", "email": format!("{id}@forged.example"), "name": "Forged"}},
    })
    .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chaos_leaves_each_valid_event_one_effect_and_each_invalid_request_its_status() {
    let size = size();
    let mut report = Report::new("webhook chaos");
    let mut rng = StdRng::seed_from_u64(size.seed);
    let world = unlimited_world().await;

    // Valid events: about 70% customers created, the rest renames of some of them.
    let creates = (size.events * 7 / 10).max(1);
    let mut ids = Vec::new();
    for n in 0..creates {
        let customer = world
            .stripe_post(
                "/v1/customers",
                &format!("email=chaos{n}%40example.com&name=First+{n}"),
            )
            .await;
        ids.push(customer["id"].as_str().unwrap().to_string());
    }
    for k in 0..(size.events - creates) {
        let id = &ids[rng.random_range(0..ids.len())];
        world
            .stripe_post(&format!("/v1/customers/{id}"), &format!("name=Renamed+{k}"))
            .await;
    }
    let events = world.stripe.objects("event");
    assert_eq!(events.len() as u64, size.events);

    let mut requests = Vec::new();
    for event in &events {
        let id = event["id"].as_str().unwrap().to_string();
        let valid = |kind| Request {
            kind,
            label: id.clone(),
            body: event.to_string(),
            age: 0,
            secret: WEBHOOK_SECRET,
        };
        requests.push(valid(Kind::Valid));
        if rng.random_bool(0.10) {
            requests.push(valid(Kind::Duplicate));
        }
    }
    let share = |rate: f64| ((size.events as f64) * rate).ceil() as u64;
    for k in 0..share(0.05) {
        let label = format!("evt_forged_{k}");
        requests.push(Request {
            kind: Kind::BadSignature,
            body: forged_event(&label),
            label,
            age: 0,
            secret: "whsec_not_the_secret",
        });
    }
    for k in 0..share(0.02) {
        let label = format!("evt_stale_{k}");
        requests.push(Request {
            kind: Kind::Stale,
            body: forged_event(&label),
            label,
            age: 301 + rng.random_range(0..3_600),
            secret: WEBHOOK_SECRET,
        });
    }
    for k in 0..share(0.01) {
        let label = format!("evt_oversized_{k}");
        let mut event: Value = serde_json::from_str(&forged_event(&label)).unwrap();
        event["data"]["object"]["description"] = Value::from("x".repeat(1024 * 1024 + 1));
        requests.push(Request {
            kind: Kind::Oversized,
            body: event.to_string(),
            label,
            age: 0,
            secret: WEBHOOK_SECRET,
        });
    }
    for k in 0..share(0.01) {
        let label = format!("evt_not_json_{k}");
        let body = format!(
            "{{\"id\": \"{label}\", \"object\": \"event\", \"type\": \"customer.created\","
        );
        requests.push(Request {
            kind: Kind::NotJson,
            body,
            label,
            age: 0,
            secret: WEBHOOK_SECRET,
        });
    }
    requests.shuffle(&mut rng);
    let total_requests = requests.len() as u64;
    let outcomes = Arc::new(Mutex::new(Outcomes {
        queue: requests.into(),
        ..Outcomes::default()
    }));

    let project = unlimited_project(&world);
    let dir = world.dir.path();
    let log = dir.join("serve.log");
    let bind = free_port();
    let base = format!("http://{bind}");
    let args = serve_args(&project, &[PIPELINE], bind);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut child = ferry(dir, &args, &log);
    wait_healthy(&base, &mut child, &log).await;
    let url = format!("{base}/webhooks/stripe/stripe");
    let senders: Vec<_> = (0..8)
        .map(|_| tokio::spawn(send(url.clone(), outcomes.clone())))
        .collect();

    // Halfway: SIGKILL, then start again.
    loop {
        if outcomes.lock().unwrap().answered >= total_requests / 2 {
            break;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "ferry serve exited\n{}",
            tail(&log, 30)
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    child.start_kill().unwrap();
    child.wait().await.unwrap();
    let answered_at_kill = outcomes.lock().unwrap().answered;
    child = ferry(dir, &args, &log);
    wait_healthy(&base, &mut child, &log).await;
    for sender in senders {
        tokio::time::timeout(Duration::from_secs(600), sender)
            .await
            .expect("the senders did not finish within 10 minutes")
            .unwrap();
    }

    let store_path = dir.join("state.db");
    wait_inbox_drained(&store_path, &log).await;
    child.start_kill().unwrap();
    child.wait().await.unwrap();

    let outcomes = std::mem::take(&mut *outcomes.lock().unwrap());
    assert!(
        outcomes.wrong.is_empty(),
        "wrong answers:\n{}",
        outcomes.wrong.join("\n")
    );
    assert_eq!(
        outcomes.answered, total_requests,
        "a request never got an answer"
    );

    // The inbox: every valid event once, done; nothing invalid.
    let store = read_store(&store_path).await;
    let inbox: Vec<(String, String)> = sqlx::query_as("SELECT event_id, state FROM inbox")
        .fetch_all(&store)
        .await
        .unwrap();
    let stored: BTreeSet<&str> = inbox.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(stored.len(), inbox.len(), "an event is in the inbox twice");
    let valid: BTreeSet<&str> = events.iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(
        stored, valid,
        "the inbox holds other events than the valid ones"
    );
    assert!(inbox.iter().all(|(_, state)| state == "done"));

    // Business Central: one customer per Stripe customer, with its newest name.
    let held = proof_support::deliveries::assert_newest_names(&world).await;
    assert!(
        held.keys().all(|email| !email.ends_with("forged.example")),
        "a forged event had an effect"
    );
    let creates_audited = count(
        &store,
        "SELECT count(*) FROM audit_log WHERE operation = 'create'",
    )
    .await;
    assert_eq!(creates_audited as u64, creates, "creates audited");
    let letters = count(&store, "SELECT count(*) FROM dead_letters").await;
    assert_eq!(letters, 0, "dead letters");

    let mut by_kind = serde_json::Map::new();
    for ((kind, status), n) in &outcomes.statuses {
        by_kind.insert(format!("{kind:?} {status}"), Value::from(*n));
    }
    report
        .figure("valid_events", size.events)
        .figure("requests", total_requests)
        .figure("answers", Value::Object(by_kind))
        .figure("answered_before_the_kill", answered_at_kill)
        .figure("sent_again_after_no_answer", outcomes.retried)
        .figure(
            "business_central_customers",
            world.stripe.objects("customer").len(),
        )
        .passed();
}
