//! What each connection saw, merged into the run's figures.

use serde_json::{Value, json};

/// An answer's meaning for the benchmark.
#[derive(Default, Clone)]
pub struct Tally {
    /// 200 with `"duplicate": false`: stored durably, then acknowledged.
    pub stored: u64,
    /// 200 with `"duplicate": true` or `"handled": false`: acknowledged, nothing new stored.
    pub other_ok: u64,
    /// Any status but 200.
    pub refused: u64,
    /// The connection broke (reset, EOF, unparsable answer).
    pub broken: u64,
    /// Microseconds from the scheduled (rate) or actual (max) send to the answer, per event.
    pub latencies_us: Vec<u64>,
    /// Rate mode: microseconds from the scheduled send to the actual send.
    pub lateness_us: Vec<u64>,
}

impl Tally {
    pub fn count(&mut self, status: Option<u16>, body: &[u8]) {
        match status {
            None => self.broken += 1,
            Some(status) if is_stored(status, body) => self.stored += 1,
            Some(200) => self.other_ok += 1,
            Some(_) => self.refused += 1,
        }
    }

    pub fn merge(&mut self, other: Tally) {
        self.stored += other.stored;
        self.other_ok += other.other_ok;
        self.refused += other.refused;
        self.broken += other.broken;
        self.latencies_us.extend(other.latencies_us);
        self.lateness_us.extend(other.lateness_us);
    }
}

/// A 200 whose body says `"duplicate": false`: the event was stored by this request.
pub fn is_stored(status: u16, body: &[u8]) -> bool {
    status == 200 && contains(body, b"\"duplicate\":false")
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

/// p50, p90, p99, p99.9 and max in milliseconds; `missing` events count as slower than all.
pub fn percentiles(samples: &mut [u64], missing: u64) -> Value {
    samples.sort_unstable();
    let total = samples.len() as u64 + missing;
    let at = |q: f64| -> Value {
        if total == 0 {
            return Value::Null;
        }
        let rank = ((q * total as f64).ceil() as u64).clamp(1, total) - 1;
        match samples.get(rank as usize) {
            Some(us) => json!(*us as f64 / 1000.0),
            None => Value::Null,
        }
    };
    json!({
        "count": samples.len(),
        "missing": missing,
        "p50_ms": at(0.50),
        "p90_ms": at(0.90),
        "p99_ms": at(0.99),
        "p999_ms": at(0.999),
        "max_ms": if missing > 0 { Value::Null } else { samples.last().map_or(Value::Null, |us| json!(*us as f64 / 1000.0)) },
    })
}
