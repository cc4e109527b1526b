//! Group membership from logged `members` values.

use super::{Change, Planner};
use crate::logs::model::{Action, LogRecord};

impl Planner<'_> {
    /// Group membership from a `members` modified property: new members are added, old ones removed.
    pub(super) fn members(&mut self, k: usize, i: usize, r: &LogRecord, first: bool) {
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
}

/// Member ids from a logged `members` value: a JSON array (of ids or `{"value": id}`), or ids separated by
/// commas, semicolons or whitespace.
pub(super) fn member_ids(text: &str) -> Vec<String> {
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
