//! Dead letters, idempotency records, the audit log, and the secret scan.

use crate::store_support::TestBackend;
use std::time::Duration;

use ferry::store::{
    AuditEntry, AuditFilter, DeadLetterFilter, DeadLetterStep, FinishedEvents, IdempotencyRecord,
    Operation, RecordsRead, Resolution, Store, StoreError, pipeline_version,
};
use jiff::Timestamp;

async fn dead_letter_upsert_counts_attempts_and_keeps_first_seen(backend: TestBackend) {
    let store = backend.open().await;
    let first = store
        .dead_letter("sync", "42", r#"{"id":42}"#, "E0700", "email missing")
        .await
        .unwrap();
    let before = store.dead_letter_by_id(first).await.unwrap().unwrap();
    tokio::time::sleep(Duration::from_millis(5)).await;
    let again = store
        .dead_letter("sync", "42", r#"{"id":42,"v":2}"#, "E0701", "email invalid")
        .await
        .unwrap();
    assert_eq!(again, first);
    let letter = store.dead_letter_by_id(first).await.unwrap().unwrap();
    assert_eq!(letter.attempts, 2);
    assert_eq!(letter.first_seen, before.first_seen);
    assert!(letter.last_seen > before.last_seen);
    assert_eq!(letter.record_json, r#"{"id":42,"v":2}"#);
    assert_eq!(letter.error_code, "E0701");
    assert_eq!(letter.error_message, "email invalid");
    assert_eq!(letter.resolved_at, None);

    // The same source id in another pipeline is another letter.
    let other = store
        .dead_letter("other", "42", "{}", "E1", "x")
        .await
        .unwrap();
    assert_ne!(other, first);
    assert_eq!(store.dead_letter_by_id(9999).await.unwrap(), None);
}

async fn resolved_letters_are_kept_but_not_listed_by_default(backend: TestBackend) {
    let store = backend.open().await;
    let a = store
        .dead_letter("sync", "1", "{}", "E1", "a")
        .await
        .unwrap();
    let b = store
        .dead_letter("sync", "2", "{}", "E1", "b")
        .await
        .unwrap();
    let c = store
        .dead_letter("other", "3", "{}", "E1", "c")
        .await
        .unwrap();
    store.resolve_dead_letter(a).await.unwrap();
    let resolved = store.dead_letter_by_id(a).await.unwrap().unwrap();
    let resolved_at = resolved.resolved_at.expect("resolution time");
    // Resolving twice keeps the first time.
    store.resolve_dead_letter(a).await.unwrap();
    assert_eq!(
        store
            .dead_letter_by_id(a)
            .await
            .unwrap()
            .unwrap()
            .resolved_at,
        Some(resolved_at)
    );

    let open: Vec<i64> = store
        .dead_letters(&DeadLetterFilter::default())
        .await
        .unwrap()
        .iter()
        .map(|letter| letter.id)
        .collect();
    assert_eq!(open, vec![b, c]);
    let sync_all = DeadLetterFilter {
        pipeline: Some("sync".into()),
        include_resolved: true,
        ..DeadLetterFilter::default()
    };
    let ids: Vec<i64> = store
        .dead_letters(&sync_all)
        .await
        .unwrap()
        .iter()
        .map(|l| l.id)
        .collect();
    assert_eq!(ids, vec![a, b]);
    let limited = DeadLetterFilter {
        limit: Some(1),
        ..sync_all.clone()
    };
    assert_eq!(store.dead_letters(&limited).await.unwrap().len(), 1);
    // A page at a time, newest first; the count ignores the page.
    let second_newest = DeadLetterFilter {
        newest_first: true,
        offset: 1,
        ..limited
    };
    let page = store.dead_letters(&second_newest).await.unwrap();
    assert_eq!(page.len(), 1);
    assert_eq!(page[0].id, a);
    assert_eq!(store.count_dead_letters(&second_newest).await.unwrap(), 2);
    let open_of_every_pipeline = DeadLetterFilter::default();
    assert_eq!(
        store
            .count_dead_letters(&open_of_every_pipeline)
            .await
            .unwrap(),
        2
    );

    let missing = store.resolve_dead_letter(12345).await.unwrap_err();
    assert!(matches!(missing, StoreError::DeadLetterNotFound(12345)));
}

async fn a_resolved_letter_that_fails_again_reopens(backend: TestBackend) {
    let store = backend.open().await;
    let id = store
        .dead_letter("sync", "1", "{}", "E1", "a")
        .await
        .unwrap();
    store.resolve_dead_letter(id).await.unwrap();
    assert_eq!(
        store
            .dead_letter("sync", "1", "{}", "E2", "b")
            .await
            .unwrap(),
        id
    );
    let letter = store.dead_letter_by_id(id).await.unwrap().unwrap();
    assert_eq!(letter.resolved_at, None);
    assert_eq!(letter.attempts, 2);
}

/// The history's steps as (what, code or note), for comparing.
async fn story(store: &Store, id: i64) -> Vec<(String, String)> {
    store
        .dead_letter_history(id)
        .await
        .unwrap()
        .into_iter()
        .map(|step| match step {
            DeadLetterStep::Failed { error_code, .. } => ("failed".into(), error_code),
            DeadLetterStep::Closed {
                resolution, note, ..
            } => (resolution.as_str().into(), note.unwrap_or_default()),
        })
        .collect()
}

fn steps(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(what, detail)| (what.to_string(), detail.to_string()))
        .collect()
}

async fn a_letter_keeps_its_story_of_failures_and_closings(backend: TestBackend) {
    let store = backend.open().await;
    let id = store
        .dead_letter("sync", "1", "{}", "E1", "first")
        .await
        .unwrap();
    store
        .dead_letter("sync", "1", "{}", "E2", "second")
        .await
        .unwrap();
    store.resolve_dead_letter(id).await.unwrap();
    let letter = store.dead_letter_by_id(id).await.unwrap().unwrap();
    assert_eq!(letter.resolution, Some(Resolution::Replayed));
    // Failing again reopens it; a later delivery closes it as delivered.
    store
        .dead_letter("sync", "1", "{}", "E3", "third")
        .await
        .unwrap();
    let reopened = store.dead_letter_by_id(id).await.unwrap().unwrap();
    assert_eq!((reopened.resolved_at, reopened.resolution), (None, None));
    let mut batch = store.begin().await.unwrap();
    assert_eq!(batch.resolve_delivered("sync", "1").await.unwrap(), 1);
    batch.commit().await.unwrap();
    let delivered = store.dead_letter_by_id(id).await.unwrap().unwrap();
    assert_eq!(delivered.resolution, Some(Resolution::Delivered));
    assert_eq!(
        story(&store, id).await,
        steps(&[
            ("failed", "E1"),
            ("failed", "E2"),
            ("replayed", ""),
            ("failed", "E3"),
            ("delivered", ""),
        ])
    );
}

async fn a_discarded_letter_keeps_its_reason_and_a_new_failure_reopens_it(backend: TestBackend) {
    let store = backend.open().await;
    let id = store
        .dead_letter("sync", "7", "{}", "E1", "test record")
        .await
        .unwrap();
    store
        .discard_dead_letter(id, "a test customer, deleted in Stripe")
        .await
        .unwrap();
    let letter = store.dead_letter_by_id(id).await.unwrap().unwrap();
    assert_eq!(letter.resolution, Some(Resolution::Discarded));
    assert_eq!(
        letter.resolution_note.as_deref(),
        Some("a test customer, deleted in Stripe")
    );
    assert!(letter.resolved_at.is_some());
    assert!(
        store
            .dead_letters(&DeadLetterFilter::default())
            .await
            .unwrap()
            .is_empty(),
        "a discarded letter is not open"
    );

    // Discarding twice, or an unknown letter, is refused and changes nothing.
    let twice = store.discard_dead_letter(id, "again").await.unwrap_err();
    assert!(
        matches!(
            twice,
            StoreError::DeadLetterClosed {
                resolution: "discarded",
                ..
            }
        ),
        "{twice}"
    );
    assert!(matches!(
        store.discard_dead_letter(404, "x").await.unwrap_err(),
        StoreError::DeadLetterNotFound(404)
    ));

    store
        .dead_letter("sync", "7", "{}", "E2", "failed again")
        .await
        .unwrap();
    let reopened = store.dead_letter_by_id(id).await.unwrap().unwrap();
    assert_eq!(reopened.resolution_note, None);
    assert_eq!(reopened.resolved_at, None);
    assert_eq!(
        story(&store, id).await,
        steps(&[
            ("failed", "E1"),
            ("discarded", "a test customer, deleted in Stripe"),
            ("failed", "E2"),
        ])
    );
}

async fn audit_entries_round_trip_in_order(backend: TestBackend) {
    let store = backend.open().await;
    let version = pipeline_version("pipeline capsule_to_stripe {}");
    assert_eq!(version.len(), 64);
    let at = Timestamp::from_millisecond(1_700_000_000_123).unwrap();
    let created = AuditEntry {
        pipeline: "capsule_to_stripe".into(),
        pipeline_version: version.clone(),
        source_id: "42".into(),
        target: "stripe.customers".into(),
        target_id: Some("cus_A".into()),
        operation: Operation::Create,
        fields_changed: vec!["email".into(), "name".into(), "metadata.capsule_id".into()],
        at,
    };
    let noop = AuditEntry {
        operation: Operation::Noop,
        fields_changed: vec![],
        target_id: None,
        ..created.clone()
    };
    let other = AuditEntry {
        pipeline: "other".into(),
        source_id: "43".into(),
        operation: Operation::Delete,
        ..created.clone()
    };
    for entry in [&created, &noop, &other] {
        store.audit(entry).await.unwrap();
    }
    let all = store.audit_entries(&AuditFilter::default()).await.unwrap();
    assert_eq!(all, vec![created.clone(), noop.clone(), other.clone()]);
    let for_42 = AuditFilter {
        pipeline: Some("capsule_to_stripe".into()),
        source_id: Some("42".into()),
        ..AuditFilter::default()
    };
    assert_eq!(
        store.audit_entries(&for_42).await.unwrap(),
        vec![created.clone(), noop.clone()]
    );
    let into_cus_a_newest_first = AuditFilter {
        target_id: Some("cus_A".into()),
        newest_first: true,
        ..AuditFilter::default()
    };
    assert_eq!(
        store.audit_entries(&into_cus_a_newest_first).await.unwrap(),
        vec![other.clone(), created.clone()]
    );
    let second_page = AuditFilter {
        offset: 1,
        limit: Some(1),
        ..AuditFilter::default()
    };
    assert_eq!(
        store.audit_entries(&second_page).await.unwrap(),
        vec![noop.clone()]
    );
    let one_millisecond = jiff::SignedDuration::from_millis(1);
    let around = |since: Timestamp, until: Timestamp| AuditFilter {
        since: Some(since),
        until: Some(until),
        ..AuditFilter::default()
    };
    let within = around(at, at + one_millisecond);
    assert_eq!(store.audit_entries(&within).await.unwrap().len(), 3);
    let before = around(at - one_millisecond, at);
    assert!(store.audit_entries(&before).await.unwrap().is_empty());
    let first_only = AuditFilter {
        limit: Some(1),
        ..AuditFilter::default()
    };
    assert_eq!(store.audit_entries(&first_only).await.unwrap().len(), 1);
}

fn idempotency(key: &str, hash: &str, created_at: Timestamp) -> IdempotencyRecord {
    IdempotencyRecord {
        key: key.into(),
        pipeline: "sync".into(),
        source_id: "42".into(),
        target: "stripe.customers".into(),
        request_hash: hash.into(),
        operation: Some(Operation::Create),
        fields_changed: vec!["email".into()],
        response_status: None,
        response_body: None,
        created_at,
    }
}

async fn idempotency_record_gets_its_response_and_keeps_its_age(backend: TestBackend) {
    let store = backend.open().await;
    let created = Timestamp::from_millisecond(1_700_000_000_000).unwrap();
    store
        .put_idempotency(&idempotency("k1", "h1", created))
        .await
        .unwrap();
    assert_eq!(
        store.idempotency("k1").await.unwrap(),
        Some(idempotency("k1", "h1", created))
    );

    let answered = IdempotencyRecord {
        response_status: Some(200),
        response_body: Some(r#"{"id":"cus_A"}"#.into()),
        created_at: Timestamp::now(),
        ..idempotency("k1", "h1", created)
    };
    store.put_idempotency(&answered).await.unwrap();
    let stored = store.idempotency("k1").await.unwrap().unwrap();
    assert_eq!(stored.response_status, Some(200));
    assert_eq!(stored.response_body.as_deref(), Some(r#"{"id":"cus_A"}"#));
    assert_eq!(stored.created_at, created);
    assert_eq!(store.idempotency("k2").await.unwrap(), None);
}

async fn an_idempotency_key_reused_for_another_request_is_refused(backend: TestBackend) {
    let store = backend.open().await;
    store
        .put_idempotency(&idempotency("k1", "h1", Timestamp::now()))
        .await
        .unwrap();
    let error = store
        .put_idempotency(&idempotency("k1", "h2", Timestamp::now()))
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::IdempotencyConflict { ref key } if key == "k1"));
    assert_eq!(
        store.idempotency("k1").await.unwrap().unwrap().request_hash,
        "h1"
    );
}

async fn pruning_removes_only_old_settled_idempotency_records(backend: TestBackend) {
    let store = backend.open().await;
    let old = Timestamp::now() - jiff::SignedDuration::from_hours(25);
    let settled = IdempotencyRecord {
        response_status: Some(200),
        response_body: Some("cus_1".into()),
        ..idempotency("old", "h", old)
    };
    store.put_idempotency(&settled).await.unwrap();
    // Still in flight: kept, whatever its age, until a delivery audits it.
    store
        .put_idempotency(&idempotency("old-in-flight", "h", old))
        .await
        .unwrap();
    store
        .put_idempotency(&idempotency("new", "h", Timestamp::now()))
        .await
        .unwrap();
    let removed = store
        .prune_idempotency(Duration::from_secs(24 * 3600))
        .await
        .unwrap();
    assert_eq!(removed, 1);
    assert_eq!(store.idempotency("old").await.unwrap(), None);
    assert!(store.idempotency("old-in-flight").await.unwrap().is_some());
    assert!(store.idempotency("new").await.unwrap().is_some());
}

async fn writes_in_flight_are_listed_until_settled(backend: TestBackend) {
    let store = backend.open().await;
    let at = Timestamp::from_millisecond(1_800_000_000_000).unwrap();
    let first = idempotency("k1", "h1", at);
    let other_record = IdempotencyRecord {
        source_id: "43".into(),
        ..idempotency("k2", "h2", at)
    };
    store.put_in_flight(first.clone()).await.unwrap();
    store.put_in_flight(other_record.clone()).await.unwrap();
    // The same request again is in flight again; another request under the key is refused.
    store.put_in_flight(first.clone()).await.unwrap();
    let conflict = store
        .put_in_flight(idempotency("k1", "other", at))
        .await
        .unwrap_err();
    assert!(
        conflict.to_string().contains("`k1` was already used"),
        "{conflict}"
    );
    let listed = store.writes_in_flight("sync").await.unwrap();
    assert_eq!(listed, vec![first, other_record]);
    let mut batch = store.begin().await.unwrap();
    batch
        .settle_writes(&[ferry::store::SettledWrites {
            pipeline: "sync".into(),
            target: "stripe.customers".into(),
            source_id: "42".into(),
            target_id: "cus_1".into(),
        }])
        .await
        .unwrap();
    batch.commit().await.unwrap();
    let left = store.writes_in_flight("sync").await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].source_id, "43");
    let settled = store.idempotency("k1").await.unwrap().unwrap();
    assert_eq!(settled.response_status, Some(200));
    assert_eq!(settled.response_body.as_deref(), Some("cus_1"));
    assert_eq!(settled.fields_changed, vec!["email".to_string()]);
}

async fn contains_text_finds_a_string_in_any_table(backend: TestBackend) {
    let store = backend.open().await;
    let canary = "sk_test_canary_5f3a";
    assert!(!store.contains_text(canary).await.unwrap());
    store
        .set_cursor("sync", "capsule.parties", "1")
        .await
        .unwrap();
    store
        .put_cross_reference("capsule.parties", "1", "stripe.customers", "cus_1")
        .await
        .unwrap();
    assert!(!store.contains_text(canary).await.unwrap());
    store
        .dead_letter(
            "sync",
            "1",
            "{}",
            "E1",
            &format!("rejected key {canary} at Stripe"),
        )
        .await
        .unwrap();
    assert!(store.contains_text(canary).await.unwrap());

    // And in the audit log's JSON column.
    let other = backend.another().await;
    let fresh = other.open().await;
    fresh
        .audit(&AuditEntry {
            pipeline: "sync".into(),
            pipeline_version: pipeline_version(""),
            source_id: "1".into(),
            target: "stripe.customers".into(),
            target_id: None,
            operation: Operation::Update,
            fields_changed: vec![canary.into()],
            at: Timestamp::now(),
        })
        .await
        .unwrap();
    assert!(fresh.contains_text(canary).await.unwrap());
}

async fn activity_is_counted_per_hour_since_a_moment(backend: TestBackend) {
    let store = backend.open().await;
    let entry = |at: &str| AuditEntry {
        pipeline: "capsule_to_stripe".into(),
        pipeline_version: pipeline_version("p"),
        source_id: "42".into(),
        target: "stripe.customers".into(),
        target_id: Some("cus_A".into()),
        operation: Operation::Create,
        fields_changed: vec![],
        at: at.parse().unwrap(),
    };
    for at in [
        "2020-01-07T03:59:59Z",
        "2020-01-07T04:00:00Z",
        "2020-01-07T04:59:00Z",
        "2020-01-07T06:10:00Z",
    ] {
        store.audit(&entry(at)).await.unwrap();
    }
    store
        .dead_letter("capsule_to_stripe", "43", "{}", "bad", "bad email")
        .await
        .unwrap();
    let since: Timestamp = "2020-01-07T04:00:00Z".parse().unwrap();
    let hours: Vec<(String, u64, u64)> = store
        .activity_per_hour(since)
        .await
        .unwrap()
        .into_iter()
        .map(|h| (h.hour.to_string(), h.audited, h.dead_lettered))
        .collect();
    let now = Timestamp::now().as_second();
    let this_hour = Timestamp::from_second(now - now.rem_euclid(3600))
        .unwrap()
        .to_string();
    assert_eq!(
        hours,
        [
            ("2020-01-07T04:00:00Z".to_string(), 2, 0),
            ("2020-01-07T06:00:00Z".to_string(), 1, 0),
            (this_hour, 0, 1),
        ]
    );
}

async fn records_read_add_up_per_hour_and_pipeline(backend: TestBackend) {
    let store = backend.open().await;
    let read = |pipeline: &str, records, at: &str| RecordsRead {
        pipeline: pipeline.into(),
        records,
        at: at.parse().unwrap(),
    };
    let commits = [
        vec![read("capsule_to_stripe", 100, "2020-01-07T04:05:00Z")],
        vec![
            read("capsule_to_stripe", 40, "2020-01-07T04:59:59.999Z"),
            read("stripe_to_erp", 3, "2020-01-07T04:30:00Z"),
        ],
        // One hour twice in one statement.
        vec![
            read("capsule_to_stripe", 7, "2020-01-07T05:00:00Z"),
            read("capsule_to_stripe", 1, "2020-01-07T05:59:00Z"),
        ],
        vec![read("stripe_to_erp", 5, "2020-01-07T02:10:00Z")],
    ];
    // Side by side, as workers finish their claims: the store's writer groups them.
    let finishing = commits.into_iter().map(|read| {
        let writes = FinishedEvents {
            read,
            ..FinishedEvents::default()
        };
        store.finish_and_claim(writes, "w1", 0, Duration::from_secs(60))
    });
    for finished in futures_util::future::join_all(finishing).await {
        finished.unwrap();
    }
    // A transaction rolled back counts nothing.
    let mut batch = store.begin().await.unwrap();
    let lost = FinishedEvents {
        read: vec![read("capsule_to_stripe", 1000, "2020-01-07T04:10:00Z")],
        ..FinishedEvents::default()
    };
    batch.write_finished(&lost, "").await.unwrap();
    batch.rollback().await.unwrap();

    // From the middle of an hour: reads are kept per hour, so that hour counts whole.
    let since: Timestamp = "2020-01-07T04:20:00Z".parse().unwrap();
    let hours: Vec<(String, u64, u64, u64)> = store
        .activity_per_hour(since)
        .await
        .unwrap()
        .into_iter()
        .map(|h| (h.hour.to_string(), h.read, h.audited, h.dead_lettered))
        .collect();
    assert_eq!(
        hours,
        [
            ("2020-01-07T04:00:00Z".to_string(), 143, 0, 0),
            ("2020-01-07T05:00:00Z".to_string(), 8, 0, 0),
        ]
    );
    let mut by_pipeline: Vec<(String, u64)> = store
        .records_read(since)
        .await
        .unwrap()
        .into_iter()
        .collect();
    by_pipeline.sort();
    assert_eq!(
        by_pipeline,
        [
            ("capsule_to_stripe".to_string(), 148),
            ("stripe_to_erp".to_string(), 3),
        ]
    );
    let all_day = store
        .records_read("2020-01-07T00:00:00Z".parse().unwrap())
        .await
        .unwrap();
    assert_eq!(all_day["stripe_to_erp"], 8);
    assert_eq!(all_day["capsule_to_stripe"], 148);
}

crate::on_every_backend!(
    dead_letter_upsert_counts_attempts_and_keeps_first_seen,
    resolved_letters_are_kept_but_not_listed_by_default,
    a_resolved_letter_that_fails_again_reopens,
    a_letter_keeps_its_story_of_failures_and_closings,
    a_discarded_letter_keeps_its_reason_and_a_new_failure_reopens_it,
    audit_entries_round_trip_in_order,
    idempotency_record_gets_its_response_and_keeps_its_age,
    an_idempotency_key_reused_for_another_request_is_refused,
    pruning_removes_only_old_settled_idempotency_records,
    writes_in_flight_are_listed_until_settled,
    contains_text_finds_a_string_in_any_table,
    activity_is_counted_per_hour_since_a_moment,
    records_read_add_up_per_hour_and_pipeline,
);
