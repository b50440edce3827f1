//! The store read whole for `ferry store migrate`: one read transaction, so every table is
//! read as of its first statement while writers go on (WAL).

use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use sqlx::AssertSqlSafe;

use crate::store::StoreError;
use crate::store::backend::{Answer, Snapshot};
use crate::store::copy::{Row, Table, decode_row, quoted};

pub(super) struct SqliteSnapshot {
    pub(super) transaction: sqlx::Transaction<'static, sqlx::Sqlite>,
}

impl Snapshot for SqliteSnapshot {
    fn table_names(&mut self) -> Answer<'_, Vec<String>> {
        Box::pin(async move {
            let names = sqlx::query_scalar(
                "SELECT name FROM sqlite_schema
                 WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
                   AND name <> '_sqlx_migrations'
                 ORDER BY name",
            )
            .fetch_all(&mut *self.transaction)
            .await?;
            Ok(names)
        })
    }

    fn rows<'a>(&'a mut self, table: &'static Table) -> BoxStream<'a, Result<Row, StoreError>> {
        let sql = format!(
            "SELECT {} FROM {} ORDER BY {}",
            table
                .columns
                .iter()
                .map(|column| selected(table, column.name))
                .collect::<Vec<_>>()
                .join(", "),
            quoted(table.name),
            table
                .key
                .iter()
                .map(|column| quoted(column))
                .collect::<Vec<_>>()
                .join(", ")
        );
        sqlx::query(AssertSqlSafe(sql))
            .fetch(&mut *self.transaction)
            .map(move |row| decode_row(table, &row?))
            .boxed()
    }
}

/// A column as SELECT names it. The one column SQLite does not spell as the others do:
/// PostgreSQL's `cross_references.seq`, the order links were first made, is SQLite's rowid.
fn selected(table: &Table, column: &str) -> String {
    if table.name == "cross_references" && column == "seq" {
        "rowid".to_string()
    } else {
        quoted(column)
    }
}
