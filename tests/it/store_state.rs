//! The state store on a real SQLite file: migrations, cursors, cross references, reopening.

use crate::store_support::TestBackend;
use ferry::store::{DEFAULT_URL, Store, StoreError};
use ferry::value::CrossReferences;

fn url_in(dir: &tempfile::TempDir) -> String {
    format!("sqlite://{}/.ferry/state.db", dir.path().display())
}

#[test]
fn default_url_is_the_project_folder() {
    assert_eq!(DEFAULT_URL, "sqlite://.ferry/state.db");
}

#[tokio::test]
async fn open_creates_the_folder_and_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&url_in(&dir)).await.unwrap();
    store.set_cursor("p", "s", "1").await.unwrap();
    // Write-ahead logging is on: the write went to the log beside the database.
    assert!(dir.path().join(".ferry/state.db-wal").is_file());
    store.close().await;
    assert!(dir.path().join(".ferry/state.db").is_file());
}

#[tokio::test]
async fn a_folder_that_cannot_be_made_is_reported_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".ferry"), "a file, not a folder").unwrap();
    let Err(error) = Store::open(&url_in(&dir)).await else {
        panic!("the store cannot live under a file");
    };
    assert!(matches!(error, StoreError::CreateFolder { .. }), "{error}");
    assert!(error.to_string().contains(".ferry"), "{error}");
}

async fn migrations_run_on_every_open_without_error(backend: TestBackend) {
    let url = backend.url();
    let first = Store::open(&url).await.unwrap();
    first
        .set_cursor("p", "capsule.parties", "10")
        .await
        .unwrap();
    first.close().await;
    let second = Store::open(&url).await.unwrap();
    second.close().await;
    let third = Store::open(&url).await.unwrap();
    assert_eq!(
        third
            .cursor("p", "capsule.parties")
            .await
            .unwrap()
            .as_deref(),
        Some("10")
    );
}

#[tokio::test]
async fn unknown_scheme_is_refused_without_showing_a_password() {
    let Err(error) = Store::open("mysql://user:hunter2@localhost/db").await else {
        panic!("a MySQL URL must be refused");
    };
    assert!(matches!(error, StoreError::UnsupportedUrl(_)));
    let message = error.to_string();
    assert!(!message.contains("hunter2"), "{message}");
    assert!(
        message.contains("mysql://user:***@localhost/db"),
        "{message}"
    );
}

async fn cursor_is_absent_until_set_then_moves(backend: TestBackend) {
    let store = backend.open().await;
    assert_eq!(store.cursor("sync", "capsule.parties").await.unwrap(), None);
    store
        .set_cursor("sync", "capsule.parties", "2024-01-01T00:00:00Z")
        .await
        .unwrap();
    store
        .set_cursor("sync", "capsule.parties", "2024-02-01T00:00:00Z")
        .await
        .unwrap();
    store
        .set_cursor("other", "capsule.parties", "7")
        .await
        .unwrap();
    assert_eq!(
        store
            .cursor("sync", "capsule.parties")
            .await
            .unwrap()
            .as_deref(),
        Some("2024-02-01T00:00:00Z")
    );
    assert_eq!(
        store
            .cursor("other", "capsule.parties")
            .await
            .unwrap()
            .as_deref(),
        Some("7")
    );
    assert_eq!(store.cursor("sync", "stripe.charges").await.unwrap(), None);
}

async fn cross_references_read_both_ways(backend: TestBackend) {
    let store = backend.open().await;
    store
        .put_cross_reference("capsule.parties", "42", "stripe.customers", "cus_A")
        .await
        .unwrap();
    store
        .put_cross_reference("capsule.parties", "43", "stripe.customers", "cus_B")
        .await
        .unwrap();
    assert_eq!(
        store
            .target_id("stripe.customers", "42")
            .await
            .unwrap()
            .as_deref(),
        Some("cus_A")
    );
    assert_eq!(
        store
            .source_id("capsule.parties", "cus_B")
            .await
            .unwrap()
            .as_deref(),
        Some("43")
    );
    assert_eq!(
        store.target_id("stripe.customers", "44").await.unwrap(),
        None
    );
    assert_eq!(
        store.target_id("stripe.products", "42").await.unwrap(),
        None
    );
    assert_eq!(
        store.source_id("capsule.parties", "cus_Z").await.unwrap(),
        None
    );
}

async fn a_second_put_for_the_same_source_moves_the_link(backend: TestBackend) {
    let store = backend.open().await;
    store
        .put_cross_reference("capsule.parties", "42", "stripe.customers", "cus_old")
        .await
        .unwrap();
    store
        .put_cross_reference("capsule.parties", "42", "stripe.customers", "cus_new")
        .await
        .unwrap();
    // The same source in another target collection is a separate link.
    store
        .put_cross_reference("capsule.parties", "42", "business_central.customers", "C1")
        .await
        .unwrap();
    assert_eq!(
        store
            .target_id("stripe.customers", "42")
            .await
            .unwrap()
            .as_deref(),
        Some("cus_new")
    );
    assert_eq!(
        store.source_id("capsule.parties", "cus_old").await.unwrap(),
        None
    );
    assert_eq!(
        store
            .target_id("business_central.customers", "42")
            .await
            .unwrap()
            .as_deref(),
        Some("C1")
    );
    let snapshot = store
        .cross_reference_snapshot(&["stripe.customers"])
        .await
        .unwrap();
    assert_eq!(snapshot.len(), 1);
}

async fn empty_ids_are_refused(backend: TestBackend) {
    let store = backend.open().await;
    let error = store
        .put_cross_reference("capsule.parties", "", "stripe.customers", "cus_A")
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::Database(_)), "{error}");
}

async fn deleted_cross_reference_is_gone(backend: TestBackend) {
    let store = backend.open().await;
    store
        .put_cross_reference("capsule.parties", "42", "stripe.customers", "cus_A")
        .await
        .unwrap();
    assert!(
        store
            .delete_cross_reference("capsule.parties", "42", "stripe.customers")
            .await
            .unwrap()
    );
    assert!(
        !store
            .delete_cross_reference("capsule.parties", "42", "stripe.customers")
            .await
            .unwrap()
    );
    assert_eq!(
        store.target_id("stripe.customers", "42").await.unwrap(),
        None
    );
}

async fn snapshot_answers_xref_from_either_side(backend: TestBackend) {
    let store = backend.open().await;
    store
        .put_cross_reference("pronto.items", "WID-100", "stripe.products", "prod_1")
        .await
        .unwrap();
    store
        .put_cross_reference(
            "business_central.customers",
            "C00010",
            "stripe.customers",
            "cus_Q",
        )
        .await
        .unwrap();
    store
        .put_cross_reference("capsule.parties", "9", "capsule.elsewhere", "x")
        .await
        .unwrap();
    let snapshot = store
        .cross_reference_snapshot(&["stripe.products", "stripe.customers"])
        .await
        .unwrap();
    assert_eq!(snapshot.len(), 2);
    // The pipelines' own uses: pronto item -> Stripe product, Stripe customer -> BC number.
    assert_eq!(
        snapshot.target_id("stripe.products", "WID-100").as_deref(),
        Some("prod_1")
    );
    assert_eq!(
        snapshot.target_id("stripe.customers", "cus_Q").as_deref(),
        Some("C00010")
    );
    assert_eq!(snapshot.target_id("stripe.customers", "cus_unknown"), None);
    assert_eq!(snapshot.target_id("capsule.elsewhere", "9"), None);
}

async fn data_survives_closing_and_reopening(backend: TestBackend) {
    let url = backend.url();
    {
        let store = Store::open(&url).await.unwrap();
        store
            .set_cursor("sync", "capsule.parties", "99")
            .await
            .unwrap();
        store
            .put_cross_reference("capsule.parties", "42", "stripe.customers", "cus_A")
            .await
            .unwrap();
        store
            .dead_letter("sync", "7", "{}", "E0001", "boom")
            .await
            .unwrap();
        store.close().await;
    }
    let store = Store::open(&url).await.unwrap();
    assert_eq!(
        store
            .cursor("sync", "capsule.parties")
            .await
            .unwrap()
            .as_deref(),
        Some("99")
    );
    assert_eq!(
        store
            .target_id("stripe.customers", "42")
            .await
            .unwrap()
            .as_deref(),
        Some("cus_A")
    );
    let letters = store.dead_letters(&Default::default()).await.unwrap();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].error_message, "boom");
}

async fn data_survives_a_drop_without_close(backend: TestBackend) {
    let url = backend.url();
    let store = Store::open(&url).await.unwrap();
    store
        .set_cursor("sync", "capsule.parties", "5")
        .await
        .unwrap();
    drop(store);
    let store = Store::open(&url).await.unwrap();
    assert_eq!(
        store
            .cursor("sync", "capsule.parties")
            .await
            .unwrap()
            .as_deref(),
        Some("5")
    );
}

#[tokio::test]
async fn memory_url_with_slashes_is_one_shared_database() {
    let store = Store::open("sqlite://:memory:").await.unwrap();
    store
        .set_cursor("sync", "capsule.parties", "1")
        .await
        .unwrap();
    let same = store.clone();
    assert_eq!(
        same.cursor("sync", "capsule.parties")
            .await
            .unwrap()
            .as_deref(),
        Some("1")
    );
}

#[tokio::test]
async fn a_link_is_found_by_its_source_id_through_an_index() {
    use sqlx::{Connection, Row};
    let dir = tempfile::tempdir().unwrap();
    let url = url_in(&dir);
    Store::open(&url).await.unwrap().close().await;
    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    // The query of `Store::target_id`, run for every record a pipeline delivers: a scan of the
    // collection's links would make a backfill quadratic.
    let rows = sqlx::query(
        "EXPLAIN QUERY PLAN SELECT target_id FROM cross_references
         WHERE target_collection = ?1 AND source_id = ?2
         ORDER BY updated_at DESC, rowid DESC LIMIT 1",
    )
    .bind("stripe.customers")
    .bind("1")
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let plan: Vec<String> = rows.iter().map(|row| row.get("detail")).collect();
    let plan = plan.join("\n");
    assert!(
        plan.contains("(target_collection=? AND source_id=?)"),
        "{plan}"
    );
}

#[tokio::test]
async fn the_wal_is_checkpointed_in_the_background_while_the_store_is_open() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&url_in(&dir)).await.unwrap();
    for n in 0..200 {
        store
            .set_cursor("p", &format!("source {n}"), "1")
            .await
            .unwrap();
    }
    // Commits go to the WAL; only a checkpoint copies them into the database file, and no commit
    // here is large enough to checkpoint on its own.
    let database = dir.path().join(".ferry/state.db");
    let size = || std::fs::metadata(&database).map(|m| m.len()).unwrap_or(0);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while size() < 64 * 1024 && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(
        size() >= 64 * 1024,
        "the database file holds {} bytes",
        size()
    );
    assert_eq!(
        store.cursor("p", "source 199").await.unwrap().as_deref(),
        Some("1")
    );
}

crate::on_every_backend!(
    migrations_run_on_every_open_without_error,
    cursor_is_absent_until_set_then_moves,
    cross_references_read_both_ways,
    a_second_put_for_the_same_source_moves_the_link,
    empty_ids_are_refused,
    deleted_cross_reference_is_gone,
    snapshot_answers_xref_from_either_side,
    data_survives_closing_and_reopening,
    data_survives_a_drop_without_close,
);
