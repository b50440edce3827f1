//! The front page's chart: records read, audit entries written and records dead-lettered per
//! hour over the last day, as an inline SVG (no script, nothing fetched).

use jiff::{SignedDuration, Timestamp};

use crate::store::HourActivity;

/// Hours shown, the newest last.
pub const HOURS: i64 = 24;

const BAR: i64 = 6;
const HOUR_WIDTH: i64 = 3 * BAR + 6;
const HEIGHT: i64 = 120;
const LABELS: i64 = 16;

/// The first hour the chart shows, for the store's query.
pub fn since(now: Timestamp) -> Timestamp {
    start_of_hour(now) - SignedDuration::from_hours(HOURS - 1)
}

fn start_of_hour(at: Timestamp) -> Timestamp {
    let hour_millis = 3_600_000;
    let millis = at.as_millisecond().div_euclid(hour_millis) * hour_millis;
    Timestamp::from_millisecond(millis).unwrap_or(at)
}

/// Three bars per hour since [`since`]`(now)`: records read, audit entries, then dead letters;
/// each hour's counts in its tooltip.
pub fn svg(activity: &[HourActivity], now: Timestamp) -> String {
    let first = since(now);
    let mut hours = vec![[0u64; 3]; HOURS as usize];
    for hour in activity {
        let index = hour.hour.duration_since(first).as_hours();
        if let Some(slot) = usize::try_from(index).ok().and_then(|i| hours.get_mut(i)) {
            *slot = [hour.read, hour.audited, hour.dead_lettered];
        }
    }
    let most = hours.iter().flatten().copied().max().unwrap_or(0).max(1);
    // A count too small to show at this scale still gets a sliver: it is not zero.
    let height = |count: u64| {
        let scaled = u128::from(count) * (HEIGHT as u128) / u128::from(most);
        let scaled = i64::try_from(scaled).unwrap_or(HEIGHT);
        if count > 0 { scaled.max(1) } else { 0 }
    };
    let width = HOURS * HOUR_WIDTH;
    let mut svg = format!(
        "<svg class=\"chart\" width=\"{width}\" height=\"{}\" viewBox=\"0 0 {width} {}\" \
         role=\"img\" aria-label=\"Records read, audit entries and dead letters per hour, last 24 \
         hours\">",
        HEIGHT + LABELS,
        HEIGHT + LABELS
    );
    for (n, &[read, audited, dead]) in hours.iter().enumerate() {
        let n = n as i64;
        let x = n * HOUR_WIDTH;
        let start = first + SignedDuration::from_hours(n);
        let title = format!(
            "{}: {read} read, {audited} audit entries, {dead} dead-lettered",
            start.strftime("%Y-%m-%d %H:00 UTC")
        );
        let bars = [
            (0, read, "read"),
            (BAR, audited, "written"),
            (2 * BAR, dead, "dead"),
        ];
        for (offset, count, class) in bars {
            let h = height(count);
            svg.push_str(&format!(
                "<rect class=\"{class}\" x=\"{}\" y=\"{}\" width=\"{BAR}\" height=\"{h}\">\
                 <title>{title}</title></rect>",
                x + offset,
                HEIGHT - h
            ));
        }
        if n % 6 == 0 {
            svg.push_str(&format!(
                "<text x=\"{x}\" y=\"{}\">{}</text>",
                HEIGHT + LABELS - 3,
                start.strftime("%H:00")
            ));
        }
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_hour_has_its_bars_scaled_to_the_busiest() {
        let now: Timestamp = "2026-12-07T06:30:00Z".parse().unwrap();
        assert_eq!(since(now).to_string(), "2026-12-06T07:00:00Z");
        let activity = [
            HourActivity {
                hour: "2026-12-07T06:00:00Z".parse().unwrap(),
                read: 60,
                audited: 40,
                dead_lettered: 10,
            },
            HourActivity {
                hour: "2026-12-06T07:00:00Z".parse().unwrap(),
                read: 0,
                audited: 30,
                dead_lettered: 0,
            },
        ];
        let svg = svg(&activity, now);
        assert_eq!(svg.matches("<rect").count(), 72);
        assert_eq!(svg.matches("<rect class=\"read\"").count(), 24);
        // The last hour: read (the busiest, full height), written, dead-lettered.
        assert!(
            svg.contains("class=\"read\" x=\"552\" y=\"0\" width=\"6\" height=\"120\""),
            "{svg}"
        );
        assert!(
            svg.contains("class=\"written\" x=\"558\" y=\"40\" width=\"6\" height=\"80\""),
            "{svg}"
        );
        assert!(
            svg.contains("class=\"dead\" x=\"564\" y=\"100\" width=\"6\" height=\"20\""),
            "{svg}"
        );
        // The first hour: nothing read, half as many written as the busiest bar.
        assert!(
            svg.contains("class=\"read\" x=\"0\" y=\"120\" width=\"6\" height=\"0\""),
            "{svg}"
        );
        assert!(
            svg.contains("class=\"written\" x=\"6\" y=\"60\" width=\"6\" height=\"60\""),
            "{svg}"
        );
        assert!(svg.contains("2026-12-07 06:00 UTC: 60 read, 40 audit entries, 10 dead-lettered"));

        // One failure beside a thousand reads is a sliver, not nothing.
        let busy = [HourActivity {
            hour: "2026-12-07T06:00:00Z".parse().unwrap(),
            read: 1000,
            audited: 0,
            dead_lettered: 1,
        }];
        let svg = super::svg(&busy, now);
        assert!(
            svg.contains("class=\"dead\" x=\"564\" y=\"119\" width=\"6\" height=\"1\""),
            "{svg}"
        );
        assert!(
            svg.contains("class=\"written\" x=\"558\" y=\"120\" width=\"6\" height=\"0\""),
            "{svg}"
        );
    }
}
