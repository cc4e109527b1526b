//! The validated mapping model the engine runs: object mappings with their attribute mappings, scoping
//! filters and target object actions (ENTRA.md 4 and 5.1).

use serde::Serialize;

use super::ast::Expr;
use super::catalog::ObjectKind;
use super::eval::{self, EvalEnv, EvalError};
use super::resource::build_resource;
use super::scope::ScopingFilters;
use super::target::TargetAttr;
use super::value::{SourceObject, Value};

/// The user mapping and, when group provisioning is enabled, the group mapping of one provisioning job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappingSet {
    /// Users (always present: Entra cannot disable the user mapping).
    pub users: ObjectMapping,
    /// Groups (`None` when group provisioning is disabled).
    pub groups: Option<ObjectMapping>,
}

/// One object mapping (source object type → target object type).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectMapping {
    /// Which Entra object type it reads.
    pub kind: ObjectKind,
    /// Attribute mappings in file order.
    pub attributes: Vec<AttributeMapping>,
    /// Source object scope.
    pub scope: ScopingFilters,
    /// Which target object actions are enabled.
    pub actions: TargetActions,
}

/// The Create / Update / Delete checkboxes (Graph `objectMapping.flowTypes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TargetActions {
    /// New objects may be created.
    pub create: bool,
    /// Existing objects may be updated (also needed for disabling through `active`).
    pub update: bool,
    /// Hard-deleted source objects are deleted in the target.
    pub delete: bool,
}

impl Default for TargetActions {
    fn default() -> Self {
        TargetActions { create: true, update: true, delete: true }
    }
}

/// Where an attribute mapping's value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MappingSource {
    /// Copy a source attribute.
    Direct(String),
    /// A literal string.
    Constant(String),
    /// An expression.
    Expression(Expression),
    /// No source: leave the target alone, but fill the default value on creation.
    None,
}

/// A parsed and checked expression with the text it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expression {
    /// The text as written.
    pub text: String,
    /// The syntax tree.
    pub ast: Expr,
}

/// When a mapping applies ("Apply this mapping" in the portal, Graph `flowType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Apply {
    /// On create and update (`Always`).
    Always,
    /// Only when the object is created (`ObjectAddOnly`).
    OnCreate,
    /// Only add values to a multi-valued attribute, never remove (`MultiValueAddOnly`).
    MultiValueAddOnly,
    /// Only flow when the target value is empty (`ValueAddOnly`).
    ValueAddOnly,
    /// Only flow when the target attribute is absent (`AttributeAddOnly`).
    AttributeAddOnly,
}

/// Whether an unchanged value is re-sent (Graph `flowBehavior`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[non_exhaustive]
pub enum FlowBehavior {
    /// Flow only when the value differs from the target (the default).
    #[default]
    FlowWhenChanged,
    /// Flow on every evaluation.
    FlowAlways,
}

/// One attribute mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributeMapping {
    /// The SCIM attribute written.
    pub target: TargetAttr,
    /// Where the value comes from.
    pub source: MappingSource,
    /// "Default value if null": used on creation when the source value is null.
    pub default: Option<String>,
    /// When the mapping applies.
    pub apply: Apply,
    /// Matching precedence (1 = tried first); `None` = not a matching attribute.
    pub matching_priority: Option<u32>,
    /// Compare values case-sensitively ("Exact case?").
    pub case_exact: bool,
    /// Re-send unchanged values or not.
    pub flow_behavior: FlowBehavior,
}

/// An attribute mapping that could not be evaluated for an object (Entra fails the whole object).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot evaluate the mapping of `{target}`: {source}")]
pub struct AttributeError {
    /// The target attribute path.
    pub target: String,
    /// Why.
    #[source]
    pub source: EvalError,
}

/// The operation a mapping is evaluated for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Operation {
    /// The object is being created (POST).
    Create,
    /// The object exists (PATCH).
    Update,
}

/// What a mapping contributes for one object and operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", content = "value", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Evaluated {
    /// A value to provision.
    Flow(#[serde(serialize_with = "serialize_value")] Value),
    /// The value is null and there is no default: Entra provisions nothing for this attribute.
    Null,
    /// `IgnoreFlowIfNullOrEmpty` dropped the attribute from the flow.
    Ignore,
    /// The mapping does not apply to this operation (create-only mapping on update, or mapping type None).
    NotApplied,
}

fn serialize_value<S: serde::Serializer>(v: &Value, s: S) -> Result<S::Ok, S::Error> {
    v.to_json().serialize(s)
}

impl AttributeMapping {
    /// A direct mapping `source` → `target` that applies always (a convenience for code and tests).
    pub fn direct(source: &str, target: TargetAttr) -> Self {
        AttributeMapping {
            target,
            source: MappingSource::Direct(source.to_string()),
            default: None,
            apply: Apply::Always,
            matching_priority: None,
            case_exact: false,
            flow_behavior: FlowBehavior::FlowWhenChanged,
        }
    }

    /// The raw source value: the attribute, the constant, the expression's result or `Null` for type
    /// None. Defaults, apply rules and `IgnoreFlowIfNullOrEmpty` are not applied here (see
    /// [`AttributeMapping::evaluate_for`]); after an expression, [`EvalEnv::flow_ignored`] tells whether
    /// `IgnoreFlowIfNullOrEmpty` fired.
    pub fn evaluate(&self, src: &SourceObject, env: &mut EvalEnv) -> Result<Value, EvalError> {
        env.ignore_flow = false;
        match &self.source {
            MappingSource::Direct(attr) => Ok(eval::attribute(src, attr)),
            MappingSource::Constant(c) => Ok(Value::Str(c.clone())),
            MappingSource::Expression(e) => eval::evaluate(&e.ast, src, env),
            MappingSource::None => Ok(Value::Null),
        }
    }

    /// [`AttributeMapping::evaluate`] without an environment, for the mappings that need none (an
    /// attribute, a constant or `None`); `None` for an expression.
    pub fn evaluate_plain(&self, src: &SourceObject) -> Option<Value> {
        match &self.source {
            MappingSource::Direct(attr) => Some(eval::attribute(src, attr)),
            MappingSource::Constant(c) => Some(Value::Str(c.clone())),
            MappingSource::Expression(_) => None,
            MappingSource::None => Some(Value::Null),
        }
    }

    /// What this mapping contributes to a create or an update: applies "only during object creation",
    /// the default value (create only, when the value is null) and `IgnoreFlowIfNullOrEmpty`.
    pub fn evaluate_for(&self, src: &SourceObject, env: &mut EvalEnv, op: Operation) -> Result<Evaluated, EvalError> {
        let create_only = matches!(self.source, MappingSource::None) || self.apply == Apply::OnCreate;
        if create_only && op == Operation::Update {
            return Ok(Evaluated::NotApplied);
        }
        let value = self.evaluate(src, env)?;
        if env.flow_ignored() {
            return Ok(Evaluated::Ignore);
        }
        if value.is_null() {
            return Ok(match (&self.default, op) {
                (Some(d), Operation::Create) => Evaluated::Flow(Value::Str(d.clone())),
                _ => Evaluated::Null,
            });
        }
        Ok(Evaluated::Flow(value))
    }

    /// True for mappings that are non-deterministic on every evaluation (`Now`, `Guid`, `RandomString`)
    /// but apply on updates too: such mappings can never reach steady state (ENTRA.md 3.3 item 10).
    pub fn is_volatile(&self) -> bool {
        match &self.source {
            MappingSource::Expression(e) => ["Now", "Guid", "RandomString"].iter().any(|f| e.ast.calls(f)),
            _ => false,
        }
    }

    /// The source as text: `[attr]`, `"constant"`, the expression, or `None`.
    pub fn source_text(&self) -> String {
        match &self.source {
            MappingSource::Direct(a) => format!("[{a}]"),
            MappingSource::Constant(c) => super::ast::quote(c),
            MappingSource::Expression(e) => e.text.clone(),
            MappingSource::None => "None".to_string(),
        }
    }
}

impl ObjectMapping {
    /// An object mapping with no attributes, no scoping filters and every action enabled.
    pub fn new(kind: ObjectKind) -> Self {
        ObjectMapping {
            kind,
            attributes: Vec::new(),
            scope: ScopingFilters::default(),
            actions: TargetActions::default(),
        }
    }

    /// The matching attributes, lowest precedence number (tried first) first.
    pub fn matching_attributes(&self) -> Vec<&AttributeMapping> {
        let mut m: Vec<&AttributeMapping> =
            self.attributes.iter().filter(|a| a.matching_priority.is_some_and(|p| p > 0)).collect();
        m.sort_by_key(|a| a.matching_priority);
        m
    }

    /// Every attribute mapping's contribution to `op`, in mapping order.
    pub fn evaluate_all(
        &self,
        src: &SourceObject,
        env: &mut EvalEnv,
        op: Operation,
    ) -> Vec<(&AttributeMapping, Result<Evaluated, EvalError>)> {
        self.attributes.iter().map(|m| (m, m.evaluate_for(src, env, op))).collect()
    }

    /// The body Entra POSTs for `src` (see [`build_resource`]): every flowing value, typed, except
    /// references (`manager`, `members`), which Entra links after creation. The first evaluation error
    /// fails the whole object, as it does in Entra.
    pub fn create_body(&self, src: &SourceObject, env: &mut EvalEnv) -> Result<serde_json::Value, AttributeError> {
        let mut values = Vec::new();
        for (m, outcome) in self.evaluate_all(src, env, Operation::Create) {
            match outcome {
                Ok(Evaluated::Flow(v)) if !m.target.is_reference() => {
                    values.push((m.target.clone(), m.target.scim_value(&v)))
                }
                Ok(_) => {}
                Err(e) => return Err(AttributeError { target: m.target.to_string(), source: e }),
            }
        }
        Ok(build_resource(self.kind, &values))
    }

    /// The mapping whose target is `target`, if any.
    pub fn attribute(&self, target: &TargetAttr) -> Option<&AttributeMapping> {
        self.attributes.iter().find(|a| &a.target == target)
    }
}

impl MappingSet {
    /// The object mapping for `kind`.
    pub fn object(&self, kind: ObjectKind) -> Option<&ObjectMapping> {
        match kind {
            ObjectKind::User => Some(&self.users),
            ObjectKind::Group => self.groups.as_ref(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::parse::parse_expression;

    fn expr_mapping(text: &str, target: &str) -> AttributeMapping {
        let (ast, errors) = parse_expression(text);
        assert!(errors.is_empty());
        AttributeMapping {
            source: MappingSource::Expression(Expression { text: text.into(), ast: ast.expect("parsed") }),
            ..AttributeMapping::direct("x", TargetAttr::parse(target).expect("valid"))
        }
    }

    #[test]
    fn default_applies_only_on_create() {
        let m = AttributeMapping {
            default: Some("Staff".into()),
            ..AttributeMapping::direct("jobTitle", TargetAttr::parse("title").expect("valid"))
        };
        let mut env = EvalEnv::deterministic(1);
        let src = SourceObject::new();
        assert_eq!(m.evaluate_for(&src, &mut env, Operation::Create), Ok(Evaluated::Flow("Staff".into())));
        assert_eq!(m.evaluate_for(&src, &mut env, Operation::Update), Ok(Evaluated::Null));
        assert_eq!(m.evaluate(&src, &mut env), Ok(Value::Null));
    }

    #[test]
    fn on_create_and_none_mappings_do_not_apply_on_update() {
        let mut m = expr_mapping("Guid()", "externalId");
        m.apply = Apply::OnCreate;
        let mut env = EvalEnv::deterministic(1);
        assert!(matches!(m.evaluate_for(&SourceObject::new(), &mut env, Operation::Create), Ok(Evaluated::Flow(_))));
        assert_eq!(m.evaluate_for(&SourceObject::new(), &mut env, Operation::Update), Ok(Evaluated::NotApplied));
        m.apply = Apply::Always;
        assert!(m.is_volatile());
        let none = AttributeMapping { source: MappingSource::None, default: Some("d".into()), ..m.clone() };
        assert_eq!(
            none.evaluate_for(&SourceObject::new(), &mut env, Operation::Create),
            Ok(Evaluated::Flow("d".into()))
        );
        assert_eq!(none.evaluate_for(&SourceObject::new(), &mut env, Operation::Update), Ok(Evaluated::NotApplied));
    }

    #[test]
    fn ignore_flow_is_an_outcome() {
        let m = expr_mapping("IgnoreFlowIfNullOrEmpty([department])", "title");
        let mut env = EvalEnv::deterministic(1);
        assert_eq!(m.evaluate_for(&SourceObject::new(), &mut env, Operation::Update), Ok(Evaluated::Ignore));
    }

    #[test]
    fn create_body_leaves_references_out_and_fails_on_errors() {
        let mut om = ObjectMapping::new(ObjectKind::User);
        om.attributes = vec![
            AttributeMapping::direct("userPrincipalName", TargetAttr::parse("userName").expect("valid")),
            AttributeMapping::direct(
                "manager",
                TargetAttr::parse("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager").expect("valid"),
            ),
        ];
        let src = SourceObject::from_json(&serde_json::json!({"userPrincipalName": "a@x", "manager": "m-1"}));
        let body = om.create_body(&src, &mut EvalEnv::deterministic(1)).expect("no error");
        assert_eq!(body["userName"], serde_json::json!("a@x"));
        assert!(body.get("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User").is_none());
        om.attributes.push(expr_mapping(r#"Mid([mail], 0, 1)"#, "title"));
        let err = om.create_body(&src, &mut EvalEnv::deterministic(1)).expect_err("Mid fails");
        assert_eq!(err.target, "title");
        assert_eq!(err.to_string(), "cannot evaluate the mapping of `title`: `Mid`: `start` is 1-based, got 0");
        assert_eq!(om.evaluate_all(&src, &mut EvalEnv::deterministic(1), Operation::Update).len(), 3);
    }

    #[test]
    fn matching_attributes_sort_by_precedence() {
        let mut om = ObjectMapping::new(ObjectKind::User);
        let mut a = AttributeMapping::direct("objectId", TargetAttr::parse("externalId").expect("valid"));
        a.matching_priority = Some(2);
        let mut b = AttributeMapping::direct("userPrincipalName", TargetAttr::parse("userName").expect("valid"));
        b.matching_priority = Some(1);
        om.attributes = vec![a, b, AttributeMapping::direct("mail", TargetAttr::parse("title").expect("valid"))];
        let names: Vec<String> = om.matching_attributes().iter().map(|m| m.target.to_string()).collect();
        assert_eq!(names, ["userName", "externalId"]);
    }
}
