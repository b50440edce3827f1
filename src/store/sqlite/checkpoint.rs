//! WAL checkpoints off the writers' path.
//!
//! By default SQLite checkpoints inside the commit that takes the WAL past 1,000 pages: that
//! commit copies the pages into the database file and flushes it before it returns, so every
//! acknowledgement queued behind it waits too. Here the pool's connections checkpoint only as a
//! last resort ([`LAST_RESORT_PAGES`]) and a task checkpoints passively every
//! [`INTERVAL`] on one of the pool's connections. A passive checkpoint never holds the write lock, so
//! writers go on appending to the WAL meanwhile.

use std::time::Duration;

use sqlx::sqlite::SqlitePool;
use tokio::sync::mpsc;

/// How often the background task checkpoints.
const INTERVAL: Duration = Duration::from_millis(250);
/// The WAL's size in pages (4 KiB each) past which a commit checkpoints on its own, in case the
/// task cannot keep up or has stopped.
pub(super) const LAST_RESORT_PAGES: u32 = 16_384;

/// Keeps the checkpoint task running while any clone of it lives.
#[derive(Clone)]
pub struct Checkpoints {
    _alive: mpsc::Sender<()>,
}

impl Checkpoints {
    /// Starts checkpointing `pool`'s database in the background.
    pub fn start(pool: SqlitePool) -> Checkpoints {
        let (alive, stopped) = mpsc::channel(1);
        tokio::spawn(checkpoint_until_stopped(pool, stopped));
        Checkpoints { _alive: alive }
    }
}

async fn checkpoint_until_stopped(pool: SqlitePool, mut stopped: mpsc::Receiver<()>) {
    let mut ticks = tokio::time::interval(INTERVAL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stopped.recv() => return,
            _ = ticks.tick() => {}
        }
        if pool.is_closed() {
            return;
        }
        // A failed checkpoint loses nothing (the WAL keeps every commit); the next tick or a
        // last-resort checkpoint in a commit tries again.
        if let Err(error) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&pool)
            .await
        {
            tracing::debug!(%error, "WAL checkpoint failed");
        }
    }
}
