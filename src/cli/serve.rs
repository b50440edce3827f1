//! `ferry serve`: webhook endpoints, inbox workers, the catch-up from the systems' event lists,
//! and health and metrics endpoints, until Ctrl-C.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::exit;
use super::logging::{self, LogFormat};
use super::output::print_human;
use crate::alerts::{self, Alerts};
use crate::connectors::connector::{Connector, close_all};
use crate::runtime::{Runner, SetupError, Workspace};
use crate::server::dashboard::Dashboard;
use crate::server::{self, App, ServeOptions, StartError};
use crate::store::Store;

#[derive(clap::Args)]
pub struct Args {
    /// Pipeline files, folders or names (default: the project's `pipelines/`); those reading
    /// `stripe.events` or `capsule.parties` are fed by webhooks.
    pipelines: Vec<String>,
    #[arg(long)]
    env: Option<String>,
    #[arg(long)]
    project: Option<PathBuf>,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    bind: SocketAddr,
    /// Inbox workers.
    #[arg(long, default_value_t = 2)]
    workers: usize,
    /// How old a signed webhook may be, in seconds.
    #[arg(long, default_value_t = 300)]
    tolerance: u64,
    /// Seconds between catch-ups from Stripe's event list; 0 turns the catch-up off.
    #[arg(long, default_value_t = 300)]
    catch_up_every: u64,
    /// Seconds between the checks that raise alerts (new dead letters, waiting events, the
    /// store); only with an `alerts:` section in ferry.yaml.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    alert_check_every: u64,
    /// The address Capsule and the like reach this server at (`https://ferry.example.com`):
    /// the REST hooks the served pipelines need are subscribed to it on start. Overrides
    /// ferry.yaml's `public_url`.
    #[arg(long)]
    public_url: Option<url::Url>,
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
}

pub fn run(args: Args) -> u8 {
    logging::init(args.log_format);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return exit::USAGE;
        }
    };
    runtime.block_on(async move {
        let (app, alerts, store, connectors, secrets) = match setup(&args).await {
            Ok(ready) => ready,
            Err(SetupError::Project {
                diagnostics,
                sources,
            })
            | Err(SetupError::Pipeline {
                diagnostics,
                sources,
                ..
            }) => {
                print_human(&diagnostics, &sources);
                return exit::USAGE;
            }
            Err(error) => {
                eprintln!("error: {error}");
                return exit::USAGE;
            }
        };
        // Each endpoint's label and route; a route's other captures (a secret token) stay as
        // placeholders.
        let endpoints: Vec<(String, String)> = app
            .endpoints()
            .into_iter()
            .filter_map(|(connection, kind)| {
                let route = kind.webhooks?.route.replace("{connection}", connection);
                Some((format!("{} webhooks", kind.title), route))
            })
            .collect();
        let dashboard = app.has_dashboard();
        let schedules = app.schedule_lines();
        let handle = match server::start(app).await {
            Ok(handle) => handle,
            Err(StartError::Listen(error)) => {
                eprintln!("error: cannot listen on {}: {error}", args.bind);
                return exit::USAGE;
            }
            Err(StartError::Subscribe(error)) => {
                print_human(&[error.diagnostic(&secrets)], &Default::default());
                close_all(&connectors).await;
                return exit::FAILED;
            }
        };
        let base = format!("http://{}", handle.local_addr);
        eprintln!("ferry serve listening on {base}");
        for (label, route) in endpoints {
            eprintln!("  {label:<18}{base}/webhooks/{route}");
        }
        if dashboard {
            eprintln!("  dashboard         {base}/");
        }
        eprintln!("  health            {base}/healthz  {base}/readyz  {base}/metrics");
        for line in schedules {
            eprintln!("  {line}");
        }
        let (stop_watch, watch_stopped) = tokio::sync::watch::channel(false);
        // One process of a fleet watches, so a digest or a stall is told once.
        let watcher = {
            let alerts = alerts.clone();
            let every = Duration::from_secs(args.alert_check_every);
            tokio::spawn(async move {
                let mut stop = watch_stopped.clone();
                server::fleet::lead(&store.clone(), "alerts/watch", &mut stop, || {
                    alerts::watch::run(alerts.clone(), store.clone(), every, watch_stopped.clone())
                })
                .await;
            })
        };
        super::signals::stop_requested().await;
        eprintln!("stopping: finishing requests in flight and the events in hand");
        handle.shutdown().await;
        let _ = stop_watch.send(true);
        let _ = watcher.await;
        alerts.flush(Duration::from_secs(30)).await;
        close_all(&connectors).await;
        exit::OK
    })
}

/// The app, its alerts and store, its connections (closed after the server stops), and the
/// secrets to keep out of what is printed.
type Served = (
    App,
    Alerts,
    Store,
    HashMap<String, Arc<Connector>>,
    Vec<crate::connectors::Secret>,
);

async fn setup(args: &Args) -> Result<Served, SetupError> {
    let workspace = Workspace::open(args.project.as_deref(), args.env.as_deref())?;
    let targets = if args.pipelines.is_empty() {
        vec![workspace.dir.join("pipelines").display().to_string()]
    } else {
        args.pipelines.clone()
    };
    let selection = workspace.select(&targets)?;
    for name in &selection.skipped {
        tracing::info!(pipeline = %name, "not served: ferry.yaml turns it off");
    }
    for name in &selection.run_though_disabled {
        tracing::warn!(pipeline = %name, "served because it was named, though ferry.yaml turns it off");
    }
    let jobs = selection.jobs;
    let store = workspace.store().await?;
    let connectors = workspace.connectors(&jobs, None, &store)?;
    let runner = Runner::new(store.clone(), connectors.clone(), workspace.secrets());
    let runner = if store.shared() {
        runner.in_fleet()
    } else {
        runner
    };
    let alerts = Alerts::start(
        workspace.alerts.clone(),
        Some(store.clone()),
        workspace.secrets(),
        workspace.project_name(),
    );
    let options = ServeOptions {
        bind: args.bind,
        tolerance: Duration::from_secs(args.tolerance),
        workers: args.workers,
        catch_up_every: (args.catch_up_every > 0).then(|| Duration::from_secs(args.catch_up_every)),
        // The flag wins over ferry.yaml's `public_url`.
        public_url: args
            .public_url
            .as_ref()
            .map(url::Url::to_string)
            .or_else(|| workspace.environment.public_url.clone()),
    };
    let schedules = server::reconcile::plan(&workspace.reconcile, &jobs)?;
    let zone = workspace
        .environment
        .timezone
        .as_deref()
        .and_then(|name| jiff::tz::TimeZone::get(name).ok())
        .unwrap_or(jiff::tz::TimeZone::UTC);
    let app = App::new(store.clone(), runner, jobs, &workspace.environment, options)
        .with_schedules(schedules, zone);
    let app = match workspace.dashboard()? {
        Some(settings) => {
            app.with_dashboard(Dashboard::new(settings, workspace.secrets(), args.bind))
        }
        None => app,
    };
    Ok((app, alerts, store, connectors, workspace.secrets()))
}
