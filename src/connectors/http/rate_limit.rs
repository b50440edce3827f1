//! Request pacing per connection: a fixed quota matching the real API's limit, and the
//! server's own `X-RateLimit-*` budget (Capsule) when it reports one.
//!
//! The quota is kept in the process (governor) unless the connection draws from a
//! [`SharedBudget`]: then every process of a fleet reserves its requests' slots from one
//! budget (a PostgreSQL store's row), so that together they stay under the API's limit.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::future::BoxFuture;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use reqwest::header::HeaderMap;

/// At most `requests` requests every `per`, spread evenly (see [`RateLimit::burst`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub requests: u32,
    pub per: Duration,
    /// The server counts requests in any window of `per` as it slides (Pronto's 30 in any
    /// minute), not per fixed window or per second: no burst, or the burst and the steady rate
    /// together overrun the window.
    pub rolling: bool,
}

/// Slack kept under a rolling window's limit, against requests that the network brings closer
/// together than they were sent.
const ROLLING_MARGIN: u32 = 100;

/// Requests are not spaced more finely than this: a timer wakes a waiting request no sooner
/// than a millisecond or so, so at thousands a second each would wait on the timer instead.
const PACING_GRAIN: Duration = Duration::from_millis(10);

/// The longest wait a server's `X-RateLimit-Reset` may impose; Capsule's window is an hour.
const MAX_RESET_WAIT: Duration = Duration::from_secs(3600);

impl RateLimit {
    pub const fn new(requests: u32, per: Duration) -> Self {
        RateLimit {
            requests,
            per,
            rolling: false,
        }
    }

    /// The same limit counted by a server over a sliding window (see [`RateLimit::rolling`]).
    pub const fn rolling(mut self) -> Self {
        self.rolling = true;
        self
    }

    /// Stripe: 25 requests/s in test mode (`sk_test_`, `rk_test_` keys), 100/s live.
    pub fn stripe(secret_key: &str) -> Self {
        if secret_key.starts_with("sk_test_") || secret_key.starts_with("rk_test_") {
            STRIPE_TEST
        } else {
            STRIPE_LIVE
        }
    }

    /// The spacing of requests and the burst allowed, or `None` when the limit is zero requests
    /// or a zero period (treated as "no limit" rather than "never").
    pub fn pace(&self) -> Option<Pace> {
        if self.requests == 0 || self.per.is_zero() {
            return None;
        }
        let interval = self.per / self.requests;
        if self.rolling {
            // One request every `per / requests`, a hundredth slower: never more than
            // `requests` in any window of `per`, however it is placed.
            let interval = interval + interval / ROLLING_MARGIN;
            return Some(Pace {
                interval: interval.max(Duration::from_nanos(1)),
                burst: NonZeroU32::MIN,
            });
        }
        Some(Pace {
            interval: interval.max(Duration::from_nanos(1)),
            burst: self.burst(),
        })
    }

    /// The governor quota of [`RateLimit::pace`].
    fn quota(&self) -> Option<Quota> {
        let pace = self.pace()?;
        Quota::with_period(pace.interval).map(|quota| quota.allow_burst(pace.burst))
    }

    /// Requests that may go at once. Per-second limits (Stripe) are enforced per second by
    /// the server, so they get no burst beyond [`PACING_GRAIN`]'s share (none at Stripe's 25 or
    /// 100 a second); windows of minutes or hours (Capsule's 4,000 an hour, Business Central's
    /// 6,000 per 5 minutes) allow one minute's share at once, so a short sync does not crawl at
    /// one request every 0.9 s. The server's own headers still cap it.
    fn burst(&self) -> NonZeroU32 {
        let minutes = self.per.as_secs() / 60;
        if minutes == 0 {
            let grain_share =
                u128::from(self.requests) * PACING_GRAIN.as_nanos() / self.per.as_nanos().max(1);
            let grain_share = u32::try_from(grain_share).unwrap_or(u32::MAX);
            return NonZeroU32::new(grain_share).unwrap_or(NonZeroU32::MIN);
        }
        let per_minute = u64::from(self.requests) / minutes;
        NonZeroU32::new(u32::try_from(per_minute).unwrap_or(u32::MAX)).unwrap_or(NonZeroU32::MIN)
    }
}

pub const STRIPE_TEST: RateLimit = RateLimit::new(25, Duration::from_secs(1));
pub const STRIPE_LIVE: RateLimit = RateLimit::new(100, Duration::from_secs(1));
pub const CAPSULE: RateLimit = RateLimit::new(4_000, Duration::from_secs(3600));
pub const BUSINESS_CENTRAL: RateLimit = RateLimit::new(6_000, Duration::from_secs(300));

/// How a limit spaces requests: one every `interval`, and up to `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pace {
    pub interval: Duration,
    pub burst: NonZeroU32,
}

impl Pace {
    /// How far ahead of its steady schedule a request may go (GCRA's tolerance): `burst - 1`
    /// intervals, so that `burst` requests may go at once and no more.
    pub fn tolerance(&self) -> Duration {
        self.interval.saturating_mul(self.burst.get() - 1)
    }
}

/// A request budget kept outside the process and shared by every process that paces the same
/// connection (the store's, when it is PostgreSQL). Implemented by the runtime, which sees the
/// store; connectors only see this trait.
pub trait SharedBudget: Send + Sync + std::fmt::Debug {
    /// Reserves the next slot of `key`'s budget at `pace`, and says how long to wait for it
    /// (zero: go now). `Ok(None)`: this budget keeps no slots (a SQLite store), the process
    /// paces alone. An error means the budget could not be reached (the database restarting).
    fn reserve<'a>(
        &'a self,
        key: &'a str,
        pace: Pace,
    ) -> BoxFuture<'a, Result<Option<Duration>, String>>;
}

/// A connection's share of a [`SharedBudget`]: the budget, and the key its slots are kept
/// under (the connection's name and account, never its secret).
#[derive(Debug, Clone)]
pub struct SharedPacing {
    pub budget: Arc<dyn SharedBudget>,
    pub key: String,
}

/// How long a request waits before it asks an unreachable shared budget again. It never goes
/// unpaced: the other processes may still be spending the budget.
const UNREACHABLE_RETRY: Duration = Duration::from_secs(1);

/// The pacing state one connection shares across every clone of its client.
#[derive(Debug)]
pub(crate) struct Pacer {
    quota: Option<DefaultDirectRateLimiter>,
    /// The fleet-wide budget, with the pace it reserves at; when it keeps slots it replaces
    /// `quota`.
    shared: Option<(SharedPacing, Pace)>,
    /// Whether the shared budget's outage was already logged (once per outage).
    unreachable_logged: AtomicBool,
    /// Set once the shared budget said it keeps no slots: it is not asked again.
    shared_absent: AtomicBool,
    /// Set when the server said its budget is spent: no request before this time.
    blocked_until: Mutex<Option<SystemTime>>,
}

impl Pacer {
    pub(crate) fn new(limit: Option<RateLimit>, shared: Option<SharedPacing>) -> Self {
        let pace = limit.and_then(|l| l.pace());
        Pacer {
            quota: limit.and_then(|l| l.quota()).map(RateLimiter::direct),
            shared: shared.zip(pace),
            unreachable_logged: AtomicBool::new(false),
            shared_absent: AtomicBool::new(false),
            blocked_until: Mutex::new(None),
        }
    }

    /// Waits until the server's budget resets and the quota (the fleet's, or else the
    /// process's) allows one more request.
    pub(crate) async fn ready(&self) {
        if let Some(wait) = self.server_wait(SystemTime::now()) {
            tokio::time::sleep(wait).await;
        }
        if self.shared_slot().await {
            return;
        }
        if let Some(quota) = &self.quota {
            quota.until_ready().await;
        }
    }

    /// Waits for a slot of the shared budget; false when there is none to draw from.
    async fn shared_slot(&self) -> bool {
        let Some((shared, pace)) = &self.shared else {
            return false;
        };
        if self.shared_absent.load(Ordering::Relaxed) {
            return false;
        }
        loop {
            match shared.budget.reserve(&shared.key, *pace).await {
                Ok(reserved) => {
                    if self.unreachable_logged.swap(false, Ordering::Relaxed) {
                        tracing::info!(budget = %shared.key, "the shared rate limit is reachable again");
                    }
                    let Some(wait) = reserved else {
                        self.shared_absent.store(true, Ordering::Relaxed);
                        return false;
                    };
                    if !wait.is_zero() {
                        tokio::time::sleep(wait).await;
                    }
                    return true;
                }
                Err(error) => {
                    if !self.unreachable_logged.swap(true, Ordering::Relaxed) {
                        tracing::warn!(
                            budget = %shared.key,
                            %error,
                            "the shared rate limit cannot be reached; requests wait for it"
                        );
                    }
                    tokio::time::sleep(UNREACHABLE_RETRY).await;
                }
            }
        }
    }

    fn server_wait(&self, now: SystemTime) -> Option<Duration> {
        let guard = self.blocked_until.lock().ok()?;
        let until = (*guard)?;
        until.duration_since(now).ok()
    }

    /// Reads `X-RateLimit-Remaining` and `X-RateLimit-Reset`; a spent budget blocks the
    /// connection until the reset time (capped at an hour against a bogus header).
    pub(crate) fn observe(&self, headers: &HeaderMap, now: SystemTime) {
        if let Some(until) = server_block(headers, now)
            && let Ok(mut guard) = self.blocked_until.lock()
        {
            *guard = Some(guard.map_or(until, |current| current.max(until)));
        }
    }

    /// The wait a spent server budget imposes, used as the delay after a 429 that carries
    /// no `Retry-After`.
    pub(crate) fn reset_wait(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
        let reset = header_u64(headers, "x-ratelimit-reset")?;
        let until = UNIX_EPOCH.checked_add(Duration::from_secs(reset))?;
        Some(
            until
                .duration_since(now)
                .unwrap_or(Duration::ZERO)
                .min(MAX_RESET_WAIT),
        )
    }
}

/// When the headers say the budget is spent, the time it comes back.
pub fn server_block(headers: &HeaderMap, now: SystemTime) -> Option<SystemTime> {
    if header_u64(headers, "x-ratelimit-remaining")? > 0 {
        return None;
    }
    let wait = Pacer::reset_wait(headers, now)?;
    Some(now + wait)
}

fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(remaining: &str, reset: &str) -> HeaderMap {
        let mut map = HeaderMap::new();
        map.insert("x-ratelimit-limit", HeaderValue::from_static("4000"));
        map.insert(
            "x-ratelimit-remaining",
            HeaderValue::from_str(remaining).unwrap_or(HeaderValue::from_static("")),
        );
        map.insert(
            "x-ratelimit-reset",
            HeaderValue::from_str(reset).unwrap_or(HeaderValue::from_static("")),
        );
        map
    }

    #[test]
    fn bursts_follow_the_window() {
        let burst = |requests, per| RateLimit::new(requests, per).burst().get();
        assert_eq!(burst(25, Duration::from_secs(1)), 1, "Stripe test mode");
        assert_eq!(burst(100, Duration::from_secs(1)), 1, "Stripe live mode");
        assert_eq!(
            burst(100_000, Duration::from_secs(1)),
            1_000,
            "10 ms' share"
        );
        assert_eq!(burst(4_000, Duration::from_secs(3_600)), 66, "Capsule");
        assert_eq!(
            burst(6_000, Duration::from_secs(300)),
            1_200,
            "Business Central"
        );
    }

    #[test]
    fn a_rolling_window_gets_even_spacing_and_no_burst() {
        let quota = RateLimit::new(30, Duration::from_secs(60))
            .rolling()
            .quota()
            .unwrap();
        assert_eq!(quota.burst_size().get(), 1);
        assert_eq!(quota.replenish_interval(), Duration::from_millis(2_020));
    }

    #[test]
    fn a_shared_budget_keeps_the_local_pace_and_burst() {
        let pace = |limit: RateLimit| {
            let pace = limit.pace().unwrap();
            (pace.interval, pace.tolerance())
        };
        let second = Duration::from_secs(1);
        assert_eq!(
            pace(STRIPE_TEST),
            (Duration::from_millis(40), Duration::ZERO),
            "Stripe: one every 40 ms, none ahead"
        );
        assert_eq!(
            pace(STRIPE_LIVE),
            (Duration::from_millis(10), Duration::ZERO)
        );
        assert_eq!(
            pace(CAPSULE),
            (Duration::from_millis(900), Duration::from_millis(900) * 65),
            "Capsule: a minute's share (66) at once"
        );
        assert_eq!(
            pace(RateLimit::new(30, 60 * second).rolling()),
            (Duration::from_millis(2_020), Duration::ZERO)
        );
        assert_eq!(
            pace(RateLimit::new(100_000, second)),
            (Duration::from_micros(10), Duration::from_micros(10) * 999)
        );
        assert_eq!(RateLimit::new(0, second).pace(), None);
    }

    /// A shared budget that fails `failures` times, then answers `answer`; it counts the asks.
    #[derive(Debug)]
    struct FakeBudget {
        failures: std::sync::atomic::AtomicU32,
        asked: std::sync::atomic::AtomicU32,
        answer: Option<Duration>,
    }

    impl FakeBudget {
        fn new(failures: u32, answer: Option<Duration>) -> Arc<FakeBudget> {
            Arc::new(FakeBudget {
                failures: failures.into(),
                asked: 0.into(),
                answer,
            })
        }
    }

    impl SharedBudget for FakeBudget {
        fn reserve<'a>(
            &'a self,
            _key: &'a str,
            _pace: Pace,
        ) -> BoxFuture<'a, Result<Option<Duration>, String>> {
            self.asked.fetch_add(1, Ordering::Relaxed);
            let failing = self
                .failures
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
                .is_ok();
            let answer = self.answer;
            Box::pin(async move {
                if failing {
                    Err("connection refused".to_string())
                } else {
                    Ok(answer)
                }
            })
        }
    }

    fn paced_by(budget: &Arc<FakeBudget>) -> Pacer {
        let shared = SharedPacing {
            budget: budget.clone(),
            key: "stripe:abc".into(),
        };
        Pacer::new(Some(STRIPE_TEST), Some(shared))
    }

    #[tokio::test]
    async fn an_unreachable_shared_budget_is_waited_for_never_skipped() {
        let budget = FakeBudget::new(1, Some(Duration::ZERO));
        let pacer = paced_by(&budget);
        let started = std::time::Instant::now();
        pacer.ready().await;
        assert!(started.elapsed() >= UNREACHABLE_RETRY);
        assert_eq!(budget.asked.load(Ordering::Relaxed), 2);
    }

    #[tokio::test]
    async fn a_store_without_a_budget_is_asked_once_then_the_process_paces() {
        let budget = FakeBudget::new(0, None);
        let pacer = paced_by(&budget);
        let started = std::time::Instant::now();
        for _ in 0..3 {
            pacer.ready().await;
        }
        assert_eq!(budget.asked.load(Ordering::Relaxed), 1);
        // The local quota: three requests at 25 a second take two intervals.
        assert!(started.elapsed() >= Duration::from_millis(75));
    }

    #[test]
    fn defaults_match_the_real_apis() {
        assert_eq!(RateLimit::stripe("sk_test_abc"), STRIPE_TEST);
        assert_eq!(RateLimit::stripe("sk_live_abc"), STRIPE_LIVE);
        assert_eq!(STRIPE_TEST.requests, 25);
        assert_eq!(CAPSULE, RateLimit::new(4_000, Duration::from_secs(3_600)));
        assert_eq!(
            BUSINESS_CENTRAL,
            RateLimit::new(6_000, Duration::from_secs(300))
        );
        assert!(RateLimit::new(0, Duration::from_secs(1)).quota().is_none());
    }

    #[test]
    fn a_spent_budget_blocks_until_reset() {
        let now = UNIX_EPOCH + Duration::from_secs(1_000);
        assert_eq!(
            server_block(&headers("0", "1005"), now),
            Some(UNIX_EPOCH + Duration::from_secs(1_005))
        );
        assert_eq!(server_block(&headers("3", "1005"), now), None);
        assert_eq!(server_block(&headers("0", "junk"), now), None);
        // A reset in the past blocks nothing; one far ahead is capped.
        assert_eq!(server_block(&headers("0", "900"), now), Some(now));
        assert_eq!(
            server_block(&headers("0", "99999999"), now),
            Some(now + MAX_RESET_WAIT)
        );
    }

    #[test]
    fn the_pacer_remembers_the_block() {
        let pacer = Pacer::new(None, None);
        let now = SystemTime::now();
        let reset = now
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() + 2)
            .unwrap_or(0);
        pacer.observe(&headers("0", &reset.to_string()), now);
        let wait = pacer.server_wait(now).unwrap_or_default();
        assert!(wait > Duration::from_secs(1) && wait <= Duration::from_secs(2));
    }
}
