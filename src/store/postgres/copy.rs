//! `ferry store migrate` on PostgreSQL: the store read whole (to check a copy), and filled
//! whole in one transaction.

use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use sqlx::AssertSqlSafe;
use sqlx::postgres::PgConnection;

use crate::store::StoreError;
use crate::store::backend::{Answer, Filling, Snapshot};
use crate::store::copy::{Kind, NOT_COPIED, Row, Table, Value, column_list, decode_row, quoted};

/// A repeatable-read transaction: every table as of its first statement.
pub(super) struct PostgresSnapshot {
    pub(super) transaction: sqlx::Transaction<'static, sqlx::Postgres>,
}

impl Snapshot for PostgresSnapshot {
    fn table_names(&mut self) -> Answer<'_, Vec<String>> {
        Box::pin(async move {
            let names: Vec<String> = sqlx::query_scalar(
                "SELECT table_name::text FROM information_schema.tables
                 WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'
                 ORDER BY table_name",
            )
            .fetch_all(&mut *self.transaction)
            .await?;
            Ok(names
                .into_iter()
                .filter(|name| !NOT_COPIED.contains(&name.as_str()))
                .collect())
        })
    }

    fn rows<'a>(&'a mut self, table: &'static Table) -> BoxStream<'a, Result<Row, StoreError>> {
        // `COLLATE "C"` compares text byte by byte, as SQLite does: both sides then list rows
        // in the same order, whatever the database's own collation.
        let order = table
            .key
            .iter()
            .map(|column| match table.kind_of(column) {
                Some(Kind::Text) => format!("{} COLLATE \"C\"", quoted(column)),
                _ => quoted(column),
            })
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT {} FROM {} ORDER BY {order}",
            column_list(table),
            quoted(table.name)
        );
        sqlx::query(AssertSqlSafe(sql))
            .fetch(&mut *self.transaction)
            .map(move |row| decode_row(table, &row?))
            .boxed()
    }
}

/// The transaction a copy fills; dropped unfinished, it rolls back.
pub(super) struct PostgresFilling {
    pub(super) transaction: sqlx::Transaction<'static, sqlx::Postgres>,
    /// The store as it may be shown, for a refusal.
    pub(super) shown: String,
}

impl Filling for PostgresFilling {
    fn ensure_empty(&mut self, tables: &'static [Table]) -> Answer<'_, ()> {
        Box::pin(async move {
            for table in tables {
                let sql = format!("SELECT EXISTS (SELECT 1 FROM {})", quoted(table.name));
                let filled: bool = sqlx::query_scalar(AssertSqlSafe(sql))
                    .fetch_one(&mut *self.transaction)
                    .await?;
                if filled {
                    return Err(StoreError::TargetNotEmpty {
                        store: self.shown.clone(),
                        table: table.name.to_string(),
                    });
                }
            }
            Ok(())
        })
    }

    fn write_rows<'a>(&'a mut self, table: &'static Table, rows: &'a [Row]) -> Answer<'a, ()> {
        Box::pin(async move {
            insert(&mut self.transaction, table, rows).await?;
            if table.name == "dead_letters" {
                forget_trigger_history(&mut self.transaction, table, rows).await?;
            }
            Ok(())
        })
    }

    fn commit(self: Box<Self>) -> Answer<'static, ()> {
        Box::pin(async move {
            let mut transaction = self.transaction;
            move_sequences_past_copied_ids(&mut transaction).await?;
            transaction.commit().await?;
            Ok(())
        })
    }
}

/// One statement for a page of rows: each column goes as one array, which `UNNEST` turns back
/// into rows, so the statement's text and parameter count do not grow with the page.
async fn insert(conn: &mut PgConnection, table: &Table, rows: &[Row]) -> Result<(), StoreError> {
    let arrays = table
        .columns
        .iter()
        .enumerate()
        .map(|(at, column)| match column.kind {
            Kind::Integer => format!("${}::bigint[]", at + 1),
            Kind::Text => format!("${}::text[]", at + 1),
        })
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "INSERT INTO {} ({}) SELECT * FROM UNNEST({arrays})",
        quoted(table.name),
        column_list(table)
    );
    let mut query = sqlx::query(AssertSqlSafe(sql));
    for (at, column) in table.columns.iter().enumerate() {
        query = match column.kind {
            Kind::Integer => query.bind(integers(rows, at)),
            Kind::Text => query.bind(texts(rows, at)),
        };
    }
    query.execute(conn).await?;
    Ok(())
}

fn integers(rows: &[Row], at: usize) -> Vec<Option<i64>> {
    rows.iter()
        .map(|row| match row.get(at) {
            Some(Value::Integer(number)) => Some(*number),
            _ => None,
        })
        .collect()
}

fn texts(rows: &[Row], at: usize) -> Vec<Option<String>> {
    rows.iter()
        .map(|row| match row.get(at) {
            Some(Value::Text(text)) => Some(text.clone()),
            _ => None,
        })
        .collect()
}

/// The trigger `dead_letter_story` wrote a `failed` step for each letter just copied; the
/// letters' real history is copied next, as it is, so those steps go. Deleting them in the
/// same transaction needs no more rights than the copy itself (disabling the trigger would
/// need the table's owner, and skipping triggers for the session a superuser).
async fn forget_trigger_history(
    conn: &mut PgConnection,
    table: &Table,
    rows: &[Row],
) -> Result<(), StoreError> {
    let Some(id_at) = table.position("id") else {
        return Ok(());
    };
    sqlx::query("DELETE FROM dead_letter_history WHERE letter_id = ANY($1)")
        .bind(integers(rows, id_at))
        .execute(conn)
        .await?;
    Ok(())
}

/// Sets every id sequence of the schema to start after the largest id its column holds, so
/// that a dead letter filed after the copy gets a new id, never one a copied letter has.
async fn move_sequences_past_copied_ids(conn: &mut PgConnection) -> Result<(), StoreError> {
    let serials: Vec<(String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text FROM information_schema.columns
         WHERE table_schema = current_schema() AND column_default LIKE 'nextval(%'",
    )
    .fetch_all(&mut *conn)
    .await?;
    for (table, column) in serials {
        // Names come from the schema itself, quoted so any spelling stays an identifier.
        let sql = format!(
            "SELECT setval(pg_get_serial_sequence($1, $2), COALESCE(MAX({column}), 0) + 1, false)
             FROM {table}",
            column = quoted(&column),
            table = quoted(&table)
        );
        sqlx::query(AssertSqlSafe(sql))
            .bind(quoted(&table))
            .bind(&column)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}
