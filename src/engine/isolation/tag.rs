//! `--unique-names`: a short run tag appended to every name-like value a scenario sends, so parallel
//! runs can share one endpoint without their objects meeting.
//!
//! The tag is `-es` and six characters from an alphabet without vowels or hex-only runs
//! (`-esk4m9x2`): it is valid in an e-mail local part, a domain-less nickname, a display name and a
//! filter literal, needs no URL escaping, survives lower-casing, and cannot be part of ordinary text or
//! a GUID. Values with an `@` get it at the end of the local part (`alice-esk4m9x2@contoso.com`), other
//! values at the end. Transcripts remove it again ([`crate::snapshot::Redactor::with_run_tag`]).

use std::sync::Arc;

use serde_json::Value as Json;

use crate::engine::result::ObjectKind;
use crate::engine::source::{AttrSpec, Mapper, ObjectActions, ScopeCheck};
use crate::mapping::{SourceObject, Value};

/// Characters of the random part: lowercase consonants and digits that read as no word.
const ALPHABET: &[u8] = b"bcdfghjkmnpqrstvwxz23456789";
/// Length of the random part.
const RANDOM_LEN: usize = 6;
/// What every tag starts with.
const PREFIX: &str = "-es";

/// A run tag such as `-esk4m9x2`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunTag(String);

impl RunTag {
    /// A fresh random tag.
    pub fn random() -> Self {
        use rand::Rng as _;
        let mut rng = rand::rng();
        let random: String =
            (0..RANDOM_LEN).map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())])).collect();
        RunTag(format!("{PREFIX}{random}"))
    }

    /// The tag for a given random part (tests, reproducing a run); `None` unless it is six characters of
    /// the tag alphabet.
    pub fn from_random_part(random: &str) -> Option<Self> {
        let valid = random.len() == RANDOM_LEN && random.bytes().all(|b| ALPHABET.contains(&b));
        valid.then(|| RunTag(format!("{PREFIX}{random}")))
    }

    /// The tag as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `value` with the tag: before the `@` of an address, else at the end.
    pub fn apply(&self, value: &str) -> String {
        apply_tag(value, &self.0)
    }

    /// `text` with every occurrence of the tag (in any case) removed.
    pub fn remove(&self, text: &str) -> String {
        remove_tag(text, &self.0)
    }

    /// Tags the name-like fields of a SCIM resource in place (`[target]` seeds).
    pub fn apply_to_resource(&self, resource: &mut Json) {
        let Some(object) = resource.as_object_mut() else { return };
        for (key, value) in object.iter_mut() {
            match (name_like(key), value) {
                (true, Json::String(s)) => *s = self.apply(s),
                (_, Json::Array(items)) if key == "emails" => {
                    for item in items {
                        if let Some(Json::String(s)) = item.get_mut("value") {
                            *s = self.apply(s);
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

/// `value` with `tag`: before the `@` of an address, else at the end.
pub fn apply_tag(value: &str, tag: &str) -> String {
    match value.split_once('@') {
        Some((local, domain)) => format!("{local}{tag}@{domain}"),
        None => format!("{value}{tag}"),
    }
}

/// `text` without `tag` (the redactor's, which transcripts use too).
pub use crate::redact::remove_tag;

/// True for a top-level target attribute that names or identifies an object.
fn name_like(attribute: &str) -> bool {
    ["userName", "displayName", "externalId", "nickName"].iter().any(|n| n.eq_ignore_ascii_case(attribute))
}

/// True for a target path whose values name or identify an object: `userName`, `displayName`,
/// `externalId`, `nickName` and e-mail addresses (`emails[type eq "work"].value`, not `.primary`).
pub fn name_like_path(target: &str) -> bool {
    let target = target.rsplit_once(':').map_or(target, |(_, attr)| attr);
    name_like(target) || (target.starts_with("emails") && target.ends_with("value"))
}

/// A [`Mapper`] whose name-like values carry the run tag; everything else is the inner mapper's.
pub struct TaggingMapper<'a> {
    inner: &'a dyn Mapper,
    tag: RunTag,
}

impl<'a> TaggingMapper<'a> {
    /// Wraps `inner`.
    pub fn new(inner: &'a dyn Mapper, tag: RunTag) -> Self {
        TaggingMapper { inner, tag }
    }

    fn tag_value(&self, value: Value) -> Value {
        match value {
            Value::Str(s) if !s.is_empty() => Value::Str(self.tag.apply(&s)),
            Value::Multi(items) => Value::Multi(items.into_iter().map(|v| self.tag_value(v)).collect()),
            other => other,
        }
    }
}

impl Mapper for TaggingMapper<'_> {
    fn specs(&self, kind: ObjectKind) -> Arc<[AttrSpec]> {
        self.inner.specs(kind)
    }

    fn evaluate(
        &self,
        kind: ObjectKind,
        index: usize,
        source: &SourceObject,
        evaluation: u64,
    ) -> Result<Value, String> {
        let value = self.inner.evaluate(kind, index, source, evaluation)?;
        let specs = self.inner.specs(kind);
        let tagged = specs.get(index).is_some_and(|s| name_like_path(&s.target));
        Ok(if tagged { self.tag_value(value) } else { value })
    }

    fn typed(&self, kind: ObjectKind, index: usize, value: Value) -> Json {
        self.inner.typed(kind, index, value)
    }

    fn scope(&self, kind: ObjectKind, source: &SourceObject) -> ScopeCheck {
        self.inner.scope(kind, source)
    }

    fn actions(&self, kind: ObjectKind) -> ObjectActions {
        self.inner.actions(kind)
    }

    fn revision(&self) -> Option<u64> {
        // Tagged values match differently from the inner mapper's: a revision of their own.
        let inner = self.inner.revision()?;
        Some(crate::engine::source::fingerprint(&(inner, self.tag.as_str())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tag() -> RunTag {
        RunTag::from_random_part("k4m9x2").expect("valid")
    }

    #[test]
    fn addresses_get_the_tag_on_the_local_part() {
        assert_eq!(tag().apply("alice@contoso.com"), "alice-esk4m9x2@contoso.com");
        assert_eq!(tag().apply("Engineering"), "Engineering-esk4m9x2");
        assert_eq!(tag().remove("userName eq \"ALICE-ESK4M9X2@contoso.com\""), "userName eq \"ALICE@contoso.com\"");
    }

    #[test]
    fn random_tags_are_valid_and_differ() {
        let a = RunTag::random();
        assert!(RunTag::from_random_part(&a.as_str()[PREFIX.len()..]).is_some());
        assert!(RunTag::from_random_part("abc").is_none());
        assert!(RunTag::from_random_part("aaaaaa").is_none(), "vowels are not in the alphabet");
    }

    #[test]
    fn seeds_have_their_names_tagged() {
        let mut seed = json!({"userName": "bob@contoso.com", "active": true,
            "emails": [{"type": "work", "value": "bob@contoso.com"}], "title": "Boss"});
        tag().apply_to_resource(&mut seed);
        assert_eq!(seed["userName"], "bob-esk4m9x2@contoso.com");
        assert_eq!(seed["emails"][0]["value"], "bob-esk4m9x2@contoso.com");
        assert_eq!(seed["title"], "Boss");
    }

    #[test]
    fn name_like_paths() {
        assert!(name_like_path("userName"));
        assert!(name_like_path("emails[type eq \"work\"].value"));
        assert!(name_like_path("urn:ietf:params:scim:schemas:core:2.0:User:displayName"));
        assert!(!name_like_path("title"));
        assert!(!name_like_path("emails[type eq \"work\"].primary"));
        assert!(!name_like_path("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"));
    }
}
