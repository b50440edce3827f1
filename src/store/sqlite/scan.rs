//! A search through every text column of every table, for tests that prove a secret never
//! reached the store.

use sqlx::sqlite::SqliteConnection;
use sqlx::{AssertSqlSafe, Row};

use crate::store::StoreError;

pub async fn contains_text(conn: &mut SqliteConnection, needle: &str) -> Result<bool, StoreError> {
    let columns = sqlx::query(
        "SELECT m.name, c.name FROM sqlite_schema AS m, pragma_table_info(m.name) AS c
         WHERE m.type = 'table' AND upper(c.type) = 'TEXT'",
    )
    .fetch_all(&mut *conn)
    .await?;
    for row in &columns {
        let table: String = row.try_get(0)?;
        let column: String = row.try_get(1)?;
        // Names come from the schema itself, quoted so any spelling stays an identifier.
        let sql = format!(
            "SELECT EXISTS (SELECT 1 FROM {} WHERE instr({}, ?1) > 0)",
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
