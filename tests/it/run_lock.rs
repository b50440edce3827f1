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
