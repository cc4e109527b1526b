//! The body of a user create (ENTRA.md 1.2): `schemas`, every non-null mapped attribute in mapping order
//! (defaults applied, manager left for the reference pass), `meta.resourceType` and `roles` — the mapped
//! roles ([`crate::engine::roles`]) or `[]`.

use std::borrow::Cow;

use serde_json::{json, Value as Json};

use crate::engine::body::Tree;
use crate::engine::dialect::{self, Dialect, ENTERPRISE_URN};
use crate::engine::diff;
use crate::engine::evaluate::Evaluated;
use crate::engine::roles;
use crate::engine::source::AttrSpec;
use crate::fidelity::Fidelity;
use crate::scim::client::EncodedBody;

mod layout;

/// The core User schema URN.
pub const USER_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:User";

/// Builds the POST body Entra sends. `active` is a JSON boolean unless the legacy dialect runs with the
/// `post_active_as_string` switch.
pub fn post_body(dialect: Dialect, eval: &Evaluated, fidelity: &Fidelity) -> Json {
    post_tree(dialect, eval, fidelity).to_json()
}

/// The POST body ([`post_body`]) as a tree borrowing from the evaluation, ready to serialize.
fn post_tree<'a>(dialect: Dialect, eval: &'a Evaluated, fidelity: &Fidelity) -> Tree<'a> {
    let string_active = dialect == Dialect::Legacy && fidelity.post_active_as_string;
    let desired = roles::desired(&eval.specs, &eval.values);
    let roles = Cow::Owned(roles::post_roles(desired.as_ref()));
    tree_of(&eval.specs, |i| sent_value(&eval.specs[i], &eval.values[i], string_active), roles)
}

/// Whether a spec's value goes into the body's attributes: mapped to a path, not the manager (left for
/// the reference pass) and not a role (roles go into `roles`).
fn posts_value(spec: &AttrSpec) -> bool {
    spec.path.as_ref().is_some_and(|path| !path.is_manager()) && spec.roles.is_none()
}

/// The value a spec sends: its mapped value, or its default when the value is empty (`None`: nothing is
/// sent). `active` is a JSON boolean unless the legacy dialect sends strings (`string_active`).
fn sent_value<'a>(spec: &AttrSpec, value: &'a Json, string_active: bool) -> Option<Cow<'a, Json>> {
    let mut value = Cow::Borrowed(value);
    if diff::is_empty(&value) {
        value = Cow::Owned(Json::String(spec.default.clone()?));
    }
    if spec.target.eq_ignore_ascii_case("active") {
        value = Cow::Owned(match dialect::active_value(Dialect::Compliant, &value) {
            Json::Bool(b) if string_active => Json::String(if b { "True" } else { "False" }.into()),
            other => other,
        });
    }
    Some(value)
}

/// The body's tree: `schemas`, every attribute `value_of` gives (by spec position) in mapping order,
/// `meta` and `roles`. The layout of a body ([`layout`]) is this tree built with placeholders.
fn tree_of<'a>(
    specs: &'a [AttrSpec],
    mut value_of: impl FnMut(usize) -> Option<Cow<'a, Json>>,
    roles: Cow<'a, Json>,
) -> Tree<'a> {
    let mut body = Tree::with_capacity(specs.len() + 3);
    // A placeholder keeps `schemas` first; the attributes go straight into the body after it.
    body.insert(Cow::Borrowed("schemas"), Cow::Owned(Json::Null));
    let mut enterprise = false;
    for (i, spec) in specs.iter().enumerate() {
        let Some(path) = spec.path.as_ref().filter(|_| posts_value(spec)) else { continue };
        let Some(value) = value_of(i) else { continue };
        enterprise |= path.urn.as_deref().is_some_and(|u| u.eq_ignore_ascii_case(ENTERPRISE_URN));
        body.set(path, value);
    }
    if body.is_null("schemas") {
        let mut schemas = vec![json!(USER_URN)];
        if enterprise {
            schemas.push(json!(ENTERPRISE_URN));
        }
        body.insert(Cow::Borrowed("schemas"), Cow::Owned(Json::Array(schemas)));
    }
    body.insert(Cow::Borrowed("meta"), Cow::Owned(json!({"resourceType": "User"})));
    body.insert(Cow::Borrowed("roles"), roles);
    body
}

/// The `POST` body of a create, serialized; the JSON form is kept only when the transcript keeps request
/// bodies (`keep_json`). Most bodies are written straight from the values into the mapping's cached
/// [`layout`]; a body the layout cannot hold (a value that is an object or array) is serialized from its
/// tree, which gives the same bytes.
pub fn create_body(dialect: Dialect, eval: &Evaluated, fidelity: &Fidelity, keep_json: bool) -> EncodedBody {
    let string_active = dialect == Dialect::Legacy && fidelity.post_active_as_string;
    if !keep_json {
        if let Some(bytes) = layout::write(eval, |spec, value| sent_value(spec, value, string_active)) {
            return EncodedBody::from_parts(None, bytes.into());
        }
    }
    let tree = post_tree(dialect, eval, fidelity);
    EncodedBody::from_parts(keep_json.then(|| tree.to_json()), serialize(&tree, eval).into())
}

/// A tree's bytes, in a buffer sized ahead from the values (so it is not grown and copied several times).
fn serialize(tree: &Tree<'_>, eval: &Evaluated) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(size_hint(eval));
    if serde_json::to_writer(&mut bytes, tree).is_err() {
        bytes.clear();
    }
    bytes
}

/// A guess at a create body's length: its fixed members, and each attribute's name and text.
fn size_hint(eval: &Evaluated) -> usize {
    let values: usize = eval
        .specs
        .iter()
        .zip(&eval.values)
        .map(|(spec, value)| spec.target.len() + 8 + value.as_str().map_or(16, str::len))
        .sum();
    256 + values
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::source::AttrSpec;
    use crate::engine::users::tests::eval;
    use crate::fidelity::Override;

    #[test]
    fn post_body_has_entra_shape() {
        let body = post_body(Dialect::Legacy, &eval(), &Fidelity::default());
        assert_eq!(
            body,
            json!({
                "schemas": [USER_URN, ENTERPRISE_URN],
                "userName": "a@x",
                "active": true,
                "title": "Staff",
                ENTERPRISE_URN: {"department": "R&D"},
                "meta": {"resourceType": "User"},
                "roles": []
            })
        );
    }

    #[test]
    fn legacy_can_send_string_booleans_on_post() {
        let strings = Fidelity::default().with(&[Override::new("post_active_as_string", "true").expect("switch")]);
        assert_eq!(post_body(Dialect::Legacy, &eval(), &strings)["active"], json!("True"));
        assert_eq!(post_body(Dialect::Compliant, &eval(), &strings)["active"], json!(true));
    }

    #[test]
    fn mapped_roles_are_posted() {
        let mut e = eval();
        let target = r#"roles[primary eq "True"].value"#;
        let mut specs = e.specs.to_vec();
        specs.push(AttrSpec { roles: roles::RoleFunction::of(target, None), ..AttrSpec::for_target(target) });
        e.specs = specs.into();
        e.values.push(json!("Admin"));
        let body = post_body(Dialect::Legacy, &e, &Fidelity::default());
        assert_eq!(body["roles"], json!([{"primary": true, "type": roles::ROLE_TYPE, "value": "Admin"}]));
    }
}
