use crate::functions_support;

use ferry::value::Value;
use functions_support::{Setup, call, date, failure, json_of, s, show, ts};

fn sydney() -> Setup {
    Setup::in_zone("Australia/Sydney")
}

#[test]
fn unix_seconds_both_ways() {
    assert_eq!(
        json_of("from_unix", vec![Value::Int(1_767_225_600)]),
        r#""2026-01-01T00:00:00Z""#
    );
    assert_eq!(
        json_of("from_unix", vec![Value::Int(-1)]),
        r#""1969-12-31T23:59:59Z""#
    );
    assert!(failure(call("from_unix", vec![Value::Int(i64::MAX)])).contains("outside"));
    assert_eq!(
        call("to_unix", vec![ts("2026-01-01T00:00:00Z")]),
        Ok(Value::Int(1_767_225_600))
    );
    assert_eq!(
        call("to_unix", vec![ts("1969-12-31T23:59:59.5Z")]),
        Ok(Value::Int(-1))
    );
    assert_eq!(
        call("now", vec![]),
        Ok(ts("2026-01-01T00:00:00Z")),
        "the context's clock"
    );
}

#[test]
fn parse_timestamp_without_format() {
    let parse = |text: &str| json_of("parse_timestamp", vec![s(text)]);
    assert_eq!(
        parse("2026-01-01T11:00:00+11:00"),
        r#""2026-01-01T00:00:00Z""#
    );
    assert_eq!(parse(" 2026-01-01T00:00:00Z "), r#""2026-01-01T00:00:00Z""#);
    assert_eq!(
        parse("2026-01-01T11:00:00[Australia/Sydney]"),
        r#""2026-01-01T00:00:00Z""#
    );
    let local = failure(call("parse_timestamp", vec![s("2026-01-01T11:00:00")]));
    assert!(local.contains("no time zone"), "{local}");
    assert!(
        failure(call("parse_timestamp", vec![s("yesterday")]))
            .starts_with("cannot read \"yesterday\" as a timestamp")
    );
    // A local time is read in the pipeline's zone, or in tz.
    let in_pipeline = sydney().call(
        "parse_timestamp",
        vec![s("2026-07-01"), Value::Null, Value::Null],
    );
    assert_eq!(in_pipeline, Ok(ts("2026-06-30T14:00:00Z")));
    let with_tz = call(
        "parse_timestamp",
        vec![s("2026-01-01T09:00:00"), Value::Null, s("Pacific/Auckland")],
    );
    assert_eq!(with_tz, Ok(ts("2025-12-31T20:00:00Z")));
}

#[test]
fn parse_timestamp_with_format() {
    let args = |text: &str, format: &str, tz: Value| vec![s(text), s(format), tz];
    let r = call(
        "parse_timestamp",
        args("01/01/2026 11:00", "%d/%m/%Y %H:%M", s("Australia/Sydney")),
    );
    assert_eq!(r, Ok(ts("2026-01-01T00:00:00Z")));
    let r = call(
        "parse_timestamp",
        args("01/01/2026 11:00 +1100", "%d/%m/%Y %H:%M %z", Value::Null),
    );
    assert_eq!(r, Ok(ts("2026-01-01T00:00:00Z")));
    let r = sydney().call(
        "parse_timestamp",
        args("01/07/2026", "%d/%m/%Y", Value::Null),
    );
    assert_eq!(
        r,
        Ok(ts("2026-06-30T14:00:00Z")),
        "date-only formats mean midnight"
    );
    assert!(
        call(
            "parse_timestamp",
            args("01/01/2026 11:00", "%d/%m/%Y %H:%M", Value::Null)
        )
        .is_err()
    );
    assert!(call("parse_timestamp", args("2026", "%d/%m/%Y", s("UTC"))).is_err());
    assert!(
        failure(call(
            "parse_timestamp",
            args("01/01/2026", "%d/%m/%Y", s("Nowhere/City"))
        ))
        .contains("unknown time zone")
    );
}

#[test]
fn format_date_uses_tz_or_the_pipeline_zone() {
    let evening_utc = ts("2025-12-31T22:00:00Z");
    let r = call(
        "format_date",
        vec![evening_utc.clone(), s("%Y-%m-%d"), s("Australia/Sydney")],
    );
    assert_eq!(show(&r.unwrap()), r#""2026-01-01""#);
    let r = sydney().call("format_date", vec![evening_utc.clone()]);
    assert_eq!(
        show(&r.unwrap()),
        r#""2026-01-01""#,
        "default format, pipeline zone"
    );
    let r = sydney().call(
        "format_date",
        vec![evening_utc.clone(), s("%d/%m/%Y %H:%M"), s("UTC")],
    );
    assert_eq!(
        show(&r.unwrap()),
        r#""31/12/2025 22:00""#,
        "tz overrides the pipeline"
    );
    let message = failure(call("format_date", vec![evening_utc.clone()]));
    assert!(message.contains("no time zone"), "{message}");
    assert!(
        failure(call(
            "format_date",
            vec![evening_utc, s("%Y"), s("Mars/Olympus")]
        ))
        .starts_with("unknown time zone \"Mars/Olympus\"")
    );
    assert_eq!(
        json_of("format_date", vec![date("2026-03-09"), s("%e %B %Y")]),
        r#"" 9 March 2026""#
    );
    assert!(
        failure(call("format_date", vec![date("2026-03-09"), s("%H:%M")]))
            .contains("cannot format")
    );
}

#[test]
fn to_date_across_zones_and_dst() {
    let r = call(
        "to_date",
        vec![ts("2025-12-31T22:00:00Z"), s("Australia/Sydney")],
    );
    assert_eq!(r, Ok(date("2026-01-01")));
    assert_eq!(
        call("to_date", vec![ts("2025-12-31T22:00:00Z"), s("UTC")]),
        Ok(date("2025-12-31"))
    );
    // 13:30 UTC is 23:30 AEST in winter (UTC+10) but 00:30 AEDT in summer (UTC+11).
    assert_eq!(
        sydney().call("to_date", vec![ts("2026-06-30T13:30:00Z")]),
        Ok(date("2026-06-30"))
    );
    assert_eq!(
        sydney().call("to_date", vec![ts("2026-01-30T13:30:00Z")]),
        Ok(date("2026-01-31"))
    );
    assert_eq!(
        call("to_date", vec![date("2026-01-01")]),
        Ok(date("2026-01-01"))
    );
    assert!(failure(call("to_date", vec![ts("2026-01-01T00:00:00Z")])).contains("no time zone"));
}

#[test]
fn parse_date_iso_and_formats() {
    assert_eq!(
        call("parse_date", vec![s("2026-02-28")]),
        Ok(date("2026-02-28"))
    );
    assert_eq!(
        call("parse_date", vec![s("28/02/2026"), s("%d/%m/%Y")]),
        Ok(date("2026-02-28"))
    );
    assert!(
        failure(call("parse_date", vec![s("2026-02-30")]))
            .starts_with("cannot read \"2026-02-30\" as a date")
    );
    assert!(call("parse_date", vec![s("28/02/2026")]).is_err());
    assert!(call("parse_date", vec![s("")]).is_err());
}

#[test]
fn add_exact_durations() {
    let ninety = Value::Duration(jiff::SignedDuration::from_mins(90));
    assert_eq!(
        call("add", vec![ts("1970-01-01T00:00:00Z"), ninety.clone()]),
        Ok(ts("1970-01-01T01:30:00Z"))
    );
    let two_days = Value::Duration(jiff::SignedDuration::from_hours(48));
    assert_eq!(
        call("add", vec![date("2026-02-27"), two_days.clone()]),
        Ok(date("2026-03-01"))
    );
    assert_eq!(
        call("add", vec![date("2028-02-27"), two_days]),
        Ok(date("2028-02-29")),
        "leap year"
    );
    assert!(
        failure(call("add", vec![date("2026-02-27"), ninety]))
            .starts_with("add: a date can only move by whole days")
    );
    // Exact: a day is 24 hours even across Sydney's DST end (5 April 2026).
    let day = Value::Duration(jiff::SignedDuration::from_hours(24));
    assert_eq!(
        call("add", vec![ts("2026-04-03T22:00:00Z"), day]),
        Ok(ts("2026-04-04T22:00:00Z"))
    );
    let huge = Value::Duration(jiff::SignedDuration::from_hours(24 * 365 * 20_000));
    assert!(call("add", vec![ts("2026-01-01T00:00:00Z"), huge]).is_err());
}

#[test]
fn add_days_keeps_wall_time_across_dst() {
    assert_eq!(
        call("add_days", vec![date("2026-12-31"), Value::Int(1)]),
        Ok(date("2027-01-01"))
    );
    assert_eq!(
        call("add_days", vec![date("2026-03-01"), Value::Int(-1)]),
        Ok(date("2026-02-28"))
    );
    // 09:00 AEDT on 4 April, plus one calendar day, is 09:00 AEST on 5 April: 25 hours later.
    let r = sydney().call("add_days", vec![ts("2026-04-03T22:00:00Z"), Value::Int(1)]);
    assert_eq!(r, Ok(ts("2026-04-04T23:00:00Z")));
    // And back into daylight saving on 4 October 2026: 23 hours.
    let r = call(
        "add_days",
        vec![
            ts("2026-10-02T23:00:00Z"),
            Value::Int(1),
            s("Australia/Sydney"),
        ],
    );
    assert_eq!(r, Ok(ts("2026-10-03T22:00:00Z")));
    assert!(
        failure(call(
            "add_days",
            vec![ts("2026-01-01T00:00:00Z"), Value::Int(1)]
        ))
        .contains("no time zone")
    );
    assert!(call("add_days", vec![date("2026-01-01"), Value::Int(i64::MAX)]).is_err());
}

#[test]
fn days_between_and_start_of_month() {
    assert_eq!(
        call("days_between", vec![date("2026-01-01"), date("2026-03-01")]),
        Ok(Value::Int(59))
    );
    assert_eq!(
        call("days_between", vec![date("2028-01-01"), date("2028-03-01")]),
        Ok(Value::Int(60))
    );
    assert_eq!(
        call("days_between", vec![date("2026-01-02"), date("2026-01-01")]),
        Ok(Value::Int(-1))
    );
    assert_eq!(
        call("days_between", vec![date("2026-01-01"), date("2027-01-01")]),
        Ok(Value::Int(365))
    );
    assert_eq!(
        call("start_of_month", vec![date("2026-02-28")]),
        Ok(date("2026-02-01"))
    );
    assert_eq!(
        call("start_of_month", vec![date("2026-03-01")]),
        Ok(date("2026-03-01"))
    );
    assert!(call("start_of_month", vec![Value::Null]).is_err());
}
