//! Batches are all-or-nothing, and concurrent writers lose nothing.

use crate::store_support::TestBackend;
use ferry::store::{
    AuditEntry, AuditFilter, CommitBatch, CrossReference, CursorUpdate, Operation, Store,
    StoreError, pipeline_version,
};
use jiff::Timestamp;

fn entry(source_id: &str) -> AuditEntry {
    AuditEntry {
        pipeline: "sync".into(),
        pipeline_version: pipeline_version("pipeline sync {}"),
        source_id: source_id.into(),
        target: "stripe.customers".into(),
        target_id: Some(format!("cus_{source_id}")),
        operation: Operation::Create,
        fields_changed: vec!["email".into()],
        at: Timestamp::now(),
    }
}

fn cursor(value: &str) -> Option<CursorUpdate> {
    Some(CursorUpdate {
        pipeline: "sync".into(),
        source: "capsule.parties".into(),
        value: value.into(),
    })
}

async fn commit_batch_keeps_links_audit_and_cursor_together(backend: TestBackend) {
    let store = backend.open().await;
    let batch = CommitBatch {
        cross_references: vec![
            CrossReference::new("capsule.parties", "1", "stripe.customers", "cus_1"),
            CrossReference::new("capsule.parties", "2", "stripe.customers", "cus_2"),
        ],
        audit: vec![entry("1"), entry("2")],
        idempotency: vec![],
        cursor: cursor("2"),
    };
    store.commit_batch(&batch).await.unwrap();
    assert_eq!(
        store
            .cursor("sync", "capsule.parties")
            .await
            .unwrap()
            .as_deref(),
        Some("2")
    );
    assert_eq!(
        store
            .target_id("stripe.customers", "2")
            .await
            .unwrap()
            .as_deref(),
        Some("cus_2")
    );
    assert_eq!(
        store
            .audit_entries(&AuditFilter::default())
            .await
            .unwrap()
            .len(),
        2
    );
}

async fn a_batch_failing_midway_leaves_nothing_behind(backend: TestBackend) {
    let store = backend.open().await;
    store
        .set_cursor("sync", "capsule.parties", "0")
        .await
        .unwrap();
    // The second link has an empty target id, which the schema refuses after the first
    // link was already written inside the transaction.
    let batch = CommitBatch {
        cross_references: vec![
            CrossReference::new("capsule.parties", "1", "stripe.customers", "cus_1"),
            CrossReference::new("capsule.parties", "2", "stripe.customers", ""),
        ],
        audit: vec![entry("1")],
        idempotency: vec![],
        cursor: cursor("2"),
    };
    let error = store.commit_batch(&batch).await.unwrap_err();
    assert!(matches!(error, StoreError::Database(_)), "{error}");
    assert_eq!(
        store
            .cursor("sync", "capsule.parties")
            .await
            .unwrap()
            .as_deref(),
        Some("0")
    );
    assert_eq!(
        store.target_id("stripe.customers", "1").await.unwrap(),
        None
    );
    assert!(
        store
            .audit_entries(&AuditFilter::default())
            .await
            .unwrap()
            .is_empty()
    );
}

async fn a_batch_abandoned_on_a_runner_error_rolls_back(backend: TestBackend) {
    let store = backend.open().await;
    async fn write_then_fail(store: &Store) -> Result<(), StoreError> {
        let mut batch = store.begin().await?;
        batch
            .put_cross_reference(&CrossReference::new(
                "capsule.parties",
                "1",
                "stripe.customers",
                "cus_1",
            ))
            .await?;
        batch.audit(&entry("1")).await?;
        batch
            .dead_letter("sync", "2", "{}", "E9999", "mapping failed")
            .await?;
        // The runner hits an error before moving the cursor: `?` drops the batch.
        Err(StoreError::DeadLetterNotFound(-1))
    }
    assert!(write_then_fail(&store).await.is_err());
    assert_eq!(
        store.target_id("stripe.customers", "1").await.unwrap(),
        None
    );
    assert!(
        store
            .audit_entries(&AuditFilter::default())
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .dead_letters(&Default::default())
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.cursor("sync", "capsule.parties").await.unwrap(), None);

    // The connection went back to the pool clean: the next batch commits normally.
    let mut batch = store.begin().await.unwrap();
    batch
        .set_cursor("sync", "capsule.parties", "1")
        .await
        .unwrap();
    assert_eq!(
        batch
            .cursor("sync", "capsule.parties")
            .await
            .unwrap()
            .as_deref(),
        Some("1")
    );
    batch.commit().await.unwrap();
    assert_eq!(
        store
            .cursor("sync", "capsule.parties")
            .await
            .unwrap()
            .as_deref(),
        Some("1")
    );
}

async fn explicit_rollback_discards_writes(backend: TestBackend) {
    let store = backend.open().await;
    let mut batch = store.begin().await.unwrap();
    batch
        .set_cursor("sync", "capsule.parties", "3")
        .await
        .unwrap();
    batch.rollback().await.unwrap();
    assert_eq!(store.cursor("sync", "capsule.parties").await.unwrap(), None);
}

async fn concurrent_writers_lose_nothing(backend: TestBackend) {
    let store = backend.open().await;
    let mut tasks = Vec::new();
    for task in 0..8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            for n in 0..100 {
                let source_id = format!("{task}-{n}");
                if n % 2 == 0 {
                    store
                        .put_cross_reference(
                            "capsule.parties",
                            &source_id,
                            "stripe.customers",
                            &format!("cus_{source_id}"),
                        )
                        .await?;
                } else {
                    // Half go through batches, which hold the write lock across statements.
                    let mut batch = store.begin().await?;
                    batch
                        .put_cross_reference(&CrossReference::new(
                            "capsule.parties",
                            &source_id,
                            "stripe.customers",
                            format!("cus_{source_id}"),
                        ))
                        .await?;
                    batch.audit(&entry(&source_id)).await?;
                    batch.commit().await?;
                }
            }
            Ok::<(), StoreError>(())
        }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let snapshot = store
        .cross_reference_snapshot(&["stripe.customers"])
        .await
        .unwrap();
    assert_eq!(snapshot.len(), 800);
    assert_eq!(
        store
            .audit_entries(&AuditFilter::default())
            .await
            .unwrap()
            .len(),
        400
    );
    assert_eq!(
        store
            .source_id("capsule.parties", "cus_7-99")
            .await
            .unwrap()
            .as_deref(),
        Some("7-99")
    );
}

crate::on_every_backend!(
    commit_batch_keeps_links_audit_and_cursor_together,
    a_batch_failing_midway_leaves_nothing_behind,
    a_batch_abandoned_on_a_runner_error_rolls_back,
    explicit_rollback_discards_writes,
    concurrent_writers_lose_nothing,
);
