//! Scrubbing secrets (the bearer token, an OAuth client secret or access token) out of what is shown or
//! stored: terminal output, transcripts and snapshots, reports. Never out of what the engine reads: a
//! short token such as `ie` is also part of `urn:ietf:`, and an answer the engine parsed with it scrubbed
//! would not be the answer the endpoint sent (issue 18). So the client records every answer as it came,
//! and each output boundary (the end of a run or a check, each live event) passes its data through a
//! [`Scrubber`] built from [`super::Client::secrets`].
//!
//! A secret becomes `***` wherever it is: free text, JSON strings and keys, request paths and queries,
//! headers. A secret of [`SHORT`] characters or more is hidden at every occurrence. A shorter one (`ie`,
//! common in local set-ups) is hidden where it stands alone — not inside a longer run of token characters
//! (letters, digits, `-`, `_`, `.`, `~`) — so `Bearer ie` and `token=ie` become `***` while `urn:ietf:`
//! stays readable: the letters of a word say nothing of the token, and hiding them made every transcript
//! and finding of such a run unreadable.

use std::borrow::Cow;

use serde_json::Value as Json;

use super::exchange::{Body, Exchange};

/// What replaces a secret.
pub const SCRUBBED: &str = "***";

/// Secrets shorter than this are hidden only where they stand alone (see the module doc).
pub const SHORT: usize = 8;

/// Where `secret` is to be hidden in `text`: every occurrence of a long secret; of a short one, those not
/// inside a longer run of token characters. Non-overlapping, in order.
fn occurrences<'t>(text: &'t str, secret: &'t str) -> impl Iterator<Item = usize> + 't {
    let is_token_char = |c: char| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '~');
    text.match_indices(secret).map(|(start, _)| start).filter(move |&start| {
        secret.len() >= SHORT
            || (!text[..start].chars().next_back().is_some_and(is_token_char)
                && !text[start + secret.len()..].chars().next().is_some_and(is_token_char))
    })
}

/// The secrets to hide, longest first (so that a secret containing another is hidden whole).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scrubber {
    secrets: Vec<String>,
}

impl Scrubber {
    /// A scrubber for these secrets; empty ones are dropped.
    pub fn new(secrets: impl IntoIterator<Item = String>) -> Self {
        let mut secrets: Vec<String> = secrets.into_iter().filter(|s| !s.is_empty()).collect();
        secrets.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        secrets.dedup();
        Scrubber { secrets }
    }

    /// The secrets, longest first.
    pub fn secrets(&self) -> impl Iterator<Item = String> + '_ {
        self.secrets.iter().cloned()
    }

    /// True when there is nothing to hide.
    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    /// True when `text` contains a secret that is to be hidden.
    pub fn finds(&self, text: &str) -> bool {
        self.secrets.iter().any(|s| occurrences(text, s).next().is_some())
    }

    /// `text` with every secret replaced by `***` (borrowed when there is none).
    pub fn text<'a>(&self, text: &'a str) -> Cow<'a, str> {
        if !self.finds(text) {
            return Cow::Borrowed(text);
        }
        let scrubbed = self.secrets.iter().fold(text.to_string(), |t, secret| {
            let mut out = String::with_capacity(t.len());
            let mut copied = 0;
            for start in occurrences(&t, secret).collect::<Vec<_>>() {
                out.push_str(&t[copied..start]);
                out.push_str(SCRUBBED);
                copied = start + secret.len();
            }
            out.push_str(&t[copied..]);
            out
        });
        Cow::Owned(scrubbed)
    }

    /// Scrubs a string in place.
    pub fn string(&self, text: &mut String) {
        if let Cow::Owned(scrubbed) = self.text(text) {
            *text = scrubbed;
        }
    }

    /// Scrubs every string and key of a JSON value in place.
    pub fn json(&self, value: &mut Json) {
        match value {
            Json::String(s) => self.string(s),
            Json::Array(items) => items.iter_mut().for_each(|v| self.json(v)),
            Json::Object(map) => {
                if map.keys().any(|k| self.finds(k)) {
                    let old = std::mem::take(map);
                    map.extend(old.into_iter().map(|(k, v)| (self.text(&k).into_owned(), v)));
                }
                map.values_mut().for_each(|v| self.json(v));
            }
            Json::Null | Json::Bool(_) | Json::Number(_) => {}
        }
    }

    /// Scrubs a recorded exchange: path, query, request body, headers and response body.
    pub fn exchange(&self, e: &mut Exchange) {
        if self.is_empty() {
            return;
        }
        self.string(&mut e.path);
        self.string(&mut e.query);
        if let Some(body) = &mut e.request_body {
            self.json(body);
        }
        for (_, value) in &mut e.response_headers {
            self.string(value);
        }
        match &mut e.response_body {
            Body::Json { value } => self.json(value),
            Body::Text { text, error } => {
                self.string(text);
                self.string(error);
            }
            Body::Empty | Body::TooLarge { .. } => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_occurrence_is_hidden_longest_secret_first() {
        let s = Scrubber::new(["tok".to_string(), String::new(), "tok/1".to_string()]);
        assert_eq!(s.text("denied: Bearer tok/1 and tok again"), "denied: Bearer *** and *** again");
        assert!(matches!(s.text("nothing here"), Cow::Borrowed(_)));
        let mut value = json!({"detail": "got tok/1", "tok": ["tok"], "n": 1});
        s.json(&mut value);
        assert_eq!(value, json!({"detail": "got ***", "***": ["***"], "n": 1}));
    }

    #[test]
    fn a_short_secret_is_hidden_where_it_stands_alone_not_inside_words() {
        let s = Scrubber::new(["ie".to_string()]);
        assert_eq!(s.text("Authorization: Bearer ie"), "Authorization: Bearer ***");
        assert_eq!(s.text("/Users?access_token=ie&x=1"), "/Users?access_token=***&x=1");
        assert_eq!(s.text(r#"{"token":"ie"}"#), r#"{"token":"***"}"#);
        assert!(matches!(s.text("urn:ietf:params:scim and Lie"), Cow::Borrowed(_)));
        let mut value = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "echo": "ie"});
        s.json(&mut value);
        assert_eq!(value, json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "echo": "***"}));
        let long = Scrubber::new(["abcdefgh".to_string()]);
        assert_eq!(long.text("xxabcdefghxx"), "xx***xx", "a long secret is hidden everywhere");
    }

    #[test]
    fn no_secret_changes_nothing() {
        let s = Scrubber::new(Vec::new());
        assert!(s.is_empty() && !s.finds("anything"));
        let mut value = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"]});
        s.json(&mut value);
        assert_eq!(value["schemas"][0], "urn:ietf:params:scim:schemas:core:2.0:User");
    }
}
