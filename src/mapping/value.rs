//! Values of source attributes and of expressions, and the source object that mappings read.
//!
//! Entra's source attributes are strings, booleans, integers, references (the `objectId` of another
//! object, e.g. `manager`) and multi-valued strings (`proxyAddresses`, `otherMails`). Expressions produce
//! the same kinds. `Null` is an absent attribute: Entra never provisions nulls (ENTRA.md 3.1).

use std::borrow::Cow;
use std::fmt;

/// A source attribute or expression value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum Value {
    /// Absent.
    #[default]
    Null,
    /// A string (also how Entra carries references and dates).
    Str(String),
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A multi-valued attribute.
    Multi(Vec<Value>),
}

impl Value {
    /// True for `Null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// True for `Null`, the empty string and an empty multi-value.
    pub fn is_null_or_empty(&self) -> bool {
        match self {
            Value::Null => true,
            Value::Str(s) => s.is_empty(),
            Value::Multi(v) => v.is_empty(),
            _ => false,
        }
    }

    /// The value as Entra would print it in a string context: booleans as `True`/`False`, integers in
    /// decimal, multi-values joined by `,`. `None` for `Null`.
    pub fn to_text(&self) -> Option<String> {
        match self {
            Value::Null => None,
            Value::Str(s) => Some(s.clone()),
            Value::Bool(b) => Some(if *b { "True" } else { "False" }.to_string()),
            Value::Int(i) => Some(i.to_string()),
            Value::Multi(v) => Some(v.iter().filter_map(Value::to_text).collect::<Vec<_>>().join(",")),
        }
    }

    /// The JSON form: `Null` → `null`, strings, booleans and integers as themselves, multi-values as arrays.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Null => serde_json::Value::Null,
            Value::Str(s) => serde_json::Value::String(s.clone()),
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Int(i) => serde_json::Value::from(*i),
            Value::Multi(v) => serde_json::Value::Array(v.iter().map(Value::to_json).collect()),
        }
    }

    /// From JSON: `null` → `Null`, arrays → `Multi`, numbers that fit `i64` → `Int` (others → their text),
    /// objects → their compact JSON text (Entra carries complex source values such as app role
    /// assignments as JSON strings).
    pub fn from_json(json: &serde_json::Value) -> Self {
        match json {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => n.as_i64().map_or_else(|| Value::Str(n.to_string()), Value::Int),
            serde_json::Value::String(s) => Value::Str(s.clone()),
            serde_json::Value::Array(items) => Value::Multi(items.iter().map(Value::from_json).collect()),
            serde_json::Value::Object(_) => Value::Str(json.to_string()),
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            other => write!(f, "{}", other.to_json()),
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Str(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Str(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Int(i)
    }
}

/// A source object as mappings see it: attribute name → value. Lookups try the exact name first, then
/// a case-insensitive match (Entra's attribute names are case-insensitive except directory extensions,
/// whose exact spelling wins when both exist).
///
/// Attributes are kept in a vector sorted by name: an object has a few dozen at most, and a cycle builds
/// one per user, so one allocation beats a tree node per attribute.
///
/// A name is borrowed when it is a constant (the synthetic directory's attribute names), so building the
/// object does not allocate it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct SourceObject {
    attrs: Vec<(Cow<'static, str>, Value)>,
}

impl SourceObject {
    /// An object with no attributes.
    pub fn new() -> Self {
        Self::default()
    }

    fn position(&self, name: &str) -> Result<usize, usize> {
        self.attrs.binary_search_by(|(k, _)| k.as_ref().cmp(name))
    }

    /// The value of `name`, `Null` when absent.
    pub fn get(&self, name: &str) -> &Value {
        static NULL: Value = Value::Null;
        if let Ok(i) = self.position(name) {
            return &self.attrs[i].1;
        }
        self.attrs.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map_or(&NULL, |(_, v)| v)
    }

    /// True when `name` is present (exactly or case-insensitively) and not `Null`.
    pub fn has(&self, name: &str) -> bool {
        !self.get(name).is_null()
    }

    /// Sets `name`; setting `Null` removes it.
    pub fn set(&mut self, name: impl Into<String>, value: Value) {
        let name = name.into();
        match (self.position(&name), value.is_null()) {
            (Ok(i), true) => {
                self.attrs.remove(i);
            }
            (Ok(i), false) => self.attrs[i].1 = value,
            (Err(_), true) => {}
            (Err(i), false) => self.attrs.insert(i, (Cow::Owned(name), value)),
        }
    }

    /// Removes `name` (exact spelling).
    pub fn remove(&mut self, name: &str) -> Option<Value> {
        self.position(name).ok().map(|i| self.attrs.remove(i).1)
    }

    /// Attribute names and values, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.attrs.iter().map(|(k, v)| (k.as_ref(), v))
    }

    /// From a JSON object of Entra attributes (`{"userPrincipalName": "...", ...}`); anything that is not
    /// an object gives an empty source object.
    pub fn from_json(json: &serde_json::Value) -> Self {
        match json.as_object() {
            Some(map) => map.iter().map(|(k, v)| (k.clone(), Value::from_json(v))).collect(),
            None => SourceObject::new(),
        }
    }

    /// The JSON object form, attributes sorted by name.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::Value::Object(self.attrs.iter().map(|(k, v)| (k.to_string(), v.to_json())).collect())
    }
}

impl FromIterator<(String, Value)> for SourceObject {
    /// Later values of a name win, as with repeated [`SourceObject::set`]; `Null` values are dropped.
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(iter: I) -> Self {
        SourceObject::from_names(iter.into_iter().map(|(k, v)| (Cow::Owned(k), v)))
    }
}

impl FromIterator<(&'static str, Value)> for SourceObject {
    /// As from owned names, without allocating the names.
    fn from_iter<I: IntoIterator<Item = (&'static str, Value)>>(iter: I) -> Self {
        SourceObject::from_names(iter.into_iter().map(|(k, v)| (Cow::Borrowed(k), v)))
    }
}

/// Attribute names in strictly increasing order, checked when the build evaluates the `const` that holds
/// them: [`SourceObject::from_sorted`] then builds an object from them without sorting or checking.
#[derive(Debug, Clone, Copy)]
pub struct SortedNames<const N: usize>([&'static str; N]);

impl<const N: usize> SortedNames<N> {
    /// The names. Meant for a `const` item, where names out of order fail the build.
    pub const fn new(names: [&'static str; N]) -> Self {
        let mut i = 1;
        while i < N {
            assert!(precedes(names[i - 1], names[i]), "attribute names must be in strictly increasing order");
            i += 1;
        }
        SortedNames(names)
    }
}

/// `a < b` as `str`'s `Ord` compares them (bytewise), usable in a `const`.
const fn precedes(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut i = 0;
    while i < a.len() && i < b.len() {
        if a[i] != b[i] {
            return a[i] < b[i];
        }
        i += 1;
    }
    a.len() < b.len()
}

impl SourceObject {
    /// From values of constant names (the synthetic directory spells its users out this way), `Null`
    /// values left out, with room for `spare` more [`SourceObject::set`]s.
    pub fn from_sorted<const N: usize>(names: &SortedNames<N>, values: [Value; N], spare: usize) -> Self {
        let mut attrs = Vec::with_capacity(N + spare);
        for (name, value) in names.0.iter().zip(values) {
            if !value.is_null() {
                attrs.push((Cow::Borrowed(*name), value));
            }
        }
        SourceObject { attrs }
    }

    fn from_names(iter: impl Iterator<Item = (Cow<'static, str>, Value)>) -> Self {
        let mut attrs: Vec<(Cow<'static, str>, Value)> = iter.collect();
        // Stable: equal names keep their order, so the last one written is last.
        attrs.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out: Vec<(Cow<'static, str>, Value)> = Vec::with_capacity(attrs.len());
        for (k, v) in attrs {
            match out.last_mut() {
                Some(last) if last.0 == k => last.1 = v,
                _ => out.push((k, v)),
            }
        }
        out.retain(|(_, v)| !v.is_null());
        SourceObject { attrs: out }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_constants_build_what_sets_build() {
        const NAMES: SortedNames<4> = SortedNames::new(["B", "a", "ab", "b"]);
        let values = [Value::from("1"), Value::Null, Value::Bool(true), Value::Multi(vec![Value::from("x")])];
        let fast = SourceObject::from_sorted(&NAMES, values.clone(), 2);
        let mut general = SourceObject::new();
        NAMES.0.iter().zip(values).rev().for_each(|(k, v)| general.set(*k, v));
        assert_eq!(fast, general);
        assert_eq!(fast.iter().map(|(k, _)| k).collect::<Vec<_>>(), ["B", "ab", "b"]);
        assert!(precedes("a", "ab") && precedes("Z", "a") && !precedes("b", "b") && !precedes("b", "a"));
    }

    #[test]
    fn source_objects_keep_names_sorted_and_the_last_value_written() {
        let obj: SourceObject = [
            ("mail".to_string(), Value::from("a")),
            ("city".to_string(), Value::from("x")),
            ("mail".to_string(), Value::from("b")),
            ("gone".to_string(), Value::from("y")),
            ("gone".to_string(), Value::Null),
        ]
        .into_iter()
        .collect();
        let names: Vec<&str> = obj.iter().map(|(k, _)| k).collect();
        assert_eq!(names, ["city", "mail"]);
        assert_eq!(obj.get("MAIL"), &Value::from("b"));
        let mut obj = obj;
        obj.set("beta", Value::from("1"));
        obj.set("city", Value::Null);
        assert_eq!(obj.iter().map(|(k, _)| k).collect::<Vec<_>>(), ["beta", "mail"]);
        assert_eq!(obj.remove("mail"), Some(Value::from("b")));
        assert!(!obj.has("mail"));
    }

    #[test]
    fn lookup_prefers_exact_then_case_insensitive() {
        let mut o = SourceObject::new();
        o.set("givenName", "Alice".into());
        assert_eq!(o.get("givenName"), &Value::from("Alice"));
        assert_eq!(o.get("GIVENNAME"), &Value::from("Alice"));
        assert!(o.get("surname").is_null());
    }

    #[test]
    fn json_round_trip_keeps_kinds() {
        let json = serde_json::json!({"a": "x", "b": true, "c": 3, "d": ["p", "q"], "e": null});
        let o = SourceObject::from_json(&json);
        assert_eq!(o.to_json(), serde_json::json!({"a": "x", "b": true, "c": 3, "d": ["p", "q"]}));
    }

    #[test]
    fn text_form_matches_entra() {
        assert_eq!(Value::Bool(false).to_text().as_deref(), Some("False"));
        assert_eq!(Value::Null.to_text(), None);
    }
}
