//! Subscribing a connection's webhook endpoint to the events its pipelines read, through the
//! system's own API ([`Subscriptions`]): `ferry serve --public-url` on start, and `ferry hooks`.
//! Idempotent: an event already subscribed to the same target URL is left as it is, so a
//! restart adds nothing. The target URL holds the endpoint's secret token: it is never put in
//! a message here, and callers redact what they print of the listed hooks.

use super::secret::redact;
use super::webhook::{Hook, HookApi, Subscriptions, Webhooks};
use super::{ConnectorError, ResolvedConnection, Secret};
use crate::diagnostics::{Code, Diagnostic};

/// What the subscription of one connection found and did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscribed {
    pub connection: String,
    /// Subscribed now.
    pub added: Vec<Hook>,
    /// Already subscribed to the endpoint, left as they were.
    pub kept: Vec<Hook>,
}

#[derive(Debug, thiserror::Error)]
pub enum SubscribeError {
    #[error("connection `{connection}` ({kind}) has no webhook subscriptions ferry can manage")]
    NotSubscribable { connection: String, kind: String },
    #[error("connection `{connection}` has no webhook endpoint: set `{setting}`")]
    NoEndpoint {
        connection: String,
        setting: &'static str,
    },
    #[error(
        "connection `{connection}`: {missing} more webhook subscriptions are needed, but the account already has {existing} of the {limit} it may have"
    )]
    OverLimit {
        connection: String,
        missing: usize,
        existing: usize,
        limit: usize,
    },
    #[error("connection `{connection}`: {error}")]
    Api {
        connection: String,
        error: Box<ConnectorError>,
    },
}

impl SubscribeError {
    /// The error as a coded diagnostic, for the terminal, with `secrets` redacted from the
    /// system's answer (a system may quote the target URL, which holds the path token).
    pub fn diagnostic(&self, secrets: &[Secret]) -> Diagnostic {
        let message = redact(&self.to_string(), secrets);
        match self {
            SubscribeError::OverLimit { connection, .. } => {
                Diagnostic::unlocated(Code::WebhookSubscriptionLimit, message).with_help(
                    format!(
                        "remove subscriptions the account no longer needs (`ferry hooks list --connection {connection}` shows them), or serve fewer of its streams"
                    ),
                )
            }
            _ => Diagnostic::unlocated(Code::WebhookSubscriptionFailed, message),
        }
    }
}

/// A connection whose system lets ferry manage its webhook subscriptions.
pub struct Subscriber<'c> {
    connection: &'c ResolvedConnection,
    webhooks: &'static Webhooks,
    subscriptions: &'static Subscriptions,
    secret: Option<&'c Secret>,
}

impl<'c> Subscriber<'c> {
    /// The subscriber of `connection`; an error when its system has none or it has no endpoint.
    pub fn of(connection: &'c ResolvedConnection) -> Result<Self, SubscribeError> {
        let not_subscribable = || SubscribeError::NotSubscribable {
            connection: connection.name.clone(),
            kind: connection.kind.name.to_string(),
        };
        let webhooks = connection.kind.webhooks.ok_or_else(not_subscribable)?;
        let subscriptions = webhooks
            .subscriptions
            .as_ref()
            .ok_or_else(not_subscribable)?;
        let secret = webhooks
            .secrets
            .iter()
            .find_map(|key| connection.secret(key));
        if let (Some(setting), None) = (webhooks.secrets.first(), secret) {
            return Err(SubscribeError::NoEndpoint {
                connection: connection.name.clone(),
                setting,
            });
        }
        Ok(Subscriber {
            connection,
            webhooks,
            subscriptions,
            secret,
        })
    }

    /// The connection's name.
    pub fn name(&self) -> &str {
        &self.connection.name
    }

    /// Whether the connection's system lets ferry manage its subscriptions.
    pub fn manages(connection: &ResolvedConnection) -> bool {
        connection
            .kind
            .webhooks
            .is_some_and(|webhooks| webhooks.subscriptions.is_some())
    }

    /// The events the pipelines reading `streams` need, each once, in a stable order.
    pub fn events_for<'s>(&self, streams: impl IntoIterator<Item = &'s str>) -> Vec<&'static str> {
        let mut events: Vec<&'static str> = Vec::new();
        for stream in streams {
            for event in (self.subscriptions.events_of)(stream) {
                if !events.contains(event) {
                    events.push(event);
                }
            }
        }
        events
    }

    /// The endpoint's full URL under `public_url` (a secret: it holds the path token).
    pub fn target_url(&self, public_url: &str) -> String {
        format!(
            "{}/webhooks/{}",
            public_url.trim_end_matches('/'),
            self.webhooks
                .endpoint_path(&self.connection.name, self.secret)
        )
    }

    /// Whether `hook` delivers to this connection's endpoint, under any public address.
    pub fn is_ours(&self, hook: &Hook) -> bool {
        let path = format!(
            "/webhooks/{}",
            self.webhooks
                .endpoint_path(&self.connection.name, self.secret)
        );
        hook.target_url.ends_with(&path)
    }

    fn api(&self) -> Result<Box<dyn HookApi>, SubscribeError> {
        (self.subscriptions.open)(self.connection).map_err(|error| self.failed(error))
    }

    fn failed(&self, error: ConnectorError) -> SubscribeError {
        SubscribeError::Api {
            connection: self.connection.name.clone(),
            error: Box::new(error),
        }
    }

    /// Every subscription of the account, ferry's or not.
    pub async fn list(&self) -> Result<Vec<Hook>, SubscribeError> {
        let api = self.api()?;
        api.list().await.map_err(|error| self.failed(error))
    }

    /// Subscribes each of `events` not yet subscribed to the endpoint at `public_url`; nothing
    /// at all when the account's limit cannot hold them.
    pub async fn subscribe(
        &self,
        events: &[&str],
        public_url: &str,
    ) -> Result<Subscribed, SubscribeError> {
        let api = self.api()?;
        let existing = api.list().await.map_err(|error| self.failed(error))?;
        let target = self.target_url(public_url);
        let (kept, missing): (Vec<&str>, Vec<&str>) = events.iter().partition(|event| {
            existing
                .iter()
                .any(|hook| hook.event == **event && hook.target_url == target)
        });
        if let Some(limit) = self.subscriptions.limit
            && existing.len() + missing.len() > limit
        {
            return Err(SubscribeError::OverLimit {
                connection: self.connection.name.clone(),
                missing: missing.len(),
                existing: existing.len(),
                limit,
            });
        }
        let description = format!("ferry: connection {}", self.connection.name);
        let mut added = Vec::with_capacity(missing.len());
        for event in missing {
            let hook = api
                .subscribe(event, &target, &description)
                .await
                .map_err(|error| self.failed(error))?;
            added.push(hook);
        }
        Ok(Subscribed {
            connection: self.connection.name.clone(),
            added,
            kept: existing
                .into_iter()
                .filter(|hook| hook.target_url == target && kept.contains(&hook.event.as_str()))
                .collect(),
        })
    }

    /// Removes ferry's own subscriptions (those delivering to this connection's endpoint, under
    /// any public address) and leaves the account's others; what it removed.
    pub async fn unsubscribe(&self) -> Result<Vec<Hook>, SubscribeError> {
        let api = self.api()?;
        let existing = api.list().await.map_err(|error| self.failed(error))?;
        let mut removed = Vec::new();
        for hook in existing.into_iter().filter(|hook| self.is_ours(hook)) {
            api.unsubscribe(&hook.id)
                .await
                .map_err(|error| self.failed(error))?;
            removed.push(hook);
        }
        Ok(removed)
    }
}
