//! User and group tables (`[[users]]`, `[[groups]]`, `add = {...}`, `add_group = {...}`) and the `set`
//! table of `update` steps: scenario keys, Entra attribute names (checked, with "did you mean"), values.

use toml::de::DeTable;

use super::raw::{self, entries, get, Node, Sink};
use crate::diagnostic::{did_you_mean, Diagnostic, Span};
use crate::directory::{classify_group_attribute, classify_user_attribute, AttributeName, NewGroup, NewUser, ObjectId};
use crate::mapping::Value;

/// Scenario keys of a user table (the rest are Entra attributes).
const USER_KEYS: &[&str] = &["id", "objectId", "assigned", "accountEnabled", "soft_deleted", "manager"];

/// Scenario keys of a group table.
const GROUP_KEYS: &[&str] = &["id", "objectId", "assigned", "members"];

const EXTENSION_HELP: &str =
    "other attributes are directory extensions: `extension_<appId>_<name>` or `extensionAttribute1`..`extensionAttribute15`";

/// A parsed user table.
pub(crate) struct UserEntry {
    pub new: NewUser,
    pub id_span: Span,
    pub manager_span: Option<Span>,
    /// Where the `userPrincipalName` value is, for uniqueness errors.
    pub upn_span: Option<Span>,
}

/// A parsed group table.
pub(crate) struct GroupEntry {
    pub new: NewGroup,
    pub id_span: Span,
    pub member_spans: Vec<Span>,
}

/// Reads a user table. `None` when the table has no usable `id` (errors are in the sink).
pub(crate) fn parse_user(sink: &mut Sink, table: &DeTable<'_>, span: Span) -> Option<UserEntry> {
    let (alias, id_span) = parse_id(sink, table, span, "user")?;
    let mut new = NewUser::new(alias);
    new.object_id = parse_object_id(sink, table);
    new.assigned = flag(sink, table, "assigned", true);
    new.account_enabled = flag(sink, table, "accountEnabled", true);
    new.soft_deleted = flag(sink, table, "soft_deleted", false);
    let manager = get(table, "manager").and_then(|n| raw::string(sink, n, "manager"));
    let manager_span = manager.as_ref().map(|(_, s)| *s);
    new.manager = manager.map(|(m, _)| m);
    let mut upn_span = None;
    for (key, key_span, node) in entries(table) {
        if USER_KEYS.contains(&key) {
            continue;
        }
        if let Some(name) = user_attribute_name(sink, key, key_span) {
            if name == "userPrincipalName" {
                upn_span = Some(raw::span_of(node));
            }
            let value = user_value(sink, &name, node);
            new.attrs.set(name, value);
        }
    }
    Some(UserEntry { new, id_span, manager_span, upn_span })
}

/// Reads a group table. `None` when the table has no usable `id`.
pub(crate) fn parse_group(sink: &mut Sink, table: &DeTable<'_>, span: Span) -> Option<GroupEntry> {
    let (alias, id_span) = parse_id(sink, table, span, "group")?;
    let mut new = NewGroup::new(alias.clone());
    new.object_id = parse_object_id(sink, table);
    new.assigned = flag(sink, table, "assigned", true);
    let members = get(table, "members").and_then(|n| raw::string_list(sink, n, "members")).unwrap_or_default();
    let member_spans = members.iter().map(|(_, s)| *s).collect();
    new.members = members.into_iter().map(|(m, _)| m).collect();
    for (key, key_span, node) in entries(table) {
        if GROUP_KEYS.contains(&key) {
            continue;
        }
        match classify_group_attribute(key) {
            AttributeName::Known(name) => new.attrs.set(name, attribute_value(node)),
            AttributeName::Extension(name) => new.attrs.set(name, attribute_value(node)),
            other => {
                let candidates = GROUP_KEYS.iter().chain(crate::directory::GROUP_ATTRIBUTES).copied();
                unknown_attribute(sink, key, key_span, "group", &other, candidates);
            }
        }
    }
    if !new.attrs.has("displayName") {
        let d = Diagnostic::error(format!("group `{alias}` has no `displayName`"))
            .at(&sink.file, span)
            .with_label("add `displayName = \"...\"`")
            .with_help("Entra groups always have a display name, and the default group mapping matches on it");
        sink.push(d);
    }
    Some(GroupEntry { new, id_span, member_spans })
}

/// Reads the `set` table of an `update` step: attribute name → value; `manager` takes an alias and
/// `accountEnabled` a boolean (the directory checks both).
pub(crate) fn parse_user_set(sink: &mut Sink, table: &DeTable<'_>) -> Vec<(String, Value, Span)> {
    let mut out = Vec::new();
    for (key, key_span, node) in entries(table) {
        match key {
            "id" | "objectId" => {
                sink.error(key_span, format!("`{key}` cannot be changed"), "an object keeps its id for life");
                continue;
            }
            "assigned" => {
                sink.error(key_span, "`assigned` is not an attribute", "use `assign` or `unassign` steps");
                continue;
            }
            "soft_deleted" => {
                sink.error(key_span, "`soft_deleted` is not an attribute", "use `soft_delete` or `restore` steps");
                continue;
            }
            "manager" => {
                if let Some((alias, span)) = raw::string(sink, node, key) {
                    out.push((key.to_string(), Value::Str(alias), span));
                }
                continue;
            }
            "accountEnabled" => {
                if let Some(b) = raw::boolean(sink, node, key) {
                    out.push((key.to_string(), Value::Bool(b), raw::span_of(node)));
                }
                continue;
            }
            _ => {}
        }
        if let Some(name) = user_attribute_name(sink, key, key_span) {
            let value = user_value(sink, &name, node);
            out.push((name, value, raw::span_of(node)));
        }
    }
    out
}

/// Checks an attribute name of an `unset` list.
pub(crate) fn check_unset_name(sink: &mut Sink, name: &str, span: Span) -> Option<String> {
    match classify_user_attribute(name) {
        AttributeName::Structural("manager") => Some("manager".to_string()),
        AttributeName::Structural(n) => {
            sink.error(span, format!("`{n}` cannot be removed"), "every user has it");
            None
        }
        _ => user_attribute_name(sink, name, span),
    }
}

/// The canonical name of a plain user attribute, or an error.
fn user_attribute_name(sink: &mut Sink, key: &str, span: Span) -> Option<String> {
    match classify_user_attribute(key) {
        AttributeName::Known(name) => Some(name.to_string()),
        AttributeName::Extension(name) => Some(name),
        other => {
            let candidates = USER_KEYS.iter().chain(crate::directory::USER_ATTRIBUTES).copied();
            unknown_attribute(sink, key, span, "user", &other, candidates);
            None
        }
    }
}

fn unknown_attribute<'a>(
    sink: &mut Sink,
    key: &str,
    span: Span,
    kind: &str,
    class: &AttributeName,
    candidates: impl Iterator<Item = &'a str>,
) {
    match class {
        AttributeName::Computed(name) => sink.error(
            span,
            format!("`{name}` is computed by the provisioning engine"),
            "use `disable`, `soft_delete` or `unassign` steps",
        ),
        AttributeName::Structural(name) => {
            sink.error(span, format!("`{name}` is not a {kind} attribute here"), "not allowed in this table")
        }
        _ => {
            let label = match did_you_mean(key, candidates) {
                Some(s) => format!("did you mean `{s}`?"),
                None => "not an Entra attribute".to_string(),
            };
            let d = Diagnostic::error(format!("unknown {kind} attribute `{key}`"))
                .at(&sink.file, span)
                .with_label(label)
                .with_help(EXTENSION_HELP);
            sink.push(d);
        }
    }
}

fn parse_id(sink: &mut Sink, table: &DeTable<'_>, span: Span, kind: &str) -> Option<(String, Span)> {
    let Some(node) = get(table, "id") else {
        sink.error(
            span,
            format!("{kind} has no `id`"),
            format!("add `id = \"...\"`: the alias steps use for this {kind}"),
        );
        return None;
    };
    let (alias, id_span) = raw::string(sink, node, "id")?;
    if alias.trim().is_empty() || alias.trim() != alias {
        sink.error(id_span, "`id` must be a non-empty name without surrounding spaces", "invalid id");
        return None;
    }
    Some((alias, id_span))
}

fn parse_object_id(sink: &mut Sink, table: &DeTable<'_>) -> Option<ObjectId> {
    let (text, span) = get(table, "objectId").and_then(|n| raw::string(sink, n, "objectId"))?;
    let id = ObjectId::parse(&text);
    if id.is_none() {
        sink.error(span, format!("`objectId` `{text}` is not a GUID"), "e.g. \"2819c223-7f76-453a-919d-413861904646\"");
    }
    id
}

fn flag(sink: &mut Sink, table: &DeTable<'_>, key: &str, default: bool) -> bool {
    get(table, key).and_then(|n| raw::boolean(sink, n, key)).unwrap_or(default)
}

/// The value of user attribute `name`: app role assignments are checked and normalised
/// ([`super::roles`]), every other attribute is read by [`attribute_value`].
fn user_value(sink: &mut Sink, name: &str, node: &Node<'_>) -> Value {
    if name == super::roles::ATTRIBUTE {
        return super::roles::parse_app_roles(sink, node);
    }
    attribute_value(node)
}

/// An attribute value: strings, booleans and integers as themselves, arrays as multi-values, tables as
/// their JSON text (how Entra carries complex values such as app role assignments), datetimes as text.
pub(crate) fn attribute_value(node: &Node<'_>) -> Value {
    Value::from_json(&raw::to_json(node))
}
