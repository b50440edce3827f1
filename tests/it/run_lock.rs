//! One delivering run per pipeline and store: a second `ferry run` of the same pipeline refuses
//! with a message naming the first, or waits for it with `--wait`.

use crate::run_support;
use crate::store_support::TestBackend;

use std::time::Duration;

use ferry::runtime::{RunError, RunOptions};
use ferry::store::StoreError;
use run_support::*;

const CONTACTS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/pipelines/capsule_contacts_to_stripe.ferry"
);

async fn a_second_run_of_a_pipeline_refuses_while_the_first_delivers_and_waits_with_wait(
    backend: TestBackend,
) {
    let world = world(None, None).await;
    world.add_people(0..5);
    let project = world.project_on(1000, &backend);
    // Another process on this store: its own connections, as a second `ferry run` has.
    let (_, _, other_store) = runner(&project, CONTACTS).await;
    let (runner, job, _) = runner(&project, CONTACTS).await;
    let held = other_store
        .lock_run(
            &job.name,
            "pid 4242 on host-a, since 2026-12-06 21:00:00 UTC",
            false,
        )
        .await
        .unwrap();

    let refused = runner.run(&job, &RunOptions::default(), &()).await;
    match refused {
        Err(RunError::Store {
            error: StoreError::RunLocked { pipeline, holder },
            ..
        }) => {
            assert_eq!(pipeline, "capsule_contacts_to_stripe");
            assert!(holder.contains("pid 4242"), "{holder}");
        }
        other => panic!(
            "expected the run to be refused, got {:?}",
            other.map(|r| r.0)
        ),
    }
    assert!(
        world.customers().await.is_empty(),
        "a refused run delivers nothing"
    );

    // A dry run writes nothing, so it may look meanwhile.
    let dry = RunOptions {
        dry_run: true,
        ..RunOptions::default()
    };
    assert!(runner.run(&job, &dry, &()).await.is_ok());

    let waiting = RunOptions {
        wait_for_lock: true,
        ..RunOptions::default()
    };
    let run = runner.run(&job, &waiting, &());
    tokio::pin!(run);
    tokio::select! {
        _ = &mut run => panic!("a waiting run must not start while the lock is held"),
        _ = tokio::time::sleep(Duration::from_millis(600)) => {}
    }
    drop(held);
    let (report, _) = run.await.unwrap();
    assert_eq!(report.created, 5, "{report:?}");
    assert_eq!(world.customers().await.len(), 5);
}

#[test]
fn the_cli_names_the_run_holding_the_lock() {
    let message = StoreError::RunLocked {
        pipeline: "capsule_contacts_to_stripe".into(),
        holder: "pid 4242 on host-a, since 2026-12-06 21:00:00 UTC".into(),
    }
    .to_string();
    assert_eq!(
        message,
        "pipeline `capsule_contacts_to_stripe` is already being run on this store (pid 4242 on \
         host-a, since 2026-12-06 21:00:00 UTC); wait for it to finish, or pass --wait to start \
         when it does"
    );
}

crate::on_every_backend!(
    a_second_run_of_a_pipeline_refuses_while_the_first_delivers_and_waits_with_wait,
);

/// Ends the PostgreSQL session holding `pipeline`'s run lock in `schema`, as a restart of the
/// server or a cut connection would: the session advisory lock goes with it.
async fn end_the_lock_session(schema: &str, pipeline: &str) {
    let url = format!("{}/ferry_tests", crate::store_support::postgres_server());
    let mut admin = <sqlx::postgres::PgConnection as sqlx::Connection>::connect(&url)
        .await
        .expect("connect to the tests' database");
    // The lock's 64-bit key, as `pg_locks` shows it: the high half in `classid`, the low half
    // in `objid` (`objsubid` 1 for a single-key lock).
    let ended: Vec<bool> = sqlx::query_scalar(
        "WITH lock AS (
             SELECT hashtextextended('ferry run lock: ' || $1 || '.' || $2, 0) AS key)
         SELECT pg_terminate_backend(held.pid)
         FROM pg_locks AS held, lock
         WHERE held.locktype = 'advisory' AND held.objsubid = 1 AND held.granted
           AND held.classid::bigint = (lock.key >> 32) & 4294967295
           AND held.objid::bigint = lock.key & 4294967295",
    )
    .bind(schema)
    .bind(pipeline)
    .fetch_all(&mut admin)
    .await
    .expect("end the lock's session");
    assert_eq!(ended, vec![true], "one session held the lock");
}

fn schema_of(backend: &TestBackend) -> String {
    match backend {
        TestBackend::Postgres { schema, .. } => schema.clone(),
        TestBackend::Sqlite { .. } => unreachable!("a PostgreSQL test"),
    }
}

#[tokio::test]
async fn a_run_lock_whose_session_ended_is_known_lost_and_free_for_the_next_run() {
    let backend = TestBackend::postgres().await;
    let store = backend.open().await;
    let other_process = backend.open().await;
    let held = store
        .lock_run("contacts", "pid 1 on host-a", false)
        .await
        .unwrap();
    held.check().await.expect("held while its session lives");

    end_the_lock_session(&schema_of(&backend), "contacts").await;

    match held.check().await {
        Err(StoreError::RunLockLost { pipeline, reason }) => {
            assert_eq!(pipeline, "contacts");
            assert!(!reason.is_empty());
        }
        other => panic!("expected the lock to be known lost, got {other:?}"),
    }
    let next = other_process
        .lock_run("contacts", "pid 2 on host-b", false)
        .await
        .expect("the lock went with the session");
    next.check().await.unwrap();
}

/// Ends the run lock's session once, after the run's first durable batch; with `then_take`,
/// another process takes the lock at once and keeps it.
struct EndTheLockAfterTheFirstBatch {
    schema: String,
    pipeline: String,
    then_take: Option<ferry::store::Store>,
    taken: std::sync::Mutex<Option<ferry::store::RunLock>>,
    done: std::sync::atomic::AtomicBool,
}

impl EndTheLockAfterTheFirstBatch {
    fn new(backend: &TestBackend, pipeline: &str, then_take: Option<ferry::store::Store>) -> Self {
        EndTheLockAfterTheFirstBatch {
            schema: schema_of(backend),
            pipeline: pipeline.to_string(),
            then_take,
            taken: Default::default(),
            done: Default::default(),
        }
    }
}

impl ferry::runtime::Progress for EndTheLockAfterTheFirstBatch {
    fn batch(&self, _report: &ferry::runtime::PipelineReport) {
        if self.done.swap(true, std::sync::atomic::Ordering::SeqCst) {
            return;
        }
        let (schema, pipeline) = (self.schema.clone(), self.pipeline.clone());
        let other = self.then_take.clone();
        // The callback is synchronous: the session is ended (and the lock taken) on a runtime
        // of its own, and the run goes on only once it has been.
        let taken = std::thread::spawn(move || {
            tokio::runtime::Runtime::new()
                .unwrap()
                .block_on(async move {
                    end_the_lock_session(&schema, &pipeline).await;
                    match other {
                        Some(store) => Some(
                            store
                                .lock_run(&pipeline, "pid 4242 on host-b", false)
                                .await
                                .expect("the lock is free once its session ended"),
                        ),
                        None => None,
                    }
                })
        })
        .join()
        .unwrap();
        *self.taken.lock().unwrap() = taken;
    }
}

fn small_batches() -> RunOptions {
    RunOptions {
        concurrency: 1,
        page_size: 16,
        ..RunOptions::default()
    }
}

#[tokio::test]
async fn a_run_whose_lock_session_ended_takes_the_lock_again_and_finishes_once() {
    let backend = TestBackend::postgres().await;
    let world = world(None, None).await;
    world.add_people(0..40);
    let project = world.project_on(1000, &backend);
    let (runner, job, _) = runner(&project, CONTACTS).await;
    let cut = EndTheLockAfterTheFirstBatch::new(&backend, &job.name, None);

    let (report, _) = runner.run(&job, &small_batches(), &cut).await.unwrap();

    assert!(cut.done.load(std::sync::atomic::Ordering::SeqCst));
    assert_eq!(report.created, 40, "{report:?}");
    assert_eq!(world.customers().await.len(), 40, "every person once");
}

#[tokio::test]
async fn a_run_whose_lock_another_run_took_stops_before_its_next_batch_and_the_next_run_finishes_once()
 {
    let backend = TestBackend::postgres().await;
    let world = world(None, None).await;
    world.add_people(0..40);
    let project = world.project_on(1000, &backend);
    let (first, job, _) = runner(&project, CONTACTS).await;
    let (_, _, other_process) = runner(&project, CONTACTS).await;
    let cut = EndTheLockAfterTheFirstBatch::new(&backend, &job.name, Some(other_process));

    match first.run(&job, &small_batches(), &cut).await {
        Err(RunError::Store {
            error: StoreError::RunLockLost { pipeline, .. },
            ..
        }) => assert_eq!(pipeline, job.name),
        other => panic!("expected the run to stop, got {:?}", other.map(|r| r.0)),
    }
    let delivered = world.customers().await.len();
    assert!(
        (16..40).contains(&delivered),
        "the first batch is kept and the run stopped before the rest: {delivered}"
    );

    drop(cut.taken.lock().unwrap().take());
    let (next, job, _) = runner(&project, CONTACTS).await;
    let (report, _) = next.run(&job, &small_batches(), &()).await.unwrap();
    assert_eq!(report.created as usize, 40 - delivered, "{report:?}");
    assert_eq!(world.customers().await.len(), 40, "every person once");
}
