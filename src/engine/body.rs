//! Resource bodies built from mapped target paths without a JSON map: an ordered tree that borrows its
//! names from the mapping's parsed paths and its values from the evaluation, and serializes straight to
//! bytes (or becomes JSON for a transcript). It places values exactly as [`resource::set`] does, which the
//! tests check against it. A cycle at scale builds one create body per user, and with a JSON map most of
//! that work was hashing, copying names and copying values.
//!
//! [`resource::set`]: crate::engine::resource::set

use std::borrow::Cow;

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::Value as Json;

use crate::engine::resource::TargetPath;

/// An object: members in insertion order.
#[derive(Debug, Default)]
pub struct Tree<'a> {
    members: Vec<(Cow<'a, str>, Node<'a>)>,
}

#[derive(Debug)]
enum Node<'a> {
    Leaf(Cow<'a, Json>),
    Object(Tree<'a>),
    Array(Vec<Node<'a>>),
}

impl<'a> Tree<'a> {
    /// An empty object with room for `n` members.
    pub fn with_capacity(n: usize) -> Self {
        Tree { members: Vec::with_capacity(n) }
    }

    /// Sets member `name`: in place when it is present (its position kept, as a JSON map's insert does),
    /// otherwise at the end.
    pub fn insert(&mut self, name: Cow<'a, str>, value: Cow<'a, Json>) {
        self.put(name, Node::Leaf(value));
    }

    /// True when member `name` is present and `null`.
    pub fn is_null(&self, name: &str) -> bool {
        self.members.iter().any(|(k, v)| k == name && matches!(v, Node::Leaf(j) if j.is_null()))
    }

    /// Sets `path` to `value` the way [`crate::engine::resource::set`] does: containers and filtered
    /// elements are made as needed (work emails and addresses carry `primary: true`).
    pub fn set(&mut self, path: &'a TargetPath, value: Cow<'a, Json>) {
        let container = match &path.urn {
            Some(urn) => self.object(urn),
            None => self,
        };
        match (&path.filter, &path.sub) {
            (None, None) => container.insert(Cow::Borrowed(&path.attr), value),
            (None, Some(sub)) => container.object(&path.attr).insert(Cow::Borrowed(sub), value),
            (Some((filter_attr, filter_value)), sub) => {
                let items = container.array(&path.attr);
                let position = items.iter().position(|e| filter_matches(e, filter_attr, filter_value));
                let index = position.unwrap_or_else(|| {
                    let mut element = Tree::with_capacity(3);
                    let primary = filter_attr == "type"
                        && filter_value == "work"
                        && (path.attr.eq_ignore_ascii_case("emails") || path.attr.eq_ignore_ascii_case("addresses"));
                    if primary {
                        element.insert(Cow::Borrowed("primary"), Cow::Owned(Json::Bool(true)));
                    }
                    let filter_json = if filter_attr == "primary" {
                        Json::Bool(filter_value.eq_ignore_ascii_case("true"))
                    } else {
                        Json::String(filter_value.clone())
                    };
                    element.insert(Cow::Borrowed(filter_attr), Cow::Owned(filter_json));
                    items.push(Node::Object(element));
                    items.len() - 1
                });
                if let Some(element) = items.get_mut(index).and_then(Node::as_object) {
                    element.insert(Cow::Borrowed(sub.as_deref().unwrap_or("value")), value);
                }
            }
        }
    }

    /// The body as JSON.
    pub fn to_json(&self) -> Json {
        serde_json::to_value(self).unwrap_or_default()
    }

    fn put(&mut self, name: Cow<'a, str>, node: Node<'a>) {
        match self.members.iter_mut().find(|(k, _)| *k == name) {
            Some((_, slot)) => *slot = node,
            None => self.members.push((name, node)),
        }
    }

    /// Member `name` as an object, made (or replacing a value that is not one) when needed.
    fn object(&mut self, name: &'a str) -> &mut Tree<'a> {
        let i = self.slot(name, |n| n.as_object().is_some(), || Node::Object(Tree::default()));
        match &mut self.members[i].1 {
            Node::Object(tree) => tree,
            other => {
                *other = Node::Object(Tree::default());
                other.as_object().expect("invariant: the slot was just made an object")
            }
        }
    }

    /// Member `name` as an array, made (or replacing a value that is not one) when needed.
    fn array(&mut self, name: &'a str) -> &mut Vec<Node<'a>> {
        let i = self.slot(name, |n| n.as_array().is_some(), || Node::Array(Vec::new()));
        let slot = &mut self.members[i].1;
        if slot.as_array().is_none() {
            *slot = Node::Array(Vec::new());
        }
        slot.as_array().expect("invariant: the slot was just made an array")
    }

    /// The position of member `name`, inserted with `make()` when absent or when `fits` refuses it.
    fn slot(&mut self, name: &'a str, fits: impl Fn(&mut Node<'a>) -> bool, make: impl Fn() -> Node<'a>) -> usize {
        match self.members.iter().position(|(k, _)| k == name) {
            Some(i) => {
                if !fits(&mut self.members[i].1) {
                    self.members[i].1 = make();
                }
                i
            }
            None => {
                self.members.push((Cow::Borrowed(name), make()));
                self.members.len() - 1
            }
        }
    }

    /// Member `name`, exact spelling first, then case-insensitively.
    fn get_ci(&self, name: &str) -> Option<&Node<'a>> {
        let exact = self.members.iter().find(|(k, _)| k == name);
        exact.or_else(|| self.members.iter().find(|(k, _)| k.eq_ignore_ascii_case(name))).map(|(_, v)| v)
    }
}

impl<'a> Node<'a> {
    /// The node as an object; a JSON object leaf is opened up into members first.
    fn as_object(&mut self) -> Option<&mut Tree<'a>> {
        if let Node::Leaf(json) = self {
            if json.is_object() {
                let members = match std::mem::take(json) {
                    Cow::Borrowed(Json::Object(map)) => {
                        map.iter().map(|(k, v)| (Cow::Borrowed(k.as_str()), Node::Leaf(Cow::Borrowed(v)))).collect()
                    }
                    Cow::Owned(Json::Object(map)) => {
                        map.into_iter().map(|(k, v)| (Cow::Owned(k), Node::Leaf(Cow::Owned(v)))).collect()
                    }
                    _ => Vec::new(),
                };
                *self = Node::Object(Tree { members });
            }
        }
        match self {
            Node::Object(tree) => Some(tree),
            _ => None,
        }
    }

    /// The node as an array; a JSON array leaf is opened up into elements first.
    fn as_array(&mut self) -> Option<&mut Vec<Node<'a>>> {
        if let Node::Leaf(json) = self {
            if json.is_array() {
                let items = match std::mem::take(json) {
                    Cow::Borrowed(Json::Array(items)) => items.iter().map(|v| Node::Leaf(Cow::Borrowed(v))).collect(),
                    Cow::Owned(Json::Array(items)) => items.into_iter().map(|v| Node::Leaf(Cow::Owned(v))).collect(),
                    _ => Vec::new(),
                };
                *self = Node::Array(items);
            }
        }
        match self {
            Node::Array(items) => Some(items),
            _ => None,
        }
    }
}

/// Whether an element of a multi-valued attribute matches a value filter (`type eq "work"`): the
/// sub-attribute (any case) holds exactly the value; booleans compare with `true`/`false` in any case.
fn filter_matches(element: &Node<'_>, attr: &str, value: &str) -> bool {
    let found = match element {
        Node::Object(tree) => tree.get_ci(attr),
        Node::Leaf(json) => {
            let Some(obj) = json.as_object() else { return false };
            let exact = obj.get(attr);
            let found = exact.or_else(|| obj.iter().find(|(k, _)| k.eq_ignore_ascii_case(attr)).map(|(_, v)| v));
            return leaf_matches(found, value);
        }
        Node::Array(_) => None,
    };
    match found {
        Some(Node::Leaf(json)) => leaf_matches(Some(json), value),
        _ => false,
    }
}

fn leaf_matches(found: Option<&Json>, value: &str) -> bool {
    match found {
        Some(Json::String(s)) => s == value,
        Some(Json::Bool(b)) => value.eq_ignore_ascii_case(if *b { "true" } else { "false" }),
        _ => false,
    }
}

impl Serialize for Tree<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.members.len()))?;
        for (name, node) in &self.members {
            map.serialize_entry(name.as_ref(), node)?;
        }
        map.end()
    }
}

impl Serialize for Node<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Node::Leaf(json) => json.serialize(serializer),
            Node::Object(tree) => tree.serialize(serializer),
            Node::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::resource;
    use proptest::prelude::*;
    use serde_json::{json, Map};

    const PATHS: &[&str] = &[
        "userName",
        "active",
        "name.givenName",
        "name.familyName",
        "name",
        "emails[type eq \"work\"].value",
        "emails[type eq \"other\"].value",
        "emails",
        "addresses[type eq \"work\"].locality",
        "addresses[type eq \"work\"].region",
        "phoneNumbers[type eq \"mobile\"].value",
        "phoneNumbers[primary eq true].value",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
        "roles",
    ];

    fn values() -> impl Strategy<Value = Json> {
        prop_oneof![
            Just(json!("x")),
            Just(json!("work")),
            Just(json!(true)),
            Just(json!(null)),
            Just(json!([{"type": "work", "value": "a"}, {"TYPE": "other"}, 3])),
            Just(json!({"givenName": "G", "department": "D"})),
            Just(json!([])),
        ]
    }

    proptest::proptest! {
        #[test]
        fn places_values_exactly_as_a_json_map_would(
            steps in proptest::collection::vec((0..PATHS.len(), values()), 0..12)
        ) {
            let paths: Vec<TargetPath> = PATHS.iter().map(|p| TargetPath::parse(p).expect("valid path")).collect();
            let mut expected = Map::new();
            let mut tree = Tree::default();
            for (i, value) in &steps {
                resource::set(&mut expected, &paths[*i], value.clone());
                tree.set(&paths[*i], Cow::Borrowed(value));
            }
            let expected = Json::Object(expected);
            prop_assert_eq!(tree.to_json(), expected.clone());
            prop_assert_eq!(serde_json::to_vec(&tree).unwrap(), serde_json::to_vec(&expected).unwrap());
        }
    }

    #[test]
    fn insert_keeps_the_position_of_a_member_already_there() {
        let mut tree = Tree::default();
        tree.insert(Cow::Borrowed("schemas"), Cow::Owned(Json::Null));
        tree.insert(Cow::Borrowed("userName"), Cow::Owned(json!("a")));
        assert!(tree.is_null("schemas"));
        tree.insert(Cow::Borrowed("schemas"), Cow::Owned(json!(["s"])));
        assert_eq!(serde_json::to_string(&tree).unwrap(), r#"{"schemas":["s"],"userName":"a"}"#);
    }
}
