//! Fixed-window request counting, the way Capsule and Business Central meter callers.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Counts requests per caller (a token) in fixed windows of `window` length.
#[derive(Debug)]
pub struct RateWindows {
    limit: u32,
    window: Duration,
    callers: Mutex<HashMap<String, Window>>,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    started: Instant,
    reset_epoch: u64,
    used: u32,
}

/// The outcome of counting one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allowance {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    /// When the window resets, in seconds since the Unix epoch.
    pub reset_epoch: u64,
    /// Whole seconds until the window resets (at least 1).
    pub retry_after: u64,
}

impl RateWindows {
    pub fn new(limit: u32, window: Duration) -> Self {
        Self {
            limit,
            window,
            callers: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one request by `caller` and says whether it is within the limit.
    pub fn take(&self, caller: &str) -> Allowance {
        let now = Instant::now();
        let mut callers = self.callers.lock().unwrap_or_else(|e| e.into_inner());
        let window = callers.entry(caller.to_string()).or_insert_with(|| Window {
            started: now,
            reset_epoch: epoch_after(self.window),
            used: 0,
        });
        if now.duration_since(window.started) >= self.window {
            *window = Window {
                started: now,
                reset_epoch: epoch_after(self.window),
                used: 0,
            };
        }
        let allowed = window.used < self.limit;
        if allowed {
            window.used += 1;
        }
        let left = self
            .window
            .saturating_sub(now.duration_since(window.started));
        Allowance {
            allowed,
            limit: self.limit,
            remaining: self.limit - window.used,
            reset_epoch: window.reset_epoch,
            retry_after: left.as_secs_f64().ceil().max(1.0) as u64,
        }
    }
}

fn epoch_after(window: Duration) -> u64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    (now + window).as_secs_f64().ceil() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_caller_and_refuses_past_the_limit() {
        let windows = RateWindows::new(2, Duration::from_secs(60));
        assert_eq!(windows.take("a").remaining, 1);
        assert_eq!(windows.take("a").remaining, 0);
        let third = windows.take("a");
        assert!(!third.allowed);
        assert_eq!(third.remaining, 0);
        assert!(third.retry_after >= 1 && third.retry_after <= 60);
        assert!(windows.take("b").allowed);
    }

    #[test]
    fn a_new_window_starts_after_the_old_one_ends() {
        let windows = RateWindows::new(1, Duration::from_millis(20));
        assert!(windows.take("a").allowed);
        assert!(!windows.take("a").allowed);
        std::thread::sleep(Duration::from_millis(30));
        assert!(windows.take("a").allowed);
    }
}
