//! .NET regular expressions (used by `Replace` and by the `REGEX MATCH` scoping operators) run on Rust's
//! `regex` crate, which already accepts `(?<name>…)` groups, `${name}`/`$1` references, `\d`, `\w`, inline
//! flags and Unicode classes. This file translates the few .NET spellings it lacks; constructs with no
//! equivalent (lookaround, back-references) are reported as an error naming the pattern.

use regex::Regex;

/// Compiles a .NET pattern: `(?'name'…)` becomes `(?<name>…)` and `\Z` becomes `\n?\z`.
pub fn dotnet_regex(pattern: &str) -> Result<Regex, regex::Error> {
    let mut out = String::with_capacity(pattern.len());
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('Z') => out.push_str("\\n?\\z"),
                Some(n) => {
                    out.push('\\');
                    out.push(n);
                }
                None => out.push('\\'),
            },
            '(' if chars.peek() == Some(&'?') => {
                chars.next();
                if chars.peek() == Some(&'\'') {
                    chars.next();
                    out.push_str("(?<");
                    for n in chars.by_ref() {
                        if n == '\'' {
                            out.push('>');
                            break;
                        }
                        out.push(n);
                    }
                } else {
                    out.push_str("(?");
                }
            }
            other => out.push(other),
        }
    }
    Regex::new(&out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn translates_dotnet_only_syntax() {
        let re = dotnet_regex(r"(?'user'[^@]+)@contoso\.com\Z").expect("compiles");
        let caps = re.captures("jdoe@contoso.com").expect("matches");
        assert_eq!(caps.name("user").map(|m| m.as_str()), Some("jdoe"));
        assert!(dotnet_regex(r"\+(?<isdCode>\d* )(?<phoneNumber>\d{10})").is_ok());
        assert!(dotnet_regex(r"(?<=a)b").is_err(), "lookbehind has no equivalent");
    }
}
