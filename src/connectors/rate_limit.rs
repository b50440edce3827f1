//! Rate limits: a window and how many requests it allows, as each connector's descriptor gives
//! its API's documented limit and as `ferry.yaml` overrides it with `{ requests, per }`.

use std::time::Duration;

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

pub(super) const SECOND: Duration = Duration::from_secs(1);
pub(super) const MINUTE: Duration = Duration::from_secs(60);

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
}
