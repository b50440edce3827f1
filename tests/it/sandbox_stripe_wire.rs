//! The Stripe emulator's wire rules: auth, idempotency, rate limit.

use crate::sandbox_stripe_support;

use std::time::Duration;

use ferry::sandbox::stripe::{DELAY_HEADER, FAIL_HEADER, StripeOptions};
use sandbox_stripe_support::{err, quiet, send, start};

#[tokio::test]
async fn a_key_is_required() {
    let s = start(quiet()).await;
    let (status, body) = send(s.client.get(format!("{}/v1/customers", s.base))).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["type"], "invalid_request_error");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("You did not provide an API key")
    );
    let (status, body) = send(
        s.client
            .get(format!("{}/v1/customers", s.base))
            .bearer_auth("sk_live_nope1234"),
    )
    .await;
    assert_eq!(status, 401);
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.starts_with("Invalid API Key provided"), "{message}");
    assert!(!message.contains("sk_live_nope1234"), "the key is masked");
    // Basic auth with the key as user name.
    let (status, _) = send(
        s.client
            .get(format!("{}/v1/customers", s.base))
            .basic_auth(sandbox_stripe_support::KEY, None::<&str>),
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn idempotent_replay_and_mismatch() {
    let s = start(quiet()).await;
    let first = s
        .post("/v1/customers", "email=a%40example.com")
        .header("idempotency-key", "k1");
    let first = first.send().await.unwrap();
    assert_eq!(first.status(), 200);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first: serde_json::Value = first.json().await.unwrap();

    let again = s
        .post("/v1/customers", "email=a%40example.com")
        .header("idempotency-key", "k1");
    let again = again.send().await.unwrap();
    assert_eq!(again.status(), 200);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again: serde_json::Value = again.json().await.unwrap();
    assert_eq!(again, first);
    assert_eq!(s.state.count("customer"), 1);

    let e = err(
        s.post("/v1/customers", "email=b%40example.com")
            .header("idempotency-key", "k1"),
        400,
    )
    .await;
    assert_eq!(e["type"], "idempotency_error");

    // A validation failure saves nothing: the key stays free.
    let e = err(
        s.post("/v1/customers", "bogus=1")
            .header("idempotency-key", "k2"),
        400,
    )
    .await;
    assert_eq!(e["code"], "parameter_unknown");
    let (status, _) = send(
        s.post("/v1/customers", "email=c%40example.com")
            .header("idempotency-key", "k2"),
    )
    .await;
    assert_eq!(status, 200);

    // 500s are saved and replayed too.
    let (status, body) = send(
        s.post("/v1/customers", "name=X")
            .header("idempotency-key", "k3")
            .header(FAIL_HEADER, "500"),
    )
    .await;
    assert_eq!(
        (status, body["error"]["type"].as_str()),
        (500, Some("api_error"))
    );
    let replay = s
        .post("/v1/customers", "name=X")
        .header("idempotency-key", "k3")
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), 500);
    assert_eq!(replay.headers()["idempotent-replayed"], "true");

    // Keys are at most 255 characters.
    let e = err(
        s.post("/v1/customers", "name=Y")
            .header("idempotency-key", "k".repeat(256)),
        400,
    )
    .await;
    assert_eq!(e["type"], "invalid_request_error");
}

#[tokio::test]
async fn a_key_in_flight_is_409() {
    let s = start(quiet()).await;
    let slow = s
        .post("/v1/customers", "email=slow%40example.com")
        .header("idempotency-key", "busy")
        .header(DELAY_HEADER, "800");
    let held = tokio::spawn(async move { slow.send().await.unwrap().status().as_u16() });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let e = err(
        s.post("/v1/customers", "email=slow%40example.com")
            .header("idempotency-key", "busy"),
        409,
    )
    .await;
    assert_eq!(e["code"], "idempotency_key_in_use");
    assert_eq!(held.await.unwrap(), 200);
    let replay = s
        .post("/v1/customers", "email=slow%40example.com")
        .header("idempotency-key", "busy")
        .send()
        .await
        .unwrap();
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
}

#[tokio::test]
async fn rate_limit_beyond_25_per_second() {
    let s = start(StripeOptions::default()).await;
    let mut statuses = Vec::new();
    for _ in 0..40 {
        statuses.push(send(s.get("/v1/customers?limit=1")).await);
    }
    let limited: Vec<_> = statuses.iter().filter(|(st, _)| *st == 429).collect();
    assert!(!limited.is_empty(), "some requests beyond 25/s are refused");
    assert_eq!(limited[0].1["error"]["code"], "rate_limit");
    let allowed = statuses.iter().filter(|(st, _)| *st == 200).count();
    assert!((25..=35).contains(&allowed), "{allowed}");
    // A 429 saves no idempotency record: after a pause the same key runs normally.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (status, _) = send(
        s.post("/v1/customers", "name=Z")
            .header("idempotency-key", "after"),
    )
    .await;
    assert_eq!(status, 200);
}
