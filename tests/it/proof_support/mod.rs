//! Sizes, seeds and the summary line shared by the proof tests (`scripts/proof.sh`).
//!
//! Each proof reads its size from the environment, so CI runs a reduced size and
//! `scripts/proof.sh` the full one: `FERRY_PROOF_RECORDS`, `FERRY_PROOF_KILLS`,
//! `FERRY_PROOF_EVENTS` and `FERRY_PROOF_SEED`. With `FERRY_PROOF_REPORT` set, each proof
//! appends one JSON line with what it checked to that file.

pub mod deliveries;

use std::io::Write;
use std::path::Path;
use std::process::Stdio;
use std::time::Instant;

use serde_json::{Value, json};

/// The size and seed of one proof run.
#[derive(Debug, Clone, Copy)]
pub struct Size {
    pub records: u64,
    pub kills: u64,
    pub events: u64,
    pub seed: u64,
}

fn number(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(text) => text
            .trim()
            .replace(['_', ','], "")
            .parse()
            .unwrap_or_else(|_| panic!("{name}={text} is not a whole number")),
        Err(_) => default,
    }
}

/// The sizes from the environment, CI's reduced ones by default; the seed is printed so that a
/// failure can be repeated with `FERRY_PROOF_SEED`.
pub fn size() -> Size {
    let random_seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(1);
    let size = Size {
        records: number("FERRY_PROOF_RECORDS", 1_000),
        kills: number("FERRY_PROOF_KILLS", 3),
        events: number("FERRY_PROOF_EVENTS", 1_000),
        seed: number("FERRY_PROOF_SEED", random_seed),
    };
    eprintln!(
        "proof size: {size:?} (repeat with FERRY_PROOF_SEED={})",
        size.seed
    );
    size
}

/// A proof's summary, written to `FERRY_PROOF_REPORT` when it passed.
pub struct Report {
    name: &'static str,
    started: Instant,
    figures: serde_json::Map<String, Value>,
}

impl Report {
    pub fn new(name: &'static str) -> Self {
        Report {
            name,
            started: Instant::now(),
            figures: serde_json::Map::new(),
        }
    }

    pub fn figure(&mut self, name: &str, value: impl Into<Value>) -> &mut Self {
        self.figures.insert(name.to_string(), value.into());
        self
    }

    /// Appends the summary line; call it last, after every assertion held.
    pub fn passed(&mut self) {
        let line = json!({
            "proof": self.name,
            "seconds": (self.started.elapsed().as_secs_f64() * 10.0).round() / 10.0,
            "figures": self.figures,
        });
        eprintln!("proof passed: {line}");
        let Ok(path) = std::env::var("FERRY_PROOF_REPORT") else {
            return;
        };
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .unwrap_or_else(|e| panic!("cannot write the proof report {path}: {e}"));
        writeln!(file, "{line}").unwrap_or_else(|e| panic!("cannot write {path}: {e}"));
    }
}

/// `ferry ARGS` as a child process in `dir`, its output appended to `log`.
pub fn ferry(dir: &Path, args: &[&str], log: &Path) -> tokio::process::Child {
    let out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap();
    let err = out.try_clone().unwrap();
    tokio::process::Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .kill_on_drop(true)
        .spawn()
        .unwrap()
}

/// Stops `ferry serve` as a service manager does (SIGTERM) and asserts it shut down cleanly
/// within 30 s.
pub async fn terminate(child: &mut tokio::process::Child, log: &Path) {
    let pid = child.id().expect("ferry serve is running").to_string();
    let term = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(term.success());
    let stopped = tokio::time::timeout(std::time::Duration::from_secs(30), child.wait())
        .await
        .expect("ferry serve did not stop within 30 s of SIGTERM")
        .unwrap();
    assert!(
        stopped.success(),
        "ferry serve stopped with {stopped}\n{}",
        tail(log, 30)
    );
}

/// The last `lines` lines of a log, for failure messages.
pub fn tail(log: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// A read-only connection to the store at `path`, opened apart from ferry's own store code.
pub async fn read_store(path: &Path) -> sqlx::SqlitePool {
    let url = format!("sqlite://{}?mode=ro", path.display());
    sqlx::SqlitePool::connect(&url)
        .await
        .unwrap_or_else(|e| panic!("cannot open {url}: {e}"))
}

/// The single number a `SELECT count(*) ...` gives.
pub async fn count(store: &sqlx::SqlitePool, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(store)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// A loopback address no one listens on, for a server restarted on the same port.
pub fn free_port() -> std::net::SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .unwrap_or_else(|e| panic!("no free loopback port: {e}"))
}

/// Waits (at most 12 s) until the `ferry serve` at `base` answers `/healthz`.
pub async fn wait_healthy(base: &str, child: &mut tokio::process::Child, log: &Path) {
    let client = reqwest::Client::new();
    for _ in 0..600 {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("ferry serve exited ({status}) on start\n{}", tail(log, 30));
        }
        if let Ok(response) = client.get(format!("{base}/healthz")).send().await
            && response.status().is_success()
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("ferry serve did not come up\n{}", tail(log, 30));
}

/// Waits (at most 5 minutes) until every event in the inbox of the store at `path` is done.
pub async fn wait_inbox_drained(path: &Path, log: &Path) {
    for _ in 0..3_000 {
        let store = read_store(path).await;
        let open = count(&store, "SELECT count(*) FROM inbox WHERE state <> 'done'").await;
        store.close().await;
        if open == 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the inbox did not drain\n{}", tail(log, 30));
}

/// `ferry serve` for `pipelines` on `bind` with two workers and no catch-up from
/// `/v1/events`, so that only the deliveries a test makes can explain the effects.
pub fn serve_args(project: &Path, pipelines: &[&str], bind: std::net::SocketAddr) -> Vec<String> {
    let mut args = vec!["serve".to_string()];
    args.extend(pipelines.iter().map(|p| p.to_string()));
    let project = project.display().to_string();
    let bind = bind.to_string();
    let options = [
        "--project",
        &project,
        "--bind",
        &bind,
        "--catch-up-every",
        "0",
        "--workers",
        "2",
    ];
    args.extend(options.map(str::to_string));
    args
}
