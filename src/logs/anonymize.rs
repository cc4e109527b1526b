//! `--anonymize`: replaces names, emails, UPNs, display names and ids with pseudonyms, consistently across
//! the records, the emitted scenario and the schema copy. A pseudonym is derived from a keyed SHA-256 of
//! the (case-folded) original, so the same input always gives the same pseudonym under the same key;
//! emails stay email-shaped (`user-3f2a@example.com`) and GUIDs stay GUID-shaped.
//!
//! The default key is public, so short originals could be recovered by guessing; pass a secret key when
//! the output leaves the support team.

use std::collections::{BTreeMap, HashMap};

use sha2::{Digest, Sha256};

use super::model::{Identity, LogRecord};

/// Assigns and applies pseudonyms.
#[derive(Debug, Clone)]
pub struct Anonymizer {
    key: Vec<u8>,
    /// Case-folded original → pseudonym.
    map: HashMap<String, String>,
    /// Pseudonyms already handed out (to resolve hash-prefix collisions).
    taken: HashMap<String, String>,
    /// First word of each key (ASCII-lowercase) → the distinct lengths of the keys starting with it, longest
    /// first (so a scan tries a few lengths per word, however many keys share the word).
    by_first_word: HashMap<String, Vec<usize>>,
}

impl Default for Anonymizer {
    fn default() -> Self {
        Anonymizer::new(b"entrasim")
    }
}

impl Anonymizer {
    /// An anonymizer keyed by `key`.
    pub fn new(key: &[u8]) -> Self {
        Anonymizer { key: key.to_vec(), map: HashMap::new(), taken: HashMap::new(), by_first_word: HashMap::new() }
    }

    /// Learns every identifying value in `records` and returns the records with all of them replaced.
    pub fn anonymize_records(&mut self, records: &[LogRecord]) -> Vec<LogRecord> {
        for r in records {
            self.learn_record(r);
        }
        self.compile();
        records.iter().map(|r| self.scrub_record(r)).collect()
    }

    /// Registers one more identifying value (e.g. from the ticket) before anonymising.
    pub fn learn(&mut self, value: &str) {
        let value = value.trim();
        if !is_identifying(value) {
            return;
        }
        let folded = value.to_ascii_lowercase();
        if self.map.contains_key(&folded) {
            return;
        }
        if let Some((_, domain)) = split_email(value) {
            let d = domain.to_ascii_lowercase();
            self.map.entry(d.clone()).or_insert_with(|| "example.com".to_string());
        }
        if value.contains('.') && !value.contains(' ') && value.split('.').any(|s| is_guid(s) || is_hex_id(s)) {
            let parts: Vec<String> = value
                .split('.')
                .map(|s| if is_guid(s) || is_hex_id(s) { self.pseudonym_for(s) } else { s.to_string() })
                .collect();
            self.map.insert(folded, parts.join("."));
            return;
        }
        let p = self.pseudonym_for(value);
        self.map.insert(folded, p);
    }

    /// Replaces every known identifying value inside `text` (whole words only where the value starts and
    /// ends with a word character). Call after [`Anonymizer::anonymize_records`] or [`Anonymizer::learn`].
    pub fn scrub(&self, text: &str) -> String {
        if let Some(p) = self.map.get(&text.to_ascii_lowercase()) {
            return p.clone();
        }
        // Linear scan: at each word start, try the keys that begin with that word (longest first).
        // Lowercasing ASCII only keeps byte offsets identical between `text` and `lower`.
        let lower = text.to_ascii_lowercase();
        let bytes = lower.as_bytes();
        let mut out = String::with_capacity(text.len());
        let (mut i, mut copied) = (0, 0);
        while i < bytes.len() {
            let starts_word = is_word_byte(bytes[i]) && (i == 0 || !is_word_byte(bytes[i - 1]));
            if !starts_word {
                i += 1;
                continue;
            }
            let word_end = (i..bytes.len()).find(|&j| !is_word_byte(bytes[j])).unwrap_or(bytes.len());
            let hit = lower.get(i..word_end).and_then(|w| self.by_first_word.get(w)).and_then(|lengths| {
                lengths.iter().find_map(|&len| {
                    let key = lower.get(i..i + len)?;
                    let ends_word = key.as_bytes().last().is_some_and(|b| is_word_byte(*b));
                    if ends_word && bytes.get(i + len).is_some_and(|b| is_word_byte(*b)) {
                        return None;
                    }
                    self.map.contains_key(key).then_some(key)
                })
            });
            match hit.and_then(|k| self.map.get(k).map(|p| (k.len(), p))) {
                Some((len, pseudonym)) => {
                    out.push_str(text.get(copied..i).unwrap_or_default());
                    out.push_str(pseudonym);
                    i += len;
                    copied = i;
                }
                None => i = word_end,
            }
        }
        out.push_str(text.get(copied..).unwrap_or_default());
        out
    }

    /// Scrubs a `synchronizationSchema` JSON (or any mapping text) without touching its structure: only
    /// string literals inside expressions, constants, default values and scoping-filter values are
    /// scrubbed, so an attribute named like a learned value (`manager`, `department`) survives. Text that is
    /// not JSON is scrubbed as a whole.
    pub fn scrub_schema(&self, text: &str) -> String {
        match serde_json::from_str::<serde_json::Value>(text) {
            Ok(mut json) => {
                self.scrub_json(&mut json, false);
                serde_json::to_string_pretty(&json).map(|t| t + "\n").unwrap_or_else(|_| text.to_string())
            }
            Err(_) => self.scrub(text),
        }
    }

    fn scrub_json(&self, v: &mut serde_json::Value, free: bool) {
        use serde_json::Value;
        match v {
            Value::String(s) if free => *s = self.scrub(s),
            Value::Array(items) => items.iter_mut().for_each(|i| self.scrub_json(i, free)),
            Value::Object(map) => {
                let constant =
                    map.get("type").and_then(Value::as_str).is_some_and(|t| t.eq_ignore_ascii_case("Constant"));
                for (k, v) in map.iter_mut() {
                    match (k.as_str(), v) {
                        ("expression", Value::String(s)) => *s = self.scrub_literals(s),
                        ("name", Value::String(s)) if constant => *s = self.scrub(s),
                        ("defaultValue" | "values", v) => self.scrub_json(v, true),
                        (_, v) => self.scrub_json(v, false),
                    }
                }
            }
            _ => {}
        }
    }

    /// Scrubs only the `"…"` string literals of an expression, not its `[attribute]` references.
    fn scrub_literals(&self, expr: &str) -> String {
        let mut out = String::new();
        let mut literal = String::new();
        let mut in_string = false;
        let mut chars = expr.chars().peekable();
        while let Some(c) = chars.next() {
            if in_string {
                if c == '\\' {
                    literal.push(c);
                    if let Some(n) = chars.next() {
                        literal.push(n);
                    }
                } else if c == '"' {
                    out.push_str(&self.scrub(&literal));
                    literal.clear();
                    out.push(c);
                    in_string = false;
                } else {
                    literal.push(c);
                }
            } else {
                out.push(c);
                in_string = c == '"';
            }
        }
        out.push_str(&literal);
        out
    }

    /// The original → pseudonym table, sorted by original (for a private lookup file).
    pub fn table(&self) -> BTreeMap<String, String> {
        self.map.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }

    fn pseudonym_for(&mut self, value: &str) -> String {
        let folded = value.to_ascii_lowercase();
        if let Some(p) = self.map.get(&folded) {
            return p.clone();
        }
        let digest = Sha256::new().chain_update(&self.key).chain_update([0]).chain_update(folded.as_bytes()).finalize();
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        let make = |n: usize| -> String {
            if is_guid(value) {
                format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
            } else if is_hex_id(value) {
                hex[..value.len().min(64)].to_string()
            } else if split_email(value).is_some() {
                format!("user-{}@example.com", &hex[..n])
            } else {
                format!("Name-{}", &hex[..n])
            }
        };
        let mut n = 4;
        let mut p = make(n);
        while self.taken.get(&p).is_some_and(|orig| *orig != folded) && n < 64 {
            n += 2;
            p = make(n);
        }
        self.taken.insert(p.clone(), folded.clone());
        self.map.insert(folded, p.clone());
        p
    }

    fn learn_record(&mut self, r: &LogRecord) {
        for v in [&r.id, &r.cycle_id, &r.change_id, &r.job_id] {
            self.learn(v);
        }
        for v in [&r.tenant_id, &r.target_system].into_iter().flatten() {
            self.learn(v);
        }
        for i in [&r.source, &r.target] {
            self.learn(&i.id);
            self.learn(&i.display_name);
            for (_, v) in &i.details {
                self.learn(v);
            }
        }
        for p in &r.modified_properties {
            for v in [&p.old_value, &p.new_value].into_iter().flatten() {
                self.learn(v);
            }
        }
        for s in &r.steps {
            for (k, v) in &s.details {
                if !k.eq_ignore_ascii_case("ScopeEvaluationResult") {
                    self.learn(v);
                }
            }
        }
    }

    fn compile(&mut self) {
        let mut index: HashMap<String, Vec<usize>> = HashMap::new();
        for k in self.map.keys() {
            let first = k.bytes().take_while(|b| is_word_byte(*b)).count();
            if let Some(word) = k.get(..first).filter(|w| !w.is_empty()) {
                index.entry(word.to_string()).or_default().push(k.len());
            }
        }
        for lengths in index.values_mut() {
            lengths.sort_unstable_by(|a, b| b.cmp(a));
            lengths.dedup();
        }
        self.by_first_word = index;
    }

    fn scrub_record(&self, r: &LogRecord) -> LogRecord {
        let s = |v: &String| self.scrub(v);
        let o = |v: &Option<String>| v.as_ref().map(|v| self.scrub(v));
        let pairs = |d: &[(String, String)]| d.iter().map(|(k, v)| (k.clone(), self.scrub(v))).collect();
        let identity = |i: &Identity| Identity {
            id: s(&i.id),
            display_name: s(&i.display_name),
            identity_type: i.identity_type.clone(),
            details: pairs(&i.details),
        };
        let mut out = r.clone();
        out.id = s(&r.id);
        out.cycle_id = s(&r.cycle_id);
        out.change_id = s(&r.change_id);
        out.job_id = s(&r.job_id);
        out.tenant_id = o(&r.tenant_id);
        out.target_system = o(&r.target_system);
        out.source = identity(&r.source);
        out.target = identity(&r.target);
        if let Some(e) = &mut out.error {
            e.reason = o(&e.reason);
            e.additional_details = o(&e.additional_details);
            e.recommended_action = o(&e.recommended_action);
        }
        for p in &mut out.modified_properties {
            p.old_value = o(&p.old_value);
            p.new_value = o(&p.new_value);
        }
        for st in &mut out.steps {
            st.description = s(&st.description);
            st.details = pairs(&st.details);
        }
        out
    }
}

/// Letters, digits, `_` and every byte of a non-ASCII character count as word characters.
fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

/// Values worth hiding: not empty, not booleans or numbers, at least three characters.
fn is_identifying(v: &str) -> bool {
    v.chars().count() >= 3
        && !matches!(v.to_ascii_lowercase().as_str(), "true" | "false" | "null" | "none")
        && !v.chars().all(|c| c.is_ascii_digit() || c == '.' || c == '-')
        && !v.eq_ignore_ascii_case("Azure Active Directory")
}

fn split_email(v: &str) -> Option<(&str, &str)> {
    let (local, domain) = v.split_once('@')?;
    (!local.is_empty() && domain.contains('.') && !v.contains(char::is_whitespace) && !domain.contains('@'))
        .then_some((local, domain))
}

fn is_guid(v: &str) -> bool {
    let parts: Vec<&str> = v.split('-').collect();
    parts.len() == 5
        && parts.iter().zip([8, 4, 4, 4, 12]).all(|(p, n)| p.len() == n && p.chars().all(|c| c.is_ascii_hexdigit()))
}

fn is_hex_id(v: &str) -> bool {
    v.len() >= 16 && v.chars().all(|c| c.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    use regex::Regex;

    #[test]
    fn pseudonyms_keep_shape_and_are_stable() {
        let mut a = Anonymizer::default();
        a.learn("Alice.Smith@Contoso.com");
        a.learn("5e6c9fae-ab4d-4239-8ad0-174391d110eb");
        a.learn("Alice Smith");
        a.compile();
        let text = a
            .scrub("User 'alice.smith@contoso.com' (Alice Smith, 5E6C9FAE-AB4D-4239-8AD0-174391D110EB) at contoso.com");
        assert!(!text.to_lowercase().contains("alice"), "{text}");
        assert!(!text.to_lowercase().contains("contoso"), "{text}");
        let re = Regex::new(r"user-[0-9a-f]{4}@example\.com").unwrap();
        assert!(re.is_match(&text), "{text}");
        let guid = Regex::new(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}").unwrap();
        assert!(guid.is_match(&text), "{text}");
        let mut b = Anonymizer::default();
        b.learn("alice.smith@contoso.com");
        assert_eq!(a.map.get("alice.smith@contoso.com"), b.map.get("alice.smith@contoso.com"));
        let mut c = Anonymizer::new(b"other key");
        c.learn("alice.smith@contoso.com");
        assert_ne!(a.map.get("alice.smith@contoso.com"), c.map.get("alice.smith@contoso.com"));
    }

    #[test]
    fn schema_scrubbing_keeps_attribute_names() {
        let mut a = Anonymizer::default();
        a.learn("Manager");
        a.learn("Contoso Ltd");
        a.compile();
        let schema = r#"{"attributeMappings": [
            {"targetAttributeName": "manager", "source": {"expression": "[manager]", "name": "manager", "type": "Attribute"}},
            {"targetAttributeName": "organization", "defaultValue": "Contoso Ltd",
             "source": {"expression": "IIF([title] = \"Manager\", \"Contoso Ltd\", [manager])", "name": "IIF", "type": "Function"}}
        ], "scope": {"groups": [{"clauses": [{"sourceOperandName": "jobTitle", "targetOperand": {"values": ["Manager"]}}]}]}}"#;
        let out = a.scrub_schema(schema);
        assert!(out.contains(r#""[manager]""#), "{out}");
        assert!(out.contains("[manager])"), "{out}");
        assert!(!out.contains("Contoso"), "{out}");
        assert!(!out.contains("\"Manager\""), "{out}");
    }

    #[test]
    fn job_ids_keep_their_structure() {
        let mut a = Anonymizer::default();
        a.learn("scim.74beb1753b704b63b8d56f0b76082b16.10a7a801-7101-4c69-ae00-ce9f75f8460a");
        let p = &a.map["scim.74beb1753b704b63b8d56f0b76082b16.10a7a801-7101-4c69-ae00-ce9f75f8460a"];
        assert!(p.starts_with("scim."), "{p}");
        assert!(!p.contains("74beb175"), "{p}");
    }
}
