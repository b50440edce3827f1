//! `ferry demo`: the main job on the embedded defaults. Starts the sandbox in this process,
//! runs the Capsule -> Stripe customer pipeline against it with the SQLite store, changes a
//! contact in Capsule and runs again, then shows where to look.

use std::net::SocketAddr;
use std::path::PathBuf;

use jiff::Timestamp;

use super::exit;
use super::output::{outln, print_human};
use crate::project::StoreUrl;
use crate::runtime::{Job, PipelineReport, RunOptions, Runner, SetupError, Workspace};
use crate::sandbox::capsule::party::PartyKind;
use crate::sandbox::stripe::{StripeOptions, StripeState};
use crate::sandbox::{Sandbox, SandboxHandle};
use crate::store::{AuditFilter, DeadLetterFilter};

const PIPELINE: &str = "capsule_contacts_to_stripe";
/// People kept in the seeded Capsule account, so the demo finishes in seconds at Stripe's
/// test-mode rate limit.
const PEOPLE: usize = 40;

#[derive(clap::Args)]
pub struct Args {
    /// The project file (default: the nearest ferry.yaml from here up).
    #[arg(long)]
    project: Option<PathBuf>,
    /// Seed of the sandbox's generated data.
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

pub fn run(args: Args) -> u8 {
    super::logging::init(super::logging::LogFormat::Text);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return exit::USAGE;
        }
    };
    runtime.block_on(async move {
        match demo(args).await {
            Ok(code) => code,
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
                exit::USAGE
            }
            Err(error) => {
                eprintln!("error: {error}");
                exit::USAGE
            }
        }
    })
}

async fn demo(args: Args) -> Result<u8, SetupError> {
    let mut workspace = Workspace::open(args.project.as_deref(), Some("sandbox"))?;
    let (handle, capsule) = start_sandbox(args.seed).await?;
    let port = handle.port();
    point_at_sandbox(&mut workspace, port);
    reset_store(&workspace);
    outln!(
        "1. Started the sandbox on {} (Stripe, Capsule CRM, Business Central emulators).",
        handle.base_url()
    );
    outln!(
        "   Capsule holds {PEOPLE} people and their organisations; one person's email is malformed on purpose."
    );

    let jobs = workspace.jobs(&[PIPELINE.to_string()])?;
    let store = workspace.store().await?;
    let connectors = workspace.connectors(&jobs, None, &store)?;
    let runner = Runner::new(store.clone(), connectors, workspace.secrets());
    let Some(job) = jobs.first() else {
        return Err(SetupError::Pipelines(format!("no pipeline {PIPELINE}")));
    };
    outln!("2. Backfill: every Capsule person becomes a Stripe customer, matched by email.");
    let first = run_pass(&runner, job, true).await;
    let Some(first) = first else {
        return Ok(exit::FAILED);
    };
    print_pass(&first);

    let changed = change_one_person(&capsule);
    outln!("3. Changed {changed} in Capsule and ran again: only that change is written.");
    let Some(second) = run_pass(&runner, job, false).await else {
        return Ok(exit::FAILED);
    };
    print_pass(&second);

    let audit = store.audit_entries(&AuditFilter::default()).await?;
    let letters = store.dead_letters(&DeadLetterFilter::default()).await?;
    outln!("4. The audit log holds {} writes; the latest:", audit.len());
    for entry in audit.iter().rev().take(3) {
        outln!(
            "     {} {} {} <- capsule party {} (fields: {})",
            entry.operation.as_str(),
            entry.target,
            entry.target_id.as_deref().unwrap_or("-"),
            entry.source_id,
            entry.fields_changed.join(", ")
        );
    }
    outln!("   Dead letters: {}", letters.len());
    for letter in &letters {
        outln!(
            "     #{} party {}: {}",
            letter.id,
            letter.source_id,
            letter.error_message
        );
    }
    let store_path = match &workspace.environment.store {
        StoreUrl::Sqlite(path) => path.display().to_string(),
        _ => "the store".into(),
    };
    outln!();
    outln!("Where to look:");
    outln!(
        "  ferry dlq list                     the dead letters (the sandbox environment's store)"
    );
    outln!("  ferry dlq show ID                  one of them, with its record");
    outln!("  sqlite3 {store_path} 'select * from audit_log'");
    outln!(
        "  ferry sandbox  then  ferry run {PIPELINE} --dry-run   the same against a long-running sandbox"
    );
    store.close().await;
    let _ = handle.shutdown().await;
    Ok(exit::OK)
}

async fn start_sandbox(
    seed: u64,
) -> Result<(SandboxHandle, crate::sandbox::capsule::CapsuleState), SetupError> {
    let stripe = StripeState::new(StripeOptions {
        seed: Some(seed),
        seed_customers: 0,
        seed_charges: 0,
        seed_products: 0,
        ..StripeOptions::default()
    });
    let sandbox = Sandbox::builder().seed(Some(seed)).stripe(stripe).build();
    let capsule = sandbox
        .capsule()
        .cloned()
        .ok_or_else(|| SetupError::Pipelines("the sandbox has no Capsule emulator".into()))?;
    keep_few_people(&capsule);
    let handle = sandbox
        .serve(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .map_err(|error| SetupError::Pipelines(format!("cannot start the sandbox: {error}")))?;
    Ok((handle, capsule))
}

/// Keeps the first people (and every organisation) and breaks one email on purpose.
fn keep_few_people(capsule: &crate::sandbox::capsule::CapsuleState) {
    let mut data = capsule.data();
    let mut people = 0;
    data.parties.retain(|_, party| {
        if party.kind == PartyKind::Person {
            people += 1;
            people <= PEOPLE
        } else {
            true
        }
    });
    if let Some(party) = data
        .parties
        .values_mut()
        .filter(|p| p.kind == PartyKind::Person)
        .nth(PEOPLE / 2)
        && let Some(email) = party.email_addresses.first_mut()
    {
        email.address = "not-an-email".into();
    }
}

/// Renames the first person with an email; returns who it was.
fn change_one_person(capsule: &crate::sandbox::capsule::CapsuleState) -> String {
    let mut data = capsule.data();
    let Some(party) = data
        .parties
        .values_mut()
        .find(|p| p.kind == PartyKind::Person && !p.email_addresses.is_empty())
    else {
        return "nobody".into();
    };
    let before = party.display_name();
    party.last_name = Some(format!(
        "{}-Smith",
        party.last_name.clone().unwrap_or_default()
    ));
    party.updated_at = Timestamp::now();
    format!("{before}'s last name")
}

/// The sandbox environment names port 4010; the demo's sandbox listens on a free port.
fn point_at_sandbox(workspace: &mut Workspace, port: u16) {
    for connection in workspace.environment.connections.values_mut() {
        if let Some(url) = connection.base_url.as_mut()
            && url.host_str() == Some("127.0.0.1")
        {
            let _ = url.set_port(Some(port));
        }
        if let crate::project::Auth::ClientCredentials { token_url, .. } = &mut connection.auth
            && token_url.host_str() == Some("127.0.0.1")
        {
            let _ = token_url.set_port(Some(port));
        }
    }
}

/// The demo starts from an empty store each time, as its sandbox does.
fn reset_store(workspace: &Workspace) {
    if let StoreUrl::Sqlite(path) = &workspace.environment.store {
        for suffix in ["", "-wal", "-shm"] {
            let mut file = path.clone().into_os_string();
            file.push(suffix);
            let _ = std::fs::remove_file(file);
        }
    }
}

async fn run_pass(runner: &Runner, job: &Job, backfill: bool) -> Option<PipelineReport> {
    let options = RunOptions {
        backfill,
        ..RunOptions::default()
    };
    match runner.run(job, &options, &()).await {
        Ok((report, _)) => Some(report),
        Err(error) => {
            eprintln!("error: {error}");
            None
        }
    }
}

fn print_pass(report: &PipelineReport) {
    outln!(
        "   {} Capsule parties read: {} customers created, {} updated, {} unchanged, {} organisations filtered out, {} skipped (no email), {} dead-lettered.",
        report.read,
        report.created,
        report.updated,
        report.unchanged,
        report.filtered,
        report.skipped,
        report.dead_lettered
    );
}
