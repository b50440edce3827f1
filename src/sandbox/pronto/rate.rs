//! Pronto's limit: so many calls in any 60 seconds (a rolling window, unlike the fixed windows
//! of `sandbox/rate_window.rs`), timed by the emulator's clock so tests can move past it.

use std::collections::VecDeque;
use std::sync::Mutex;

use jiff::{SignedDuration, Timestamp};

const WINDOW: SignedDuration = SignedDuration::from_secs(60);

#[derive(Debug)]
pub struct RollingLimit {
    /// Calls a minute; 0 is no limit.
    per_minute: u32,
    /// When each call in the last minute was let through, oldest first.
    recent: Mutex<VecDeque<Timestamp>>,
}

impl RollingLimit {
    pub fn new(per_minute: u32) -> Self {
        RollingLimit {
            per_minute,
            recent: Mutex::new(VecDeque::new()),
        }
    }

    /// Counts a call made at `now`, or refuses it with the whole seconds until one is free.
    /// A refused call is not counted, so a client that waits as told gets through.
    pub fn take(&self, now: Timestamp) -> Result<(), u64> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        while recent
            .front()
            .is_some_and(|&at| now.duration_since(at) >= WINDOW)
        {
            recent.pop_front();
        }
        if recent.len() < self.per_minute as usize {
            recent.push_back(now);
            return Ok(());
        }
        let oldest = recent.front().copied().unwrap_or(now);
        let wait = WINDOW - now.duration_since(oldest);
        let seconds = wait.as_secs() + i64::from(wait.subsec_nanos() > 0);
        Err(seconds.max(1) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_is_free_again_a_minute_after_the_oldest() {
        let limit = RollingLimit::new(2);
        let start: Timestamp = "2025-01-01T00:00:00Z".parse().unwrap();
        let later = |s: i64| start.checked_add(SignedDuration::from_millis(s)).unwrap();
        assert_eq!(limit.take(start), Ok(()));
        assert_eq!(limit.take(later(10_000)), Ok(()));
        assert_eq!(limit.take(later(20_500)), Err(40));
        assert_eq!(limit.take(later(60_000)), Ok(()));
        assert_eq!(limit.take(later(60_001)), Err(10));
        assert!(RollingLimit::new(0).take(start).is_ok());
    }
}
