//! The joining (matching) property, as the hosted SCIM Validator lets you choose it (`--match-users`,
//! `--match-groups`): the `connection` probes filter on it, and `users/filter-matching` and
//! `groups/filter-matching` find an object of their own by it. Without the options the probes use the
//! mapping's matching attribute with precedence 1 and the `filter-matching` checks do not run (the
//! `filter-*` checks cover Entra's default matching attributes).

use serde_json::Value as Json;

use super::ctx::{Ctx, Outcome, Stop};
use super::judge::{expect_list, expect_object, expect_one, expect_status};
use crate::engine::dialect::quote;
use crate::mapping::{MappingSet, ObjectMapping, TargetAttr};
use crate::scim::client::{Method, Request};

/// The matching attributes a run uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matching {
    /// For users.
    pub users: String,
    /// For groups.
    pub groups: String,
    /// Whether they were chosen by the user (then the `filter-matching` checks run).
    pub chosen: (bool, bool),
}

impl Matching {
    /// The chosen attributes, else the mapping's matching attributes with precedence 1.
    pub fn new(users: Option<&str>, groups: Option<&str>, mapping: &MappingSet) -> Result<Matching, String> {
        for attr in [users, groups].into_iter().flatten() {
            TargetAttr::parse(attr).map_err(|e| format!("`{attr}` is not a SCIM attribute path: {e}"))?;
        }
        let first = |m: Option<&ObjectMapping>, default: &str| {
            m.and_then(|m| m.matching_attributes().first().map(|a| a.target.to_string()))
                .unwrap_or_else(|| default.to_string())
        };
        Ok(Matching {
            users: users.map_or_else(|| first(Some(&mapping.users), "userName"), str::to_string),
            groups: groups.map_or_else(|| first(mapping.groups.as_ref(), "displayName"), str::to_string),
            chosen: (users.is_some(), groups.is_some()),
        })
    }
}

/// `users/filter-matching` or `groups/filter-matching` (`collection` is `Users` or `Groups`).
pub async fn filter_matching(ctx: &mut Ctx, collection: &'static str, attr: &str) -> Outcome {
    let id =
        if collection == "Users" { ctx.setup_user("matched").await?.0 } else { ctx.setup_group("matched").await?.0 };
    let get = ctx.send(Request::new(Method::Get, format!("/{collection}/{id}")).verification()).await?;
    expect_status(&get, &[200], "get_status", "serve GET by id for every id POST returned")?;
    let resource = expect_object(&get)?.clone();
    let path = TargetAttr::parse(attr).map_err(|e| Stop::Skip(e.to_string()))?;
    let value = match path.lookup(&resource) {
        Some(Json::String(s)) if !s.is_empty() => s.clone(),
        _ => return Err(Stop::Skip(format!("the created object has no string `{attr}` to match on"))),
    };
    let mut request = Request::get_filtered(format!("/{collection}"), format!("{attr} eq {}", quote(&value)));
    if collection == "Groups" {
        request = Request::new(Method::Get, "/Groups")
            .query("excludedAttributes", "members")
            .query("filter", format!("{attr} eq {}", quote(&value)));
    }
    let ex = ctx.send(request).await?;
    expect_list(&ex)?;
    expect_one(&ex, &id, &format!("support `eq` filters on the joining property `{attr}`"))?;
    Ok(format!("{} → 1 result", ex.request_line()))
}
