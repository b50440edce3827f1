//! The Stripe emulator sends its events as signed webhooks: to `ferry serve`, which turns each
//! charge into exactly one Business Central sales order; and to a recording endpoint, which sees
//! Stripe's headers, a signature that verifies, retries after a 500, creation order, and the
//! duplicates a chaos test asks for.

use crate::run_support;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use ferry::connectors::stripe::signature;
use ferry::project::Secret;
use ferry::sandbox::stripe::{
    StripeOptions, StripeState, WEBHOOK_USER_AGENT, WebhookDelivery, WebhookEndpoint, WebhookStats,
};
use ferry::store::{InboxState, Store};
use run_support::serve::*;
use run_support::*;
use serde_json::Value;

/// Polls `done` every 50 ms, for at most 30 s.
async fn eventually(what: &str, mut done: impl AsyncFnMut() -> bool) {
    for _ in 0..600 {
        if done().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{what} did not happen");
}

/// Waits until every queued delivery is answered and none is outstanding.
async fn settled(stripe: &StripeState, queued: u64) -> WebhookStats {
    eventually("webhook delivery", async || {
        let stats = stripe.webhook_stats();
        stats.queued == queued && stats.delivered + stats.abandoned == queued + stats.duplicates
    })
    .await;
    stripe.webhook_stats()
}

async fn processed(store: &Store, event_id: &str) -> bool {
    store
        .inbox_event("stripe", event_id)
        .await
        .unwrap()
        .is_some_and(|stored| stored.state == InboxState::Done)
}

fn event_ids(stripe: &StripeState, event_type: &str) -> Vec<String> {
    stripe
        .objects("event")
        .iter()
        .filter(|e| e["type"] == event_type)
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn each_charge_sent_by_webhook_becomes_exactly_one_sales_order() {
    let world = world_seeded(None, None, Some(7)).await;
    let (handle, store) = serve(&world, 2).await;
    world.stripe.add_webhook_endpoint(WebhookEndpoint::new(
        format!("http://{}/webhooks/stripe/stripe", handle.local_addr),
        Secret::new(WEBHOOK_SECRET),
    ));
    let customer = linked_customer(&world, &store).await;
    let mut charges = BTreeSet::new();
    for amount in [1250, 990, 43000, 5, 777] {
        let charge = stripe(
            &world,
            reqwest::Method::POST,
            "/v1/sandbox/charges",
            &format!("amount={amount}&currency=aud&customer={customer}"),
        )
        .await;
        charges.insert(charge["id"].as_str().unwrap().to_string());
    }

    // customer.created (answered 200, not stored: no pipeline reads it) and five charges.
    let stats = settled(&world.stripe, 6).await;
    assert_eq!((stats.delivered, stats.abandoned), (6, 0), "{stats:?}");
    let charge_events = event_ids(&world.stripe, "charge.succeeded");
    assert_eq!(charge_events.len(), 5);
    for id in &charge_events {
        eventually("the charge event's processing", async || {
            processed(&store, id).await
        })
        .await;
    }
    let orders = world.business_central_orders().await;
    let numbers: Vec<&str> = orders
        .iter()
        .map(|o| o["externalDocumentNumber"].as_str().unwrap())
        .collect();
    assert_eq!(numbers.len(), 5, "{numbers:?}");
    assert_eq!(
        numbers
            .iter()
            .map(|n| n.to_string())
            .collect::<BTreeSet<_>>(),
        charges
    );
    let number = business_central_number(&world, "ada@example.com").await;
    assert!(orders.iter().all(|o| o["customerNumber"] == number));
    handle.shutdown().await;
}

/// What a recording endpoint received: headers and body of each request, in arrival order.
type Received = Arc<Mutex<Vec<(HeaderMap, Bytes)>>>;

/// An endpoint on a loopback port that records every request and answers 500 to the first
/// `failures` of them, 200 afterwards. Its URL.
async fn recording_endpoint(failures: usize) -> (String, Received) {
    let received: Received = Arc::default();
    let app = Router::new()
        .route(
            "/hook",
            post(
                move |State(received): State<Received>, headers: HeaderMap, body: Bytes| async move {
                    let mut received = received.lock().unwrap();
                    received.push((headers, body));
                    if received.len() <= failures {
                        StatusCode::INTERNAL_SERVER_ERROR
                    } else {
                        StatusCode::OK
                    }
                },
            ),
        )
        .with_state(received.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, received)
}

fn quick(delivery: WebhookDelivery) -> StripeOptions {
    StripeOptions {
        seed: Some(3),
        rate_limit: None,
        seed_customers: 0,
        seed_charges: 0,
        seed_products: 0,
        webhook_delivery: WebhookDelivery {
            first_retry_delay: Duration::from_millis(10),
            ..delivery
        },
        ..StripeOptions::default()
    }
}

async fn add_customers(world: &World, count: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for n in 0..count {
        let customer = stripe(
            world,
            reqwest::Method::POST,
            "/v1/customers",
            &format!("email=c{n}%40example.com"),
        )
        .await;
        ids.push(customer["id"].as_str().unwrap().to_string());
    }
    ids
}

fn bodies(received: &Received) -> Vec<Value> {
    received
        .lock()
        .unwrap()
        .iter()
        .map(|(_, body)| serde_json::from_slice(body).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_delivery_is_signed_as_stripe_signs_and_retried_after_a_500() {
    let (url, received) = recording_endpoint(1).await;
    let secret = Secret::new("whsec_recorder");
    let world = world_with(None, quick(WebhookDelivery::default()), None).await;
    world
        .stripe
        .add_webhook_endpoint(WebhookEndpoint::new(url, secret.clone()));
    let ids = add_customers(&world, 1).await;

    let stats = settled(&world.stripe, 1).await;
    assert_eq!(
        stats,
        WebhookStats {
            queued: 1,
            delivered: 1,
            failed_attempts: 1,
            abandoned: 0,
            duplicates: 0,
        }
    );
    let received = received.lock().unwrap().clone();
    assert_eq!(received.len(), 2, "the 500 was retried once");
    assert_eq!(received[0].1, received[1].1, "the same body both times");
    let now = jiff::Timestamp::now();
    for (headers, body) in &received {
        let header = headers["stripe-signature"].to_str().unwrap();
        let verified = signature::verify(
            header,
            body,
            std::slice::from_ref(&secret),
            now,
            signature::DEFAULT_TOLERANCE,
        );
        assert_eq!(verified.map(|v| v.secret_index), Ok(0), "{header}");
        assert_eq!(headers["content-type"], "application/json; charset=utf-8");
        assert_eq!(headers["user-agent"], WEBHOOK_USER_AGENT);
    }
    let event: Value = serde_json::from_slice(&received[0].1).unwrap();
    assert_eq!(event["object"], "event");
    assert_eq!(event["type"], "customer.created");
    assert_eq!(event["pending_webhooks"], 1);
    assert_eq!(event["data"]["object"]["id"], ids[0].as_str());
    assert_eq!(
        world.stripe.objects("event")[0],
        event,
        "as the feed has it"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn events_arrive_in_creation_order_and_only_those_an_endpoint_wants() {
    let (all_url, all) = recording_endpoint(0).await;
    let (charges_url, charges_only) = recording_endpoint(0).await;
    let world = world_with(None, quick(WebhookDelivery::default()), None).await;
    world
        .stripe
        .add_webhook_endpoint(WebhookEndpoint::new(all_url, Secret::new("whsec_a")));
    world.stripe.add_webhook_endpoint(
        WebhookEndpoint::parse(&format!("{charges_url},secret=whsec_b,events=charge.*")).unwrap(),
    );
    let ids = add_customers(&world, 5).await;
    stripe(
        &world,
        reqwest::Method::POST,
        "/v1/sandbox/charges",
        "amount=100&currency=aud",
    )
    .await;

    settled(&world.stripe, 7).await;
    let seen: Vec<Value> = bodies(&all)
        .iter()
        .map(|e| e["data"]["object"]["id"].clone())
        .collect();
    assert_eq!(&seen[..5], ids.as_slice());
    let charges = bodies(&charges_only);
    assert_eq!(charges.len(), 1);
    assert_eq!(charges[0]["type"], "charge.succeeded");
    assert_eq!(charges[0]["pending_webhooks"], 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_duplicate_rate_of_one_sends_every_event_twice() {
    let (url, received) = recording_endpoint(0).await;
    let chaos = WebhookDelivery {
        duplicate_rate: 1.0,
        shuffle: true,
        ..WebhookDelivery::default()
    };
    let world = world_with(None, quick(chaos), None).await;
    world
        .stripe
        .add_webhook_endpoint(WebhookEndpoint::new(url, Secret::new("whsec_c")));
    add_customers(&world, 4).await;

    // Every event is sent twice; a duplicate is counted only once it is sent, so delivery has
    // settled when all four are, not as soon as the counts add up.
    eventually("every event and its duplicate delivered", async || {
        world.stripe.webhook_stats().duplicates == 4
    })
    .await;
    let stats = settled(&world.stripe, 4).await;
    assert_eq!((stats.delivered, stats.duplicates), (8, 4), "{stats:?}");
    let mut ids: Vec<String> = bodies(&received)
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 4, "each of the four events, twice");
}
