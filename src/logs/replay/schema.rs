//! The view of a mapping that replay needs: for users and groups, where each target attribute comes from
//! (Direct mappings invert exactly; expressions do not), the matching attribute and the target actions.
//! Built from `mapping::load` so replay inverts exactly what the engine will apply.

use crate::mapping::{self, MappingSet, MappingSource, ObjectMapping};

/// Where a target attribute's value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Source {
    /// `[name]`: the value is the source attribute's value.
    Direct(String),
    /// A function; the attributes it reads.
    Expression { expression: String, attributes: Vec<String> },
    /// A constant.
    Constant(String),
    /// No source (default value only).
    None,
}

/// One attribute mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Mapping {
    /// Canonical SCIM path text (`emails[type eq "work"].value`).
    pub target: String,
    pub source: Source,
    /// 0 = not a matching attribute.
    pub matching_priority: u32,
}

/// The user and group object mappings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct SchemaView {
    pub users: Vec<Mapping>,
    pub groups: Vec<Mapping>,
}

impl SchemaView {
    /// From a loaded mapping set.
    pub fn from_set(set: &MappingSet) -> SchemaView {
        SchemaView { users: mappings(&set.users), groups: set.groups.as_ref().map(mappings).unwrap_or_default() }
    }

    /// The `entra-default` preset's view (empty if the preset ever failed to load).
    pub fn preset() -> SchemaView {
        mapping::load("entra-default", std::path::Path::new("."))
            .map(|l| SchemaView::from_set(&l.set))
            .unwrap_or_default()
    }

    /// The mapping for `target` (case-insensitive) in the users or groups list.
    pub fn find(&self, group: bool, target: &str) -> Option<&Mapping> {
        let list = if group { &self.groups } else { &self.users };
        list.iter().find(|m| m.target.eq_ignore_ascii_case(target))
    }

    /// The matching attribute with the lowest priority, users or groups.
    pub fn matching(&self, group: bool) -> Option<&Mapping> {
        let list = if group { &self.groups } else { &self.users };
        list.iter().filter(|m| m.matching_priority > 0).min_by_key(|m| m.matching_priority)
    }
}

fn mappings(object: &ObjectMapping) -> Vec<Mapping> {
    object
        .attributes
        .iter()
        .map(|a| Mapping {
            target: a.target.to_string(),
            source: match &a.source {
                MappingSource::Direct(name) => Source::Direct(name.clone()),
                MappingSource::Constant(c) => Source::Constant(c.clone()),
                MappingSource::Expression(e) => Source::Expression {
                    expression: e.text.clone(),
                    attributes: e.ast.attributes().into_iter().map(str::to_string).collect(),
                },
                _ => Source::None,
            },
            matching_priority: a.matching_priority.unwrap_or(0),
        })
        .collect()
}
