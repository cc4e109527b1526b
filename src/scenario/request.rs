//! Request lines in `expect.requests`: `METHOD /path[?query]`, and how one matches a sent request.
//!
//! - The method must be equal (case-insensitive).
//! - The path is relative to the target's base URL and compared segment by segment after percent-decoding;
//!   a segment written `*` or `{anything}` (e.g. `/Users/{id}`) matches any one segment.
//! - Without a query, any query matches. With one, every `name=value` pair written must be present in the
//!   request's decoded query (other parameters may be present too); `*` in a value matches any run of
//!   characters. Write values unencoded: `GET /Users?filter=userName eq "alice@contoso.com"`, or
//!   `GET /Users?filter=userName eq "*"` for Test Connection's random probe.

use crate::diagnostic::{did_you_mean, Span};

const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE"];

/// One expected request line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestPattern {
    /// The line as written.
    pub text: String,
    /// Where it was written.
    pub span: Span,
    method: String,
    segments: Vec<String>,
    query: Vec<(String, String)>,
}

impl RequestPattern {
    /// Parses a request line; the error is a message and a label for the diagnostic.
    pub fn parse(text: &str, span: Span) -> Result<Self, (String, String)> {
        let trimmed = text.trim();
        let Some((method, target)) = trimmed.split_once(' ') else {
            return Err((
                format!("request line `{text}` must look like `METHOD /path`"),
                "e.g. `POST /Users`".to_string(),
            ));
        };
        let upper = method.to_ascii_uppercase();
        if !METHODS.contains(&upper.as_str()) {
            let label = match did_you_mean(method, METHODS.iter().copied()) {
                Some(m) => format!("did you mean `{m}`?"),
                None => format!("expected one of {}", METHODS.join(", ")),
            };
            return Err((format!("unknown HTTP method `{method}`"), label));
        }
        let target = target.trim_start();
        if !target.starts_with('/') {
            return Err((
                format!("the path in `{text}` must start with `/`"),
                "paths are relative to the target URL, e.g. `/Users`".to_string(),
            ));
        }
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        Ok(RequestPattern {
            text: text.to_string(),
            span,
            method: upper,
            segments: segments(path),
            query: query
                .split('&')
                .filter(|p| !p.is_empty())
                .map(|p| {
                    let (k, v) = p.split_once('=').unwrap_or((p, ""));
                    (k.to_string(), v.to_string())
                })
                .collect(),
        })
    }

    /// The method, upper-case.
    pub fn method(&self) -> &str {
        &self.method
    }

    /// True when a request with `method` and `path_and_query` (relative to the base URL, as sent,
    /// percent-encoded or not) matches this line.
    pub fn matches(&self, method: &str, path_and_query: &str) -> bool {
        if !method.eq_ignore_ascii_case(&self.method) {
            return false;
        }
        let (path, query) = path_and_query.split_once('?').unwrap_or((path_and_query, ""));
        let sent = segments(&percent_decode(path, false));
        if sent.len() != self.segments.len() {
            return false;
        }
        let wildcard = |s: &str| s == "*" || (s.starts_with('{') && s.ends_with('}'));
        if !self.segments.iter().zip(&sent).all(|(p, s)| wildcard(p) || p == s) {
            return false;
        }
        let params: Vec<(String, String)> = query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (percent_decode(k, true), percent_decode(v, true))
            })
            .collect();
        self.query.iter().all(|(k, v)| params.iter().any(|(pk, pv)| pk.eq_ignore_ascii_case(k) && glob(v, pv)))
    }
}

/// `*` matches any run of characters; everything else matches itself.
fn glob(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = text.strip_prefix(first) else { return false };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else { return rest.is_empty() };
    for part in middle {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

fn segments(path: &str) -> Vec<String> {
    path.split('/').filter(|s| !s.is_empty()).map(str::to_string).collect()
}

/// Decodes `%XX` escapes (and `+` as a space in queries); malformed escapes are kept as written.
fn percent_decode(s: &str, plus_as_space: bool) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            b'+' if plus_as_space => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(text: &str) -> RequestPattern {
        RequestPattern::parse(text, Span::default()).unwrap()
    }

    #[test]
    fn filter_lines_match_encoded_requests_with_other_parameters() {
        let p = pattern(r#"GET /Users?filter=userName eq "alice@contoso.com""#);
        assert!(p.matches("GET", "/Users?filter=userName+eq+%22alice%40contoso.com%22"));
        assert!(p.matches("get", "/Users?excludedAttributes=members&filter=userName%20eq%20%22alice%40contoso.com%22"));
        assert!(!p.matches("GET", "/Users?filter=userName+eq+%22bob%40contoso.com%22"));
        assert!(!p.matches("POST", "/Users"));
    }

    #[test]
    fn placeholders_match_one_segment_and_no_query_matches_any_query() {
        let p = pattern("PATCH /Users/{id}");
        assert!(p.matches("PATCH", "/Users/2441309d"));
        assert!(p.matches("PATCH", "/Users/2441309d?x=1"));
        assert!(!p.matches("PATCH", "/Users"));
        assert!(!p.matches("PATCH", "/Users/a/b"));
        assert!(pattern("POST /Users").matches("POST", "/Users/"));
    }

    #[test]
    fn malformed_lines_explain_the_expected_shape() {
        assert_eq!(RequestPattern::parse("PTCH /Users", Span::default()).unwrap_err().1, "did you mean `PATCH`?");
        assert!(RequestPattern::parse("POST", Span::default()).is_err());
        assert!(RequestPattern::parse("POST Users", Span::default()).is_err());
    }

    #[test]
    fn stars_in_query_values_match_any_text() {
        assert!(glob("*", ""));
        assert!(glob(r#"userName eq "*""#, r#"userName eq "8c2b-41""#));
        assert!(!glob(r#"userName eq "*""#, r#"externalId eq "x""#));
        assert!(glob("a*b*c", "aXbYc"));
        assert!(!glob("a*b*c", "aXbY"));
        assert!(!glob("ab*ba", "aba"));
        assert!(glob("exact", "exact") && !glob("exact", "exactly"));
    }

    #[test]
    fn percent_decoding_keeps_malformed_escapes() {
        assert_eq!(percent_decode("a%2", false), "a%2");
        assert_eq!(percent_decode("%zz%41", false), "%zzA");
        assert_eq!(percent_decode("a+b", true), "a b");
        assert_eq!(percent_decode("a%", false), "a%");
    }
}
