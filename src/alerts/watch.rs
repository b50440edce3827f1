//! What `ferry serve` watches for, every few seconds: new dead letters (digested per pipeline),
//! events waiting too long (a stalled pipeline), and a store that cannot be read. `ferry run`
//! digests the dead letters of its run with [`dead_letters`] when it ends.

use std::collections::HashMap;
use std::time::Duration;

use jiff::Timestamp;

use super::{Alert, Alerts, Trigger};
use crate::project::format_duration;
use crate::store::{DeadLetter, DeadLetterFilter, Store};

/// How many letters a digest quotes; it counts them all.
const QUOTED: usize = 5;

/// How long a store outage stays one story: one alert per this while it lasts.
const STORE_QUIET: Duration = Duration::from_secs(15 * 60);

/// Watches until `stop`, checking every `every`.
pub async fn run(
    alerts: Alerts,
    store: Store,
    every: Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let Some(triggers) = alerts.triggers().cloned() else {
        return;
    };
    let mut digested = Digested::since(Timestamp::now());
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.changed() => return,
        }
        let stats = match store.inbox_stats().await {
            Ok(stats) => stats,
            Err(error) => {
                if triggers.store_unavailable {
                    alerts.raise(Alert {
                        trigger: Trigger::StoreUnavailable,
                        key: "store_unavailable".into(),
                        subject: "the store cannot be read".into(),
                        body: format!(
                            "ferry cannot read its store: {error}. Webhooks are refused with 503 until it is back (their senders retry), and no record is processed meanwhile."
                        ),
                        quiet: STORE_QUIET,
                    });
                }
                continue;
            }
        };
        if let (Some(after), Some(oldest)) = (triggers.stalled, stats.oldest_pending_received_at) {
            let waited = Timestamp::now().duration_since(oldest).unsigned_abs();
            if waited >= after {
                alerts.raise(stalled(waited, stats.pending));
            }
        }
        if let Some(window) = triggers.dead_letters
            && let Err(error) = dead_letters(&alerts, &store, &mut digested, window, None).await
        {
            tracing::warn!("cannot read the dead letters for alerts: {error}");
        }
    }
}

fn stalled(waited: Duration, pending: u64) -> Alert {
    // Whole minutes: the alert is about a wait of many of them.
    let waited = format_duration(Duration::from_secs(waited.as_secs().max(60) / 60 * 60));
    let events = if pending == 1 {
        "1 event has".to_string()
    } else {
        format!("{pending} events have")
    };
    Alert {
        trigger: Trigger::Stalled,
        key: "stalled/inbox".into(),
        subject: format!("{events} waited up to {waited}"),
        body: format!(
            "The oldest event waiting in the inbox ({pending} in all) was received {waited} ago and has not been processed. The workers may be stuck behind a failing target, or stopped; see /readyz and the log."
        ),
        quiet: Duration::from_secs(30 * 60),
    }
}

/// Where each pipeline's last digest ended.
pub struct Digested {
    start: Timestamp,
    until: HashMap<String, Timestamp>,
}

impl Digested {
    /// Digests letters that failed after `start`.
    pub fn since(start: Timestamp) -> Self {
        Digested {
            start,
            until: HashMap::new(),
        }
    }

    fn of(&self, pipeline: &str) -> Timestamp {
        self.until.get(pipeline).copied().unwrap_or(self.start)
    }
}

/// Raises one digest per pipeline (of `only`, if given) for the letters that failed since its
/// last digest, unless a digest of that pipeline went out less than `window` ago: those letters
/// wait for the next one.
pub async fn dead_letters(
    alerts: &Alerts,
    store: &Store,
    digested: &mut Digested,
    window: Duration,
    only: Option<&[String]>,
) -> Result<(), crate::store::StoreError> {
    let earliest = digested
        .until
        .values()
        .copied()
        .chain([digested.start])
        .min()
        .unwrap_or(digested.start);
    let letters = store
        .dead_letters(&DeadLetterFilter {
            failed_after: Some(earliest),
            ..DeadLetterFilter::default()
        })
        .await?;
    let mut by_pipeline: HashMap<&str, Vec<&DeadLetter>> = HashMap::new();
    for letter in &letters {
        if only.is_some_and(|only| !only.contains(&letter.pipeline)) {
            continue;
        }
        if letter.last_seen > digested.of(&letter.pipeline) {
            by_pipeline
                .entry(&letter.pipeline)
                .or_default()
                .push(letter);
        }
    }
    let mut pipelines: Vec<&str> = by_pipeline.keys().copied().collect();
    pipelines.sort_unstable();
    for pipeline in pipelines {
        let letters = &by_pipeline[pipeline];
        let key = format!("dead_letters/{pipeline}");
        if let Some(last) = store.last_alert_sent(&key).await?
            && Timestamp::now().duration_since(last).unsigned_abs() < window
        {
            continue;
        }
        alerts.raise(digest(pipeline, letters, &key, window));
        if let Some(newest) = letters.iter().map(|l| l.last_seen).max() {
            digested.until.insert(pipeline.to_string(), newest);
        }
    }
    Ok(())
}

fn digest(pipeline: &str, letters: &[&DeadLetter], key: &str, window: Duration) -> Alert {
    let count = letters.len();
    let records = if count == 1 { "record" } else { "records" };
    let mut body = format!(
        "{count} {records} of pipeline `{pipeline}` failed and wait in the dead-letter queue. Fix the cause, then `ferry dlq replay --all --pipeline {pipeline}`; `ferry dlq discard ID --reason ...` closes one that needs no delivery.\n"
    );
    for letter in letters.iter().take(QUOTED) {
        let reason = letter.error_message.lines().next().unwrap_or_default();
        body.push_str(&format!(
            "\n- {} (letter {}): {}: {reason}",
            letter.source_id, letter.id, letter.error_code
        ));
    }
    if count > QUOTED {
        body.push_str(&format!("\n- and {} more", count - QUOTED));
    }
    Alert {
        trigger: Trigger::DeadLetters,
        key: key.to_string(),
        subject: format!("{count} {records} of {pipeline} dead-lettered"),
        body,
        quiet: window,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn letter(id: i64, message: &str) -> DeadLetter {
        DeadLetter {
            id,
            pipeline: "sync".into(),
            source_id: format!("src{id}"),
            record_json: "{}".into(),
            error_code: "E0700".into(),
            error_message: message.into(),
            attempts: 1,
            first_seen: Timestamp::UNIX_EPOCH,
            last_seen: Timestamp::UNIX_EPOCH,
            resolved_at: None,
            resolution: None,
            resolution_note: None,
        }
    }

    #[test]
    fn a_digest_counts_every_letter_and_quotes_the_first_few() {
        let letters: Vec<DeadLetter> = (1..=7)
            .map(|n| letter(n, &format!("reason {n}\nsecond line")))
            .collect();
        let refs: Vec<&DeadLetter> = letters.iter().collect();
        let alert = digest("sync", &refs, "dead_letters/sync", Duration::from_secs(900));
        assert_eq!(alert.subject, "7 records of sync dead-lettered");
        assert!(alert.body.contains("- src1 (letter 1): E0700: reason 1"));
        assert!(alert.body.contains("- src5 (letter 5)"));
        assert!(!alert.body.contains("src6"));
        assert!(alert.body.contains("- and 2 more"));
        assert!(!alert.body.contains("second line"));
    }
}
