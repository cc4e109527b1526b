//! A user create read once into its stored text. The general path reads a POST body into a `Value`
//! (insertion-ordered maps, a string per key), normalises and completes it ([`StoreOptions::prepare`]),
//! stamps it and writes it out again: ~100,000 instructions for a `bench` user. For a body in the form
//! [`Raw`] reads, whose normalisation changes nothing (no value to coerce, no `null`, a manager already
//! `{"value": …}`), [`StoreOptions::read_create`] writes the stored text straight from the body's tokens:
//! `schemas` first with the URNs the general path adds, then every attribute in body order (less `id`, `meta`
//! and `groups`), the manager's `$ref` set; [`Store::create_direct`] puts in the `id` and `meta`. Everything
//! else — groups, `keep_attributes`, another form of a token, a value normalisation would change, a missing
//! or blank `userName` — is `None` and takes the general path, which also answers every error but the
//! uniqueness 409 (checked here as there). `direct_creates_store_what_the_general_path_stores` holds the two
//! ways to the same text, indexes and errors.

use std::borrow::Cow;

use serde_json::Value;

use super::index::UserKeys;
use super::raw::{self, Document, Raw};
use super::record::{Id, Record};
use super::stamp::json_text;
use super::{now, Kind, Store, StoreOptions};
use crate::scim::model;
use crate::scim::schema::{self, AttrDef, AttrType};
use crate::server::error::ApiError;

/// A user's create body read into its stored text, less `id` and `meta`.
#[derive(Debug)]
pub(crate) struct DirectCreate {
    /// `{"schemas":[…]` and then `,"key":value` per attribute.
    text: String,
    /// Where the `id` goes: just after `schemas`.
    id_at: usize,
    /// The `userName`.
    name: String,
    /// What the indexes read (`userName`, `externalId`, `emails`), taken from the tokens.
    keys: UserKeys,
    has_password: bool,
}

impl StoreOptions {
    /// The stored text of a user create `body`, when it can be written without reading the body into a tree
    /// (see the module docs); `None` takes the general path.
    pub fn read_create(&self, kind: Kind, body: &[u8]) -> Option<DirectCreate> {
        if kind != Kind::User || self.keep_attributes.is_some() {
            return None;
        }
        let mut doc = Document::parse(std::str::from_utf8(body).ok()?)?;
        // Read-only (`groups` is computed from the memberships); keys are unique in any case.
        doc.retain(|k| !["id", "meta", "groups"].iter().any(|a| a.eq_ignore_ascii_case(k)));
        let unchanged = doc.entries.iter().all(|(key, value)| {
            if key.eq_ignore_ascii_case("schemas") {
                return true;
            }
            match (schema::schema(key).filter(|s| !schema::is_core(s.id)), value) {
                (Some(ext), Raw::Obj(inner)) => inner.iter().all(|(k, v)| normalized(Some(ext.id), k, v)),
                (Some(_), _) => true,
                (None, _) => normalized(None, key, value),
            }
        });
        if !unchanged {
            return None;
        }
        let name = raw::get_ci(&doc.entries, "userName")?.as_plain_str().filter(|n| !n.trim().is_empty())?;
        let name = name.to_string();
        let has_ext = raw::find_ci(&doc.entries, model::ENTERPRISE_USER_SCHEMA).is_some();
        let mut schemas = match raw::find_ci(&doc.entries, "schemas").map(|at| doc.remove(at)) {
            Some(Raw::Arr(items)) => items,
            _ => Vec::new(),
        };
        // A string with an escape holds a character no URN has.
        for (urn, wanted) in [(Kind::User.schema(), true), (model::ENTERPRISE_USER_SCHEMA, has_ext)] {
            let named = |s: &Raw<'_>| matches!(s, Raw::Str(s) if s.eq_ignore_ascii_case(urn));
            if wanted && !schemas.iter().any(named) {
                schemas.push(Raw::Str(Cow::Borrowed(urn)));
            }
        }
        self.set_manager_ref(&mut doc);
        // A string's value: its text, or the text read with its escapes.
        let string = |v: &Raw<'_>| match v.to_value() {
            Value::String(s) => Some(s),
            _ => None,
        };
        let external = raw::get_ci(&doc.entries, "externalId").and_then(string);
        // The email index reads the string `value` of each element of an `emails` list, and nothing else.
        let mut emails = Vec::new();
        if let Some(Raw::Arr(list)) = raw::get_ci(&doc.entries, "emails") {
            for email in list.iter().filter_map(|e| e.get_ci("value")).filter_map(string) {
                let email = email.to_lowercase();
                if !emails.contains(&email) {
                    emails.push(email);
                }
            }
        }
        let keys = UserKeys { name: name.to_lowercase(), external, emails };
        let mut text = String::with_capacity(body.len() + 64);
        text.push_str("{\"schemas\":");
        Raw::Arr(schemas).write(&mut text);
        let id_at = text.len();
        doc.write_entries(&mut text);
        let has_password = raw::find_ci(&doc.entries, "password").is_some();
        Some(DirectCreate { text, id_at, name, keys, has_password })
    }

    /// The enterprise manager's `$ref`, as [`StoreOptions::finish`] sets it.
    fn set_manager_ref(&self, doc: &mut Document<'_>) {
        let Some(at) = raw::find_ci(&doc.entries, model::ENTERPRISE_USER_SCHEMA) else { return };
        let Raw::Obj(ext) = &mut doc.entries[at].1 else { return };
        let Some(mgr) = raw::find_ci(ext, "manager") else { return };
        let Raw::Obj(mgr) = &mut ext[mgr].1 else { return };
        let Some(Raw::Str(id)) = raw::get_ci(mgr, "value") else { return };
        // The id's text is as `serde_json` writes it, so it is written into the reference as it is.
        let reference = Raw::Str(Cow::Owned(format!("{}/Users/{id}", json_text(&self.base_url))));
        match mgr.iter_mut().find(|(k, _)| *k == "$ref") {
            Some((_, value)) => *value = reference,
            None => mgr.push(("$ref", reference)),
        }
        // The extension is written from its tree now.
        doc.compact[at] = None;
    }
}

/// Whether the general path's normalisation (`patch::normalize_resource`, through `normalize_attribute`
/// and `coerce`) leaves attribute `name` of `urn` as it is (the body has no `null`).
fn normalized(urn: Option<&'static str>, name: &str, value: &Raw<'_>) -> bool {
    let located = schema::locate(urn, name);
    let container = located.container.or(urn.filter(|u| !schema::is_core(u)));
    if name.eq_ignore_ascii_case("manager") && container == Some(model::ENTERPRISE_USER_SCHEMA) {
        return matches!(value, Raw::Obj(_)) && matches!(value.get_ci("value"), Some(Raw::Str(s)) if !s.is_empty());
    }
    located.def.is_none_or(|def| coerced(def, value, false))
}

/// Whether coercing `value` to `def`'s shape leaves it as it is.
fn coerced(def: &AttrDef, value: &Raw<'_>, element: bool) -> bool {
    if def.multi_valued && !element {
        return match value {
            Raw::Arr(items) => items.iter().all(|item| coerced(def, item, true)),
            other => coerced(def, other, true),
        };
    }
    match (def.kind, value) {
        (AttrType::Boolean, v) => matches!(v, Raw::Bool(_)),
        (AttrType::Complex, Raw::Obj(entries)) => {
            entries.iter().all(|(k, v)| def.sub(k).is_none_or(|sub| coerced(sub, v, false)))
        }
        (AttrType::Complex, _) => false,
        _ => true,
    }
}

impl Store {
    /// Stores a user read by [`StoreOptions::read_create`]; returns the new id.
    pub fn create_direct(&mut self, create: DirectCreate) -> Result<String, ApiError> {
        self.check_unique_name(Kind::User, &create.name, None)?;
        let id = Id::random();
        let ts = now();
        let mut text = String::with_capacity(create.text.len() + 256);
        text.push_str(&create.text[..create.id_at]);
        // An id's text has nothing to escape.
        text.push_str(",\"id\":\"");
        id.push_to(&mut text);
        text.push('"');
        text.push_str(&create.text[create.id_at..]);
        text.push_str(",\"meta\":");
        self.write_meta(&mut text, Kind::User, id, &ts, &ts, 1);
        text.push('}');
        let slot = self.next_slot(Kind::User);
        self.index_new_user(slot, &create.keys);
        self.put(Kind::User, slot, Record::from_text(id, text, 1, create.has_password));
        Ok(id.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::filter::{self, EvalOptions};

    const BASE: &str = "http://127.0.0.1:1/scim/v2";

    /// A POST as the endpoint serves it: the fast path when it reads the body, the general path otherwise.
    /// Returns the new id, and whether the fast path took it.
    fn routed(s: &mut Store, opts: &StoreOptions, body: &str) -> (Result<String, ApiError>, bool) {
        match opts.read_create(Kind::User, body.as_bytes()) {
            Some(create) => (s.create_direct(create), true),
            None => (general(s, opts, body), false),
        }
    }

    fn general(s: &mut Store, opts: &StoreOptions, body: &str) -> Result<String, ApiError> {
        let doc =
            serde_json::from_str(body).map_err(|e| ApiError::bad(model::ScimType::InvalidSyntax, e.to_string()))?;
        s.create_prepared(Kind::User, opts.prepare(Kind::User, doc)?)
    }

    /// The stored text with its id and times masked.
    fn masked(s: &Store, id: &str) -> String {
        let mut text = s.stored(Kind::User, id).expect("stored").json().replace(id, "<id>");
        for key in ["\"created\":\"", "\"lastModified\":\""] {
            let at = text.find(key).expect("time") + key.len();
            let end = at + text[at..].find('"').expect("end");
            text.replace_range(at..end, "T");
        }
        text
    }

    fn bodies() -> Vec<String> {
        let ent = model::ENTERPRISE_USER_SCHEMA;
        let user = model::USER_SCHEMA;
        let entra = format!(
            r#"{{"schemas":["{user}","{ent}"],"externalId":"e1","userName":"first@contoso.com","active":true,
            "displayName":"First \"Q\" Ü😀\\ \n\t","name":{{"givenName":"F","familyName":"L","formatted":"F L"}},
            "emails":[{{"primary":true,"type":"work","value":"First@Contoso.com"}}],"title":"t",
            "addresses":[{{"type":"work","streetAddress":"1 Way","primary":false}}],
            "phoneNumbers":[{{"type":"mobile","value":"+1 555"}}],"roles":[],
            "{ent}":{{"employeeNumber":"42","department":"R&D","manager":{{"value":"m-1"}}}},
            "meta":{{"resourceType":"User"}}}}"#
        );
        let pretty = serde_json::to_string_pretty(&serde_json::from_str::<Value>(&entra).expect("json"))
            .expect("json")
            .replace("first@contoso.com", "pretty@contoso.com")
            .replace("\"e1\"", "\"e2\"");
        let mut out = vec![entra, pretty];
        out.extend([
            r#"{"userName":"bare"}"#.to_string(),
            r#"{"userName":"BARE"}"#.to_string(),
            r#"{"userName":"bare2","schemas":"not a list","externalId":"e1"}"#.to_string(),
            format!(
                r#"{{"Schemas":[1,"{}"],"UserName":"cased","ID":"x","Meta":{{}},"Groups":[]}}"#,
                user.to_uppercase()
            ),
            format!(r#"{{"userName":"ext-only","{ent}":{{"department":"d"}}}}"#),
            format!(
                r#"{{"userName":"ext-cased","{}":{{"Manager":{{"$ref":"old","value":"m-2"}}}}}}"#,
                ent.to_uppercase()
            ),
            format!(
                r#"{{"userName":"mgr-ref","{ent}":{{"manager":{{"value":"a\"b","$ref":"x","displayName":"M"}}}}}}"#
            ),
            format!(r#"{{"userName":"mgr-string","{ent}":{{"manager":"m-3"}}}}"#),
            format!(r#"{{"userName":"mgr-empty","{ent}":{{"manager":{{"value":""}}}}}}"#),
            format!(r#"{{"userName":"mgr-none","{ent}":{{"manager":{{}}}}}}"#),
            format!(r#"{{"userName":"ext-not-object","{ent}":"x"}}"#),
            r#"{"userName":"top-manager","manager":{"value":"m-4"}}"#.to_string(),
            r#"{"userName":"top-manager-string","manager":"m-5"}"#.to_string(),
            r#"{"userName":"other-ext","urn:example:ext:1.0:User":{"x":{"y":[1,2]}}}"#.to_string(),
            r#"{"userName":"pw","password":"secret","emails":{"value":"single@x"}}"#.to_string(),
            r#"{"userName":"odd-emails","emails":[{"type":"work"},{"value":5},{"value":"Ok@x","type":"home"}]}"#
                .to_string(),
            r#"{"userName":"two-emails","externalId":"e\\1","emails":[{"value":"Dup@x"},{"value":"dup@X"},{"value":"q\"@x"}]}"#
                .to_string(),
            r#"{"userName":"bool-string","active":"True"}"#.to_string(),
            r#"{"userName":"sub-bool-string","emails":[{"value":"a@x","primary":"true"}]}"#.to_string(),
            r#"{"userName":"email-string","emails":["s@x"]}"#.to_string(),
            r#"{"userName":"name-string","name":"n"}"#.to_string(),
            r#"{"userName":"a-null","title":null}"#.to_string(),
            r#"{"userName":"a-float","x":1.5}"#.to_string(),
            r#"{"userName":"an-int","x":-12,"y":0}"#.to_string(),
            r#"{"userName":"escaped\u0041"}"#.to_string(),
            r#"{"userName":"tab\tname"}"#.to_string(),
            r#"{"userName":"   "}"#.to_string(),
            r#"{"userName":7}"#.to_string(),
            r#"{"displayName":"no name"}"#.to_string(),
            r#"{"userName":"first@CONTOSO.com"}"#.to_string(),
            r#"{"userName":"dup-key","title":"a","title":"b"}"#.to_string(),
            r#"{"userName":"broken""#.to_string(),
            r#"["userName"]"#.to_string(),
            "{\"userName\":\"bad-utf8\",\"x\":\"\u{fffd}\"}".to_string(),
        ]);
        out
    }

    /// Every store option but `keep_attributes` (which the fast path leaves to the general path) leaves a
    /// user create as it is; the comparison runs under each anyway.
    #[test]
    fn direct_creates_store_what_the_general_path_stores() {
        let plain = StoreOptions { base_url: BASE.into(), ..StoreOptions::default() };
        let switched = StoreOptions {
            keep_group_attributes: Some(vec!["displayName".into()]),
            patch: crate::scim::patch::ApplyOptions {
                remove_all_members_on_legacy_remove: true,
                ignore_pathless_replace: true,
            },
            duplicate_group_names: true,
            ..plain.clone()
        };
        let escaped = StoreOptions { base_url: "http://[::1]:1/scim/v2?\"q\"".into(), ..plain.clone() };
        for opts in [plain, switched, escaped] {
            compare_creates(&opts);
        }
    }

    fn compare_creates(opts: &StoreOptions) {
        let opts = opts.clone();
        let base = opts.base_url.clone();
        let (mut whole, mut fast) = (Store::new(base.clone(), opts.clone()), Store::new(base, opts.clone()));
        let mut taken = Vec::new();
        for body in bodies() {
            let expected = general(&mut whole, &opts, &body);
            let (got, direct) = routed(&mut fast, &opts, &body);
            if direct {
                taken.push(body.clone());
            }
            match (expected, got) {
                (Ok(a), Ok(b)) => {
                    assert_eq!(masked(&whole, &a), masked(&fast, &b), "{body}");
                    let (a, b) = (whole.stored(Kind::User, &a).expect("a"), fast.stored(Kind::User, &b).expect("b"));
                    assert_eq!(a.reads_as_stored(), b.reads_as_stored(), "{body}");
                }
                (Err(a), Err(b)) => assert_eq!((a.status, a.detail), (b.status, b.detail), "{body}"),
                (a, b) => panic!("{body}: general {a:?}, direct {b:?}"),
            }
        }
        // The fast path serves the common forms (and the uniqueness 409), not only the trivial ones.
        for name in [
            "first@contoso.com",
            "pretty@",
            "\"bare\"",
            "BARE",
            "cased",
            "ext-cased",
            "mgr-ref",
            "pw",
            "odd-emails",
            "two-emails",
        ] {
            assert!(taken.iter().any(|b| b.contains(name)), "{name} takes the fast path");
        }
        for name in
            ["mgr-string", "mgr-empty", "bool-string", "email-string", "a-null", "a-float", "escaped", "dup-key"]
        {
            assert!(!taken.iter().any(|b| b.contains(name)), "{name} takes the general path");
        }
        // The indexes list the same keys, and answer the same resources.
        let (a, b) = (whole.table(Kind::User), fast.table(Kind::User));
        for (a, b) in [(&a.by_name, &b.by_name), (&a.by_external, &b.by_external), (&a.by_email, &b.by_email)] {
            assert_eq!(a.entries(), b.entries());
        }
        let filters = [
            r#"emails.value eq "ok@X""#,
            r#"userName eq "pretty@contoso.com""#,
            r#"externalId eq "e1""#,
            r#"externalId eq "e2""#,
            r#"emails[type eq "work"].value eq "first@contoso.com""#,
            r#"userName eq "FIRST@contoso.com""#,
            r#"emails.value eq "single@x""#,
            r#"emails eq "a@x""#,
        ];
        for (i, f) in filters.into_iter().enumerate() {
            let f = filter::parse(f).expect("filter");
            let names = |s: &Store| -> Vec<String> {
                let (_, page) = s.query(Kind::User, Some(&f), EvalOptions::default(), 1, 100);
                page.into_iter().map(|d| d.into_doc()["userName"].to_string()).collect()
            };
            assert_eq!(names(&whole), names(&fast), "{f:?}");
            assert!(i >= 6 || !names(&fast).is_empty(), "{f:?} finds something");
        }
    }

    #[test]
    fn keep_attributes_and_groups_take_the_general_path() {
        let body = br#"{"userName":"u","displayName":"d"}"#;
        let keep = StoreOptions { keep_attributes: Some(vec!["userName".into()]), ..StoreOptions::default() };
        assert!(keep.read_create(Kind::User, body).is_none());
        assert!(StoreOptions::default().read_create(Kind::Group, br#"{"displayName":"g"}"#).is_none());
        assert!(StoreOptions::default().read_create(Kind::User, body).is_some());
    }
}
