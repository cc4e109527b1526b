//! What a check run returns: one [`Check`] per check, grouped, each with its problems and the
//! exchanges it made. Its conversion into the shared [`report::Report`] (`CheckResult::to_report`) lives
//! with the scenario's, in `cmd::reportconv`.

use std::path::PathBuf;
use std::time::Duration;

use crate::diagnostic::Diagnostic;
use crate::engine::Dialect;
use crate::report;
use crate::scim::client::{Body, Exchange, Scrubber};

/// What `entrasim check` should exercise.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckOptions {
    /// The PATCH dialects to check, in order (legacy, compliant or both).
    pub dialects: Vec<Dialect>,
    /// The mapping whose steady state is checked and whose matching attributes the probes use: a preset
    /// name (`entra-default`, `unleash`) or a mapping TOML / Graph schema JSON path (see [`crate::mapping::load`]).
    pub mapping: String,
    /// The directory a relative `mapping` path is resolved against.
    pub mapping_dir: PathBuf,
    /// Run the group checks (Entra's group provisioning).
    pub groups: bool,
    /// The per-run suffix in every object name; `None` picks a random one. Tests pin it.
    pub run_tag: Option<String>,
    /// Real time the whole run may spend waiting for `Retry-After` (see [`crate::check::RETRY_SLEEP_BUDGET`]).
    pub retry_sleep_budget: std::time::Duration,
    /// The users' joining property (`--match-users`); `None`: the mapping's matching attribute.
    pub match_users: Option<String>,
    /// The groups' joining property (`--match-groups`); `None`: the mapping's matching attribute.
    pub match_groups: Option<String>,
    /// Run the `schema/attributes` sweep over every attribute `/Schemas` declares (`--schema discover`).
    pub attribute_sweep: bool,
    /// The OAuth client credentials the client uses, if any: `credentials/oauth` checks the token endpoint.
    pub oauth: Option<crate::scim::oauth::OAuthConfig>,
    /// The wire switches (`--wire`): request shapes shared with `run`.
    pub fidelity: crate::fidelity::Fidelity,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            dialects: vec![Dialect::Legacy, Dialect::Compliant],
            mapping: "entra-default".to_string(),
            mapping_dir: PathBuf::from("."),
            groups: true,
            run_tag: None,
            retry_sleep_budget: super::ctx::RETRY_SLEEP_BUDGET,
            oauth: None,
            attribute_sweep: false,
            match_users: None,
            match_groups: None,
            fidelity: crate::fidelity::Fidelity::default(),
        }
    }
}

/// Why a check run could not be carried out at all (as opposed to a failed check, which is data).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CheckError {
    /// The endpoint gave no HTTP answer to the very first request.
    #[error("target unreachable: {request} {reason}")]
    Unreachable {
        /// The request line of the probe.
        request: String,
        /// What went wrong (`connection failed`).
        reason: String,
    },
    /// The mapping did not load; nothing was sent.
    #[error("mapping `{spec}` did not load")]
    Mapping {
        /// The mapping as given.
        spec: String,
        /// Every diagnostic, errors and warnings, in file order.
        diagnostics: Vec<Diagnostic>,
    },
    /// A `--match-users` / `--match-groups` attribute is not a SCIM attribute path; nothing was sent.
    #[error("{reason}")]
    MatchAttribute {
        /// Which attribute and why.
        reason: String,
    },
    /// No dialect was selected.
    #[error("no PATCH dialect selected: choose legacy, compliant or both")]
    NoDialect,
}

/// The verdict of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    /// Entra works with the endpoint here.
    Pass,
    /// Works, but fragile or not what Entra expects.
    Warning,
    /// Entra would fail or misbehave.
    Fail,
    /// Not run: what it needs (for example a created user) could not be set up.
    Skipped,
}

/// One thing the endpoint did that Entra would not accept (error) or that is fragile (warning).
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// Error or warning.
    pub severity: report::Severity,
    /// Stable machine name, e.g. `status`, `not_stored`, `manager_not_complex`.
    pub kind: String,
    /// What happened, naming the request.
    pub message: String,
    /// A one-line hint of the fix.
    pub hint: Option<String>,
    /// The exchange that showed it.
    pub exchange: Option<Box<Exchange>>,
}

impl Problem {
    /// An error-severity problem.
    pub fn error(kind: &str, message: impl Into<String>, hint: impl Into<String>, exchange: Option<&Exchange>) -> Self {
        Problem {
            severity: report::Severity::Error,
            kind: kind.to_string(),
            message: message.into(),
            hint: Some(hint.into()),
            exchange: exchange.map(|e| Box::new(e.clone())),
        }
    }

    /// A warning-severity problem.
    pub fn warning(
        kind: &str,
        message: impl Into<String>,
        hint: impl Into<String>,
        exchange: Option<&Exchange>,
    ) -> Self {
        Problem { severity: report::Severity::Warning, ..Problem::error(kind, message, hint, exchange) }
    }
}

/// One check and how it went.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    /// The group, e.g. `users`, `users/legacy`, `groups/compliant`, `steady-state`.
    pub group: String,
    /// Stable name within the group, e.g. `filter-username`.
    pub name: String,
    /// Pass, warning, fail or skipped.
    pub status: CheckStatus,
    /// One line: what passed, or why it was skipped.
    pub detail: String,
    /// Errors and warnings, each with its evidence.
    pub problems: Vec<Problem>,
    /// Every exchange the check made, in order.
    pub exchanges: Vec<Exchange>,
    /// Wall time.
    pub duration: Duration,
}

impl Check {
    /// Hides every secret in the check's detail, problems and exchanges.
    pub fn scrub(&mut self, s: &Scrubber) {
        if s.is_empty() {
            return;
        }
        s.string(&mut self.detail);
        self.exchanges.iter_mut().for_each(|e| s.exchange(e));
        for p in &mut self.problems {
            s.string(&mut p.message);
            if let Some(hint) = &mut p.hint {
                s.string(hint);
            }
            if let Some(e) = &mut p.exchange {
                s.exchange(e);
            }
        }
    }
}

impl Check {
    /// `group/name`, the identifier used in docs and tests.
    pub fn id(&self) -> String {
        format!("{}/{}", self.group, self.name)
    }
}

/// How the run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunEnd {
    /// Every selected check ran.
    Completed,
    /// The run stopped after the connection checks (for example the credentials were refused).
    Stopped {
        /// Why.
        reason: String,
    },
    /// Ctrl-C (or the caller's cancel signal) arrived; created objects were still cleaned up.
    Interrupted,
}

/// The result of [`super::run`].
#[derive(Debug, Clone, PartialEq)]
pub struct CheckResult {
    /// The target as named by the user (no credentials).
    pub target: String,
    /// The suffix in every object name of this run.
    pub run_tag: String,
    /// The checks in run order.
    pub checks: Vec<Check>,
    /// How the run ended.
    pub end: RunEnd,
    /// Objects created by the run that could not be deleted (`/Users/{id}` or `/Groups/{id}`).
    pub left_behind: Vec<String>,
}

impl CheckResult {
    /// Hides every secret in the result's texts and exchanges: the checks read answers as they came, and
    /// only what they hand out is scrubbed (issue 18).
    pub fn scrub(&mut self, s: &Scrubber) {
        if s.is_empty() {
            return;
        }
        s.string(&mut self.target);
        self.checks.iter_mut().for_each(|check| check.scrub(s));
        if let RunEnd::Stopped { reason } = &mut self.end {
            s.string(reason);
        }
        self.left_behind.iter_mut().for_each(|l| s.string(l));
    }

    /// Checks with the given status.
    pub fn with_status(&self, status: CheckStatus) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(move |c| c.status == status)
    }

    /// True when no check failed and the run completed.
    pub fn passed(&self) -> bool {
        self.end == RunEnd::Completed && self.with_status(CheckStatus::Fail).next().is_none()
    }
}

/// An exchange as report evidence: request line, bodies (non-JSON bodies as a trimmed string).
pub fn evidence(exchange: &Exchange) -> report::Evidence {
    let response_body = match &exchange.response_body {
        Body::Empty => None,
        Body::Json { value } => Some(value.clone()),
        Body::Text { .. } | Body::TooLarge { .. } => Some(serde_json::Value::String(exchange.body_excerpt())),
    };
    report::Evidence {
        request: exchange.request_line(),
        request_body: exchange.request_body.clone(),
        status: exchange.status,
        response_body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::client::{Method, Origin};
    use serde_json::json;

    fn exchange(method: Method, path: &str, query: &str, status: u16, body: Body) -> Exchange {
        Exchange {
            index: 0,
            origin: Origin::Entra,
            method,
            path: path.into(),
            query: query.into(),
            request_body: None,
            status: Some(status),
            response_headers: vec![("content-type".into(), "application/scim+json".into())],
            response_body: body,
            duration: Duration::ZERO,
            error: None,
        }
    }

    fn check(group: &str, name: &str, status: CheckStatus, detail: &str, problems: Vec<Problem>) -> Check {
        Check {
            group: group.into(),
            name: name.into(),
            status,
            detail: detail.into(),
            problems,
            exchanges: vec![],
            duration: Duration::from_millis(2),
        }
    }

    /// A hand-built result: one pass, one warning, one failure with evidence, one skip.
    fn sample() -> CheckResult {
        let conflict = exchange(
            Method::Post,
            "/Users",
            "",
            409,
            Body::Json { value: json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": "409"}) },
        );
        let mut manager = exchange(
            Method::Get,
            "/Users/<user:2>",
            "",
            200,
            Body::Json {
                value: json!({"id": "<user:2>", (crate::engine::dialect::ENTERPRISE_URN): {"manager": "<user:1>"}}),
            },
        );
        manager.origin = Origin::Verification;
        let html = exchange(
            Method::Post,
            "/Groups",
            "",
            500,
            Body::Text {
                text: "<html><body>Internal Server Error</body></html>".into(),
                error: "expected value".into(),
            },
        );
        CheckResult {
            target: "http://127.0.0.1:8080/scim/v2".into(),
            run_tag: "0000abcd".into(),
            checks: vec![
                check(
                    "connection",
                    "test-connection-users",
                    CheckStatus::Pass,
                    "GET /Users?filter=… → 200, empty ListResponse",
                    vec![],
                ),
                check(
                    "users",
                    "duplicate-create",
                    CheckStatus::Warning,
                    "POST /Users → 409",
                    vec![Problem::warning(
                        "scim_type",
                        "409 without scimType",
                        "add `\"scimType\": \"uniqueness\"`",
                        Some(&conflict),
                    )],
                ),
                check(
                    "users/legacy",
                    "manager",
                    CheckStatus::Fail,
                    "manager returned as a bare string",
                    vec![Problem::error(
                        "manager_not_complex",
                        "GET /Users/<user:2> returned the manager as the bare string \"<user:1>\"",
                        "return `manager` as `{\"value\": \"<id>\"}`",
                        Some(&manager),
                    )],
                ),
                check(
                    "groups",
                    "create",
                    CheckStatus::Fail,
                    "POST /Groups answered 500",
                    vec![Problem::error(
                        "not_scim_json",
                        "POST /Groups answered 500 without a SCIM JSON object",
                        "answer with SCIM JSON",
                        Some(&html),
                    )],
                ),
                check("groups", "delete", CheckStatus::Skipped, "needs the group from `groups/create`", vec![]),
            ],
            end: RunEnd::Completed,
            left_behind: vec![],
        }
    }

    #[test]
    fn groups_become_suites_and_statuses_become_outcomes() {
        let report = sample().to_report();
        let names: Vec<&str> = report.suites.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["connection", "users", "users/legacy", "groups"]);
        assert_eq!(report.suites[2].dialect.as_deref(), Some("legacy"));
        assert_eq!(report.suites[1].cases[0].outcome, report::Outcome::Pass);
        assert_eq!(report.suites[1].cases[0].findings[0].severity, report::Severity::Warning);
        assert_eq!(report.suites[3].cases[1].outcome, report::Outcome::Skipped);
        assert_eq!(report.exit_code(), crate::exit::FINDINGS);
        let evidence = report.suites[3].cases[0].findings[0].evidence.clone().unwrap();
        assert_eq!(evidence.request, "POST /Groups");
        assert_eq!(evidence.response_body, Some(json!("<html><body>Internal Server Error</body></html>")));
    }

    #[test]
    fn interrupted_and_leftovers_make_the_run_an_error() {
        let mut result = sample();
        result.end = RunEnd::Interrupted;
        result.left_behind = vec!["/Users/u1".into()];
        let report = result.to_report();
        let errors: Vec<&str> = report.suites.iter().filter_map(|s| s.error.as_deref()).collect();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors[1].contains("/Users/u1"));
        assert_eq!(report.exit_code(), crate::exit::RUNTIME);
        assert!(!result.passed());
    }

    #[test]
    fn junit_rendering_of_a_check_result() {
        let xml = report::junit::render(&sample().to_report()).unwrap();
        insta::assert_snapshot!(xml);
    }

    #[test]
    fn json_rendering_of_a_check_result() {
        let json = report::json::render(&sample().to_report());
        insta::assert_snapshot!(json.replace(env!("CARGO_PKG_VERSION"), "[version]"));
    }
}
