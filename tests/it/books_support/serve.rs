//! `ferry serve` for the books proof: in the test's process (the library's `server::start`), or
//! as the real binary that the proof kills with SIGKILL in the middle of the story.

use std::path::{Path, PathBuf};
use std::time::Duration;

use ferry::server::ServerHandle;
use ferry::store::Store;

use crate::proof_support::{
    count, ferry, free_port, read_store, serve_args, tail, terminate, wait_healthy,
};
use crate::run_support::serve::serve_project;

/// The six pipelines the Business Central books proof runs.
pub const PIPELINES: &[&str] = &[
    concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/pipelines/stripe_customers_to_business_central.ferry"
    ),
    concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/pipelines/stripe_charges_to_business_central_invoices.ferry"
    ),
    concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/pipelines/stripe_invoices_to_business_central.ferry"
    ),
    concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/pipelines/stripe_subscriptions_to_business_central.ferry"
    ),
    concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/pipelines/stripe_refunds_to_business_central.ferry"
    ),
    concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/pipelines/stripe_payouts_to_business_central.ferry"
    ),
];

// One value per test: the variants' sizes do not matter.
#[allow(clippy::large_enum_variant)]
pub enum Serve {
    InProcess {
        handle: ServerHandle,
        store: Store,
    },
    Process {
        child: tokio::process::Child,
        args: Vec<String>,
        dir: PathBuf,
        log: PathBuf,
        base: String,
        /// The SIGKILLs so far, and how many events were done at each.
        done_at_kills: Vec<i64>,
    },
}

impl Serve {
    /// `ferry serve` in this process, with three workers, running the Business Central books'
    /// [`PIPELINES`].
    pub async fn in_process(project: &Path) -> Self {
        Self::in_process_running(project, PIPELINES).await
    }

    /// `ferry serve` in this process, with three workers, running `pipelines`.
    pub async fn in_process_running(project: &Path, pipelines: &[&str]) -> Self {
        let (handle, store) = serve_project(project, 3, pipelines).await;
        Serve::InProcess { handle, store }
    }

    /// The `ferry` binary's `serve`, two workers, no catch-up from `/v1/events`: only the
    /// webhooks the Stripe emulator delivers (and retries while it is down) explain the books.
    pub async fn process(project: &Path) -> Self {
        Self::process_running(project, PIPELINES).await
    }

    /// The `ferry` binary's `serve`, as [`Serve::process`], running `pipelines`.
    pub async fn process_running(project: &Path, pipelines: &[&str]) -> Self {
        let dir = project.parent().unwrap().to_path_buf();
        let log = dir.join("serve.log");
        let bind = free_port();
        let args = serve_args(project, pipelines, bind);
        let base = format!("http://{bind}");
        let mut child = spawn(&dir, &args, &log);
        wait_healthy(&base, &mut child, &log).await;
        Serve::Process {
            child,
            args,
            dir,
            log,
            base,
            done_at_kills: Vec::new(),
        }
    }

    /// Where the Stripe emulator delivers its webhooks.
    pub fn webhook_url(&self) -> String {
        match self {
            Serve::InProcess { handle, .. } => {
                format!("http://{}/webhooks/stripe/stripe", handle.local_addr)
            }
            Serve::Process { base, .. } => format!("{base}/webhooks/stripe/stripe"),
        }
    }

    /// Events received and not yet done.
    pub async fn open_events(&self) -> u64 {
        match self {
            Serve::InProcess { store, .. } => {
                let stats = store.inbox_stats().await.unwrap();
                stats.pending + stats.processing + stats.failed
            }
            Serve::Process { dir, .. } => {
                let store = read_store(&dir.join("state.db")).await;
                let open = count(&store, "SELECT count(*) FROM inbox WHERE state <> 'done'").await;
                store.close().await;
                open as u64
            }
        }
    }

    /// The dead letters serve's store holds (none, in a proof that passes), as text.
    pub async fn dead_letters(&self) -> Vec<String> {
        match self {
            Serve::InProcess { store, .. } => store
                .dead_letters(&ferry::store::DeadLetterFilter::default())
                .await
                .unwrap()
                .iter()
                .map(|letter| format!("{letter:?}"))
                .collect(),
            Serve::Process { dir, .. } => {
                let store = read_store(&dir.join("state.db")).await;
                let letters = count(&store, "SELECT count(*) FROM dead_letters").await;
                store.close().await;
                (0..letters)
                    .map(|n| format!("dead letter {n} in {}", dir.display()))
                    .collect()
            }
        }
    }

    /// The real `ferry serve` is killed with SIGKILL once `at_least` events are done, and
    /// started again after `down`; in-process serve goes on.
    pub async fn kill_once_done(&mut self, at_least: i64, down: Duration) {
        let Serve::Process {
            child,
            args,
            dir,
            log,
            base,
            done_at_kills,
        } = self
        else {
            return;
        };
        let done = loop {
            if let Some(status) = child.try_wait().unwrap() {
                panic!(
                    "ferry serve exited on its own ({status})\n{}",
                    tail(log, 30)
                );
            }
            let store = read_store(&dir.join("state.db")).await;
            let done = count(&store, "SELECT count(*) FROM inbox WHERE state = 'done'").await;
            store.close().await;
            if done >= at_least {
                break done;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        };
        child.start_kill().unwrap();
        child.wait().await.unwrap();
        eprintln!("SIGKILL with {done} events done");
        done_at_kills.push(done);
        tokio::time::sleep(down).await;
        *child = spawn(dir, args, log);
        wait_healthy(base, child, log).await;
    }

    /// Stops serve: a clean shutdown in process, SIGTERM for the binary (which must exit 0).
    pub async fn stop(self) -> Vec<i64> {
        match self {
            Serve::InProcess { handle, .. } => {
                handle.shutdown().await;
                Vec::new()
            }
            Serve::Process {
                mut child,
                log,
                done_at_kills,
                ..
            } => {
                terminate(&mut child, &log).await;
                done_at_kills
            }
        }
    }

    pub fn log_tail(&self) -> String {
        match self {
            Serve::InProcess { .. } => String::new(),
            Serve::Process { log, .. } => tail(log, 30),
        }
    }
}

fn spawn(dir: &Path, args: &[String], log: &Path) -> tokio::process::Child {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    ferry(dir, &args, log)
}
