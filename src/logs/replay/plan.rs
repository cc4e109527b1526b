//! From records to a replay plan: the source directory before the first cycle, the objects the target
//! already held, and per cycle the directory changes to make before it and the counts to expect.
//! Every value the logs do not carry is either left out or named in a note, never invented silently.

use std::collections::{BTreeMap, HashMap, HashSet};

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
    /// Groups: member aliases before the first cycle (or when added).
    pub members: Vec<String>,
    /// Set when the object joins the directory by an `add`/`add_group` step before this cycle.
    pub added_in: Option<usize>,
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
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Change {
    Update {
        alias: String,
        set: BTreeMap<String, String>,
    },
    /// `add`: the object (looked up by alias in [`Plan::objects`]) joins the directory.
    Add(String),
    /// `add_group`.
    AddGroup(String),
    RenameGroup {
        alias: String,
        to: String,
    },
    AddMember {
        group: String,
        user: String,
    },
    RemoveMember {
        group: String,
        user: String,
    },
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
    /// Users joining the directory before the cycle (emitted first).
    pub adds: Vec<(Change, Option<String>)>,
    /// Groups joining the directory before the cycle (emitted after the users).
    pub add_groups: Vec<(Change, Option<String>)>,
    pub expect: Expect,
    pub comments: Vec<String>,
    /// Deletes/disables held back by accidental-deletion prevention.
    pub staged: usize,
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
    /// `[settings] deletion_threshold` that makes the logged staged deletes staged again.
    pub deletion_threshold: Option<usize>,
    /// `[embedded] case_exact_filters`: set to reproduce create conflicts (see [`Planner::conflict`]).
    pub case_exact_filters: bool,
    /// `[embedded] keep_attributes`: set when the same update repeats in several cycles, so the embedded
    /// endpoint drops those attributes and Entra re-sends them, as the customer's endpoint did.
    pub keep_attributes: Option<Vec<String>>,
    /// The target attributes that repeat (for the comment).
    pub flapping: Vec<String>,
}

struct State {
    object: Object,
    /// Target id, once logged.
    target_id: String,
    /// Groups: current member aliases.
    members: Vec<String>,
    current: BTreeMap<String, String>,
    seen: bool,
    assigned: bool,
    enabled: bool,
    /// Deleted by an earlier replayed step.
    deleted: bool,
}

struct Planner<'a> {
    view: &'a SchemaView,
    /// (object, user target attribute, new value) → number of cycles it was written in.
    writes: BTreeMap<(usize, String, String), usize>,
    schema_given: bool,
    states: Vec<State>,
    index: HashMap<String, usize>,
    aliases: HashSet<String>,
    /// User target id, object id or alias → state index (for member references).
    users_by_ref: HashMap<String, usize>,
    noted: HashSet<String>,
    changes_seen: HashSet<(usize, Change)>,
    plan: Plan,
}

/// Builds the plan. `schema_given` says whether `view` is the customer's schema or the preset.
pub(crate) fn plan(records: &[LogRecord], view: &SchemaView, schema_given: bool) -> Plan {
    let mut p = Planner {
        view,
        writes: BTreeMap::new(),
        schema_given,
        states: Vec::new(),
        index: HashMap::new(),
        aliases: HashSet::new(),
        users_by_ref: HashMap::new(),
        noted: HashSet::new(),
        changes_seen: HashSet::new(),
        plan: Plan::default(),
    };
    for (k, (id, recs)) in group_cycles(records).into_iter().enumerate() {
        let start = recs.first().map(|r| r.activity_date_time).unwrap_or_default();
        p.plan.cycles.push(Cycle {
            cycle_id: id,
            start,
            before: Vec::new(),
            adds: Vec::new(),
            add_groups: Vec::new(),
            expect: Expect::default(),
            comments: Vec::new(),
            staged: 0,
        });
        for r in recs {
            p.record(k, r);
        }
    }
    p.finish()
}

impl Planner<'_> {
    fn note(&mut self, note: String) {
        if self.noted.insert(note.clone()) {
            self.plan.notes.push(note);
        }
    }

    fn before(&mut self, k: usize, change: Change, comment: Option<String>) {
        if self.changes_seen.insert((k, change.clone())) {
            if let Some(c) = self.plan.cycles.get_mut(k) {
                match change {
                    Change::Add(_) => c.adds.push((change, comment)),
                    Change::AddGroup(_) => c.add_groups.push((change, comment)),
                    _ => c.before.push((change, comment)),
                }
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
        let upn = r
            .source
            .detail("UserPrincipalName")
            .or_else(|| r.step(StepType::Import).and_then(|s| s.detail("userPrincipalName")))
            .map(str::to_string)
            .or_else(|| {
                r.modified_properties.iter().find_map(|p| match self.view.find(false, &p.name).map(|m| &m.source) {
                    Some(Source::Direct(src)) if src.eq_ignore_ascii_case("userPrincipalName") => {
                        p.new_value.clone().or_else(|| p.old_value.clone())
                    }
                    _ => None,
                })
            })
            .filter(|u| !u.is_empty());
        let base =
            upn.as_deref().and_then(|u| u.split('@').next()).map(str::to_string).unwrap_or_else(|| display_name(r));
        let alias = self.unique_alias(&slug(&base));
        self.aliases.insert(alias.clone());
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
            members: Vec::new(),
            added_in: None,
        };
        self.states.push(State {
            current: object.attributes.clone(),
            object,
            target_id: String::new(),
            members: Vec::new(),
            seen: false,
            assigned: true,
            enabled: true,
            deleted: false,
        });
        self.index.insert(key, self.states.len() - 1);
        if r.is_user() {
            let i = self.states.len() - 1;
            let o = &self.states[i].object;
            for k in [o.object_id.clone(), o.alias.clone()].into_iter().filter(|k| !k.is_empty()) {
                self.users_by_ref.entry(k).or_insert(i);
            }
        }
        self.states.len() - 1
    }

    fn unique_alias(&self, base: &str) -> String {
        let base = if base.is_empty() { "object" } else { base };
        let taken = |a: &str| self.aliases.contains(a);
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
        if !r.target.id.is_empty() {
            self.states[i].target_id = r.target.id.clone();
            if !group {
                self.users_by_ref.insert(r.target.id.clone(), i);
            }
        }
        if group {
            self.members(k, i, r, first);
        }
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
        if !group && r.status != Status::Failure && matches!(action, Action::Create | Action::Update) {
            for p in &r.modified_properties {
                let key = (i, p.name.clone(), p.new_value.clone().unwrap_or_default());
                *self.writes.entry(key).or_default() += 1;
            }
        }
        if self.states[i].deleted {
            let alias = self.states[i].object.alias.clone();
            if action != Action::Delete {
                self.note(format!("`{alias}` is logged again after its delete; those later events are not replayed"));
            }
            return;
        }
        let name = display_name(r);
        match action {
            Action::Create => {
                if first {
                    self.initial(i, &new);
                    if k > 0 {
                        // A joiner: added to the directory just before the cycle that creates it.
                        self.states[i].object.added_in = Some(k);
                        let alias = self.states[i].object.alias.clone();
                        let why = format!("{name} first appears in this cycle; replayed as a new object");
                        // Users are added before groups, so a new group can list new members.
                        let change = if group { Change::AddGroup(alias) } else { Change::Add(alias) };
                        self.before(k, change, Some(why));
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
                self.states[i].deleted = true;
                let change = if group { Change::DeleteGroup(alias) } else { Change::HardDelete(alias) };
                let comment = (!group).then(|| {
                    format!("{name}: logged as a delete; replayed as a hard delete in Entra (the logs do not say why)")
                });
                self.before(k, change, comment);
            }
            Action::StagedDelete => {
                if first {
                    self.initial(i, &new);
                    self.pre_existing(i, r);
                }
                self.take_out_of_scope(k, i, &v, &name);
                self.plan.cycles[k].staged += 1;
            }
            Action::Other => {
                if first {
                    self.initial(i, &new);
                    self.apply_verdict_initially(i, &v, &name);
                }
            }
        }
        if r.status == Status::Failure && action == Action::Create && first && is_conflict(r.error_code()) {
            self.conflict(i, r, &name);
        }
        if r.status == Status::Failure {
            let code = r.error_code().unwrap_or("an error");
            let how = if is_conflict(r.error_code()) && self.plan.case_exact_filters {
                "reproduced by the case-shifted target object"
            } else {
                "this reproduces only when the endpoint fails the same way"
            };
            self.plan.cycles[k].comments.push(format!("{name}: {} failed with {code}; {how}", action.as_str()));
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
            self.update(k, i, set, None);
        }
    }

    /// An attribute change: `update` for users; for groups only a rename can be replayed.
    fn update(&mut self, k: usize, i: usize, set: BTreeMap<String, String>, why: Option<String>) {
        let alias = self.states[i].object.alias.clone();
        if !self.states[i].object.group {
            self.before(k, Change::Update { alias, set }, why);
            return;
        }
        for (attr, value) in set {
            if attr.eq_ignore_ascii_case("displayName") {
                self.before(k, Change::RenameGroup { alias: alias.clone(), to: value }, why.clone());
            } else {
                self.note(format!(
                    "group `{alias}`: change of `{attr}` is not replayed (scenarios can only rename groups)"
                ));
            }
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
        if !self.states[i].enabled && !group {
            self.states[i].enabled = true;
            self.before(k, Change::Enable(alias), None);
        }
    }

    fn take_out_of_scope(&mut self, k: usize, i: usize, v: &Verdict, name: &str) {
        let alias = self.states[i].object.alias.clone();
        let group = self.states[i].object.group;
        if group {
            self.states[i].assigned = false;
            let why = format!("{name}: left scope; replayed as an unassignment of the group");
            self.before(k, Change::UnassignGroup(alias), Some(why));
        } else if v.active == Some(false) {
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
                self.update(k, i, set, Some(why));
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
    fn conflict(&mut self, i: usize, r: &LogRecord, name: &str) {
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

    /// Group membership from a `members` modified property: new members are added, old ones removed.
    fn members(&mut self, k: usize, i: usize, r: &LogRecord, first: bool) {
        let Some(prop) = r.modified_properties.iter().find(|p| p.name.eq_ignore_ascii_case("members")) else { return };
        let resolve = |this: &Self, text: Option<&str>| -> (Vec<String>, Vec<String>) {
            let mut found = Vec::new();
            let mut unknown = Vec::new();
            for id in member_ids(text.unwrap_or("")) {
                match this.users_by_ref.get(&id).and_then(|&u| this.states.get(u)) {
                    Some(s) => found.push(s.object.alias.clone()),
                    None => unknown.push(id),
                }
            }
            (found, unknown)
        };
        let (added, unknown_new) = resolve(self, prop.new_value.as_deref());
        let (removed, unknown_old) = resolve(self, prop.old_value.as_deref());
        let group_alias = self.states[i].object.alias.clone();
        if !unknown_new.is_empty() || !unknown_old.is_empty() {
            let n = unknown_new.len() + unknown_old.len();
            self.note(format!("{n} member reference(s) of group `{group_alias}` name objects that never appear in the logs; they are not replayed"));
        }
        let created = first && matches!(r.action, Action::Create);
        for user in added {
            if self.states[i].members.contains(&user) {
                continue;
            }
            self.states[i].members.push(user.clone());
            if created {
                self.states[i].object.members.push(user);
            } else {
                self.before(k, Change::AddMember { group: group_alias.clone(), user }, None);
            }
        }
        for user in removed {
            if let Some(pos) = self.states[i].members.iter().position(|m| *m == user) {
                self.states[i].members.remove(pos);
                self.before(k, Change::RemoveMember { group: group_alias.clone(), user }, None);
            } else if first && !created {
                // Removed in the first logged action: it was a member before.
                self.states[i].object.members.push(user.clone());
                self.before(k, Change::RemoveMember { group: group_alias.clone(), user }, None);
            }
        }
    }

    /// Attributes written with the same value in several cycles never stuck at the target: keep every other
    /// user attribute the logs or the mapping mention, drop these.
    fn flapping(&mut self) {
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

    fn finish(mut self) -> Plan {
        self.flapping();
        let staged: Vec<usize> = self.plan.cycles.iter().map(|c| c.staged).filter(|s| *s > 0).collect();
        if let Some(&min) = staged.iter().min() {
            let threshold = min.saturating_sub(1).max(1);
            self.plan.deletion_threshold = Some(threshold);
            self.note(format!("deletes were staged by accidental-deletion prevention; the threshold is not in the logs and is replayed as {threshold} (one less than the fewest staged in a cycle, at least 1)"));
            if min == 1 {
                self.note(
                    "a cycle staged a single delete: with the smallest threshold (1) the replay does not stage it"
                        .to_string(),
                );
            }
        }
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

/// The name `keep_attributes` understands: the top-level core attribute (`emails` for
/// `emails[type eq "work"].value`), or the full path of an extension attribute.
fn top_level(path: &str) -> String {
    if path.starts_with("urn:") {
        // The URN itself contains dots (`2.0`): keep the whole extension path.
        return path.split('[').next().unwrap_or(path).to_string();
    }
    path.split(['[', '.']).next().unwrap_or(path).to_string()
}

fn is_conflict(code: Option<&str>) -> bool {
    code.is_some_and(|c| c.to_ascii_lowercase().ends_with("conflict"))
}

/// `dan.brown@contoso.com` → `DAN.BROWN@CONTOSO.COM` (mostly-upper text goes lower instead).
fn flip_case(s: &str) -> String {
    let upper = s.chars().filter(|c| c.is_uppercase()).count();
    let lower = s.chars().filter(|c| c.is_lowercase()).count();
    if upper > lower {
        s.to_lowercase()
    } else {
        s.to_uppercase()
    }
}

/// Member ids from a logged `members` value: a JSON array (of ids or `{"value": id}`), or ids separated by
/// commas, semicolons or whitespace.
fn member_ids(text: &str) -> Vec<String> {
    if let Ok(serde_json::Value::Array(items)) = serde_json::from_str::<serde_json::Value>(text) {
        return items
            .iter()
            .filter_map(|i| {
                i.as_str().map(str::to_string).or_else(|| i.get("value").and_then(|v| v.as_str()).map(str::to_string))
            })
            .collect();
    }
    text.split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keep_attribute_names_are_top_level_or_extension_paths() {
        assert_eq!(top_level(r#"emails[type eq "work"].value"#), "emails");
        assert_eq!(top_level("name.givenName"), "name");
        let ext = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department";
        assert_eq!(top_level(ext), ext);
    }

    #[test]
    fn member_values_are_read_from_json_or_lists() {
        assert_eq!(member_ids(r#"["a", {"value": "b"}]"#), vec!["a", "b"]);
        assert_eq!(member_ids("a, b;c"), vec!["a", "b", "c"]);
        assert_eq!(flip_case("dan@x.com"), "DAN@X.COM");
        assert_eq!(slug("Dan.Brown O'Neil"), "dan-brown-o-neil");
    }
}
