//! What the tenant records of a log entry's source object when the entry is logged ([`SourceFacts`]): the
//! attributes the cycle imported and the parts of the scope verdict (active, assigned, every scoping-filter
//! clause), read from the same copy of the directory the cycle evaluated, so an entry still shows what the
//! cycle saw after the object changes or leaves the directory.

use crate::directory::{Directory, ObjectId, ObjectRef as DirRef};
use crate::engine::mapper::SetMapper;
use crate::engine::result::ObjectRef;
use crate::graph::SourceFacts;
use crate::mapping::SourceObject;

/// The facts of `object` in `dir`, or `None` when the directory does not hold it or holds only its tombstone
/// (deleted from the source).
pub fn source_facts(dir: &Directory, mapper: &SetMapper, sync_all: bool, object: &ObjectRef) -> Option<SourceFacts> {
    let found = ObjectId::parse(&object.source_id).and_then(|oid| dir.by_object_id(oid))?;
    let (attributes, active, assigned) = match found {
        DirRef::User(id) => {
            let user = dir.user(id).filter(|u| !u.is_hard_deleted())?;
            let active = user.account_enabled() && !user.is_soft_deleted();
            (dir.source_object(id), Some(active), dir.is_assigned(id))
        }
        DirRef::Group(id) => {
            let group = dir.group(id).filter(|g| !g.is_deleted())?;
            (dir.group_source_object(id), None, group.is_assigned())
        }
    };
    let verdict = mapper.scope_verdict(object.kind, &attributes);
    let clauses = verdict
        .iter()
        .flat_map(|v| &v.clauses)
        .map(|c| {
            let text = if c.value.is_empty() {
                format!("{}.{} {}", c.title, c.attribute, c.operator)
            } else {
                format!("{}.{} {} '{}'", c.title, c.attribute, c.operator, c.value)
            };
            (text, c.passed)
        })
        .collect();
    Some(SourceFacts {
        attributes: as_text(&attributes),
        active,
        assigned,
        sync_all,
        clauses,
        filters_passed: verdict.is_none_or(|v| v.in_scope),
    })
}

/// Attribute values as a log's details show them: text as it is, anything else as JSON.
fn as_text(attributes: &SourceObject) -> Vec<(String, String)> {
    attributes.iter().map(|(k, v)| (k.to_string(), v.to_text().unwrap_or_else(|| v.to_json().to_string()))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::NewUser;
    use crate::engine::result::ObjectKind;
    use crate::mapping::{ScopeOperator, ScopingClause, ScopingFilter, Value};

    fn mapper() -> SetMapper {
        let mut set = crate::mapping::load("entra-default", std::path::Path::new(".")).expect("bundled").set;
        set.users.scope.filters.push(ScopingFilter {
            title: "Engineers".into(),
            clauses: vec![ScopingClause {
                attribute: "department".into(),
                operator: ScopeOperator::parse("EQUALS").expect("an operator"),
                value: "Engineering".into(),
            }],
        });
        SetMapper::new(set, 1)
    }

    fn user_ref(dir: &Directory, alias: &str) -> ObjectRef {
        let DirRef::User(id) = dir.lookup(alias).expect("a user") else { panic!("{alias} is a user") };
        ObjectRef {
            kind: ObjectKind::User,
            alias: alias.into(),
            source_id: dir.user(id).expect("present").object_id().to_string(),
            target_id: None,
        }
    }

    #[test]
    fn facts_name_each_part_of_the_scope_verdict_as_entra_writes_them() {
        let mut dir = Directory::default();
        for (alias, department, assigned) in [("ann", "Engineering", true), ("bo", "Sales", false)] {
            let mut user = NewUser::new(alias);
            user.attrs.set("department", Value::from(department));
            user.assigned = assigned;
            dir.add_user(user).unwrap();
        }
        let mapper = mapper();

        let ann = source_facts(&dir, &mapper, false, &user_ref(&dir, "ann")).expect("in the directory");
        assert_eq!(ann.clauses, [("Engineers.department EQUALS 'Engineering'".to_string(), true)]);
        assert!(ann.in_scope() && ann.assigned && ann.active == Some(true));
        assert!(ann.attributes.iter().any(|(k, v)| k == "department" && v == "Engineering"), "{:?}", ann.attributes);

        let bo = source_facts(&dir, &mapper, false, &user_ref(&dir, "bo")).expect("in the directory");
        assert!(!bo.assigned && !bo.filters_passed && !bo.in_scope());
        assert!(source_facts(&dir, &mapper, true, &user_ref(&dir, "bo")).is_some_and(|f| !f.in_scope()), "filters");

        let gone = ObjectRef { source_id: ObjectId::derive("nobody").to_string(), ..user_ref(&dir, "bo") };
        assert_eq!(source_facts(&dir, &mapper, false, &gone), None);
    }
}
