//! Scope changes: bringing objects into scope (assign, enable) and taking them out (unassign, disable, a
//! value that fails a scoping filter), from what the scoping step says.

use std::collections::BTreeMap;

use super::super::scope::Verdict;
use super::{Change, Planner};

impl Planner<'_> {
    pub(super) fn bring_into_scope(&mut self, k: usize, i: usize, name: &str) {
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

    pub(super) fn take_out_of_scope(&mut self, k: usize, i: usize, v: &Verdict, name: &str) {
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

    pub(super) fn apply_verdict_initially(&mut self, i: usize, v: &Verdict, name: &str) {
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
}
