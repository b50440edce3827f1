//! `ferry serve` against the emulators: signed Stripe events are stored before they are
//! acknowledged and processed once; bad requests get the right status; an event acknowledged
//! just before a shutdown is processed after the restart.

use crate::run_support;
use crate::store_support::TestBackend;

use std::net::SocketAddr;
use std::time::Duration;

use ferry::connectors::stripe::signature;
use ferry::project::Secret;
use ferry::runtime::{Runner, Workspace};
use ferry::server::{self, App, ServeOptions, ServerHandle};
use ferry::store::Store;
use run_support::serve::{linked_customer, wait_done};
use run_support::*;
use serde_json::Value;

const CHARGES_TO_ORDERS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/pipelines/stripe_charges_to_business_central.ferry"
);
const SECRET: &str = "whsec_test_e2e";

async fn serve(world: &World, backend: &TestBackend, workers: usize) -> (ServerHandle, Store) {
    serve_with(world, backend, workers, |yaml| yaml).await
}

/// As [`serve`], with the project file changed by `edit` first.
async fn serve_with(
    world: &World,
    backend: &TestBackend,
    workers: usize,
    edit: impl Fn(String) -> String,
) -> (ServerHandle, Store) {
    let project = world.project_on(1000, backend);
    let yaml = std::fs::read_to_string(&project).unwrap();
    std::fs::write(&project, edit(yaml)).unwrap();
    let workspace = Workspace::open(Some(&project), None).unwrap();
    let jobs = workspace.jobs(&[CHARGES_TO_ORDERS.to_string()]).unwrap();
    let store = workspace.store().await.unwrap();
    let connectors = workspace.connectors(&jobs, None, &store).unwrap();
    let runner = Runner::new(store.clone(), connectors, workspace.secrets());
    let options = ServeOptions {
        bind: SocketAddr::from(([127, 0, 0, 1], 0)),
        workers,
        catch_up_every: None,
        ..ServeOptions::default()
    };
    let app = App::new(store.clone(), runner, jobs, &workspace.environment, options);
    (server::start(app).await.unwrap(), store)
}

async fn stripe(world: &World, method: reqwest::Method, path: &str, form: &str) -> Value {
    reqwest::Client::new()
        .request(method, format!("{}/stripe{path}", world.base))
        .bearer_auth("sk_test_e2e")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.to_string())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// A customer synced to Business Central and one charge; its event.
async fn charge_event(world: &World, store: &Store, amount: u32) -> Value {
    let customer = linked_customer(world, store).await;
    charge(world, &customer, amount).await
}

/// A charge of `customer`; its `charge.succeeded` event.
async fn charge(world: &World, customer: &str, amount: u32) -> Value {
    stripe(
        world,
        reqwest::Method::POST,
        "/v1/sandbox/charges",
        &format!("amount={amount}&currency=aud&customer={customer}"),
    )
    .await;
    let events = stripe(
        world,
        reqwest::Method::GET,
        "/v1/events?type=charge.succeeded&limit=1",
        "",
    )
    .await;
    events["data"][0].clone()
}

async fn post(base: &str, body: &[u8], header: Option<String>) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .post(format!("{base}/webhooks/stripe/stripe"))
        .header("content-type", "application/json")
        .body(body.to_vec());
    if let Some(header) = header {
        request = request.header("Stripe-Signature", header);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

fn signed(body: &[u8], at: i64) -> Option<String> {
    Some(signature::sign(body, &Secret::new(SECRET), at))
}

fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

async fn a_signed_event_is_stored_acknowledged_and_processed_once(backend: TestBackend) {
    let world = world_seeded(None, None, Some(7)).await;
    let (handle, store) = serve(&world, &backend, 2).await;
    let base = format!("http://{}", handle.local_addr);
    let event = charge_event(&world, &store, 1250).await;
    let body = serde_json::to_vec(&event).unwrap();

    let (status, answer) = post(&base, &body, signed(&body, now())).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["received"], true);
    let id = event["id"].as_str().unwrap();
    assert!(
        store.inbox_event("stripe", id).await.unwrap().is_some(),
        "stored before the answer"
    );
    wait_done(&store, "stripe", id).await;

    // Redelivered twice: no second effect.
    for _ in 0..2 {
        let (status, answer) = post(&base, &body, signed(&body, now())).await;
        assert_eq!((status, &answer["duplicate"]), (200, &Value::Bool(true)));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(world.business_central_orders().await.len(), 1);

    let health = reqwest::get(format!("{base}/healthz")).await.unwrap();
    assert_eq!(health.status(), 200);
    let ready: Value = reqwest::get(format!("{base}/readyz"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["ready"], true);
    let metrics = reqwest::get(format!("{base}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("ferry_events_received_total"), "{metrics}");
    assert!(metrics.contains("ferry_inbox_pending"), "{metrics}");
    handle.shutdown().await;
}

/// What is sent, how, and the status and error code expected.
type BadRequest = (&'static str, Vec<u8>, Option<String>, u16, &'static str);

async fn bad_requests_get_the_right_status_and_nothing_is_stored(backend: TestBackend) {
    let world = world_seeded(None, None, Some(7)).await;
    let (handle, store) = serve(&world, &backend, 1).await;
    let base = format!("http://{}", handle.local_addr);
    let event = charge_event(&world, &store, 990).await;
    let body = serde_json::to_vec(&event).unwrap();
    let other = Secret::new("whsec_someone_else");

    let cases: Vec<BadRequest> = vec![
        ("no header", body.clone(), None, 400, "signature_missing"),
        (
            "wrong secret",
            body.clone(),
            Some(signature::sign(&body, &other, now())),
            400,
            "signature_mismatch",
        ),
        (
            "stale",
            body.clone(),
            signed(&body, now() - 400),
            400,
            "signature_too_old",
        ),
        (
            "no v1",
            body.clone(),
            Some(format!("t={}", now())),
            400,
            "signature_no_v1",
        ),
        (
            "not JSON",
            b"not json".to_vec(),
            signed(b"not json", now()),
            400,
            "not_an_event",
        ),
    ];
    for (what, payload, header, status, code) in cases {
        let (got, answer) = post(&base, &payload, header).await;
        assert_eq!(got, status, "{what}: {answer}");
        assert_eq!(answer["error"]["code"], code, "{what}: {answer}");
    }
    let huge = vec![b' '; 2 * 1024 * 1024];
    let (got, _) = post(&base, &huge, signed(&huge, now())).await;
    assert_eq!(got, 413);

    let unhandled = serde_json::json!({"id": "evt_unhandled", "object": "event", "type": "product.created", "created": now(), "data": {"object": {}}});
    let unhandled = serde_json::to_vec(&unhandled).unwrap();
    let (got, answer) = post(&base, &unhandled, signed(&unhandled, now())).await;
    assert_eq!((got, &answer["handled"]), (200, &Value::Bool(false)));
    assert!(
        store
            .inbox_event("stripe", "evt_unhandled")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .inbox_event("stripe", event["id"].as_str().unwrap())
            .await
            .unwrap()
            .is_none()
    );
    handle.shutdown().await;
}

async fn an_event_acknowledged_before_a_shutdown_is_processed_after_the_restart(
    backend: TestBackend,
) {
    let world = world_seeded(None, None, Some(7)).await;
    // No workers: the event is acknowledged and stored, not processed.
    let (handle, store) = serve(&world, &backend, 0).await;
    let base = format!("http://{}", handle.local_addr);
    let event = charge_event(&world, &store, 43000).await;
    let body = serde_json::to_vec(&event).unwrap();
    let (status, _) = post(&base, &body, signed(&body, now())).await;
    assert_eq!(status, 200);
    handle.shutdown().await;
    store.close().await;
    assert!(world.business_central_orders().await.is_empty());

    let (handle, store) = serve(&world, &backend, 2).await;
    wait_done(&store, "stripe", event["id"].as_str().unwrap()).await;
    assert_eq!(world.business_central_orders().await.len(), 1);
    handle.shutdown().await;
}

async fn an_event_of_another_api_version_is_dead_lettered_with_the_reason(backend: TestBackend) {
    let world = world_seeded(None, None, Some(7)).await;
    let (handle, store) = serve_with(&world, &backend, 1, |yaml| {
        yaml.replace(
            "webhook_secret: whsec_test_e2e\n",
            "webhook_secret: whsec_test_e2e\n    api_version: 2022-04-12\n",
        )
    })
    .await;
    let base = format!("http://{}", handle.local_addr);
    let mut event = charge_event(&world, &store, 700).await;
    event["api_version"] = Value::from("2099-01-01");
    let body = serde_json::to_vec(&event).unwrap();
    let (status, _) = post(&base, &body, signed(&body, now())).await;
    assert_eq!(status, 200);
    let id = event["id"].as_str().unwrap();
    wait_done(&store, "stripe", id).await;
    let letters = store
        .dead_letters(&ferry::store::DeadLetterFilter::default())
        .await
        .unwrap();
    let letter = letters.iter().find(|l| l.source_id == id).unwrap();
    assert_eq!(letter.error_code, "api_version_mismatch");
    assert!(
        letter.error_message.contains("2099-01-01"),
        "{}",
        letter.error_message
    );
    assert!(world.business_central_orders().await.is_empty());
    handle.shutdown().await;
}

async fn events_missed_while_down_are_caught_up_from_the_event_list(backend: TestBackend) {
    let world = world_seeded(None, None, Some(7)).await;
    let (handle, store) = serve(&world, &backend, 0).await;
    // Two charges whose webhooks never arrived.
    let customer = linked_customer(&world, &store).await;
    let first = charge(&world, &customer, 111).await;
    let second = charge(&world, &customer, 222).await;
    handle.shutdown().await;
    store.close().await;

    let project = world.project_on(1000, &backend);
    let workspace = Workspace::open(Some(&project), None).unwrap();
    let jobs = workspace.jobs(&[CHARGES_TO_ORDERS.to_string()]).unwrap();
    let store = workspace.store().await.unwrap();
    let connectors = workspace.connectors(&jobs, None, &store).unwrap();
    let runner = Runner::new(store.clone(), connectors, workspace.secrets());
    let options = ServeOptions {
        bind: SocketAddr::from(([127, 0, 0, 1], 0)),
        workers: 1,
        catch_up_every: Some(Duration::from_secs(3600)),
        ..ServeOptions::default()
    };
    let app = App::new(store.clone(), runner, jobs, &workspace.environment, options);
    let handle = server::start(app).await.unwrap();
    for event in [&first, &second] {
        wait_done(&store, "stripe", event["id"].as_str().unwrap()).await;
    }
    assert_eq!(world.business_central_orders().await.len(), 2);
    let last = store.last_event("stripe").await.unwrap().unwrap();
    assert_eq!(last.event_id, second["id"].as_str().unwrap());
    handle.shutdown().await;
}

crate::on_every_backend!(
    a_signed_event_is_stored_acknowledged_and_processed_once,
    bad_requests_get_the_right_status_and_nothing_is_stored,
    an_event_acknowledged_before_a_shutdown_is_processed_after_the_restart,
    an_event_of_another_api_version_is_dead_lettered_with_the_reason,
    events_missed_while_down_are_caught_up_from_the_event_list,
);
