//! The target side: objects the target already held, create conflicts and attributes the endpoint never
//! kept (set up through `[[target.users]]` and `[embedded]` switches).

use std::collections::BTreeMap;

use super::super::schema::Source;
use super::{Planner, TargetObject};
use crate::logs::model::LogRecord;
use crate::logs::summary::display_name;

impl Planner<'_> {
    /// The target already held this object before the first cycle (matched, not created).
    pub(super) fn pre_existing(&mut self, i: usize, r: &LogRecord) {
        let group = self.states[i].object.group;
        let mut attrs = BTreeMap::new();
        if let Some(m) = self.view.matching(group).cloned() {
            let from_props = r
                .modified_properties
                .iter()
                .find(|p| p.name.eq_ignore_ascii_case(&m.target))
                .and_then(|p| p.old_value.clone());
            let from_source = match &m.source {
                Source::Direct(src) => self.states[i].current.get(src).cloned(),
                _ => None,
            };
            if let Some(v) = from_props.or(from_source) {
                attrs.insert(m.target.clone(), v);
            }
        }
        for p in &r.modified_properties {
            if let Some(old) = &p.old_value {
                attrs.entry(p.name.clone()).or_insert_with(|| old.clone());
            }
        }
        // The logs show an update, not an enable: the target object was active.
        if !group && self.view.find(false, "active").is_some() {
            attrs.entry("active".to_string()).or_insert_with(|| "True".to_string());
        }
        let comment = format!(
            "{}: matched an existing target object (its first logged action is `{}`)",
            display_name(r),
            r.action.as_str()
        );
        self.plan.target.push(TargetObject { group, attributes: attrs, comment, owner: i });
    }

    /// A create that failed with a uniqueness conflict: the target held an object with the same unique value
    /// that matching did not find. Replayed as a target object whose matching value differs only in case,
    /// with the embedded endpoint filtering case-sensitively: the query misses it, the POST conflicts.
    pub(super) fn conflict(&mut self, i: usize, r: &LogRecord, name: &str) {
        let group = self.states[i].object.group;
        let Some(m) = self.view.matching(group).cloned() else { return };
        let value = r
            .modified_properties
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(&m.target))
            .and_then(|p| p.new_value.clone());
        let Some(value) = value else { return };
        let shifted = flip_case(&value);
        if shifted == value {
            return;
        }
        let mut attributes = BTreeMap::new();
        attributes.insert(m.target.clone(), shifted);
        let comment = format!("{name}: the create conflicted ({}); this object holds the same `{}` in another case, and the embedded endpoint filters case-sensitively, so matching misses it and the POST conflicts (one way to get this log; the customer's cause may differ)", r.error_code().unwrap_or("conflict"), m.target);
        self.plan.target.push(TargetObject { group, attributes, comment, owner: usize::MAX });
        self.plan.case_exact_filters = true;
    }

    /// Attributes written with the same value in several cycles never stuck at the target: keep every other
    /// user attribute the logs or the mapping mention, drop these.
    pub(super) fn flapping(&mut self) {
        let mut flapping: Vec<String> =
            self.writes.iter().filter(|(_, n)| **n >= 2).map(|((_, name, _), _)| top_level(name)).collect();
        flapping.sort();
        flapping.dedup();
        if flapping.is_empty() {
            return;
        }
        let mut keep: Vec<String> = self
            .writes
            .keys()
            .map(|(_, name, _)| top_level(name))
            .chain(self.view.users.iter().map(|m| top_level(&m.target)))
            .filter(|a| !flapping.contains(a))
            .collect();
        keep.sort();
        keep.dedup();
        self.note(format!(
            "the same values of {} were written in several cycles: the endpoint did not keep them; the embedded endpoint is set to drop them too",
            flapping.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", ")
        ));
        self.plan.keep_attributes = Some(keep);
        self.plan.flapping = flapping;
    }
}

/// The name `keep_attributes` understands: the top-level core attribute (`emails` for
/// `emails[type eq "work"].value`), or the full path of an extension attribute.
pub(super) fn top_level(path: &str) -> String {
    if path.starts_with("urn:") {
        // The URN itself contains dots (`2.0`): keep the whole extension path.
        return path.split('[').next().unwrap_or(path).to_string();
    }
    path.split(['[', '.']).next().unwrap_or(path).to_string()
}

pub(super) fn is_conflict(code: Option<&str>) -> bool {
    code.is_some_and(|c| c.to_ascii_lowercase().ends_with("conflict"))
}

/// `dan.brown@contoso.com` → `DAN.BROWN@CONTOSO.COM` (mostly-upper text goes lower instead).
pub(super) fn flip_case(s: &str) -> String {
    let upper = s.chars().filter(|c| c.is_uppercase()).count();
    let lower = s.chars().filter(|c| c.is_lowercase()).count();
    if upper > lower {
        s.to_lowercase()
    } else {
        s.to_uppercase()
    }
}
