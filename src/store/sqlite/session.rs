//! [`Statements`] on a SQLite connection: a pooled one, or a transaction's, with the writers'
//! turn held while it writes.

use std::ops::DerefMut;

use sqlx::sqlite::SqliteConnection;
use tokio::sync::OwnedMutexGuard;

use super::{
    activity, alert, audit, cross_reference, cursor, dead_letter, finished, idempotency, inbox,
    last_event, lease, millis, object_version, reconcile_report, record_seen, scan,
};
use crate::store::backend::{Answer, Transaction};

/// A connection (`C`: pooled, or a transaction) and, for one that writes, the writers' turn.
/// The connection is declared first so it is given back before the turn is.
pub(super) struct Session<C> {
    pub(super) connection: C,
    pub(super) turn: Option<OwnedMutexGuard<()>>,
}

impl Transaction for Session<sqlx::Transaction<'static, sqlx::Sqlite>> {
    fn commit(self: Box<Self>) -> Answer<'static, ()> {
        Box::pin(async move {
            let Session { connection, turn } = *self;
            connection.commit().await?;
            drop(turn);
            Ok(())
        })
    }

    fn rollback(self: Box<Self>) -> Answer<'static, ()> {
        Box::pin(async move {
            let Session { connection, turn } = *self;
            connection.rollback().await?;
            drop(turn);
            Ok(())
        })
    }
}

impl<C> Session<C>
where
    C: DerefMut<Target = SqliteConnection> + Send,
{
    fn conn(&mut self) -> &mut SqliteConnection {
        &mut self.connection
    }
}

crate::store::backend::statements_on_families!(Session, SqliteConnection);
