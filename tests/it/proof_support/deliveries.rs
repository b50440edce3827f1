//! Signed Stripe deliveries sent as Stripe sends them: an event without a 2xx is sent again
//! later; and what Business Central must hold once they are processed.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ferry::connectors::stripe::signature::sign;
use ferry::project::Secret;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::run_support::World;
use crate::run_support::serve::WEBHOOK_SECRET;

/// Events still to deliver (id, body), and those `ferry serve` answered 2xx.
#[derive(Default)]
pub struct Deliveries {
    pub queue: VecDeque<(String, String)>,
    pub acknowledged: BTreeSet<String>,
    /// Deliveries answered 2xx, copies included.
    pub answered: u64,
    pub refused: u64,
}

/// Sends queued events, each to one of `urls` picked at random (`seed`), until the queue is
/// empty; an event without a 2xx goes to the back.
pub async fn send(urls: Vec<String>, deliveries: Arc<Mutex<Deliveries>>, seed: u64) {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let secret = Secret::new(WEBHOOK_SECRET);
    let mut rng = StdRng::seed_from_u64(seed);
    loop {
        let next = deliveries.lock().unwrap().queue.pop_front();
        let Some((id, body)) = next else { return };
        let url = &urls[rng.random_range(0..urls.len())];
        let header = sign(body.as_bytes(), &secret, jiff::Timestamp::now().as_second());
        let answer = client
            .post(url)
            .header("content-type", "application/json")
            .header("stripe-signature", header)
            .body(body.clone())
            .send()
            .await;
        let acknowledged = matches!(&answer, Ok(response) if response.status().is_success());
        {
            let mut deliveries = deliveries.lock().unwrap();
            if acknowledged {
                deliveries.answered += 1;
                deliveries.acknowledged.insert(id);
            } else {
                deliveries.refused += 1;
                deliveries.queue.push_back((id, body));
            }
        }
        if !acknowledged {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Asserts that Business Central holds exactly one customer per Stripe customer, named as
/// Stripe names it now; returns Business Central's customers (display names) by email.
pub async fn assert_newest_names(world: &World) -> BTreeMap<String, Vec<String>> {
    let stripe_names: BTreeMap<String, String> = world
        .stripe
        .objects("customer")
        .iter()
        .map(|c| {
            (
                c["email"].as_str().unwrap().to_string(),
                c["name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let customers = world.business_central("customers").await;
    let mut held: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for customer in &customers {
        if let Some(email) = customer["email"].as_str() {
            held.entry(email.to_string()).or_default().push(
                customer["displayName"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            );
        }
    }
    for (email, name) in &stripe_names {
        assert_eq!(
            held.get(email),
            Some(&vec![name.clone()]),
            "{email}: Business Central does not hold exactly one customer with Stripe's newest name"
        );
    }
    held
}

/// Waits (at most 5 minutes) until every sender emptied the queue.
pub async fn senders_done(senders: Vec<tokio::task::JoinHandle<()>>) {
    for sender in senders {
        tokio::time::timeout(Duration::from_secs(300), sender)
            .await
            .expect("the senders did not finish within 5 minutes")
            .unwrap();
    }
}

/// The deliveries made, once every one of `events` was acknowledged (asserted).
pub fn all_acknowledged(
    deliveries: &Mutex<Deliveries>,
    events: &[serde_json::Value],
) -> Deliveries {
    let deliveries = std::mem::take(&mut *deliveries.lock().unwrap());
    let all: BTreeSet<String> = events
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        deliveries.acknowledged, all,
        "an event was never acknowledged"
    );
    deliveries
}
