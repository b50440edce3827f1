//! `ferry serve`: the always-on half. Webhook endpoints verify and store events durably before
//! acknowledging them; workers process the inbox; a catch-up reads a system's event list for
//! whatever was missed; `/healthz`, `/readyz` and `/metrics` report on it all.
//!
//! Nothing here names a system: each connector whose descriptor has [`Webhooks`] gets an
//! endpoint, and says how its deliveries are verified, what their events are and which
//! pipelines they feed.

pub mod catch_up;
pub mod commit_group;
pub mod dashboard;
pub mod event;
pub mod fleet;
pub mod health;
pub mod hooks;
pub mod metrics;
pub mod receive;
pub mod reconcile;
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
use futures_util::future::BoxFuture;
use tokio::sync::Notify;

use crate::alerts::Alerts;
use crate::connectors::webhook::CatchUp;
use crate::connectors::webhook_subscription::SubscribeError;
use crate::connectors::{CONNECTORS, Kind, Webhooks};
use crate::project::{ResolvedEnvironment, Secret};
use crate::runtime::{Job, Runner};
use crate::store::Store;

/// Largest webhook body accepted; events are far smaller.
pub const MAX_BODY: usize = 1024 * 1024;

#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub bind: SocketAddr,
    /// How far from now a signed timestamp may be.
    pub tolerance: Duration,
    pub workers: usize,
    /// How often to catch up from the systems' event lists (also once at start); `None`: never.
    pub catch_up_every: Option<Duration>,
    /// The address the systems reach ferry at (`--public-url`): with it, the webhooks the
    /// served pipelines need are subscribed on start where ferry can subscribe them.
    pub public_url: Option<String>,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            tolerance: crate::connectors::webhook::DEFAULT_TOLERANCE,
            workers: 2,
            catch_up_every: Some(Duration::from_secs(300)),
            public_url: None,
        }
    }
}

/// A connection's webhook endpoint: its secrets (two while one is being rolled).
pub struct Endpoint {
    pub secrets: Vec<Secret>,
    /// The API version the connection expects its events in: events rendered in another are
    /// dead-lettered, since their objects may not have the shape the pipelines were checked
    /// against.
    pub api_version: Option<String>,
}

/// A connection whose system sends webhooks.
struct Receiver {
    kind: Kind,
    webhooks: &'static Webhooks,
    /// None: the connection sets none of the endpoint's secrets, so it has no endpoint.
    endpoint: Option<Endpoint>,
}

/// Everything the handlers and workers share.
pub struct App {
    pub store: Store,
    pub runner: Runner,
    pub jobs: Vec<Job>,
    pub options: ServeOptions,
    /// By connection name.
    receivers: HashMap<String, Receiver>,
    wake: Notify,
    locks: worker::ObjectLocks,
    /// Unix seconds of the last worker loop, for `/readyz`.
    heartbeat: AtomicI64,
    /// Told of refused deliveries (a burst may be a rolled secret, or forgery).
    alerts: Alerts,
    /// The web page at `/`; `None`: ferry.yaml has no `dashboard:` section.
    dashboard: Option<dashboard::Dashboard>,
    /// The `reconcile:` schedules, and the zone their times of day are in.
    schedules: Vec<reconcile::Scheduled>,
    zone: jiff::tz::TimeZone,
    /// The connections, for subscribing their webhooks.
    environment: ResolvedEnvironment,
}

impl App {
    pub fn new(
        store: Store,
        runner: Runner,
        jobs: Vec<Job>,
        environment: &ResolvedEnvironment,
        options: ServeOptions,
    ) -> App {
        let mut receivers = HashMap::new();
        for connection in environment.connections.values() {
            let kind = connection.kind;
            let Some(webhooks) = kind.webhooks else {
                continue;
            };
            let secrets: Vec<Secret> = webhooks
                .secrets
                .iter()
                .filter_map(|key| connection.secret(key).cloned())
                .collect();
            let endpoint = (!secrets.is_empty()).then(|| Endpoint {
                secrets,
                api_version: webhooks
                    .api_version
                    .as_ref()
                    .and_then(|check| connection.setting(check.setting))
                    .map(str::to_string),
            });
            let receiver = Receiver {
                kind,
                webhooks,
                endpoint,
            };
            receivers.insert(connection.name.clone(), receiver);
        }
        metrics::handle();
        App {
            store,
            runner,
            jobs,
            options,
            receivers,
            wake: Notify::new(),
            locks: worker::ObjectLocks::new(),
            heartbeat: AtomicI64::new(jiff::Timestamp::now().as_second()),
            alerts: Alerts::off(),
            dashboard: None,
            schedules: Vec::new(),
            zone: jiff::tz::TimeZone::UTC,
            environment: environment.clone(),
        }
    }

    /// The same app, running the `reconcile:` schedules with times of day in `zone`.
    pub fn with_schedules(
        self,
        schedules: Vec<reconcile::Scheduled>,
        zone: jiff::tz::TimeZone,
    ) -> App {
        App {
            schedules,
            zone,
            ..self
        }
    }

    /// The `reconcile:` schedules it runs, each with when, in which zone.
    pub fn schedule_lines(&self) -> Vec<String> {
        self.schedules
            .iter()
            .map(|scheduled| {
                format!(
                    "reconcile `{}` {} ({}): {}",
                    scheduled.schedule.name,
                    scheduled.schedule.when.describe(),
                    self.zone.iana_name().unwrap_or("UTC"),
                    scheduled.pipelines.join(", ")
                )
            })
            .collect()
    }

    /// The same app, telling `alerts` of refused webhook deliveries.
    pub fn with_alerts(self, alerts: Alerts) -> App {
        App { alerts, ..self }
    }

    /// The same app, serving `dashboard` at `/`.
    pub fn with_dashboard(self, dashboard: dashboard::Dashboard) -> App {
        App {
            dashboard: Some(dashboard),
            ..self
        }
    }

    pub fn has_dashboard(&self) -> bool {
        self.dashboard.is_some()
    }

    pub fn alerts(&self) -> &Alerts {
        &self.alerts
    }

    /// The endpoint of `connection` if it is of `kind` and has one.
    pub fn endpoint(&self, kind: Kind, connection: &str) -> Option<&Endpoint> {
        let receiver = self.receivers.get(connection)?;
        receiver.endpoint.as_ref().filter(|_| receiver.kind == kind)
    }

    /// The endpoint of `connection`, if it has one.
    pub fn endpoint_of(&self, connection: &str) -> Option<&Endpoint> {
        self.receivers.get(connection)?.endpoint.as_ref()
    }

    /// How the system of `connection` sends webhooks, if it does.
    pub fn webhooks(&self, connection: &str) -> Option<&'static Webhooks> {
        self.receivers.get(connection).map(|r| r.webhooks)
    }

    /// Every connection with a webhook endpoint and its kind, by name.
    pub fn endpoints(&self) -> Vec<(&str, Kind)> {
        let mut endpoints: Vec<(&str, Kind)> = self
            .receivers
            .iter()
            .filter(|(_, receiver)| receiver.endpoint.is_some())
            .map(|(name, receiver)| (name.as_str(), receiver.kind))
            .collect();
        endpoints.sort_by_key(|(name, _)| *name);
        endpoints
    }

    /// The pipelines an event of `event_type` on `connection` goes through: those reading the
    /// stream the event type feeds, and, if they name event types, this one.
    pub fn jobs_for(&self, connection: &str, event_type: &str) -> Vec<&Job> {
        let Some(stream) = self
            .webhooks(connection)
            .and_then(|webhooks| (webhooks.stream_of)(event_type))
        else {
            return Vec::new();
        };
        self.jobs
            .iter()
            .filter(|job| job.source.connection == connection && job.source.stream == stream)
            .filter(|job| job.events.is_empty() || job.events.iter().any(|e| e == event_type))
            .collect()
    }

    /// Every connection with an endpoint whose system keeps an event list, and the list.
    pub fn catch_up_lists(&self) -> Vec<(String, &'static CatchUp)> {
        self.endpoints()
            .into_iter()
            .filter_map(|(name, kind)| Some((name.to_string(), kind.webhooks?.catch_up.as_ref()?)))
            .collect()
    }

    pub fn handles(&self, connection: &str, event_type: &str) -> bool {
        !self.jobs_for(connection, event_type).is_empty()
    }

    /// Every event type the pipelines reading `stream` on `connection` name (empty: some
    /// pipeline reads all).
    pub fn event_types(&self, connection: &str, stream: &str) -> Vec<String> {
        let mut types = Vec::new();
        for job in self
            .jobs
            .iter()
            .filter(|j| j.source.connection == connection && j.source.stream == stream)
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

/// The webhook endpoint of every kind that sends webhooks, at `/webhooks/<its route>`, the
/// health and metrics endpoints, and the dashboard if there is one.
pub fn router(app: Arc<App>) -> Router {
    let mut router = dashboard::routes(&app);
    for &kind in CONNECTORS {
        if let Some(webhooks) = kind.webhooks {
            let path = format!("/webhooks/{}", webhooks.route);
            router = router.route(
                &path,
                post(move |app, path, headers, body| {
                    receive::receive(kind, webhooks, app, path, headers, body)
                }),
            );
        }
    }
    router
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

/// How long processed events stay in the inbox: senders redeliver for up to three days, and a
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

/// A task running `work` while this process holds the lease `name` (see [`fleet::lead`]),
/// until `stopped` turns true.
fn spawn_led<Work>(
    app: &Arc<App>,
    name: String,
    stopped: &tokio::sync::watch::Receiver<bool>,
    work: Work,
) -> tokio::task::JoinHandle<()>
where
    Work: Fn(Arc<App>, tokio::sync::watch::Receiver<bool>) -> BoxFuture<'static, ()>
        + Send
        + Sync
        + 'static,
{
    let app = app.clone();
    let stopped = stopped.clone();
    tokio::spawn(async move {
        let mut stop = stopped.clone();
        let store = app.store.clone();
        fleet::lead(&store, &name, &mut stop, || {
            work(app.clone(), stopped.clone())
        })
        .await;
    })
}

/// Why `ferry serve` could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot listen: {0}")]
    Listen(#[from] std::io::Error),
    #[error(transparent)]
    Subscribe(#[from] SubscribeError),
}

/// Binds, subscribes the webhooks when there is a public URL, then serves until
/// [`ServerHandle::shutdown`].
pub async fn start(app: App) -> Result<ServerHandle, StartError> {
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
    // Once the endpoints answer, so that the first deliveries find them; one process of a
    // fleet at a time, so two never add the same subscription side by side.
    let subscribed = match &app.options.public_url {
        Some(url) => {
            let mut stop = stopped.clone();
            fleet::lead(&app.store, "webhooks/subscribe", &mut stop, || {
                hooks::subscribe_served(&app.environment, &app.jobs, url)
            })
            .await
            .unwrap_or(Ok(()))
        }
        None => {
            hooks::log_unsubscribed(&app.environment, &app.jobs);
            Ok(())
        }
    };
    if let Err(error) = subscribed {
        let _ = stop.send(true);
        for task in tasks {
            let _ = task.await;
        }
        return Err(error.into());
    }
    worker::release_orphans(&app.store).await;
    tasks.push(worker::start_all(app.clone(), stopped.clone())?);
    tasks.push(tokio::spawn(worker::release_orphans_until(
        app.store.clone(),
        stopped.clone(),
    )));
    // Scheduled work runs on one process of a fleet at a time (see `fleet`).
    tasks.push(spawn_led(
        &app,
        "inbox/prune".into(),
        &stopped,
        |app, stop| Box::pin(prune_inbox(app, stop)),
    ));
    if let Some(every) = app.options.catch_up_every {
        for (connection, list) in app.catch_up_lists() {
            let name = format!("catch_up/{connection}");
            tasks.push(spawn_led(&app, name, &stopped, move |app, stop| {
                Box::pin(catch_up::run(app, connection.clone(), list, every, stop))
            }));
        }
    }
    for scheduled in app.schedules.clone() {
        let name = format!("reconcile/{}", scheduled.schedule.name);
        tasks.push(spawn_led(&app, name, &stopped, move |app, stop| {
            let zone = app.zone.clone();
            Box::pin(reconcile::run(app, scheduled.clone(), zone, stop))
        }));
    }
    Ok(ServerHandle {
        local_addr,
        stop,
        tasks,
    })
}
