//! Credentials: OAuth2 client credentials (one token fetch shared, refresh on expiry and once
//! on a 401), bearer and basic headers, and secrets kept out of every error.

use crate::http_support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use ferry::connectors::http::{
    Auth, ClientCredentials, HttpClient, HttpConfig, HttpError, RequestSpec, Secret,
};
use http_support::{Reply, Server, fast_retries};

const CLIENT_SECRET: &str = "CANARY-client-secret-7f3a";

/// A token endpoint and an API that accepts only the token issued last (or none when revoked).
#[derive(Default)]
struct Identity {
    fetches: AtomicUsize,
    forms: Mutex<Vec<String>>,
    valid: Mutex<String>,
    expires_in: AtomicUsize,
}

async fn token(State(identity): State<Arc<Identity>>, form: String) -> (StatusCode, String) {
    let n = identity.fetches.fetch_add(1, Ordering::SeqCst) + 1;
    identity.forms.lock().unwrap().push(form);
    // Slow enough that concurrent callers would pile up without single flight.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let token = format!("tok-{n}");
    *identity.valid.lock().unwrap() = token.clone();
    let expires = identity.expires_in.load(Ordering::SeqCst);
    let body = format!(
        r#"{{"token_type":"Bearer","expires_in":{expires},"ext_expires_in":{expires},"access_token":"{token}"}}"#
    );
    (StatusCode::OK, body)
}

async fn customers(
    State(identity): State<Arc<Identity>>,
    headers: HeaderMap,
) -> (StatusCode, String) {
    let expected = format!("Bearer {}", identity.valid.lock().unwrap());
    match headers.get("authorization").and_then(|v| v.to_str().ok()) {
        Some(sent) if sent == expected => (StatusCode::OK, r#"{"value":[]}"#.into()),
        _ => (
            StatusCode::UNAUTHORIZED,
            r#"{"error":{"code":"Authentication_InvalidCredentials"}}"#.into(),
        ),
    }
}

async fn start_identity(expires_in: usize) -> (String, Arc<Identity>) {
    let identity = Arc::new(Identity::default());
    identity.expires_in.store(expires_in, Ordering::SeqCst);
    let app = Router::new()
        .route("/tenant/oauth2/v2.0/token", post(token))
        .route("/api/customers", get(customers))
        .with_state(identity.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, identity)
}

fn oauth_client(base: &str) -> HttpClient {
    HttpClient::new(HttpConfig {
        auth: Auth::OAuth2(ClientCredentials {
            token_url: format!("{base}/tenant/oauth2/v2.0/token"),
            client_id: "ferry-app".into(),
            client_secret: Secret::new(CLIENT_SECRET),
            scope: Some("https://api.businesscentral.dynamics.com/.default".into()),
        }),
        retry: fast_retries(),
        max_concurrency: 16,
        ..HttpConfig::default()
    })
    .unwrap()
}

#[tokio::test]
async fn concurrent_requests_share_one_token_fetch() {
    let (base, identity) = start_identity(3599).await;
    let client = oauth_client(&base);
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let client = client.clone();
        let url = format!("{base}/api/customers");
        tasks.push(tokio::spawn(async move {
            client.send(RequestSpec::get("customers", url)).await
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap().status, 200);
    }
    assert_eq!(identity.fetches.load(Ordering::SeqCst), 1);
    assert_eq!(client.stats().token_fetches, 1);
    let forms = identity.forms.lock().unwrap().clone();
    assert_eq!(
        forms,
        [format!(
            "grant_type=client_credentials&client_id=ferry-app&client_secret={CLIENT_SECRET}\
             &scope=https%3A%2F%2Fapi.businesscentral.dynamics.com%2F.default"
        )]
    );
}

#[tokio::test]
async fn an_expired_token_is_refreshed() {
    let (base, identity) = start_identity(1).await;
    let client = oauth_client(&base);
    let url = format!("{base}/api/customers");
    client
        .send(RequestSpec::get("customers", url.as_str()))
        .await
        .unwrap();
    client
        .send(RequestSpec::get("customers", url.as_str()))
        .await
        .unwrap();
    assert_eq!(identity.fetches.load(Ordering::SeqCst), 1);
    // expires_in 1 s: the token is dropped half a second early.
    tokio::time::sleep(Duration::from_millis(600)).await;
    client
        .send(RequestSpec::get("customers", url.as_str()))
        .await
        .unwrap();
    assert_eq!(identity.fetches.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_401_refreshes_the_token_once() {
    let (base, identity) = start_identity(3599).await;
    let client = oauth_client(&base);
    let url = format!("{base}/api/customers");
    client
        .send(RequestSpec::get("customers", url.as_str()))
        .await
        .unwrap();
    *identity.valid.lock().unwrap() = "revoked".into();
    let response = client
        .send(RequestSpec::get("customers", url.as_str()))
        .await
        .unwrap();
    assert_eq!(response.attempts, 2);
    assert_eq!(identity.fetches.load(Ordering::SeqCst), 2);
}

/// An API that refuses every token: one refresh, then the 401 is final.
#[tokio::test]
async fn a_second_401_is_final() {
    let (base, identity) = start_identity(3599).await;
    let api = Server::start(vec![Reply::status(401)]).await;
    let client = oauth_client(&base);
    let error = client
        .send(RequestSpec::get("customers", api.url("/api/customers")))
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            HttpError::Status {
                status: 401,
                attempts: 2,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(identity.fetches.load(Ordering::SeqCst), 2);
    assert_eq!(api.seen().len(), 2);
    assert_eq!(
        api.seen()[1].header("authorization").as_deref(),
        Some("Bearer tok-2")
    );
}

#[tokio::test]
async fn a_refused_token_request_is_reported_without_the_secret() {
    let body = format!(
        r#"{{"error":"invalid_client","error_description":"AADSTS7000215: bad secret {CLIENT_SECRET}"}}"#
    );
    let login = Server::start(vec![Reply::status(401).body(&body)]).await;
    let api = Server::start(vec![Reply::status(200)]).await;
    let client = HttpClient::new(HttpConfig {
        auth: Auth::OAuth2(ClientCredentials {
            token_url: login.url("/tenant/oauth2/v2.0/token"),
            client_id: "ferry-app".into(),
            client_secret: Secret::new(CLIENT_SECRET),
            scope: None,
        }),
        retry: fast_retries(),
        ..HttpConfig::default()
    })
    .unwrap();
    let error = client
        .send(RequestSpec::get("customers", api.url("/api/customers")))
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(401));
    let shown = format!("{error} {error:?}");
    assert!(shown.contains("oauth2 token (POST"), "{shown}");
    assert!(shown.contains("invalid_client"), "{shown}");
    assert!(!shown.contains(CLIENT_SECRET), "{shown}");
    assert_eq!(api.seen().len(), 0);
    assert_eq!(login.seen().len(), 1);
}

#[tokio::test]
async fn a_malformed_token_response_names_the_field() {
    let login = Server::start(vec![
        Reply::status(200).body(r#"{"token_type":"Bearer","expires_in":3599}"#),
    ])
    .await;
    let client = HttpClient::new(HttpConfig {
        auth: Auth::OAuth2(ClientCredentials {
            token_url: login.url("/token"),
            client_id: "id".into(),
            client_secret: Secret::new(CLIENT_SECRET),
            scope: None,
        }),
        retry: fast_retries(),
        ..HttpConfig::default()
    })
    .unwrap();
    let error = client
        .send(RequestSpec::get("customers", login.url("/api")))
        .await
        .unwrap_err();
    assert!(matches!(error, HttpError::Token { .. }), "{error:?}");
    assert!(error.to_string().contains("access_token"));
}

/// The server echoes the Authorization header into its error body; the canary must not leak.
#[tokio::test]
async fn the_authorization_value_never_appears_in_errors() {
    const CANARY: &str = "sk_test_CANARY51Hx9";
    let server = Server::start(vec![Reply::status(400).body(&format!(
        r#"{{"error":{{"message":"Invalid API Key provided: Bearer {CANARY}"}}}}"#
    ))])
    .await;
    let client = HttpClient::new(HttpConfig {
        auth: Auth::Bearer(Secret::new(CANARY)),
        retry: fast_retries(),
        ..HttpConfig::default()
    })
    .unwrap();
    let error = client
        .send(RequestSpec::get(
            "stripe: list customers",
            server.url("/v1/customers"),
        ))
        .await
        .unwrap_err();
    assert_eq!(
        server.seen()[0].header("authorization"),
        Some(format!("Bearer {CANARY}"))
    );
    for shown in [
        format!("{error}"),
        format!("{error:?}"),
        format!("{client:?}"),
    ] {
        assert!(!shown.contains("CANARY"), "{shown}");
    }
    assert!(
        error
            .to_string()
            .contains("Invalid API Key provided: Bearer ***")
    );
}

#[tokio::test]
async fn basic_auth_sends_the_encoded_pair() {
    let server = Server::start(vec![Reply::status(200)]).await;
    let client = HttpClient::new(HttpConfig {
        auth: Auth::Basic {
            username: "sk_test_abc".into(),
            password: None,
        },
        ..HttpConfig::default()
    })
    .unwrap();
    client
        .send(RequestSpec::get("probe", server.url("/x")))
        .await
        .unwrap();
    // base64("sk_test_abc:")
    assert_eq!(
        server.seen()[0].header("authorization").as_deref(),
        Some("Basic c2tfdGVzdF9hYmM6")
    );
}
