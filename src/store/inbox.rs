//! The webhook inbox as the server and the workers see it: an event is put (durably, before the
//! sender gets its 2xx), claimed by one worker under a lease, and finished.

use jiff::Timestamp;

/// A verified webhook event, as it is stored before it is acknowledged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxEvent {
    /// The connection (from `ferry.yaml`) whose endpoint received the event.
    pub connection: String,
    /// The sender's event id (`evt_...`); unique per connection, so a redelivery is a duplicate.
    pub event_id: String,
    pub event_type: String,
    /// The event's own time, as the sender gives it: unix seconds.
    pub created: i64,
    /// The raw body exactly as received (what the signature covered).
    pub body: String,
    pub received_at: Timestamp,
    /// The object the event changes (`connection/object id`), when its body names one. A
    /// claim never hands out an event whose object has another event held under a live lease,
    /// so events of one object are processed one at a time across every worker and process.
    pub object_key: Option<String>,
}

/// What putting an event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InboxPut {
    Inserted,
    /// The event was already in the inbox; the stored row is unchanged.
    Duplicate,
}

/// Where an event is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InboxState {
    /// Waiting for a worker (possibly until a retry's `not_before`).
    Pending,
    /// Claimed by a worker whose lease has not been given back yet.
    Processing,
    Done,
    /// Failed permanently; kept with its error (the worker also files a dead letter).
    Failed,
}

impl InboxState {
    pub fn as_str(self) -> &'static str {
        match self {
            InboxState::Pending => "pending",
            InboxState::Processing => "processing",
            InboxState::Done => "done",
            InboxState::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<InboxState> {
        match text {
            "pending" => Some(InboxState::Pending),
            "processing" => Some(InboxState::Processing),
            "done" => Some(InboxState::Done),
            "failed" => Some(InboxState::Failed),
            _ => None,
        }
    }
}

/// An event with its processing state, as a claim hands it to a worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    pub event: InboxEvent,
    pub state: InboxState,
    /// How many times the event was claimed, this claim included.
    pub attempts: i64,
    /// The worker holding the event while it is `processing`.
    pub claimed_by: Option<String>,
    pub lease_until: Option<Timestamp>,
    /// A retried event is not claimed again before this.
    pub not_before: Option<Timestamp>,
    /// The error of the last failed or retried attempt.
    pub last_error: Option<String>,
    pub processed_at: Option<Timestamp>,
}

/// How a worker's attempt at an event ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InboxOutcome {
    Done,
    /// A permanent failure: the event is kept with its error and not claimed again.
    Failed {
        error: String,
    },
    /// A transient failure: the event goes back to `pending`, claimable from `not_before`.
    Retry {
        error: String,
        not_before: Timestamp,
    },
}

/// The inbox at a glance, for `/metrics` (inbox lag) and `/readyz`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct InboxStats {
    pub pending: u64,
    pub processing: u64,
    pub failed: u64,
    /// When the oldest `pending` event was received; `None` when nothing is pending.
    pub oldest_pending_received_at: Option<Timestamp>,
}

/// The newest version of an object that a worker applied, so a late, older event is skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectVersion {
    pub connection: String,
    pub object_id: String,
    /// Increases with every change: the object's `updated` time or the event's `created` (unix
    /// seconds), whichever the worker has.
    pub version: i64,
    /// The event that carried this version.
    pub event_id: String,
}

impl ObjectVersion {
    pub fn new(
        connection: impl Into<String>,
        object_id: impl Into<String>,
        version: i64,
        event_id: impl Into<String>,
    ) -> Self {
        ObjectVersion {
            connection: connection.into(),
            object_id: object_id.into(),
            version,
            event_id: event_id.into(),
        }
    }
}

/// The newest event of a connection known to be in the inbox: where a catch-up starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastEvent {
    pub event_id: String,
    /// The event's own time, unix seconds.
    pub created: i64,
}
