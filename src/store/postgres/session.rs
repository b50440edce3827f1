//! [`Statements`] on a PostgreSQL connection: a pooled one, or a transaction's.

use std::ops::DerefMut;

use sqlx::postgres::PgConnection;

use super::{
    activity, alert, audit, cross_reference, cursor, dead_letter, finished, idempotency, inbox,
    last_event, lease, millis, object_version, reconcile_report, record_seen, scan,
};
use crate::store::backend::{Answer, Transaction};

/// A connection (`C`: pooled, or a transaction). PostgreSQL lets writers run side by side,
/// so there is no turn to hold.
pub(super) struct Session<C> {
    pub(super) connection: C,
}

impl Transaction for Session<sqlx::Transaction<'static, sqlx::Postgres>> {
    fn commit(self: Box<Self>) -> Answer<'static, ()> {
        Box::pin(async move { Ok(self.connection.commit().await?) })
    }

    fn rollback(self: Box<Self>) -> Answer<'static, ()> {
        Box::pin(async move { Ok(self.connection.rollback().await?) })
    }
}

impl<C> Session<C>
where
    C: DerefMut<Target = PgConnection> + Send,
{
    fn conn(&mut self) -> &mut PgConnection {
        &mut self.connection
    }
}

crate::store::backend::statements_on_families!(Session, PgConnection);
