//! One endpoint's delivery task: takes its events in creation order and POSTs each, signed at
//! the moment of the attempt, until a 2xx or the last attempt. A failing event delays the ones
//! behind it by at most the sum of its backoffs, then is given up.

use std::sync::Arc;

use axum::body::Bytes;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use tokio::sync::mpsc::UnboundedReceiver;

use super::webhooks::{Counters, WebhookDelivery, WebhookEndpoint};
use crate::connectors::stripe::signature;

/// The user agent Stripe's deliveries carry.
pub const USER_AGENT: &str = "Stripe/1.0 (+https://stripe.com/docs/webhooks)";

pub(super) async fn run(
    endpoint: Arc<WebhookEndpoint>,
    mut events: UnboundedReceiver<Bytes>,
    delivery: WebhookDelivery,
    counters: Arc<Counters>,
    seed: Option<u64>,
) {
    crate::init_tls();
    let client = match reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .timeout(delivery.timeout)
        .build()
    {
        Ok(client) => client,
        Err(error) => {
            tracing::error!(url = %endpoint.url, "sandbox webhooks: no HTTP client: {error}");
            while events.recv().await.is_some() {
                Counters::add(&counters.abandoned);
            }
            return;
        }
    };
    let mut rng = match seed {
        Some(seed) => StdRng::seed_from_u64(seed),
        None => StdRng::from_os_rng(),
    };
    let sender = Sender {
        endpoint,
        client,
        delivery,
        counters,
    };
    while let Some(first) = events.recv().await {
        let mut batch = vec![first];
        if sender.delivery.shuffle {
            while let Ok(more) = events.try_recv() {
                batch.push(more);
            }
            batch.shuffle(&mut rng);
        }
        for body in batch {
            let delivered = sender.deliver(&body).await;
            // `random` is in [0, 1): a rate of 0 (or NaN) never duplicates, 1 always does.
            if delivered && rng.random::<f64>() < sender.delivery.duplicate_rate {
                Counters::add(&sender.counters.duplicates);
                sender.deliver(&body).await;
            }
        }
    }
}

struct Sender {
    endpoint: Arc<WebhookEndpoint>,
    client: reqwest::Client,
    delivery: WebhookDelivery,
    counters: Arc<Counters>,
}

impl Sender {
    /// Whether an attempt was answered with a 2xx.
    async fn deliver(&self, body: &Bytes) -> bool {
        let attempts = self.delivery.max_attempts.max(1);
        let mut delay = self.delivery.first_retry_delay;
        for attempt in 1..=attempts {
            let timestamp = jiff::Timestamp::now().as_second();
            let header = signature::sign(body, &self.endpoint.secret, timestamp);
            let sent = self
                .client
                .post(&self.endpoint.url)
                .header("content-type", "application/json; charset=utf-8")
                .header("stripe-signature", header)
                .body(body.clone())
                .send()
                .await;
            match sent {
                Ok(response) if response.status().is_success() => {
                    Counters::add(&self.counters.delivered);
                    return true;
                }
                Ok(response) => {
                    tracing::debug!(url = %self.endpoint.url, attempt, status = %response.status(), "sandbox webhook refused");
                }
                Err(error) => {
                    tracing::debug!(url = %self.endpoint.url, attempt, "sandbox webhook not sent: {error}");
                }
            }
            Counters::add(&self.counters.failed_attempts);
            if attempt < attempts {
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(self.delivery.max_retry_delay);
            }
        }
        Counters::add(&self.counters.abandoned);
        tracing::warn!(url = %self.endpoint.url, attempts, "sandbox webhook given up");
        false
    }
}
