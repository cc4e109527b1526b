//! Exporting one user (ENTRA.md 1.2–1.6): evaluate the mapping, find the target object (`find`: cached id, or
//! filter queries in matching precedence), then create, update only the differing attributes, disable,
//! re-enable or delete. Manager references are linked in a second pass with the manager's target id.

mod find;

use serde_json::{json, Value as Json};

use crate::engine::action::{describe_failure, failure_code, incompatible, resource_with_id, Sent};
use crate::engine::cds::UserEntry;
use crate::engine::compact_id::CompactId;
use crate::engine::dialect::{self, OpKind, ENTERPRISE_URN};
use crate::engine::diff::{self, Desired};
pub use crate::engine::evaluate::{evaluate, Evaluated};
use crate::engine::log::{CycleLog, Failed};
use crate::engine::resource::{self, TargetPath};
use crate::engine::result::{
    ErrorCode, Finding, FindingKind, LogAction, ModifiedProperty, ObjectKind, ObjectRef, RequestRef,
};
use crate::engine::roles;
use crate::engine::source::{Mapper, SourceUser};
use crate::engine::state::Engine;
use crate::scim::client::{Body, EncodedBody, Method, Reads, Request};

/// A user's export prepared before anything is sent for it: the evaluated mapping and, for a user not
/// linked yet (most likely a create), the body a create would POST.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The mapping, evaluated.
    pub eval: Evaluated,
    /// The `POST` body, when built ahead.
    pub create_body: Option<EncodedBody>,
}

impl From<Evaluated> for Prepared {
    fn from(eval: Evaluated) -> Self {
        Prepared { eval, create_body: None }
    }
}

/// The object reference of a user.
pub fn user_ref(user_alias: &str, object_id: &str, target_id: Option<&str>) -> ObjectRef {
    ObjectRef {
        kind: ObjectKind::User,
        alias: user_alias.to_string(),
        source_id: object_id.to_string(),
        target_id: target_id.map(str::to_string),
    }
}

/// What exporting one user decided for the connector data store.
#[derive(Debug, Clone, Default)]
pub struct ExportOutcome {
    /// What the manager pass needs, when the export went through.
    pub exported: Option<Exported>,
    /// The target id the user was linked to (created or matched), even if a later update failed.
    pub link: Option<String>,
    /// The export went through: as far as Entra knows the user is enabled in the target.
    pub enabled: bool,
}

/// What export did with a user, for the manager pass: a cycle keeps one per exported user until its end,
/// so the ids are compact (80 bytes in all for GUIDs, nothing on the heap).
#[derive(Debug, Clone)]
pub struct Exported {
    /// Source objectId.
    pub object_id: CompactId,
    /// The manager's source objectId (outer `None`: no manager mapping).
    pub manager: Option<Option<CompactId>>,
    /// The manager target id the endpoint returned.
    pub current_manager: Option<CompactId>,
    /// The export logged an entry (create, update) rather than a skip; the manager pass adds its
    /// reference update to that entry, or turns the skip into an update.
    pub logged_entry: bool,
}

impl Engine {
    /// The `POST` body of a create, serialized (see [`EncodedBody`]).
    pub(crate) fn create_body(&self, eval: &Evaluated) -> EncodedBody {
        let keep_json = !self.actor.client().transcript().is_lean();
        crate::engine::post::create_body(self.dialect, eval, &self.settings.fidelity, keep_json)
    }

    /// Exports an in-scope, enabled user and records the outcome in the connector data store at once.
    /// Returns what the manager pass needs.
    pub async fn export_user(
        &mut self,
        user: &SourceUser,
        mapper: &dyn Mapper,
        log: &mut CycleLog,
    ) -> Option<Exported> {
        let eval = evaluate(mapper, ObjectKind::User, &user.attrs, false, self.next_evaluation());
        self.export_user_prepared(user, eval.into(), mapper, log).await
    }

    /// [`Engine::export_user`] with the export prepared.
    pub async fn export_user_prepared(
        &mut self,
        user: &SourceUser,
        prepared: Prepared,
        mapper: &dyn Mapper,
        log: &mut CycleLog,
    ) -> Option<Exported> {
        let outcome = self.export_user_shared(user, prepared, mapper, log).await;
        self.apply_export(user, &outcome);
        outcome.exported
    }

    /// Records what an export decided: the link to the target object and that the user is enabled there.
    /// Cycles that export users concurrently apply the outcomes afterwards, in source order.
    pub fn apply_export(&mut self, user: &SourceUser, outcome: &ExportOutcome) {
        if let Some(target_id) = &outcome.link {
            self.link_user(user, target_id);
        }
        if outcome.enabled {
            if let Some(entry) = self.cds.users.get_mut(&user.object_id) {
                entry.disabled = false;
            }
        }
    }

    /// Exports an in-scope, enabled user: create, update or skip. Only reads the engine's state, so several
    /// users can be exported at once; the caller applies the returned outcome with [`Engine::apply_export`].
    /// `prepared` holds the user's evaluated mapping (cycles prepare a page of users ahead, in parallel).
    pub async fn export_user_shared(
        &self,
        user: &SourceUser,
        prepared: Prepared,
        mapper: &dyn Mapper,
        log: &mut CycleLog,
    ) -> ExportOutcome {
        let mut outcome = ExportOutcome::default();
        let exported = self.export_user_inner(user, prepared, mapper, log, &mut outcome).await;
        outcome.exported = exported;
        outcome
    }

    async fn export_user_inner(
        &self,
        user: &SourceUser,
        prepared: Prepared,
        mapper: &dyn Mapper,
        log: &mut CycleLog,
        outcome: &mut ExportOutcome,
    ) -> Option<Exported> {
        let Prepared { eval, create_body } = prepared;
        let mut obj = user_ref(&user.alias, &user.object_id, self.cds.user_target(&user.object_id));
        for e in &eval.errors {
            log.findings.push(
                Finding::warning(FindingKind::ObjectFailure, format!("mapping of {}: {e}", user.alias))
                    .with_object(obj.clone()),
            );
        }
        if !eval.has_matching() && self.cds.user_target(&user.object_id).is_none() {
            log.skip(&obj, ErrorCode::ImportSkipped, "the source object has no value for any matching attribute");
            return None;
        }
        let mut requests = Vec::new();
        let found = self.find_user(user, &eval, log, &obj, &mut requests).await.ok()?;
        let (target_id, resource, created) = match found {
            Some((id, res)) => (id, res, false),
            None => {
                if !mapper.actions(ObjectKind::User).create {
                    log.skip(&obj, ErrorCode::EntrySynchronizationSkipped, "no match and the Create action is off");
                    return None;
                }
                let body = match create_body {
                    Some(body) => body,
                    None => self.create_body(&eval),
                };
                // What the engine reads of a created user: its id and its manager.
                const CREATED: Reads = Reads::Members(&["id", ENTERPRISE_URN]);
                let request = Request::new(Method::Post, "/Users").encoded_body(body).reading(CREATED);
                let sent = self.actor.send(request).await;
                requests.push(RequestRef::of(sent.exchange()));
                let mut e = match sent {
                    Sent::Answer(e) if e.status == Some(201) || e.status == Some(200) => e,
                    sent => {
                        let f = Finding::error(FindingKind::ObjectFailure, describe_failure(&sent))
                            .with_code(failure_code(&sent))
                            .with_request(sent.exchange());
                        log.fail(&obj, &requests, f);
                        return None;
                    }
                };
                if e.status == Some(200) {
                    log.findings.push(
                        Finding::warning(
                            FindingKind::NonCompliance,
                            format!("{} returned 200; Entra expects 201 Created", e.request_line()),
                        )
                        .with_request(&e),
                    );
                }
                let id = match resource_with_id(&e) {
                    Ok((id, _)) => id,
                    Err(f) => {
                        log.fail(&obj, &requests, f);
                        return None;
                    }
                };
                let res = e.take_json();
                let modified = if log.lean { Vec::new() } else { created_properties(&eval) };
                outcome.link = Some(id.clone());
                obj.target_id = Some(id.clone());
                // A lean log keeps no create entries: no copy of the request lines for it.
                let logged = if log.lean { Vec::new() } else { requests.clone() };
                log.success(&obj, LogAction::Create, "created", modified, logged);
                (id, res, true)
            }
        };
        if !created {
            outcome.link = Some(target_id.clone());
            obj.target_id = Some(target_id.clone());
        }
        let current_manager = match self.manager_of(&resource, &obj, log, &requests) {
            Ok(m) => m,
            Err(Failed) => return None,
        };
        let logged_entry = match created {
            true => true,
            false => self.update_user(&eval, &resource, &target_id, mapper, &obj, requests, log).await?,
        };
        outcome.enabled = true;
        Some(Exported {
            object_id: CompactId::new(&user.object_id),
            manager: eval.manager().map(|m| m.as_deref().map(CompactId::new)),
            current_manager: current_manager.as_deref().map(CompactId::new),
            logged_entry,
        })
    }

    fn link_user(&mut self, user: &SourceUser, target_id: &str) {
        let entry = self.cds.users.entry(&user.object_id).or_insert_with(|| UserEntry {
            alias: user.alias.clone(),
            target_id: target_id.to_string(),
            ..UserEntry::default()
        });
        entry.target_id = target_id.to_string();
        // Aliases name ids in transcripts; a lean run keeps no transcript, so it needs none (~120 bytes a user).
        if self.object_events {
            self.aliases.add_with(target_id, || format!("user:{}", user.alias));
        }
    }

    /// The manager id in a returned resource; a bare string fails the object (ENTRA.md 1.8).
    fn manager_of(
        &self,
        resource: &Json,
        obj: &ObjectRef,
        log: &mut CycleLog,
        requests: &[RequestRef],
    ) -> Result<Option<String>, Failed> {
        static MANAGER: std::sync::LazyLock<Option<TargetPath>> =
            std::sync::LazyLock::new(|| TargetPath::parse(&format!("{ENTERPRISE_URN}:manager")));
        let path = MANAGER.as_ref().ok_or(Failed)?;
        let Some(value) = resource::get(resource, path) else { return Ok(None) };
        match resource::manager_id(&value) {
            Some((id, true)) => {
                let mut f = Finding::error(
                    FindingKind::Incompatible,
                    format!("the endpoint returned `manager` of {} as a bare string ({id}); Entra expects {{\"value\": \"…\"}} and cannot deserialise the user", obj.alias),
                )
                .with_code(ErrorCode::SystemForCrossDomainIdentityManagementServiceIncompatible);
                f.request = requests.last().cloned();
                Err(log.fail(obj, requests, f))
            }
            Some((id, false)) => Ok(Some(id)),
            None => Ok(None),
        }
    }

    /// Updates the differing attributes; `Some(true)` when it logged an update, `Some(false)` when it logged
    /// a skip, `None` when the object failed.
    #[allow(clippy::too_many_arguments)]
    async fn update_user(
        &self,
        eval: &Evaluated,
        resource: &Json,
        target_id: &str,
        mapper: &dyn Mapper,
        obj: &ObjectRef,
        mut requests: Vec<RequestRef>,
        log: &mut CycleLog,
    ) -> Option<bool> {
        let desired: Vec<Desired> = eval
            .specs
            .iter()
            .zip(&eval.values)
            .filter(|(s, _)| !s.on_create_only && s.roles.is_none())
            .filter_map(|(s, v)| {
                let path = s.path.as_ref()?;
                if path.is_manager() {
                    return None;
                }
                let value = if s.target.eq_ignore_ascii_case("active") {
                    dialect::active_value(self.dialect, v)
                } else {
                    v.clone()
                };
                Some(Desired {
                    path: s.target.clone(),
                    value,
                    case_exact: s.case_exact,
                    current: resource::get(resource, path),
                    only_if_target_empty: s.only_if_target_empty,
                    flow_always: s.flow_always,
                })
            })
            .collect();
        let mut changes = diff::plan_update(&desired);
        if self.settings.fidelity.clear_with_remove {
            changes.extend(diff::plan_clears(&desired));
        }
        let role_op = roles::desired(&eval.specs, &eval.values)
            .and_then(|d| roles::update_op(self.dialect, &d, resource, &eval.assigned));
        if changes.is_empty() && role_op.is_none() {
            log.skip(obj, ErrorCode::EntrySynchronizationSkipped, "already in sync; no changes required");
            return Some(false);
        }
        if !mapper.actions(ObjectKind::User).update {
            log.skip(obj, ErrorCode::EntrySynchronizationSkipped, "changes pending but the Update action is off");
            return Some(false);
        }
        let mut ops = dialect::attribute_ops(self.dialect, &changes);
        ops.extend(role_op.as_ref().map(|(op, _)| op.clone()));
        let body = dialect::patch_body(ops);
        let request = Request::new(Method::Patch, format!("/Users/{target_id}")).body(body).reading(Reads::STATUS);
        let sent = self.actor.send(request).await;
        requests.push(RequestRef::of(sent.exchange()));
        let modified: Vec<ModifiedProperty> = changes
            .iter()
            .map(|c| ModifiedProperty {
                name: c.path.clone(),
                old: c.old.clone(),
                new: (c.op != OpKind::Remove).then(|| c.value.clone()),
            })
            .chain(role_op.map(|(_, m)| m))
            .collect();
        match &sent {
            Sent::Answer(e)
                if e.status == Some(200) && matches!(e.response_body, Body::Text { .. } | Body::TooLarge { .. }) =>
            {
                let f = incompatible(e, "the PATCH response body cannot be parsed");
                log.fail_with(obj, &requests, f, modified);
                None
            }
            Sent::Answer(e) if e.status == Some(200) || e.status == Some(204) => {
                let enabled = changes.iter().any(|c| {
                    c.path.eq_ignore_ascii_case("active")
                        && diff::values_equal(&c.value, &json!(true), false)
                        && c.old.as_ref().is_some_and(|o| diff::values_equal(o, &json!(false), false))
                });
                let action = if enabled { LogAction::Enable } else { LogAction::Update };
                log.success(obj, action, "updated", modified, requests);
                Some(true)
            }
            _ => {
                let f = Finding::error(FindingKind::ObjectFailure, describe_failure(&sent))
                    .with_code(failure_code(&sent))
                    .with_request(sent.exchange());
                log.fail_with(obj, &requests, f, modified);
                None
            }
        }
    }
}

fn created_properties(eval: &Evaluated) -> Vec<ModifiedProperty> {
    eval.specs
        .iter()
        .zip(&eval.values)
        .filter(|(s, _)| !s.is_manager())
        .filter_map(|(s, v)| {
            let value = if diff::is_empty(v) { Json::String(s.default.clone()?) } else { v.clone() };
            Some(ModifiedProperty { name: s.target.clone(), old: None, new: Some(value) })
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::engine::source::AttrSpec;
    use std::sync::Arc;

    fn spec(target: &str, default: Option<&str>) -> AttrSpec {
        AttrSpec {
            matching_priority: (target == "userName").then_some(1),
            default: default.map(str::to_string),
            ..AttrSpec::for_target(target)
        }
    }

    /// A user's evaluation with a matching `userName`, a defaulted `title`, empty values, a manager and an
    /// enterprise attribute (shared with the create-body tests in `engine::post`).
    pub(crate) fn eval() -> Evaluated {
        Evaluated {
            specs: Arc::from(vec![
                spec("userName", None),
                spec("active", None),
                spec("title", Some("Staff")),
                spec("nickName", None),
                spec(&format!("{ENTERPRISE_URN}:manager"), None),
                spec(&format!("{ENTERPRISE_URN}:department"), None),
            ]),
            values: vec![json!("a@x"), json!("True"), Json::Null, Json::Null, json!("mgr-oid"), json!("R&D")],
            errors: Vec::new(),
            assigned: Vec::new(),
        }
    }

    #[test]
    fn matching_values_come_in_precedence_order() {
        let mut e = eval();
        let mut specs = e.specs.to_vec();
        specs[5].matching_priority = Some(0);
        specs[2].matching_priority = Some(2);
        e.specs = specs.into();
        e.values[2] = json!("Engineer");
        assert_eq!(
            e.matching(),
            vec![("userName".to_string(), "a@x".to_string()), ("title".to_string(), "Engineer".to_string())]
        );
        assert_eq!(e.manager(), Some(Some("mgr-oid".to_string())));
        assert!(e.has_matching());
        for value in [json!(""), json!(null), json!(["a"])] {
            for i in [0, 2, 5] {
                e.values[i] = value.clone();
            }
            assert!(!e.has_matching() && e.matching().is_empty(), "{value}");
        }
        e.values[2] = json!(7);
        assert!(e.has_matching() && !e.matching().is_empty());
    }
}
