//! Test-mode rate limit: a token bucket per API key (25 requests/s by default), full to start
//! with: a second's worth of requests may come at once, and then one every `1/rate` seconds.

use std::collections::HashMap;
use std::time::{Duration, Instant};

pub struct Limiter {
    per_second: f64,
    buckets: HashMap<String, (f64, Instant)>,
    traffic: Traffic,
}

/// What the limiter let through and refused, every key together: for tests of how close a
/// client keeps to the limit.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Traffic {
    pub accepted: u64,
    /// Requests answered 429 `rate_limit`.
    pub rate_limited: u64,
    /// When the first and the last accepted request arrived.
    pub first: Option<Instant>,
    pub last: Option<Instant>,
}

impl Traffic {
    /// Accepted requests per second from the first to the last accepted one; `None` before two.
    pub fn busy_rate(&self) -> Option<f64> {
        let busy = self.last?.checked_duration_since(self.first?)?;
        (busy > Duration::ZERO && self.accepted > 1)
            .then(|| (self.accepted - 1) as f64 / busy.as_secs_f64())
    }
}

impl Limiter {
    pub fn new(per_second: u32) -> Self {
        Limiter {
            per_second: f64::from(per_second.max(1)),
            buckets: HashMap::new(),
            traffic: Traffic::default(),
        }
    }

    pub fn traffic(&self) -> Traffic {
        self.traffic
    }

    /// Takes one token for `key`; false when the bucket is empty.
    pub fn allow(&mut self, key: &str) -> bool {
        let now = Instant::now();
        let capacity = self.per_second;
        let (tokens, last) = self
            .buckets
            .entry(key.to_string())
            .or_insert((capacity, now));
        let refilled = *tokens + now.duration_since(*last).as_secs_f64() * capacity;
        *tokens = refilled.min(capacity);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            self.traffic.accepted += 1;
            self.traffic.first.get_or_insert(now);
            self.traffic.last = Some(now);
            true
        } else {
            self.traffic.rate_limited += 1;
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bursts_up_to_the_rate_then_refuses() {
        let mut limiter = Limiter::new(25);
        let allowed = (0..40).filter(|_| limiter.allow("sk_test_a")).count();
        assert!((25..=26).contains(&allowed), "{allowed}");
        assert!(limiter.allow("sk_test_b"), "buckets are per key");
        let traffic = limiter.traffic();
        assert_eq!(traffic.accepted + traffic.rate_limited, 41);
        assert_eq!(traffic.accepted as usize, allowed + 1);
    }
}
