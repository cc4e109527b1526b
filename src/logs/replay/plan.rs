//! From records to a replay plan: the source directory before the first cycle, the objects the target
//! already held, and per cycle the directory changes to make before it and the counts to expect.
//! Every value the logs do not carry is either left out or named in a note, never invented silently.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};

use super::schema::{SchemaView, Source};
use super::scope::{verdict, Verdict};
use crate::logs::model::{Action, LogRecord, Status, StepType};
use crate::logs::summary::{display_name, group_cycles};

/// Source attributes read from import-step details that are not plain mapped values.
const NOT_ATTRIBUTES: [&str; 9] = [
    "objectid",
    "netid",
    "alternativesecurityids",
    "issoftdeleted",
    "approleassignments",
    "accountenabled",
    "id",
    "odatatype",
    "showinaddresslist",
];

/// An object of the source directory as it was before the first replayed cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Object {
    pub alias: String,
    pub group: bool,
    pub object_id: String,
    /// Source attributes (source names), sorted.
    pub attributes: BTreeMap<String, String>,
    pub assigned: bool,
    pub enabled: bool,
    /// Comments to print above the object.
    pub comments: Vec<String>,
}

/// An object the target held before the first cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TargetObject {
    pub group: bool,
    /// Target attributes (SCIM names as logged).
    pub attributes: BTreeMap<String, String>,
    pub comment: String,
    /// Index of the source object it belongs to.
    owner: usize,
}

/// A directory change made before a cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Change {
    Update { alias: String, set: BTreeMap<String, String> },
    Assign(String),
    Unassign(String),
    Disable(String),
    Enable(String),
    HardDelete(String),
    AssignGroup(String),
    UnassignGroup(String),
    DeleteGroup(String),
}

/// Expected counts of one cycle (a partition of its records: successes by action, then failures, skips).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Expect {
    pub creates: usize,
    pub updates: usize,
    pub disables: usize,
    pub enables: usize,
    pub deletes: usize,
    pub skips: usize,
    pub failures: usize,
}

/// One cycle of the replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cycle {
    pub cycle_id: String,
    pub start: DateTime<Utc>,
    /// Changes to make before the cycle, each with an optional comment.
    pub before: Vec<(Change, Option<String>)>,
    pub expect: Expect,
    pub comments: Vec<String>,
}

/// The whole replay.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Plan {
    pub objects: Vec<Object>,
    /// Objects the target held before the first cycle.
    pub target: Vec<TargetObject>,
    pub cycles: Vec<Cycle>,
    pub notes: Vec<String>,
    pub sync_all: bool,
}

struct State {
    object: Object,
    current: BTreeMap<String, String>,
    seen: bool,
    assigned: bool,
    enabled: bool,
}

struct Planner<'a> {
    view: &'a SchemaView,
    schema_given: bool,
    states: Vec<State>,
    index: HashMap<String, usize>,
    plan: Plan,
}

/// Builds the plan. `schema_given` says whether `view` is the customer's schema or the preset.
pub(crate) fn plan(records: &[LogRecord], view: &SchemaView, schema_given: bool) -> Plan {
    let mut p = Planner { view, schema_given, states: Vec::new(), index: HashMap::new(), plan: Plan::default() };
    for (k, (id, recs)) in group_cycles(records).into_iter().enumerate() {
        let start = recs.first().map(|r| r.activity_date_time).unwrap_or_default();
        p.plan.cycles.push(Cycle {
            cycle_id: id,
            start,
            before: Vec::new(),
            expect: Expect::default(),
            comments: Vec::new(),
        });
        for r in recs {
            p.record(k, r);
        }
    }
    p.finish()
}

impl Planner<'_> {
    fn note(&mut self, note: String) {
        if !self.plan.notes.contains(&note) {
            self.plan.notes.push(note);
        }
    }

    fn before(&mut self, k: usize, change: Change, comment: Option<String>) {
        if let Some(c) = self.plan.cycles.get_mut(k) {
            if !c.before.iter().any(|(x, _)| *x == change) {
                c.before.push((change, comment));
            }
        }
    }

    fn state(&mut self, r: &LogRecord) -> usize {
        let key = [&r.source.id, &r.source.display_name, &r.target.id]
            .into_iter()
            .find(|s| !s.is_empty())
            .cloned()
            .unwrap_or_else(|| r.change_id.clone());
        if let Some(&i) = self.index.get(&key) {
            return i;
        }
        let upn = r.source.detail("UserPrincipalName").map(str::to_string);
        let base =
            upn.as_deref().and_then(|u| u.split('@').next()).map(str::to_string).unwrap_or_else(|| display_name(r));
        let alias = self.unique_alias(&slug(&base));
        let mut attributes = BTreeMap::new();
        if !r.source.display_name.is_empty() {
            attributes.insert("displayName".to_string(), r.source.display_name.clone());
        }
        if let Some(upn) = upn.filter(|_| r.is_user()) {
            attributes.insert("userPrincipalName".to_string(), upn);
        }
        let object = Object {
            alias,
            group: !r.is_user(),
            object_id: r.source.id.clone(),
            attributes,
            assigned: true,
            enabled: true,
            comments: Vec::new(),
        };
        self.states.push(State {
            current: object.attributes.clone(),
            object,
            seen: false,
            assigned: true,
            enabled: true,
        });
        self.index.insert(key, self.states.len() - 1);
        self.states.len() - 1
    }

    fn unique_alias(&self, base: &str) -> String {
        let base = if base.is_empty() { "object" } else { base };
        let taken = |a: &str| self.states.iter().any(|s| s.object.alias == a);
        if !taken(base) {
            return base.to_string();
        }
        (2..).map(|n| format!("{base}-{n}")).find(|a| !taken(a)).unwrap_or_else(|| base.to_string())
    }

    /// Source attribute name for a target attribute; `None` when it cannot be inverted (noted once).
    fn invert(&mut self, group: bool, target: &str) -> Option<String> {
        let found = self.view.find(group, target).map(|m| m.source.clone());
        match found {
            Some(Source::Direct(name)) => Some(name),
            Some(Source::Expression { expression, attributes }) => {
                let real: Vec<&String> =
                    attributes.iter().filter(|a| !a.eq_ignore_ascii_case("IsSoftDeleted")).collect();
                match real.as_slice() {
                    [one] => {
                        self.note(format!(
                            "`{target}` comes from `{expression}`; its logged value is replayed unchanged as `{one}`"
                        ));
                        Some((*one).clone())
                    }
                    _ => {
                        if !target.eq_ignore_ascii_case("active") {
                            self.note(format!("`{target}` comes from `{expression}`, which cannot be inverted; its logged values are not replayed"));
                        }
                        None
                    }
                }
            }
            Some(Source::Constant(_)) | Some(Source::None) => None,
            None => {
                let origin = if self.schema_given { "the schema" } else { "the `entra-default` preset" };
                self.note(format!("`{target}` is not mapped in {origin}; its values are kept under the target name"));
                Some(target.to_string())
            }
        }
    }

    /// Source values a record shows: import-step details, then the new values of modified properties.
    fn observed(&mut self, r: &LogRecord, group: bool) -> (BTreeMap<String, String>, BTreeMap<String, String>) {
        let mut new = BTreeMap::new();
        let mut old = BTreeMap::new();
        let mapped: Vec<String> = self.mapped_sources(group);
        if let Some(step) = r.step(StepType::Import) {
            for (k, v) in &step.details {
                let known = mapped.iter().any(|m| m.eq_ignore_ascii_case(k));
                if known && !v.is_empty() && !NOT_ATTRIBUTES.contains(&k.to_ascii_lowercase().as_str()) {
                    new.insert(k.clone(), v.clone());
                }
            }
        }
        for prop in &r.modified_properties {
            if prop.name.eq_ignore_ascii_case("active") || prop.name.eq_ignore_ascii_case("members") {
                continue;
            }
            let Some(src) = self.invert(group, &prop.name) else { continue };
            if let Some(v) = &prop.new_value {
                new.entry(src.clone()).or_insert_with(|| v.clone());
            }
            if let Some(v) = &prop.old_value {
                old.insert(src, v.clone());
            }
        }
        (new, old)
    }

    fn mapped_sources(&self, group: bool) -> Vec<String> {
        let list = if group { &self.view.groups } else { &self.view.users };
        let mut out = vec!["displayName".to_string(), "userPrincipalName".to_string()];
        for m in list {
            match &m.source {
                Source::Direct(s) => out.push(s.clone()),
                Source::Expression { attributes, .. } => out.extend(attributes.iter().cloned()),
                _ => {}
            }
        }
        out
    }

    fn record(&mut self, k: usize, r: &LogRecord) {
        let i = self.state(r);
        let group = self.states[i].object.group;
        let first = !self.states[i].seen;
        self.states[i].seen = true;
        let v = verdict(r);
        if v.sync_all == Some(true) {
            self.plan.sync_all = true;
        }
        let (new, old) = self.observed(r, group);
        let active = r.modified_properties.iter().find(|p| p.name.eq_ignore_ascii_case("active"));
        let deactivates = active.and_then(|p| p.new_value.as_deref()).is_some_and(|v| v.eq_ignore_ascii_case("false"));
        let reactivates = active.is_some_and(|p| {
            p.new_value.as_deref().is_some_and(|v| v.eq_ignore_ascii_case("true"))
                && p.old_value.as_deref().is_some_and(|v| v.eq_ignore_ascii_case("false"))
        });
        let action = match r.action {
            Action::Update if deactivates => Action::Disable,
            a => a,
        };
        self.count(k, action, r.status);
        if reactivates && r.status != Status::Failure {
            // Entra logs a re-enable as an update; the engine counts it as an enable.
            let e = &mut self.plan.cycles[k].expect;
            e.updates = e.updates.saturating_sub(1);
            e.enables += 1;
        }
        let name = display_name(r);
        match action {
            Action::Create => {
                if first {
                    self.initial(i, &new);
                    if k > 0 {
                        self.states[i].object.assigned = false;
                        self.states[i].assigned = false;
                    }
                } else {
                    self.changes(k, i, &new);
                }
                self.bring_into_scope(k, i, &name);
            }
            Action::Update => {
                if first {
                    // In the first cycle the source already had the new values and the target the old
                    // ones; later, the source changed from the old values since the previous cycle.
                    self.initial(i, if k == 0 { &new } else { &old });
                    self.pre_existing(i, r);
                }
                self.changes(k, i, &new);
                if reactivates {
                    self.bring_into_scope(k, i, &name);
                }
            }
            Action::Disable => {
                if first {
                    self.initial(i, if k == 0 { &new } else { &old });
                    self.pre_existing(i, r);
                }
                self.changes(k, i, &new);
                self.take_out_of_scope(k, i, &v, &name);
            }
            Action::Delete => {
                if first {
                    self.pre_existing(i, r);
                }
                let alias = self.states[i].object.alias.clone();
                let change = if group { Change::DeleteGroup(alias) } else { Change::HardDelete(alias) };
                let comment = (!group).then(|| {
                    format!("{name}: logged as a delete; replayed as a hard delete in Entra (the logs do not say why)")
                });
                self.before(k, change, comment);
            }
            Action::StagedDelete => {
                self.plan.cycles[k].comments.push(format!(
                    "{name}: a delete/disable was staged by accidental-deletion prevention; the threshold is not replayed"
                ));
            }
            Action::Other => {
                if first {
                    self.initial(i, &new);
                    self.apply_verdict_initially(i, &v, &name);
                }
            }
        }
        if r.status == Status::Failure {
            let code = r.error_code().unwrap_or("an error");
            self.plan.cycles[k].comments.push(format!(
                "{name}: {} failed with {code}; this reproduces only when the endpoint fails the same way",
                action.as_str()
            ));
        }
    }

    fn count(&mut self, k: usize, action: Action, status: Status) {
        let e = &mut self.plan.cycles[k].expect;
        match status {
            Status::Failure => e.failures += 1,
            Status::Skipped => e.skips += 1,
            Status::Success | Status::Warning => match action {
                Action::Create => e.creates += 1,
                Action::Update => e.updates += 1,
                Action::Disable => e.disables += 1,
                Action::Delete => e.deletes += 1,
                Action::StagedDelete | Action::Other => e.skips += 1,
            },
        }
    }

    /// Values known before the first cycle: only fills attributes not known yet.
    fn initial(&mut self, i: usize, values: &BTreeMap<String, String>) {
        let s = &mut self.states[i];
        for (k, v) in values {
            s.object.attributes.entry(k.clone()).or_insert_with(|| v.clone());
            s.current.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }

    /// Source changes needed before cycle `k` so the source shows `values`.
    fn changes(&mut self, k: usize, i: usize, values: &BTreeMap<String, String>) {
        let mut set = BTreeMap::new();
        for (attr, v) in values {
            let s = &mut self.states[i];
            match s.current.get(attr) {
                Some(cur) if cur == v => {}
                Some(_) => {
                    set.insert(attr.clone(), v.clone());
                }
                None => {
                    // First time this attribute shows up: it had this value all along.
                    s.object.attributes.insert(attr.clone(), v.clone());
                }
            }
            s.current.insert(attr.clone(), v.clone());
        }
        if !set.is_empty() {
            let alias = self.states[i].object.alias.clone();
            self.before(k, Change::Update { alias, set }, None);
        }
    }

    fn bring_into_scope(&mut self, k: usize, i: usize, name: &str) {
        let (alias, group) = (self.states[i].object.alias.clone(), self.states[i].object.group);
        if !self.states[i].assigned {
            self.states[i].assigned = true;
            let change = if group { Change::AssignGroup(alias.clone()) } else { Change::Assign(alias.clone()) };
            let why = if k > 0 {
                Some(format!("{name} first appears in this cycle; replayed as an assignment"))
            } else {
                None
            };
            self.before(k, change, why);
        }
        if !self.states[i].enabled {
            self.states[i].enabled = true;
            self.before(k, Change::Enable(alias), None);
        }
    }

    fn take_out_of_scope(&mut self, k: usize, i: usize, v: &Verdict, name: &str) {
        let alias = self.states[i].object.alias.clone();
        let group = self.states[i].object.group;
        if v.active == Some(false) {
            self.states[i].enabled = false;
            let why = format!("{name}: scoping says not active in the source; replayed as accountEnabled = false");
            self.before(k, Change::Disable(alias), Some(why));
        } else if v.filters_passed == Some(false) {
            let mut set = BTreeMap::new();
            for c in v.clauses.iter().filter(|c| !c.passed) {
                if let Some(value) = c.satisfying_value() {
                    set.insert(c.attribute.clone(), value.clone());
                    self.states[i].current.insert(c.attribute.clone(), value);
                }
            }
            let why = format!("{name}: failed the scoping filter; value chosen to fail the same clause");
            if set.is_empty() {
                self.states[i].assigned = false;
                self.before(
                    k,
                    Change::Unassign(alias),
                    Some(format!(
                        "{name}: failed a scoping filter that cannot be replayed; replayed as an unassignment"
                    )),
                );
            } else {
                self.before(k, Change::Update { alias, set }, Some(why));
            }
        } else {
            self.states[i].assigned = false;
            let why = if v.assigned == Some(false) {
                format!("{name}: scoping says no longer assigned")
            } else {
                format!("{name}: the logs do not say why it left scope; replayed as an unassignment")
            };
            let change = if group { Change::UnassignGroup(alias) } else { Change::Unassign(alias) };
            self.before(k, change, Some(why));
        }
    }

    fn apply_verdict_initially(&mut self, i: usize, v: &Verdict, name: &str) {
        let s = &mut self.states[i];
        if v.assigned == Some(false) {
            s.object.assigned = false;
            s.assigned = false;
        }
        if v.active == Some(false) {
            s.object.enabled = false;
            s.enabled = false;
        }
        for c in &v.clauses {
            if let Some(value) = c.satisfying_value() {
                s.object.attributes.entry(c.attribute.clone()).or_insert_with(|| value.clone());
                s.current.entry(c.attribute.clone()).or_insert(value);
                if !c.passed {
                    s.object.comments.push(format!(
                        "{}: `{}` not in logs; value chosen to fail `{} {} '{}'`",
                        name, c.attribute, c.attribute, c.operator, c.value
                    ));
                }
            }
        }
    }

    /// The target already held this object before the first cycle (matched, not created).
    fn pre_existing(&mut self, i: usize, r: &LogRecord) {
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
        let comment = format!(
            "{}: matched an existing target object (its first logged action is `{}`)",
            display_name(r),
            r.action.as_str()
        );
        self.plan.target.push(TargetObject { group, attributes: attrs, comment, owner: i });
    }

    fn finish(mut self) -> Plan {
        for s in &mut self.states {
            let o = &mut s.object;
            if !o.group && !o.attributes.contains_key("userPrincipalName") {
                let upn = format!("{}@replay.invalid", o.alias);
                o.comments.push(format!("userPrincipalName not in logs; synthesised as `{upn}`"));
                o.attributes.insert("userPrincipalName".to_string(), upn);
            }
            if !o.attributes.contains_key("displayName") {
                o.comments.push("displayName not in logs; synthesised from the alias".to_string());
                o.attributes.insert("displayName".to_string(), o.alias.clone());
            }
        }
        // A pre-existing target user needs the matching value the source will produce.
        let matching = self.view.matching(false).cloned();
        if let Some(m) = matching {
            for t in &mut self.plan.target {
                if t.group || t.attributes.contains_key(&m.target) {
                    continue;
                }
                let owner = self.states.get(t.owner).map(|s| &s.object);
                if let (Source::Direct(src), Some(owner)) = (&m.source, owner) {
                    if let Some(v) = owner.attributes.get(src) {
                        t.attributes.insert(m.target.clone(), v.clone());
                    }
                }
            }
        }
        // Attributes the logs do not show as changed were in sync: the target holds their mapped values.
        for t in &mut self.plan.target {
            let Some(owner) = self.states.get(t.owner) else { continue };
            let list = if t.group { &self.view.groups } else { &self.view.users };
            for m in list {
                if let Source::Direct(src) = &m.source {
                    if let Some(v) = owner.object.attributes.get(src) {
                        t.attributes.entry(m.target.clone()).or_insert_with(|| v.clone());
                    }
                }
            }
        }
        self.plan.objects = self.states.into_iter().map(|s| s.object).collect();
        self.plan
    }
}

/// Lowercase letters, digits, `-` and `_`; other runs become `-`.
fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}
