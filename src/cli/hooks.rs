//! `ferry hooks list|subscribe|unsubscribe`: the webhook subscriptions ferry manages (Capsule's
//! REST hooks), without serving. Target URLs hold the endpoint's secret token: printed redacted.

use std::path::PathBuf;

use super::exit;
use super::output::{outln, print_human};
use crate::connectors::Secret;
use crate::connectors::secret::redact;
use crate::connectors::webhook_subscription::SubscribeError;
use crate::runtime::{SetupError, Workspace};
use crate::server::hooks;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
    #[arg(long, global = true)]
    env: Option<String>,
    #[arg(long, global = true)]
    project: Option<PathBuf>,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Every subscription of the accounts, ferry's marked.
    List {
        /// Only this connection's account.
        #[arg(long)]
        connection: Option<String>,
    },
    /// Subscribes what the pipelines `ferry serve` would serve need, as `ferry serve
    /// --public-url` does on start; what is already subscribed is kept.
    Subscribe {
        /// Pipeline files, folders or names (default: the project's `pipelines/`).
        pipelines: Vec<String>,
        /// The address the systems reach `ferry serve` at (default: ferry.yaml's `public_url`).
        #[arg(long)]
        public_url: Option<url::Url>,
    },
    /// Removes ferry's own subscriptions (those delivering to the connection's endpoint, under
    /// any address); the account's others stay.
    Unsubscribe {
        #[arg(long)]
        connection: Option<String>,
    },
}

pub fn run(args: Args) -> u8 {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return exit::USAGE;
        }
    };
    runtime.block_on(async move {
        let workspace = match Workspace::open(args.project.as_deref(), args.env.as_deref()) {
            Ok(workspace) => workspace,
            Err(error) => return setup_failed(error),
        };
        let secrets = workspace.secrets();
        let done = match &args.command {
            Command::List { connection } => list(&workspace, connection.as_deref(), &secrets).await,
            Command::Subscribe {
                pipelines,
                public_url,
            } => {
                let public_url = public_url
                    .as_ref()
                    .map(url::Url::to_string)
                    .or_else(|| workspace.environment.public_url.clone());
                let Some(public_url) = public_url else {
                    eprintln!("error: no public URL: give `--public-url` or set `public_url` in ferry.yaml");
                    return exit::USAGE;
                };
                match subscribe(&workspace, pipelines, &public_url, &secrets).await {
                    Ok(done) => done,
                    Err(error) => return setup_failed(error),
                }
            }
            Command::Unsubscribe { connection } => {
                unsubscribe(&workspace, connection.as_deref(), &secrets).await
            }
        };
        match done {
            Ok(()) => exit::OK,
            Err(error) => {
                print_human(&[error.diagnostic(&secrets)], &Default::default());
                exit::FAILED
            }
        }
    })
}

fn setup_failed(error: SetupError) -> u8 {
    match error {
        SetupError::Project {
            diagnostics,
            sources,
        }
        | SetupError::Pipeline {
            diagnostics,
            sources,
            ..
        } => print_human(&diagnostics, &sources),
        error => eprintln!("error: {error}"),
    }
    exit::USAGE
}

async fn list(
    workspace: &Workspace,
    connection: Option<&str>,
    secrets: &[Secret],
) -> Result<(), SubscribeError> {
    for subscriber in hooks::managed(&workspace.environment, connection)? {
        for hook in subscriber.list().await? {
            let whose = if subscriber.is_ours(&hook) {
                "ferry"
            } else {
                "other"
            };
            outln!(
                "{}\t{}\t{}\t{whose}\t{}",
                subscriber.name(),
                hook.id,
                hook.event,
                redact(&hook.target_url, secrets)
            );
        }
    }
    Ok(())
}

/// `Err(SetupError)` when the pipelines cannot be loaded; `Ok(Err)` when subscribing failed.
async fn subscribe(
    workspace: &Workspace,
    pipelines: &[String],
    public_url: &str,
    secrets: &[Secret],
) -> Result<Result<(), SubscribeError>, SetupError> {
    let targets = if pipelines.is_empty() {
        vec![workspace.dir.join("pipelines").display().to_string()]
    } else {
        pipelines.to_vec()
    };
    let jobs = workspace.select(&targets)?.jobs;
    let needed = hooks::needed(&workspace.environment, &jobs);
    if needed.is_empty() {
        eprintln!("no served pipeline reads a connection whose webhooks ferry subscribes");
    }
    Ok(hooks::subscribe(&needed, public_url).await.map(|done| {
        for subscribed in done {
            outln!(
                "{}: {} subscribed, {} already were",
                subscribed.connection,
                subscribed.added.len(),
                subscribed.kept.len()
            );
            for hook in &subscribed.added {
                outln!("  + {} {}", hook.event, redact(&hook.target_url, secrets));
            }
        }
    }))
}

async fn unsubscribe(
    workspace: &Workspace,
    connection: Option<&str>,
    secrets: &[Secret],
) -> Result<(), SubscribeError> {
    for subscriber in hooks::managed(&workspace.environment, connection)? {
        let removed = subscriber.unsubscribe().await?;
        outln!("{}: {} unsubscribed", subscriber.name(), removed.len());
        for hook in removed {
            outln!("  - {} {}", hook.event, redact(&hook.target_url, secrets));
        }
    }
    Ok(())
}
