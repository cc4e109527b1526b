//! Durations of simulated time as scenarios write them: one or more `<number><unit>` parts with units `d`,
//! `h`, `m` and `s` in that order, e.g. `40m`, `6h`, `1d12h`, `90s`. Used by the `wait` step and the
//! `interval` expectation; [`format`] writes a duration back the same way.

use std::time::Duration;

use super::raw::{self, Node, Sink};
use crate::diagnostic::Span;

/// The longest duration a scenario may write: a year is beyond every documented Entra timer.
pub const MAX: Duration = Duration::from_secs(365 * 86_400);

const UNITS: [(char, u64); 4] = [('d', 86_400), ('h', 3_600), ('m', 60), ('s', 1)];

/// Parses `text`; `Err` says what is wrong, for a diagnostic label.
pub fn parse(text: &str) -> Result<Duration, String> {
    let expected = || "expected a duration such as `40m`, `6h` or `1d12h`".to_string();
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err(expected());
    }
    let mut total: u64 = 0;
    let mut next_unit = 0;
    while !rest.is_empty() {
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        let number: u64 = rest[..digits].parse().map_err(|_| expected())?;
        let unit = rest[digits..].chars().next().ok_or_else(expected)?;
        let Some(position) = UNITS.iter().position(|(u, _)| *u == unit) else { return Err(expected()) };
        if position < next_unit {
            return Err("write the parts from days to seconds, each once (`1d12h`, not `12h1d`)".into());
        }
        next_unit = position + 1;
        total = number.checked_mul(UNITS[position].1).and_then(|s| total.checked_add(s)).ok_or_else(expected)?;
        rest = &rest[digits + unit.len_utf8()..];
    }
    let duration = Duration::from_secs(total);
    if duration > MAX {
        return Err(format!("at most {}", format(MAX)));
    }
    Ok(duration)
}

/// A duration written the way [`parse`] reads it (`0s` for zero).
pub fn format(duration: Duration) -> String {
    let mut left = duration.as_secs();
    let mut out = String::new();
    for (unit, seconds) in UNITS {
        if left >= seconds {
            out.push_str(&format!("{}{unit}", left / seconds));
            left %= seconds;
        }
    }
    if out.is_empty() {
        out.push_str("0s");
    }
    out
}

/// Reads a duration value of `key`: a string such as `"6h"`, longer than zero.
pub(crate) fn read(sink: &mut Sink, node: &Node<'_>, key: &str) -> Option<(Duration, Span)> {
    let (text, span) = raw::string(sink, node, key)?;
    match parse(&text) {
        Ok(d) if d.is_zero() => {
            sink.error(span, format!("`{key}` must be longer than zero"), "e.g. `40m` or `6h`");
            None
        }
        Ok(d) => Some((d, span)),
        Err(label) => {
            sink.error(span, format!("invalid duration `{text}` for `{key}`"), label);
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_and_format_round_trip() {
        assert_eq!(parse("40m"), Ok(Duration::from_secs(2_400)));
        assert_eq!(parse("1d12h"), Ok(Duration::from_secs(129_600)));
        assert_eq!(parse("28d1s"), Ok(Duration::from_secs(28 * 86_400 + 1)));
        assert_eq!(format(Duration::from_secs(129_600)), "1d12h");
        assert_eq!(format(Duration::from_secs(4_800)), "1h20m");
        assert_eq!(format(Duration::ZERO), "0s");
        for text in ["6h", "1d12h30m", "45s", "2d"] {
            assert_eq!(format(parse(text).unwrap()), text);
        }
    }

    #[test]
    fn bad_durations_say_what_is_expected() {
        for text in ["", "6", "h", "6x", "6 h", "-1h", "1.5h"] {
            assert!(parse(text).is_err(), "{text:?}");
        }
        assert!(parse("12h1d").unwrap_err().contains("days to seconds"));
        assert!(parse("366d").unwrap_err().contains("at most 365d"));
        assert!(parse("99999999999999999999d").is_err());
    }
}
