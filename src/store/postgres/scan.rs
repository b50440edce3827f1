//! A search through every text column of every table, for tests that prove a secret never
//! reached the store.

use sqlx::postgres::PgConnection;
use sqlx::{AssertSqlSafe, Row};

use crate::store::StoreError;

pub async fn contains_text(conn: &mut PgConnection, needle: &str) -> Result<bool, StoreError> {
    let columns = sqlx::query(
        "SELECT table_name::text, column_name::text FROM information_schema.columns
         WHERE table_schema = current_schema() AND data_type = 'text'",
    )
    .fetch_all(&mut *conn)
    .await?;
    for row in &columns {
        let table: String = row.try_get(0)?;
        let column: String = row.try_get(1)?;
        // Names come from the schema itself, quoted so any spelling stays an identifier.
        let sql = format!(
            "SELECT EXISTS (SELECT 1 FROM {} WHERE strpos({}, $1) > 0)",
            quoted(&table),
            quoted(&column)
        );
        let found: bool = sqlx::query_scalar(AssertSqlSafe(sql))
            .bind(needle)
            .fetch_one(&mut *conn)
            .await?;
        if found {
            return Ok(true);
        }
    }
    Ok(false)
}

fn quoted(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}
