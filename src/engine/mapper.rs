//! [`Mapper`] over a [`MappingSet`]: how cycles see attribute mappings written in Entra's expression
//! language. Each evaluation gets its own deterministic environment whose clock and random source move
//! on with every evaluation, so `Now()`/`Guid()` mappings that apply on update differ between passes
//! (and flap, as they do in Entra: ENTRA.md 3.3 item 10) while runs stay reproducible.

use std::sync::Arc;

use chrono::TimeDelta;

use crate::engine::clock::JobClock;
use crate::engine::result::ObjectKind;
use crate::engine::roles::RoleFunction;
use crate::engine::source::{AttrSpec, Mapper, ObjectActions, ScopeCheck, ScopeClause};
use crate::mapping::{
    self, Apply, EvalEnv, FlowBehavior, MappingSet, MappingSource, ObjectMapping, SourceObject, Value,
};

/// A mapping set seen as a [`Mapper`].
#[derive(Debug)]
pub struct SetMapper {
    set: MappingSet,
    /// `specs()` of users and groups, built once.
    user_specs: Arc<[AttrSpec]>,
    group_specs: Arc<[AttrSpec]>,
    /// Per attribute of users and groups: a string value is sent as it is (a single-valued attribute that
    /// is neither boolean nor integer), so [`Mapper::typed`] moves it without looking the target's schema
    /// row up again for every user.
    user_plain: Arc<[bool]>,
    group_plain: Arc<[bool]>,
    seed: u64,
    allowed: ObjectActions,
    /// The job's clock, which `Now()` reads (the deterministic epoch without one).
    clock: Option<JobClock>,
    /// A number no other mapper of the process has ([`Mapper::revision`]): a mapper does not change once
    /// built, and a changed mapping is a new mapper.
    revision: u64,
}

impl SetMapper {
    /// Wraps a mapping set; `seed` seeds `Guid()` and `RandomString()`.
    pub fn new(set: MappingSet, seed: u64) -> Self {
        let user_specs = specs_of(Some(&set.users));
        let group_specs = specs_of(set.groups.as_ref());
        let user_plain = plain_of(Some(&set.users));
        let group_plain = plain_of(set.groups.as_ref());
        SetMapper {
            set,
            user_specs,
            group_specs,
            user_plain,
            group_plain,
            seed,
            allowed: ObjectActions::default(),
            clock: None,
            revision: crate::unique::next(),
        }
    }

    /// Makes `Now()` read the job's clock: the time of the cycle that evaluates, plus one second per
    /// evaluation (so values still differ between evaluations and runs stay reproducible).
    pub fn with_clock(mut self, clock: JobClock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Restricts the target object actions further (the scenario's `[settings] actions`).
    pub fn with_actions(mut self, allowed: ObjectActions) -> Self {
        self.allowed = allowed;
        self
    }

    fn object(&self, kind: ObjectKind) -> Option<&ObjectMapping> {
        match kind {
            ObjectKind::User => Some(&self.set.users),
            ObjectKind::Group => self.set.groups.as_ref(),
        }
    }

    /// The scoping filters' verdict on `source`, each clause with its title, attribute, operator and value
    /// (what a provisioning log's scoping step shows); `None` when the kind is not mapped.
    pub fn scope_verdict(&self, kind: ObjectKind, source: &SourceObject) -> Option<crate::mapping::ScopeVerdict> {
        self.object(kind).map(|o| o.scope.evaluate(source))
    }
}

/// The specs of an object mapping, in mapping order (none when the kind is not mapped).
fn specs_of(object: Option<&ObjectMapping>) -> Arc<[AttrSpec]> {
    let Some(object) = object else { return Arc::from([]) };
    object
        .attributes
        .iter()
        .map(|a| AttrSpec {
            matching_priority: a.matching_priority.filter(|p| *p > 0),
            case_exact: a.case_exact,
            on_create_only: a.apply == Apply::OnCreate || matches!(a.source, MappingSource::None),
            default: a.default.clone(),
            only_if_target_empty: matches!(a.apply, Apply::ValueAddOnly | Apply::AttributeAddOnly),
            flow_always: a.flow_behavior == FlowBehavior::FlowAlways,
            roles: RoleFunction::of(
                &a.target.to_string(),
                match &a.source {
                    MappingSource::Expression(e) => Some(&e.ast),
                    _ => None,
                },
            ),
            ..AttrSpec::for_target(a.target.to_string())
        })
        .collect()
}

/// Per attribute of an object mapping: whether a string value is sent unchanged (see
/// [`mapping::TargetAttr::into_scim_value`]).
fn plain_of(object: Option<&ObjectMapping>) -> Arc<[bool]> {
    let Some(object) = object else { return Arc::from([]) };
    object.attributes.iter().map(|a| a.target.sends_strings_unchanged()).collect()
}

impl Mapper for SetMapper {
    fn revision(&self) -> Option<u64> {
        Some(self.revision)
    }

    fn specs(&self, kind: ObjectKind) -> Arc<[AttrSpec]> {
        match kind {
            ObjectKind::User => self.user_specs.clone(),
            ObjectKind::Group => self.group_specs.clone(),
        }
    }

    fn evaluate(
        &self,
        kind: ObjectKind,
        index: usize,
        source: &SourceObject,
        evaluation: u64,
    ) -> Result<Value, String> {
        let Some(object) = self.object(kind) else { return Ok(Value::Null) };
        let Some(attr) = object.attributes.get(index) else { return Ok(Value::Null) };
        // Attribute, constant and `None` mappings read no clock and draw no random number.
        if let Some(value) = attr.evaluate_plain(source) {
            return Ok(value);
        }
        let width = object.attributes.len() as u64;
        let n = evaluation.wrapping_mul(width).wrapping_add(index as u64);
        let base = self.clock.as_ref().map_or_else(mapping::fixed_now, JobClock::at);
        let now = base + TimeDelta::seconds(i64::try_from(n).unwrap_or(0));
        let mut env = EvalEnv::deterministic(self.seed.wrapping_add(n)).with_clock(now);
        let value = attr.evaluate(source, &mut env).map_err(|e| e.message.clone())?;
        Ok(if env.flow_ignored() { Value::Null } else { value })
    }

    fn typed(&self, kind: ObjectKind, index: usize, value: Value) -> serde_json::Value {
        let plain = match kind {
            ObjectKind::User => &self.user_plain,
            ObjectKind::Group => &self.group_plain,
        };
        match (value, plain.get(index)) {
            (Value::Str(s), Some(true)) => serde_json::Value::String(s),
            (value, _) => match self.object(kind).and_then(|o| o.attributes.get(index)) {
                Some(attr) => attr.target.into_scim_value(value),
                None => value.to_json(),
            },
        }
    }

    fn scope(&self, kind: ObjectKind, source: &SourceObject) -> ScopeCheck {
        let Some(object) = self.object(kind) else { return ScopeCheck { in_scope: true, clauses: Vec::new() } };
        let verdict = object.scope.evaluate(source);
        let clauses = verdict
            .clauses
            .iter()
            .map(|c| ScopeClause {
                text: format!("{} {} {} {}", c.title, c.attribute, c.operator, c.value).trim().to_string(),
                passed: c.passed,
            })
            .collect();
        ScopeCheck { in_scope: verdict.in_scope, clauses }
    }

    fn actions(&self, kind: ObjectKind) -> ObjectActions {
        let own = self
            .object(kind)
            .map(|o| ObjectActions { create: o.actions.create, update: o.actions.update, delete: o.actions.delete })
            .unwrap_or_default();
        ObjectActions {
            create: own.create && self.allowed.create,
            update: own.update && self.allowed.update,
            delete: own.delete && self.allowed.delete,
        }
    }
}
