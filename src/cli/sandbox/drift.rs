//! `ferry sandbox drift`: asks a running sandbox for seeded drift (`POST /_sandbox/drift`) and
//! writes the record of what it did.

use std::path::PathBuf;

use serde_json::Value;

use super::super::exit;
use super::super::output::out;
use super::super::run::on_one_thread;
use crate::sandbox::{DriftKind, DriftRecord, DriftRequest};

#[derive(clap::Args)]
pub struct Args {
    /// The running sandbox.
    #[arg(long, default_value = "http://127.0.0.1:4010")]
    url: String,
    /// The emulator, by its connection kind: stripe, capsule, business_central, syspro.
    #[arg(long)]
    system: String,
    /// The collection, as the system's API names it (`customers`, `parties`, `items`).
    #[arg(long)]
    collection: String,
    /// Records ferry made whose field is edited, each a different one.
    #[arg(long, default_value_t = 0)]
    change: usize,
    /// Records ferry made that are deleted.
    #[arg(long, default_value_t = 0)]
    delete: usize,
    /// Records added with no cross reference of ferry's.
    #[arg(long, default_value_t = 0)]
    add: usize,
    /// The same seed makes the same drift of the same data; without one a seed is picked and
    /// recorded.
    #[arg(long)]
    seed: Option<u64>,
    /// The fields a change may edit, comma-separated (`email,name`, `address.city`); by default
    /// fields every shipped pipeline writing the collection sets.
    #[arg(long, value_delimiter = ',')]
    fields: Vec<String>,
    /// Write the record of what was done (JSON) to this file instead of standard output.
    #[arg(long)]
    record: Option<PathBuf>,
}

pub fn run(args: Args) -> u8 {
    crate::init_tls();
    on_one_thread(drift(args))
}

async fn drift(args: Args) -> u8 {
    let request = DriftRequest {
        system: args.system,
        collection: args.collection,
        change: args.change,
        delete: args.delete,
        add: args.add,
        seed: args.seed,
        fields: args.fields,
    };
    let url = format!("{}/_sandbox/drift", args.url.trim_end_matches('/'));
    let response = match reqwest::Client::new()
        .post(&url)
        .json(&request)
        .send()
        .await
    {
        Ok(response) => response,
        Err(error) => {
            eprintln!("error: cannot reach the sandbox at {url}: {error}");
            return exit::USAGE;
        }
    };
    let status = response.status();
    let body = match response.text().await {
        Ok(body) => body,
        Err(error) => {
            eprintln!("error: the sandbox's answer could not be read: {error}");
            return exit::USAGE;
        }
    };
    if !status.is_success() {
        let answer: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
        let message = answer["error"]["message"].as_str().unwrap_or(&body);
        match answer["error"]["code"].as_str() {
            Some(code) => eprintln!("error[{code}]: {message}"),
            None => eprintln!("error: the sandbox answered {status}: {message}"),
        }
        return exit::USAGE;
    }
    let record: DriftRecord = match serde_json::from_str(&body) {
        Ok(record) => record,
        Err(error) => {
            eprintln!("error: {url} answered something other than a drift record ({error})");
            return exit::USAGE;
        }
    };
    let count = |kind| record.actions.iter().filter(|a| a.action == kind).count();
    eprintln!(
        "{}.{}: {} changed, {} deleted, {} added (seed {})",
        record.system,
        record.collection,
        count(DriftKind::Changed),
        count(DriftKind::Deleted),
        count(DriftKind::Added),
        record.seed
    );
    let text = match serde_json::to_string_pretty(&record) {
        Ok(text) => text + "\n",
        Err(error) => {
            eprintln!("error: the record could not be written as JSON: {error}");
            return exit::USAGE;
        }
    };
    match &args.record {
        Some(path) => {
            if let Err(error) = std::fs::write(path, text) {
                eprintln!("error: cannot write {}: {error}", path.display());
                return exit::USAGE;
            }
        }
        None => out!("{text}"),
    }
    exit::OK
}
