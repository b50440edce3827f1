//! Which webhook subscriptions the served pipelines need, and subscribing them: for every
//! connection whose system lets ferry manage its subscriptions, has an endpoint, and is the
//! source of a served pipeline, the events of the streams those pipelines read. Used by
//! `ferry serve --public-url` on start and by `ferry hooks`. Nothing here names a system.

use crate::connectors::ResolvedConnection;
use crate::connectors::secret::redact;
use crate::connectors::webhook_subscription::{SubscribeError, Subscribed, Subscriber};
use crate::project::ResolvedEnvironment;
use crate::runtime::Job;

/// A connection to subscribe, and the events its served pipelines need.
pub struct Needed<'e> {
    pub connection: &'e ResolvedConnection,
    pub events: Vec<&'static str>,
}

/// What the pipelines `jobs` need subscribed, connection by connection (in the project's
/// order). A connection without an endpoint needs nothing: it is not served by webhooks.
pub fn needed<'e>(environment: &'e ResolvedEnvironment, jobs: &[Job]) -> Vec<Needed<'e>> {
    environment
        .connections
        .values()
        .filter(|connection| Subscriber::manages(connection))
        .filter_map(|connection| {
            let subscriber = Subscriber::of(connection).ok()?;
            let streams = jobs
                .iter()
                .filter(|job| job.source.connection == connection.name)
                .map(|job| job.source.stream.as_str());
            let events = subscriber.events_for(streams);
            (!events.is_empty()).then_some(Needed { connection, events })
        })
        .collect()
}

/// Subscribes what `needed` lists at `public_url`; stops at the first connection that fails.
pub async fn subscribe(
    needed: &[Needed<'_>],
    public_url: &str,
) -> Result<Vec<Subscribed>, SubscribeError> {
    let mut done = Vec::with_capacity(needed.len());
    for need in needed {
        let subscriber = Subscriber::of(need.connection)?;
        done.push(subscriber.subscribe(&need.events, public_url).await?);
    }
    Ok(done)
}

/// Subscribes the served pipelines' webhooks at `public_url` and logs the outcome, the target
/// URLs redacted.
pub async fn subscribe_served(
    environment: &ResolvedEnvironment,
    jobs: &[Job],
    public_url: &str,
) -> Result<(), SubscribeError> {
    let needed = needed(environment, jobs);
    let secrets = environment.secrets();
    for subscribed in subscribe(&needed, public_url).await? {
        let target = subscribed
            .added
            .iter()
            .chain(&subscribed.kept)
            .next()
            .map(|hook| redact(&hook.target_url, secrets.iter().copied()))
            .unwrap_or_default();
        tracing::info!(
            connection = %subscribed.connection,
            added = subscribed.added.len(),
            kept = subscribed.kept.len(),
            "webhooks subscribed to {target}"
        );
    }
    Ok(())
}

/// Logs, once, the connections whose webhooks are left unsubscribed for want of a public URL.
pub fn log_unsubscribed(environment: &ResolvedEnvironment, jobs: &[Job]) {
    let names: Vec<&str> = needed(environment, jobs)
        .iter()
        .map(|need| need.connection.name.as_str())
        .collect();
    if !names.is_empty() {
        tracing::info!(
            connections = %names.join(", "),
            "webhooks not subscribed: no public URL (`--public-url`); subscribe them in the system or with `ferry hooks subscribe`"
        );
    }
}

/// The connections whose subscriptions ferry can manage (only `name`'s when given); an error
/// when `name` is not one of them.
pub fn managed<'e>(
    environment: &'e ResolvedEnvironment,
    name: Option<&str>,
) -> Result<Vec<Subscriber<'e>>, SubscribeError> {
    match name {
        Some(name) => {
            let connection =
                environment
                    .connection(name)
                    .ok_or_else(|| SubscribeError::NotSubscribable {
                        connection: name.to_string(),
                        kind: "no such connection".into(),
                    })?;
            Ok(vec![Subscriber::of(connection)?])
        }
        None => environment
            .connections
            .values()
            .filter(|connection| Subscriber::manages(connection))
            .map(Subscriber::of)
            .collect(),
    }
}
