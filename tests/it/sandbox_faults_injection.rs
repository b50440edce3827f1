//! The fault injector on a running sandbox: every response failing, reproducible patterns,
//! dropped connections and delays.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use ferry::sandbox::capsule::DEFAULT_TOKEN;
use ferry::sandbox::{FaultSpec, Sandbox, SandboxHandle};
use serde_json::Value;

async fn start(spec: &str, seed: Option<u64>) -> (SandboxHandle, reqwest::Client) {
    ferry::init_tls();
    let spec: FaultSpec = spec.parse().unwrap();
    let handle = Sandbox::builder()
        .seed(seed)
        .faults(Some(spec))
        .build()
        .serve(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    (handle, reqwest::Client::new())
}

fn parties(handle: &SandboxHandle) -> String {
    format!("{}/capsule/api/v2/parties", handle.base_url())
}

#[tokio::test]
async fn with_500_at_certainty_every_response_is_500_in_the_systems_shape() {
    let (handle, client) = start("500=1.0", None).await;
    for _ in 0..5 {
        let response = client
            .get(parties(&handle))
            .bearer_auth(DEFAULT_TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 500);
        assert!(response.json::<Value>().await.unwrap()["message"].is_string());
    }
    let token = client
        .post(format!(
            "{}/oauth/sandbox-tenant/oauth2/v2.0/token",
            handle.base_url()
        ))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[("grant_type", "client_credentials")]))
        .send()
        .await
        .unwrap();
    assert_eq!(token.status(), 500);
    assert_eq!(
        token.json::<Value>().await.unwrap()["error"]["code"],
        "InternalServerError"
    );
    handle.shutdown().await.unwrap();
}

async fn statuses(spec: &str, count: usize) -> Vec<u16> {
    let (handle, client) = start(spec, None).await;
    let mut seen = Vec::new();
    for _ in 0..count {
        let response = client
            .get(parties(&handle))
            .bearer_auth(DEFAULT_TOKEN)
            .send()
            .await
            .unwrap();
        seen.push(response.status().as_u16());
    }
    handle.shutdown().await.unwrap();
    seen
}

#[tokio::test]
async fn a_seed_makes_the_pattern_reproducible() {
    let spec = "500=0.3,503=0.2,429=0.1,seed=5";
    let first = statuses(spec, 40).await;
    let second = statuses(spec, 40).await;
    assert_eq!(first, second);
    for status in [200, 500, 503, 429] {
        assert!(first.contains(&status), "{status} missing from {first:?}");
    }
    let other = statuses("500=0.3,503=0.2,429=0.1,seed=6", 40).await;
    assert_ne!(first, other);
}

#[tokio::test]
async fn injected_429_carries_retry_after_one_second() {
    let (handle, client) = start("429=1", None).await;
    let response = client
        .get(parties(&handle))
        .bearer_auth(DEFAULT_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "1");
    assert_eq!(
        response.json::<Value>().await.unwrap()["error"],
        "rate limit reached"
    );
    handle.shutdown().await.unwrap();
}

#[tokio::test]
async fn drop_makes_the_client_see_an_error_not_a_response() {
    let (handle, client) = start("drop=1.0", None).await;
    for _ in 0..3 {
        let outcome = client
            .get(parties(&handle))
            .bearer_auth(DEFAULT_TOKEN)
            .send()
            .await;
        assert!(
            outcome.is_err(),
            "expected a connection error, got {outcome:?}"
        );
    }
    handle.shutdown().await.unwrap();
}

#[tokio::test]
async fn lost_carries_the_request_out_then_cuts_the_answer() {
    ferry::init_tls();
    let sandbox = Sandbox::builder()
        .faults(Some("lost=1.0".parse().unwrap()))
        .build();
    let capsule = sandbox.capsule().unwrap().clone();
    let handle = sandbox
        .serve(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let client = reqwest::Client::new();
    let outcome = client
        .post(parties(&handle))
        .bearer_auth(DEFAULT_TOKEN)
        .json(&serde_json::json!({"party": {"type": "organisation", "name": "Lost Answer Ltd"}}))
        .send()
        .await;
    assert!(
        outcome.is_err(),
        "expected a connection error, got {outcome:?}"
    );
    let listed = capsule
        .data()
        .parties
        .values()
        .any(|party| party.name.as_deref() == Some("Lost Answer Ltd"));
    assert!(listed, "the write was not carried out");
    handle.shutdown().await.unwrap();
}

#[tokio::test]
async fn slow_delays_the_real_answer() {
    let (handle, client) = start("slow=1.0:300ms", None).await;
    let started = Instant::now();
    let response = client
        .get(parties(&handle))
        .bearer_auth(DEFAULT_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
    handle.shutdown().await.unwrap();
}

#[test]
fn bad_specs_name_the_bad_part() {
    let error = "500=0.1,teapot=0.2"
        .parse::<FaultSpec>()
        .unwrap_err()
        .to_string();
    assert!(error.contains("`teapot=0.2`"), "{error}");
}

/// A form-encoded body (reqwest's `form` feature is not enabled).
fn form(pairs: &[(&str, &str)]) -> String {
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        out.append_pair(k, v);
    }
    out.finish()
}
