//! Stalls of `ferry run --watch`: a pipeline whose passes keep failing to read its source, whose
//! stored cursor lags the source's newer records, or whose pass in progress has read no page and
//! stored no batch, for longer than the `stalled` trigger's `after`. One alert per pipeline
//! (`stalled/<pipeline>`) per quiet time while it lasts.
//!
//! The lag is the age of the source's changes that the stored cursor has read up to, counted
//! only while the source has records past it (the last pass read some and stopped before it
//! delivered them); a cursor whose connector cannot tell its time has no lag.
//!
//! [`StallWatch`] raises the stalls as they fall due, with a timer beside each pass as well as
//! between passes: a pass that hangs (an API that accepts the connection and never answers)
//! is a stall while it hangs, not only once it ends.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use super::{Alert, Alerts, Trigger};
use crate::project::format_duration;
use crate::store::Store;

/// How long one stall stays one story: one alert per this while it lasts.
const QUIET: Duration = Duration::from_secs(30 * 60);

/// What one pass of a pipeline saw of its source.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Pass {
    /// A page of the source was read.
    pub polled: bool,
    /// A page read had records or said there were more.
    pub more: bool,
    /// Why the pass stopped before the end of its source.
    pub error: Option<String>,
}

/// Why a pipeline is stalled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stall {
    /// No pass has read the source since `since` (the last that did, or the watch's start).
    NotPolled {
        since: Timestamp,
        error: Option<String>,
    },
    /// A pass in progress has read no page and stored no batch since `since` (its start, or
    /// its last page or batch).
    Hung { since: Timestamp },
    /// The stored cursor stands at the source's changes of `cursor_at`, and the source has
    /// records past it.
    Lagging {
        cursor_at: Timestamp,
        error: Option<String>,
    },
}

/// The stall watch of each pipeline of a `ferry run --watch`.
pub struct Stalls {
    after: Duration,
    pipelines: HashMap<String, Watched>,
}

struct Watched {
    /// When a pass last read the source (at first, when the watch began).
    last_polled: Timestamp,
    /// Whether the latest pass read the source.
    polled: bool,
    /// Whether the source had records past the stored cursor when it was last read.
    behind: bool,
    cursor_at: Option<Timestamp>,
    error: Option<String>,
    /// While a pass runs: when it began, or last read a page or stored a batch.
    in_pass: Option<Timestamp>,
    /// When this stall was last raised; cleared by a healthy pass.
    raised_at: Option<Timestamp>,
}

impl Stalls {
    /// Watches `pipelines` from `start` for stalls longer than `after`.
    pub fn new(after: Duration, pipelines: &[String], start: Timestamp) -> Stalls {
        let pipelines = pipelines
            .iter()
            .map(|name| {
                let watched = Watched {
                    last_polled: start,
                    polled: true,
                    behind: false,
                    cursor_at: None,
                    error: None,
                    in_pass: None,
                    raised_at: None,
                };
                (name.clone(), watched)
            })
            .collect();
        Stalls { after, pipelines }
    }

    /// Notes that a pass of `pipeline` began `at`.
    pub fn began(&mut self, pipeline: &str, at: Timestamp) {
        if let Some(watched) = self.pipelines.get_mut(pipeline) {
            watched.in_pass = Some(at);
        }
    }

    /// Notes that the pass of `pipeline` in progress read a page or stored a batch `at`.
    pub fn progressed(&mut self, pipeline: &str, at: Timestamp) {
        if let Some(watched) = self.pipelines.get_mut(pipeline) {
            watched.in_pass = Some(at);
            watched.polled = true;
            watched.last_polled = at;
        }
    }

    /// Notes a pass of `pipeline` that ended `at`; `cursor_at` is the time of its stored cursor
    /// after the pass, when the connector can tell.
    pub fn passed(
        &mut self,
        pipeline: &str,
        pass: Pass,
        cursor_at: Option<Timestamp>,
        at: Timestamp,
    ) {
        let Some(watched) = self.pipelines.get_mut(pipeline) else {
            return;
        };
        watched.in_pass = None;
        watched.polled = pass.polled;
        if pass.polled {
            watched.last_polled = at;
            // A pass that ended well read its source to the end.
            watched.behind = pass.error.is_some() && pass.more;
        }
        watched.cursor_at = cursor_at;
        watched.error = pass.error;
        if watched.polled && !watched.behind {
            watched.raised_at = None;
        }
    }

    /// When the next stall is due if nothing changes: what a watch waiting for its next pass
    /// wakes up for.
    pub fn next_due(&self) -> Option<Timestamp> {
        self.pipelines
            .values()
            .filter_map(|watched| watched.due(self.after))
            .min()
    }

    /// The pipelines stalled at `now` that are due an alert, sorted by name; they are not due
    /// again for the quiet time.
    pub fn take_due(&mut self, now: Timestamp) -> Vec<(String, Stall)> {
        let mut due = Vec::new();
        for (name, watched) in &mut self.pipelines {
            if watched.due(self.after).is_some_and(|at| at <= now)
                && let Some(stall) = watched.stall(self.after, now)
            {
                watched.raised_at = Some(now);
                due.push((name.clone(), stall));
            }
        }
        due.sort_by(|a, b| a.0.cmp(&b.0));
        due
    }
}

impl Watched {
    /// When the stall begins (or, once raised, when it is due again).
    fn due(&self, after: Duration) -> Option<Timestamp> {
        // A time past the end of time (an `after` of centuries) never comes.
        let later = |at: Timestamp, by: Duration| {
            SignedDuration::try_from(by)
                .ok()
                .and_then(|by| at.checked_add(by).ok())
        };
        let not_polled = (!self.polled)
            .then(|| later(self.last_polled, after))
            .flatten();
        let hung = self.in_pass.and_then(|since| later(since, after));
        let lagging = self
            .cursor_at
            .filter(|_| self.behind)
            .and_then(|cursor_at| later(cursor_at, after));
        let begins = [not_polled, hung, lagging].into_iter().flatten().min()?;
        match self.raised_at {
            Some(raised) => Some(begins.max(later(raised, QUIET)?)),
            None => Some(begins),
        }
    }

    fn stall(&self, after: Duration, now: Timestamp) -> Option<Stall> {
        let waited = |since: Timestamp| now.duration_since(since).unsigned_abs() >= after;
        if !self.polled && waited(self.last_polled) {
            return Some(Stall::NotPolled {
                since: self.last_polled,
                error: self.error.clone(),
            });
        }
        if let Some(since) = self.in_pass.filter(|&since| waited(since)) {
            return Some(Stall::Hung { since });
        }
        match self.cursor_at {
            Some(cursor_at) if self.behind && waited(cursor_at) => Some(Stall::Lagging {
                cursor_at,
                error: self.error.clone(),
            }),
            _ => None,
        }
    }
}

/// [`Stalls`] shared by a watch's loop and the timer that runs beside its passes and its
/// pauses, raising each stall as it falls due. Cheap to clone.
#[derive(Clone)]
pub struct StallWatch {
    stalls: Arc<Mutex<Stalls>>,
    alerts: Alerts,
    store: Store,
}

impl StallWatch {
    /// Raises the stalls of `stalls` through `alerts`; `store` keeps when each was last sent.
    pub fn new(stalls: Stalls, alerts: Alerts, store: Store) -> StallWatch {
        StallWatch {
            stalls: Arc::new(Mutex::new(stalls)),
            alerts,
            store,
        }
    }

    fn stalls(&self) -> MutexGuard<'_, Stalls> {
        self.stalls
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `pass`, a pass of `pipeline`, raising the stalls that fall due meanwhile: among them
    /// this pass's own, once it has read no page and stored no batch for the stall time (see
    /// [`StallWatch::progressed`]).
    pub async fn pass<T>(&self, pipeline: &str, pass: impl Future<Output = T>) -> T {
        self.stalls().began(pipeline, Timestamp::now());
        self.beside(pass).await
    }

    /// Notes that the pass of `pipeline` in progress read a page or stored a batch.
    pub fn progressed(&self, pipeline: &str) {
        self.stalls().progressed(pipeline, Timestamp::now());
    }

    /// Notes a pass of `pipeline` that ended now; see [`Stalls::passed`].
    pub fn passed(&self, pipeline: &str, pass: Pass, cursor_at: Option<Timestamp>) {
        self.stalls()
            .passed(pipeline, pass, cursor_at, Timestamp::now());
    }

    /// Runs `work` (a pass, or the pause before the next), raising the stalls that fall due
    /// while it runs.
    pub async fn beside<T>(&self, work: impl Future<Output = T>) -> T {
        let mut work = std::pin::pin!(work);
        loop {
            self.raise_due().await;
            let due = self.stalls().next_due();
            let wake = async move {
                match due {
                    // A stall due already: at once.
                    Some(at) => {
                        let wait = Timestamp::now().duration_until(at);
                        tokio::time::sleep(Duration::try_from(wait).unwrap_or_default()).await
                    }
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                output = &mut work => return output,
                _ = wake => {}
            }
        }
    }

    /// Raises the stalls due now (see [`Stalls::take_due`]).
    async fn raise_due(&self) {
        let now = Timestamp::now();
        let due = self.stalls().take_due(now);
        for (pipeline, stall) in due {
            raise(&self.alerts, &self.store, &pipeline, &stall, now).await;
        }
    }
}

/// Raises `stall` of `pipeline`, unless an alert of it went out less than the quiet time ago
/// (also from an earlier process: the store keeps the alerts sent).
async fn raise(alerts: &Alerts, store: &Store, pipeline: &str, stall: &Stall, now: Timestamp) {
    let key = format!("stalled/{pipeline}");
    match store.last_alert_sent(&key).await {
        Ok(Some(last)) if now.duration_since(last).unsigned_abs() < QUIET => return,
        Ok(_) => {}
        Err(error) => tracing::warn!("cannot read the alerts sent: {error}"),
    }
    alerts.raise(alert(pipeline, key, stall, now));
}

fn alert(pipeline: &str, key: String, stall: &Stall, now: Timestamp) -> Alert {
    let age = |since: Timestamp| whole(now.duration_since(since).unsigned_abs());
    let (subject, body) = match stall {
        Stall::NotPolled { since, error } => (
            format!("{pipeline} has not read its source for {}", age(*since)),
            format!(
                "`ferry run --watch` has not read the source of pipeline `{pipeline}` for {} (since {}){}. Nothing is delivered meanwhile; its cursor stays where it was, so it resumes from there once the source answers. Check the connection's credentials and the API's status.",
                age(*since),
                since.strftime("%Y-%m-%d %H:%M:%S UTC"),
                reason(error)
            ),
        ),
        Stall::Hung { since } => (
            format!("{pipeline}'s pass has made no progress for {}", age(*since)),
            format!(
                "A pass of pipeline `{pipeline}` has read no page of its source and stored no batch for {} (since {}), and has not ended. It may be waiting on an API that accepts requests and does not answer: each request gives up after its connection's `timeout` (60 s unless ferry.yaml sets one) and is retried. Its cursor stays at its last stored batch; see the log.",
                age(*since),
                since.strftime("%Y-%m-%d %H:%M:%S UTC")
            ),
        ),
        Stall::Lagging { cursor_at, error } => (
            format!("{pipeline} lags its source by {}", age(*cursor_at)),
            format!(
                "Pipeline `{pipeline}` has delivered its source's changes up to {} ({} ago), and the source has newer records that its passes read but do not deliver{}. Its cursor does not move until they are delivered; see the log.",
                cursor_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
                age(*cursor_at),
                reason(error)
            ),
        ),
    };
    Alert {
        trigger: Trigger::Stalled,
        key,
        subject,
        body,
        quiet: QUIET,
    }
}

fn reason(error: &Option<String>) -> String {
    match error {
        Some(error) => format!(": {error}"),
        None => String::new(),
    }
}

/// Whole seconds under a minute, else whole minutes (a stall is about a wait of many).
fn whole(waited: Duration) -> String {
    let secs = waited.as_secs().max(1);
    match secs < 60 {
        true => format_duration(Duration::from_secs(secs)),
        false => format_duration(Duration::from_secs(secs / 60 * 60)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + seconds).unwrap()
    }

    fn stalls() -> Stalls {
        Stalls::new(Duration::from_secs(60), &["sync".to_string()], at(0))
    }

    fn read_to_the_end() -> Pass {
        Pass {
            polled: true,
            more: true,
            error: None,
        }
    }

    fn failed(polled: bool, more: bool) -> Pass {
        Pass {
            polled,
            more,
            error: Some("down".into()),
        }
    }

    #[test]
    fn failing_polls_stall_after_the_time_and_once_per_quiet_time() {
        let mut stalls = stalls();
        assert_eq!(stalls.next_due(), None, "a watch that has not failed");
        stalls.passed("sync", failed(false, false), None, at(5));
        assert_eq!(stalls.next_due(), Some(at(60)));
        assert!(stalls.take_due(at(59)).is_empty());
        let due = stalls.take_due(at(61));
        assert_eq!(
            due,
            [(
                "sync".to_string(),
                Stall::NotPolled {
                    since: at(0),
                    error: Some("down".into())
                }
            )]
        );
        assert!(stalls.take_due(at(120)).is_empty(), "quiet");
        assert_eq!(stalls.next_due(), Some(at(61 + 1800)));
        // A pass that reads its source ends the story.
        stalls.passed("sync", read_to_the_end(), None, at(130));
        assert_eq!(stalls.next_due(), None);
    }

    #[test]
    fn a_cursor_lags_only_while_the_source_has_more() {
        let mut stalls = stalls();
        // Read, then stopped by a target: the source is ahead of the cursor of at(-100).
        stalls.passed("sync", failed(true, true), Some(at(-100)), at(10));
        let due = stalls.take_due(at(10));
        assert_eq!(
            due,
            [(
                "sync".to_string(),
                Stall::Lagging {
                    cursor_at: at(-100),
                    error: Some("down".into())
                }
            )]
        );
        let mut stalls = self::stalls();
        // Read to the end: an old cursor is where the source's newest change is.
        stalls.passed("sync", read_to_the_end(), Some(at(-100)), at(10));
        assert!(stalls.take_due(at(10)).is_empty());
        // A cursor without a time cannot lag.
        stalls.passed("sync", failed(true, true), None, at(20));
        assert!(stalls.take_due(at(2000)).is_empty());
    }

    #[test]
    fn a_pass_without_progress_stalls_while_it_runs() {
        let mut stalls = stalls();
        stalls.began("sync", at(0));
        assert_eq!(stalls.next_due(), Some(at(60)));
        // Pages read keep a long pass from stalling.
        stalls.progressed("sync", at(50));
        assert!(stalls.take_due(at(100)).is_empty());
        assert_eq!(
            stalls.take_due(at(111)),
            [("sync".to_string(), Stall::Hung { since: at(50) })]
        );
        assert!(stalls.take_due(at(200)).is_empty(), "quiet");
        // The pass ends well: the story ends.
        stalls.passed("sync", read_to_the_end(), None, at(300));
        assert_eq!(stalls.next_due(), None);
        // A pass that ends before the stall time raises nothing.
        stalls.began("sync", at(400));
        stalls.passed("sync", read_to_the_end(), None, at(459));
        assert!(stalls.take_due(at(1000)).is_empty());
    }

    #[test]
    fn the_alert_names_the_pipeline_and_the_reason() {
        let stall = Stall::NotPolled {
            since: at(0),
            error: Some("capsule: connection refused".into()),
        };
        let not_polled = alert("sync", "stalled/sync".into(), &stall, at(150));
        assert_eq!(not_polled.subject, "sync has not read its source for 2m");
        assert!(not_polled.body.contains(": capsule: connection refused."));
        let lag = Stall::Lagging {
            cursor_at: at(0),
            error: None,
        };
        let lagging = alert("sync", "stalled/sync".into(), &lag, at(42));
        assert_eq!(lagging.subject, "sync lags its source by 42s");
        let hung = Stall::Hung { since: at(0) };
        let hung = alert("sync", "stalled/sync".into(), &hung, at(185));
        assert_eq!(hung.subject, "sync's pass has made no progress for 3m");
        assert!(
            hung.body.contains("(since 2027-01-15 08:00:00 UTC)"),
            "{}",
            hung.body
        );
    }
}
