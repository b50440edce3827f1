//! Test-mode rate limit: a token bucket per API key (25 requests/s by default).

use std::collections::HashMap;
use std::time::Instant;

pub struct Limiter {
    per_second: f64,
    buckets: HashMap<String, (f64, Instant)>,
}

impl Limiter {
    pub fn new(per_second: u32) -> Self {
        Limiter {
            per_second: f64::from(per_second.max(1)),
            buckets: HashMap::new(),
        }
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
            true
        } else {
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
    }
}
