//! `ferry serve`: the always-on half. Webhook endpoints verify and store events durably before
//! acknowledging them; workers process the inbox; a catch-up reads Stripe's event list for
//! whatever was missed; `/healthz`, `/readyz` and `/metrics` report on it all.

pub mod capsule_hook;
pub mod catch_up;
pub mod commit_group;
pub mod event;
pub mod health;
pub mod metrics;
pub mod stripe_hook;
pub mod worker;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::sync::Notify;

use crate::connectors;
use crate::project::{ResolvedEnvironment, Secret};
use crate::runtime::{Job, Runner};
use crate::store::Store;

/// Largest webhook body accepted; Stripe's events are far smaller.
pub const MAX_BODY: usize = 1024 * 1024;

#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub bind: SocketAddr,
    /// How old a signed timestamp may be (Stripe's default: 300 s).
    pub tolerance: Duration,
    pub workers: usize,
    /// How often to catch up from Stripe's `/v1/events` (also once at start); `None`: never.
    pub catch_up_every: Option<Duration>,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            tolerance: crate::connectors::stripe::signature::DEFAULT_TOLERANCE,
            workers: 2,
            catch_up_every: Some(Duration::from_secs(300)),
        }
    }
}

/// A Stripe connection's webhook secrets (two while one is being rolled).
pub struct StripeEndpoint {
    pub secrets: Vec<Secret>,
    /// The connection's `api_version`: events rendered in another version are dead-lettered,
    /// since their objects may not have the shape the pipelines were checked against.
    pub api_version: Option<String>,
}

/// Everything the handlers and workers share.
pub struct App {
    pub store: Store,
    pub runner: Runner,
    pub jobs: Vec<Job>,
    pub options: ServeOptions,
    stripe: HashMap<String, StripeEndpoint>,
    capsule: HashMap<String, Secret>,
    wake: Notify,
    locks: worker::ObjectLocks,
    /// Unix seconds of the last worker loop, for `/readyz`.
    heartbeat: AtomicI64,
}

impl App {
    pub fn new(
        store: Store,
        runner: Runner,
        jobs: Vec<Job>,
        environment: &ResolvedEnvironment,
        options: ServeOptions,
    ) -> App {
        let mut stripe = HashMap::new();
        let mut capsule = HashMap::new();
        for connection in environment.connections.values() {
            // The systems whose webhooks `ferry serve` receives.
            let kind = connection.kind;
            if kind == &connectors::stripe::DESCRIPTOR {
                let secrets: Vec<Secret> = ["webhook_secret", "webhook_secret_previous"]
                    .iter()
                    .filter_map(|key| connection.secret(key).cloned())
                    .collect();
                if !secrets.is_empty() {
                    let api_version = connection.setting("api_version").map(str::to_string);
                    stripe.insert(
                        connection.name.clone(),
                        StripeEndpoint {
                            secrets,
                            api_version,
                        },
                    );
                }
            } else if kind == &connectors::capsule::DESCRIPTOR
                && let Some(token) = connection.secret("webhook_token")
            {
                capsule.insert(connection.name.clone(), token.clone());
            }
        }
        metrics::handle();
        App {
            store,
            runner,
            jobs,
            options,
            stripe,
            capsule,
            wake: Notify::new(),
            locks: worker::ObjectLocks::new(),
            heartbeat: AtomicI64::new(jiff::Timestamp::now().as_second()),
        }
    }

    pub fn stripe_endpoint(&self, connection: &str) -> Option<&StripeEndpoint> {
        self.stripe.get(connection)
    }

    pub fn capsule_token(&self, connection: &str) -> Option<&Secret> {
        self.capsule.get(connection)
    }

    /// Stripe connections with a webhook endpoint, for the catch-up.
    pub fn stripe_connections(&self) -> Vec<String> {
        let mut names: Vec<String> = self.stripe.keys().cloned().collect();
        names.sort();
        names
    }

    /// The pipelines an event of `event_type` on `connection` goes through.
    pub fn jobs_for(&self, connection: &str, event_type: &str) -> Vec<&Job> {
        self.jobs
            .iter()
            .filter(|job| job.source.connection == connection)
            .filter(|job| {
                if event_type.starts_with("party/") {
                    job.source.stream == "parties"
                } else {
                    job.reads_events()
                        && (job.events.is_empty() || job.events.iter().any(|e| e == event_type))
                }
            })
            .collect()
    }

    pub fn handles(&self, connection: &str, event_type: &str) -> bool {
        !self.jobs_for(connection, event_type).is_empty()
    }

    /// Every event type the pipelines on `connection` read (empty: some pipeline reads all).
    pub fn event_types(&self, connection: &str) -> Vec<String> {
        let mut types = Vec::new();
        for job in self
            .jobs
            .iter()
            .filter(|j| j.source.connection == connection && j.reads_events())
        {
            if job.events.is_empty() {
                return Vec::new();
            }
            types.extend(job.events.iter().cloned());
        }
        types.sort();
        types.dedup();
        types
    }

    pub fn wake_workers(&self) {
        self.wake.notify_waiters();
    }

    fn heartbeat(&self) {
        self.heartbeat
            .store(jiff::Timestamp::now().as_second(), Ordering::Relaxed);
    }

    fn seconds_since_heartbeat(&self) -> i64 {
        jiff::Timestamp::now().as_second() - self.heartbeat.load(Ordering::Relaxed)
    }
}

/// A refusal with a JSON body: `{"error": {"code", "message"}}`.
pub fn refuse(status: StatusCode, code: &str, message: String) -> Response {
    (
        status,
        axum::Json(serde_json::json!({"error": {"code": code, "message": message}})),
    )
        .into_response()
}

pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/webhooks/stripe/{connection}", post(stripe_hook::receive))
        .route(
            "/webhooks/capsule/{connection}/{token}",
            post(capsule_hook::receive),
        )
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(app)
}

/// A running server: its address, and a way to stop it gracefully.
pub struct ServerHandle {
    pub local_addr: SocketAddr,
    stop: tokio::sync::watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl ServerHandle {
    /// Stops accepting requests, lets the ones in flight finish (every acknowledged event is
    /// already stored), lets each worker finish the event in hand, and waits for all of it.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

/// How long processed events stay in the inbox: Stripe redelivers for up to three days, and a
/// redelivery must still find its event to be recognised as a duplicate.
const KEEP_DONE: Duration = Duration::from_secs(4 * 24 * 3600);

/// Deletes long-processed events every hour, so the inbox does not grow without bound.
async fn prune_inbox(app: Arc<App>, mut stop: tokio::sync::watch::Receiver<bool>) {
    loop {
        match app.store.inbox_prune(KEEP_DONE).await {
            Ok(0) => {}
            Ok(count) => tracing::info!(count, "pruned processed events from the inbox"),
            Err(error) => tracing::warn!("pruning the inbox failed: {error}"),
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(3600)) => {}
            _ = stop.changed() => return,
        }
    }
}

/// Binds, then serves until [`ServerHandle::shutdown`].
pub async fn start(app: App) -> std::io::Result<ServerHandle> {
    let listener = tokio::net::TcpListener::bind(app.options.bind).await?;
    let local_addr = listener.local_addr()?;
    let app = Arc::new(app);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut tasks = Vec::new();
    let mut server_stop = stopped.clone();
    let service = router(app.clone());
    tasks.push(tokio::spawn(async move {
        let shutdown = async move {
            let _ = server_stop.wait_for(|stop| *stop).await;
        };
        if let Err(error) = axum::serve(listener, service)
            .with_graceful_shutdown(shutdown)
            .await
        {
            tracing::error!("the HTTP server stopped: {error}");
        }
    }));
    worker::release_orphans(&app.store).await;
    tasks.push(worker::start_all(app.clone(), stopped.clone())?);
    tasks.push(tokio::spawn(prune_inbox(app.clone(), stopped.clone())));
    if let Some(every) = app.options.catch_up_every {
        for connection in app.stripe_connections() {
            tasks.push(tokio::spawn(catch_up::run(
                app.clone(),
                connection,
                every,
                stopped.clone(),
            )));
        }
    }
    Ok(ServerHandle {
        local_addr,
        stop,
        tasks,
    })
}
