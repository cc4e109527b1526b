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
    let mut p = Parsed { s: input.trim().chars().collect(), year: 1, month: 1, day: 1, ..Parsed::default() };
    for spec in tokenize(fmt) {
        p.apply(&spec)?;
    }
    p.finish()
}

/// The fields read so far while parsing a date with [`parse_datetime_exact`].
#[derive(Default)]
struct Parsed {
    s: Vec<char>,
    pos: usize,
    year: i32,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    nanos: u32,
    pm: Option<bool>,
    offset_minutes: i64,
}

impl Parsed {
    /// Between `min` and `max` ASCII digits.
    fn digits(&mut self, min: usize, max: usize) -> Option<u32> {
        let n = self.s[self.pos..].iter().take(max).take_while(|c| c.is_ascii_digit()).count();
        if n < min {
            return None;
        }
        let v: String = self.s[self.pos..self.pos + n].iter().collect();
        self.pos += n;
        v.parse().ok()
    }

    /// One of `names` (case-insensitive), optionally abbreviated to three letters; its index.
    fn name(&mut self, names: &[&str], abbreviated: bool) -> Option<usize> {
        names.iter().position(|full| {
            let name: String = if abbreviated { full.chars().take(3).collect() } else { full.to_string() };
            let len = name.chars().count();
            let candidate: String = self.s[self.pos..].iter().take(len).collect();
            let found = candidate.eq_ignore_ascii_case(&name);
            if found {
                self.pos += len;
            }
            found
        })
    }

    fn literal(&mut self, lit: &str) -> Option<()> {
        for c in lit.chars() {
            if self.s.get(self.pos) != Some(&c) {
                return None;
            }
            self.pos += 1;
        }
        Some(())
    }

    fn fraction(&mut self, n: usize, optional: bool) -> Option<()> {
        let count = self.s[self.pos..].iter().take(n).take_while(|c| c.is_ascii_digit()).count();
        if !optional && count < n {
            return None;
        }
        let frac: String = self.s[self.pos..self.pos + count].iter().collect();
        self.pos += count;
        if count > 0 {
            self.nanos = frac.parse::<u32>().ok()? * 10u32.pow(9 - count as u32);
        }
        Some(())
    }

    fn am_pm(&mut self, n: usize) -> Option<()> {
        let candidate = self.s[self.pos..].iter().take(n).collect::<String>().to_ascii_uppercase();
        self.pm = Some(match candidate.as_str() {
            "AM" | "A" => false,
            "PM" | "P" => true,
            _ => return None,
        });
        self.pos += n;
        Some(())
    }

    /// `±h`, `±hh`, `±hh:mm`; for `K` also `Z` or nothing.
    fn offset(&mut self, kind: bool) -> Option<()> {
        if kind && self.s.get(self.pos) == Some(&'Z') {
            self.pos += 1;
            return Some(());
        }
        let sign = match self.s.get(self.pos) {
            Some('+') => 1,
            Some('-') => -1,
            _ if kind => return Some(()),
            _ => return None,
        };
        self.pos += 1;
        let h = i64::from(self.digits(1, 2)?);
        let mut m = 0;
        if self.s.get(self.pos) == Some(&':') {
            self.pos += 1;
            m = i64::from(self.digits(2, 2)?);
        }
        if h > 14 || m > 59 {
            return None;
        }
        self.offset_minutes = sign * (h * 60 + m);
        Some(())
    }

    fn apply(&mut self, spec: &Spec) -> Option<()> {
        match *spec {
            Spec::Year(n) if n <= 2 => {
                let v = self.digits(n, 2)? as i32 + 2000;
                self.year = if v > 2049 { v - 100 } else { v };
            }
            Spec::Year(n) => self.year = self.digits(n, n.max(4))? as i32,
            Spec::Month(n) if n >= 3 => self.month = self.name(&MONTHS, n == 3)? as u32 + 1,
            Spec::Month(n) => self.month = self.digits(n, 2)?,
            Spec::Day(n) if n >= 3 => {
                self.name(&DAYS, n == 3)?;
            }
            Spec::Day(n) => self.day = self.digits(n, 2)?,
            Spec::Hour24(n) | Spec::Hour12(n) => self.hour = self.digits(n, 2)?,
            Spec::Minute(n) => self.minute = self.digits(n, 2)?,
            Spec::Second(n) => self.second = self.digits(n, 2)?,
            Spec::Fraction(n, optional) => self.fraction(n, optional)?,
            Spec::AmPm(n) => self.am_pm(n)?,
            Spec::Offset(_) => self.offset(false)?,
            Spec::Kind => self.offset(true)?,
            Spec::Literal(ref lit) => self.literal(lit)?,
        }
        Some(())
    }

    fn finish(mut self) -> Option<DateTime<Utc>> {
        if self.pos != self.s.len() {
            return None;
        }
        match self.pm {
            Some(true) if self.hour < 12 => self.hour += 12,
            Some(false) if self.hour == 12 => self.hour = 0,
            _ => {}
        }
        let naive = NaiveDate::from_ymd_opt(self.year, self.month, self.day)?.and_hms_nano_opt(
            self.hour,
            self.minute,
            self.second,
            self.nanos,
        )?;
        naive.checked_sub_signed(Duration::minutes(self.offset_minutes)).map(|n| n.and_utc())
    }
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
        assert!(parse_datetime_exact("2020-00-10", "yyyy-MM-dd").is_none());
        assert!(parse_datetime_exact("Sun 2020", "ddd yyyy").is_some());
        assert!(parse_datetime_exact("2020-01-01T00:00:00+25:00", "yyyy-MM-ddTHH:mm:ssK").is_none());
        assert!(parse_datetime_exact("2020-01-01T00:00:00+05:30", "yyyy-MM-ddTHH:mm:ssK").is_some());
    }
}
