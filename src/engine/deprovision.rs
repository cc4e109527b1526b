//! Deprovisioning a linked user (ENTRA.md 1.5, 1.6, 4.5): disable with a PATCH of `active` only, or
//! delete when the mapping has no `active` (or the user is gone from the source).

use serde_json::json;

use crate::engine::action::{describe_failure, failure_code, Sent};
use crate::engine::dialect;
use crate::engine::log::CycleLog;
use crate::engine::result::{ErrorCode, Finding, FindingKind, LogAction, ModifiedProperty, ObjectKind, RequestRef};
use crate::engine::source::Mapper;
use crate::engine::state::Engine;
use crate::engine::users::{evaluate, user_ref};
use crate::mapping::SourceObject;
use crate::scim::client::{Method, Request};

impl Engine {
    /// Disables (PATCH `active` only) or deletes a linked user; `unmanage` drops the link afterwards
    /// (unassigned / out of scope: Entra stops managing the user).
    pub async fn deprovision_user(
        &mut self,
        object_id: &str,
        mapper: &dyn Mapper,
        attrs: Option<&SourceObject>,
        unmanage: bool,
        log: &mut CycleLog,
    ) {
        let Some(entry) = self.cds.users.get(object_id).cloned() else { return };
        let obj = user_ref(&entry.alias, object_id, Some(&entry.target_id));
        let specs = mapper.specs(ObjectKind::User);
        let has_active = specs.iter().any(|s| s.target.eq_ignore_ascii_case("active"));
        let actions = mapper.actions(ObjectKind::User);
        let (request, action, modified) = match (attrs, has_active) {
            (Some(attrs), true) => {
                if !actions.update {
                    log.skip(
                        &obj,
                        ErrorCode::EntrySynchronizationSkipped,
                        "disable pending but the Update action is off",
                    );
                    return;
                }
                let eval = evaluate(mapper, ObjectKind::User, attrs, true, self.next_evaluation());
                let mapped = eval.value_of("active").cloned().filter(|v| !v.is_null()).unwrap_or(json!("False"));
                let body = dialect::patch_body(dialect::active_ops(self.dialect, &mapped));
                let modified = vec![ModifiedProperty {
                    name: "active".into(),
                    old: None,
                    new: Some(dialect::active_value(self.dialect, &mapped)),
                }];
                (
                    Request::new(Method::Patch, format!("/Users/{}", entry.target_id)).body(body),
                    LogAction::Disable,
                    modified,
                )
            }
            _ => {
                if !actions.delete {
                    log.skip(
                        &obj,
                        ErrorCode::EntrySynchronizationSkipped,
                        "delete pending but the Delete action is off",
                    );
                    if attrs.is_none() {
                        // Gone from the source: nothing will ever flow again, so the link is dropped.
                        self.cds.users.remove(object_id);
                    }
                    return;
                }
                (Request::new(Method::Delete, format!("/Users/{}", entry.target_id)), LogAction::Delete, Vec::new())
            }
        };
        let sent = self.actor.send(request).await;
        let requests = vec![RequestRef::of(sent.exchange())];
        match &sent {
            Sent::Answer(e) if e.is_success() => {
                if action == LogAction::Delete || unmanage {
                    self.cds.users.remove(object_id);
                } else if let Some(entry) = self.cds.users.get_mut(object_id) {
                    entry.disabled = true;
                }
                let why = if action == LogAction::Delete { "deleted" } else { "disabled" };
                log.success(&obj, action, why, modified, requests);
            }
            _ => {
                let f = Finding::error(FindingKind::ObjectFailure, describe_failure(&sent))
                    .with_code(failure_code(&sent))
                    .with_request(sent.exchange());
                log.fail_with(&obj, &requests, f, modified);
            }
        }
    }
}
