//! `ferry run`'s promises against the emulators: a backfill writes each record once, a second
//! run writes nothing, a change becomes an update, faults lose and duplicate nothing, and a
//! permanent rejection waits in the dead-letter queue until a fixed pipeline replays it.

use crate::run_support;
use crate::store_support::TestBackend;

use std::collections::HashSet;

use ferry::runtime::RunOptions;
use ferry::store::{AuditFilter, DeadLetterFilter, Operation};
use jiff::Timestamp;
use run_support::*;
use serde_json::Value;

async fn a_backfill_writes_each_party_once_and_a_second_run_writes_nothing(backend: TestBackend) {
    let world = world(None, None).await;
    world.add_people(0..30);
    let project = world.project_on(1000, &backend);
    let (runner, job, store) = runner(&project, CAPSULE_TO_STRIPE).await;

    let first = run(&runner, &job).await;
    assert_eq!(
        (first.created, first.updated, first.dead_lettered),
        (30, 0, 0)
    );
    let customers = world.customers().await;
    assert_eq!(customers.len(), 30);
    let emails: HashSet<&str> = customers
        .iter()
        .map(|c| c["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails.len(), 30);

    let again = run_with(
        &runner,
        &job,
        RunOptions {
            backfill: true,
            ..RunOptions::default()
        },
    )
    .await;
    assert_eq!((again.created, again.updated, again.unchanged), (0, 0, 30));
    assert_eq!(world.customers().await.len(), 30);
    let audit = store.audit_entries(&AuditFilter::default()).await.unwrap();
    assert_eq!(audit.len(), 30);
    assert!(
        audit
            .iter()
            .all(|entry| entry.operation == Operation::Create)
    );
    for entry in &audit {
        let target = entry.target_id.as_deref().unwrap();
        assert_eq!(
            store
                .source_id("capsule.parties", target)
                .await
                .unwrap()
                .as_deref(),
            Some(entry.source_id.as_str()),
            "the cross reference and the audit log agree"
        );
    }
}

async fn a_change_in_capsule_becomes_an_update_in_stripe(backend: TestBackend) {
    let world = world(None, None).await;
    world.add_people(0..5);
    let project = world.project_on(1000, &backend);
    let (runner, job, store) = runner(&project, CAPSULE_TO_STRIPE).await;
    run(&runner, &job).await;

    world.edit_person(3, |party| party.last_name = Some("Lovelace".into()));
    let report = run(&runner, &job).await;
    assert_eq!((report.created, report.updated), (0, 1));
    let customers = world.customers().await;
    assert_eq!(customers.len(), 5);
    let renamed = customers
        .iter()
        .find(|c| c["email"] == "person3@example.com")
        .unwrap();
    assert_eq!(renamed["name"], "Person Lovelace");
    let updates = store
        .audit_entries(&AuditFilter {
            source_id: Some("100003".into()),
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(updates.last().unwrap().operation, Operation::Update);
    assert_eq!(updates.last().unwrap().fields_changed, vec!["name"]);
}

async fn with_faults_injected_every_party_arrives_exactly_once(backend: TestBackend) {
    let world = world(Some("500=0.15,503=0.05,429=0.05,drop=0.03,seed=11"), None).await;
    world.add_people(0..60);
    let project = world.project_on(1000, &backend);
    let (runner, job, _store) = runner(&project, CAPSULE_TO_STRIPE).await;
    // A run may stop on a fault that outlasts its retries; the next one resumes.
    let mut created = 0;
    for _ in 0..10 {
        match runner.run(&job, &RunOptions::default(), &()).await {
            Ok((report, _)) => {
                created += report.created;
                break;
            }
            Err(error) => eprintln!("run stopped, resuming: {error}"),
        }
    }
    let customers = world.customers().await;
    let emails: HashSet<&str> = customers
        .iter()
        .map(|c| c["email"].as_str().unwrap())
        .collect();
    assert_eq!(customers.len(), 60, "no duplicates and no gaps");
    assert_eq!(emails.len(), 60);
    assert!(created <= 60);
}

async fn a_permanent_rejection_is_dead_lettered_and_replays_once_the_pipeline_is_fixed(
    backend: TestBackend,
) {
    let world = world(None, None).await;
    world.add_people(0..3);
    // Stripe takes names of at most 256 characters.
    world.edit_person(1, |party| party.last_name = Some("x".repeat(300)));
    let project = world.project_on(1000, &backend);
    let dir = project.parent().unwrap();
    let pipeline = dir.join("people.ferry");
    let write_pipeline = |name_expr: &str| {
        std::fs::write(
            &pipeline,
            format!(
                "pipeline people {{\n  source capsule.parties {{ where .type == \"person\" }}\n  map to stripe.customer {{\n    email = first(.emailAddresses)?.address ?? skip(\"no email\")\n    name = {name_expr}\n    metadata.capsule_id = string(.id)\n  }}\n  sink stripe.customers {{\n    match on email\n    cross_reference capsule.parties.id\n  }}\n}}\n"
            ),
        )
        .unwrap();
    };
    write_pipeline("join([.firstName, .lastName], \" \")");
    let (runner, job, store) = runner(&project, pipeline.to_str().unwrap()).await;
    let report = run(&runner, &job).await;
    assert_eq!((report.created, report.dead_lettered), (2, 1));
    let letters = store
        .dead_letters(&DeadLetterFilter::default())
        .await
        .unwrap();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].source_id, "100001");
    assert!(
        letters[0].error_message.contains("name"),
        "{}",
        letters[0].error_message
    );

    write_pipeline("substring(join([.firstName, .lastName], \" \"), 0, 256)");
    let (fixed, fixed_job, _) = runner_again(&project, &pipeline).await;
    let replayed = fixed.replay(&fixed_job, &letters[0]).await.unwrap();
    assert_eq!(
        replayed,
        ferry::runtime::Replayed::Resolved(Some(Operation::Create))
    );
    assert!(
        store
            .dead_letters(&DeadLetterFilter::default())
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(world.customers().await.len(), 3);
    // A second replay of the same letter finds the customer and writes nothing new.
    let again = fixed.replay(&fixed_job, &letters[0]).await.unwrap();
    assert_eq!(
        again,
        ferry::runtime::Replayed::Resolved(Some(Operation::Noop))
    );
    assert_eq!(world.customers().await.len(), 3);
}

async fn runner_again(
    project: &std::path::Path,
    pipeline: &std::path::Path,
) -> (
    ferry::runtime::Runner,
    ferry::runtime::Job,
    ferry::store::Store,
) {
    runner(project, pipeline.to_str().unwrap()).await
}

async fn people_sharing_an_email_become_one_customer_even_when_delivered_at_once(
    backend: TestBackend,
) {
    let world = world(None, None).await;
    world.add_people(0..40);
    for n in (0..40).step_by(2) {
        world.edit_person(n, |party| {
            party.email_addresses[0].address = "shared@example.com".into()
        });
    }
    // Person 38 was edited last in Capsule.
    world.edit_person(38, |party| party.updated_at = Timestamp::now());
    world
        .capsule
        .data()
        .parties
        .get_mut(&100_038)
        .unwrap()
        .updated_at = Timestamp::now() + jiff::SignedDuration::from_hours(1);
    let project = world.project_on(1000, &backend);
    let (runner, job, store) = runner(&project, CAPSULE_TO_STRIPE).await;
    let report = run_with(
        &runner,
        &job,
        RunOptions {
            concurrency: 32,
            ..RunOptions::default()
        },
    )
    .await;
    // 20 people with their own email, and one customer for the 20 who share one: the person
    // edited last keeps it (`on conflict newest by updatedAt`); the others leave it alone.
    assert_eq!(
        (report.created, report.dead_lettered),
        (21, 0),
        "{report:?}"
    );
    let customers = world.customers().await;
    assert_eq!(customers.len(), 21);
    let shared: Vec<&Value> = customers
        .iter()
        .filter(|c| c["email"] == "shared@example.com")
        .collect();
    assert_eq!(shared.len(), 1);
    assert_eq!(shared[0]["metadata"]["capsule_id"], "100038");
    assert_no_dead_letters(&store).await;
    // The sync settles: the others no longer take turns writing the customer.
    for _ in 0..2 {
        let again = run_backfill(&runner, &job).await;
        assert_eq!((again.created, again.updated), (0, 0), "{again:?}");
    }
    let shared = world
        .customers()
        .await
        .into_iter()
        .find(|c| c["email"] == "shared@example.com")
        .unwrap();
    assert_eq!(shared["metadata"]["capsule_id"], "100038");
}

/// Without a policy, the later of two people matching one customer is dead-lettered, naming
/// the other and the key, and the customer stays as the first wrote it.
async fn without_a_policy_the_later_of_two_sources_is_dead_lettered(backend: TestBackend) {
    let world = world(None, None).await;
    world.add_people(0..4);
    world.edit_person(2, |party| {
        party.email_addresses[0].address = "person0@example.com".into()
    });
    let project = world.project_on(1000, &backend);
    let text = std::fs::read_to_string(CAPSULE_TO_STRIPE)
        .unwrap()
        .replace("    on conflict newest by updatedAt\n", "")
        .replace(
            "\"lookups/",
            concat!("\"", env!("CARGO_MANIFEST_DIR"), "/pipelines/lookups/"),
        )
        .replace(
            "\"fixtures/",
            concat!("\"", env!("CARGO_MANIFEST_DIR"), "/pipelines/fixtures/"),
        );
    assert!(!text.contains("on conflict"));
    let pipeline = world.dir.path().join("contacts_without_policy.ferry");
    std::fs::write(&pipeline, text).unwrap();
    world.with_shipped_schemas();
    let (runner, job, store) = runner(&project, pipeline.to_str().unwrap()).await;
    let report = run(&runner, &job).await;
    assert_eq!((report.created, report.dead_lettered), (3, 1), "{report:?}");
    let letters = store
        .dead_letters(&DeadLetterFilter::default())
        .await
        .unwrap();
    assert_eq!(letters[0].error_code, "match_conflict");
    assert!(
        letters[0]
            .error_message
            .contains("already belongs to capsule.parties 10000")
            && letters[0]
                .error_message
                .contains("match on email = \"person0@example.com\""),
        "{}",
        letters[0].error_message
    );
    let again = run_backfill(&runner, &job).await;
    assert_eq!((again.created, again.updated), (0, 0), "{again:?}");
}

crate::on_every_backend!(
    a_backfill_writes_each_party_once_and_a_second_run_writes_nothing,
    a_change_in_capsule_becomes_an_update_in_stripe,
    with_faults_injected_every_party_arrives_exactly_once,
    a_permanent_rejection_is_dead_lettered_and_replays_once_the_pipeline_is_fixed,
    people_sharing_an_email_become_one_customer_even_when_delivered_at_once,
    without_a_policy_the_later_of_two_sources_is_dead_lettered,
);
