//! Test Connection (ENTRA.md 1.1): query the endpoint for a user that cannot exist — a random GUID as
//! the value of the precedence-1 matching attribute — and, when groups are provisioned, for a group
//! with `excludedAttributes=members`. The right answer is 200 with an empty `ListResponse`.

use crate::engine::action::{failure_code, list_resources, Sent};
use crate::engine::matching;
use crate::engine::result::{Abort, AbortKind, Finding, FindingKind, ObjectKind, RequestRef, TestConnectionResult};
use crate::engine::source::Mapper;
use crate::engine::state::Engine;
use crate::scim::client::{Method, Request};

/// The portal's message for 401/403.
pub const INVALID_CREDENTIALS: &str = "You appear to have entered invalid credentials";

/// The precedence-1 matching attribute of a kind, or Entra's default (`userName` / `displayName`).
pub fn primary_matching(mapper: &dyn Mapper, kind: ObjectKind) -> String {
    let specs = mapper.specs(kind);
    let first = specs.iter().filter(|s| s.matching_priority.is_some_and(|p| p > 0)).min_by_key(|s| s.matching_priority);
    first.map(|s| s.target.clone()).unwrap_or_else(|| {
        match kind {
            ObjectKind::User => "userName",
            ObjectKind::Group => "displayName",
        }
        .to_string()
    })
}

/// What Test Connection found.
#[derive(Debug, Clone)]
pub struct Probe {
    /// The result as the portal would show it.
    pub result: TestConnectionResult,
    /// Findings.
    pub findings: Vec<Finding>,
    /// Set when the target cannot be used.
    pub abort: Option<Abort>,
}

impl Engine {
    /// Runs Test Connection.
    pub async fn test_connection(&mut self, mapper: &dyn Mapper) -> Probe {
        let mut kinds = vec![ObjectKind::User];
        if self.settings.provision_groups && !mapper.specs(ObjectKind::Group).is_empty() {
            kinds.push(ObjectKind::Group);
        }
        let mut probe = Probe {
            result: TestConnectionResult { passed: true, message: None, probes: Vec::new() },
            findings: Vec::new(),
            abort: None,
        };
        for kind in kinds {
            let guid = self.guid();
            self.aliases.add_probe(&guid);
            let filter = matching::filter(&primary_matching(mapper, kind), &guid);
            let request = match kind {
                ObjectKind::User => Request::get_filtered("/Users", filter),
                ObjectKind::Group => {
                    Request::new(Method::Get, "/Groups").query("excludedAttributes", "members").query("filter", filter)
                }
            };
            let sent = self.actor.send(request).await;
            probe.result.probes.push(RequestRef::of(sent.exchange()));
            self.judge_probe(&sent, &mut probe);
            // Entra reports the first failure; an endpoint that did not answer is not asked again.
            if probe.abort.is_some() || !matches!(sent, Sent::Answer(_)) {
                break;
            }
        }
        probe
    }

    fn judge_probe(&self, sent: &Sent, probe: &mut Probe) {
        let e = sent.exchange();
        let line = e.request_line();
        let (message, finding, abort) = match sent {
            Sent::NoAnswer(..) | Sent::NotSent(_) => {
                let msg = crate::engine::action::describe_failure(sent);
                let abort =
                    self.actor.unreachable().then(|| Abort { kind: AbortKind::Unreachable, message: msg.clone() });
                let finding = Finding::error(FindingKind::Transport, msg.clone()).with_code(failure_code(sent));
                (msg, Some(finding), abort)
            }
            Sent::Answer(_) => match e.status {
                Some(401) | Some(403) => {
                    let msg = format!("{INVALID_CREDENTIALS} ({line} returned {})", e.status.unwrap_or(0));
                    let abort = Some(Abort { kind: AbortKind::AuthRefused, message: msg.clone() });
                    let finding = Finding::error(FindingKind::NonCompliance, msg).with_code(failure_code(sent));
                    (INVALID_CREDENTIALS.to_string(), Some(finding), abort)
                }
                Some(400) => {
                    let msg =
                        format!("{line} returned 400 for a zero-result query; return 200 with zero results instead");
                    (msg.clone(), Some(Finding::error(FindingKind::NonCompliance, msg)), None)
                }
                _ => match list_resources(e) {
                    Ok([]) => return,
                    Ok(hits) => {
                        let msg = format!("{line} matched {} resources for a random GUID", hits.len());
                        (msg.clone(), Some(Finding::error(FindingKind::NonCompliance, msg)), None)
                    }
                    Err(f) => {
                        let msg = if e.status == Some(404) {
                            "HTTP/404 Not Found was returned rather than the expected HTTP/200 OK".to_string()
                        } else {
                            f.message.clone()
                        };
                        // An unparseable answer stays `Incompatible`; an error status is not an object's failure
                        // here but the endpoint's answer to Test Connection.
                        let kind =
                            if f.kind == FindingKind::Incompatible { f.kind } else { FindingKind::NonCompliance };
                        (msg, Some(Finding { kind, ..f }), None)
                    }
                },
            },
        };
        probe.result.passed = false;
        probe.result.message.get_or_insert(message);
        if let Some(f) = finding {
            probe.findings.push(f.with_request_ref(RequestRef::of(e)));
        }
        if probe.abort.is_none() {
            probe.abort = abort;
        }
    }
}
