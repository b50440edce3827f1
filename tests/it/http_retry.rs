//! Retries: which failures are sent again, how long the client waits, and what a final error
//! says. Each test runs a scripted server on 127.0.0.1:0.

use crate::http_support;

use std::time::{Duration, Instant};

use ferry::connectors::http::{HttpClient, HttpConfig, HttpError, RequestSpec, RetryPolicy};
use http_support::{Reply, Server, fast_client, fast_retries};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn a_503_is_retried_until_it_succeeds() {
    let server = Server::start(vec![
        Reply::status(503),
        Reply::status(200).body("{\"ok\":true}"),
    ])
    .await;
    let client = fast_client();
    let response = client
        .send(RequestSpec::get("probe", server.url("/v1/x")))
        .await
        .unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(response.attempts, 2);
    assert_eq!(response.body, b"{\"ok\":true}");
    assert_eq!(server.seen().len(), 2);
    let stats = client.stats();
    assert_eq!(
        (stats.attempts, stats.retries, stats.rate_limited),
        (2, 1, 0)
    );
}

#[tokio::test]
async fn a_429_waits_for_retry_after() {
    let server = Server::start(vec![
        Reply::status(429).header("Retry-After", "1"),
        Reply::status(200),
    ])
    .await;
    let client = fast_client();
    let started = Instant::now();
    let response = client
        .send(RequestSpec::get("probe", server.url("/x")))
        .await
        .unwrap();
    assert_eq!(response.attempts, 2);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    let seen = server.seen();
    assert!(seen[1].at.duration_since(seen[0].at) >= Duration::from_secs(1));
    assert_eq!(client.stats().rate_limited, 1);
}

#[tokio::test]
async fn a_retry_after_beyond_the_time_budget_fails_at_once() {
    let server = Server::start(vec![
        Reply::status(429).header("Retry-After", "120"),
        Reply::status(200),
    ])
    .await;
    let client = fast_client(); // max_elapsed 10 s
    let started = Instant::now();
    let error = client
        .send(RequestSpec::get("probe", server.url("/x")))
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(429));
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(server.seen().len(), 1);
}

#[tokio::test]
async fn a_400_is_final_and_names_the_endpoint() {
    let body =
        r#"{"error":{"type":"invalid_request_error","code":"parameter_unknown","param":"nmae"}}"#;
    let server = Server::start(vec![Reply::status(400).body(body), Reply::status(200)]).await;
    let client = fast_client();
    let url = server.url("/v1/customers?limit=3&api_key=hunter22");
    let error = client
        .send(RequestSpec::post("stripe: create customer", url).form("nmae=x"))
        .await
        .unwrap_err();
    assert_eq!(server.seen().len(), 1);
    let HttpError::Status {
        status,
        attempts,
        body: snippet,
        ..
    } = &error
    else {
        panic!("expected a status error, got {error:?}");
    };
    assert_eq!((*status, *attempts), (400, 1));
    assert!(snippet.contains("parameter_unknown"));
    let message = error.to_string();
    let expected = format!(
        "stripe: create customer (POST {}): HTTP 400 after 1 attempt(s): {body}",
        server.url("/v1/customers?limit=3&api_key=***")
    );
    assert_eq!(message, expected);
    assert!(!format!("{error:?}").contains("hunter22"));
}

#[tokio::test]
async fn stripe_should_retry_false_stops_a_500() {
    let server = Server::start(vec![
        Reply::status(500).header("Stripe-Should-Retry", "false"),
        Reply::status(200),
    ])
    .await;
    let error = fast_client()
        .send(RequestSpec::get("probe", server.url("/x")))
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(500));
    assert_eq!(server.seen().len(), 1);
}

#[tokio::test]
async fn stripe_should_retry_true_retries_a_400() {
    let server = Server::start(vec![
        Reply::status(400).header("Stripe-Should-Retry", "true"),
        Reply::status(200),
    ])
    .await;
    let response = fast_client()
        .send(RequestSpec::get("probe", server.url("/x")))
        .await
        .unwrap();
    assert_eq!(response.attempts, 2);
}

#[tokio::test]
async fn a_post_without_idempotency_is_not_retried_on_500() {
    let server = Server::start(vec![Reply::status(500), Reply::status(200)]).await;
    let spec = RequestSpec::post("create", server.url("/v1/customers")).form("name=A");
    let error = fast_client().send(spec).await.unwrap_err();
    assert_eq!(error.status(), Some(500));
    assert_eq!(server.seen().len(), 1);
}

#[tokio::test]
async fn a_post_with_an_idempotency_key_is_retried_with_the_same_key() {
    let server = Server::start(vec![
        Reply::status(500),
        Reply::status(409),
        Reply::status(200),
    ])
    .await;
    let spec = RequestSpec::post("create", server.url("/v1/customers"))
        .header("Idempotency-Key", "ferry-key-1")
        .form("name=A");
    let response = fast_client().send(spec).await.unwrap();
    assert_eq!(response.attempts, 3);
    let seen = server.seen();
    assert_eq!(seen.len(), 3);
    for request in &seen {
        assert_eq!(
            request.header("idempotency-key").as_deref(),
            Some("ferry-key-1")
        );
        assert_eq!(
            request.header("content-type").as_deref(),
            Some("application/x-www-form-urlencoded")
        );
        assert_eq!(request.body, "name=A");
    }
}

#[tokio::test]
async fn retries_stop_at_max_attempts() {
    let server = Server::start(vec![Reply::status(502)]).await;
    let client = fast_client();
    let error = client
        .send(RequestSpec::get("probe", server.url("/x")))
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            HttpError::Status {
                status: 502,
                attempts: 4,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(server.seen().len(), 4);
    assert_eq!(client.stats().retries, 3);
    assert!(error.is_transient());
}

/// A raw server: the first connection is closed after reading the request, the second gets
/// an answer.
#[tokio::test]
async fn a_dropped_connection_is_retried() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/x", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        let mut buffer = [0u8; 4096];
        let (mut first, _) = listener.accept().await.unwrap();
        let _ = first.read(&mut buffer).await;
        drop(first);
        let (mut second, _) = listener.accept().await.unwrap();
        let _ = second.read(&mut buffer).await;
        second
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok")
            .await
            .unwrap();
    });
    let client = fast_client();
    let response = client.send(RequestSpec::get("probe", url)).await.unwrap();
    assert_eq!((response.status, response.attempts), (200, 2));
    assert_eq!(response.body, b"ok");
    server.await.unwrap();
}

#[tokio::test]
async fn a_timeout_is_retried() {
    let server = Server::start(vec![
        Reply::status(200).delay(Duration::from_secs(3)),
        Reply::status(200).body("fast"),
    ])
    .await;
    let client = HttpClient::new(HttpConfig {
        timeout: Duration::from_millis(300),
        retry: fast_retries(),
        ..HttpConfig::default()
    })
    .unwrap();
    let response = client
        .send(RequestSpec::get("probe", server.url("/x")))
        .await
        .unwrap();
    assert_eq!(response.attempts, 2);
    assert_eq!(response.body, b"fast");
}

#[tokio::test]
async fn a_timed_out_post_without_a_key_is_not_sent_again() {
    let server = Server::start(vec![
        Reply::status(200).delay(Duration::from_secs(3)),
        Reply::status(200),
    ])
    .await;
    let client = HttpClient::new(HttpConfig {
        timeout: Duration::from_millis(300),
        retry: fast_retries(),
        ..HttpConfig::default()
    })
    .unwrap();
    let error = client
        .send(RequestSpec::post("create", server.url("/x")))
        .await
        .unwrap_err();
    assert!(
        matches!(error, HttpError::Timeout { attempts: 1, .. }),
        "{error:?}"
    );
    assert_eq!(server.seen().len(), 1);
}

#[tokio::test]
async fn an_unreachable_host_is_retried_then_reported_with_the_endpoint() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v1/customers", listener.local_addr().unwrap());
    drop(listener);
    let client = HttpClient::new(HttpConfig {
        retry: RetryPolicy {
            max_attempts: 3,
            ..fast_retries()
        },
        ..HttpConfig::default()
    })
    .unwrap();
    // Refused connections never reached the server, so even a plain POST is retried.
    let error = client
        .send(RequestSpec::post("create", url.as_str()))
        .await
        .unwrap_err();
    assert!(
        matches!(error, HttpError::Connection { attempts: 3, .. }),
        "{error:?}"
    );
    assert!(error.to_string().starts_with(&format!(
        "create (POST {url}): connection failed after 3 attempt(s)"
    )));
    assert_eq!(client.stats().attempts, 3);
}

#[tokio::test]
async fn a_bad_url_is_an_invalid_request() {
    let error = fast_client()
        .send(RequestSpec::get("probe", "not a url"))
        .await
        .unwrap_err();
    assert!(
        matches!(error, HttpError::InvalidRequest { .. }),
        "{error:?}"
    );
}
