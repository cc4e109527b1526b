//! `GET /users/delta` and `GET /groups/delta`: Graph's change tracking over the directory's change log, for
//! apps that keep a copy of the directory in step.
//!
//! A round without a token lists every object (users not in the recycle bin, groups not deleted); a round
//! with `$deltatoken` lists the objects changed since the round that issued it: present ones in full, users
//! moved to the recycle bin as `@removed: {reason: changed}` and permanently deleted objects as
//! `@removed: {reason: deleted}`. A group carries `members@delta` (unless `$select` leaves `members` out):
//! every direct member in a full round, and in a later round the members added since the token and, marked
//! `@removed`, those removed. Pages follow the objects' creation order by position, so an object added or
//! deleted while a client pages shifts nothing; the last page of a round carries the `@odata.deltaLink`
//! whose token is the change log's position when the round began, so whatever changes meanwhile comes again
//! in the next round (Graph, too, may report an object twice). A token from before the directory's baseline
//! lists everything again, as Graph does when a token expired.

use axum::extract::State;
use axum::response::{IntoResponse, Response};

use serde_json::{json, Value as Json};

use super::error::GraphError;
use super::odata::{Ctx, DeltaItem, DeltaLink, EntityType};
use super::routes::Graph;
use super::shape::{self, GROUP, USER};
use crate::directory::{ChangeKind, Directory, GroupId, ObjectRef, UserId, Watermark};

/// Where a round stands: the change log position it reports changes after (`None`: everything), the
/// position it will hand out as the next round's token, and the last user position already sent.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Round {
    since: Option<Watermark>,
    until: Watermark,
    after: Option<u32>,
}

impl Round {
    fn skiptoken(&self, after: u32) -> String {
        let since = self.since.map_or_else(|| "all".to_string(), |w| w.0.to_string());
        format!("{since}.{}.{after}", self.until.0)
    }

    fn parse_skiptoken(token: &str) -> Option<Round> {
        let mut parts = token.split('.');
        let since = match parts.next()? {
            "all" => None,
            w => Some(Watermark(w.parse().ok()?)),
        };
        let until = Watermark(parts.next()?.parse().ok()?);
        let after = Some(parts.next()?.parse().ok()?);
        parts.next().is_none().then_some(Round { since, until, after })
    }

    /// The round a request asks for: the one its `$skiptoken` carries on, the one after its `$deltatoken`,
    /// or a first round.
    fn of(ctx: &Ctx, dir: &Directory) -> Result<Round, GraphError> {
        Ok(if let Some(token) = ctx.param("$skiptoken") {
            Round::parse_skiptoken(token).ok_or_else(|| not_issued("$skiptoken", token))?
        } else if let Some(token) = ctx.param("$deltatoken") {
            let since = token.parse().map(Watermark).map_err(|_| not_issued("$deltatoken", token))?;
            if since > dir.watermark() {
                return Err(not_issued("$deltatoken", token));
            }
            Round { since: Some(since), until: dir.watermark(), after: None }
        } else {
            Round { since: None, until: dir.watermark(), after: None }
        })
    }

    /// This page's share of `candidates` (positions in creation order) and the link that follows it.
    fn page(&self, ctx: &Ctx, candidates: Vec<u32>) -> (Vec<u32>, DeltaLink) {
        let mut rest = candidates.into_iter().filter(|&at| self.after.is_none_or(|after| at > after));
        let chosen: Vec<u32> = rest.by_ref().take(ctx.delta_page_size()).collect();
        let link = match (chosen.last(), rest.next()) {
            (Some(&last), Some(_)) => DeltaLink::Next(self.skiptoken(last)),
            _ => DeltaLink::Delta(self.until.0.to_string()),
        };
        (chosen, link)
    }
}

/// `GET /users/delta`.
pub async fn users(State(g): State<Graph>, ctx: Ctx) -> Result<Response, GraphError> {
    let answer = {
        let dir = g.read();
        let round = Round::of(&ctx, &dir)?;
        let candidates: Vec<UserId> = match round.since {
            None => dir.users().filter(|(_, u)| !u.is_soft_deleted()).map(|(id, _)| id).collect(),
            Some(since) => dir.changed_since(since).users,
        };
        let (chosen, link) = round.page(&ctx, candidates.into_iter().map(|id| id.0).collect());
        let items = chosen
            .into_iter()
            .map(UserId)
            .filter_map(|id| {
                let user = dir.user(id)?;
                let id_text = user.object_id().to_string();
                Some(if user.is_hard_deleted() {
                    DeltaItem::Removed { id: id_text, reason: "deleted" }
                } else if user.is_soft_deleted() {
                    DeltaItem::Removed { id: id_text, reason: "changed" }
                } else {
                    DeltaItem::Present(shape::user(&dir, id))
                })
            })
            .collect();
        ctx.delta_page("users", &USER, items, link)?
    };
    Ok(axum::Json(answer).into_response())
}

/// `GET /groups/delta`.
pub async fn groups(State(g): State<Graph>, ctx: Ctx) -> Result<Response, GraphError> {
    let answer = {
        let dir = g.read();
        let round = Round::of(&ctx, &dir)?;
        let candidates: Vec<GroupId> = match round.since {
            None => dir.groups().map(|(id, _)| id).collect(),
            Some(since) => dir.changed_since(since).groups,
        };
        let with_members = ctx.selects("members");
        let (chosen, link) = round.page(&ctx, candidates.into_iter().map(|id| id.0).collect());
        let items = chosen
            .into_iter()
            .map(GroupId)
            .filter_map(|id| {
                let group = dir.group(id)?;
                if group.is_deleted() {
                    return Some(DeltaItem::Removed { id: group.object_id().to_string(), reason: "deleted" });
                }
                let members = with_members.then(|| match round.since {
                    None => group_members(&dir, id),
                    Some(since) => member_changes(&dir, id, since),
                });
                Some(DeltaItem::Annotated(shape::group(&dir, id), members.map(|m| ("members@delta", m))))
            })
            .collect();
        ctx.delta_page("groups", &GROUP_DELTA, items, link)?
    };
    Ok(axum::Json(answer).into_response())
}

/// A group as its delta lists it: the group's properties and `members`, which only a delta query selects.
static GROUP_DELTA: EntityType = EntityType {
    name: GROUP.name,
    properties: shape::group_properties!("members"),
    defaults: GROUP.defaults,
    expandable: GROUP.expandable,
};

/// A member as `members@delta` names it: its type and id, and `@removed` when it left the group.
fn member_entry(dir: &Directory, member: ObjectRef, removed: bool) -> Option<Json> {
    let (type_name, id) = match member {
        ObjectRef::User(id) => ("#microsoft.graph.user", dir.user(id)?.object_id()),
        ObjectRef::Group(id) => ("#microsoft.graph.group", dir.group(id)?.object_id()),
    };
    let mut entry = json!({"@odata.type": type_name, "id": id.to_string()});
    if removed {
        entry["@removed"] = json!({"reason": "deleted"});
    }
    Some(entry)
}

/// Every direct member of a group (users not in the recycle bin, then nested groups), as a first round
/// lists them.
fn group_members(dir: &Directory, id: GroupId) -> Json {
    let Some(group) = dir.group(id) else { return json!([]) };
    let users = group
        .members()
        .filter(|&u| dir.user(u).is_some_and(|u| !u.is_hard_deleted() && !u.is_soft_deleted()))
        .map(ObjectRef::User);
    let nested = group.nested_groups().map(ObjectRef::Group);
    Json::Array(users.chain(nested).filter_map(|m| member_entry(dir, m, false)).collect())
}

/// The members a group gained or lost since `since`, each once, as it stands now: a member now in the
/// group is listed, one no longer in it is listed with `@removed`.
fn member_changes(dir: &Directory, id: GroupId, since: Watermark) -> Json {
    let mut touched: Vec<ObjectRef> = Vec::new();
    for change in dir.changes_since(since).iter().filter(|c| c.object == ObjectRef::Group(id)) {
        if let ChangeKind::MemberAdded(member) | ChangeKind::MemberRemoved(member) = change.kind {
            if !touched.contains(&member) {
                touched.push(member);
            }
        }
    }
    let Some(group) = dir.group(id) else { return json!([]) };
    let entries = touched.into_iter().filter_map(|member| {
        let present = match member {
            ObjectRef::User(u) => group.members().any(|m| m == u),
            ObjectRef::Group(n) => group.nested_groups().any(|m| m == n),
        };
        member_entry(dir, member, !present)
    });
    Json::Array(entries.collect())
}

fn not_issued(name: &str, token: &str) -> GraphError {
    GraphError::bad_request(format!("the {name} `{token}` was not issued by this server"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skiptokens_carry_the_round() {
        let round = Round { since: Some(Watermark(7)), until: Watermark(12), after: None };
        let token = round.skiptoken(41);
        assert_eq!(Round::parse_skiptoken(&token), Some(Round { after: Some(41), ..round }));
        let first = Round { since: None, until: Watermark(3), after: None };
        assert_eq!(Round::parse_skiptoken(&first.skiptoken(0)), Some(Round { after: Some(0), ..first }));
        for bad in ["", "x.1.2", "1.2", "1.2.3.4", "all.-1.2"] {
            assert_eq!(Round::parse_skiptoken(bad), None, "{bad}");
        }
    }
}
