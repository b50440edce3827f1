//! The `reconcile:` section: reconciles that `ferry serve` runs on a schedule, each kept in
//! the store as a report (`ferry reconcile --list`, the dashboard) and told to the alerts.
//!
//! ```yaml
//! reconcile:
//!   nightly:                        # the schedule's name, the reports' origin
//!     at: "02:00"                   # every day at this time, in the project's `timezone`
//!     pipelines: [capsule_contacts_to_stripe]   # default: every pipeline served
//!     fix: false                    # true: deliver what differs again, as `--fix` does
//!   hourly:
//!     every: 1h                     # or at a fixed interval from the last one
//! ```

use std::time::Duration;

use jiff::civil::Time;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use super::parse::Parser;
use super::{Project, Spanned};
use crate::diagnostics::{Code, Diagnostic, Span};
use crate::formats::yaml::Node;

const SCHEDULE_KEYS: [&str; 4] = ["at", "every", "pipelines", "fix"];

/// One schedule as written.
#[derive(Clone, Debug)]
pub struct ReconcileSchedule {
    pub name: String,
    pub span: Span,
    pub when: When,
    /// The pipelines it reconciles; empty: every pipeline `ferry serve` serves.
    pub pipelines: Vec<Spanned<String>>,
    pub fix: bool,
}

/// When a schedule runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum When {
    /// Every day at this wall-clock time in the project's time zone.
    Daily(Time),
    /// This long after the previous run started.
    Every(Duration),
}

impl When {
    /// The first time after `after` that the schedule is due. A daily time that a change to
    /// summer time skips runs at the first moment after the gap; one that the change back
    /// repeats runs once, at its first occurrence.
    pub fn next_after(&self, after: Timestamp, zone: &TimeZone) -> Timestamp {
        match self {
            When::Every(every) => {
                let every = SignedDuration::try_from(*every).unwrap_or(SignedDuration::MAX);
                after.checked_add(every).unwrap_or(Timestamp::MAX)
            }
            When::Daily(time) => {
                let today = after.to_zoned(zone.clone()).date();
                [today, today.tomorrow().unwrap_or(today)]
                    .into_iter()
                    .filter_map(|day| day.to_datetime(*time).to_zoned(zone.clone()).ok())
                    .map(|zoned| zoned.timestamp())
                    .find(|at| *at > after)
                    .unwrap_or(Timestamp::MAX)
            }
        }
    }

    /// As written: `02:00 daily`, `every 1h`.
    pub fn describe(&self) -> String {
        match self {
            When::Daily(time) => format!("daily at {}", time.strftime("%H:%M")),
            When::Every(every) => format!(
                "every {}",
                crate::connectors::rate_limit::format_duration(*every)
            ),
        }
    }
}

impl Project {
    /// The `reconcile:` schedules, in file order.
    pub fn reconcile_schedules(&self) -> &[ReconcileSchedule] {
        &self.reconcile
    }
}

impl Parser<'_> {
    pub(super) fn reconcile(&mut self, value: &Node) -> Vec<ReconcileSchedule> {
        let mut schedules = Vec::new();
        for (name, body) in self.mapping(&["reconcile"], value) {
            if let Some(schedule) = self.schedule(name, body) {
                schedules.push(schedule);
            }
        }
        schedules
    }

    fn schedule(&mut self, name: &str, body: &Node) -> Option<ReconcileSchedule> {
        let path = ["reconcile", name];
        let span = self.doc.key(&path);
        let (mut at, mut every, mut pipelines, mut fix) = (None, None, Vec::new(), false);
        for (key, value) in self.mapping(&path, body) {
            let key_path = ["reconcile", name, key.as_str()];
            match key.as_str() {
                "at" => at = self.time_of_day(&key_path, value),
                "every" => every = self.duration(&key_path, value),
                "pipelines" => pipelines = self.names(&key_path, value),
                "fix" => fix = self.switch(&key_path, value),
                _ => self.unknown_key(&key_path, &SCHEDULE_KEYS, "in a reconcile schedule"),
            }
        }
        let given = |key: &str| matches!(body, Node::Mapping(entries) if entries.iter().any(|(k, _)| k == key));
        let (has_at, has_every) = (given("at"), given("every"));
        let when = match (at, every) {
            (Some(time), None) if !has_every => When::Daily(time),
            (None, Some(every)) if !has_at => When::Every(every),
            // Given but not valid: already reported.
            (None, None) if has_at != has_every => return None,
            _ => {
                let message = if has_at && has_every {
                    format!("reconcile schedule `{name}` has both `at` and `every`")
                } else {
                    format!("reconcile schedule `{name}` says neither `at` nor `every`")
                };
                self.push(
                    Diagnostic::new(Code::MissingConnectionSetting, span, message).with_help(
                        "give one: `at: \"02:00\"` (daily, in the project's timezone) or `every: 6h`",
                    ),
                );
                return None;
            }
        };
        Some(ReconcileSchedule {
            name: name.to_string(),
            span,
            when,
            pipelines,
            fix,
        })
    }

    fn time_of_day(&mut self, path: &[&str], value: &Node) -> Option<Time> {
        let text = self.text(path, value)?;
        let parsed = Time::strptime("%H:%M", &text.value).ok();
        if parsed.is_none() {
            self.invalid(
                path,
                format!("`{}` is not a time of day", text.value),
                "write hours and minutes on a 24-hour clock, quoted: `at: \"02:00\"`",
            );
        }
        parsed
    }

    /// A list of pipeline names, or one name.
    fn names(&mut self, path: &[&str], value: &Node) -> Vec<Spanned<String>> {
        self.one_or_many(path, value, Self::text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    /// The schedules of a project file whose `reconcile:` section is `section`, and the codes
    /// of its diagnostics.
    fn parsed(section: &str) -> (Vec<ReconcileSchedule>, Vec<&'static str>) {
        let text = format!("version: 1\nreconcile:\n{section}");
        let (project, diagnostics) = super::super::parse::parse(
            std::path::Path::new("ferry.yaml"),
            &text,
            crate::diagnostics::FileId(0),
        );
        let codes = diagnostics.iter().map(|d| d.code.as_str()).collect();
        (project.map(|p| p.reconcile).unwrap_or_default(), codes)
    }

    #[test]
    fn schedules_are_read_and_their_mistakes_are_coded() {
        let (schedules, codes) = parsed(
            "  nightly:\n    at: \"02:00\"\n    pipelines: [people, customers]\n  often:\n    every: 30m\n    fix: true\n",
        );
        assert_eq!(codes, Vec::<&str>::new());
        assert_eq!(schedules[0].when, When::Daily(Time::constant(2, 0, 0, 0)));
        let names: Vec<&str> = schedules[0]
            .pipelines
            .iter()
            .map(|p| p.value.as_str())
            .collect();
        assert_eq!(names, ["people", "customers"]);
        assert_eq!(schedules[1].when, When::Every(Duration::from_secs(1800)));
        assert!(schedules[1].fix && !schedules[0].fix);

        assert_eq!(parsed("  a:\n    at: \"2am\"\n").1, ["E0618"]);
        assert_eq!(
            parsed("  a:\n    at: \"02:00\"\n    every: 1h\n").1,
            ["E0604"]
        );
        assert_eq!(parsed("  a:\n    every: 1h\n    when: 2\n").1, ["E0601"]);
        assert_eq!(parsed("  a:\n    every: soon\n").1, ["E0618"]);
        assert_eq!(parsed("  a:\n    fix: true\n").1, ["E0604"]);
    }

    #[test]
    fn a_daily_time_is_in_the_project_s_zone_and_next_after_is_strictly_later() {
        let sydney = TimeZone::get("Australia/Sydney").unwrap();
        let two = When::Daily(Time::constant(2, 0, 0, 0));
        // 01:00 in Sydney (UTC+11 in December): due an hour later, the same day.
        assert_eq!(
            two.next_after(at("2026-12-06T14:00:00Z"), &sydney),
            at("2026-12-06T15:00:00Z")
        );
        // At 02:00 exactly: tomorrow's.
        assert_eq!(
            two.next_after(at("2026-12-06T15:00:00Z"), &sydney),
            at("2026-12-07T15:00:00Z")
        );
        assert_eq!(
            two.next_after(at("2026-12-06T15:00:00Z"), &TimeZone::UTC),
            at("2026-12-07T02:00:00Z")
        );
    }

    #[test]
    fn a_time_that_summer_time_skips_runs_after_the_gap() {
        // Sydney skips 02:00-03:00 on 2026-10-04.
        let sydney = TimeZone::get("Australia/Sydney").unwrap();
        let half_two = When::Daily(Time::constant(2, 30, 0, 0));
        let due = half_two.next_after(at("2026-10-03T14:00:00Z"), &sydney);
        assert_eq!(due, at("2026-10-03T16:30:00Z"), "03:30 AEDT");
    }

    #[test]
    fn an_interval_counts_from_the_last_run() {
        let hourly = When::Every(Duration::from_secs(3600));
        assert_eq!(
            hourly.next_after(at("2026-12-06T14:10:00Z"), &TimeZone::UTC),
            at("2026-12-06T15:10:00Z")
        );
        assert_eq!(hourly.describe(), "every 1h");
        assert_eq!(
            When::Daily(Time::constant(2, 0, 0, 0)).describe(),
            "daily at 02:00"
        );
    }
}
