//! `ferry store migrate` through the real binary: a SQLite store with every table filled moves
//! into PostgreSQL and answers every read as before; a target holding data is refused, and a
//! copy that fails midway leaves the target empty.

use std::time::Duration;

use ferry::store::{
    AlertRecord, AuditEntry, AuditFilter, CommitBatch, CrossReference, DeadLetterFilter,
    FinishedEvents, IdempotencyRecord, InboxEvent, InboxOutcome, LastEvent, ObjectVersion,
    Operation, ReconcileRecord, RecordsRead, Store,
};
use ferry::value::CrossReferences;
use jiff::Timestamp;
use sqlx::Connection;
use sqlx::postgres::PgConnection;

use crate::run_support::{run_ferry, text};
use crate::store_support::TestBackend;

/// Every table the copy moves, as `SELECT COUNT(*)` names them.
const TABLES: &[&str] = &[
    "cursors",
    "cross_references",
    "idempotency_records",
    "dead_letters",
    "dead_letter_history",
    "audit_log",
    "inbox",
    "object_versions",
    "last_events",
    "alerts",
    "reconcile_reports",
    "records_read",
    "records_seen",
];

const LEASE: Duration = Duration::from_secs(600);

/// A moment in whole milliseconds, `minutes` ago: what the store keeps reads back equal.
fn minutes_ago(minutes: i64) -> Timestamp {
    let millis = Timestamp::now().as_millisecond() - minutes * 60_000;
    Timestamp::from_millisecond(millis).unwrap()
}

fn event(event_id: &str, created: i64) -> InboxEvent {
    InboxEvent {
        connection: "stripe".into(),
        event_id: event_id.into(),
        event_type: "customer.updated".into(),
        created,
        body: format!(r#"{{"id":"{event_id}","created":{created}}}"#),
        received_at: minutes_ago(30),
        // Some events name their object, some do not: both are copied as they are.
        object_key: (created % 2 == 0).then(|| format!("stripe/cus_{created}")),
    }
}

fn audit_entry(source_id: &str, operation: Operation, minutes: i64) -> AuditEntry {
    AuditEntry {
        pipeline: "capsule_to_stripe".into(),
        pipeline_version: "v1".into(),
        source_id: source_id.into(),
        target: "stripe.customers".into(),
        target_id: Some(format!("cus_{source_id}")),
        operation,
        fields_changed: vec!["email".into(), "name".into()],
        at: minutes_ago(minutes),
    }
}

/// A store with rows in every table, made through the store's own API, in the states a real
/// one reaches: letters failed twice, replayed, discarded and delivered; events pending,
/// processing, done, failed and waiting for a retry; links moved by an upsert.
async fn fill_every_table(store: &Store) {
    store
        .set_cursor(
            "capsule_to_stripe",
            "capsule.parties",
            "2026-01-01T00:00:00Z",
        )
        .await
        .unwrap();
    store
        .set_cursor("stripe_to_bc", "stripe.charges", "ch_9")
        .await
        .unwrap();

    // "p-b" is linked before "p-a": key order and the order links were first made differ,
    // and `sources_of` answers in the second.
    store
        .put_cross_reference("capsule.parties", "p-b", "stripe.customers", "cus_shared")
        .await
        .unwrap();
    store
        .put_cross_reference("capsule.parties", "p-a", "stripe.customers", "cus_a")
        .await
        .unwrap();
    store
        .commit_batch(&CommitBatch {
            cross_references: vec![
                // Moves p-a's link (an upsert keeps when it was first made).
                CrossReference::new("capsule.parties", "p-a", "stripe.customers", "cus_shared")
                    .with_stamp(Some("2026-02-01".into())),
                CrossReference::new("bc.items", "1000", "stripe.products", "prod_1")
                    .with_keys([("number".to_string(), "1000".to_string())].into()),
            ],
            audit: vec![audit_entry("p-a", Operation::Update, 50)],
            idempotency: vec![IdempotencyRecord {
                key: "idem-settled".into(),
                pipeline: "capsule_to_stripe".into(),
                source_id: "p-a".into(),
                target: "stripe.customers".into(),
                request_hash: "hash-1".into(),
                operation: Some(Operation::Update),
                fields_changed: vec!["name".into()],
                response_status: Some(200),
                response_body: Some("cus_shared".into()),
                created_at: minutes_ago(50),
            }],
            cursor: None,
        })
        .await
        .unwrap();
    store
        .put_in_flight(IdempotencyRecord {
            key: "idem-in-flight".into(),
            pipeline: "capsule_to_stripe".into(),
            source_id: "p-c".into(),
            target: "stripe.customers".into(),
            request_hash: "hash-2".into(),
            operation: Some(Operation::Create),
            fields_changed: vec!["email".into()],
            response_status: None,
            response_body: None,
            created_at: minutes_ago(40),
        })
        .await
        .unwrap();

    for (source_id, operation, minutes) in [
        ("p-b", Operation::Create, 45),
        ("p-c", Operation::Noop, 44),
        ("p-d", Operation::Delete, 43),
    ] {
        store
            .audit(&audit_entry(source_id, operation, minutes))
            .await
            .unwrap();
    }

    let twice = store
        .dead_letter(
            "capsule_to_stripe",
            "p-x",
            r#"{"id":"p-x"}"#,
            "E0700",
            "first",
        )
        .await
        .unwrap();
    store
        .dead_letter(
            "capsule_to_stripe",
            "p-x",
            r#"{"id":"p-x"}"#,
            "E0701",
            "second",
        )
        .await
        .unwrap();
    assert_eq!(twice, 1);
    let replayed = store
        .dead_letter("capsule_to_stripe", "p-y", "{}", "E0700", "bad email")
        .await
        .unwrap();
    store.resolve_dead_letter(replayed).await.unwrap();
    let discarded = store
        .dead_letter("stripe_to_bc", "ch_1", "{}", "E0702", "no customer")
        .await
        .unwrap();
    store
        .discard_dead_letter(discarded, "a test charge")
        .await
        .unwrap();
    store
        .dead_letter("stripe_to_bc", "ch_2", "{}", "E0702", "no customer")
        .await
        .unwrap();
    let mut batch = store.begin().await.unwrap();
    batch
        .resolve_delivered("stripe_to_bc", "ch_2")
        .await
        .unwrap();
    batch.commit().await.unwrap();

    let events: Vec<InboxEvent> = (1..=5)
        .map(|n| event(&format!("evt_{n}"), 1_700_000_000 + n))
        .collect();
    store.inbox_put_many(&events).await.unwrap();
    let claimed = store.inbox_claim("worker-1", 4, LEASE).await.unwrap();
    assert_eq!(claimed.len(), 4);
    for (event_id, outcome) in [
        ("evt_1", InboxOutcome::Done),
        (
            "evt_2",
            InboxOutcome::Failed {
                error: "bad body".into(),
            },
        ),
        (
            "evt_3",
            InboxOutcome::Retry {
                error: "429".into(),
                not_before: minutes_ago(-5),
            },
        ),
    ] {
        assert!(
            store
                .inbox_finish("stripe", event_id, "worker-1", &outcome)
                .await
                .unwrap()
        );
    }
    // evt_4 stays processing (held by worker-1), evt_5 pending.

    let mut batch = store.begin().await.unwrap();
    assert!(
        batch
            .set_object_version(&ObjectVersion::new(
                "stripe",
                "cus_shared",
                1_700_000_001,
                "evt_1"
            ))
            .await
            .unwrap()
    );
    batch
        .write_finished(
            &FinishedEvents {
                read: vec![
                    RecordsRead {
                        pipeline: "capsule_to_stripe".into(),
                        records: 7,
                        at: minutes_ago(90),
                    },
                    RecordsRead {
                        pipeline: "capsule_to_stripe".into(),
                        records: 3,
                        at: minutes_ago(0),
                    },
                ],
                ..FinishedEvents::default()
            },
            "worker-1",
        )
        .await
        .unwrap();
    batch.commit().await.unwrap();
    store
        .set_last_event(
            "stripe",
            &LastEvent {
                event_id: "evt_5".into(),
                created: 1_700_000_005,
            },
        )
        .await
        .unwrap();

    store
        .record_alert(&AlertRecord {
            trigger: "dead_letters".into(),
            key: "dead_letters/capsule_to_stripe".into(),
            subject: "2 records failed".into(),
            body: "p-x, p-y".into(),
            at: minutes_ago(20),
            delivered: vec!["email".into()],
            failed: vec![("slack".into(), "HTTP 500".into())],
        })
        .await
        .unwrap();
    store
        .record_reconcile(&ReconcileRecord {
            id: 0,
            started_at: minutes_ago(15),
            finished_at: minutes_ago(14),
            origin: "nightly".into(),
            pipelines: vec!["capsule_to_stripe".into()],
            mismatches: 2,
            errors: 0,
            report: r#"{"mismatches":2}"#.into(),
        })
        .await
        .unwrap();
    store
        .put_record_seen(
            "capsule.opportunities",
            "op-1",
            r#"{"id":"op-1","party":"p-a"}"#,
        )
        .await
        .unwrap();
    // A lease on scheduled work lives only as long as its process: left behind, not refused.
    assert!(
        store
            .try_lease(
                "catch_up/stripe",
                "host/pid1",
                Duration::from_secs(30),
                None
            )
            .await
            .unwrap()
    );
}

/// Every public read of the store over the rows [`fill_every_table`] made, as text: two stores
/// holding the same state give the same text.
async fn every_answer(store: &Store) -> String {
    let mut answers = Vec::new();
    for (pipeline, source) in [
        ("capsule_to_stripe", "capsule.parties"),
        ("stripe_to_bc", "stripe.charges"),
    ] {
        answers.push(format!(
            "cursor {pipeline}: {:?}",
            store.cursor(pipeline, source).await.unwrap()
        ));
    }
    for collection in ["stripe.customers", "stripe.products"] {
        answers.push(format!(
            "links into {collection}: {:?}",
            store.links_into(collection).await.unwrap()
        ));
    }
    answers.push(format!(
        "links from parties: {:?}",
        store.links_from("capsule.parties").await.unwrap()
    ));
    answers.push(format!(
        "sources of cus_shared: {:?}",
        store
            .sources_of("capsule.parties", "stripe.customers", "cus_shared")
            .await
            .unwrap()
    ));
    let snapshot = store
        .cross_reference_snapshot(&["stripe.customers", "stripe.products"])
        .await
        .unwrap();
    answers.push(format!(
        "snapshot: {} links, p-a -> {:?}, cus_shared <- {:?}, 1000's number {:?}",
        snapshot.len(),
        snapshot.target_id("stripe.customers", "p-a"),
        snapshot.target_id("stripe.customers", "cus_shared"),
        snapshot.target_key("stripe.products", "number", "1000"),
    ));
    answers.push(format!(
        "target id: {:?}",
        store.target_id("stripe.customers", "p-b").await.unwrap()
    ));
    answers.push(format!(
        "source id: {:?}",
        store.source_id("bc.items", "prod_1").await.unwrap()
    ));
    for key in ["idem-settled", "idem-in-flight"] {
        answers.push(format!(
            "idempotency {key}: {:?}",
            store.idempotency(key).await.unwrap()
        ));
    }
    answers.push(format!(
        "in flight: {:?}",
        store.writes_in_flight("capsule_to_stripe").await.unwrap()
    ));

    let every_letter = DeadLetterFilter {
        include_resolved: true,
        ..DeadLetterFilter::default()
    };
    let letters = store.dead_letters(&every_letter).await.unwrap();
    answers.push(format!("letters: {letters:?}"));
    answers.push(format!(
        "open letters: {}",
        store
            .count_dead_letters(&DeadLetterFilter::default())
            .await
            .unwrap()
    ));
    for letter in &letters {
        answers.push(format!(
            "history {}: {:?}",
            letter.id,
            store.dead_letter_history(letter.id).await.unwrap()
        ));
    }

    answers.push(format!(
        "audit: {:?}",
        store.audit_entries(&AuditFilter::default()).await.unwrap()
    ));
    let day_ago = minutes_ago(24 * 60);
    answers.push(format!(
        "activity: {:?}",
        store.activity_per_hour(day_ago).await.unwrap()
    ));
    answers.push(format!(
        "records read: {:?}",
        store.records_read(day_ago).await.unwrap()
    ));

    for n in 1..=5 {
        let event_id = format!("evt_{n}");
        answers.push(format!(
            "event {event_id}: {:?}",
            store.inbox_event("stripe", &event_id).await.unwrap()
        ));
    }
    answers.push(format!("inbox: {:?}", store.inbox_stats().await.unwrap()));
    answers.push(format!(
        "holders: {:?}",
        store.inbox_holders().await.unwrap()
    ));
    answers.push(format!(
        "version: {:?}",
        store.object_version("stripe", "cus_shared").await.unwrap()
    ));
    answers.push(format!(
        "last event: {:?}",
        store.last_event("stripe").await.unwrap()
    ));
    answers.push(format!(
        "seen: {:?}",
        store
            .record_seen("capsule.opportunities", "op-1")
            .await
            .unwrap()
    ));

    answers.push(format!(
        "alerts: {:?}",
        store.recent_alerts(100).await.unwrap()
    ));
    answers.push(format!(
        "last alert: {:?}",
        store
            .last_alert_sent("dead_letters/capsule_to_stripe")
            .await
            .unwrap()
    ));
    let reports = store.reconcile_reports(100).await.unwrap();
    answers.push(format!("reports: {reports:?}"));
    for report in &reports {
        answers.push(format!(
            "report {}: {:?}",
            report.id,
            store.reconcile_report(report.id).await.unwrap()
        ));
    }
    answers.push(format!(
        "last reconcile: {:?}",
        store.last_reconcile_started("nightly").await.unwrap()
    ));
    answers.join("\n")
}

/// `ferry store migrate --from FROM --to TO`, run to its end.
async fn migrate(from: &str, to: &str) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    run_ferry(
        dir.path(),
        &["store", "migrate", "--from", from, "--to", to],
    )
    .await
}

/// Rows per table of a PostgreSQL store, read without ferry.
async fn row_counts(url: &str) -> Vec<(String, i64)> {
    let mut conn = PgConnection::connect(url).await.unwrap();
    let mut counts = Vec::new();
    for table in TABLES {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        let count: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_one(&mut conn)
            .await
            .unwrap();
        counts.push((table.to_string(), count));
    }
    counts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_store_moves_to_postgres_and_answers_every_read_the_same() {
    let sqlite = TestBackend::sqlite();
    let postgres = TestBackend::postgres().await;
    let source = sqlite.open().await;
    fill_every_table(&source).await;
    let before = every_answer(&source).await;
    // The states worth copying are there: link order unlike key order, every inbox state.
    assert!(
        before.contains(r#"sources of cus_shared: [("p-b", None), ("p-a""#),
        "{before}"
    );
    assert!(
        before.contains("pending: 2, processing: 1, failed: 1"),
        "{before}"
    );
    source.close().await;

    let migrated = migrate(&sqlite.url(), &postgres.url()).await;
    let stdout = text(&migrated.stdout);
    assert_eq!(
        migrated.status.code(),
        Some(0),
        "{stdout}\n{}",
        text(&migrated.stderr)
    );
    for table in TABLES {
        let line = stdout
            .lines()
            .find(|line| line.starts_with(&format!("{table} ")))
            .unwrap_or_else(|| panic!("{table} in {stdout}"));
        assert!(line.ends_with(" ok"), "{line}");
    }
    assert!(stdout.contains("every table matches"), "{stdout}");
    for (table, count) in row_counts(&postgres.url()).await {
        assert!(count > 0, "{table} was copied empty");
    }

    let target = postgres.open().await;
    assert_eq!(every_answer(&target).await, before);
    // Two failures, or a failure and its closing: nothing the triggers added.
    let every_letter = DeadLetterFilter {
        include_resolved: true,
        ..DeadLetterFilter::default()
    };
    let letters = target.dead_letters(&every_letter).await.unwrap();
    assert_eq!(letters.len(), 4);
    for letter in &letters {
        let steps = target.dead_letter_history(letter.id).await.unwrap();
        assert_eq!(steps.len(), 2, "letter {}: {steps:?}", letter.id);
    }

    let newest = letters.iter().map(|letter| letter.id).max().unwrap();
    let next = target
        .dead_letter("capsule_to_stripe", "p-z", "{}", "E0700", "new")
        .await
        .unwrap();
    assert_eq!(
        next,
        newest + 1,
        "a new letter's id comes after the copied ones"
    );
    assert_eq!(target.dead_letter_history(next).await.unwrap().len(), 1);
    target.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_holding_data_is_refused_and_left_as_it_was() {
    let sqlite = TestBackend::sqlite();
    let postgres = TestBackend::postgres().await;
    let source = sqlite.open().await;
    fill_every_table(&source).await;
    source.close().await;
    let target = postgres.open().await;
    target.set_cursor("already", "here", "1").await.unwrap();
    target.close().await;
    let before = row_counts(&postgres.url()).await;

    let migrated = migrate(&sqlite.url(), &postgres.url()).await;
    assert_eq!(migrated.status.code(), Some(2));
    let stderr = text(&migrated.stderr);
    assert!(
        stderr.contains("already holds rows in `cursors`"),
        "{stderr}"
    );
    assert!(stderr.contains("changed nothing"), "{stderr}");
    assert_eq!(row_counts(&postgres.url()).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copy_failing_midway_leaves_the_target_empty() {
    let sqlite = TestBackend::sqlite();
    let postgres = TestBackend::postgres().await;
    let source = sqlite.open().await;
    fill_every_table(&source).await;
    // SQLite keeps a NUL character in text; PostgreSQL refuses it. `records_seen` is copied
    // last, so every other table was written when it fails.
    source
        .put_record_seen("capsule.opportunities", "op-nul", "{\"note\":\"a\u{0}b\"}")
        .await
        .unwrap();
    source.close().await;

    let migrated = migrate(&sqlite.url(), &postgres.url()).await;
    assert_eq!(migrated.status.code(), Some(2));
    let stderr = text(&migrated.stderr);
    assert!(
        stderr.contains("copying `records_seen` failed, so nothing was copied"),
        "{stderr}"
    );
    for (table, count) in row_counts(&postgres.url()).await {
        assert_eq!(count, 0, "{table} holds rows after a failed copy");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_a_postgres_store_is_a_target_and_nothing_is_created_for_another() {
    let sqlite = TestBackend::sqlite();
    sqlite.open().await.close().await;
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("target.db");

    let migrated = migrate(&sqlite.url(), &format!("sqlite://{}", target.display())).await;
    assert_eq!(migrated.status.code(), Some(2));
    let stderr = text(&migrated.stderr);
    assert!(
        stderr.contains("only a PostgreSQL store can be filled"),
        "{stderr}"
    );
    assert!(
        !target.exists(),
        "no SQLite file is made for a refused target"
    );
}
