//! The values a scenario will look objects up by: for every user and group the scenario's directory
//! holds at any point (before its first step and after each directory change), the values its mapping
//! gives the matching attributes and the attribute endpoints keep unique (`userName`, a group's
//! `displayName`); and the same attributes of its `[target]` seeds. Pure: nothing is sent.

use std::collections::BTreeSet;

use serde_json::Value as Json;

use crate::directory::Directory;
use crate::engine::result::ObjectKind;
use crate::engine::source::Mapper;
use crate::engine::view;
use crate::scenario::{Action, Scenario};

/// One value to look up: `GET /Users?filter=userName eq "alice@contoso.com"`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Key {
    /// User or group.
    pub kind: ObjectKind,
    /// The target attribute (`userName`, `externalId`, `displayName`).
    pub attribute: String,
    /// Its value.
    pub value: String,
}

impl Key {
    /// `userName "alice@contoso.com"`.
    pub fn describe(&self) -> String {
        format!("{} {:?}", self.attribute, self.value)
    }
}

/// The attribute every endpoint keeps unique for a kind, besides the mapping's matching attributes.
pub fn unique_attribute(kind: ObjectKind) -> &'static str {
    match kind {
        ObjectKind::User => "userName",
        ObjectKind::Group => "displayName",
    }
}

/// Every value the scenario's objects and seeds will have, in a stable order. `seeds` are the seed
/// resources as they will be sent (tagged when the run tags names).
pub fn scenario_keys(scenario: &Scenario, mapper: &dyn Mapper, seeds: &[(ObjectKind, Json)]) -> BTreeSet<Key> {
    let mut keys = BTreeSet::new();
    let mut dir = scenario.directory.clone();
    directory_keys(&dir, mapper, &mut keys);
    for step in &scenario.steps {
        if let Action::Change(mutation) = &step.action {
            // A change that does not apply fails in its step; here it just adds no values.
            if dir.apply(mutation).is_ok() {
                directory_keys(&dir, mapper, &mut keys);
            }
        }
    }
    for (kind, seed) in seeds {
        for attribute in key_attributes(mapper, *kind) {
            if let Some(value) = seed.get(&attribute).and_then(text) {
                keys.insert(Key { kind: *kind, attribute, value });
            }
        }
    }
    keys
}

/// The target attributes looked up for a kind: the mapping's matching attributes, then the unique one.
fn key_attributes(mapper: &dyn Mapper, kind: ObjectKind) -> Vec<String> {
    let mut attributes: Vec<String> =
        mapper.specs(kind).iter().filter(|s| s.matching_priority.is_some()).map(|s| s.target.clone()).collect();
    let unique = unique_attribute(kind);
    if !attributes.iter().any(|a| a.eq_ignore_ascii_case(unique)) {
        attributes.push(unique.to_string());
    }
    attributes
}

fn directory_keys(dir: &Directory, mapper: &dyn Mapper, keys: &mut BTreeSet<Key>) {
    let snapshot = view::snapshot(dir);
    let users = (0..snapshot.user_count()).filter_map(|i| snapshot.user_at(i)).map(|u| u.attrs);
    let groups = snapshot.groups.iter().map(|g| g.attrs.clone());
    let objects = users.map(|a| (ObjectKind::User, a)).chain(groups.map(|a| (ObjectKind::Group, a)));
    for (kind, attrs) in objects {
        let specs = mapper.specs(kind);
        for attribute in key_attributes(mapper, kind) {
            let Some(index) = specs.iter().position(|s| s.target.eq_ignore_ascii_case(&attribute)) else { continue };
            let Ok(value) = mapper.evaluate(kind, index, &attrs, 0) else { continue };
            if let Some(value) = text(&mapper.typed(kind, index, value)) {
                keys.insert(Key { kind, attribute: specs[index].target.clone(), value });
            }
        }
    }
}

/// A non-empty string or number as filter text.
fn text(value: &Json) -> Option<String> {
    match value {
        Json::String(s) if !s.is_empty() => Some(s.clone()),
        Json::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::engine::mapper::SetMapper;

    const SCENARIO: &str = r#"
description = "keys"

[[users]]
id = "alice"
userPrincipalName = "alice@contoso.com"
mailNickname = "alice"

[[groups]]
id = "eng"
displayName = "Engineering"

[[target.users]]
userName = "bob@contoso.com"
externalId = "bob"

[[steps]]
cycle = "initial"

[[steps]]
add = { id = "carol", userPrincipalName = "carol@contoso.com", mailNickname = "carol" }

[[steps]]
update = "alice"
set = { userPrincipalName = "alice.doe@contoso.com" }

[[steps]]
rename_group = "eng"
to = "Engineering Team"
"#;

    fn keys(mapping: &str) -> Vec<String> {
        let scenario = crate::scenario::parse_str("s.toml", SCENARIO, Path::new(".")).expect("parses").scenario;
        let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/failures");
        let set = crate::mapping::load(mapping, &base).expect("loads").set;
        let mapper = SetMapper::new(set, 0);
        let seeds: Vec<(ObjectKind, Json)> =
            scenario.target.users.iter().map(|u| (ObjectKind::User, u.value.clone())).collect();
        let kind = |k: &Key| if k.kind == ObjectKind::User { "user" } else { "group" };
        scenario_keys(&scenario, &mapper, &seeds).iter().map(|k| format!("{} {}", kind(k), k.describe())).collect()
    }

    #[test]
    fn every_value_the_scenario_will_have_is_a_key() {
        assert_eq!(
            keys("entra-default"),
            [
                r#"user userName "alice.doe@contoso.com""#,
                r#"user userName "alice@contoso.com""#,
                r#"user userName "bob@contoso.com""#,
                r#"user userName "carol@contoso.com""#,
                r#"group displayName "Engineering""#,
                r#"group displayName "Engineering Team""#,
            ]
        );
    }

    #[test]
    fn an_external_id_matching_mapping_adds_its_matching_values() {
        let keys = keys("externalid-matching.mapping");
        for expected in [r#"user externalId "alice""#, r#"user externalId "carol""#, r#"user externalId "bob""#] {
            assert!(keys.iter().any(|k| k == expected), "{expected} missing from {keys:?}");
        }
        assert!(keys.iter().any(|k| k == r#"user userName "alice@contoso.com""#), "{keys:?}");
    }
}
