//! The checks every write passes before it commits: a unique name (`userName`, a group's `displayName`,
//! case-insensitive) and member references that name existing resources.

use serde_json::Value;

use super::record::Id;
use super::{str_at, Kind, Store};
use crate::scim::model::{self, ScimType};
use crate::server::error::ApiError;

impl Store {
    pub(super) fn check_unique(&self, kind: Kind, doc: &Value, own: Option<u32>) -> Result<(), ApiError> {
        if kind == Kind::Group && self.opts.duplicate_group_names {
            return Ok(());
        }
        let Some(name) = str_at(doc, kind.unique_attr()) else { return Ok(()) };
        self.check_unique_name(kind, name, own)
    }

    /// 409 when another resource (not the one in slot `own`) has unique name `name` in any case.
    pub(super) fn check_unique_name(&self, kind: Kind, name: &str, own: Option<u32>) -> Result<(), ApiError> {
        let lower = name.to_lowercase();
        let table = self.table(kind);
        // The index may list other names with the same hash: compare the candidates' own names.
        let taken = table.by_name.get(&lower).into_iter().filter(|&slot| Some(slot) != own).any(|slot| {
            table.at(slot).is_some_and(|rec| match kind {
                Kind::Group => rec.name.to_lowercase() == lower,
                Kind::User => str_at(&rec.doc(), kind.unique_attr()).is_some_and(|n| n.to_lowercase() == lower),
            })
        });
        if taken {
            return Err(ApiError::conflict(format!(
                "{} `{name}` already exists (`{}` must be unique, case-insensitively)",
                kind.name(),
                kind.unique_attr()
            )));
        }
        Ok(())
    }

    /// Members must reference existing users or groups (an unknown id is a 400 `invalidValue`: silently
    /// dropping it would tell Entra the membership landed when it did not).
    pub(super) fn check_members(&self, kind: Kind, doc: &Value, own: Option<Id>) -> Result<(), ApiError> {
        if kind != Kind::Group {
            return Ok(());
        }
        let Some(members) = doc.as_object().and_then(|o| model::get_ci(o, "members")) else { return Ok(()) };
        let Value::Array(members) = members else {
            return Err(ApiError::bad(ScimType::InvalidValue, "`members` must be an array"));
        };
        for m in members {
            let Some(id) = m.as_object().and_then(|o| model::get_ci(o, "value")).and_then(Value::as_str) else {
                return Err(ApiError::bad(ScimType::InvalidValue, format!("member {m} has no string `value`")));
            };
            let known = Id::parse(id).is_some_and(|mid| {
                // Already a member: known without a lookup in the resource tables.
                own.is_some_and(|g| self.member_of.get(&mid).is_some_and(|groups| groups.contains(&g)))
                    || self.users.by_id.contains_key(&mid)
                    || self.groups.by_id.contains_key(&mid)
            });
            if !known {
                return Err(ApiError::bad(
                    ScimType::InvalidValue,
                    format!("member `{id}` is not the id of an existing User or Group"),
                ));
            }
        }
        Ok(())
    }
}
