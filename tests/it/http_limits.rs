//! Pacing: the per-connection rate limiter, the concurrency limit, and the server's
//! `X-RateLimit-*` budget (Capsule).

use crate::http_support;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ferry::connectors::http::{HttpClient, HttpConfig, RateLimit, RequestSpec};
use http_support::{Reply, Server, fast_retries};

fn paced(limit: RateLimit, concurrency: usize) -> HttpClient {
    HttpClient::new(HttpConfig {
        rate_limit: Some(limit),
        max_concurrency: concurrency,
        retry: fast_retries(),
        ..HttpConfig::default()
    })
    .unwrap()
}

async fn send_all(client: &HttpClient, server: &Server, count: usize) {
    let mut tasks = Vec::new();
    for i in 0..count {
        let client = client.clone();
        let url = server.url(&format!("/x/{i}"));
        tasks.push(tokio::spawn(async move {
            client.send(RequestSpec::get("probe", url)).await
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap().status, 200);
    }
}

#[tokio::test]
async fn the_rate_limiter_spaces_requests() {
    let server = Server::start(vec![Reply::status(200)]).await;
    let client = paced(RateLimit::new(5, Duration::from_secs(1)), 16);
    let started = Instant::now();
    send_all(&client, &server, 11).await;
    let elapsed = started.elapsed();
    // 11 requests at 5/s: the first at once, then one every 200 ms.
    assert!(elapsed >= Duration::from_millis(1_800), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(4), "{elapsed:?}");
    assert_eq!(server.seen().len(), 11);
}

#[tokio::test]
async fn clones_share_one_rate_limiter() {
    let server = Server::start(vec![Reply::status(200)]).await;
    let client = paced(RateLimit::new(10, Duration::from_secs(1)), 16);
    let other = client.clone();
    let started = Instant::now();
    let (a, b) = tokio::join!(send_all(&client, &server, 3), send_all(&other, &server, 3));
    let ((), ()) = (a, b);
    assert!(
        started.elapsed() >= Duration::from_millis(450),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(client.stats().attempts, 6);
}

#[tokio::test]
async fn the_concurrency_limit_caps_requests_in_flight() {
    let server = Server::start(vec![Reply::status(200).delay(Duration::from_millis(150))]).await;
    let client = paced(RateLimit::new(1_000, Duration::from_secs(1)), 2);
    send_all(&client, &server, 6).await;
    assert_eq!(server.max_in_flight(), 2);
}

fn next_whole_second() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 1
}

#[tokio::test]
async fn a_spent_server_budget_waits_for_the_reset() {
    let reset = next_whole_second();
    let server = Server::start(vec![
        Reply::status(200)
            .header("X-RateLimit-Limit", "4000")
            .header("X-RateLimit-Remaining", "0")
            .header("X-RateLimit-Reset", &reset.to_string()),
        Reply::status(200).header("X-RateLimit-Remaining", "3999"),
    ])
    .await;
    let client = paced(RateLimit::new(1_000, Duration::from_secs(1)), 4);
    client
        .send(RequestSpec::get("parties", server.url("/parties")))
        .await
        .unwrap();
    client
        .send(RequestSpec::get("parties", server.url("/parties?page=2")))
        .await
        .unwrap();
    let seen = server.seen();
    let second = seen[1].wall.duration_since(UNIX_EPOCH).unwrap();
    assert!(
        second >= Duration::from_secs(reset),
        "{second:?} before {reset}"
    );
}

#[tokio::test]
async fn a_429_without_retry_after_waits_for_the_reset() {
    let reset = next_whole_second();
    let server = Server::start(vec![
        Reply::status(429)
            .header("X-RateLimit-Remaining", "0")
            .header("X-RateLimit-Reset", &reset.to_string())
            .body(r#"{"error": "rate limit reached"}"#),
        Reply::status(200),
    ])
    .await;
    let client = paced(RateLimit::new(1_000, Duration::from_secs(1)), 4);
    let response = client
        .send(RequestSpec::get("parties", server.url("/parties")))
        .await
        .unwrap();
    assert_eq!(response.attempts, 2);
    let second = server.seen()[1].wall.duration_since(UNIX_EPOCH).unwrap();
    assert!(second >= Duration::from_secs(reset));
    assert_eq!(client.stats().rate_limited, 1);
}

#[tokio::test]
async fn a_remaining_budget_does_not_slow_anything() {
    let server = Server::start(vec![
        Reply::status(200)
            .header("X-RateLimit-Remaining", "10")
            .header("X-RateLimit-Reset", "99999999999"),
    ])
    .await;
    let client = paced(RateLimit::new(1_000, Duration::from_secs(1)), 4);
    let started = Instant::now();
    send_all(&client, &server, 5).await;
    // Any wait would be the capped hour, so a loose bound still tells.
    assert!(started.elapsed() < Duration::from_secs(5));
}
