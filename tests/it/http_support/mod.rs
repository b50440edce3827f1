//! A scripted HTTP server on 127.0.0.1:0 for the HTTP layer's tests: it answers each request
//! with the next scripted reply (the last one repeats) and records what it saw.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use ferry::connectors::http::{HttpClient, HttpConfig, RetryPolicy};

#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub delay: Duration,
}

impl Reply {
    pub fn status(status: u16) -> Self {
        Reply {
            status,
            headers: Vec::new(),
            body: format!("{{\"status\":{status}}}"),
            delay: Duration::ZERO,
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    pub fn body(mut self, body: &str) -> Self {
        self.body = body.to_string();
        self
    }

    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

#[derive(Clone, Debug)]
pub struct Seen {
    pub uri: String,
    pub headers: HeaderMap,
    pub body: String,
    pub at: Instant,
    pub wall: SystemTime,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name)?.to_str().ok().map(str::to_string)
    }
}

#[derive(Default)]
struct Script {
    replies: Mutex<VecDeque<Reply>>,
    seen: Mutex<Vec<Seen>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

pub struct Server {
    pub base: String,
    script: Arc<Script>,
}

impl Server {
    pub async fn start(replies: Vec<Reply>) -> Server {
        let script = Arc::new(Script {
            replies: Mutex::new(replies.into()),
            ..Script::default()
        });
        let app = Router::new().fallback(answer).with_state(script.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Server { base, script }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.script.seen.lock().unwrap().clone()
    }

    pub fn max_in_flight(&self) -> usize {
        self.script.max_in_flight.load(Ordering::SeqCst)
    }
}

async fn answer(State(script): State<Arc<Script>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 1 << 20)
        .await
        .unwrap_or_default();
    let reply = {
        let mut replies = script.replies.lock().unwrap();
        if replies.len() > 1 {
            replies.pop_front()
        } else {
            replies.front().cloned()
        }
    }
    .unwrap_or_else(|| Reply::status(200));
    script.seen.lock().unwrap().push(Seen {
        uri: parts.uri.to_string(),
        headers: parts.headers.clone(),
        body: String::from_utf8_lossy(&body).into_owned(),
        at: Instant::now(),
        wall: SystemTime::now(),
    });
    let now = script.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    script.max_in_flight.fetch_max(now, Ordering::SeqCst);
    tokio::time::sleep(reply.delay).await;
    script.in_flight.fetch_sub(1, Ordering::SeqCst);
    let mut response = Response::builder().status(StatusCode::from_u16(reply.status).unwrap());
    for (name, value) in &reply.headers {
        response = response.header(name, value);
    }
    response.body(Body::from(reply.body)).unwrap()
}

/// Retries with delays of a few milliseconds so the tests stay fast.
pub fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        min_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(40),
        max_elapsed: Duration::from_secs(10),
        jitter: true,
    }
}

pub fn client(config: HttpConfig) -> HttpClient {
    HttpClient::new(HttpConfig {
        retry: fast_retries(),
        timeout: Duration::from_secs(5),
        ..config
    })
    .unwrap()
}

pub fn fast_client() -> HttpClient {
    client(HttpConfig::default())
}
