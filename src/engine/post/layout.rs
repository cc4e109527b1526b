//! Create bodies written straight as bytes. Which members a create body has, in which order and how they
//! nest depends only on the mapping and on which of its attributes have a value to send, as long as
//! every value sent is a scalar (a string, number or boolean: nothing for the body's tree to open up or
//! merge). So for each such combination the body is laid out once, by serializing the body's own tree
//! ([`super::tree_of`]) with a placeholder for each value, and kept as text with holes; a user's body is
//! then that text with the user's values serialized into the holes. The bytes are the tree's bytes: the
//! same `serde_json` serializer writes every value, and the layout's text is what it wrote around them.
//!
//! A mapping whose values could change the body's shape is never laid out: one that writes the
//! attribute a value filter selects on (`emails[type eq "work"].type`, so an element could match another
//! path's filter depending on the value), or one that maps `schemas`, `meta` or `roles` itself. A user
//! with a value that is an object or an array is serialized from the tree, as before.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::Value as Json;

use super::{posts_value, tree_of};
use crate::engine::evaluate::Evaluated;
use crate::engine::roles;
use crate::engine::source::AttrSpec;

/// Most attributes a mapping may have to be laid out (one bit each in a layout's key).
const MAX_SPECS: usize = 128;
/// Layouts kept per mapping; past it they are dropped and made again as needed (a directory whose users
/// fill their attributes in very many combinations gains little from them).
const MAX_LAYOUTS: usize = 1024;
/// Mappings whose layouts are kept (a process runs one mapping, or a few).
const MAX_MAPPINGS: usize = 4;
/// Marks a placeholder in a layout's text: `"\u0001<n>\u0001"` for the value of spec `n`, `"\u0001r\u0001"`
/// for `roles`. A control character, which `serde_json` always escapes, so the marks cannot be mistaken for
/// a mapping's own text.
const MARK: char = '\u{1}';
const OPEN: &[u8] = b"\"\\u0001";
const CLOSE: &[u8] = b"\\u0001\"";

/// One piece of a laid-out body.
#[derive(Debug)]
enum Piece {
    /// Text written as it is.
    Text(Box<[u8]>),
    /// The value of the spec at this position.
    Value(usize),
    /// The value of `roles`.
    Roles,
}

/// A body laid out: its pieces in order, and the length of their text.
#[derive(Debug)]
struct Layout {
    pieces: Vec<Piece>,
    text_len: usize,
}

/// The layouts of one mapping, by the set of its attributes that have a value (bit `n`: spec `n`).
struct Layouts {
    /// The mapping's specs (held, so the pointer compared is never reused for another mapping).
    specs: Arc<[AttrSpec]>,
    /// False when the mapping's values could change a body's shape: nothing is laid out.
    eligible: bool,
    by_values: HashMap<u128, Arc<Layout>>,
}

/// Layouts of the mappings used last, shared by the threads that prepare a page of users.
static LAYOUTS: Mutex<Vec<Layouts>> = Mutex::new(Vec::new());

/// The create body of `eval`, written into its layout; `sent` gives the value a spec sends (`None`:
/// nothing). `None` when the body cannot be laid out (see the module documentation): the caller
/// serializes the tree.
pub(super) fn write<'a>(
    eval: &'a Evaluated,
    sent: impl Fn(&AttrSpec, &'a Json) -> Option<Cow<'a, Json>>,
) -> Option<Vec<u8>> {
    let specs = &eval.specs;
    if specs.len() > MAX_SPECS || eval.values.len() != specs.len() {
        return None;
    }
    let mut present = 0u128;
    let mut values = Vec::with_capacity(specs.len());
    let mut values_len = 0;
    for (i, (spec, value)) in specs.iter().zip(&eval.values).enumerate() {
        let value = if posts_value(spec) { sent(spec, value) } else { None };
        match value.as_deref() {
            None => {}
            Some(Json::String(s)) => values_len += s.len() + 2,
            Some(Json::Bool(_) | Json::Number(_)) => values_len += 8,
            Some(_) => return None,
        }
        present |= u128::from(value.is_some()) << i;
        values.push(value);
    }
    let layout = layout_of(specs, present)?;
    let mut bytes = Vec::with_capacity(layout.text_len + values_len + 16);
    for piece in &layout.pieces {
        match piece {
            Piece::Text(text) => bytes.extend_from_slice(text),
            Piece::Value(i) => serde_json::to_writer(&mut bytes, values.get(*i)?.as_deref()?).ok()?,
            Piece::Roles => match roles::desired(specs, &eval.values) {
                None => bytes.extend_from_slice(b"[]"),
                Some(desired) => serde_json::to_writer(&mut bytes, &roles::post_roles(Some(&desired))).ok()?,
            },
        }
    }
    Some(bytes)
}

/// The layout of a body of `specs` where the specs in `present` have a value, made on first use.
fn layout_of(specs: &Arc<[AttrSpec]>, present: u128) -> Option<Arc<Layout>> {
    let mut all = LAYOUTS.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let at = match all.iter().position(|l| Arc::ptr_eq(&l.specs, specs)) {
        Some(at) => at,
        None => {
            if all.len() >= MAX_MAPPINGS {
                all.remove(0);
            }
            all.push(Layouts { specs: specs.clone(), eligible: eligible(specs), by_values: HashMap::new() });
            all.len() - 1
        }
    };
    let layouts = &mut all[at];
    if !layouts.eligible {
        return None;
    }
    if let Some(layout) = layouts.by_values.get(&present) {
        return Some(layout.clone());
    }
    let Some(layout) = lay_out(specs, present) else {
        // Not expected (the marks are always found); the tree serves every body of this mapping.
        layouts.eligible = false;
        return None;
    };
    if layouts.by_values.len() >= MAX_LAYOUTS {
        layouts.by_values.clear();
    }
    let layout = Arc::new(layout);
    layouts.by_values.insert(present, layout.clone());
    Some(layout)
}

/// True when no value can change the shape of a body of `specs` (see the module documentation).
fn eligible(specs: &[AttrSpec]) -> bool {
    let paths = || specs.iter().filter(|s| posts_value(s)).filter_map(|s| s.path.as_ref());
    let filtered_on: Vec<&str> = paths().filter_map(|p| p.filter.as_ref().map(|(attr, _)| attr.as_str())).collect();
    paths().all(|path| {
        let top = path.urn.as_deref().unwrap_or(&path.attr);
        let reserved = ["schemas", "meta", "roles"].iter().any(|name| top.eq_ignore_ascii_case(name));
        let written = path.sub.as_deref().unwrap_or("value");
        let writes_a_filter =
            path.filter.is_some() && filtered_on.iter().any(|attr| attr.eq_ignore_ascii_case(written));
        !reserved && !writes_a_filter
    })
}

/// Lays out a body of `specs` where the specs in `present` have a value: the body's tree with a
/// placeholder for each value, serialized and cut at the placeholders. `None` when a placeholder is not
/// found as written.
fn lay_out(specs: &[AttrSpec], present: u128) -> Option<Layout> {
    let placeholders: Vec<Json> = (0..specs.len()).map(|i| Json::String(format!("{MARK}{i}{MARK}"))).collect();
    let roles = Json::String(format!("{MARK}r{MARK}"));
    let tree =
        tree_of(specs, |i| (present >> i & 1 == 1).then(|| Cow::Borrowed(&placeholders[i])), Cow::Borrowed(&roles));
    let text = serde_json::to_vec(&tree).ok()?;
    let mut pieces = Vec::new();
    let mut seen = 0u128;
    let mut roles_seen = false;
    let mut rest = text.as_slice();
    while let Some(at) = find(rest, OPEN) {
        let after = &rest[at + OPEN.len()..];
        let end = find(after, CLOSE)?;
        let piece = match std::str::from_utf8(&after[..end]).ok()? {
            "r" if !roles_seen => {
                roles_seen = true;
                Piece::Roles
            }
            n => {
                let i: usize = n.parse().ok().filter(|i| *i < specs.len())?;
                // A value written twice, or one not sent, is not a layout's.
                if present >> i & 1 == 0 || seen >> i & 1 == 1 {
                    return None;
                }
                seen |= 1 << i;
                Piece::Value(i)
            }
        };
        if at > 0 {
            pieces.push(Piece::Text(rest[..at].into()));
        }
        pieces.push(piece);
        rest = &after[end + CLOSE.len()..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Text(rest.into()));
    }
    let text_len = pieces.iter().map(|p| if let Piece::Text(t) = p { t.len() } else { 0 }).sum();
    roles_seen.then_some(Layout { pieces, text_len })
}

/// Where `needle` first occurs in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::super::{create_body, post_tree, sent_value};
    use super::*;
    use crate::engine::dialect::Dialect;
    use crate::engine::roles::RoleFunction;
    use crate::fidelity::{Fidelity, Override};
    use proptest::prelude::*;
    use serde_json::json;

    /// Targets of varied shapes: core, sub-attributes, value-filtered elements (work ones get
    /// `primary`), the enterprise and a custom extension, `active`, the manager and a role.
    const TARGETS: &[&str] = &[
        "userName",
        "active",
        "displayName",
        "name.givenName",
        "name.familyName",
        "name",
        "emails[type eq \"work\"].value",
        "emails[type eq \"other\"].value",
        "emails[primary eq true].display",
        "addresses[type eq \"work\"].locality",
        "addresses[type eq \"work\"].postalCode",
        "phoneNumbers[type eq \"mobile\"].value",
        "phoneNumbers",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.displayName",
        "urn:ietf:params:scim:schemas:extension:custom:2.0:User:badge",
        "urn:ietf:params:scim:schemas:extension:custom:2.0:User:tags",
        "roles[primary eq \"True\"].value",
        "emails[type eq \"work\"].type",
        "meta",
    ];

    fn values() -> impl Strategy<Value = Json> {
        prop_oneof![
            4 => "[a-zA-Z0-9 @.\"\\\\/é\u{1}\u{7f}-]{0,12}".prop_map(Json::String),
            1 => Just(json!("True")),
            1 => Just(json!("false")),
            1 => Just(json!("")),
            2 => Just(json!(null)),
            1 => Just(json!(true)),
            1 => Just(json!(42)),
            1 => Just(json!(-1.5)),
            1 => Just(json!(["a", "b"])),
            1 => Just(json!([])),
            1 => Just(json!({"value": "v", "type": "work"})),
        ]
    }

    /// Values a layout holds: scalars, and nulls (nothing sent, or the default).
    fn scalars() -> impl Strategy<Value = Json> {
        prop_oneof![
            4 => "[a-zA-Z0-9 @.\"\\\\/é\u{1}\u{7f}-]{0,12}".prop_map(Json::String),
            1 => Just(json!("TRUE")),
            2 => Just(json!(null)),
            1 => Just(json!(false)),
            1 => Just(json!(7)),
        ]
    }

    fn spec(target: &str, default: Option<String>) -> AttrSpec {
        let roles = target.starts_with("roles").then(|| RoleFunction::of(target, None)).flatten();
        AttrSpec { default, roles, ..AttrSpec::for_target(target) }
    }

    fn evaluated(attrs: Vec<(usize, Option<String>, Json)>) -> Evaluated {
        let (specs, values): (Vec<AttrSpec>, Vec<Json>) =
            attrs.into_iter().map(|(t, default, value)| (spec(TARGETS[t], default), value)).unzip();
        Evaluated { specs: specs.into(), values, errors: Vec::new(), assigned: Vec::new() }
    }

    proptest::proptest! {
        #[test]
        fn written_bodies_are_the_trees_bytes(
            attrs in proptest::collection::vec(
                (0..TARGETS.len(), proptest::option::of("[a-z]{0,3}"), values()), 0..14),
            compliant: bool,
            string_active: bool,
        ) {
            let eval = evaluated(attrs);
            let dialect = if compliant { Dialect::Compliant } else { Dialect::Legacy };
            let switch = Override::new("post_active_as_string", if string_active { "true" } else { "false" });
            let fidelity = Fidelity::default().with(&[switch.expect("switch")]);
            let expected = serde_json::to_vec(&post_tree(dialect, &eval, &fidelity)).expect("serializes");
            let lean = create_body(dialect, &eval, &fidelity, false);
            prop_assert_eq!(String::from_utf8_lossy(lean.bytes()), String::from_utf8_lossy(&expected));
            let full = create_body(dialect, &eval, &fidelity, true);
            prop_assert_eq!(full.bytes(), &expected[..]);
        }
    }

    proptest::proptest! {
        #[test]
        fn bodies_of_scalar_values_are_written_into_their_layout(
            attrs in proptest::collection::vec((0..19usize, proptest::option::of("[a-z]{0,3}"), scalars()), 0..14),
            string_active: bool,
        ) {
            let eval = evaluated(attrs);
            let written = write(&eval, |spec, value| sent_value(spec, value, string_active));
            let written = written.expect("every value is a scalar and no mapping changes the shape");
            let switch = Override::new("post_active_as_string", if string_active { "true" } else { "false" });
            let fidelity = Fidelity::default().with(&[switch.expect("switch")]);
            let expected = serde_json::to_vec(&post_tree(Dialect::Legacy, &eval, &fidelity)).expect("serializes");
            prop_assert_eq!(String::from_utf8_lossy(&written), String::from_utf8_lossy(&expected));
        }
    }

    #[test]
    fn an_entra_like_mapping_is_written_into_its_layout_every_time() {
        // Every user of the bundled mapping has some subset of these, all strings.
        let targets = [0, 1, 2, 3, 4, 6, 9, 10, 11, 13, 14, 16];
        for round in 0..40u32 {
            let attrs = targets
                .iter()
                .enumerate()
                .map(|(n, t)| (*t, None, if round >> (n % 5) & 1 == 1 { json!(null) } else { json!(format!("v{n}")) }))
                .collect();
            let eval = evaluated(attrs);
            let written = write(&eval, |spec, value| sent_value(spec, value, false)).expect("laid out");
            let expected =
                serde_json::to_vec(&post_tree(Dialect::Compliant, &eval, &Fidelity::default())).expect("json");
            assert_eq!(String::from_utf8_lossy(&written), String::from_utf8_lossy(&expected));
        }
    }

    #[test]
    fn a_mapping_that_writes_a_filtered_attribute_is_not_laid_out() {
        let shapes = |targets: &[usize]| eligible(&targets.iter().map(|t| spec(TARGETS[*t], None)).collect::<Vec<_>>());
        assert!(shapes(&[0, 6, 7, 8, 13, 16]));
        assert!(!shapes(&[6, 19]), "emails[type eq work].type writes what a filter selects on");
        assert!(!shapes(&[0, 20]), "meta is the body's own");
    }
}
