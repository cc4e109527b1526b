//! Date functions: `CDate`, `DateAdd`, `DateDiff`, `DateFromNum`, `NumFromDate`, `FormatDateTime` and the text form
//! `M/d/yyyy h:mm:ss tt` (UTC) that Entra's date functions return.

use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, Utc};

use super::netfmt::{format_datetime, parse_datetime_exact};
use super::Cx;
use crate::mapping::eval::EvalError;
use crate::mapping::value::Value;

/// The format Entra's date functions return.
pub const ENTRA_DATE_FORMAT: &str = "M/d/yyyy h:mm:ss tt";

/// Seconds between 1601-01-01 (Active Directory FILETIME epoch) and 1970-01-01.
const FILETIME_EPOCH_OFFSET: i64 = 11_644_473_600;

/// `dt` in Entra's date text form.
pub fn entra_text(dt: DateTime<Utc>) -> String {
    format_datetime(dt, ENTRA_DATE_FORMAT)
}

/// Parses the date forms Entra accepts: ISO 8601 with or without time and offset (`2009-06-15T01:45:30-07:00`,
/// `2020-03-16-07:00`, `2021-08-24`, `2020-12-31 23:59:59-08:00`) and Entra's own `M/d/yyyy h:mm:ss tt`.
pub fn parse_any(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Some(dt.with_timezone(&Utc));
    }
    const FORMATS: &[&str] = &[
        "yyyy-MM-ddTHH:mm:ss.FFFFFFFK",
        "yyyy-MM-dd HH:mm:ss.FFFFFFFK",
        "yyyy-MM-ddK",
        "M/d/yyyy h:mm:ss tt",
        "M/d/yyyy H:mm:ss",
        "M/d/yyyy",
        "yyyyMMddHHmmss.FFFFFFFK",
    ];
    FORMATS.iter().find_map(|f| parse_datetime_exact(s, f))
}

fn date_arg(cx: &Cx, v: &Value, param: &str) -> Result<DateTime<Utc>, EvalError> {
    match v {
        Value::Null => Err(cx.err(format_args!("`{param}` is missing"))),
        Value::Int(ticks) => from_filetime(*ticks).ok_or_else(|| cx.err(format_args!("`{param}` is out of range"))),
        other => {
            let text = other.to_text().unwrap_or_default();
            parse_any(&text).ok_or_else(|| cx.err(format_args!("`{param}` is not a date: \"{text}\"")))
        }
    }
}

fn from_filetime(ticks: i64) -> Option<DateTime<Utc>> {
    let secs = ticks.div_euclid(10_000_000) - FILETIME_EPOCH_OFFSET;
    let nanos = (ticks.rem_euclid(10_000_000) * 100) as u32;
    DateTime::from_timestamp(secs, nanos)
}

pub(super) fn cdate(cx: &Cx, v: &Value) -> Result<Value, EvalError> {
    if v.is_null() {
        return Ok(Value::Null);
    }
    Ok(Value::Str(entra_text(date_arg(cx, v, "expression")?)))
}

pub(super) fn date_add(cx: &Cx, interval: &Value, amount: &Value, date: &Value) -> Result<Value, EvalError> {
    let interval = interval.to_text().unwrap_or_default();
    let n = cx.int(amount, "value")?;
    let dt = date_arg(cx, date, "dateTime")?;
    let months = |m: i64| {
        let m = u32::try_from(m.unsigned_abs()).ok()?;
        if n >= 0 {
            dt.checked_add_months(Months::new(m))
        } else {
            dt.checked_sub_months(Months::new(m))
        }
    };
    let out = match interval.as_str() {
        "yyyy" => months(n.saturating_mul(12)),
        "q" => months(n.saturating_mul(3)),
        "m" => months(n),
        "d" | "y" | "w" => Duration::try_days(n).and_then(|d| dt.checked_add_signed(d)),
        "ww" => Duration::try_weeks(n).and_then(|d| dt.checked_add_signed(d)),
        "h" => Duration::try_hours(n).and_then(|d| dt.checked_add_signed(d)),
        "n" => Duration::try_minutes(n).and_then(|d| dt.checked_add_signed(d)),
        "s" => Duration::try_seconds(n).and_then(|d| dt.checked_add_signed(d)),
        other => return Err(unknown_interval(cx, other)),
    };
    out.map(|d| Value::Str(entra_text(d))).ok_or_else(|| cx.err("the resulting date is out of range"))
}

fn unknown_interval(cx: &Cx, interval: &str) -> EvalError {
    cx.err(format_args!("unknown interval \"{interval}\"; expected one of yyyy, q, m, d, ww, h, n, s"))
}

/// `date2 - date1` in whole units, truncated toward zero; months and years count calendar boundaries and
/// weeks count Sundays crossed, as VBA's `DateDiff` does.
pub(super) fn date_diff(cx: &Cx, interval: &Value, date1: &Value, date2: &Value) -> Result<Value, EvalError> {
    let interval = interval.to_text().unwrap_or_default();
    let d1 = date_arg(cx, date1, "date1")?;
    let d2 = date_arg(cx, date2, "date2")?;
    let span = d2 - d1;
    let week_start = |d: DateTime<Utc>| -> NaiveDate {
        let date = d.date_naive();
        date - Duration::days(i64::from(date.weekday().num_days_from_sunday()))
    };
    let n = match interval.as_str() {
        "yyyy" => i64::from(d2.year() - d1.year()),
        "q" => i64::from(d2.year() - d1.year()) * 4 + (i64::from(d2.month0() / 3) - i64::from(d1.month0() / 3)),
        "m" => i64::from(d2.year() - d1.year()) * 12 + i64::from(d2.month()) - i64::from(d1.month()),
        "d" | "y" => span.num_days(),
        "w" => span.num_days() / 7,
        "ww" => (week_start(d2) - week_start(d1)).num_days() / 7,
        "h" => span.num_hours(),
        "n" => span.num_minutes(),
        "s" => span.num_seconds(),
        other => return Err(unknown_interval(cx, other)),
    };
    Ok(Value::Int(n))
}

pub(super) fn date_from_num(cx: &Cx, v: &Value) -> Result<Value, EvalError> {
    if v.is_null() {
        return Ok(Value::Null);
    }
    let ticks = cx.int(v, "value")?;
    from_filetime(ticks).map(|d| Value::Str(entra_text(d))).ok_or_else(|| cx.err("`value` is out of range"))
}

pub(super) fn num_from_date(cx: &Cx, v: &Value) -> Result<Value, EvalError> {
    if v.is_null() {
        return Ok(Value::Null);
    }
    let dt = date_arg(cx, v, "value")?;
    let ticks = (dt.timestamp() + FILETIME_EPOCH_OFFSET)
        .checked_mul(10_000_000)
        .and_then(|t| t.checked_add(i64::from(dt.timestamp_subsec_nanos() / 100)))
        .ok_or_else(|| cx.err("`value` is out of range"))?;
    Ok(Value::Int(ticks))
}

/// `FormatDateTime(source, [dateTimeStyles], inputFormat, outputFormat)`; the three-argument form
/// (without `dateTimeStyles`) of older documentation is accepted too.
pub(super) fn format_date_time(cx: &Cx, args: &[Value]) -> Result<Value, EvalError> {
    let (source, input, output) = match args {
        [s, i, o] => (s, i, o),
        [s, _, i, o] => (s, i, o),
        _ => return Err(cx.err("expects source, [dateTimeStyles], inputFormat, outputFormat")),
    };
    let Some(text) = source.to_text() else { return Ok(Value::Null) };
    let input = input.to_text().ok_or_else(|| cx.err("`inputFormat` is missing"))?;
    let output = output.to_text().ok_or_else(|| cx.err("`outputFormat` is missing"))?;
    let dt = parse_datetime_exact(&text, &input)
        .ok_or_else(|| cx.err(format_args!("\"{text}\" does not match the input format \"{input}\"")))?;
    Ok(Value::Str(format_datetime(dt, &output)))
}

#[cfg(test)]
mod tests {
    use crate::mapping::eval::{evaluate, EvalEnv};
    use crate::mapping::parse::parse_expression;
    use crate::mapping::value::{SourceObject, Value};

    fn run(text: &str) -> Result<Value, String> {
        let (expr, errors) = parse_expression(text);
        assert!(errors.is_empty(), "{text}: {errors:?}");
        evaluate(&expr.expect("parsed"), &SourceObject::new(), &mut EvalEnv::deterministic(1)).map_err(|e| e.message)
    }

    fn s(v: &str) -> Result<Value, String> {
        Ok(Value::Str(v.to_string()))
    }

    #[test]
    fn documented_cdate_examples() {
        assert_eq!(run(r#"CDate("2020-03-16-07:00")"#), s("3/16/2020 7:00:00 AM"));
        assert_eq!(run(r#"CDate("2021-06-30+08:00")"#), s("6/29/2021 4:00:00 PM"));
        assert_eq!(run(r#"CDate("2009-06-15T01:45:30-07:00")"#), s("6/15/2009 8:45:30 AM"));
        assert_eq!(run(r#"CDate([StatusHireDate])"#), Ok(Value::Null));
        assert!(run(r#"CDate("yesterday")"#).unwrap_err().contains("not a date"));
    }

    #[test]
    fn documented_dateadd_examples() {
        let hire = r#"CDate("2012-03-16-07:00")"#;
        assert_eq!(run(&format!(r#"DateAdd("d", 7, {hire})"#)), s("3/23/2012 7:00:00 AM"));
        assert_eq!(run(&format!(r#"DateAdd("d", -10, {hire})"#)), s("3/6/2012 7:00:00 AM"));
        assert_eq!(run(&format!(r#"DateAdd("ww", 2, {hire})"#)), s("3/30/2012 7:00:00 AM"));
        assert_eq!(run(&format!(r#"DateAdd("m", 10, {hire})"#)), s("1/16/2013 7:00:00 AM"));
        assert_eq!(run(&format!(r#"DateAdd("yyyy", 2, {hire})"#)), s("3/16/2014 7:00:00 AM"));
        assert!(run(&format!(r#"DateAdd("x", 2, {hire})"#)).unwrap_err().contains("unknown interval"));
    }

    #[test]
    fn documented_datediff_examples() {
        let diff = |i: &str, a: &str, b: &str| run(&format!(r#"DateDiff("{i}", "{a}", "{b}")"#));
        assert_eq!(diff("d", "2021-08-18+08:00", "2021-08-31+08:00"), Ok(Value::Int(13)));
        assert_eq!(diff("d", "8/25/2021 5:41:18 PM", "2012-03-16-07:00"), Ok(Value::Int(-3449)));
        assert_eq!(diff("ww", "8/25/2021 5:41:18 PM", "2012-03-16-07:00"), Ok(Value::Int(-493)));
        assert_eq!(diff("m", "8/25/2021 5:41:18 PM", "2012-03-16-07:00"), Ok(Value::Int(-113)));
        assert_eq!(diff("yyyy", "8/25/2021 5:41:18 PM", "2012-03-16-07:00"), Ok(Value::Int(-9)));
        assert_eq!(diff("d", "2021-08-31+08:00", "2021-08-31+08:00"), Ok(Value::Int(0)));
        assert_eq!(diff("h", "2021-08-24", "2021-08-25"), Ok(Value::Int(24)));
        assert_eq!(diff("n", "2021-08-24", "2021-08-25"), Ok(Value::Int(1440)));
        assert_eq!(diff("s", "2021-08-24", "2021-08-25"), Ok(Value::Int(86400)));
    }

    #[test]
    fn filetime_conversions() {
        assert_eq!(run("DateFromNum(129699324000000000)"), s("1/1/2012 11:00:00 PM"));
        assert_eq!(run(r#"NumFromDate("2012-01-01T23:00:00Z")"#), Ok(Value::Int(129_699_324_000_000_000)));
        assert_eq!(
            run(
                r#"DateFromNum(NumFromDate(Join("", FormatDateTime("2020-12-31-08:00", ,"yyyy-MM-ddzzz", "yyyy-MM-dd"), " 23:59:59-08:00")))"#
            ),
            s("1/1/2021 7:59:59 AM")
        );
    }

    #[test]
    fn format_date_time_examples() {
        assert_eq!(run(r#"FormatDateTime("20150123105347.1Z", , "yyyyMMddHHmmss.fZ", "yyyy-MM-dd")"#), s("2015-01-23"));
        assert_eq!(run(r#"FormatDateTime("20150123105347.1Z", "yyyyMMddHHmmss.fZ", "yyyy-MM-dd")"#), s("2015-01-23"));
        assert_eq!(
            run(r#"FormatDateTime("5/1/2021 03:04:05 PM", ,"M/d/yyyy hh:mm:ss tt","yyyy-MM-dd")"#),
            s("2021-05-01")
        );
        assert_eq!(run(r#"FormatDateTime([x], , "yyyy", "yyyy")"#), Ok(Value::Null));
        assert!(run(r#"FormatDateTime("2015", , "yyyyMMdd", "yyyy")"#).unwrap_err().contains("does not match"));
    }

    #[test]
    fn now_uses_the_environment_clock() {
        assert_eq!(run("Now()"), s("1/1/2026 12:00:00 AM"));
        assert_eq!(run(r#"DateDiff("d", Now(), CDate("2026-01-11"))"#), Ok(Value::Int(10)));
    }
}
