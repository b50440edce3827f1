//! `ferry alerts`: send a test message through every channel, and list the alerts sent.

use std::path::PathBuf;

use jiff::Timestamp;

use super::exit;
use super::output::outln;
use super::run::{on_one_thread, report_setup_error};
use crate::alerts::{Alert, Alerts, Trigger};
use crate::runtime::{SetupError, Workspace};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
    /// The ferry.yaml environment.
    #[arg(long, global = true)]
    env: Option<String>,
    /// The project file (default: the nearest ferry.yaml from here up).
    #[arg(long, global = true)]
    project: Option<PathBuf>,
}

#[derive(clap::Subcommand)]
enum Action {
    /// Sends a test message through every channel of `alerts:` and says how each went.
    Test,
    /// The alerts sent (or tried), newest first.
    List {
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
    },
}

pub fn run(args: Args) -> u8 {
    on_one_thread(async move {
        match run_async(args).await {
            Ok(code) => code,
            Err(error) => report_setup_error(error),
        }
    })
}

async fn run_async(args: Args) -> Result<u8, SetupError> {
    let workspace = Workspace::open(args.project.as_deref(), args.env.as_deref())?;
    match args.action {
        Action::Test => Ok(test(&workspace).await),
        Action::List { limit, json } => {
            let store = workspace.store().await?;
            let alerts = store.recent_alerts(limit).await?;
            store.close().await;
            if alerts.is_empty() && !json {
                outln!("no alerts");
            }
            for alert in alerts {
                if json {
                    outln!(
                        "{}",
                        serde_json::json!({
                            "trigger": alert.trigger,
                            "key": alert.key,
                            "subject": alert.subject,
                            "body": alert.body,
                            "at": alert.at.to_string(),
                            "delivered": alert.delivered,
                            "failed": alert.failed,
                        })
                    );
                    continue;
                }
                let reached = if alert.failed.is_empty() {
                    format!("to {}", alert.delivered.join(", "))
                } else {
                    let failed: Vec<&str> = alert.failed.iter().map(|(c, _)| c.as_str()).collect();
                    format!(
                        "to {}; not to {}",
                        alert.delivered.join(", "),
                        failed.join(", ")
                    )
                };
                outln!(
                    "{}  {:<18}  {}  ({reached})",
                    alert.at.strftime("%Y-%m-%d %H:%M:%S"),
                    alert.trigger,
                    alert.subject
                );
            }
            Ok(exit::OK)
        }
    }
}

/// Exit 0 when every channel took the message, 1 when one did not, 2 without channels.
async fn test(workspace: &Workspace) -> u8 {
    let Some(config) = &workspace.alerts else {
        eprintln!(
            "error: no alerts in this environment: add an `alerts:` section to ferry.yaml (or this environment turns them off with `alerts: false`)"
        );
        return exit::USAGE;
    };
    let project = workspace.project_name();
    let alert = Alert {
        trigger: Trigger::Test,
        key: "test".into(),
        subject: "a test alert".into(),
        body: format!(
            "`ferry alerts test` sent this at {} to check that alerts of project `{project}` reach you. Nothing needs doing.",
            Timestamp::now().strftime("%Y-%m-%d %H:%M:%S UTC")
        ),
        quiet: std::time::Duration::ZERO,
    };
    let sent = Alerts::send_now(config, &workspace.secrets(), &project, &alert).await;
    for channel in &sent.delivered {
        outln!("{channel}: sent");
    }
    for (channel, reason) in &sent.failed {
        outln!("{channel}: failed: {reason}");
    }
    if sent.failed.is_empty() {
        exit::OK
    } else {
        exit::FAILED
    }
}
