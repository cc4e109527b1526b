//! Steady state (ENTRA.md 3.1, 3.3, Appendix A.10): re-evaluate every linked object as a full cycle
//! does, up to three passes; the endpoint is steady when a pass sends no writes. Otherwise each
//! attribute re-sent in every pass is named with the value sent, the value the endpoint returned and
//! the likely cause. Group membership is never read back by Entra, so the check reads each linked group
//! once with its members — a verification request, marked as such — and reports drift.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as Json;
use similar::{ChangeTag, TextDiff};

use crate::engine::dialect::Dialect;
use crate::engine::diff;
use crate::engine::resource::TargetPath;
use crate::engine::result::{
    CycleKind, ErrorCode, Finding, FindingKind, Flap, LogAction, LogStatus, ObjectKind, ObjectRef, SteadyResult,
};
use crate::engine::source::{Mapper, SourceSnapshot};
use crate::engine::state::Engine;
use crate::scim::client::{Method, Request};

/// What one pass wrote: (source id, attribute) → (object, value sent, value the endpoint had, why the
/// endpoint refused the write when it did).
type PassWrites = BTreeMap<(String, String), (ObjectRef, Json, Option<Json>, Option<String>)>;

/// Passes of a steady-state check.
pub const STEADY_PASSES: usize = 3;

/// The likely cause of a flapping attribute (ENTRA.md 3.3).
pub fn likely_cause(dialect: Dialect, path: &str, sent: &Json, returned: Option<&Json>, case_exact: bool) -> String {
    likely_cause_after(dialect, path, sent, returned, case_exact, false)
}

/// [`likely_cause`] knowing whether the endpoint returned the same old value after every write
/// (`write_ignored`): the write was accepted and ignored.
pub fn likely_cause_after(
    dialect: Dialect,
    path: &str,
    sent: &Json,
    returned: Option<&Json>,
    case_exact: bool,
    write_ignored: bool,
) -> String {
    let parsed = TargetPath::parse(path);
    let filtered = parsed.as_ref().is_some_and(|p| p.filter.is_some());
    if write_ignored && returned.is_some() {
        if dialect == Dialect::Compliant && !filtered {
            return "the endpoint kept the old value: the path-less replace with dotted/URN keys was ignored".into();
        }
        return "the endpoint accepted the PATCH but kept the old value".into();
    }
    if parsed.as_ref().is_some_and(TargetPath::is_manager) {
        return match returned {
            None => "manager is not returned on GET, so Entra links it again every cycle".into(),
            Some(_) => "manager is returned with a different id than the one Entra linked".into(),
        };
    }
    let Some(returned) = returned else {
        if parsed.as_ref().is_some_and(|p| p.filter.is_some()) {
            return format!(
                "the multi-valued element of `{path}` is not returned with that exact filter value (element lost, \
                 its `type` missing or changed case), so Entra adds it again"
            );
        }
        if dialect == Dialect::Compliant {
            return "attribute not stored or not returned on GET, or the path-less replace with dotted/URN keys \
                    was ignored"
                .into();
        }
        return "attribute accepted but not stored or not returned on GET".into();
    };
    if diff::values_equal(sent, returned, false) && case_exact {
        return "the endpoint changed the case of a caseExact value".into();
    }
    let is_bool_text =
        |v: &Json| v.as_str().is_some_and(|s| s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("false"));
    if (sent.is_boolean() && is_bool_text(returned)) || (returned.is_boolean() && is_bool_text(sent)) {
        return "boolean stored or returned as a string".into();
    }
    "value transformed by the endpoint (stored differently from what was sent)".into()
}

/// A unified diff of the value sent and the value returned, for renderers (ANSI colours when `color`).
pub fn render_flap_diff(flap: &Flap, color: bool) -> String {
    let pretty = |v: Option<&Json>| {
        v.map_or_else(|| "(absent)".to_string(), |v| serde_json::to_string_pretty(v).unwrap_or_default())
    };
    let (sent, returned) = (pretty(Some(&flap.sent)), pretty(flap.returned.as_ref()));
    let diff = TextDiff::from_lines(&sent, &returned);
    let mut out = String::new();
    for change in diff.iter_all_changes() {
        let (sign, code) = match change.tag() {
            ChangeTag::Delete => ("-", "\u{1b}[31m"),
            ChangeTag::Insert => ("+", "\u{1b}[32m"),
            ChangeTag::Equal => (" ", ""),
        };
        let line = format!("{sign}{}", change.value().trim_end_matches('\n'));
        if color && !code.is_empty() {
            out.push_str(&format!("{code}{line}\u{1b}[0m\n"));
        } else {
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}

impl Engine {
    /// Runs the steady-state check.
    pub async fn steady_check(
        &mut self,
        snapshot: &SourceSnapshot<'_>,
        mapper: &dyn Mapper,
    ) -> (SteadyResult, Vec<Finding>) {
        let mut passes = Vec::new();
        let mut findings = Vec::new();
        let mut per_pass: Vec<PassWrites> = Vec::new();
        let mut steady = false;
        for _ in 0..STEADY_PASSES {
            let (cycle, log) = self.run_cycle(CycleKind::Initial, snapshot, mapper).await;
            findings.extend(log.findings);
            let mut sent = BTreeMap::new();
            for event in cycle.events.iter().filter(|e| matches!(e.action, LogAction::Update | LogAction::Enable)) {
                let refused = (event.status == LogStatus::Failure)
                    .then(|| event.code.map_or_else(|| "an error".to_string(), |c| format!("{c:?}")));
                for m in &event.modified {
                    let key = (event.object.source_id.clone(), m.name.clone());
                    let write =
                        (event.object.clone(), m.new.clone().unwrap_or(Json::Null), m.old.clone(), refused.clone());
                    sent.insert(key, write);
                }
            }
            let writes = cycle.counts.writes;
            passes.push(cycle);
            per_pass.push(sent);
            if writes == 0 {
                steady = true;
                break;
            }
        }
        let mut flapping = Vec::new();
        if !steady {
            let specs = mapper.specs(ObjectKind::User);
            let last = per_pass.last().cloned().unwrap_or_default();
            for (key, (object, value, returned, refused)) in &last {
                if per_pass.iter().all(|p| p.contains_key(key)) {
                    let case_exact = specs.iter().any(|s| s.target.eq_ignore_ascii_case(&key.1) && s.case_exact);
                    let olds: Vec<&Option<Json>> = per_pass.iter().filter_map(|p| p.get(key).map(|x| &x.2)).collect();
                    let ignored = olds.windows(2).all(|w| w[0] == w[1]);
                    let always_refused = per_pass.iter().all(|p| p.get(key).is_some_and(|x| x.3.is_some()));
                    let cause = match refused {
                        // A refused write is retried every cycle: that, not the endpoint's storage, is the cause.
                        Some(why) if always_refused => format!(
                            "the endpoint refused the write on every pass ({why}), so Entra escrows it and sends it \
                             again every cycle"
                        ),
                        _ => likely_cause_after(self.dialect, &key.1, value, returned.as_ref(), case_exact, ignored),
                    };
                    flapping.push(Flap {
                        object: object.clone(),
                        attribute: key.1.clone(),
                        sent: value.clone(),
                        returned: returned.clone(),
                        cause,
                    });
                }
            }
            for f in &flapping {
                findings.push(
                    Finding::error(
                        FindingKind::NotSteady,
                        format!(
                            "`{}` of {} is re-sent on every pass: sent {}, endpoint returned {} — {}",
                            f.attribute,
                            f.object.alias,
                            f.sent,
                            f.returned.as_ref().map_or("nothing".to_string(), Json::to_string),
                            f.cause
                        ),
                    )
                    .with_object(f.object.clone()),
                );
            }
            if flapping.is_empty() {
                findings.push(Finding::error(FindingKind::NotSteady, "writes were sent on every pass".to_string()));
            }
        }
        findings.extend(self.verify_memberships().await);
        let writes_per_pass = passes.iter().map(|p| p.counts.writes).collect();
        (SteadyResult { steady, writes_per_pass, flapping, passes }, findings)
    }

    /// Reads each linked group once with its members (verification traffic) and compares with the
    /// connector data store.
    async fn verify_memberships(&mut self) -> Vec<Finding> {
        let mut findings = Vec::new();
        let groups: Vec<(String, crate::engine::cds::GroupEntry)> =
            self.cds.groups.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        for (object_id, entry) in groups {
            let req = Request::new(Method::Get, format!("/Groups/{}", entry.target_id)).verification();
            let sent = self.actor.send(req).await;
            let e = sent.exchange();
            let Some(body) = e.response_body.json().filter(|_| e.status == Some(200)) else {
                findings.push(
                    Finding::warning(
                        FindingKind::MembershipDrift,
                        format!("could not read {} with its members", e.request_line()),
                    )
                    .with_request(e),
                );
                continue;
            };
            let actual: BTreeSet<String> = body
                .get("members")
                .and_then(Json::as_array)
                .map(|a| a.iter().filter_map(|m| m.get("value").and_then(Json::as_str).map(str::to_string)).collect())
                .unwrap_or_default();
            let expected: BTreeSet<String> = entry.members.values().cloned().collect();
            let obj = ObjectRef {
                kind: ObjectKind::Group,
                alias: entry.alias.clone(),
                source_id: object_id,
                target_id: Some(entry.target_id.clone()),
            };
            let missing: Vec<&String> = expected.difference(&actual).collect();
            let extra: Vec<&String> = actual.difference(&expected).collect();
            if !missing.is_empty() {
                let hazard = self.legacy_member_removals.contains(&entry.target_id) && actual.is_empty();
                let why = if hazard {
                    " — the endpoint removed every member on a legacy `Remove` with `path: members` and a value list \
                     (the remove-all-members hazard, ENTRA.md 1.7)"
                } else {
                    ""
                };
                let finding = if hazard { Finding::error } else { Finding::warning };
                findings.push(
                    finding(
                        FindingKind::MembershipDrift,
                        format!("group {} lacks {} member(s) Entra believes it added{why}; Entra never reads membership back, so it will not repair this", entry.alias, missing.len()),
                    )
                    .with_object(obj.clone())
                    .with_request(e),
                );
            }
            if !extra.is_empty() {
                findings.push(
                    Finding::warning(
                        FindingKind::MembershipDrift,
                        format!("group {} has {} member(s) Entra did not add", entry.alias, extra.len()),
                    )
                    .with_code(ErrorCode::EntrySynchronizationSkipped)
                    .with_object(obj)
                    .with_request(e),
                );
            }
        }
        findings
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn causes_follow_entra_md() {
        assert!(likely_cause_after(Dialect::Legacy, "title", &json!("X"), None, false, true).contains("not stored"));
        assert!(likely_cause_after(Dialect::Compliant, "title", &json!("X"), None, false, true).contains("path-less"));
        assert!(likely_cause_after(Dialect::Legacy, "emails[type eq \"work\"].value", &json!("a"), None, false, true)
            .contains("type"));
        assert!(likely_cause_after(Dialect::Legacy, "userName", &json!("A"), Some(&json!("a")), true, false)
            .contains("case"));
        assert!(likely_cause(
            Dialect::Legacy,
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
            &json!("1"),
            None,
            false
        )
        .contains("manager"));
        assert!(likely_cause_after(Dialect::Legacy, "phone", &json!("555"), Some(&json!("+5 55")), false, false)
            .contains("transformed"));
    }

    #[test]
    fn ignored_writes_are_told_apart() {
        let cause = likely_cause_after(Dialect::Compliant, "title", &json!("New"), Some(&json!("Old")), false, true);
        assert!(cause.contains("path-less replace"), "{cause}");
        let cause = likely_cause_after(Dialect::Legacy, "title", &json!("New"), Some(&json!("Old")), false, true);
        assert!(cause.contains("kept the old value"), "{cause}");
    }

    #[test]
    fn flap_diff_marks_lines() {
        let flap = Flap {
            object: ObjectRef { kind: ObjectKind::User, alias: "a".into(), source_id: "1".into(), target_id: None },
            attribute: "title".into(),
            sent: json!("Engineer"),
            returned: None,
            cause: String::new(),
        };
        assert_eq!(render_flap_diff(&flap, false), "-\"Engineer\"\n+(absent)\n");
        assert!(render_flap_diff(&flap, true).contains("\u{1b}[31m"));
    }
}
