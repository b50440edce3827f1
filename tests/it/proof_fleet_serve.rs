//! Proof 1c: a fleet of three `ferry serve` processes on one PostgreSQL database. Real
//! `customer.created` and `customer.updated` events from the Stripe emulator, each sent twice,
//! shuffled, to whichever process a sender picks; a sender that gets no 2xx sends again later
//! (to any process), as Stripe does. Meanwhile, either the processes are killed with SIGKILL at
//! random moments and started again, or every connection to the database is cut again and
//! again (`pg_terminate_backend`; the machine's PostgreSQL itself is shared, so it is not
//! restarted). Every acknowledged event is processed exactly once: one Business Central
//! customer per Stripe customer holding its newest name, one audited create each, every inbox
//! row `done`, no dead letter. Events of one customer handled by two processes at once would
//! create it twice: the claims keep an object's events to one worker at a time.
//!
//! Size: `FERRY_PROOF_EVENTS` events when set (`scripts/proof.sh`: 10,000), else a quarter of
//! the proofs' default (`cargo test`: 250); `FERRY_PROOF_KILLS` kills, or bursts of cuts
//! (`cargo test`: 3; `scripts/proof.sh`: 20).

use crate::proof_support;
use crate::run_support;
use crate::store_support::postgres_server;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use proof_support::deliveries::{
    Deliveries, all_acknowledged, assert_newest_names, send, senders_done,
};
use proof_support::{Report, ferry, free_port, serve_args, size, tail, terminate, wait_healthy};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use run_support::*;
use serde_json::Value;
use sqlx::Connection;
use sqlx::postgres::{PgConnection, PgPool};

const PIPELINE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/pipelines/stripe_customers_to_business_central.ferry"
);

const PROCESSES: usize = 3;

/// What happens to the fleet while the events arrive.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Chaos {
    /// A random process is killed with SIGKILL, and started again a moment later.
    Kills,
    /// Every connection to the fleet's database is cut, three times 200 ms apart.
    CutConnections,
}

/// A database of its own, dropped at the end (with whatever connections are left).
struct FleetDatabase {
    name: String,
}

impl FleetDatabase {
    async fn create() -> FleetDatabase {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let mut admin = admin().await;
        // Databases of proof runs that were killed before they could drop theirs.
        let left: Vec<String> = sqlx::query_scalar(
            "SELECT datname::text FROM pg_database WHERE datname LIKE 'ferry\\_fleet\\_%'",
        )
        .fetch_all(&mut admin)
        .await
        .unwrap();
        for name in left {
            let owner: Option<u32> = name.split('_').nth(2).and_then(|pid| pid.parse().ok());
            if let Some(owner) = owner
                && owner != std::process::id()
                && !std::path::Path::new(&format!("/proc/{owner}")).exists()
            {
                drop_database(&mut admin, &name).await;
            }
        }
        let name = format!(
            "ferry_fleet_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let sql = format!("CREATE DATABASE \"{name}\"");
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut admin)
            .await
            .unwrap();
        FleetDatabase { name }
    }

    fn url(&self) -> String {
        format!("{}/{}", postgres_server(), self.name)
    }

    /// Cuts every connection to the database but the caller's; how many.
    async fn cut_connections(&self) -> u64 {
        let mut admin = admin().await;
        let cut: Vec<bool> = sqlx::query_scalar(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE datname = $1 AND pid <> pg_backend_pid()",
        )
        .bind(&self.name)
        .fetch_all(&mut admin)
        .await
        .unwrap();
        cut.into_iter().filter(|cut| *cut).count() as u64
    }

    async fn drop_now(self) {
        drop_database(&mut admin().await, &self.name).await;
    }
}

async fn admin() -> PgConnection {
    PgConnection::connect(&format!("{}/postgres", postgres_server()))
        .await
        .unwrap_or_else(|error| panic!("the fleet proof needs PostgreSQL: {error}"))
}

async fn drop_database(admin: &mut PgConnection, name: &str) {
    let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(admin)
        .await
        .unwrap();
}

/// One `ferry serve` of the fleet: its port, log and process.
struct Member {
    base: String,
    log: std::path::PathBuf,
    args: Vec<String>,
    child: tokio::process::Child,
}

impl Member {
    async fn start(dir: &std::path::Path, project: &std::path::Path, index: usize) -> Member {
        let bind = free_port();
        let args = serve_args(project, &[PIPELINE], bind);
        let log = dir.join(format!("serve-{index}.log"));
        let mut member = Member {
            base: format!("http://{bind}"),
            child: spawn(dir, &args, &log),
            log,
            args,
        };
        wait_healthy(&member.base, &mut member.child, &member.log).await;
        member
    }

    async fn restart(&mut self, dir: &std::path::Path) {
        self.child = spawn(dir, &self.args, &self.log);
        wait_healthy(&self.base, &mut self.child, &self.log).await;
    }

    fn assert_running(&mut self, when: &str) {
        if let Some(status) = self.child.try_wait().unwrap() {
            panic!(
                "{when}: ferry serve exited on its own ({status})\n{}",
                tail(&self.log, 30)
            );
        }
    }
}

fn spawn(dir: &std::path::Path, args: &[String], log: &std::path::Path) -> tokio::process::Child {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    ferry(dir, &args, log)
}

/// Waits (at most 5 minutes) until every event in the fleet's inbox is done.
async fn wait_drained(store: &PgPool, members: &[Member]) {
    for _ in 0..3_000 {
        let open: i64 = sqlx::query_scalar("SELECT count(*) FROM inbox WHERE state <> 'done'")
            .fetch_one(store)
            .await
            .unwrap();
        if open == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let logs: Vec<String> = members.iter().map(|m| tail(&m.log, 15)).collect();
    panic!("the inbox did not drain\n{}", logs.join("\n---\n"));
}

async fn fleet_story(chaos: Chaos) {
    let size = size();
    let mut report = Report::new(match chaos {
        Chaos::Kills => "fleet: three ferry serve, SIGKILLs",
        Chaos::CutConnections => "fleet: three ferry serve, database connections cut",
    });
    let mut rng = StdRng::seed_from_u64(size.seed);
    let world = unlimited_world().await;
    let database = FleetDatabase::create().await;

    // Three customers created for each one renamed once or twice afterwards.
    let events_wanted = match std::env::var("FERRY_PROOF_EVENTS") {
        Ok(_) => size.events,
        Err(_) => size.events / 4,
    };
    let creates = (events_wanted * 3 / 5).max(1);
    let mut ids = Vec::new();
    for n in 0..creates {
        let customer = world
            .stripe_post(
                "/v1/customers",
                &format!("email=fleet{n}%40example.com&name=First+{n}"),
            )
            .await;
        ids.push(customer["id"].as_str().unwrap().to_string());
    }
    for k in 0..(events_wanted - creates) {
        let id = &ids[rng.random_range(0..ids.len())];
        world
            .stripe_post(&format!("/v1/customers/{id}"), &format!("name=Renamed+{k}"))
            .await;
    }
    let events: Vec<Value> = world.stripe.objects("event");
    assert_eq!(events.len() as u64, events_wanted);
    let mut copies = Vec::with_capacity(events.len() * 2);
    for event in &events {
        let id = event["id"].as_str().unwrap().to_string();
        copies.push((id.clone(), event.to_string()));
        copies.push((id, event.to_string()));
    }
    copies.shuffle(&mut rng);
    let deliveries = Arc::new(Mutex::new(Deliveries {
        queue: copies.into(),
        ..Deliveries::default()
    }));

    let project = unlimited_project(&world);
    let text = std::fs::read_to_string(&project).unwrap();
    let text = text.replace(
        "store: sqlite://state.db",
        &format!("store: {}", database.url()),
    );
    std::fs::write(&project, text).unwrap();
    let dir = world.dir.path();
    let mut members = Vec::with_capacity(PROCESSES);
    for index in 0..PROCESSES {
        members.push(Member::start(dir, &project, index).await);
    }
    let urls: Vec<String> = members
        .iter()
        .map(|m| format!("{}/webhooks/stripe/stripe", m.base))
        .collect();
    let senders: Vec<_> = (0..6)
        .map(|n| {
            tokio::spawn(send(
                urls.clone(),
                deliveries.clone(),
                size.seed.wrapping_add(n),
            ))
        })
        .collect();

    // Chaos n once about n/(kills+1) of the events are acknowledged, a random moment later.
    let mut at_chaos = Vec::new();
    let mut cut = 0;
    for round in 1..=size.kills {
        let target = events_wanted * round / (size.kills + 1);
        while (deliveries.lock().unwrap().acknowledged.len() as u64) < target {
            for member in &mut members {
                member.assert_running(&format!("chaos {round}"));
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        tokio::time::sleep(Duration::from_micros(rng.random_range(0..30_000))).await;
        let acknowledged = deliveries.lock().unwrap().acknowledged.len();
        match chaos {
            Chaos::Kills => {
                let index = rng.random_range(0..PROCESSES);
                let member = &mut members[index];
                member.assert_running(&format!("kill {round}"));
                member.child.start_kill().unwrap();
                member.child.wait().await.unwrap();
                eprintln!(
                    "kill {round}: SIGKILL of process {index} with {acknowledged} events acknowledged"
                );
                // Down for a moment: its senders meet a closed port and send elsewhere later.
                tokio::time::sleep(Duration::from_millis(rng.random_range(0..300))).await;
                member.restart(dir).await;
            }
            Chaos::CutConnections => {
                for _ in 0..3 {
                    cut += database.cut_connections().await;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                eprintln!(
                    "cut {round}: {cut} connections cut so far, {acknowledged} events acknowledged"
                );
            }
        }
        at_chaos.push(acknowledged);
    }
    let started = std::time::Instant::now();
    senders_done(senders).await;
    eprintln!(
        "all acknowledged {:?} after the last chaos",
        started.elapsed()
    );
    let store = PgPool::connect(&database.url()).await.unwrap();
    wait_drained(&store, &members).await;
    eprintln!("drained {:?} after the last chaos", started.elapsed());
    for member in &mut members {
        member.assert_running("the end");
        terminate(&mut member.child, &member.log).await;
    }

    let deliveries = all_acknowledged(&deliveries, &events);
    let inbox: Vec<(String, String)> =
        sqlx::query_as("SELECT event_id, state FROM inbox WHERE connection = 'stripe'")
            .fetch_all(&store)
            .await
            .unwrap();
    let states: BTreeMap<String, String> = inbox.iter().cloned().collect();
    assert_eq!(states.len(), inbox.len(), "an event is in the inbox twice");
    for id in &deliveries.acknowledged {
        assert_eq!(
            states.get(id).map(String::as_str),
            Some("done"),
            "acknowledged event {id} was not processed (lost?)"
        );
    }

    // Business Central: one customer per Stripe customer, with its newest name.
    let held = assert_newest_names(&world).await;
    let creates_audited: Vec<(String, i64)> = sqlx::query_as(
        "SELECT source_id, count(*) FROM audit_log WHERE operation = 'create' GROUP BY source_id",
    )
    .fetch_all(&store)
    .await
    .unwrap();
    assert_eq!(
        creates_audited.len() as u64,
        creates,
        "a customer's create is not audited"
    );
    let twice: Vec<_> = creates_audited.iter().filter(|(_, n)| *n > 1).collect();
    assert!(twice.is_empty(), "audited twice: {twice:?}");
    let letters: i64 = sqlx::query_scalar("SELECT count(*) FROM dead_letters")
        .fetch_one(&store)
        .await
        .unwrap();
    assert_eq!(letters, 0, "dead letters");
    store.close().await;
    database.drop_now().await;

    report
        .figure("processes", PROCESSES)
        .figure("events", events_wanted)
        .figure("customers", creates)
        .figure("deliveries_sent_twice_each", events_wanted * 2)
        .figure(
            match chaos {
                Chaos::Kills => "kills",
                Chaos::CutConnections => "cut_bursts",
            },
            size.kills,
        )
        .figure("connections_cut", cut)
        .figure("acknowledged_at_each_chaos", at_chaos)
        .figure("deliveries_answered_2xx", deliveries.answered)
        .figure("deliveries_refused_or_cut", deliveries.refused)
        .figure("inbox_done", states.len())
        .figure("business_central_customers", held.len())
        .passed();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_serve_processes_killed_at_random_process_each_event_once() {
    fleet_story(Chaos::Kills).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_serve_processes_ride_out_cut_database_connections() {
    fleet_story(Chaos::CutConnections).await;
}
