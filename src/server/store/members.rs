//! A group's member list, kept apart from the rest of its document so that adding or removing a member costs
//! the same in a group of 20,000 as in a group of two: the members are an ordered set keyed by id (order
//! kept by a position number, lookups by a hash map), the document's text holds everything else, and the
//! list is put back in its place only when the whole document is read.
//!
//! [`Store::patch_members`] applies a PATCH made only of member additions and removals in the shapes Entra
//! sends (`add` of `members`, `remove` of `members[value eq "…"]`, `remove` of `members` with values) to that
//! set. It gives the same document, version and errors as the general PATCH; anything else (other shapes, ids
//! not in the store's form, a switch that changes member removal) goes the general way.

use std::collections::BTreeMap;

use rustc_hash::{FxHashMap, FxHashSet};
use serde_json::Value;

use super::record::{self, Id};
use super::{now, Kind, Store};
use crate::scim::filter::{CompareOp, Filter, Literal};
use crate::scim::model::{self, ScimType};
use crate::scim::patch::{self, Op, PatchOperation};
use crate::scim::path::AttrPath;
use crate::server::error::ApiError;

/// The key the member list is kept under when it is split off.
const KEY: &str = "members";

/// The members of a group, in document order.
pub(super) struct Members {
    /// Where the `members` key sits among the document's keys.
    at: usize,
    /// Position → the member object as compact JSON text; positions only grow, so iteration is document
    /// order.
    order: BTreeMap<u64, Box<str>>,
    positions: FxHashMap<Id, u64>,
    next: u64,
}

impl Members {
    /// Takes the member list out of a group document when every member is an object whose `value` is a
    /// distinct id in the store's form; otherwise leaves the document as it is and returns `None`.
    pub fn split(doc: &mut Value) -> Option<Members> {
        let obj = doc.as_object_mut()?;
        let at = obj.keys().position(|k| k == KEY)?;
        let Some(Value::Array(list)) = obj.get(KEY) else { return None };
        if list.is_empty() {
            return None;
        }
        let mut members = Members { at, order: BTreeMap::new(), positions: FxHashMap::default(), next: 0 };
        for m in list {
            let id =
                m.as_object().and_then(|o| model::get_ci(o, "value")).and_then(Value::as_str).and_then(Id::parse)?;
            if members.contains(id) {
                return None;
            }
            members.push(id, record::encode(m));
        }
        obj.shift_remove(KEY);
        Some(members)
    }

    /// Puts the member list back into the document it was split from.
    pub fn join(&self, doc: &mut Value) {
        let Some(obj) = doc.as_object_mut() else { return };
        let list = self.order.values().map(|json| record::decode(json)).collect();
        obj.shift_insert(self.at.min(obj.len()), KEY.into(), Value::Array(list));
    }

    pub fn contains(&self, id: Id) -> bool {
        self.positions.contains_key(&id)
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    fn push(&mut self, id: Id, json: Box<str>) {
        self.positions.insert(id, self.next);
        self.order.insert(self.next, json);
        self.next += 1;
    }

    pub fn remove(&mut self, id: Id) -> bool {
        let Some(pos) = self.positions.remove(&id) else { return false };
        self.order.remove(&pos);
        true
    }

    /// The member ids, in document order.
    #[cfg(test)]
    pub fn ids(&self) -> Vec<Id> {
        let mut by_position: Vec<(u64, Id)> = self.positions.iter().map(|(id, pos)| (*pos, *id)).collect();
        by_position.sort_unstable();
        by_position.into_iter().map(|(_, id)| id).collect()
    }
}

/// One member operation in a shape the member set applies directly.
enum MemberOp {
    /// Member objects to append (those already present are skipped).
    Add(Vec<Value>),
    /// Ids to remove (absent ones are ignored).
    Remove(Vec<Id>),
}

/// The member operation `op` is, or `None` when it needs the general PATCH.
fn member_op(op: &PatchOperation, legacy_remove_all: bool) -> Option<MemberOp> {
    let path = AttrPath::parse(op.path.as_deref()?).ok()?;
    if !path.name.eq_ignore_ascii_case(KEY) || path.urn.is_some() || path.sub.is_some() {
        return None;
    }
    match (op.kind()?, &path.filter, &op.value) {
        (Op::Add, None, Some(value)) if !value.is_null() => {
            let value = patch::normalize_value(&path, value.clone()).ok()?;
            let list = match value {
                Value::Array(a) => a.into_iter().filter(|v| !v.is_null()).collect(),
                Value::Null => return None,
                other => vec![other],
            };
            Some(MemberOp::Add(list))
        }
        // `members[value eq "id"]`: the element with that id (stored ids are canonical, so equality with a
        // canonical id is the same under either case rule).
        (Op::Remove, Some(Filter::Compare { attr, op: CompareOp::Eq, value: Literal::Str(v) }), _)
            if attr.name.eq_ignore_ascii_case("value") && attr.urn.is_none() && attr.sub.is_none() =>
        {
            Some(MemberOp::Remove(vec![Id::parse(v)?]))
        }
        // Legacy removal by value: elements are matched by their `value` (or themselves); a key that is not a
        // canonical id matches no stored member.
        (Op::Remove, None, Some(value)) if !legacy_remove_all => {
            let values: Vec<&Value> = match value {
                Value::Array(a) => a.iter().collect(),
                Value::Null => return None,
                v => vec![v],
            };
            if values.is_empty() {
                return None;
            }
            let ids = values
                .into_iter()
                .filter_map(|v| match model::element_key(v) {
                    model::ElementKey::Str(s) => Id::parse(s),
                    model::ElementKey::Json(_) => None,
                })
                .collect();
            Some(MemberOp::Remove(ids))
        }
        _ => None,
    }
}

/// Member changes of one PATCH, before they are checked and committed.
#[derive(Default)]
struct Staged {
    added: Vec<(Id, Value)>,
    removed: FxHashSet<Id>,
}

impl Store {
    /// Applies a PATCH made only of member operations to a group whose members are split off, without
    /// reading the member list. `None` when the PATCH or the group needs the general way.
    pub(super) fn patch_members(&mut self, slot: u32, ops: &[PatchOperation]) -> Option<Result<(), ApiError>> {
        let rec = self.groups.at(slot)?;
        let members = rec.members.as_deref()?;
        let legacy_remove_all = self.opts.patch.remove_all_members_on_legacy_remove;
        let ops: Vec<MemberOp> = ops.iter().map(|op| member_op(op, legacy_remove_all)).collect::<Option<_>>()?;
        let mut staged = Staged::default();
        for op in ops {
            match op {
                MemberOp::Add(values) => {
                    for v in values {
                        let text = v.as_object().and_then(|o| model::get_ci(o, "value")).and_then(Value::as_str);
                        // Anything but an id in the store's form is an error the general way words.
                        let id = text.and_then(Id::parse)?;
                        let present = (members.contains(id) && !staged.removed.contains(&id))
                            || staged.added.iter().any(|(a, _)| *a == id);
                        if !present {
                            staged.added.push((id, v));
                        }
                    }
                }
                MemberOp::Remove(ids) => {
                    for id in ids {
                        if let Some(i) = staged.added.iter().position(|(a, _)| *a == id) {
                            staged.added.remove(i);
                        } else if members.contains(id) {
                            staged.removed.insert(id);
                        }
                    }
                }
            }
        }
        Some(self.commit_members(slot, staged))
    }

    fn commit_members(&mut self, slot: u32, staged: Staged) -> Result<(), ApiError> {
        if staged.added.is_empty() && staged.removed.is_empty() {
            return Ok(());
        }
        for (id, _) in &staged.added {
            if !self.users.by_id.contains_key(id) && !self.groups.by_id.contains_key(id) {
                return Err(ApiError::bad(
                    ScimType::InvalidValue,
                    format!("member `{id}` is not the id of an existing User or Group"),
                ));
            }
        }
        let Some(rec) = self.groups.slots.get_mut(slot as usize).and_then(Option::as_mut) else { return Ok(()) };
        let gid = rec.id;
        let mut doc = record::decode(&rec.json);
        let created = doc.pointer("/meta/created").and_then(Value::as_str).unwrap_or_default().to_string();
        rec.version += 1;
        let version = rec.version;
        if let Some(members) = rec.members.as_deref_mut() {
            for id in &staged.removed {
                members.remove(*id);
            }
            for (id, v) in &staged.added {
                members.push(*id, record::encode(v));
            }
        }
        if rec.members.as_deref().is_some_and(Members::is_empty) {
            rec.members = None;
        }
        for id in staged.removed {
            if let Some(groups) = self.member_of.get_mut(&id) {
                groups.remove(&gid);
                if groups.is_empty() {
                    self.member_of.remove(&id);
                }
            }
        }
        for (id, _) in staged.added {
            self.member_of.entry(id).or_default().insert(gid);
        }
        self.stamp(Kind::Group, &mut doc, gid, &created, &now(), version);
        if let Some(rec) = self.groups.slots.get_mut(slot as usize).and_then(Option::as_mut) {
            rec.json = record::encode(&doc);
        }
        Ok(())
    }
}
