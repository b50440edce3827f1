//! `ferry store migrate`: a whole store copied into another, empty one (SQLite into
//! PostgreSQL), in one transaction of the target, then checked table by table.
//!
//! The source is read through one snapshot, so a write landing meanwhile is either wholly in
//! the copy or wholly out of it; writes after the snapshot are not copied, which is why the
//! processes using the source (`ferry serve`, `ferry run`) are stopped first. Rows stream
//! through in pages, so a store of any size copies in a page's memory. Each side's counts and
//! checksums are computed by the same code over the rows its backend reads back.

mod digest;
mod tables;

use futures_util::StreamExt;

use digest::Fingerprint;
pub use digest::TableDigest;
pub use tables::{Kind, NOT_COPIED, Row, TABLES, Table, Value, column_list, quoted};

use super::{Store, StoreError};

/// Rows written per statement: a few hundred kilobytes of typical rows.
const PAGE_ROWS: usize = 1000;

/// One table of a copy: what the source held and what the target holds.
#[derive(Debug, Clone)]
pub struct TableCheck {
    pub table: &'static str,
    pub source: TableDigest,
    pub target: TableDigest,
}

impl TableCheck {
    pub fn matches(&self) -> bool {
        self.source == self.target
    }
}

/// What a copy moved, table by table, in copying order.
#[derive(Debug, Clone)]
pub struct CopyReport {
    pub tables: Vec<TableCheck>,
}

impl CopyReport {
    /// Every table holds on the target exactly the rows it held on the source.
    pub fn matches(&self) -> bool {
        self.tables.iter().all(TableCheck::matches)
    }
}

impl Store {
    /// Opens the store a copy will fill, refusing one that cannot be filled before opening it
    /// creates anything (a SQLite file).
    pub async fn open_copy_target(url: &str) -> Result<Store, StoreError> {
        if !super::backend::can_be_filled(url) {
            return Err(StoreError::NotACopyTarget);
        }
        Store::open(url).await
    }

    /// Copies every row of this store into `target`, which must hold none, in one transaction
    /// of `target`; then reads `target` back and compares it with what was read here, table by
    /// table. `progress` hears each table's name and rows copied so far.
    pub async fn copy_into(
        &self,
        target: &Store,
        mut progress: impl FnMut(&str, u64),
    ) -> Result<CopyReport, StoreError> {
        let mut snapshot = self.backend.snapshot().await?;
        refuse_unknown_tables(snapshot.table_names().await?)?;
        let mut filling = target.backend.fill().await?;
        filling.ensure_empty(TABLES).await?;
        let mut copied = Vec::with_capacity(TABLES.len());
        for table in TABLES {
            let digest = copy_table(&mut *snapshot, &mut *filling, table, &mut progress)
                .await
                .map_err(|source| StoreError::CopyFailed {
                    table: table.name,
                    source: Box::new(source),
                })?;
            copied.push(digest);
        }
        filling.commit().await?;
        drop(snapshot);

        let mut written = target.backend.snapshot().await?;
        let mut tables = Vec::with_capacity(TABLES.len());
        for (table, source) in TABLES.iter().zip(copied) {
            let mut fingerprint = Fingerprint::default();
            let mut rows = written.rows(table);
            while let Some(row) = rows.next().await {
                fingerprint.add(&row?);
            }
            tables.push(TableCheck {
                table: table.name,
                source,
                target: fingerprint.finish(),
            });
        }
        Ok(CopyReport { tables })
    }
}

/// A table the copy does not know would be left behind: refuse before anything is written.
fn refuse_unknown_tables(names: Vec<String>) -> Result<(), StoreError> {
    match names
        .into_iter()
        .find(|name| !TABLES.iter().any(|table| table.name == name))
    {
        Some(unknown) => Err(StoreError::UnknownTable(unknown)),
        None => Ok(()),
    }
}

/// A row read by any backend, as [`Row`]: each column decoded by its kind.
pub fn decode_row<R>(table: &Table, row: &R) -> Result<Row, StoreError>
where
    R: sqlx::Row,
    usize: sqlx::ColumnIndex<R>,
    for<'r> Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    table
        .columns
        .iter()
        .enumerate()
        .map(|(at, column)| {
            let value = match column.kind {
                Kind::Integer => row.try_get::<Option<i64>, _>(at)?.map(Value::Integer),
                Kind::Text => row.try_get::<Option<String>, _>(at)?.map(Value::Text),
            };
            Ok(value.unwrap_or(Value::Null))
        })
        .collect()
}

async fn copy_table(
    snapshot: &mut dyn super::backend::Snapshot,
    filling: &mut dyn super::backend::Filling,
    table: &'static Table,
    progress: &mut impl FnMut(&str, u64),
) -> Result<TableDigest, StoreError> {
    let mut fingerprint = Fingerprint::default();
    let mut page = Vec::with_capacity(PAGE_ROWS);
    let mut copied = 0u64;
    let mut rows = snapshot.rows(table);
    while let Some(row) = rows.next().await {
        let row = row?;
        fingerprint.add(&row);
        page.push(row);
        if page.len() == PAGE_ROWS {
            filling.write_rows(table, &page).await?;
            copied += page.len() as u64;
            page.clear();
            progress(table.name, copied);
        }
    }
    if !page.is_empty() {
        filling.write_rows(table, &page).await?;
        copied += page.len() as u64;
    }
    progress(table.name, copied);
    Ok(fingerprint.finish())
}
