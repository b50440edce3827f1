//! Alerts: telling someone when they need to step in, through the channels of `ferry.yaml`'s
//! `alerts:` section (a webhook, e-mail).
//!
//! Raising an alert never blocks or fails the work that raised it: [`Alerts::raise`] hands it
//! to a task of its own, which drops a repeat of the same alert within its quiet time, sends it
//! to every channel with retries, redacts secrets from everything it sends, stores, or logs,
//! keeps it in the store's alert history, and counts what it sent, failed and dropped in
//! `/metrics`. [`watch`] raises the alerts `ferry serve` watches for, [`stall`] the stalls of
//! `ferry run --watch`.

mod channel;
pub mod stall;
pub mod watch;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use tokio::sync::{mpsc, oneshot};

pub use channel::ChannelError;

use crate::project::{ResolvedAlerts, ResolvedChannel, Secret, Triggers, redact};
use crate::store::{AlertRecord, Store};

/// The metrics alerts keep.
pub mod metric {
    /// Alerts that reached a channel, by channel and trigger.
    pub const SENT: &str = "ferry_alerts_sent_total";
    /// Alerts a channel did not take after every retry, by channel.
    pub const FAILED: &str = "ferry_alerts_failed_total";
    /// Alerts dropped as repeats within their quiet time, or because the queue was full.
    pub const DROPPED: &str = "ferry_alerts_dropped_total";
}

/// Alerts waiting to be sent at most; beyond it they are dropped (and counted) rather than
/// making the raiser wait.
const QUEUE: usize = 256;

/// Tries per channel, with a pause that doubles from one second.
const TRIES: usize = 4;

/// What raised an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Trigger {
    DeadLetters,
    Failed,
    Stalled,
    SignatureFailures,
    StoreUnavailable,
    Reconcile,
    /// `ferry alerts test`.
    Test,
}

impl Trigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::DeadLetters => "dead_letters",
            Trigger::Failed => "failed",
            Trigger::Stalled => "stalled",
            Trigger::SignatureFailures => "signature_failures",
            Trigger::StoreUnavailable => "store_unavailable",
            Trigger::Reconcile => "reconcile",
            Trigger::Test => "test",
        }
    }
}

/// One message for whoever must step in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    pub trigger: Trigger,
    /// Alerts of one key are one story (`dead_letters/stripe_charges`): a repeat within
    /// `quiet` is dropped.
    pub key: String,
    pub subject: String,
    pub body: String,
    pub quiet: Duration,
}

/// How sending one alert went, per channel.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sent {
    pub delivered: Vec<String>,
    /// Channel and why (secrets redacted).
    pub failed: Vec<(String, String)>,
}

/// The handle that raises alerts; cheap to clone. Without an `alerts:` section it does nothing.
#[derive(Clone)]
pub struct Alerts {
    inner: Option<Arc<Inner>>,
}

struct Inner {
    queue: mpsc::Sender<Request>,
    triggers: Triggers,
    signatures: Mutex<Vec<Instant>>,
}

enum Request {
    Send(Alert),
    /// Answered once every alert raised before it has been handled.
    Flush(oneshot::Sender<()>),
}

impl Alerts {
    /// A handle that raises nothing.
    pub fn off() -> Alerts {
        Alerts { inner: None }
    }

    /// Starts sending `config`'s alerts (none: [`Alerts::off`]). `store` keeps their history;
    /// `secrets` (the environment's and the channels') are redacted from all of it; `project`
    /// names the project in every message.
    pub fn start(
        config: Option<ResolvedAlerts>,
        store: Option<Store>,
        secrets: Vec<Secret>,
        project: String,
    ) -> Alerts {
        let Some(config) = config else {
            return Alerts::off();
        };
        let (queue, requests) = mpsc::channel(QUEUE);
        let triggers = config.triggers.clone();
        let mut secrets = secrets;
        secrets.extend(config.secrets().into_iter().cloned());
        let sender = Sender {
            channels: config.channels,
            store,
            secrets,
            project,
            http: channel::http_client(),
            last_sent: HashMap::new(),
        };
        tokio::spawn(sender.run(requests));
        Alerts {
            inner: Some(Arc::new(Inner {
                queue,
                triggers,
                signatures: Mutex::new(Vec::new()),
            })),
        }
    }

    /// The triggers in force; `None` when alerts are off.
    pub fn triggers(&self) -> Option<&Triggers> {
        self.inner.as_ref().map(|inner| &inner.triggers)
    }

    /// Queues `alert` and returns at once; a full queue drops it (counted and logged).
    pub fn raise(&self, alert: Alert) {
        let Some(inner) = &self.inner else { return };
        if let Err(error) = inner.queue.try_send(Request::Send(alert)) {
            let dropped = match error {
                mpsc::error::TrySendError::Full(Request::Send(alert))
                | mpsc::error::TrySendError::Closed(Request::Send(alert)) => alert.key,
                _ => String::new(),
            };
            metrics::counter!(metric::DROPPED, "reason" => "queue_full").increment(1);
            tracing::warn!(key = %dropped, "an alert was dropped: the alerts' queue is full");
        }
    }

    /// Counts a refused webhook signature; raises an alert when the burst of the
    /// `signature_failures` trigger is reached within its window.
    pub fn signature_refused(&self, connection: &str) {
        let Some(inner) = &self.inner else { return };
        let Some((burst, within)) = inner.triggers.signature_failures else {
            return;
        };
        let now = Instant::now();
        let count = {
            let mut seen = inner.signatures.lock().unwrap_or_else(|e| e.into_inner());
            seen.retain(|at| now.duration_since(*at) < within);
            seen.push(now);
            seen.len()
        };
        if count >= burst as usize {
            self.raise(Alert {
                trigger: Trigger::SignatureFailures,
                key: "signature_failures".into(),
                subject: format!("{count} webhook deliveries refused for their signature"),
                body: format!(
                    "{count} webhook deliveries were refused within {} for a bad or missing signature (the latest on connection `{connection}`). Either the webhook secret in ferry.yaml no longer matches the sender's (rolled without updating ferry), or someone is sending forged events.",
                    crate::project::format_duration(within)
                ),
                quiet: within,
            });
        }
    }

    /// Raises that a run of `pipeline` stopped on `error` (already redacted or not: the sender
    /// redacts it).
    pub fn run_failed(&self, pipeline: &str, error: &str) {
        if !self.triggers().is_some_and(|t| t.failed) {
            return;
        }
        self.raise(Alert {
            trigger: Trigger::Failed,
            key: format!("failed/{pipeline}"),
            subject: format!("a run of {pipeline} stopped"),
            body: format!(
                "A run of pipeline `{pipeline}` stopped: {error}\nIts cursor stays at the last stored page, so the next run resumes from there once the cause is fixed."
            ),
            quiet: Duration::from_secs(15 * 60),
        });
    }

    /// Waits until every alert raised so far has been sent or given up on, for at most
    /// `limit` (a command that ends must not end before its alerts are out).
    pub async fn flush(&self, limit: Duration) {
        let Some(inner) = &self.inner else { return };
        let (done, finished) = oneshot::channel();
        if inner.queue.send(Request::Flush(done)).await.is_ok() {
            let _ = tokio::time::timeout(limit, finished).await;
        }
    }

    /// Sends `alert` to every channel now, without the quiet time, and says how each went
    /// (`ferry alerts test`).
    pub async fn send_now(
        config: &ResolvedAlerts,
        secrets: &[Secret],
        project: &str,
        alert: &Alert,
    ) -> Sent {
        let mut secrets = secrets.to_vec();
        secrets.extend(config.secrets().into_iter().cloned());
        let sender = Sender {
            channels: config.channels.clone(),
            store: None,
            secrets,
            project: project.to_string(),
            http: channel::http_client(),
            last_sent: HashMap::new(),
        };
        sender.deliver(&sender.redacted(alert), 1).await
    }
}

/// The task that sends.
struct Sender {
    channels: Vec<ResolvedChannel>,
    store: Option<Store>,
    secrets: Vec<Secret>,
    project: String,
    http: reqwest::Client,
    /// When each key was last sent, for the quiet time.
    last_sent: HashMap<String, Instant>,
}

impl Sender {
    async fn run(mut self, mut requests: mpsc::Receiver<Request>) {
        while let Some(request) = requests.recv().await {
            match request {
                Request::Send(alert) => self.handle(alert).await,
                Request::Flush(done) => {
                    let _ = done.send(());
                }
            }
        }
    }

    async fn handle(&mut self, alert: Alert) {
        let now = Instant::now();
        if let Some(last) = self.last_sent.get(&alert.key)
            && now.duration_since(*last) < alert.quiet
        {
            metrics::counter!(metric::DROPPED, "reason" => "quiet").increment(1);
            tracing::debug!(key = %alert.key, "an alert repeated within its quiet time was dropped");
            return;
        }
        let alert = self.redacted(&alert);
        let sent = self.deliver(&alert, TRIES).await;
        if !sent.delivered.is_empty() {
            self.last_sent.insert(alert.key.clone(), now);
        }
        if let Some(store) = &self.store {
            let record = AlertRecord {
                trigger: alert.trigger.as_str().to_string(),
                key: alert.key.clone(),
                subject: alert.subject.clone(),
                body: alert.body.clone(),
                at: Timestamp::now(),
                delivered: sent.delivered,
                failed: sent.failed,
            };
            if let Err(error) = store.record_alert(&record).await {
                tracing::warn!(key = %alert.key, "the alert could not be kept in the history: {error}");
            }
        }
    }

    fn redacted(&self, alert: &Alert) -> Alert {
        Alert {
            subject: redact(&alert.subject, &self.secrets),
            body: redact(&alert.body, &self.secrets),
            ..alert.clone()
        }
    }

    /// Sends to every channel, each with up to `tries` tries.
    async fn deliver(&self, alert: &Alert, tries: usize) -> Sent {
        let mut sent = Sent::default();
        for channel in &self.channels {
            let message = channel::Message {
                project: &self.project,
                alert,
            };
            let mut pause = Duration::from_secs(1);
            let mut outcome = Err(ChannelError::NotTried);
            for attempt in 1..=tries.max(1) {
                outcome = channel::send(channel, &message, &self.http).await;
                match &outcome {
                    Ok(()) => break,
                    Err(error) if !error.is_transient() => break,
                    Err(_) if attempt < tries => {
                        tokio::time::sleep(pause).await;
                        pause *= 2;
                    }
                    Err(_) => {}
                }
            }
            match outcome {
                Ok(()) => {
                    metrics::counter!(metric::SENT, "channel" => channel.name.clone(), "trigger" => alert.trigger.as_str()).increment(1);
                    sent.delivered.push(channel.name.clone());
                }
                Err(error) => {
                    let reason = redact(&error.to_string(), &self.secrets);
                    metrics::counter!(metric::FAILED, "channel" => channel.name.clone())
                        .increment(1);
                    tracing::warn!(channel = %channel.name, key = %alert.key, "an alert could not be sent: {reason}");
                    sent.failed.push((channel.name.clone(), reason));
                }
            }
        }
        sent
    }
}
