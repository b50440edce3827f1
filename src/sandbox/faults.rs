//! Fault injection for the sandbox: a spec such as
//! `500=0.2,503=0.05,429=0.05,drop=0.02,lost=0.01,slow=0.01:2s,seed=7` says how often each
//! request fails
//! and how. Each request draws one number from a seeded generator, so a seed makes the pattern
//! of faults reproducible for the same sequence of requests.

use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::connection::ConnectionControl;

/// One way a request can fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Answer 500 with the system's error body.
    InternalError,
    /// Answer 503 with the system's error body.
    Unavailable,
    /// Answer 429 with `Retry-After: 1`.
    RateLimited,
    /// Cut the connection without answering.
    Drop,
    /// Carry the request out, then cut the connection before the answer: the client cannot
    /// tell whether its write happened.
    Lost,
    /// Answer normally after a delay.
    Slow(Duration),
}

/// A parsed `--faults` spec: each fault with its probability, and an optional seed.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FaultSpec {
    pub faults: Vec<(Fault, f64)>,
    pub seed: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FaultSpecError {
    #[error("fault spec part `{part}` is not `name=probability`")]
    NotAnAssignment { part: String },
    #[error(
        "fault spec part `{part}`: unknown fault `{name}` (expected 500, 503, 429, drop, lost, slow or seed)"
    )]
    UnknownFault { part: String, name: String },
    #[error("fault spec part `{part}`: probability `{value}` is not a number between 0 and 1")]
    BadProbability { part: String, value: String },
    #[error(
        "fault spec part `{part}`: slow needs a delay such as `slow=0.01:2s` (units ms, s or m)"
    )]
    BadDelay { part: String },
    #[error("fault spec part `{part}`: seed `{value}` is not a whole number")]
    BadSeed { part: String, value: String },
    #[error("fault spec part `{part}`: `{name}` is given twice")]
    Repeated { part: String, name: String },
    #[error("fault spec probabilities add up to {total}, more than 1")]
    TooLikely { total: f64 },
}

impl FromStr for FaultSpec {
    type Err = FaultSpecError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut spec = FaultSpec::default();
        let mut seen: Vec<String> = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let Some((name, value)) = part.split_once('=') else {
                return Err(FaultSpecError::NotAnAssignment { part: part.into() });
            };
            let (name, value) = (name.trim().to_ascii_lowercase(), value.trim());
            if seen.contains(&name) {
                return Err(FaultSpecError::Repeated {
                    part: part.into(),
                    name,
                });
            }
            seen.push(name.clone());
            if name == "seed" {
                let seed = value.parse().map_err(|_| FaultSpecError::BadSeed {
                    part: part.into(),
                    value: value.into(),
                })?;
                spec.seed = Some(seed);
                continue;
            }
            let (probability, delay) = match value.split_once(':') {
                Some((p, d)) => (p, Some(d)),
                None => (value, None),
            };
            let fault = match (name.as_str(), delay) {
                ("500", None) => Fault::InternalError,
                ("503", None) => Fault::Unavailable,
                ("429", None) => Fault::RateLimited,
                ("drop", None) => Fault::Drop,
                ("lost", None) => Fault::Lost,
                ("slow", Some(delay)) => Fault::Slow(
                    parse_delay(delay).ok_or(FaultSpecError::BadDelay { part: part.into() })?,
                ),
                ("slow", None) => return Err(FaultSpecError::BadDelay { part: part.into() }),
                ("500" | "503" | "429" | "drop" | "lost", Some(_)) => {
                    return Err(FaultSpecError::BadProbability {
                        part: part.into(),
                        value: value.into(),
                    });
                }
                _ => {
                    return Err(FaultSpecError::UnknownFault {
                        part: part.into(),
                        name,
                    });
                }
            };
            let probability = probability
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|p| (0.0..=1.0).contains(p))
                .ok_or_else(|| FaultSpecError::BadProbability {
                    part: part.into(),
                    value: probability.trim().into(),
                })?;
            spec.faults.push((fault, probability));
        }
        let total: f64 = spec.faults.iter().map(|(_, p)| p).sum();
        if total > 1.0 + 1e-9 {
            return Err(FaultSpecError::TooLikely { total });
        }
        Ok(spec)
    }
}

fn parse_delay(text: &str) -> Option<Duration> {
    let text = text.trim();
    let (digits, scale) = if let Some(d) = text.strip_suffix("ms") {
        (d, 0.001)
    } else if let Some(d) = text.strip_suffix('s') {
        (d, 1.0)
    } else if let Some(d) = text.strip_suffix('m') {
        (d, 60.0)
    } else {
        return None;
    };
    let amount: f64 = digits.trim().parse().ok()?;
    if !(0.0..=3600.0).contains(&amount) {
        return None;
    }
    Some(Duration::from_secs_f64(amount * scale))
}

/// Draws faults for every request of a sandbox, from one generator shared by all systems.
#[derive(Debug)]
pub struct FaultInjector {
    faults: Vec<(Fault, f64)>,
    rng: Mutex<StdRng>,
}

impl FaultInjector {
    /// The spec's own seed wins over `fallback_seed`; with neither, the pattern is random.
    pub fn new(spec: &FaultSpec, fallback_seed: Option<u64>) -> Self {
        let rng = match spec.seed.or(fallback_seed) {
            Some(seed) => StdRng::seed_from_u64(seed),
            None => StdRng::from_os_rng(),
        };
        Self {
            faults: spec.faults.clone(),
            rng: Mutex::new(rng),
        }
    }

    /// Picks the fault for the next request, if any.
    pub fn draw(&self) -> Option<Fault> {
        let roll: f64 = self.rng.lock().unwrap_or_else(|e| e.into_inner()).random();
        let mut cumulative = 0.0;
        for (fault, probability) in &self.faults {
            cumulative += probability;
            if roll < cumulative {
                return Some(*fault);
            }
        }
        None
    }
}

/// Middleware state: the shared injector and the error shape of the system it guards.
#[derive(Debug, Clone)]
pub struct FaultLayerState {
    pub injector: Arc<FaultInjector>,
    /// The system's answer to an injected status (`Emulator::error_response`).
    pub error_response: fn(StatusCode) -> Response,
}

/// axum middleware (use with `middleware::from_fn_with_state`).
pub async fn inject(
    State(state): State<FaultLayerState>,
    request: Request,
    next: Next,
) -> Response {
    match state.injector.draw() {
        None => next.run(request).await,
        Some(Fault::Slow(delay)) => {
            tokio::time::sleep(delay).await;
            next.run(request).await
        }
        Some(Fault::Drop) => {
            match request.extensions().get::<ConnectInfo<ConnectionControl>>() {
                Some(ConnectInfo(control)) => {
                    control.sever();
                    (state.error_response)(StatusCode::INTERNAL_SERVER_ERROR)
                }
                // Served without the sandbox's listener there is no socket to cut; a 500 is the
                // nearest failure a client must also retry.
                None => (state.error_response)(StatusCode::INTERNAL_SERVER_ERROR),
            }
        }
        Some(Fault::Lost) => {
            let control = request
                .extensions()
                .get::<ConnectInfo<ConnectionControl>>()
                .map(|ConnectInfo(control)| control.clone());
            let _carried_out = next.run(request).await;
            if let Some(control) = control {
                control.sever();
            }
            (state.error_response)(StatusCode::INTERNAL_SERVER_ERROR)
        }
        Some(Fault::InternalError) => (state.error_response)(StatusCode::INTERNAL_SERVER_ERROR),
        Some(Fault::Unavailable) => (state.error_response)(StatusCode::SERVICE_UNAVAILABLE),
        Some(Fault::RateLimited) => {
            let mut response = (state.error_response)(StatusCode::TOO_MANY_REQUESTS);
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            response
        }
    }
}

/// A generic message for an injected status, for the emulators' error bodies.
pub fn status_text(status: StatusCode) -> &'static str {
    match status {
        StatusCode::TOO_MANY_REQUESTS => "Too many requests; retry later.",
        StatusCode::SERVICE_UNAVAILABLE => "The service is temporarily unavailable.",
        _ => "An internal error occurred.",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_example() {
        let spec: FaultSpec = "500=0.2,503=0.05,429=0.05,drop=0.02,slow=0.01:2s,seed=7"
            .parse()
            .unwrap();
        assert_eq!(spec.seed, Some(7));
        assert_eq!(
            spec.faults,
            vec![
                (Fault::InternalError, 0.2),
                (Fault::Unavailable, 0.05),
                (Fault::RateLimited, 0.05),
                (Fault::Drop, 0.02),
                (Fault::Slow(Duration::from_secs(2)), 0.01),
            ]
        );
    }

    #[test]
    fn errors_name_the_bad_part() {
        let cases = [
            ("500=0.2,oops", "`oops`"),
            ("404=0.1", "unknown fault `404`"),
            ("500=1.5", "`500=1.5`"),
            ("slow=0.1", "`slow=0.1`"),
            ("slow=0.1:2h", "`slow=0.1:2h`"),
            ("seed=x", "`seed=x`"),
            ("500=0.1,500=0.2", "given twice"),
            ("500=0.7,503=0.7", "more than 1"),
        ];
        for (text, needle) in cases {
            let message = text.parse::<FaultSpec>().unwrap_err().to_string();
            assert!(message.contains(needle), "{text}: {message}");
        }
    }

    #[test]
    fn the_same_seed_draws_the_same_faults() {
        let spec: FaultSpec = "500=0.3,drop=0.3,seed=11".parse().unwrap();
        let a = FaultInjector::new(&spec, None);
        let b = FaultInjector::new(&spec, Some(99));
        let draws_a: Vec<_> = (0..50).map(|_| a.draw()).collect();
        let draws_b: Vec<_> = (0..50).map(|_| b.draw()).collect();
        assert_eq!(draws_a, draws_b);
        assert!(draws_a.contains(&None) && draws_a.contains(&Some(Fault::Drop)));
    }
}
