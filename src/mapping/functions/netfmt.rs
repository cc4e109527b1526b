//! .NET custom date and time format strings (`yyyy-MM-dd`, `M/d/yyyy h:mm:ss tt`, `yyyyMMddHHmmss.fZ`, …),
//! parsed and formatted the way `DateTime.ParseExact`/`ToString` do for the invariant culture, which is
//! what `FormatDateTime`, `CDate` and `Now` rely on. Supported specifiers: `y`…`yyyyy`, `M`…`MMMM`,
//! `d`…`dddd`, `H`, `HH`, `h`, `hh`, `m`, `mm`, `s`, `ss`, `f`…`fffffff`, `F`…`FFFFFFF`, `t`, `tt`,
//! `z`, `zz`, `zzz`, `K`, `:` and `/`, quoted literals (`'..'`, `".."`), `\` escapes and `%`. Any other
//! character is a literal (notably `Z` and `T`).

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Timelike, Utc};

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

#[derive(Debug, Clone, PartialEq)]
enum Spec {
    Year(usize),
    Month(usize),
    Day(usize),
    Hour24(usize),
    Hour12(usize),
    Minute(usize),
    Second(usize),
    Fraction(usize, bool),
    AmPm(usize),
    Offset(usize),
    Kind,
    Literal(String),
}

fn tokenize(fmt: &str) -> Vec<Spec> {
    let chars: Vec<char> = fmt.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let run = chars[i..].iter().take_while(|&&x| x == c).count();
        let spec = match c {
            'y' => Spec::Year(run),
            'M' => Spec::Month(run.min(4)),
            'd' => Spec::Day(run.min(4)),
            'H' => Spec::Hour24(run.min(2)),
            'h' => Spec::Hour12(run.min(2)),
            'm' => Spec::Minute(run.min(2)),
            's' => Spec::Second(run.min(2)),
            'f' => Spec::Fraction(run.min(7), false),
            'F' => Spec::Fraction(run.min(7), true),
            't' => Spec::AmPm(run.min(2)),
            'z' => Spec::Offset(run.min(3)),
            'K' => Spec::Kind,
            '\'' | '"' => {
                let end = chars[i + 1..].iter().position(|&x| x == c).map_or(chars.len(), |p| i + 1 + p);
                out.push(Spec::Literal(chars[i + 1..end].iter().collect()));
                i = end + 1;
                continue;
            }
            '\\' => {
                out.push(Spec::Literal(chars.get(i + 1).map(|c| c.to_string()).unwrap_or_default()));
                i += 2;
                continue;
            }
            '%' => {
                i += 1;
                continue;
            }
            other => {
                out.push(Spec::Literal(other.to_string()));
                i += 1;
                continue;
            }
        };
        out.push(spec);
        i += run;
    }
    out
}

/// Parses `input` with a .NET custom format. Leading and trailing white space is allowed (Entra's default
/// `DateTimeStyles`). Values with an offset (`zzz`, `K`) are converted to UTC (Entra's servers run in
/// UTC); values without one are taken as UTC.
pub fn parse_datetime_exact(input: &str, fmt: &str) -> Option<DateTime<Utc>> {
    let s: Vec<char> = input.trim().chars().collect();
    let mut pos = 0usize;
    let (mut year, mut month, mut day) = (1i32, 1u32, 1u32);
    let (mut hour, mut minute, mut second, mut nanos) = (0u32, 0u32, 0u32, 0u32);
    let mut pm: Option<bool> = None;
    let mut offset_minutes: i64 = 0;
    let digits = |pos: &mut usize, min: usize, max: usize| -> Option<u32> {
        let n = s[*pos..].iter().take(max).take_while(|c| c.is_ascii_digit()).count();
        if n < min {
            return None;
        }
        let v: String = s[*pos..*pos + n].iter().collect();
        *pos += n;
        v.parse().ok()
    };
    for spec in tokenize(fmt) {
        match spec {
            Spec::Year(n) => {
                let v =
                    if n <= 2 { digits(&mut pos, n, 2)? as i32 + 2000 } else { digits(&mut pos, n, n.max(4))? as i32 };
                year = if n <= 2 && v > 2049 { v - 100 } else { v };
            }
            Spec::Month(n) if n >= 3 => {
                let idx = MONTHS.iter().position(|m| {
                    let name: String = if n == 3 { m.chars().take(3).collect() } else { m.to_string() };
                    let cand: String = s[pos..].iter().take(name.chars().count()).collect();
                    if cand.eq_ignore_ascii_case(&name) {
                        pos += name.chars().count();
                        true
                    } else {
                        false
                    }
                })?;
                month = idx as u32 + 1;
            }
            Spec::Month(n) => month = digits(&mut pos, n, 2)?,
            Spec::Day(n) if n >= 3 => {
                DAYS.iter().find(|d| {
                    let name: String = if n == 3 { d.chars().take(3).collect() } else { d.to_string() };
                    let cand: String = s[pos..].iter().take(name.chars().count()).collect();
                    let ok = cand.eq_ignore_ascii_case(&name);
                    if ok {
                        pos += name.chars().count();
                    }
                    ok
                })?;
            }
            Spec::Day(n) => day = digits(&mut pos, n, 2)?,
            Spec::Hour24(n) | Spec::Hour12(n) => hour = digits(&mut pos, n, 2)?,
            Spec::Minute(n) => minute = digits(&mut pos, n, 2)?,
            Spec::Second(n) => second = digits(&mut pos, n, 2)?,
            Spec::Fraction(n, optional) => {
                let count = s[pos..].iter().take(n).take_while(|c| c.is_ascii_digit()).count();
                if !optional && count < n {
                    return None;
                }
                let frac: String = s[pos..pos + count].iter().collect();
                pos += count;
                if count > 0 {
                    nanos = frac.parse::<u32>().ok()? * 10u32.pow(9 - count as u32);
                }
            }
            Spec::AmPm(n) => {
                let cand: String = s[pos..].iter().take(n).collect::<String>().to_ascii_uppercase();
                pm = Some(match cand.as_str() {
                    "AM" | "A" => false,
                    "PM" | "P" => true,
                    _ => return None,
                });
                pos += n;
            }
            Spec::Offset(_) | Spec::Kind => {
                if spec == Spec::Kind && s.get(pos) == Some(&'Z') {
                    pos += 1;
                    continue;
                }
                let sign = match s.get(pos) {
                    Some('+') => 1,
                    Some('-') => -1,
                    _ if spec == Spec::Kind => continue,
                    _ => return None,
                };
                pos += 1;
                let h = digits(&mut pos, 1, 2)? as i64;
                let mut m = 0;
                if s.get(pos) == Some(&':') {
                    pos += 1;
                    m = digits(&mut pos, 2, 2)? as i64;
                }
                offset_minutes = sign * (h * 60 + m);
            }
            Spec::Literal(lit) => {
                for c in lit.chars() {
                    if s.get(pos) != Some(&c) {
                        return None;
                    }
                    pos += 1;
                }
            }
        }
    }
    if pos != s.len() {
        return None;
    }
    match pm {
        Some(true) if hour < 12 => hour += 12,
        Some(false) if hour == 12 => hour = 0,
        _ => {}
    }
    let naive = NaiveDate::from_ymd_opt(year, month, day)?.and_hms_nano_opt(hour, minute, second, nanos)?;
    Some((naive - Duration::minutes(offset_minutes)).and_utc())
}

/// Formats a UTC instant with a .NET custom format (invariant culture; offsets print as `+00:00`).
pub fn format_datetime(dt: DateTime<Utc>, fmt: &str) -> String {
    let n: NaiveDateTime = dt.naive_utc();
    let mut out = String::new();
    for spec in tokenize(fmt) {
        match spec {
            Spec::Year(1) => out.push_str(&(n.year() % 100).to_string()),
            Spec::Year(w) => out.push_str(&format!("{:0w$}", if w == 2 { n.year() % 100 } else { n.year() })),
            Spec::Month(4) => out.push_str(MONTHS[n.month0() as usize]),
            Spec::Month(3) => out.push_str(&MONTHS[n.month0() as usize][..3]),
            Spec::Month(w) => out.push_str(&format!("{:0w$}", n.month())),
            Spec::Day(4) => out.push_str(DAYS[n.weekday().num_days_from_monday() as usize]),
            Spec::Day(3) => out.push_str(&DAYS[n.weekday().num_days_from_monday() as usize][..3]),
            Spec::Day(w) => out.push_str(&format!("{:0w$}", n.day())),
            Spec::Hour24(w) => out.push_str(&format!("{:0w$}", n.hour())),
            Spec::Hour12(w) => out.push_str(&format!("{:0w$}", (n.hour() + 11) % 12 + 1)),
            Spec::Minute(w) => out.push_str(&format!("{:0w$}", n.minute())),
            Spec::Second(w) => out.push_str(&format!("{:0w$}", n.second())),
            Spec::Fraction(w, optional) => {
                let digits = format!("{:09}", n.nanosecond());
                let mut part = digits[..w].to_string();
                if optional {
                    part = part.trim_end_matches('0').to_string();
                }
                out.push_str(&part);
            }
            Spec::AmPm(w) => {
                let t = if n.hour() < 12 { "AM" } else { "PM" };
                out.push_str(&t[..w.min(2)]);
            }
            Spec::Offset(1) => out.push_str("+0"),
            Spec::Offset(2) => out.push_str("+00"),
            Spec::Offset(_) => out.push_str("+00:00"),
            Spec::Kind => out.push('Z'),
            Spec::Literal(l) => out.push_str(&l),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_formats_the_documented_formats() {
        let dt = parse_datetime_exact("20150123105347.1Z", "yyyyMMddHHmmss.fZ").expect("parses");
        assert_eq!(format_datetime(dt, "yyyy-MM-dd"), "2015-01-23");
        assert_eq!(format_datetime(dt, "yyyy-MM-ddTHH:mm:ss.fffK"), "2015-01-23T10:53:47.100Z");
        let dt = parse_datetime_exact("2020-12-31-08:00", "yyyy-MM-ddzzz").expect("parses");
        assert_eq!(format_datetime(dt, "M/d/yyyy h:mm:ss tt"), "12/31/2020 8:00:00 AM");
        let dt = parse_datetime_exact("5/1/2021 03:04:05 PM", "M/d/yyyy hh:mm:ss tt").expect("parses");
        assert_eq!(format_datetime(dt, "dddd, MMMM d, yyyy HH:mm"), "Saturday, May 1, 2021 15:04");
        assert_eq!(format_datetime(dt, "'date:' yy/MM/dd \\h"), "date: 21/05/01 h");
    }

    #[test]
    fn rejects_text_that_does_not_fit() {
        assert!(parse_datetime_exact("2020-13-01", "yyyy-MM-dd").is_none());
        assert!(parse_datetime_exact("2020-01-01x", "yyyy-MM-dd").is_none());
        assert!(parse_datetime_exact("  2020-01-01 ", "yyyy-MM-dd").is_some());
        assert!(parse_datetime_exact("Jan 3 2020", "MMM d yyyy").is_some());
    }
}
