//! Starts the Stripe emulator on an ephemeral loopback port and talks to it like a client.

use ferry::sandbox::stripe::{StripeOptions, StripeState, router};
use reqwest::{Client, RequestBuilder, Response};
use serde_json::Value;

pub const KEY: &str = "sk_test_ferry123";

pub struct Stripe {
    pub base: String,
    pub client: Client,
    pub state: StripeState,
}

pub fn quiet() -> StripeOptions {
    StripeOptions {
        rate_limit: None,
        ..StripeOptions::default()
    }
}

pub async fn start(options: StripeOptions) -> Stripe {
    ferry::init_tls();
    let state = StripeState::new(options);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = router(state.clone());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Stripe {
        base: format!("http://{addr}"),
        client: Client::new(),
        state,
    }
}

impl Stripe {
    pub fn post(&self, path: &str, body: &str) -> RequestBuilder {
        self.client
            .post(format!("{}{path}", self.base))
            .bearer_auth(KEY)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.to_string())
    }

    pub fn get(&self, path_and_query: &str) -> RequestBuilder {
        self.client
            .get(format!("{}{path_and_query}", self.base))
            .bearer_auth(KEY)
    }

    pub fn delete(&self, path: &str) -> RequestBuilder {
        self.client
            .delete(format!("{}{path}", self.base))
            .bearer_auth(KEY)
    }
}

/// Sends and returns (status, JSON body).
pub async fn send(request: RequestBuilder) -> (u16, Value) {
    let response: Response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let body = response.json().await.unwrap();
    (status, body)
}

pub async fn ok(request: RequestBuilder) -> Value {
    let (status, body) = send(request).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// Asserts a 400-class error and returns its `error` object.
pub async fn err(request: RequestBuilder, status: u16) -> Value {
    let (got, body) = send(request).await;
    assert_eq!(got, status, "{body}");
    body["error"].clone()
}

/// A webhook endpoint on a loopback port that keeps every event it receives.
pub struct WebhookReceiver {
    pub url: String,
    received: std::sync::Arc<std::sync::Mutex<Vec<Value>>>,
}

impl WebhookReceiver {
    pub async fn start() -> WebhookReceiver {
        use axum::body::Bytes;
        use axum::extract::State;
        type Received = std::sync::Arc<std::sync::Mutex<Vec<Value>>>;
        let received: Received = Default::default();
        let app = axum::Router::new()
            .route(
                "/hook",
                axum::routing::post(|State(received): State<Received>, body: Bytes| async move {
                    let event: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    received.lock().unwrap().push(event);
                }),
            )
            .with_state(received.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        WebhookReceiver { url, received }
    }

    /// The types of the events received once there are at least `n` (or after ten seconds),
    /// sorted: delivery is unordered.
    pub async fn event_types(&self, n: usize) -> Vec<String> {
        let mut types = Vec::new();
        for _ in 0..200 {
            types = self
                .received
                .lock()
                .unwrap()
                .iter()
                .map(|e| e["type"].as_str().unwrap_or("").to_string())
                .collect();
            if types.len() >= n {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        types.sort();
        types
    }
}
