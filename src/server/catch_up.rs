//! Catching up from a system's event list (see [`CatchUp`]) on start and periodically, so that
//! events sent while ferry was down (or lost on the way) still reach the inbox. The system keeps
//! its events for a while only; a gap nearing that is warned about.

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;

use super::App;
use super::receive::inbox_event;
use crate::connectors::PollOptions;
use crate::connectors::webhook::CatchUp;
use crate::store::LastEvent;

/// Catches `connection` up from `list` every `every` until `stop`.
pub async fn run(
    app: Arc<App>,
    connection: String,
    list: &'static CatchUp,
    every: Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let started = Timestamp::now();
    let stream = list.stream;
    loop {
        match catch_up(&app, &connection, list, started).await {
            Ok(0) => {}
            Ok(count) => {
                tracing::info!(connection = %connection, count, "caught up from the event list `{stream}`")
            }
            Err(error) => {
                tracing::warn!(connection = %connection, "catching up from the event list `{stream}` failed: {error}; trying again later")
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.changed() => return,
        }
    }
}

/// Why a catch-up stopped; it is tried again at the next interval.
#[derive(Debug, thiserror::Error)]
pub enum CatchUpError {
    #[error("the store: {0}")]
    Store(#[from] crate::store::StoreError),
    #[error("reading the event list: {0}")]
    Source(#[from] crate::connectors::ConnectorError),
}

/// Puts every event since the last one seen into the inbox; returns how many were new.
pub async fn catch_up(
    app: &App,
    connection: &str,
    list: &CatchUp,
    started: Timestamp,
) -> Result<usize, CatchUpError> {
    let (Some(source), Some(webhooks)) = (
        app.runner.connector_named(connection),
        app.webhooks(connection),
    ) else {
        return Ok(0);
    };
    let last = app.store.last_event(connection).await?;
    let mut cursor = last
        .as_ref()
        .map(|l| format!("{}@{}", l.event_id, l.created));
    if let Some(last) = &last {
        let gap_days = (Timestamp::now().as_second() - last.created) / 86_400;
        if gap_days >= list.warn_days {
            let retention = list.retention_days;
            tracing::warn!(
                connection,
                gap_days,
                "the last event seen is {gap_days} days old; the system keeps events for {retention} days, so older ones can no longer be caught up"
            );
        }
    }
    let options = PollOptions {
        event_types: app.event_types(connection, list.stream),
        backfill: false,
        // A first start does not replay the account's history: from a few minutes before now.
        since: Some(
            started
                .checked_sub(Duration::from_secs(300))
                .unwrap_or(started),
        ),
        page_size: 100,
        history: false,
    };
    let mut added = 0;
    loop {
        let page = source
            .poll(list.stream, cursor.as_deref(), &options)
            .await?;
        let mut newest: Option<LastEvent> = None;
        for record in &page.records {
            let Some(event) = (list.event_of)(record) else {
                continue;
            };
            let event = inbox_event(connection, webhooks, event);
            newest = Some(LastEvent {
                event_id: event.event_id.clone(),
                created: event.created,
            });
            if !app.handles(connection, &event.event_type) {
                continue;
            }
            if app.store.inbox_put(&event).await? == crate::store::InboxPut::Inserted {
                added += 1;
            }
        }
        if let Some(newest) = newest {
            app.store.set_last_event(connection, &newest).await?;
        }
        if page.cursor.is_some() {
            cursor = page.cursor;
        }
        if added > 0 {
            app.wake_workers();
        }
        if !page.more {
            return Ok(added);
        }
    }
}
