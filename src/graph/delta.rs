//! `GET /users/delta`: Graph's change tracking over the directory's change log, for apps that keep a copy
//! of the directory in step.
//!
//! A round without a token lists every user (not in the recycle bin); a round with `$deltatoken` lists the
//! users changed since the round that issued it: present ones in full, ones moved to the recycle bin as
//! `@removed: {reason: changed}` and permanently deleted ones as `@removed: {reason: deleted}`. Pages follow
//! the user's creation order by position, so a user added or deleted while a client pages shifts nothing;
//! the last page of a round carries the `@odata.deltaLink` whose token is the change log's position when the
//! round began, so whatever changes meanwhile comes again in the next round (Graph, too, may report an
//! object twice). A token from before the directory's baseline lists every user again, as Graph does when a
//! token expired.

use axum::extract::State;
use axum::response::{IntoResponse, Response};

use super::error::GraphError;
use super::odata::{Ctx, DeltaItem, DeltaLink};
use super::routes::Graph;
use super::shape::{self, USER};
use crate::directory::{UserId, Watermark};

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
}

/// `GET /users/delta`.
pub async fn users(State(g): State<Graph>, ctx: Ctx) -> Result<Response, GraphError> {
    let answer = {
        let dir = g.read();
        let round = if let Some(token) = ctx.param("$skiptoken") {
            Round::parse_skiptoken(token).ok_or_else(|| not_issued("$skiptoken", token))?
        } else if let Some(token) = ctx.param("$deltatoken") {
            let since = token.parse().map(Watermark).map_err(|_| not_issued("$deltatoken", token))?;
            if since > dir.watermark() {
                return Err(not_issued("$deltatoken", token));
            }
            Round { since: Some(since), until: dir.watermark(), after: None }
        } else {
            Round { since: None, until: dir.watermark(), after: None }
        };
        let candidates: Vec<UserId> = match round.since {
            None => dir.users().filter(|(_, u)| !u.is_soft_deleted()).map(|(id, _)| id).collect(),
            Some(since) => dir.changed_since(since).users,
        };
        let page = ctx.delta_page_size();
        let mut rest = candidates.into_iter().filter(|id| round.after.is_none_or(|after| id.0 > after));
        let chosen: Vec<UserId> = rest.by_ref().take(page).collect();
        let link = match (chosen.last(), rest.next()) {
            (Some(last), Some(_)) => DeltaLink::Next(round.skiptoken(last.0)),
            _ => DeltaLink::Delta(round.until.0.to_string()),
        };
        let items = chosen
            .into_iter()
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
