//! The store's tests run against every backend: each test is an `async fn(TestBackend)`, and
//! [`on_every_backend!`] makes a `#[tokio::test]` of it per backend (`sqlite::name`,
//! `postgres::name`).
//!
//! PostgreSQL: the server at `FERRY_TEST_POSTGRES` (default `postgres://postgres@127.0.0.1:5432`,
//! the machine's own, trust auth). Each test gets a schema of its own in the database
//! `ferry_tests`, so tests run side by side; a test's schema is dropped with its
//! [`TestBackend`], and schemas left by killed test processes are dropped by the next run.

use std::sync::atomic::{AtomicUsize, Ordering};

use ferry::store::Store;
use sqlx::Connection;
use sqlx::postgres::PgConnection;

/// The server the PostgreSQL tests use, without a database.
pub fn postgres_server() -> String {
    std::env::var("FERRY_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_string())
}

const DATABASE: &str = "ferry_tests";

/// Where a test's store lives; the place is cleared when this is dropped.
pub enum TestBackend {
    Sqlite { dir: tempfile::TempDir },
    Postgres { schema: String, url: String },
}

impl TestBackend {
    pub fn sqlite() -> TestBackend {
        TestBackend::Sqlite {
            dir: tempfile::tempdir().expect("a temporary folder"),
        }
    }

    /// A fresh, empty schema of its own.
    pub async fn postgres() -> TestBackend {
        let schema = fresh_schema().await;
        let url = format!(
            "{}/{DATABASE}?options=-c%20search_path%3D{schema}",
            postgres_server()
        );
        TestBackend::Postgres { schema, url }
    }

    /// Another empty store of the same backend.
    pub async fn another(&self) -> TestBackend {
        match self {
            TestBackend::Sqlite { .. } => TestBackend::sqlite(),
            TestBackend::Postgres { .. } => TestBackend::postgres().await,
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            TestBackend::Sqlite { .. } => "sqlite",
            TestBackend::Postgres { .. } => "postgres",
        }
    }

    /// The store's URL: the same store every time it is opened.
    pub fn url(&self) -> String {
        match self {
            TestBackend::Sqlite { dir } => format!("sqlite://{}/state.db", dir.path().display()),
            TestBackend::Postgres { url, .. } => url.clone(),
        }
    }

    pub async fn open(&self) -> Store {
        Store::open(&self.url())
            .await
            .unwrap_or_else(|error| panic!("open the {} store: {error}", self.name()))
    }
}

impl Drop for TestBackend {
    fn drop(&mut self) {
        if let TestBackend::Postgres { schema, .. } = self {
            let schema = schema.clone();
            // Dropped from a thread of its own: the test's runtime may be shutting down.
            let _ = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build();
                if let Ok(runtime) = runtime {
                    runtime.block_on(async {
                        if let Ok(mut admin) = connect(DATABASE).await {
                            let _ = drop_schema(&mut admin, &schema).await;
                        }
                    });
                }
            })
            .join();
        }
    }
}

async fn connect(database: &str) -> Result<PgConnection, sqlx::Error> {
    PgConnection::connect(&format!("{}/{database}", postgres_server())).await
}

async fn drop_schema(admin: &mut PgConnection, schema: &str) -> Result<(), sqlx::Error> {
    let sql = format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE");
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(admin)
        .await?;
    Ok(())
}

/// Creates the tests' database if missing, clears the schemas of test processes that are gone,
/// and creates a schema named after this process and a counter.
async fn fresh_schema() -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let server = postgres_server();
    let mut admin = match connect(DATABASE).await {
        Ok(admin) => admin,
        Err(_) => {
            let mut postgres = connect("postgres").await.unwrap_or_else(|error| {
                panic!(
                    "the store tests need PostgreSQL at {server} (set FERRY_TEST_POSTGRES): {error}"
                )
            });
            let created = sqlx::raw_sql("CREATE DATABASE ferry_tests")
                .execute(&mut postgres)
                .await;
            // Another test process may have created it meanwhile.
            if let Err(error) = created {
                let code = error.as_database_error().and_then(|e| e.code());
                assert!(
                    code.as_deref() == Some("42P04") || code.as_deref() == Some("23505"),
                    "cannot create the tests' database: {error}"
                );
            }
            connect(DATABASE).await.expect("connect to ferry_tests")
        }
    };
    let pid = std::process::id();
    let schemas: Vec<String> =
        sqlx::query_scalar("SELECT nspname::text FROM pg_namespace WHERE nspname LIKE 'test\\_%'")
            .fetch_all(&mut admin)
            .await
            .expect("list the tests' schemas");
    for schema in schemas {
        let owner: Option<u32> = schema
            .strip_prefix("test_")
            .and_then(|rest| rest.split('_').next())
            .and_then(|pid| pid.parse().ok());
        if let Some(owner) = owner
            && owner != pid
            && !std::path::Path::new(&format!("/proc/{owner}")).exists()
        {
            let _ = drop_schema(&mut admin, &schema).await;
        }
    }
    let schema = format!("test_{pid}_{}", NEXT.fetch_add(1, Ordering::Relaxed));
    let sql = format!("CREATE SCHEMA \"{schema}\"");
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(&mut admin)
        .await
        .expect("create the test's schema");
    schema
}

/// `#[tokio::test]`s of the given `async fn(TestBackend)`s, one per backend: in `mod sqlite`
/// and `mod postgres`.
#[macro_export]
macro_rules! on_every_backend {
    ($($test:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    super::$test($crate::store_support::TestBackend::sqlite()).await
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    super::$test($crate::store_support::TestBackend::postgres().await).await
                }
            )+
        }
    };
}
