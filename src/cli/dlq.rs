//! `ferry dlq`: list, show and replay the records that failed permanently.

use std::path::PathBuf;

use super::exit;
use super::output::{outln, print_human};
use crate::runtime::{Replayed, Runner, SetupError, Workspace};
use crate::store::{DeadLetter, DeadLetterFilter, Store};

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
    /// One dead letter with its record.
    Show { id: i64 },
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
                    limit: None,
                })
                .await?;
            list(&letters, json);
            exit::OK
        }
        Action::Show { id } => match store.dead_letter_by_id(id).await? {
            Some(letter) => {
                show(&letter);
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
        let state = if letter.resolved_at.is_some() {
            " (resolved)"
        } else {
            ""
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

fn show(letter: &DeadLetter) {
    outln!("dead letter {}", letter.id);
    outln!("  pipeline:   {}", letter.pipeline);
    outln!("  source id:  {}", letter.source_id);
    outln!("  error:      {}", letter.error_code);
    outln!("  message:    {}", letter.error_message);
    outln!("  attempts:   {}", letter.attempts);
    outln!("  first seen: {}", letter.first_seen);
    outln!("  last seen:  {}", letter.last_seen);
    if let Some(at) = letter.resolved_at {
        outln!("  resolved:   {at}");
    }
    let record = serde_json::from_str::<serde_json::Value>(&letter.record_json)
        .ok()
        .and_then(|value| serde_json::to_string_pretty(&value).ok())
        .unwrap_or_else(|| letter.record_json.clone());
    outln!("  record:\n{record}");
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
    })
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
                include_resolved: false,
                limit: None,
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
    let connectors = workspace.connectors(&jobs, None)?;
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
