//! The little replay needs from a Graph `synchronizationSchema`: for users and groups, which source
//! attribute each target attribute comes from (Direct mappings invert exactly; expressions do not), the
//! matching attribute and the flow types. The full import is `mapping::load`; this only reads.

use serde_json::Value;

use crate::diagnostic::{Diagnostic, SourceFile, Span};

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
    pub target: String,
    pub source: Source,
    pub matching_priority: u32,
}

/// The user and group object mappings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct SchemaView {
    pub users: Vec<Mapping>,
    pub groups: Vec<Mapping>,
    /// `flowTypes` of the user mapping, e.g. `Add, Update, Delete`.
    pub user_flow_types: Option<String>,
    /// True when the groups mapping exists and is enabled.
    pub groups_enabled: bool,
}

impl SchemaView {
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

    /// The defaults of the non-gallery SCIM template (ENTRA.md 5.4), i.e. the `entra-default` preset.
    pub fn entra_default() -> SchemaView {
        let d = |t: &str, s: &str, p: u32| Mapping {
            target: t.into(),
            source: Source::Direct(s.into()),
            matching_priority: p,
        };
        let e = |t: &str, expr: &str, attrs: &[&str]| Mapping {
            target: t.into(),
            source: Source::Expression {
                expression: expr.into(),
                attributes: attrs.iter().map(|a| a.to_string()).collect(),
            },
            matching_priority: 0,
        };
        const ENT: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:";
        SchemaView {
            users: vec![
                d("userName", "userPrincipalName", 1),
                e("active", r#"Switch([IsSoftDeleted], , "False", "True", "True", "False")"#, &["IsSoftDeleted"]),
                d("displayName", "displayName", 0),
                d("title", "jobTitle", 0),
                d(r#"emails[type eq "work"].value"#, "mail", 0),
                d("preferredLanguage", "preferredLanguage", 0),
                d("name.givenName", "givenName", 0),
                d("name.familyName", "surname", 0),
                e("name.formatted", r#"Join(" ", [givenName], [surname])"#, &["givenName", "surname"]),
                d(r#"addresses[type eq "work"].formatted"#, "physicalDeliveryOfficeName", 0),
                d(r#"addresses[type eq "work"].streetAddress"#, "streetAddress", 0),
                d(r#"addresses[type eq "work"].locality"#, "city", 0),
                d(r#"addresses[type eq "work"].region"#, "state", 0),
                d(r#"addresses[type eq "work"].postalCode"#, "postalCode", 0),
                d(r#"addresses[type eq "work"].country"#, "country", 0),
                d(r#"phoneNumbers[type eq "work"].value"#, "telephoneNumber", 0),
                d(r#"phoneNumbers[type eq "mobile"].value"#, "mobile", 0),
                d(r#"phoneNumbers[type eq "fax"].value"#, "facsimileTelephoneNumber", 0),
                d("externalId", "mailNickname", 0),
                d(&format!("{ENT}employeeNumber"), "employeeId", 0),
                d(&format!("{ENT}department"), "department", 0),
                d(&format!("{ENT}manager"), "manager", 0),
            ],
            groups: vec![
                d("displayName", "displayName", 1),
                d("externalId", "objectId", 0),
                d("members", "members", 0),
            ],
            user_flow_types: None,
            groups_enabled: true,
        }
    }
}

/// Reads the schema JSON (`{"synchronizationRules": [...]}`, or a job with a `schema` inside).
pub(crate) fn read(file: &SourceFile) -> Result<SchemaView, Box<Diagnostic>> {
    let root: Value = serde_json::from_str(&file.text).map_err(|e| {
        let line_start: usize = file.text.split_inclusive('\n').take(e.line().saturating_sub(1)).map(str::len).sum();
        let at = (line_start + e.column().saturating_sub(1)).min(file.text.len());
        let msg = e.to_string();
        let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
        Box::new(Diagnostic::error(format!("invalid JSON: {msg}")).at(file, Span::new(at, at + 1)))
    })?;
    let rules = root
        .get("synchronizationRules")
        .or_else(|| root.get("schema").and_then(|s| s.get("synchronizationRules")))
        .and_then(Value::as_array)
        .ok_or_else(|| {
            Box::new(
                Diagnostic::error("not a synchronization schema: no `synchronizationRules`")
                    .at(file, Span::new(0, 1))
                    .with_help("export it with `GET /servicePrincipals/{id}/synchronization/jobs/{jobId}/schema`"),
            )
        })?;
    let mut view = SchemaView::default();
    for mapping in rules.iter().filter_map(|r| r.get("objectMappings")).filter_map(Value::as_array).flatten() {
        let source = mapping.get("sourceObjectName").and_then(Value::as_str).unwrap_or("");
        let enabled = mapping.get("enabled").and_then(Value::as_bool).unwrap_or(true);
        let attrs: Vec<Mapping> = mapping
            .get("attributeMappings")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(attribute_mapping).collect())
            .unwrap_or_default();
        if source.eq_ignore_ascii_case("User") && enabled && view.users.is_empty() {
            view.users = attrs;
            view.user_flow_types = mapping.get("flowTypes").and_then(Value::as_str).map(str::to_string);
        } else if source.eq_ignore_ascii_case("Group") && view.groups.is_empty() {
            view.groups_enabled = enabled;
            view.groups = attrs;
        }
    }
    Ok(view)
}

fn attribute_mapping(v: &Value) -> Option<Mapping> {
    let target = v.get("targetAttributeName")?.as_str()?.to_string();
    let matching_priority = v.get("matchingPriority").and_then(Value::as_u64).unwrap_or(0) as u32;
    Some(Mapping { target, source: source_of(v.get("source")), matching_priority })
}

fn source_of(v: Option<&Value>) -> Source {
    let Some(v) = v.filter(|v| v.is_object()) else { return Source::None };
    let text = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    match text("type").to_ascii_lowercase().as_str() {
        "attribute" => Source::Direct(text("name")),
        "constant" => Source::Constant(text("name")),
        "function" => {
            let mut attributes = Vec::new();
            collect_attributes(v, &mut attributes);
            Source::Expression { expression: text("expression"), attributes }
        }
        _ => Source::None,
    }
}

fn collect_attributes(v: &Value, out: &mut Vec<String>) {
    if v.get("type").and_then(Value::as_str).is_some_and(|t| t.eq_ignore_ascii_case("Attribute")) {
        if let Some(name) = v.get("name").and_then(Value::as_str) {
            if !out.iter().any(|o| o == name) {
                out.push(name.to_string());
            }
        }
    }
    for p in v.get("parameters").and_then(Value::as_array).into_iter().flatten() {
        if let Some(inner) = p.get("value") {
            collect_attributes(inner, out);
        }
    }
}
