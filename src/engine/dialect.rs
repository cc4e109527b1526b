//! The two PATCH dialects of Entra's `scim` job (ENTRA.md 2.2, 2.3) as pure request builders.
//!
//! | request | legacy (no flag) | compliant (`aadOptscim062020`) |
//! |---|---|---|
//! | op casing | `Add` `Replace` `Remove` | `add` `replace` `remove` |
//! | disable / enable | `Replace active "False"` / `"True"` (the mapping's string) | `replace active false` / `true` |
//! | several changed attributes | one op per attribute, each with its path | value-filter paths keep their own op; the other attributes fold into one path-less op whose value is keyed by dotted / URN paths |
//! | add members | `Add members [{value}]` | `add members [{value}]` |
//! | remove members | `Remove members [{value}]` | one `remove members[value eq "id"]` per member, no value |
//! | manager set | `Add urn:…:manager "<id>"` | same, `add` |
//! | manager removal | `Remove urn:…:manager "<id>"` (not reported; inferred) | `remove manager[value eq "<id>"]` |
//! | roles | see [`crate::engine::roles`] | |
//!
//! Folding: a path-less op is only used when at least two simple attributes change with the same op
//! (`Add` for attributes the target lacks, `Replace` otherwise); a lone change keeps its path, which is
//! one of the two shapes seen in captures (ENTRA.md 2.3 last row).

use serde::Serialize;
use serde_json::{json, Map, Value as Json};

use crate::fidelity::Fidelity;

/// The enterprise extension URN.
pub const ENTERPRISE_URN: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
/// The core Group schema URN.
pub const GROUP_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
/// The `PatchOp` message URN.
pub const PATCH_OP_URN: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

pub use crate::scim::dialect::Dialect;

impl Dialect {
    /// The `op` text for an operation kind.
    pub fn op(self, kind: OpKind) -> &'static str {
        match (self, kind) {
            (Dialect::Legacy, OpKind::Add) => "Add",
            (Dialect::Legacy, OpKind::Replace) => "Replace",
            (Dialect::Legacy, OpKind::Remove) => "Remove",
            (Dialect::Compliant, OpKind::Add) => "add",
            (Dialect::Compliant, OpKind::Replace) => "replace",
            (Dialect::Compliant, OpKind::Remove) => "remove",
        }
    }
}

/// A PATCH operation kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OpKind {
    /// The target has no value.
    Add,
    /// The target has a value.
    Replace,
    /// Removal.
    Remove,
}

/// One attribute change planned by the diff.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttrChange {
    /// Target path as mapped (`name.givenName`, `emails[type eq "work"].value`, `urn:…:department`).
    pub path: String,
    /// `Add` or `Replace`.
    pub op: OpKind,
    /// Value to send (already in the dialect's type).
    pub value: Json,
    /// Value the target had (for the log's old → new).
    pub old: Option<Json>,
}

impl AttrChange {
    /// True when the path addresses a multi-valued element through a value filter.
    pub fn is_filtered(&self) -> bool {
        self.path.contains('[')
    }
}

/// Wraps operations in a `PatchOp` message.
pub fn patch_body(operations: Vec<Json>) -> Json {
    json!({"schemas": [PATCH_OP_URN], "Operations": operations})
}

fn op_with_path(dialect: Dialect, kind: OpKind, path: &str, value: Json) -> Json {
    json!({"op": dialect.op(kind), "path": path, "value": value})
}

/// The operations for a set of attribute changes of a user or group (roles have their own operation:
/// [`crate::engine::roles`]).
pub fn attribute_ops(dialect: Dialect, changes: &[AttrChange]) -> Vec<Json> {
    let changes: Vec<&AttrChange> = changes.iter().collect();
    plain_ops(dialect, &changes)
}

fn plain_ops(dialect: Dialect, changes: &[&AttrChange]) -> Vec<Json> {
    match dialect {
        Dialect::Legacy => changes.iter().map(|c| op_with_path(dialect, c.op, &c.path, c.value.clone())).collect(),
        Dialect::Compliant => {
            let mut ops = Vec::new();
            for kind in [OpKind::Add, OpKind::Replace] {
                let of_kind: Vec<&AttrChange> = changes.iter().copied().filter(|c| c.op == kind).collect();
                let foldable: Vec<&&AttrChange> = of_kind.iter().filter(|c| !c.is_filtered()).collect();
                if foldable.len() >= 2 {
                    let folded: Map<String, Json> =
                        foldable.iter().map(|c| (c.path.clone(), c.value.clone())).collect();
                    ops.push(json!({"op": dialect.op(kind), "value": Json::Object(folded)}));
                    ops.extend(
                        of_kind
                            .iter()
                            .filter(|c| c.is_filtered())
                            .map(|c| op_with_path(dialect, kind, &c.path, c.value.clone())),
                    );
                } else {
                    ops.extend(of_kind.iter().map(|c| op_with_path(dialect, kind, &c.path, c.value.clone())));
                }
            }
            let removals = changes.iter().filter(|c| c.op == OpKind::Remove);
            ops.extend(removals.map(|c| op_with_path(dialect, OpKind::Remove, &c.path, c.value.clone())));
            ops
        }
    }
}

/// The value of `active` in the dialect's type: compliant sends a JSON boolean, legacy sends what the
/// mapping produced (the default `Switch` yields the strings `"True"`/`"False"`).
pub fn active_value(dialect: Dialect, mapped: &Json) -> Json {
    match dialect {
        Dialect::Legacy => mapped.clone(),
        Dialect::Compliant => match mapped {
            Json::String(s) if s.eq_ignore_ascii_case("true") => Json::Bool(true),
            Json::String(s) if s.eq_ignore_ascii_case("false") => Json::Bool(false),
            other => other.clone(),
        },
    }
}

/// The PATCH that disables or re-enables a user: `active` only.
pub fn active_ops(dialect: Dialect, mapped: &Json) -> Vec<Json> {
    vec![op_with_path(dialect, OpKind::Replace, "active", active_value(dialect, mapped))]
}

/// The `schemas` of a group POST: the core Group URI, then the ADSCIM URI unless the
/// `group_adscim_schema` switch is off (ENTRA.md 1.7, a CONFLICT).
pub fn group_schemas(fidelity: &Fidelity) -> Json {
    let mut schemas = vec![json!(GROUP_URN)];
    if fidelity.group_adscim_schema {
        schemas.push(json!(crate::mapping::ADSCIM_GROUP));
    }
    Json::Array(schemas)
}

/// One member value: `{"value": id}`, or `{"$ref": null, "value": id}` in the legacy dialect with the
/// `member_ref_null` switch (ENTRA.md 1.7).
fn member_value(dialect: Dialect, fidelity: &Fidelity, id: &str) -> Json {
    match dialect == Dialect::Legacy && fidelity.member_ref_null {
        true => json!({"$ref": null, "value": id}),
        false => json!({"value": id}),
    }
}

/// Add members (target ids), batched `batch` per operation.
pub fn members_add_ops(dialect: Dialect, fidelity: &Fidelity, ids: &[String], batch: usize) -> Vec<Json> {
    ids.chunks(batch.max(1))
        .map(|chunk| {
            let values: Vec<Json> = chunk.iter().map(|id| member_value(dialect, fidelity, id)).collect();
            op_with_path(dialect, OpKind::Add, "members", Json::Array(values))
        })
        .collect()
}

/// Remove members (target ids): legacy batches values under `path: members`; compliant sends one
/// `members[value eq "id"]` operation per member.
pub fn members_remove_ops(dialect: Dialect, fidelity: &Fidelity, ids: &[String], batch: usize) -> Vec<Json> {
    match dialect {
        Dialect::Legacy => ids
            .chunks(batch.max(1))
            .map(|chunk| {
                let values: Vec<Json> = chunk.iter().map(|id| member_value(dialect, fidelity, id)).collect();
                op_with_path(dialect, OpKind::Remove, "members", Json::Array(values))
            })
            .collect(),
        Dialect::Compliant => {
            ids.iter().map(|id| json!({"op": "remove", "path": format!("members[value eq {}]", quote(id))})).collect()
        }
    }
}

/// Set the manager: a bare string id under the enterprise URN path.
pub fn manager_set_op(dialect: Dialect, kind: OpKind, manager_target_id: &str) -> Json {
    op_with_path(dialect, kind, &format!("{ENTERPRISE_URN}:manager"), Json::String(manager_target_id.to_string()))
}

/// The serialized `PatchOp` of [`manager_set_op`] alone, byte for byte what serializing
/// `patch_body(vec![manager_set_op(..)])` gives, written without building the JSON value: a lean
/// run's manager pass sends one per user and keeps no request body.
pub fn manager_set_body(dialect: Dialect, kind: OpKind, manager_target_id: &str) -> Vec<u8> {
    let mut body = Vec::with_capacity(200 + manager_target_id.len());
    body.extend_from_slice(br#"{"schemas":[""#);
    body.extend_from_slice(PATCH_OP_URN.as_bytes());
    body.extend_from_slice(br#""],"Operations":[{"op":""#);
    body.extend_from_slice(dialect.op(kind).as_bytes());
    body.extend_from_slice(br#"","path":""#);
    body.extend_from_slice(ENTERPRISE_URN.as_bytes());
    body.extend_from_slice(br#":manager","value":"#);
    // The id escaped as serde_json escapes any string (writing to a Vec cannot fail).
    let _ = serde_json::to_writer(&mut body, manager_target_id);
    body.extend_from_slice(b"}]}");
    body
}

/// Remove the manager.
pub fn manager_remove_op(dialect: Dialect, manager_target_id: &str) -> Json {
    match dialect {
        Dialect::Legacy => op_with_path(
            dialect,
            OpKind::Remove,
            &format!("{ENTERPRISE_URN}:manager"),
            Json::String(manager_target_id.to_string()),
        ),
        Dialect::Compliant => {
            json!({"op": "remove", "path": format!("manager[value eq {}]", quote(manager_target_id))})
        }
    }
}

/// A SCIM filter string literal: double quotes, with `\` and `"` escaped.
pub fn quote(value: &str) -> String {
    format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::client::UrlFlag;

    #[test]
    fn a_manager_set_body_is_the_serialized_patch_op() {
        for dialect in [Dialect::Legacy, Dialect::Compliant] {
            for kind in [OpKind::Add, OpKind::Replace] {
                for id in ["7f3a", "", "quote \" back\\slash", "ü\u{1}\n"] {
                    let value = patch_body(vec![manager_set_op(dialect, kind, id)]);
                    let expected = serde_json::to_vec(&value).unwrap();
                    assert_eq!(manager_set_body(dialect, kind, id), expected, "{dialect:?} {kind:?} {id:?}");
                }
            }
        }
    }

    fn change(path: &str, op: OpKind, value: Json) -> AttrChange {
        AttrChange { path: path.into(), op, value, old: None }
    }

    #[test]
    fn dialect_follows_the_url_flag() {
        assert_eq!(Dialect::from_flag(UrlFlag::Compliant), Dialect::Compliant);
        assert_eq!(Dialect::from_flag(UrlFlag::None), Dialect::Legacy);
        assert_eq!(Dialect::from_flag(UrlFlag::Legacy), Dialect::Legacy);
    }

    #[test]
    fn disable_is_string_false_in_legacy_and_boolean_in_compliant() {
        let mapped = json!("False");
        assert_eq!(
            active_ops(Dialect::Legacy, &mapped),
            vec![json!({"op": "Replace", "path": "active", "value": "False"})]
        );
        assert_eq!(
            active_ops(Dialect::Compliant, &mapped),
            vec![json!({"op": "replace", "path": "active", "value": false})]
        );
        assert_eq!(active_ops(Dialect::Compliant, &json!("true"))[0]["value"], json!(true));
    }

    #[test]
    fn legacy_sends_one_op_per_attribute() {
        let ops = attribute_ops(
            Dialect::Legacy,
            &[
                change("displayName", OpKind::Replace, json!("A")),
                change("emails[type eq \"work\"].value", OpKind::Replace, json!("a@x")),
                change("nickName", OpKind::Add, json!("Ally")),
            ],
        );
        assert_eq!(
            ops,
            vec![
                json!({"op": "Replace", "path": "displayName", "value": "A"}),
                json!({"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "a@x"}),
                json!({"op": "Add", "path": "nickName", "value": "Ally"}),
            ]
        );
    }

    #[test]
    fn compliant_folds_simple_attributes_and_keeps_filtered_paths() {
        let ops = attribute_ops(
            Dialect::Compliant,
            &[
                change("displayName", OpKind::Replace, json!("A")),
                change("name.givenName", OpKind::Replace, json!("G")),
                change(&format!("{ENTERPRISE_URN}:employeeNumber"), OpKind::Replace, json!("7")),
                change("emails[type eq \"work\"].value", OpKind::Replace, json!("a@x")),
            ],
        );
        assert_eq!(
            ops,
            vec![
                json!({"op": "replace", "value": {
                    "displayName": "A", "name.givenName": "G",
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "7"}}),
                json!({"op": "replace", "path": "emails[type eq \"work\"].value", "value": "a@x"}),
            ]
        );
    }

    #[test]
    fn compliant_lone_change_keeps_its_path() {
        let ops = attribute_ops(Dialect::Compliant, &[change("nickName", OpKind::Add, json!("Babs"))]);
        assert_eq!(ops, vec![json!({"op": "add", "path": "nickName", "value": "Babs"})]);
    }

    #[test]
    fn member_removal_forms_differ() {
        let ids = vec!["u1".to_string(), "u2".to_string()];
        assert_eq!(
            members_remove_ops(Dialect::Legacy, &Fidelity::default(), &ids, 50),
            vec![json!({"op": "Remove", "path": "members", "value": [{"value": "u1"}, {"value": "u2"}]})]
        );
        assert_eq!(
            members_remove_ops(Dialect::Compliant, &Fidelity::default(), &ids, 50),
            vec![
                json!({"op": "remove", "path": "members[value eq \"u1\"]"}),
                json!({"op": "remove", "path": "members[value eq \"u2\"]"}),
            ]
        );
        assert_eq!(members_add_ops(Dialect::Compliant, &Fidelity::default(), &ids, 1).len(), 2);
        assert_eq!(members_add_ops(Dialect::Legacy, &Fidelity::default(), &ids, 50)[0]["op"], json!("Add"));
        let refs =
            Fidelity::default().with(&[crate::fidelity::Override::new("member_ref_null", "true").expect("switch")]);
        assert_eq!(
            members_add_ops(Dialect::Legacy, &refs, &ids[..1], 50)[0]["value"],
            json!([{"$ref": null, "value": "u1"}])
        );
        assert_eq!(members_add_ops(Dialect::Compliant, &refs, &ids[..1], 50)[0]["value"], json!([{"value": "u1"}]));
        assert_eq!(group_schemas(&Fidelity::default())[1], json!(crate::mapping::ADSCIM_GROUP));
        let no_adscim = Fidelity::default()
            .with(&[crate::fidelity::Override::new("group_adscim_schema", "false").expect("switch")]);
        assert_eq!(group_schemas(&no_adscim), json!([GROUP_URN]));
    }

    #[test]
    fn manager_forms() {
        assert_eq!(
            manager_set_op(Dialect::Legacy, OpKind::Add, "271"),
            json!({"op": "Add", "path": format!("{ENTERPRISE_URN}:manager"), "value": "271"})
        );
        assert_eq!(
            manager_remove_op(Dialect::Compliant, "271"),
            json!({"op": "remove", "path": "manager[value eq \"271\"]"})
        );
        assert_eq!(manager_remove_op(Dialect::Legacy, "271")["op"], json!("Remove"));
    }

    #[test]
    fn quoting_escapes() {
        assert_eq!(quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
    }
}
