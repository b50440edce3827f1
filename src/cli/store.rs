//! `ferry store migrate`: move a project's store to another database (SQLite to PostgreSQL).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Instant;

use super::exit;
use super::output::{out, outln};
use super::run::{on_one_thread, report_setup_error};
use crate::runtime::Workspace;
use crate::store::{CopyReport, Store, StoreError, shown_url};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(clap::Subcommand)]
enum Action {
    /// Copy every row of the store into an empty PostgreSQL database, in one transaction,
    /// then compare both sides' row counts and checksums table by table. Stop `ferry serve`
    /// and `ferry run` on the store first: what they write meanwhile is not copied.
    Migrate {
        /// The store to fill: `postgres://user:password@host/database`. It must hold no rows.
        #[arg(long, value_name = "URL")]
        to: String,
        /// The store to copy (default: the environment's store in ferry.yaml).
        #[arg(long, value_name = "URL")]
        from: Option<String>,
        /// The ferry.yaml environment whose store to copy.
        #[arg(long)]
        env: Option<String>,
        /// The project file (default: the nearest ferry.yaml from here up).
        #[arg(long)]
        project: Option<PathBuf>,
    },
}

pub fn run(args: Args) -> u8 {
    match args.action {
        Action::Migrate {
            to,
            from,
            env,
            project,
        } => {
            let from = match from {
                Some(url) => url,
                None => match Workspace::open(project.as_deref(), env.as_deref()) {
                    Ok(workspace) => workspace.store_url(),
                    Err(error) => return report_setup_error(error),
                },
            };
            on_one_thread(migrate(from, to))
        }
    }
}

async fn migrate(from: String, to: String) -> u8 {
    let source = match Store::open(&from).await {
        Ok(store) => store,
        Err(error) => return refused("the store to copy", &error),
    };
    let target = match Store::open_copy_target(&to).await {
        Ok(store) => store,
        Err(error) => return refused("the target store", &error),
    };
    let started = Instant::now();
    eprintln!("copying {} into {}", shown_url(&from), shown_url(&to));
    // Counts as they go on a terminal; a log gets only the result.
    let live = std::io::stderr().is_terminal();
    let copied = source
        .copy_into(&target, |table, rows| {
            if live {
                eprint!("\r{table}: {rows} rows\x1b[K");
            }
        })
        .await;
    if live {
        eprintln!();
    }
    source.close().await;
    target.close().await;
    match copied {
        Ok(report) => {
            out!("{}", render(&report));
            if report.matches() {
                outln!(
                    "copied in {:.1}s; every table matches. Point ferry.yaml's `store:` at the \
                     new store before starting ferry again.",
                    started.elapsed().as_secs_f64()
                );
                exit::OK
            } else {
                outln!("the copy differs from its source (see DIFFERS above)");
                exit::FAILED
            }
        }
        Err(error) => refused("the copy", &error),
    }
}

fn refused(what: &str, error: &StoreError) -> u8 {
    eprintln!("error: {what}: {error}");
    exit::USAGE
}

/// One line per table: rows and the checksum's first 16 hex digits on each side.
fn render(report: &CopyReport) -> String {
    let mut text = format!(
        "{:<22} {:>10} {:>10}  {:<16}  {:<16}\n",
        "table", "rows from", "rows to", "sha-256 from", "sha-256 to"
    );
    for check in &report.tables {
        text.push_str(&format!(
            "{:<22} {:>10} {:>10}  {:<16}  {:<16}  {}\n",
            check.table,
            check.source.rows,
            check.target.rows,
            short(&check.source.sha256),
            short(&check.target.sha256),
            if check.matches() { "ok" } else { "DIFFERS" }
        ));
    }
    text
}

fn short(sha256: &str) -> &str {
    sha256.get(..16).unwrap_or(sha256)
}
