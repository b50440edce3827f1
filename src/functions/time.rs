//! Time (jiff): unix seconds, parsing and formatting, dates in a time zone, arithmetic.
//!
//! Time zones are IANA names. A function that turns a timestamp into a calendar date or wall
//! time uses its `tz` argument, else the pipeline's `timezone`; with neither it fails.

use jiff::civil::{Date, DateTime};
use jiff::fmt::strtime;
use jiff::tz::TimeZone;
use jiff::{Span, Timestamp};

use super::arguments::{Outcome, arg, describe, failed, int, optional_text, text};
use super::params::{
    date_result, first_arg_result, int_result, optional_string, param, signature, timestamp_result,
    union, with_default,
};
use super::spec::{Example, FunctionSpec};
use crate::check::{Fallibility, Type};
use crate::value::Value;
use crate::value::{CallArgs, FunctionError};

fn spec(
    mut signature: crate::check::Signature,
    needs_timezone: bool,
    doc: &'static str,
    examples: &'static [Example],
    call: fn(&mut CallArgs) -> Outcome,
) -> FunctionSpec {
    signature.needs_timezone = needs_timezone;
    FunctionSpec {
        signature,
        family: "time",
        doc,
        examples,
        call,
    }
}

fn instant_or_date() -> Type {
    union(&[Type::Timestamp, Type::Date])
}

pub fn specs() -> Vec<FunctionSpec> {
    use Fallibility::{Fallible, Infallible};
    vec![
        spec(
            signature(
                "from_unix",
                vec![param("seconds", Type::Int)],
                timestamp_result,
                Infallible,
            ),
            false,
            "The instant `seconds` after 1970-01-01T00:00:00Z, as Stripe writes `created`. \
             Seconds outside years -9999..=9999 are a run-time error.",
            &[
                Example {
                    call: "from_unix(1767225600)",
                    result: Ok(r#""2026-01-01T00:00:00Z""#),
                },
                Example {
                    call: "from_unix(-1)",
                    result: Ok(r#""1969-12-31T23:59:59Z""#),
                },
            ],
            from_unix,
        ),
        spec(
            signature(
                "to_unix",
                vec![param("value", Type::Timestamp)],
                int_result,
                Infallible,
            ),
            false,
            "Whole seconds since 1970-01-01T00:00:00Z (fractions of a second are dropped, \
             rounding toward the past).",
            &[
                Example {
                    call: r#"to_unix(parse_timestamp("2026-01-01T00:00:00Z")!)"#,
                    result: Ok("1767225600"),
                },
                Example {
                    call: "to_unix(from_unix(0))",
                    result: Ok("0"),
                },
            ],
            to_unix,
        ),
        spec(
            signature("now", vec![], timestamp_result, Infallible),
            false,
            "The current instant: the run's clock, fixed by `now` in a test block so results \
             are reproducible.",
            &[
                Example {
                    call: "to_unix(now()) > 0",
                    result: Ok("true"),
                },
                Example {
                    call: "now() == now()",
                    result: Ok("true"),
                },
            ],
            now,
        ),
        spec(
            signature(
                "parse_timestamp",
                vec![
                    param("text", Type::String),
                    optional_string("format"),
                    optional_string("tz"),
                ],
                timestamp_result,
                Fallible("text that does not match the format, or a local time with no time zone"),
            ),
            false,
            "Reads an instant from text. Without a format it takes RFC 3339 / ISO 8601 \
             (`2026-01-01T09:00:00+11:00`, `...Z`, or with a `[Area/City]` annotation); a local \
             date and time with no offset (`2026-01-01T09:00:00`, or a bare date meaning \
             midnight) is read in `tz`, else the pipeline's time zone. With a strftime format \
             (`%d/%m/%Y %H:%M`), the same rule applies when the format has no `%z`/`%Q`. \
             Local times skipped or repeated by a DST change resolve as the later/earlier \
             offset (jiff's compatible rule).",
            &[
                Example {
                    call: r#"parse_timestamp("2026-01-01T11:00:00+11:00")"#,
                    result: Ok(r#""2026-01-01T00:00:00Z""#),
                },
                Example {
                    call: r#"parse_timestamp("01/01/2026 11:00", "%d/%m/%Y %H:%M", tz: "Australia/Sydney")"#,
                    result: Ok(r#""2026-01-01T00:00:00Z""#),
                },
                Example {
                    call: r#"parse_timestamp("2026-07-01", tz: "Australia/Sydney")"#,
                    result: Ok(r#""2026-06-30T14:00:00Z""#),
                },
                Example {
                    call: r#"parse_timestamp("yesterday")"#,
                    result: Err("cannot read \"yesterday\" as a timestamp"),
                },
            ],
            parse_timestamp,
        ),
        spec(
            signature(
                "format_date",
                vec![
                    param("value", instant_or_date()),
                    with_default("format", Type::String, "\"%Y-%m-%d\""),
                    optional_string("tz"),
                ],
                |_| Type::String,
                Infallible,
            ),
            true,
            "Formats a timestamp (as wall time in `tz`, else the pipeline's time zone) or a date \
             with a strftime format, `%Y-%m-%d` by default. A timestamp with no time zone at \
             all, an unknown zone name, or a format that asks a date for its time is a run-time \
             error.",
            &[
                Example {
                    call: r#"format_date(from_unix(1767218400), tz: "Australia/Sydney")"#,
                    result: Ok(r#""2026-01-01""#),
                },
                Example {
                    call: r#"format_date(from_unix(1767218400), "%d/%m/%Y %H:%M", tz: "UTC")"#,
                    result: Ok(r#""31/12/2025 22:00""#),
                },
                Example {
                    call: r#"format_date(parse_date("2026-03-09")!, "%e %B %Y")"#,
                    result: Ok(r#"" 9 March 2026""#),
                },
                Example {
                    call: r#"format_date(from_unix(0), tz: "Mars/Olympus")"#,
                    result: Err("unknown time zone \"Mars/Olympus\""),
                },
            ],
            format_date,
        ),
        spec(
            signature(
                "to_date",
                vec![param("value", instant_or_date()), optional_string("tz")],
                date_result,
                Infallible,
            ),
            true,
            "The calendar date of an instant in `tz`, else the pipeline's time zone (a date is \
             returned as it is). A charge at 22:00 UTC on 31 December is on 1 January in Sydney.",
            &[
                Example {
                    call: r#"to_date(from_unix(1767218400), tz: "Australia/Sydney")"#,
                    result: Ok(r#""2026-01-01""#),
                },
                Example {
                    call: r#"to_date(from_unix(1767218400), tz: "UTC")"#,
                    result: Ok(r#""2025-12-31""#),
                },
            ],
            to_date,
        ),
        spec(
            signature(
                "parse_date",
                vec![param("text", Type::String), optional_string("format")],
                date_result,
                Fallible("text that is not a date in the format"),
            ),
            false,
            "Reads a calendar date: ISO `YYYY-MM-DD` without a format, else with a strftime \
             format such as `%d/%m/%Y`. Surrounding spaces are ignored.",
            &[
                Example {
                    call: r#"parse_date("2026-02-28")"#,
                    result: Ok(r#""2026-02-28""#),
                },
                Example {
                    call: r#"parse_date("28/02/2026", "%d/%m/%Y")"#,
                    result: Ok(r#""2026-02-28""#),
                },
                Example {
                    call: r#"parse_date("2026-02-30")"#,
                    result: Err("cannot read \"2026-02-30\" as a date"),
                },
            ],
            parse_date,
        ),
        spec(
            signature(
                "add",
                vec![
                    param("value", instant_or_date()),
                    param("duration", Type::Duration),
                ],
                first_arg_result,
                Infallible,
            ),
            false,
            "Adds an exact duration (`30s`, `5m`, `1h`, `7d`; a day is 24 hours) to a \
             timestamp, or whole days to a date. A duration with a part of a day added to a \
             date, or a result beyond year 9999, is a run-time error. For calendar days in a \
             time zone across DST changes use `add_days`.",
            &[
                Example {
                    call: "add(from_unix(0), 90m)",
                    result: Ok(r#""1970-01-01T01:30:00Z""#),
                },
                Example {
                    call: r#"add(parse_date("2026-02-27")!, 2d)"#,
                    result: Ok(r#""2026-03-01""#),
                },
                Example {
                    call: r#"add(parse_date("2026-02-27")!, 1h)"#,
                    result: Err("add: a date can only move by whole days"),
                },
            ],
            add,
        ),
        spec(
            signature(
                "add_days",
                vec![
                    param("value", instant_or_date()),
                    param("days", Type::Int),
                    optional_string("tz"),
                ],
                first_arg_result,
                Infallible,
            ),
            true,
            "Moves a date, or a timestamp's wall-clock time in `tz` (else the pipeline's time \
             zone), by calendar days: 9am stays 9am across a daylight-saving change, so a day \
             may be 23 or 25 hours. Negative days go back.",
            &[
                Example {
                    call: r#"add_days(parse_date("2026-12-31")!, 1)"#,
                    result: Ok(r#""2027-01-01""#),
                },
                Example {
                    call: r#"add_days(parse_timestamp("2026-04-03T22:00:00Z")!, 1, tz: "Australia/Sydney")"#,
                    result: Ok(r#""2026-04-04T23:00:00Z""#),
                },
                Example {
                    call: r#"add_days(parse_date("2026-03-01")!, -1)"#,
                    result: Ok(r#""2026-02-28""#),
                },
            ],
            add_days,
        ),
        spec(
            signature(
                "days_between",
                vec![param("from", Type::Date), param("to", Type::Date)],
                int_result,
                Infallible,
            ),
            false,
            "The number of days from `from` to `to`: negative when `to` is earlier.",
            &[
                Example {
                    call: r#"days_between(parse_date("2026-01-01")!, parse_date("2026-03-01")!)"#,
                    result: Ok("59"),
                },
                Example {
                    call: r#"days_between(parse_date("2026-01-02")!, parse_date("2026-01-01")!)"#,
                    result: Ok("-1"),
                },
            ],
            days_between,
        ),
        spec(
            signature(
                "start_of_month",
                vec![param("value", Type::Date)],
                date_result,
                Infallible,
            ),
            false,
            "The first day of the date's month.",
            &[
                Example {
                    call: r#"start_of_month(parse_date("2026-02-28")!)"#,
                    result: Ok(r#""2026-02-01""#),
                },
                Example {
                    call: r#"start_of_month(parse_date("2026-03-01")!)"#,
                    result: Ok(r#""2026-03-01""#),
                },
            ],
            start_of_month,
        ),
    ]
}

fn fail(message: impl Into<String>) -> FunctionError {
    failed(message)
}

/// The zone named by argument `i`, else the pipeline's.
fn zone(args: &CallArgs, i: usize, function: &str) -> Result<TimeZone, FunctionError> {
    match optional_text(args, i, function, "tz")? {
        Some(name) => TimeZone::get(name).map_err(|_| {
            fail(format!("unknown time zone {name:?} (expected an IANA name such as \"Australia/Sydney\")"))
        }),
        None => args.context.timezone.cloned().ok_or_else(|| {
            fail(format!(
                "{function}: no time zone: set `timezone` in the pipeline or pass `tz: \"Australia/Sydney\"`"
            ))
        }),
    }
}

fn timestamp(
    args: &CallArgs,
    i: usize,
    function: &str,
    param: &str,
) -> Result<Timestamp, FunctionError> {
    match arg(args, i) {
        Value::Timestamp(t) => Ok(*t),
        other => Err(fail(format!(
            "{function}: `{param}` must be a timestamp, got {}",
            describe(other)
        ))),
    }
}

fn date(args: &CallArgs, i: usize, function: &str, param: &str) -> Result<Date, FunctionError> {
    match arg(args, i) {
        Value::Date(d) => Ok(*d),
        other => Err(fail(format!(
            "{function}: `{param}` must be a date, got {}",
            describe(other)
        ))),
    }
}

fn out_of_range(function: &str) -> impl Fn(jiff::Error) -> FunctionError + '_ {
    move |e| fail(format!("{function}: result out of range: {e}"))
}

fn from_unix(args: &mut CallArgs) -> Outcome {
    let seconds = int(args, 0, "from_unix", "seconds")?;
    Timestamp::from_second(seconds)
        .map(Value::Timestamp)
        .map_err(|_| {
            fail(format!(
                "from_unix: {seconds} seconds is outside the supported years"
            ))
        })
}

fn to_unix(args: &mut CallArgs) -> Outcome {
    let t = timestamp(args, 0, "to_unix", "value")?;
    // jiff truncates toward zero; whole seconds since the epoch floor toward the past.
    Ok(Value::Int(
        t.as_second() - i64::from(t.subsec_nanosecond() < 0),
    ))
}

fn now(args: &mut CallArgs) -> Outcome {
    Ok(Value::Timestamp(args.context.now))
}

fn parse_timestamp(args: &mut CallArgs) -> Outcome {
    let input = text(args, 0, "parse_timestamp", "text")?.trim();
    let format = optional_text(args, 1, "parse_timestamp", "format")?;
    let unreadable = |why: String| fail(format!("cannot read {input:?} as a timestamp: {why}"));
    let local = match format {
        None => {
            if let Ok(t) = input.parse::<Timestamp>() {
                return Ok(Value::Timestamp(t));
            }
            if let Ok(z) = input.parse::<jiff::Zoned>() {
                return Ok(Value::Timestamp(z.timestamp()));
            }
            input.parse::<DateTime>().map_err(|_| {
                unreadable("expected RFC 3339, such as 2026-01-01T09:00:00+11:00".into())
            })?
        }
        Some(format) => {
            let parts = strtime::parse(format, input).map_err(|e| unreadable(e.to_string()))?;
            if parts.iana_time_zone().is_some() {
                let z = parts.to_zoned().map_err(|e| unreadable(e.to_string()))?;
                return Ok(Value::Timestamp(z.timestamp()));
            }
            if parts.offset().is_some() {
                let t = parts
                    .to_timestamp()
                    .map_err(|e| unreadable(e.to_string()))?;
                return Ok(Value::Timestamp(t));
            }
            parts
                .to_datetime()
                .or_else(|_| {
                    parts
                        .to_date()
                        .map(|d| d.to_datetime(jiff::civil::Time::midnight()))
                })
                .map_err(|e| unreadable(e.to_string()))?
        }
    };
    let tz = zone(args, 2, "parse_timestamp")
        .map_err(|e| unreadable(format!("it has no offset, and {}", message(&e))))?;
    local
        .to_zoned(tz)
        .map(|z| Value::Timestamp(z.timestamp()))
        .map_err(|e| unreadable(e.to_string()))
}

fn message(error: &FunctionError) -> &str {
    match error {
        FunctionError::Failed(m) | FunctionError::Skip(m) | FunctionError::Fail(m) => m,
        FunctionError::Fetch(_) => "needs an object from the API",
    }
}

fn format_date(args: &mut CallArgs) -> Outcome {
    let format = text(args, 1, "format_date", "format")?;
    let formatted = match arg(args, 0) {
        Value::Date(d) => strtime::format(format, *d),
        Value::Timestamp(t) => {
            let tz = zone(args, 2, "format_date")?;
            strtime::format(format, &t.to_zoned(tz))
        }
        other => {
            return Err(fail(format!(
                "format_date: `value` must be a timestamp or a date, got {}",
                describe(other)
            )));
        }
    };
    formatted
        .map(Value::string)
        .map_err(|e| fail(format!("format_date: cannot format with {format:?}: {e}")))
}

fn to_date(args: &mut CallArgs) -> Outcome {
    match arg(args, 0) {
        Value::Date(d) => Ok(Value::Date(*d)),
        Value::Timestamp(t) => {
            let tz = zone(args, 1, "to_date")?;
            Ok(Value::Date(t.to_zoned(tz).date()))
        }
        other => Err(fail(format!(
            "to_date: `value` must be a timestamp, got {}",
            describe(other)
        ))),
    }
}

fn parse_date(args: &mut CallArgs) -> Outcome {
    let input = text(args, 0, "parse_date", "text")?.trim();
    let parsed = match optional_text(args, 1, "parse_date", "format")? {
        None => input.parse::<Date>().map_err(|e| e.to_string()),
        Some(format) => strtime::parse(format, input)
            .and_then(|parts| parts.to_date())
            .map_err(|e| e.to_string()),
    };
    parsed
        .map(Value::Date)
        .map_err(|why| fail(format!("cannot read {input:?} as a date: {why}")))
}

fn add(args: &mut CallArgs) -> Outcome {
    let duration = match arg(args, 1) {
        Value::Duration(d) => *d,
        other => {
            return Err(fail(format!(
                "add: `duration` must be a duration, got {}",
                describe(other)
            )));
        }
    };
    match arg(args, 0) {
        Value::Timestamp(t) => t
            .checked_add(duration)
            .map(Value::Timestamp)
            .map_err(out_of_range("add")),
        Value::Date(d) => {
            if duration.as_secs() % 86_400 != 0 || duration.subsec_nanos() != 0 {
                return Err(fail(format!(
                    "add: a date can only move by whole days, not {duration:#}; use a timestamp"
                )));
            }
            d.checked_add(duration)
                .map(Value::Date)
                .map_err(out_of_range("add"))
        }
        other => Err(fail(format!(
            "add: `value` must be a timestamp or a date, got {}",
            describe(other)
        ))),
    }
}

fn add_days(args: &mut CallArgs) -> Outcome {
    let days = int(args, 1, "add_days", "days")?;
    let span = Span::new()
        .try_days(days)
        .map_err(out_of_range("add_days"))?;
    match arg(args, 0) {
        Value::Date(d) => d
            .checked_add(span)
            .map(Value::Date)
            .map_err(out_of_range("add_days")),
        Value::Timestamp(t) => {
            let tz = zone(args, 2, "add_days")?;
            t.to_zoned(tz)
                .checked_add(span)
                .map(|z| Value::Timestamp(z.timestamp()))
                .map_err(out_of_range("add_days"))
        }
        other => Err(fail(format!(
            "add_days: `value` must be a timestamp or a date, got {}",
            describe(other)
        ))),
    }
}

fn days_between(args: &mut CallArgs) -> Outcome {
    let from = date(args, 0, "days_between", "from")?;
    let to = date(args, 1, "days_between", "to")?;
    // A span between dates is in days by default, never months or years.
    let span = from.until(to).map_err(out_of_range("days_between"))?;
    Ok(Value::Int(i64::from(span.get_days())))
}

fn start_of_month(args: &mut CallArgs) -> Outcome {
    Ok(Value::Date(
        date(args, 0, "start_of_month", "value")?.first_of_month(),
    ))
}
