//! Statements whose SQL every backend understands (`$1`-numbered parameters, plain upserts),
//! written once. A backend's connection runs them through [`Sql`]; each backend's folder keeps
//! only what its database says differently (multi-row writes, the inbox claim, counts), and
//! re-exports these families under its own module names, so that `statements_on_families!`
//! finds them beside its own.

pub(super) mod activity;
pub(super) mod alert;
pub(super) mod audit;
pub(super) mod cross_reference;
pub(super) mod cursor;
pub(super) mod dead_letter;
pub(super) mod idempotency;
pub(super) mod inbox;
pub(super) mod last_event;
pub(super) mod lease;
pub(super) mod object_version;
pub(super) mod reconcile_report;
pub(super) mod record_seen;

use futures_util::future::BoxFuture;
use sqlx::SqlSafeStr;

use super::StoreError;
use super::rows::StoreRow;

/// A statement's parameter: the store binds only text, integers and booleans.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Param<'a> {
    Text(&'a str),
    OptionalText(Option<&'a str>),
    Integer(i64),
    OptionalInteger(Option<i64>),
    Bool(bool),
}

/// A row of an answer, whichever backend gave it.
pub(crate) type Row = Box<dyn StoreRow + Send>;

/// A backend's connection, running a statement with its parameters in order.
pub(crate) trait Sql: Send {
    /// How many rows the statement changed.
    fn execute<'a>(
        &'a mut self,
        sql: impl SqlSafeStr + Send + 'a,
        params: &'a [Param<'a>],
    ) -> BoxFuture<'a, Result<u64, StoreError>>;

    fn fetch_all<'a>(
        &'a mut self,
        sql: impl SqlSafeStr + Send + 'a,
        params: &'a [Param<'a>],
    ) -> BoxFuture<'a, Result<Vec<Row>, StoreError>>;

    fn fetch_optional<'a>(
        &'a mut self,
        sql: impl SqlSafeStr + Send + 'a,
        params: &'a [Param<'a>],
    ) -> BoxFuture<'a, Result<Option<Row>, StoreError>>;

    /// The statement's one row (an `INSERT ... RETURNING`, an aggregate).
    fn fetch_one<'a>(
        &'a mut self,
        sql: impl SqlSafeStr + Send + 'a,
        params: &'a [Param<'a>],
    ) -> BoxFuture<'a, Result<Row, StoreError>> {
        Box::pin(async move {
            self.fetch_optional(sql, params)
                .await?
                .ok_or(StoreError::Database(sqlx::Error::RowNotFound))
        })
    }
}

/// Implements [`Sql`] for a backend's connection type (`$database`: its sqlx database).
macro_rules! sql_on {
    ($connection:ty, $database:ty) => {
        impl $crate::store::portable::Sql for $connection {
            fn execute<'a>(
                &'a mut self,
                sql: impl sqlx::SqlSafeStr + Send + 'a,
                params: &'a [$crate::store::portable::Param<'a>],
            ) -> futures_util::future::BoxFuture<'a, Result<u64, $crate::store::StoreError>> {
                Box::pin(async move {
                    let query =
                        $crate::store::portable::bound!(sqlx::query::<$database>(sql), params);
                    Ok(query.execute(self).await?.rows_affected())
                })
            }

            fn fetch_all<'a>(
                &'a mut self,
                sql: impl sqlx::SqlSafeStr + Send + 'a,
                params: &'a [$crate::store::portable::Param<'a>],
            ) -> futures_util::future::BoxFuture<
                'a,
                Result<Vec<$crate::store::portable::Row>, $crate::store::StoreError>,
            > {
                Box::pin(async move {
                    let query =
                        $crate::store::portable::bound!(sqlx::query::<$database>(sql), params);
                    let rows = query.fetch_all(self).await?;
                    Ok(rows
                        .into_iter()
                        .map(|row| Box::new(row) as $crate::store::portable::Row)
                        .collect())
                })
            }

            fn fetch_optional<'a>(
                &'a mut self,
                sql: impl sqlx::SqlSafeStr + Send + 'a,
                params: &'a [$crate::store::portable::Param<'a>],
            ) -> futures_util::future::BoxFuture<
                'a,
                Result<Option<$crate::store::portable::Row>, $crate::store::StoreError>,
            > {
                Box::pin(async move {
                    let query =
                        $crate::store::portable::bound!(sqlx::query::<$database>(sql), params);
                    let row = query.fetch_optional(self).await?;
                    Ok(row.map(|row| Box::new(row) as $crate::store::portable::Row))
                })
            }
        }
    };
}
pub(super) use sql_on;

/// `$query` with `$params` bound in order.
macro_rules! bound {
    ($query:expr, $params:expr) => {{
        let mut query = $query;
        for param in $params {
            query = match *param {
                $crate::store::portable::Param::Text(value) => query.bind(value),
                $crate::store::portable::Param::OptionalText(value) => query.bind(value),
                $crate::store::portable::Param::Integer(value) => query.bind(value),
                $crate::store::portable::Param::OptionalInteger(value) => query.bind(value),
                $crate::store::portable::Param::Bool(value) => query.bind(value),
            };
        }
        query
    }};
}
pub(super) use bound;
