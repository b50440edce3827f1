//! When to try a request again and how long to wait first.

use std::time::{Duration, SystemTime};

use backon::{BackoffBuilder, ExponentialBuilder};
use reqwest::header::HeaderMap;

/// How often and how patiently a request is retried.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included; 1 means never retry.
    pub max_attempts: u32,
    /// The first backoff delay; later ones double up to `max_delay`.
    pub min_delay: Duration,
    pub max_delay: Duration,
    /// No retry starts once this much time has passed since the first attempt, and a
    /// `Retry-After` that would end past it is not waited for.
    pub max_elapsed: Duration,
    /// Adds up to one delay's worth of randomness so workers do not retry in step.
    pub jitter: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            min_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_elapsed: Duration::from_secs(120),
            jitter: true,
        }
    }
}

impl RetryPolicy {
    /// One attempt only.
    pub fn never() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// The backoff delays before the second, third, ... attempt.
    pub(crate) fn delays(&self) -> impl Iterator<Item = Duration> + use<> {
        let mut builder = ExponentialBuilder::default()
            .with_min_delay(self.min_delay)
            .with_max_delay(self.max_delay.max(self.min_delay))
            .with_factor(2.0)
            .with_max_times(self.max_attempts.saturating_sub(1) as usize);
        if self.jitter {
            builder = builder.with_jitter();
        }
        builder.build()
    }
}

/// What the layer does with an answer that is not a success.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Retry,
    Fail,
}

/// Whether a failed status is worth another attempt. `retry_safe` is true when repeating the
/// request cannot apply it twice (GET, PUT, DELETE, or a POST with an Idempotency-Key).
pub fn status_verdict(status: u16, headers: &HeaderMap, retry_safe: bool) -> Verdict {
    // Stripe says explicitly whether a retry is safe and useful; its word beats the status.
    if let Some(should) = stripe_should_retry(headers) {
        return if should {
            Verdict::Retry
        } else {
            Verdict::Fail
        };
    }
    match status {
        // Rate limited: the request was refused before it ran, so repeating it is safe.
        429 => Verdict::Retry,
        // 409 is Stripe's "idempotency key in use" or lock contention; 5xx may have run.
        409 | 500..=599 if retry_safe => Verdict::Retry,
        _ => Verdict::Fail,
    }
}

fn stripe_should_retry(headers: &HeaderMap) -> Option<bool> {
    let value = headers.get("stripe-should-retry")?.to_str().ok()?.trim();
    if value.eq_ignore_ascii_case("true") {
        Some(true)
    } else if value.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// How long the server asks us to wait: `Retry-After` as seconds or as an HTTP date.
pub fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    parse_retry_after(value, now)
}

/// Parses a `Retry-After` value; a date in the past means "now".
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    if let Ok(seconds) = value.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0)
            .then(|| Duration::try_from_secs_f64(seconds).ok())
            .flatten();
    }
    // An HTTP date (IMF-fixdate) is a valid RFC 2822 date with zone "GMT".
    let when = jiff::fmt::rfc2822::parse(value).ok()?.timestamp();
    let now = jiff::Timestamp::try_from(now).ok()?;
    let wait = now.duration_until(when);
    Some(Duration::try_from(wait).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (key, value) in pairs {
            map.insert(*key, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn statuses_follow_the_rules() {
        let none = HeaderMap::new();
        assert_eq!(status_verdict(429, &none, false), Verdict::Retry);
        assert_eq!(status_verdict(503, &none, true), Verdict::Retry);
        assert_eq!(status_verdict(503, &none, false), Verdict::Fail);
        assert_eq!(status_verdict(409, &none, true), Verdict::Retry);
        assert_eq!(status_verdict(400, &none, true), Verdict::Fail);
        assert_eq!(status_verdict(404, &none, true), Verdict::Fail);
    }

    #[test]
    fn stripe_should_retry_overrides_the_status() {
        let no = headers(&[("stripe-should-retry", "false")]);
        let yes = headers(&[("stripe-should-retry", "true")]);
        assert_eq!(status_verdict(500, &no, true), Verdict::Fail);
        assert_eq!(status_verdict(400, &yes, true), Verdict::Retry);
        let junk = headers(&[("stripe-should-retry", "maybe")]);
        assert_eq!(status_verdict(400, &junk, true), Verdict::Fail);
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_480); // 07:28:00
        assert_eq!(parse_retry_after("3", now), Some(Duration::from_secs(3)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-1", now), None);
        assert_eq!(parse_retry_after("1e400", now), None);
    }

    #[test]
    fn delays_grow_and_stop_at_max_attempts() {
        let policy = RetryPolicy {
            max_attempts: 4,
            min_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(25),
            jitter: false,
            ..RetryPolicy::default()
        };
        let delays: Vec<_> = policy.delays().collect();
        assert_eq!(delays, [10, 20, 25].map(Duration::from_millis).to_vec());
        assert_eq!(RetryPolicy::never().delays().count(), 0);
    }
}
