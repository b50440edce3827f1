//! `ferry serve` for the charges-to-orders pipeline against a [`World`], and requests to its
//! Stripe emulator.

use std::net::SocketAddr;

use ferry::runtime::{Runner, Workspace};
use ferry::server::dashboard::Dashboard;
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
    let (app, store) = app(project, workers, pipelines).await;
    (server::start(app).await.unwrap(), store)
}

/// As [`serve_project`] with one worker, serving the dashboard its `dashboard:` section sets up
/// the way `ferry serve` does.
pub async fn serve_dashboard(
    project: &std::path::Path,
    pipelines: &[&str],
) -> (ServerHandle, Store) {
    let (app, store) = app(project, 1, pipelines).await;
    let workspace = Workspace::open(Some(project), None).unwrap();
    let settings = workspace
        .dashboard()
        .unwrap()
        .expect("the project has a dashboard");
    let dashboard = Dashboard::new(settings, workspace.secrets(), app.options.bind);
    (
        server::start(app.with_dashboard(dashboard)).await.unwrap(),
        store,
    )
}

/// Starts `ferry serve --public-url http://127.0.0.1:{port}` on `port` for `pipelines` of the
/// project at `project`: the systems' webhooks are subscribed to the server itself.
pub async fn serve_public(
    project: &std::path::Path,
    pipelines: &[&str],
    port: u16,
) -> Result<(ServerHandle, Store), server::StartError> {
    let options = ServeOptions {
        bind: SocketAddr::from(([127, 0, 0, 1], port)),
        workers: 1,
        catch_up_every: None,
        public_url: Some(format!("http://127.0.0.1:{port}")),
        ..ServeOptions::default()
    };
    let (app, store) = app_with(project, pipelines, options).await;
    Ok((server::start(app).await?, store))
}

/// A loopback port nothing listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The app `ferry serve` runs for `pipelines` of the project at `project`.
async fn app(project: &std::path::Path, workers: usize, pipelines: &[&str]) -> (App, Store) {
    let options = ServeOptions {
        bind: SocketAddr::from(([127, 0, 0, 1], 0)),
        workers,
        catch_up_every: None,
        ..ServeOptions::default()
    };
    app_with(project, pipelines, options).await
}

async fn app_with(
    project: &std::path::Path,
    pipelines: &[&str],
    options: ServeOptions,
) -> (App, Store) {
    let workspace = Workspace::open(Some(project), None).unwrap();
    let targets: Vec<String> = pipelines.iter().map(|p| p.to_string()).collect();
    let jobs = workspace.jobs(&targets).unwrap();
    let store = workspace.store().await.unwrap();
    let connectors = workspace.connectors(&jobs, None, &store).unwrap();
    let runner = Runner::new(store.clone(), connectors, workspace.secrets());
    let app = App::new(store.clone(), runner, jobs, &workspace.environment, options);
    (app, store)
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

/// The pipeline that syncs Stripe customers to Business Central customers.
pub const CUSTOMERS_TO_BUSINESS_CENTRAL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/pipelines/stripe_customers_to_business_central.ferry"
);

/// A Stripe customer synced to Business Central the way a consultant does it, by running
/// [`CUSTOMERS_TO_BUSINESS_CENTRAL`] on the project's store (so the cross reference and its keys
/// are what a real run stores, not values handed in); its Stripe id.
pub async fn linked_customer(world: &World, _store: &Store) -> String {
    let customer = stripe(
        world,
        reqwest::Method::POST,
        "/v1/customers",
        "email=ada%40example.com&name=Ada+Lovelace",
    )
    .await;
    let id = customer["id"].as_str().unwrap().to_string();
    let (runner, job, _) = super::runner(&world.project(1000), CUSTOMERS_TO_BUSINESS_CENTRAL).await;
    let report = super::run(&runner, &job).await;
    assert_eq!(report.dead_lettered, 0, "{report:?}");
    id
}

/// The number Business Central gave the customer with this email.
pub async fn business_central_number(world: &World, email: &str) -> Value {
    world
        .business_central("customers")
        .await
        .into_iter()
        .find(|c| c["email"] == email)
        .map(|c| c["number"].clone())
        .expect("the customer is in Business Central")
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

/// Waits until the inbox event `event_id` of `connection` is processed; fails after ten seconds.
pub async fn wait_done(store: &Store, connection: &str, event_id: &str) {
    for _ in 0..200 {
        if let Some(stored) = store.inbox_event(connection, event_id).await.unwrap()
            && stored.state == ferry::store::InboxState::Done
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("event {event_id} was not processed");
}
