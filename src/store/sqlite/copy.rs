//! The store read whole for `ferry store migrate`: one read transaction, so every table is
//! read as of its first statement while writers go on (WAL).

use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use sqlx::AssertSqlSafe;

use crate::store::StoreError;
use crate::store::backend::{Answer, Snapshot};
use crate::store::copy::{NOT_COPIED, Row, Table, column_list, decode_row, quoted};

pub(super) struct SqliteSnapshot {
    pub(super) transaction: sqlx::Transaction<'static, sqlx::Sqlite>,
}

impl Snapshot for SqliteSnapshot {
    fn table_names(&mut self) -> Answer<'_, Vec<String>> {
        Box::pin(async move {
            let names = sqlx::query_scalar(
                "SELECT name FROM sqlite_schema
                 WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
                 ORDER BY name",
            )
            .fetch_all(&mut *self.transaction)
            .await?;
            Ok(names
                .into_iter()
                .filter(|name: &String| !NOT_COPIED.contains(&name.as_str()))
                .collect())
        })
    }

    fn rows<'a>(&'a mut self, table: &'static Table) -> BoxStream<'a, Result<Row, StoreError>> {
        let sql = format!(
            "SELECT {} FROM {} ORDER BY {}",
            column_list(table),
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
