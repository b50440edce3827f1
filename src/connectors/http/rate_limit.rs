//! Request pacing per connection: a fixed quota (governor) matching the real API's limit, and
//! the server's own `X-RateLimit-*` budget (Capsule) when it reports one.

use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

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

    /// The governor quota, or `None` when the limit is zero requests or a zero period
    /// (treated as "no limit" rather than "never").
    fn quota(&self) -> Option<Quota> {
        if self.requests == 0 || self.per.is_zero() {
            return None;
        }
        let interval = self.per / self.requests;
        if self.rolling {
            // One request every `per / requests`, a hundredth slower: never more than
            // `requests` in any window of `per`, however it is placed.
            let interval = interval + interval / ROLLING_MARGIN;
            return Quota::with_period(interval.max(Duration::from_nanos(1)));
        }
        Quota::with_period(interval.max(Duration::from_nanos(1)))
            .map(|quota| quota.allow_burst(self.burst()))
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

/// The pacing state one connection shares across every clone of its client.
#[derive(Debug)]
pub(crate) struct Pacer {
    quota: Option<DefaultDirectRateLimiter>,
    /// Set when the server said its budget is spent: no request before this time.
    blocked_until: Mutex<Option<SystemTime>>,
}

impl Pacer {
    pub(crate) fn new(limit: Option<RateLimit>) -> Self {
        Pacer {
            quota: limit.and_then(|l| l.quota()).map(RateLimiter::direct),
            blocked_until: Mutex::new(None),
        }
    }

    /// Waits until the server's budget resets and the quota allows one more request.
    pub(crate) async fn ready(&self) {
        if let Some(wait) = self.server_wait(SystemTime::now()) {
            tokio::time::sleep(wait).await;
        }
        if let Some(quota) = &self.quota {
            quota.until_ready().await;
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
        let pacer = Pacer::new(None);
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
