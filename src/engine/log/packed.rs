//! A provisioning-log entry packed for a log that holds many ([`PackedEvent`]): its texts (alias, ids,
//! message, attribute values, request lines) in one string with their ends, the names of the attributes it
//! changed in a list shared by the entries that changed the same ones ([`NameLists`]), and each value's JSON
//! kept exactly (a text as it is, anything else as its JSON). A [`ProvisioningEvent`] of a created user holds
//! about 20 `ModifiedProperty`s of 184 bytes each besides their texts (~4.5 KB); packed, about 0.8 KB.
//! [`PackedEvent::unpack`] gives back the same event.

use std::sync::Arc;

use serde_json::Value as Json;

use crate::engine::result::{
    ErrorCode, LogAction, LogStatus, ModifiedProperty, ObjectKind, ObjectRef, ProvisioningEvent, RequestRef,
};

/// A list of attribute names, shared by the entries that name the same ones in the same order.
pub type NameList = Arc<[Box<str>]>;

/// Remembers the last few name lists packed, so entries with the same names share one list.
#[derive(Debug, Default, Clone)]
pub struct NameLists {
    recent: Vec<NameList>,
}

/// Lists remembered: a cycle's entries mostly name one of a handful of sets (a create's attributes, the
/// same with the manager, a disable's `active`).
const RECENT: usize = 8;

impl NameLists {
    /// The shared list of `names`, made when none of the recent ones is the same.
    pub fn share<'a>(&mut self, names: impl ExactSizeIterator<Item = &'a str> + Clone) -> NameList {
        let same = |list: &NameList| list.len() == names.len() && list.iter().map(|n| &**n).eq(names.clone());
        if let Some(i) = self.recent.iter().position(same) {
            let list = self.recent.remove(i);
            self.recent.push(list.clone());
            return list;
        }
        let list: NameList = names.map(Box::from).collect();
        if self.recent.len() == RECENT {
            self.recent.remove(0);
        }
        self.recent.push(list.clone());
        list
    }
}

/// How a value of a modified property is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kept {
    /// No value.
    Absent,
    /// A JSON string: its text.
    Text,
    /// Any other JSON value: its JSON.
    Json,
}

/// One provisioning-log entry, packed (see the module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct PackedEvent(Form);

#[derive(Debug, Clone, PartialEq)]
enum Form {
    Packed(Box<Packed>),
    /// An entry whose texts do not fit 32-bit offsets, as it came.
    Whole(Box<ProvisioningEvent>),
}

#[derive(Debug, Clone, PartialEq)]
struct Packed {
    kind: ObjectKind,
    action: LogAction,
    status: LogStatus,
    code: Option<ErrorCode>,
    has_target: bool,
    /// Alias, source id, target id (empty when none), message, each modified property's old and new value
    /// (an absent one takes no piece), each request's line.
    text: Box<str>,
    /// Where each piece of `text` ends.
    ends: Box<[u32]>,
    /// The modified properties' names.
    names: NameList,
    /// How each modified property's old and new value is kept.
    kept: Box<[(Kept, Kept)]>,
    /// Each request's transcript index and status.
    requests: Box<[(usize, Option<u16>)]>,
}

/// Pieces before the values: alias, source id, target id, message.
const HEAD: usize = 4;

impl PackedEvent {
    /// Packs `event`, sharing its names through `lists`.
    pub fn pack(event: ProvisioningEvent, lists: &mut NameLists) -> Self {
        let mut text = String::new();
        let mut ends = Vec::new();
        let mut push = |text: &mut String, piece: &str| {
            text.push_str(piece);
            ends.push(u32::try_from(text.len()));
        };
        let o = &event.object;
        push(&mut text, &o.alias);
        push(&mut text, &o.source_id);
        push(&mut text, o.target_id.as_deref().unwrap_or(""));
        push(&mut text, &event.message);
        let mut kept = Vec::with_capacity(event.modified.len());
        for m in &event.modified {
            // An absent value (a create's old ones) takes no piece.
            let old = keep(&mut text, m.old.as_ref());
            if old != Kept::Absent {
                push(&mut text, "");
            }
            let new = keep(&mut text, m.new.as_ref());
            if new != Kept::Absent {
                push(&mut text, "");
            }
            kept.push((old, new));
        }
        for r in &event.requests {
            push(&mut text, &r.line);
        }
        let Ok(ends) = ends.into_iter().collect::<Result<Box<[u32]>, _>>() else {
            return PackedEvent(Form::Whole(Box::new(event)));
        };
        let names = lists.share(event.modified.iter().map(|m| m.name.as_str()));
        PackedEvent(Form::Packed(Box::new(Packed {
            kind: o.kind,
            action: event.action,
            status: event.status,
            code: event.code,
            has_target: o.target_id.is_some(),
            text: text.into_boxed_str(),
            ends,
            names,
            kept: kept.into_boxed_slice(),
            requests: event.requests.iter().map(|r| (r.index, r.status)).collect(),
        })))
    }

    /// The event as it was packed.
    pub fn unpack(&self) -> ProvisioningEvent {
        let p = match &self.0 {
            Form::Packed(p) => p,
            Form::Whole(event) => return (**event).clone(),
        };
        let mut next = HEAD;
        let mut value = |kept: Kept| {
            let value = p.value(next, kept);
            next += usize::from(kept != Kept::Absent);
            value
        };
        let modified = p
            .names
            .iter()
            .zip(p.kept.iter())
            .map(|(name, &(old, new))| ModifiedProperty { name: name.to_string(), old: value(old), new: value(new) })
            .collect();
        let requests = p
            .requests
            .iter()
            .enumerate()
            .map(|(i, &(index, status))| RequestRef { index, line: p.piece(next + i).to_string(), status })
            .collect();
        ProvisioningEvent {
            object: self.object(),
            action: p.action,
            status: p.status,
            code: p.code,
            message: p.piece(3).to_string(),
            modified,
            requests,
        }
    }

    /// The event without its modified properties and requests (what a filtered read of a log tests).
    pub fn head(&self) -> ProvisioningEvent {
        ProvisioningEvent {
            object: self.object(),
            action: self.action(),
            status: self.status(),
            code: self.code(),
            message: self.message().to_string(),
            modified: Vec::new(),
            requests: Vec::new(),
        }
    }

    /// The object.
    pub fn object(&self) -> ObjectRef {
        match &self.0 {
            Form::Packed(p) => ObjectRef {
                kind: p.kind,
                alias: p.piece(0).to_string(),
                source_id: p.piece(1).to_string(),
                target_id: p.has_target.then(|| p.piece(2).to_string()),
            },
            Form::Whole(event) => event.object.clone(),
        }
    }

    /// The object's source `objectId`.
    pub fn source_id(&self) -> &str {
        match &self.0 {
            Form::Packed(p) => p.piece(1),
            Form::Whole(event) => &event.object.source_id,
        }
    }

    /// What was done.
    pub fn action(&self) -> LogAction {
        match &self.0 {
            Form::Packed(p) => p.action,
            Form::Whole(event) => event.action,
        }
    }

    /// How it went.
    pub fn status(&self) -> LogStatus {
        match &self.0 {
            Form::Packed(p) => p.status,
            Form::Whole(event) => event.status,
        }
    }

    /// The error or reason code.
    pub fn code(&self) -> Option<ErrorCode> {
        match &self.0 {
            Form::Packed(p) => p.code,
            Form::Whole(event) => event.code,
        }
    }

    /// The names of the attributes it changed.
    pub fn names(&self) -> NameList {
        match &self.0 {
            Form::Packed(p) => p.names.clone(),
            Form::Whole(event) => event.modified.iter().map(|m| Box::from(m.name.as_str())).collect(),
        }
    }

    /// The line explaining the status.
    pub fn message(&self) -> &str {
        match &self.0 {
            Form::Packed(p) => p.piece(3),
            Form::Whole(event) => &event.message,
        }
    }
}

impl From<ProvisioningEvent> for PackedEvent {
    fn from(event: ProvisioningEvent) -> Self {
        PackedEvent::pack(event, &mut NameLists::default())
    }
}

impl Packed {
    fn piece(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends.get(i - 1).map_or(0, |&e| e as usize) };
        let end = self.ends.get(i).map_or(start, |&e| e as usize);
        self.text.get(start..end).unwrap_or("")
    }

    fn value(&self, i: usize, kept: Kept) -> Option<Json> {
        match kept {
            Kept::Absent => None,
            Kept::Text => Some(Json::String(self.piece(i).to_string())),
            // Written by `serde_json` from a value, so it reads back as the same value.
            Kept::Json => serde_json::from_str(self.piece(i)).ok(),
        }
    }
}

/// Appends a value's text (a string) or JSON (anything else) and says which.
fn keep(text: &mut String, value: Option<&Json>) -> Kept {
    match value {
        None => Kept::Absent,
        Some(Json::String(s)) => {
            text.push_str(s);
            Kept::Text
        }
        Some(other) => {
            text.push_str(&other.to_string());
            Kept::Json
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn json() -> impl Strategy<Value = Json> {
        let leaf = prop_oneof![
            Just(Json::Null),
            any::<bool>().prop_map(Json::Bool),
            any::<i64>().prop_map(Json::from),
            any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Json::from),
            ".{0,12}".prop_map(Json::String),
        ];
        leaf.prop_recursive(2, 8, 3, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..3).prop_map(Json::Array),
                prop::collection::vec(("[a-z]{1,4}", inner), 0..3)
                    .prop_map(|kv| Json::Object(kv.into_iter().collect())),
            ]
        })
    }

    fn event() -> impl Strategy<Value = ProvisioningEvent> {
        let modified = prop::collection::vec(
            ("[a-zA-Z.:\\[\\] \"]{0,20}", prop::option::of(json()), prop::option::of(json()))
                .prop_map(|(name, old, new)| ModifiedProperty { name, old, new }),
            0..6,
        );
        let requests =
            prop::collection::vec(
                (any::<usize>(), ".{0,30}", prop::option::of(any::<u16>()))
                    .prop_map(|(index, line, status)| RequestRef { index, line, status }),
                0..4,
            );
        let actions = prop::sample::select(vec![LogAction::Create, LogAction::Update, LogAction::Skip]);
        let statuses = prop::sample::select(vec![LogStatus::Success, LogStatus::Failure, LogStatus::Skipped]);
        let codes = prop::option::of(prop::sample::select(vec![ErrorCode::EntryConflict, ErrorCode::Timeout]));
        (".{0,10}", ".{0,36}", prop::option::of(".{0,36}"), actions, statuses, codes, ".{0,20}", modified, requests)
            .prop_map(|(alias, source_id, target_id, action, status, code, message, modified, requests)| {
                ProvisioningEvent {
                    object: ObjectRef { kind: ObjectKind::User, alias, source_id, target_id },
                    action,
                    status,
                    code,
                    message,
                    modified,
                    requests,
                }
            })
    }

    proptest! {
        #[test]
        fn a_packed_event_unpacks_to_the_same_event(events in prop::collection::vec(event(), 1..4)) {
            let mut lists = NameLists::default();
            for event in events {
                let packed = PackedEvent::pack(event.clone(), &mut lists);
                prop_assert_eq!(packed.object(), event.object.clone());
                prop_assert_eq!(packed.source_id(), event.object.source_id.as_str());
                prop_assert_eq!(packed.message(), event.message.as_str());
                prop_assert_eq!((packed.action(), packed.status(), packed.code()), (event.action, event.status, event.code));
                prop_assert_eq!(packed.unpack(), event);
            }
        }
    }

    #[test]
    fn entries_that_change_the_same_attributes_share_one_list_of_names() {
        let mut lists = NameLists::default();
        let a = lists.share(["userName", "active"].into_iter());
        let b = lists.share(["active"].into_iter());
        let c = lists.share(["userName", "active"].into_iter());
        assert!(Arc::ptr_eq(&a, &c) && !Arc::ptr_eq(&a, &b));
    }
}
