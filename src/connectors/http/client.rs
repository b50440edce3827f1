//! `HttpClient`: one per connection, cheap to clone; every clone shares the connection's rate
//! limiter, concurrency limit, token cache and counters.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue};
use tokio::sync::Semaphore;
use url::Url;

use super::auth::{
    AccessToken, Auth, ClientCredentials, Secret, TokenCache, parse_token, sensitive_header,
};
use super::error::{BuildError, Endpoint, HttpError, detail, scrub, snippet};
use super::rate_limit::{Pacer, RateLimit, SharedPacing};
use super::request::{RequestSpec, Response};
use super::retry::{RetryPolicy, Verdict, retry_after, status_verdict};

/// How one connection talks HTTP.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Whole request, connect to last body byte.
    pub timeout: Duration,
    pub connect_timeout: Duration,
    /// Requests in flight at once (at least 1).
    pub max_concurrency: usize,
    /// `None`: no client-side pacing (the server's `X-RateLimit-*` headers still count).
    pub rate_limit: Option<RateLimit>,
    /// The fleet-wide budget `rate_limit` is kept in, when processes share one; `None`: this
    /// process paces alone.
    pub shared_budget: Option<SharedPacing>,
    pub auth: Auth,
    /// Credentials the connector sends itself, outside `auth` (a session logon's query), masked
    /// out of every error like `auth`'s.
    pub masked: Vec<Secret>,
    pub retry: RetryPolicy,
    pub user_agent: String,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
            max_concurrency: 8,
            rate_limit: None,
            shared_budget: None,
            auth: Auth::None,
            masked: Vec::new(),
            retry: RetryPolicy::default(),
            user_agent: concat!("ferry/", env!("CARGO_PKG_VERSION")).to_string(),
        }
    }
}

/// Counters of one connection since its client was built.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HttpStats {
    /// Requests put on the wire (token requests included).
    pub attempts: u64,
    /// Attempts that repeated an earlier one after a failure.
    pub retries: u64,
    /// Answers with status 429.
    pub rate_limited: u64,
    /// OAuth2 token requests.
    pub token_fetches: u64,
}

#[derive(Debug, Default)]
struct Counters {
    attempts: AtomicU64,
    retries: AtomicU64,
    rate_limited: AtomicU64,
    token_fetches: AtomicU64,
}

fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

#[derive(Clone)]
pub struct HttpClient {
    inner: Arc<Inner>,
}

/// Shows the settings and counters, never the credentials.
impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClient")
            .field("auth", &self.inner.auth)
            .field("pacer", &self.inner.pacer)
            .field("retry", &self.inner.retry)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

struct Inner {
    client: reqwest::Client,
    permits: Semaphore,
    pacer: Pacer,
    auth: Auth,
    tokens: TokenCache,
    retry: RetryPolicy,
    counters: Counters,
    /// Credentials masked out of every error message.
    secrets: Vec<String>,
}

/// API requests go through auth and the connection's limits; the token endpoint does not.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Route {
    Api,
    TokenEndpoint,
}

/// An answer of any status.
struct Answer {
    status: u16,
    headers: HeaderMap,
    body: Vec<u8>,
    token: Option<Secret>,
}

/// A failure before any answer, and whether sending again is allowed.
struct Failed {
    error: HttpError,
    retryable: bool,
    /// A token fetch failed: its error already counts its own attempts.
    from_auth: bool,
}

impl HttpClient {
    pub fn new(config: HttpConfig) -> Result<Self, BuildError> {
        crate::init_tls();
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.connect_timeout)
            .user_agent(config.user_agent.as_str())
            .build()
            .map_err(|error| BuildError {
                reason: error.to_string(),
            })?;
        let mut secrets = config.auth.secrets();
        secrets.extend(config.masked.iter().map(|s| s.expose().to_string()));
        Ok(HttpClient {
            inner: Arc::new(Inner {
                client,
                permits: Semaphore::new(config.max_concurrency.max(1)),
                pacer: Pacer::new(config.rate_limit, config.shared_budget),
                auth: config.auth,
                tokens: TokenCache::default(),
                retry: config.retry,
                counters: Counters::default(),
                secrets,
            }),
        })
    }

    pub fn stats(&self) -> HttpStats {
        let c = &self.inner.counters;
        HttpStats {
            attempts: c.attempts.load(Ordering::Relaxed),
            retries: c.retries.load(Ordering::Relaxed),
            rate_limited: c.rate_limited.load(Ordering::Relaxed),
            token_fetches: c.token_fetches.load(Ordering::Relaxed),
        }
    }

    /// Sends `spec`, retrying what the policy allows; a 2xx or 3xx answer is `Ok`.
    pub async fn send(&self, spec: RequestSpec) -> Result<Response, HttpError> {
        self.execute(&spec, Route::Api).await
    }

    async fn execute(&self, spec: &RequestSpec, route: Route) -> Result<Response, HttpError> {
        let endpoint = spec.endpoint();
        let url = Url::parse(&spec.url).map_err(|error| HttpError::InvalidRequest {
            endpoint: endpoint.clone(),
            reason: format!("bad URL: {error}"),
        })?;
        let headers = spec.header_map()?;
        let started = Instant::now();
        let mut delays = self.inner.retry.delays();
        let mut attempts = 0u32;
        let mut reauthenticated = false;
        loop {
            attempts += 1;
            let (error, server_wait) = match self.attempt(spec, &url, &headers, route).await {
                Ok(answer) if answer.status < 400 => {
                    return Ok(Response {
                        status: answer.status,
                        headers: answer.headers,
                        body: answer.body,
                        endpoint,
                        attempts,
                    });
                }
                Ok(answer) => {
                    if let Some(token) = &answer.token
                        && answer.status == 401
                        && !reauthenticated
                    {
                        // The token may have been revoked early: fetch a new one, once.
                        tracing::debug!(endpoint = %endpoint, "401 with a cached token; refreshing");
                        self.inner.tokens.invalidate(token).await;
                        reauthenticated = true;
                        bump(&self.inner.counters.retries);
                        continue;
                    }
                    self.rejection(spec, &endpoint, answer, attempts)?
                }
                Err(mut failed) => {
                    if !failed.from_auth {
                        failed.error.set_attempts(attempts);
                    }
                    if !failed.retryable {
                        return Err(failed.error);
                    }
                    (failed.error, None)
                }
            };
            let Some(backoff) = delays.next() else {
                return Err(error);
            };
            let delay = server_wait.unwrap_or(backoff);
            if started.elapsed() + delay > self.inner.retry.max_elapsed {
                return Err(error);
            }
            tracing::debug!(endpoint = %endpoint, attempt = attempts, delay_ms = delay.as_millis() as u64, %error, "retrying");
            bump(&self.inner.counters.retries);
            tokio::time::sleep(delay).await;
        }
    }

    /// Turns an error answer into the error plus the server's requested wait when it is worth
    /// retrying, or `Err` when it is final.
    fn rejection(
        &self,
        spec: &RequestSpec,
        endpoint: &Endpoint,
        answer: Answer,
        attempts: u32,
    ) -> Result<(HttpError, Option<Duration>), HttpError> {
        let mut secrets = self.inner.secrets.clone();
        secrets.extend(answer.token.iter().map(|t| t.expose().to_string()));
        let error = HttpError::Status {
            endpoint: endpoint.clone(),
            status: answer.status,
            body: snippet(&answer.body, &secrets),
            attempts,
            detail: detail(&answer.body, &secrets),
        };
        let now = SystemTime::now();
        let mut wait = retry_after(&answer.headers, now);
        if answer.status == 429 {
            bump(&self.inner.counters.rate_limited);
            wait = wait.or_else(|| Pacer::reset_wait(&answer.headers, now));
        }
        match status_verdict(answer.status, &answer.headers, spec.retry_safe()) {
            Verdict::Retry => Ok((error, wait)),
            Verdict::Fail => Err(error),
        }
    }

    /// One try: credentials, a concurrency permit, the rate limiter, then the wire.
    async fn attempt(
        &self,
        spec: &RequestSpec,
        url: &Url,
        headers: &HeaderMap,
        route: Route,
    ) -> Result<Answer, Failed> {
        let endpoint = || spec.endpoint();
        let final_error = |error| Failed {
            error,
            retryable: false,
            from_auth: false,
        };
        let (authorization, token) = match route {
            Route::Api => self
                .authorization(&endpoint())
                .await
                .map_err(|error| Failed {
                    error,
                    retryable: false,
                    from_auth: true,
                })?,
            Route::TokenEndpoint => (None, None),
        };
        let _permit = match route {
            Route::Api => Some(self.inner.permits.acquire().await.map_err(|_| {
                final_error(HttpError::InvalidRequest {
                    endpoint: endpoint(),
                    reason: "the client is shutting down".into(),
                })
            })?),
            Route::TokenEndpoint => None,
        };
        if route == Route::Api {
            self.inner.pacer.ready().await;
        }
        bump(&self.inner.counters.attempts);
        let mut request = self
            .inner
            .client
            .request(spec.method.clone(), url.clone())
            .headers(headers.clone());
        if let Some(value) = authorization {
            request = request.header(AUTHORIZATION, value);
        }
        if let Some(body) = &spec.body {
            request = request
                .header(CONTENT_TYPE, body.content_type.as_str())
                .body(body.bytes.clone());
        }
        let response = request
            .send()
            .await
            .map_err(|error| self.transport_failure(error, spec))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        if route == Route::Api {
            self.inner.pacer.observe(&headers, SystemTime::now());
        }
        let body = response
            .bytes()
            .await
            .map_err(|error| self.transport_failure(error, spec))?;
        Ok(Answer {
            status,
            headers,
            body: body.to_vec(),
            token,
        })
    }

    /// Sorts a failure with no answer: a refused connection never reached the server and is
    /// always retried; a timeout or a reset may have run the request, so only retry-safe
    /// requests are sent again.
    fn transport_failure(&self, error: reqwest::Error, spec: &RequestSpec) -> Failed {
        let reason = scrub(&error_chain(&error), &self.inner.secrets);
        let endpoint = spec.endpoint();
        if error.is_connect() {
            return Failed {
                error: HttpError::Connection {
                    endpoint,
                    reason,
                    attempts: 0,
                },
                retryable: true,
                from_auth: false,
            };
        }
        let error = if error.is_timeout() {
            HttpError::Timeout {
                endpoint,
                attempts: 0,
            }
        } else {
            HttpError::Connection {
                endpoint,
                reason,
                attempts: 0,
            }
        };
        Failed {
            error,
            retryable: spec.retry_safe(),
            from_auth: false,
        }
    }

    /// The `Authorization` header for this attempt and, for OAuth2, the token it carries.
    async fn authorization(
        &self,
        endpoint: &Endpoint,
    ) -> Result<(Option<HeaderValue>, Option<Secret>), HttpError> {
        let invalid = |reason: String| HttpError::InvalidRequest {
            endpoint: endpoint.clone(),
            reason,
        };
        match &self.inner.auth {
            Auth::OAuth2(credentials) => {
                let token = self
                    .inner
                    .tokens
                    .get_or_fetch(|| self.fetch_token(credentials))
                    .await?;
                let value =
                    sensitive_header(&format!("Bearer {}", token.expose())).map_err(invalid)?;
                Ok((Some(value), Some(token)))
            }
            other => {
                let value = other.static_header().transpose().map_err(invalid)?;
                Ok((value, None))
            }
        }
    }

    /// Boxed because it re-enters `execute` (for the token endpoint route).
    fn fetch_token<'a>(
        &'a self,
        credentials: &'a ClientCredentials,
    ) -> Pin<Box<dyn Future<Output = Result<AccessToken, HttpError>> + Send + 'a>> {
        Box::pin(async move {
            let spec = RequestSpec::post("oauth2 token", credentials.token_url.as_str())
                .header("Accept", "application/json")
                .form(credentials.form())
                .idempotent(true);
            bump(&self.inner.counters.token_fetches);
            let response = self.execute(&spec, Route::TokenEndpoint).await?;
            parse_token(&response.body, Instant::now()).map_err(|reason| HttpError::Token {
                endpoint: spec.endpoint(),
                reason,
            })
        })
    }
}

/// The error and its causes, without the URL reqwest would print (it may carry a query secret).
fn error_chain(error: &reqwest::Error) -> String {
    let mut parts = Vec::new();
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(error);
    while let Some(cause) = source {
        parts.push(cause.to_string());
        source = cause.source();
    }
    if parts.is_empty() {
        parts.push(if error.is_timeout() {
            "timed out".to_string()
        } else {
            "request failed".to_string()
        });
    }
    parts.dedup();
    parts.join(": ")
}
