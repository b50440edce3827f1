//! Rate limits: the real APIs' defaults per connection kind, and `{ requests, per }` overrides.

use std::time::Duration;

use super::Kind;

/// At most `requests` requests in every window of length `per`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    pub requests: u32,
    pub per: Duration,
}

impl RateLimit {
    pub const fn new(requests: u32, per: Duration) -> Self {
        RateLimit { requests, per }
    }

    /// Requests per second, for comparing limits with different windows.
    pub fn per_second(&self) -> f64 {
        f64::from(self.requests) / self.per.as_secs_f64().max(f64::MIN_POSITIVE)
    }
}

impl std::fmt::Display for RateLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} per {}", self.requests, format_duration(self.per))
    }
}

const SECOND: Duration = Duration::from_secs(1);
const MINUTE: Duration = Duration::from_secs(60);

/// The documented limit of each API (see `/docs/project.md`). Stripe allows 100 requests a
/// second with a live key and 25 in test mode; `credential` is the API key when known. Local
/// files have no limit.
pub fn default_rate_limit(kind: Kind, credential: Option<&str>) -> Option<RateLimit> {
    match kind {
        Kind::Stripe => {
            let live = credential.is_some_and(is_live_stripe_key);
            Some(RateLimit::new(if live { 100 } else { 25 }, SECOND))
        }
        Kind::Capsule => Some(RateLimit::new(4000, 60 * MINUTE)),
        Kind::BusinessCentral => Some(RateLimit::new(6000, 5 * MINUTE)),
        // Unverified: Syspro's e.net service publishes no limit; stay gentle.
        Kind::Syspro => Some(RateLimit::new(10, SECOND)),
        Kind::Pronto => Some(RateLimit::new(30, MINUTE)),
        Kind::File => None,
    }
}

/// The highest documented limit of a kind, whatever the credential: overrides above it draw a
/// warning.
pub(super) fn documented_ceiling(kind: Kind) -> Option<RateLimit> {
    match kind {
        Kind::Stripe => Some(RateLimit::new(100, SECOND)),
        other => default_rate_limit(other, None),
    }
}

/// Stripe live-mode secret and restricted keys.
pub fn is_live_stripe_key(key: &str) -> bool {
    key.starts_with("sk_live_") || key.starts_with("rk_live_")
}

/// Parses `1s`, `30s`, `1m`, `5m`, `1h`: a positive whole number and a unit.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (digits, unit) = text.split_at(split);
    let amount: u64 = digits.parse().ok().filter(|n| *n > 0)?;
    let seconds = match unit {
        "ms" => return Some(Duration::from_millis(amount)),
        "s" => amount,
        "m" => amount.checked_mul(60)?,
        "h" => amount.checked_mul(3600)?,
        _ => return None,
    };
    Some(Duration::from_secs(seconds))
}

pub fn format_duration(duration: Duration) -> String {
    let secs = duration.as_secs();
    if duration.subsec_millis() != 0 || secs == 0 {
        format!("{}ms", duration.as_millis())
    } else if secs.is_multiple_of(3600) {
        format!("{}h", secs / 3600)
    } else if secs.is_multiple_of(60) {
        format!("{}m", secs / 60)
    } else {
        format!("{secs}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1s"), Some(SECOND));
        assert_eq!(parse_duration("5m"), Some(5 * MINUTE));
        assert_eq!(parse_duration("1h"), Some(60 * MINUTE));
        assert_eq!(parse_duration("250ms"), Some(Duration::from_millis(250)));
        for bad in [
            "",
            "0s",
            "s",
            "5",
            "1d",
            "-1s",
            "1.5s",
            "99999999999999999999h",
        ] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
        assert_eq!(format_duration(5 * MINUTE), "5m");
    }

    #[test]
    fn defaults_follow_the_real_apis() {
        let stripe_test = default_rate_limit(Kind::Stripe, Some("sk_test_x"));
        assert_eq!(stripe_test, Some(RateLimit::new(25, SECOND)));
        let stripe_live = default_rate_limit(Kind::Stripe, Some("sk_live_x"));
        assert_eq!(stripe_live, Some(RateLimit::new(100, SECOND)));
        assert_eq!(
            default_rate_limit(Kind::Capsule, None),
            Some(RateLimit::new(4000, Duration::from_secs(3600)))
        );
        assert_eq!(
            default_rate_limit(Kind::BusinessCentral, None),
            Some(RateLimit::new(6000, Duration::from_secs(300)))
        );
        assert_eq!(default_rate_limit(Kind::File, None), None);
    }
}
