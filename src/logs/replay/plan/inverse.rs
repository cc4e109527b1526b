//! From logged target values back to source values: import-step details as they are, modified properties
//! through the Direct mappings of the schema (or the preset).

use std::collections::BTreeMap;

use super::super::schema::Source;
use super::{Planner, NOT_ATTRIBUTES};
use crate::logs::model::{LogRecord, StepType};

impl Planner<'_> {
    /// Source attribute name for a target attribute; `None` when it cannot be inverted (noted once).
    pub(super) fn invert(&mut self, group: bool, target: &str) -> Option<String> {
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
    pub(super) fn observed(
        &mut self,
        r: &LogRecord,
        group: bool,
    ) -> (BTreeMap<String, String>, BTreeMap<String, String>) {
        let mut new = BTreeMap::new();
        let mut old = BTreeMap::new();
        let mapped: Vec<String> = self.mapped_sources(group);
        if let Some(step) = r.step(StepType::Import) {
            for (k, v) in &step.details {
                // Details may spell a name in another case (`DisplayName`); the mapping's spelling is the
                // one every other value of this attribute is kept under, so the scenario gets one key.
                let Some(name) = mapped.iter().find(|m| m.eq_ignore_ascii_case(k)) else { continue };
                if !v.is_empty() && !NOT_ATTRIBUTES.contains(&k.to_ascii_lowercase().as_str()) {
                    new.insert(name.clone(), v.clone());
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

    pub(super) fn mapped_sources(&self, group: bool) -> Vec<String> {
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
}
