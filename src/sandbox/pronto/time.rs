//! Pronto's two time formats, both in the tenant's zone (Australia/Sydney): `HH:MM DD-Mon-YYYY`
//! in bodies and `DD-MM-YYYY-HH-MM` in `updated_since`/`created_since`; and the emulator's
//! clock, which tests can move.

use std::sync::{LazyLock, Mutex};

use jiff::civil::DateTime;
use jiff::tz::{Offset, TimeZone};
use jiff::{SignedDuration, Timestamp};

/// The tenant's zone. The tz database is bundled, so the fallback (Sydney's standard offset)
/// is only for a build without it.
static TENANT_ZONE: LazyLock<TimeZone> = LazyLock::new(|| {
    TimeZone::get("Australia/Sydney")
        .unwrap_or_else(|_| TimeZone::fixed(Offset::constant(10)))
});

/// `"03:10 23-Jul-2025"`: minutes shown, seconds kept back.
pub fn shown(at: Timestamp) -> String {
    at.to_zoned(TENANT_ZONE.clone())
        .strftime("%H:%M %d-%b-%Y")
        .to_string()
}

/// The first instant of the minute `DD-MM-YYYY-HH-MM` names, so a record updated at any
/// second of that minute matches (the filter is inclusive at minute precision).
pub fn parse_since(parameter: &str, text: &str) -> Result<Timestamp, String> {
    let refuse = || format!("Invalid {parameter} '{text}': expected DD-MM-YYYY-HH-MM");
    let parts: Vec<&str> = text.split('-').collect();
    let widths = [2, 2, 4, 2, 2];
    if parts.len() != widths.len()
        || parts
            .iter()
            .zip(widths)
            .any(|(part, width)| part.len() != width || !part.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(refuse());
    }
    let number = |i: usize| parts[i].parse::<i16>().map_err(|_| refuse());
    let civil = DateTime::new(
        number(2)?,
        number(1)? as i8,
        number(0)? as i8,
        number(3)? as i8,
        number(4)? as i8,
        0,
        0,
    )
    .map_err(|_| refuse())?;
    civil
        .to_zoned(TENANT_ZONE.clone())
        .map(|z| z.timestamp())
        .map_err(|_| refuse())
}

/// The emulator's now: the real clock shifted by what tests set, so it keeps running from
/// wherever it was put.
#[derive(Debug, Default)]
pub struct Clock {
    shift: Mutex<SignedDuration>,
}

impl Clock {
    pub fn now(&self) -> Timestamp {
        let shift = *self.shift.lock().unwrap_or_else(|e| e.into_inner());
        let real = Timestamp::now();
        real.checked_add(shift).unwrap_or(real)
    }

    /// Makes `now()` read `at` from this moment on.
    pub fn set(&self, at: Timestamp) {
        let shift = at.duration_since(Timestamp::now());
        *self.shift.lock().unwrap_or_else(|e| e.into_inner()) = shift;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn bodies_show_sydney_minutes() {
        // 17:10:59 UTC on 22 July is 03:10 on 23 July in Sydney (AEST, +10).
        assert_eq!(shown(at("2025-07-22T17:10:59Z")), "03:10 23-Jul-2025");
        // January is daylight time (+11).
        assert_eq!(shown(at("2025-01-01T00:00:00Z")), "11:00 01-Jan-2025");
    }

    #[test]
    fn since_is_the_start_of_a_sydney_minute() {
        assert_eq!(
            parse_since("updated_since", "23-07-2025-03-10"),
            Ok(at("2025-07-22T17:10:00Z"))
        );
        for bad in ["2025-01-01", "31-02-2025-10-00", "1-1-2025-10-00", "01-01-2025-24-00", ""] {
            assert_eq!(
                parse_since("updated_since", bad),
                Err(format!(
                    "Invalid updated_since '{bad}': expected DD-MM-YYYY-HH-MM"
                ))
            );
        }
    }

    #[test]
    fn the_clock_runs_on_from_where_it_is_set() {
        let clock = Clock::default();
        clock.set(at("2025-03-01T00:00:00Z"));
        let now = clock.now();
        assert!(now >= at("2025-03-01T00:00:00Z") && now < at("2025-03-01T00:01:00Z"));
    }
}
