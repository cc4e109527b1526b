//! The report model: suites (one per scenario or check group) of cases (one per step or check), each
//! with an outcome and its findings. Findings carry the request that showed them, so a reader can
//! reproduce the problem without the transcript.

use serde::Serialize;

/// A whole run or check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// `run` or `check`.
    pub command: String,
    /// The target as the user named it (the query string kept, secrets never present), or `embedded`.
    pub target: String,
    /// One suite per scenario or check group, in run order.
    pub suites: Vec<Suite>,
}

/// One scenario or one group of checks.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suite {
    /// Scenario path or check group name.
    pub name: String,
    /// The dialect spoken, when it matters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dialect: Option<String>,
    /// Steps or checks in order.
    pub cases: Vec<Case>,
    /// Wall time in milliseconds.
    pub duration_ms: u64,
    /// Set when entrasim could not run this suite at all (not a finding about the endpoint).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The provisioning job's status at the end of a scenario (absent for check groups).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<JobStatus>,
}

/// The provisioning job's status after a scenario: the portal's "Current status" with the escrow and retry
/// counters.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobStatus {
    /// Cycles run.
    pub cycles: u32,
    /// `active`, `quarantine` or `disabled`.
    pub job: String,
    /// Graph's quarantine reason and what tripped it, when quarantined.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quarantine: Option<String>,
    /// Objects escrowed at the end.
    pub escrows_outstanding: usize,
    /// Escrowed objects evaluated again, over every cycle.
    pub escrow_retries: usize,
    /// Requests sent again after a 429 and its `Retry-After`.
    pub retries_429: usize,
    /// Escrows removed 28 days after their first failure.
    pub given_up: usize,
}

/// One step of a scenario or one check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Case {
    /// What was done, e.g. `cycle = "initial"` or `create user`.
    pub name: String,
    /// How it went.
    pub outcome: Outcome,
    /// One-line result, e.g. `2 created, 1 updated`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub detail: String,
    /// Findings about the endpoint.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<Finding>,
    /// Wall time in milliseconds.
    pub duration_ms: u64,
}

/// The outcome of a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Everything as expected (warnings allowed).
    Pass,
    /// At least one error finding.
    Fail,
    /// entrasim could not carry the case out.
    Error,
    /// Not run (an earlier failure made it meaningless, or it does not apply).
    Skipped,
}

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Entra would fail or misbehave with this endpoint.
    Error,
    /// Works, but is fragile or differs from what Entra expects.
    Warning,
}

/// Something the endpoint did that Entra would not accept or that breaks a steady state.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// Error or warning.
    pub severity: Severity,
    /// Stable machine name, e.g. `not_steady`, `expectation_failed`, `SystemForCrossDomainIdentityManagementServiceIncompatible`.
    pub kind: String,
    /// What happened, in one or a few lines.
    pub message: String,
    /// A one-line hint of the fix.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// The exchange that showed it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Evidence>,
}

/// One request and its response, as evidence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    /// `METHOD /path?query`.
    pub request: String,
    /// The request body, when there was one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_body: Option<serde_json::Value>,
    /// The status, or none when the transport failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// The response body (JSON when it parsed, else a trimmed text excerpt).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_body: Option<serde_json::Value>,
}

impl Case {
    /// The case's outcome recomputed from its findings: any error finding fails it.
    pub fn outcome_from_findings(&self) -> Outcome {
        if self.findings.iter().any(|f| f.severity == Severity::Error) {
            Outcome::Fail
        } else {
            Outcome::Pass
        }
    }
}

impl Suite {
    /// The worst outcome among the cases (error > fail > pass > skipped), or error when the suite could not run.
    pub fn outcome(&self) -> Outcome {
        if self.error.is_some() || self.cases.iter().any(|c| c.outcome == Outcome::Error) {
            Outcome::Error
        } else if self.cases.iter().any(|c| c.outcome == Outcome::Fail) {
            Outcome::Fail
        } else if self.cases.iter().all(|c| c.outcome == Outcome::Skipped) && !self.cases.is_empty() {
            Outcome::Skipped
        } else {
            Outcome::Pass
        }
    }
}

impl Report {
    /// Counts of suites by outcome: (passed, failed, errored, skipped).
    pub fn totals(&self) -> Totals {
        let mut t = Totals::default();
        for s in &self.suites {
            match s.outcome() {
                Outcome::Pass => t.passed += 1,
                Outcome::Fail => t.failed += 1,
                Outcome::Error => t.errored += 1,
                Outcome::Skipped => t.skipped += 1,
            }
        }
        t
    }

    /// The exit code this report calls for: runtime errors win over findings.
    pub fn exit_code(&self) -> u8 {
        let t = self.totals();
        if t.errored > 0 {
            crate::exit::RUNTIME
        } else if t.failed > 0 {
            crate::exit::FINDINGS
        } else {
            crate::exit::OK
        }
    }
}

/// Suite counts by outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Suites that passed.
    pub passed: usize,
    /// Suites with findings.
    pub failed: usize,
    /// Suites entrasim could not run.
    pub errored: usize,
    /// Suites not run.
    pub skipped: usize,
}

#[cfg(test)]
pub(crate) mod sample {
    //! A hand-built report used by the renderer tests.
    use super::*;

    pub fn report() -> Report {
        let evidence = Evidence {
            request: "PATCH /Users/<user:alice>".into(),
            request_body: Some(serde_json::json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "Replace", "path": "title", "value": "Engineer"}]
            })),
            status: Some(200),
            response_body: Some(serde_json::json!({"id": "<user:alice>", "userName": "alice@contoso.com"})),
        };
        Report {
            command: "run".into(),
            target: "embedded".into(),
            suites: vec![
                Suite {
                    name: "scenarios/users/initial_cycle.toml".into(),
                    dialect: Some("legacy".into()),
                    cases: vec![
                        Case {
                            name: "test_connection".into(),
                            outcome: Outcome::Pass,
                            detail: "200, empty ListResponse".into(),
                            findings: vec![],
                            duration_ms: 3,
                        },
                        Case {
                            name: "cycle = \"initial\"".into(),
                            outcome: Outcome::Pass,
                            detail: "2 created, 1 updated".into(),
                            findings: vec![],
                            duration_ms: 12,
                        },
                    ],
                    duration_ms: 15,
                    error: None,
                    status: Some(JobStatus {
                        cycles: 2,
                        job: "quarantine".into(),
                        quarantine: Some("EncounteredEscrowProportionThreshold: 5000 of 5000 provisioning events failed, more than 40%".into()),
                        escrows_outstanding: 5000,
                        escrow_retries: 12,
                        retries_429: 3,
                        given_up: 1,
                    }),
                },
                Suite {
                    name: "scenarios/steady/drops_title.toml".into(),
                    dialect: Some("compliant".into()),
                    cases: vec![Case {
                        name: "steady".into(),
                        outcome: Outcome::Fail,
                        detail: "not steady after 3 passes".into(),
                        findings: vec![Finding {
                            severity: Severity::Error,
                            kind: "not_steady".into(),
                            message: "`title` re-sent every pass: sent \"Engineer\", endpoint returned nothing".into(),
                            hint: Some("store `title` and return it on GET".into()),
                            evidence: Some(evidence),
                        }],
                        duration_ms: 20,
                    }],
                    duration_ms: 20,
                    error: None,
                    status: None,
                },
                Suite {
                    name: "scenarios/auth/wrong_token.toml".into(),
                    dialect: None,
                    cases: vec![],
                    duration_ms: 1,
                    error: Some("target refused the token: 401 for GET /Users?filter=…".into()),
                    status: None,
                },
            ],
        }
    }
}
