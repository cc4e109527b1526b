//! From records to a replay plan: the source directory before the first cycle, the objects the target
//! already held, and per cycle the directory changes to make before it and the counts to expect.
//! Every value the logs do not carry is either left out or named in a note, never invented silently.

mod groups;
mod inverse;
mod model;
mod scoping;
mod target;

use std::collections::{BTreeMap, HashMap, HashSet};

use super::schema::{SchemaView, Source};
use super::scope::verdict;
use crate::logs::model::{Action, LogRecord, Status, StepType};
use crate::logs::summary::{display_name, group_cycles};
use target::is_conflict;

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

pub(crate) use model::*;

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
    use super::groups::member_ids;
    use super::target::{flip_case, top_level};
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
