//! A store ferry cannot use, through the real binary: a wrong URL, a server out of reach, a
//! missing database, a role without rights, a schema written by a newer ferry. Each is told
//! in one clear error naming the store (never its password), with exit code 2, and leaves the
//! schema as it was: never half migrated.

use std::path::Path;
use std::time::{Duration, Instant};

use sqlx::Connection;
use sqlx::postgres::PgConnection;

use crate::run_support::{run_ferry, text};
use crate::store_support::{TestBackend, postgres_server};

const PASSWORD: &str = "hunter2";

/// Runs `ferry dlq list` (the store is the first thing it opens) in a project whose store is
/// `store`.
async fn ferry_with_store(store: &str) -> (Option<i32>, String, Duration) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ferry.yaml"),
        format!("version: 1\nstore: {store}\nconnections: {{}}\n"),
    )
    .unwrap();
    ferry(dir.path(), &["dlq", "list"]).await
}

async fn ferry(dir: &Path, args: &[&str]) -> (Option<i32>, String, Duration) {
    let started = Instant::now();
    let output = run_ferry(dir, args).await;
    let said = text(&output.stdout) + &text(&output.stderr);
    (output.status.code(), said, started.elapsed())
}

/// `url` with `user:hunter2@` as its credentials.
fn with_password(url: &str, user: &str) -> String {
    let mut url = url::Url::parse(url).unwrap();
    url.set_username(user).unwrap();
    url.set_password(Some(PASSWORD)).unwrap();
    url.to_string()
}

/// The command exits 2, and its message names the store, hides its password and says each
/// of `phrases`.
fn assert_refused(outcome: &(Option<i32>, String, Duration), store_part: &str, phrases: &[&str]) {
    let (code, said, _) = outcome;
    assert_eq!(*code, Some(2), "{said}");
    assert!(said.contains(store_part), "names {store_part}: {said}");
    assert!(!said.contains(PASSWORD), "shows the password: {said}");
    for phrase in phrases {
        assert!(said.contains(phrase), "says {phrase:?}: {said}");
    }
}

/// The tables in a test backend's schema, read as the server's owner.
async fn tables_in(schema: &str) -> Vec<String> {
    let mut admin = PgConnection::connect(&format!("{}/ferry_tests", postgres_server()))
        .await
        .unwrap();
    sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = $1
         ORDER BY table_name",
    )
    .bind(schema)
    .fetch_all(&mut admin)
    .await
    .unwrap()
}

async fn as_admin(sql: String) {
    let mut admin = PgConnection::connect(&format!("{}/ferry_tests", postgres_server()))
        .await
        .unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(&mut admin)
        .await
        .unwrap();
}

fn schema_of(backend: &TestBackend) -> String {
    match backend {
        TestBackend::Postgres { schema, .. } => schema.clone(),
        TestBackend::Sqlite { .. } => unreachable!("a PostgreSQL backend"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_url_that_does_not_parse_is_named_without_its_password() {
    let outcome = ferry_with_store("postgres://ferry:hunter2@127.0.0.1:notaport/ferry").await;
    assert_refused(
        &outcome,
        "postgres://ferry:***@127.0.0.1:notaport/ferry",
        &["E0610", "is not a PostgreSQL URL: invalid"],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_port_nothing_listens_on_is_told_at_once() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let store = format!("postgres://ferry:{PASSWORD}@127.0.0.1:{port}/ferry");
    let outcome = ferry_with_store(&store).await;
    assert_refused(
        &outcome,
        &format!("127.0.0.1:{port}/ferry"),
        &["cannot reach the store", "Connection refused"],
    );
    assert!(outcome.2 < Duration::from_secs(5), "took {:?}", outcome.2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_never_answers_is_given_up_on() {
    // Accepts connections and says nothing, as a host behind a firewall dropping packets
    // would look once connected.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let held = std::thread::spawn(move || {
        let (stream, _) = silent.accept().unwrap();
        std::thread::sleep(Duration::from_secs(15));
        drop(stream);
    });
    let store = format!("postgres://ferry:{PASSWORD}@127.0.0.1:{port}/ferry");
    let outcome = ferry_with_store(&store).await;
    assert_refused(
        &outcome,
        &format!("127.0.0.1:{port}/ferry"),
        &["cannot reach the store", "no answer within 10s"],
    );
    assert!(outcome.2 < Duration::from_secs(14), "took {:?}", outcome.2);
    drop(held);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_database_is_named() {
    let store = with_password(
        &format!("{}/ferry_no_such_database", postgres_server()),
        "postgres",
    );
    let outcome = ferry_with_store(&store).await;
    assert_refused(
        &outcome,
        "/ferry_no_such_database",
        &["has no such database"],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_without_rights_is_refused_and_creates_nothing() {
    let backend = TestBackend::postgres().await;
    let schema = schema_of(&backend);
    // The role may connect and use the schema, not create in it (as PostgreSQL 15 gives any
    // role but the owner on `public`).
    let mut admin = PgConnection::connect(&format!("{}/ferry_tests", postgres_server()))
        .await
        .unwrap();
    let created = sqlx::raw_sql("CREATE ROLE ferry_noperm LOGIN")
        .execute(&mut admin)
        .await;
    // Left by an earlier run, or made meanwhile by another test process.
    if let Err(error) = created {
        let code = error.as_database_error().and_then(|e| e.code());
        assert!(
            matches!(code.as_deref(), Some("42710" | "23505")),
            "cannot create the role: {error}"
        );
    }
    as_admin(format!(
        "GRANT USAGE ON SCHEMA \"{schema}\" TO ferry_noperm"
    ))
    .await;
    let store = with_password(&backend.url(), "ferry_noperm");

    let outcome = ferry_with_store(&store).await;
    assert_refused(
        &outcome,
        "ferry_noperm:***@127.0.0.1:5432/ferry_tests",
        &["refused ferry", "needs to connect and to create tables"],
    );
    assert_eq!(tables_in(&schema).await, Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_migration_failing_midway_keeps_none_of_its_steps() {
    let backend = TestBackend::postgres().await;
    let schema = schema_of(&backend);
    // The migration's last table is already there, so its last statement fails after every
    // other table was created, in the same transaction.
    as_admin(format!(
        "CREATE TABLE \"{schema}\".rate_limits (something_else TEXT)"
    ))
    .await;
    let store = with_password(&backend.url(), "postgres");

    let outcome = ferry_with_store(&store).await;
    assert_refused(
        &outcome,
        "postgres:***@127.0.0.1:5432/ferry_tests",
        &["cannot bring the schema", "rate_limits"],
    );
    // sqlx's own bookkeeping table is made before the migration; of ferry's, none.
    assert_eq!(
        tables_in(&schema).await,
        ["_sqlx_migrations", "rate_limits"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_schema_of_a_newer_ferry_is_refused_unchanged() {
    let backend = TestBackend::postgres().await;
    let schema = schema_of(&backend);
    backend.open().await.close().await;
    as_admin(format!(
        "INSERT INTO \"{schema}\"._sqlx_migrations
             (version, description, success, checksum, execution_time)
         VALUES (99, 'from the future', true, '\\x00', 0)"
    ))
    .await;
    let before = tables_in(&schema).await;
    let store = with_password(&backend.url(), "postgres");

    let outcome = ferry_with_store(&store).await;
    assert_refused(
        &outcome,
        "postgres:***@127.0.0.1:5432/ferry_tests",
        &["was written by a newer ferry (schema version 99"],
    );
    assert_eq!(tables_in(&schema).await, before);

    // `ferry store migrate` says the same of a target.
    let source = TestBackend::sqlite();
    let dir = tempfile::tempdir().unwrap();
    let migrate = ferry(
        dir.path(),
        &["store", "migrate", "--from", &source.url(), "--to", &store],
    )
    .await;
    assert_refused(
        &migrate,
        "postgres:***@127.0.0.1:5432/ferry_tests",
        &["the target store", "newer ferry"],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_store_of_a_newer_ferry_is_refused() {
    let backend = TestBackend::sqlite();
    backend.open().await.close().await;
    let mut conn = sqlx::SqliteConnection::connect(&backend.url())
        .await
        .unwrap();
    sqlx::raw_sql(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
         VALUES (99, 'from the future', true, x'00', 0)",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();

    let outcome = ferry_with_store(&backend.url()).await;
    let (code, said, _) = &outcome;
    assert_eq!(*code, Some(2), "{said}");
    assert!(said.contains(&backend.url()), "{said}");
    assert!(
        said.contains("written by a newer ferry (schema version 99; this ferry knows up to "),
        "{said}"
    );
}
