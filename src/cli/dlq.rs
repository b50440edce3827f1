//! `ferry dlq`: list, show, replay and discard the records that failed permanently.

use std::path::PathBuf;

use super::exit;
use super::output::{outln, print_human};
use crate::runtime::{Replayed, Runner, SetupError, Workspace};
use crate::store::{DeadLetter, DeadLetterFilter, DeadLetterStep, Store, StoreError};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
    /// The ferry.yaml environment whose store to read.
    #[arg(long, global = true)]
    env: Option<String>,
    /// The project file (default: the nearest ferry.yaml from here up).
    #[arg(long, global = true)]
    project: Option<PathBuf>,
}

#[derive(clap::Subcommand)]
enum Action {
    /// The open dead letters, newest first.
    List {
        #[arg(long)]
        pipeline: Option<String>,
        /// Include the letters a replay resolved.
        #[arg(long)]
        all: bool,
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
    },
    /// One dead letter with its record and its history.
    Show { id: i64 },
    /// Closes open dead letters whose records need no delivery (a test record, a duplicate
    /// made by hand); the reason is kept in their history. A new failure reopens a letter.
    Discard {
        #[arg(required = true)]
        ids: Vec<i64>,
        /// Why the records need no delivery, for whoever reads the history.
        #[arg(long, value_parser = non_blank)]
        reason: String,
    },
    /// Runs dead letters through their pipeline as it is now; delivered ones are resolved.
    Replay {
        /// Letters to replay.
        ids: Vec<i64>,
        /// Every open letter (of `--pipeline`, if given).
        #[arg(long, conflicts_with = "ids")]
        all: bool,
        #[arg(long)]
        pipeline: Option<String>,
        /// Where the pipelines are (files or folders; default: the project's folder and its
        /// `pipelines/`).
        #[arg(long = "from", value_name = "PATH")]
        from: Vec<PathBuf>,
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
        match run_async(args).await {
            Ok(code) => code,
            Err(SetupError::Project {
                diagnostics,
                sources,
            }) => {
                print_human(&diagnostics, &sources);
                exit::USAGE
            }
            Err(error) => {
                eprintln!("error: {error}");
                exit::USAGE
            }
        }
    })
}

async fn run_async(args: Args) -> Result<u8, SetupError> {
    let workspace = Workspace::open(args.project.as_deref(), args.env.as_deref())?;
    let store = workspace.store().await?;
    let code = match args.action {
        Action::List {
            pipeline,
            all,
            json,
        } => {
            let letters = store
                .dead_letters(&DeadLetterFilter {
                    pipeline,
                    include_resolved: all,
                    newest_first: true,
                    ..DeadLetterFilter::default()
                })
                .await?;
            list(&letters, json);
            exit::OK
        }
        Action::Show { id } => match store.dead_letter_by_id(id).await? {
            Some(letter) => {
                let history = store.dead_letter_history(id).await?;
                show(&letter, &history);
                exit::OK
            }
            None => {
                eprintln!("error: no dead letter {id}");
                exit::USAGE
            }
        },
        Action::Replay {
            ids,
            all,
            pipeline,
            from,
        } => replay(&workspace, store.clone(), ids, all, pipeline, from).await?,
        Action::Discard { ids, reason } => discard(&store, &ids, &reason).await?,
    };
    store.close().await;
    Ok(code)
}

fn list(letters: &[DeadLetter], json: bool) {
    if json {
        for letter in letters {
            outln!("{}", letter_json(letter));
        }
        return;
    }
    if letters.is_empty() {
        outln!("no dead letters");
        return;
    }
    outln!(
        "{:>5}  {:<32}  {:<20}  {:>8}  {:<20}  error",
        "id",
        "pipeline",
        "source id",
        "attempts",
        "last seen"
    );
    for letter in letters {
        let state = match (letter.resolved_at, letter.resolution) {
            (None, _) => String::new(),
            (Some(_), Some(resolution)) => format!(" ({})", resolution.as_str()),
            (Some(_), None) => " (resolved)".to_string(),
        };
        outln!(
            "{:>5}  {:<32}  {:<20}  {:>8}  {:<20}  {}: {}{state}",
            letter.id,
            letter.pipeline,
            letter.source_id,
            letter.attempts,
            letter.last_seen.strftime("%Y-%m-%d %H:%M:%S"),
            letter.error_code,
            first_line(&letter.error_message)
        );
    }
}

fn show(letter: &DeadLetter, history: &[DeadLetterStep]) {
    outln!("dead letter {}", letter.id);
    outln!("  pipeline:   {}", letter.pipeline);
    outln!("  source id:  {}", letter.source_id);
    outln!("  error:      {}", letter.error_code);
    outln!("  message:    {}", letter.error_message);
    outln!("  attempts:   {}", letter.attempts);
    outln!("  first seen: {}", letter.first_seen);
    outln!("  last seen:  {}", letter.last_seen);
    if let Some(at) = letter.resolved_at {
        let how = letter.resolution.map_or("resolved", |r| r.as_str());
        outln!("  closed:     {at} ({how})");
    }
    if let Some(note) = &letter.resolution_note {
        outln!("  reason:     {note}");
    }
    outln!("  history:");
    for step in history {
        outln!(
            "    {}  {}",
            step.at().strftime("%Y-%m-%d %H:%M:%S"),
            first_line(&step.summary())
        );
    }
    outln!("  record:\n{}", letter.record_pretty());
}

fn letter_json(letter: &DeadLetter) -> serde_json::Value {
    serde_json::json!({
        "id": letter.id,
        "pipeline": letter.pipeline,
        "source_id": letter.source_id,
        "error_code": letter.error_code,
        "error_message": letter.error_message,
        "attempts": letter.attempts,
        "first_seen": letter.first_seen.to_string(),
        "last_seen": letter.last_seen.to_string(),
        "resolved_at": letter.resolved_at.map(|t| t.to_string()),
        "resolution": letter.resolution.map(|r| r.as_str()),
        "resolution_note": letter.resolution_note,
    })
}

/// A `--reason` with something in it.
fn non_blank(text: &str) -> Result<String, String> {
    match text.trim() {
        "" => Err("say why the records need no delivery".into()),
        reason => Ok(reason.to_string()),
    }
}

/// Discards each letter; a letter that is unknown or already closed is reported and the rest
/// are still discarded.
async fn discard(store: &Store, ids: &[i64], reason: &str) -> Result<u8, SetupError> {
    let mut refused = 0;
    for &id in ids {
        match store.discard_dead_letter(id, reason).await {
            Ok(()) => outln!("{id}: discarded"),
            Err(
                error @ (StoreError::DeadLetterNotFound(_) | StoreError::DeadLetterClosed { .. }),
            ) => {
                refused += 1;
                eprintln!("error: {error}");
            }
            Err(error) => return Err(error.into()),
        }
    }
    Ok(if refused == 0 { exit::OK } else { exit::USAGE })
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default()
}

async fn replay(
    workspace: &Workspace,
    store: Store,
    ids: Vec<i64>,
    all: bool,
    pipeline: Option<String>,
    from: Vec<PathBuf>,
) -> Result<u8, SetupError> {
    let letters: Vec<DeadLetter> = if all {
        store
            .dead_letters(&DeadLetterFilter {
                pipeline,
                ..DeadLetterFilter::default()
            })
            .await?
    } else if ids.is_empty() {
        eprintln!("error: name the dead letters to replay, or pass --all");
        return Ok(exit::USAGE);
    } else {
        let mut found = Vec::new();
        for id in ids {
            match store.dead_letter_by_id(id).await? {
                Some(letter) => found.push(letter),
                None => {
                    eprintln!("error: no dead letter {id}");
                    return Ok(exit::USAGE);
                }
            }
        }
        found
    };
    if letters.is_empty() {
        outln!("no dead letters to replay");
        return Ok(exit::OK);
    }
    let mut names: Vec<String> = letters.iter().map(|l| l.pipeline.clone()).collect();
    names.sort();
    names.dedup();
    let jobs = if from.is_empty() {
        workspace.jobs(&names)?
    } else {
        workspace.jobs_named(&names, &from)?
    };
    let connectors = workspace.connectors(&jobs, None, &store)?;
    let runner = Runner::new(store, connectors, workspace.secrets());
    let (mut resolved, mut failed) = (0, 0);
    for letter in &letters {
        let Some(job) = jobs.iter().find(|j| j.name == letter.pipeline) else {
            continue;
        };
        match runner.replay(job, letter).await {
            Ok(Replayed::Resolved(operation)) => {
                resolved += 1;
                let what = operation.map(|o| o.as_str()).unwrap_or("no write needed");
                outln!(
                    "{}: {} {} -> resolved ({what})",
                    letter.id,
                    letter.pipeline,
                    letter.source_id
                );
            }
            Ok(Replayed::FailedAgain { code, message }) => {
                failed += 1;
                outln!(
                    "{}: {} {} -> failed again: {code}: {}",
                    letter.id,
                    letter.pipeline,
                    letter.source_id,
                    first_line(&message)
                );
            }
            Err(error) => {
                eprintln!("error: {error}");
                eprintln!("  stopped; {resolved} resolved so far");
                return Ok(exit::FAILED);
            }
        }
    }
    outln!("{resolved} resolved, {failed} failed again");
    Ok(if failed == 0 { exit::OK } else { exit::FAILED })
}
