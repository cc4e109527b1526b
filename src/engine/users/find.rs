//! Finding a user's target object (ENTRA.md 4.1): by the id the connector data store linked it to, or by
//! one filter query per matching attribute in precedence order until one matches.

use serde_json::Value as Json;

use crate::engine::action::{describe_failure, failure_code, list_resources, resource_with_id, single_match, Sent};
use crate::engine::evaluate::Evaluated;
use crate::engine::log::{CycleLog, Failed};
use crate::engine::matching;
use crate::engine::result::{ErrorCode, Finding, FindingKind, ObjectRef, RequestRef};
use crate::engine::source::SourceUser;
use crate::engine::state::Engine;
use crate::fidelity::LinkedLookup;
use crate::scim::client::{Method, Reads, Request};

impl Engine {
    /// Finds the user's target object: by cached id, or by filter queries in precedence order.
    /// `Ok(None)` means no match; `Err(())` means the object failed (already logged).
    pub(super) async fn find_user(
        &self,
        user: &SourceUser,
        eval: &Evaluated,
        log: &mut CycleLog,
        obj: &ObjectRef,
        requests: &mut Vec<RequestRef>,
    ) -> Result<Option<(String, Json)>, Failed> {
        // The `linked_user_lookup` switch: read a linked user by its matching filter instead of its id.
        let by_filter = self.settings.fidelity.linked_user_lookup == LinkedLookup::Filter && eval.has_matching();
        if let Some(target_id) = self.cds.user_target(&user.object_id).map(str::to_string).filter(|_| !by_filter) {
            let sent = self.actor.send(Request::new(Method::Get, format!("/Users/{target_id}"))).await;
            requests.push(RequestRef::of(sent.exchange()));
            return match sent {
                Sent::Answer(mut e) if e.status == Some(200) => match resource_with_id(&e) {
                    Ok((id, _)) => Ok(Some((id, e.take_json()))),
                    Err(f) => Err(log.fail(obj, requests, f)),
                },
                sent => {
                    let code = failure_code(&sent);
                    let msg = if code == ErrorCode::InvalidAnchor {
                        format!(
                            "linked target object {target_id} no longer exists ({} returned 404)",
                            sent.exchange().request_line()
                        )
                    } else {
                        describe_failure(&sent)
                    };
                    Err(log.fail(
                        obj,
                        requests,
                        Finding::error(FindingKind::ObjectFailure, msg).with_code(code).with_request(sent.exchange()),
                    ))
                }
            };
        }
        for (attr, value) in eval.matching() {
            // What the engine reads of a query's answer ([`list_resources`]): the resources and the count.
            const LISTED: Reads = Reads::Members(&["Resources", "totalResults"]);
            let request = Request::get_filtered("/Users", matching::filter(&attr, &value)).reading(LISTED);
            let sent = self.actor.send(request).await;
            requests.push(RequestRef::of(sent.exchange()));
            let Sent::Answer(e) = &sent else {
                let f =
                    Finding::error(FindingKind::ObjectFailure, describe_failure(&sent)).with_code(failure_code(&sent));
                return Err(log.fail(obj, requests, f.with_request(sent.exchange())));
            };
            let hits = match list_resources(e) {
                Ok(hits) => hits,
                Err(f) => return Err(log.fail(obj, requests, f)),
            };
            match single_match(e, hits, "resource", "objects") {
                Ok(None) => continue,
                Ok(found) => return Ok(found),
                Err(f) => return Err(log.fail(obj, requests, f)),
            }
        }
        Ok(None)
    }
}
