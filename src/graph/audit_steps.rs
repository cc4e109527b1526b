//! The `provisioningSteps` of a provisioning log entry, in the shape and words of Entra's entries: the
//! import of the source object (`EntryImportAdd`/`Update`/`Delete`), its scoping
//! (`EntrySynchronizationScoping`: active, assigned, each scoping-filter clause), the decision after matching
//! (`EntrySynchronizationAdd`/`Update`, or a skip) and the export (`EntryExportAdd`, ...), as far as the entry
//! got. An entry that recorded its source object ([`SourceFacts`]) shows it as the cycle read it; one that did
//! not (an object gone from the source) has no scoping step, as Entra's delete entries have none.

use super::backend::SourceFacts;
use crate::engine::result::{ErrorCode, LogAction, LogStatus, ProvisioningEvent};
use crate::logs::{Status, Step, StepType};

/// What the steps name: the object's kind (`User`), its name (userPrincipalName or display name), the
/// target application's name, and the import details to use when the entry recorded none.
pub struct Names<'a> {
    /// `User` or `Group`.
    pub kind: &'a str,
    /// The object as Entra names it in descriptions.
    pub object: &'a str,
    /// The target application.
    pub app: &'a str,
}

/// The steps of the entry of `ev`, whose source object the cycle read as `source`. `present` says whether the
/// source object is still in the directory (for entries without [`SourceFacts`]), `attributes` gives its
/// current attributes then.
pub fn steps(
    ev: &ProvisioningEvent,
    source: Option<&SourceFacts>,
    names: &Names<'_>,
    present: bool,
    attributes: Vec<(String, String)>,
) -> Vec<Step> {
    let Names { kind, object, app } = *names;
    let (import, change) = match (source, ev.action) {
        (None, _) if !present => ("EntryImportDelete", "Delete"),
        (_, LogAction::Create) => ("EntryImportAdd", "Add"),
        _ => ("EntryImportUpdate", "Update"),
    };
    let import_skipped = ev.code == Some(ErrorCode::ImportSkipped);
    let mut steps = vec![Step {
        name: import.into(),
        step_type: StepType::Import,
        status: Some(if import_skipped { Status::Skipped } else { Status::Success }),
        description: if import_skipped {
            ev.message.clone()
        } else {
            format!("Received {kind} '{object}' change of type ({change}) from Microsoft Entra ID")
        },
        details: source.map_or(attributes, |f| f.attributes.clone()),
    }];
    if import_skipped {
        return steps;
    }
    if let Some(facts) = source {
        steps.push(scoping(kind, facts));
        if !facts.in_scope() && ev.action == LogAction::Skip {
            // Out of scope and nothing linked to disable: the entry ends with its scope.
            return steps;
        }
    }
    let Some((decision, verb)) = decision(ev.action) else {
        steps.push(Step {
            name: "EntrySynchronizationSkip".into(),
            step_type: StepType::Matching,
            status: Some(status(ev.status)),
            description: ev.message.clone(),
            details: matched_on(ev),
        });
        return steps;
    };
    let found = if ev.action == LogAction::Create {
        format!("no matching {kind} was found in {app}")
    } else {
        format!("a matching {kind} was found in {app}")
    };
    let staged = ev.action == LogAction::StagedDelete;
    steps.push(Step {
        name: decision.into(),
        step_type: StepType::Matching,
        status: Some(if staged { Status::Skipped } else { Status::Success }),
        description: if staged {
            format!("{kind} '{object}' will not be deleted in {app}: {}", ev.message)
        } else {
            format!("{kind} '{object}' will be {verb} in {app} ({found})")
        },
        details: matched_on(ev),
    });
    if staged {
        return steps;
    }
    let mut details = vec![("ReportableIdentifier".to_string(), object.to_string())];
    details.extend(ev.requests.iter().map(|r| ("Request".to_string(), r.line.clone())));
    steps.push(Step {
        name: export_name(ev.action).into(),
        step_type: StepType::Export,
        status: Some(status(ev.status)),
        description: match ev.status {
            LogStatus::Failure => format!("Failed to {} {kind} '{object}' in {app}", infinitive(verb)),
            _ => format!("{kind} '{object}' was {verb} in {app}"),
        },
        details,
    });
    steps
}

/// The scoping step: each part of the verdict under the names Entra's entries use.
fn scoping(kind: &str, facts: &SourceFacts) -> Step {
    let yes_no = |b: bool| if b { "True" } else { "False" }.to_string();
    let mut details = Vec::new();
    if let Some(active) = facts.active {
        details.push(("Active in the source system".to_string(), yes_no(active)));
    }
    details.push(("Assigned to the application".to_string(), yes_no(facts.assigned)));
    details.push(("Scope sync all".to_string(), yes_no(facts.sync_all)));
    details.push(("Scoping filter evaluation passed".to_string(), yes_no(facts.filters_passed)));
    if !facts.clauses.is_empty() {
        let clauses: serde_json::Map<String, serde_json::Value> =
            facts.clauses.iter().map(|(text, passed)| (text.clone(), serde_json::Value::Bool(*passed))).collect();
        details.push(("ScopeEvaluationResult".to_string(), serde_json::Value::Object(clauses).to_string()));
    }
    Step {
        name: "EntrySynchronizationScoping".into(),
        step_type: StepType::Scoping,
        status: Some(if facts.in_scope() { Status::Success } else { Status::Skipped }),
        description: format!("Determine if {kind} in scope by evaluating against each scoping filter"),
        details,
    }
}

/// The decision step's name and the verb its description uses, for an action that writes (or was held
/// back from writing).
fn decision(action: LogAction) -> Option<(&'static str, &'static str)> {
    Some(match action {
        LogAction::Create => ("EntrySynchronizationAdd", "created"),
        LogAction::Update | LogAction::Enable => ("EntrySynchronizationUpdate", "updated"),
        LogAction::Disable => ("EntrySynchronizationUpdate", "disabled"),
        LogAction::Delete | LogAction::StagedDelete => ("EntrySynchronizationUpdate", "deleted"),
        LogAction::Skip | LogAction::Other => return None,
    })
}

fn infinitive(verb: &str) -> &str {
    match verb {
        "created" => "create",
        "disabled" => "disable",
        "deleted" => "delete",
        _ => "update",
    }
}

fn export_name(action: LogAction) -> &'static str {
    match action {
        LogAction::Create => "EntryExportAdd",
        LogAction::Disable => "EntryExportUpdateSoftDelete",
        LogAction::Delete => "EntryExportDelete",
        _ => "EntryExportUpdate",
    }
}

/// What the object was matched on: the matching query's attribute and value, and the target id.
fn matched_on(ev: &ProvisioningEvent) -> Vec<(String, String)> {
    let mut details: Vec<(String, String)> = ev
        .requests
        .iter()
        .find_map(|r| {
            let (_, filter) = r.line.split_once("filter=")?;
            let (attribute, value) = filter.split_once(" eq ")?;
            Some((attribute.trim().to_string(), value.trim().trim_matches('"').to_string()))
        })
        .into_iter()
        .collect();
    if let Some(id) = &ev.object.target_id {
        details.push(("id".to_string(), id.clone()));
    }
    details
}

fn status(status: LogStatus) -> Status {
    match status {
        LogStatus::Success => Status::Success,
        LogStatus::Failure => Status::Failure,
        LogStatus::Skipped => Status::Skipped,
        LogStatus::Warning => Status::Warning,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::result::{ObjectKind, ObjectRef, RequestRef};

    fn entry(action: LogAction, status: LogStatus) -> ProvisioningEvent {
        ProvisioningEvent {
            object: ObjectRef {
                kind: ObjectKind::User,
                alias: "ann".into(),
                source_id: "oid".into(),
                target_id: (action != LogAction::Create).then(|| "t-1".to_string()),
            },
            action,
            status,
            code: None,
            message: "why".into(),
            modified: Vec::new(),
            requests: vec![RequestRef {
                index: 0,
                line: "GET /Users?filter=userName eq \"ann@contoso.com\"".into(),
                status: Some(200),
            }],
        }
    }

    fn facts(assigned: bool) -> SourceFacts {
        SourceFacts {
            attributes: vec![("department".into(), "Sales".into())],
            active: Some(true),
            assigned,
            sync_all: false,
            clauses: vec![("Sales.department EQUALS 'Sales'".into(), true)],
            filters_passed: true,
        }
    }

    fn names() -> Names<'static> {
        Names { kind: "User", object: "ann@contoso.com", app: "Contoso" }
    }

    fn shape(steps: &[Step]) -> Vec<(&str, &str, Option<&str>)> {
        steps.iter().map(|s| (s.name.as_str(), s.step_type.as_str(), s.status.map(|s| s.as_str()))).collect()
    }

    #[test]
    fn a_create_has_entras_four_steps_and_the_scope_verdict() {
        let steps = steps(&entry(LogAction::Create, LogStatus::Success), Some(&facts(true)), &names(), true, vec![]);
        assert_eq!(
            shape(&steps),
            [
                ("EntryImportAdd", "import", Some("success")),
                ("EntrySynchronizationScoping", "scoping", Some("success")),
                ("EntrySynchronizationAdd", "matching", Some("success")),
                ("EntryExportAdd", "export", Some("success")),
            ]
        );
        assert_eq!(steps[0].details, [("department".to_string(), "Sales".to_string())]);
        assert_eq!(steps[1].detail("ScopeEvaluationResult"), Some("{\"Sales.department EQUALS 'Sales'\":true}"));
        assert_eq!(steps[2].detail("userName"), Some("ann@contoso.com"));
        assert_eq!(steps[3].description, "User 'ann@contoso.com' was created in Contoso");
    }

    #[test]
    fn an_unassigned_skip_ends_at_scoping_and_a_failed_update_at_its_export() {
        let skipped = steps(&entry(LogAction::Skip, LogStatus::Skipped), Some(&facts(false)), &names(), true, vec![]);
        assert_eq!(
            shape(&skipped),
            [
                ("EntryImportUpdate", "import", Some("success")),
                ("EntrySynchronizationScoping", "scoping", Some("skipped"))
            ]
        );
        assert_eq!(skipped[1].detail("Assigned to the application"), Some("False"));

        let failed = steps(&entry(LogAction::Update, LogStatus::Failure), Some(&facts(true)), &names(), true, vec![]);
        assert_eq!(failed[2].detail("id"), Some("t-1"));
        assert_eq!(failed[3].status, Some(Status::Failure));
        assert_eq!(failed[3].description, "Failed to update User 'ann@contoso.com' in Contoso");
    }

    #[test]
    fn an_object_gone_from_the_source_is_imported_as_a_delete_without_scoping() {
        let steps = steps(&entry(LogAction::Delete, LogStatus::Success), None, &names(), false, vec![]);
        assert_eq!(
            shape(&steps),
            [
                ("EntryImportDelete", "import", Some("success")),
                ("EntrySynchronizationUpdate", "matching", Some("success")),
                ("EntryExportDelete", "export", Some("success")),
            ]
        );
    }
}
