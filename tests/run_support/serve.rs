//! `ferry serve` for the charges-to-orders pipeline against a [`World`], and requests to its
//! Stripe emulator.

use std::net::SocketAddr;

use ferry::runtime::{Runner, Workspace};
use ferry::server::{self, App, ServeOptions, ServerHandle};
use ferry::store::Store;
use serde_json::Value;

use super::World;

pub const CHARGES_TO_ORDERS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/pipelines/stripe_charges_to_business_central.ferry"
);

/// The `webhook_secret` of the project that [`World::project`] writes.
pub const WEBHOOK_SECRET: &str = "whsec_test_e2e";

/// Starts `ferry serve` for [`CHARGES_TO_ORDERS`] with `workers` inbox workers.
pub async fn serve(world: &World, workers: usize) -> (ServerHandle, Store) {
    serve_pipelines(world, workers, &[CHARGES_TO_ORDERS]).await
}

/// Starts `ferry serve` for `pipelines` (files) with `workers` inbox workers.
pub async fn serve_pipelines(
    world: &World,
    workers: usize,
    pipelines: &[&str],
) -> (ServerHandle, Store) {
    serve_project(&world.project(1000), workers, pipelines).await
}

/// Starts `ferry serve` for `pipelines` of the project at `project`.
pub async fn serve_project(
    project: &std::path::Path,
    workers: usize,
    pipelines: &[&str],
) -> (ServerHandle, Store) {
    let workspace = Workspace::open(Some(project), None).unwrap();
    let targets: Vec<String> = pipelines.iter().map(|p| p.to_string()).collect();
    let jobs = workspace.jobs(&targets).unwrap();
    let connectors = workspace.connectors(&jobs, None).unwrap();
    let store = workspace.store().await.unwrap();
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

/// A form-encoded request to the Stripe emulator; its JSON answer.
pub async fn stripe(world: &World, method: reqwest::Method, path: &str, form: &str) -> Value {
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

/// A Stripe customer cross-referenced to Business Central customer C0001; its id.
pub async fn linked_customer(world: &World, store: &Store) -> String {
    let customer = stripe(
        world,
        reqwest::Method::POST,
        "/v1/customers",
        "email=ada%40example.com",
    )
    .await;
    let id = customer["id"].as_str().unwrap();
    store
        .put_cross_reference(
            "business_central.customers",
            "C0001",
            "stripe.customers",
            id,
        )
        .await
        .unwrap();
    id.to_string()
}

/// Waits (at most 20 s) until the inbox holds no event still to process: what a worker did at
/// a target is recorded in the store only when its claim commits, a moment later.
pub async fn inbox_drained(store: &Store) {
    for _ in 0..400 {
        let stats = store.inbox_stats().await.unwrap();
        if stats.pending + stats.processing == 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the inbox still holds unprocessed events after 20 s");
}
