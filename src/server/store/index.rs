//! The store's indexes: which candidates an `eq` filter needs ([`Store::plan`]) and how a write moves the
//! index entries ([`Store::reindex`]).

use std::collections::HashSet;

use serde_json::Value;

use super::keys::KeyIndex;
use super::record::Id;
use super::{str_at, Kind, Store};
use crate::scim::filter::{AttrRef, CompareOp, Filter, Literal};
use crate::scim::{model, schema};

impl Store {
    /// Candidate slots from an index for `attr eq "v"` (alone or inside an `and`), or `None` to scan.
    pub(super) fn plan(&self, kind: Kind, f: &Filter) -> Option<Vec<u32>> {
        let table = self.table(kind);
        match f {
            Filter::And(a, b) => self.plan(kind, a).or_else(|| self.plan(kind, b)),
            // `emails.value eq "x"`, `emails eq "x"`, `emails[type eq "work"].value eq "x"`,
            // `emails[type eq "work" and value eq "x"]`.
            Filter::Compare { attr, op: CompareOp::Eq, value: Literal::Str(v) }
                if kind == Kind::User
                    && is_core_attr(attr, "emails")
                    && attr.sub.as_deref().is_none_or(|s| s.eq_ignore_ascii_case("value")) =>
            {
                Some(table.by_email.get(&v.to_lowercase()))
            }
            Filter::Compare { attr, op: CompareOp::Eq, value: Literal::Str(v) }
                if attr.sub.is_none() && attr.urn.as_deref().is_none_or(schema::is_core) =>
            {
                let name = attr.name.as_str();
                if name.eq_ignore_ascii_case(kind.unique_attr()) {
                    // With duplicate group names allowed the name index keeps one id per name: scan instead.
                    if kind == Kind::Group && self.opts.duplicate_group_names {
                        return None;
                    }
                    Some(table.by_name.get(&v.to_lowercase()))
                } else if name.eq_ignore_ascii_case("externalId") {
                    Some(table.by_external.get(v))
                } else if name.eq_ignore_ascii_case("id") {
                    Some(table.slot(v).into_iter().collect())
                } else {
                    None
                }
            }
            Filter::ValuePath { attr, filter, then } if kind == Kind::User && is_core_attr(attr, "emails") => {
                let value_eq = |f: &Filter| match f {
                    Filter::Compare { attr, op: CompareOp::Eq, value: Literal::Str(v) }
                        if attr.name.eq_ignore_ascii_case("value") =>
                    {
                        Some(v.to_lowercase())
                    }
                    _ => None,
                };
                let mut stack = vec![filter.as_ref()];
                stack.extend(then.as_deref());
                let mut found = None;
                while let Some(f) = stack.pop() {
                    match f {
                        Filter::And(a, b) => stack.extend([a.as_ref(), b.as_ref()]),
                        other => {
                            found = value_eq(other);
                            if found.is_some() {
                                break;
                            }
                        }
                    }
                }
                let v = found?;
                Some(table.by_email.get(&v))
            }
            _ => None,
        }
    }

    /// Moves the index entries of resource `id` in `slot` from document `old` to document `new`.
    pub(super) fn reindex(&mut self, kind: Kind, id: Id, slot: u32, old: Option<&Value>, new: Option<&Value>) {
        let name_of = |d: Option<&Value>| d.and_then(|d| str_at(d, kind.unique_attr())).map(str::to_lowercase);
        let ext_of = |d: Option<&Value>| -> HashSet<String> {
            d.and_then(|d| str_at(d, "externalId")).map(str::to_string).into_iter().collect()
        };
        let emails_of = |d: Option<&Value>| {
            if kind == Kind::User {
                d.map(email_values).unwrap_or_default()
            } else {
                HashSet::new()
            }
        };
        let (old_name, new_name) = (name_of(old), name_of(new));
        let table = self.table_mut(kind);
        if old_name != new_name {
            if let Some(n) = old_name {
                table.by_name.remove(&n, slot);
            }
            if let Some(n) = new_name {
                table.by_name.insert(&n, slot);
            }
        }
        reindex_multi(&mut table.by_external, slot, ext_of(old), ext_of(new));
        reindex_multi(&mut table.by_email, slot, emails_of(old), emails_of(new));
        if kind == Kind::Group {
            let before = old.map(member_ids).unwrap_or_default();
            let after = new.map(member_ids).unwrap_or_default();
            for gone in before.difference(&after).filter_map(|m| Id::parse(m)) {
                if let Some(set) = self.member_of.get_mut(&gone) {
                    set.remove(&id);
                    if set.is_empty() {
                        self.member_of.remove(&gone);
                    }
                }
            }
            for added in after.difference(&before).filter_map(|m| Id::parse(m)) {
                self.member_of.entry(added).or_default().insert(id);
            }
        }
    }
}

/// What a new user puts in the indexes, read from its create body's tokens (`store::direct`): what
/// [`Store::reindex`] reads from a document, without building one.
#[derive(Debug)]
pub(super) struct UserKeys {
    /// The lower-cased `userName`.
    pub name: String,
    /// The `externalId`, when it is a string.
    pub external: Option<String>,
    /// The lower-cased string `emails[].value`s, each once.
    pub emails: Vec<String>,
}

impl Store {
    /// Lists a new user in `slot` under its keys, as `reindex` from no document to the user's does.
    pub(super) fn index_new_user(&mut self, slot: u32, keys: &UserKeys) {
        let table = self.table_mut(Kind::User);
        table.by_name.insert(&keys.name, slot);
        if let Some(external) = &keys.external {
            table.by_external.insert(external, slot);
        }
        for email in &keys.emails {
            table.by_email.insert(email, slot);
        }
    }
}

fn is_core_attr(attr: &AttrRef, name: &str) -> bool {
    attr.name.eq_ignore_ascii_case(name) && attr.urn.as_deref().is_none_or(schema::is_core)
}

fn member_ids(doc: &Value) -> HashSet<&str> {
    doc.as_object()
        .and_then(|o| model::get_ci(o, "members"))
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|m| m.as_object().and_then(|o| model::get_ci(o, "value"))?.as_str()).collect())
        .unwrap_or_default()
}

/// Moves `slot` in a multi-valued index from the `old` keys to the `new` ones.
fn reindex_multi(index: &mut KeyIndex, slot: u32, old: HashSet<String>, new: HashSet<String>) {
    for key in old.difference(&new) {
        index.remove(key, slot);
    }
    for key in new.difference(&old) {
        index.insert(key, slot);
    }
}

/// The lower-cased `emails[].value`s of a user (`emails.value` is not caseExact).
fn email_values(doc: &Value) -> HashSet<String> {
    doc.as_object()
        .and_then(|o| model::get_ci(o, "emails"))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|e| e.as_object().and_then(|o| model::get_ci(o, "value"))?.as_str().map(str::to_lowercase))
                .collect()
        })
        .unwrap_or_default()
}
