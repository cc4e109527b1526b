//! Scope verdicts from a record's scoping step: assignment, "active in source", scoping filter clauses
//! (`{title}.{attribute} {OPERATOR} '{value}'` → pass/fail) and the "sync all" setting.

use serde_json::Value;

use crate::logs::model::{LogRecord, StepType};

/// One evaluated scoping-filter clause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Clause {
    pub attribute: String,
    pub operator: String,
    pub value: String,
    pub passed: bool,
}

impl Clause {
    /// A source value that gives this clause's logged verdict, when one can be derived.
    pub fn satisfying_value(&self) -> Option<String> {
        let other = format!("{}-other", self.value);
        match (self.operator.to_ascii_uppercase().as_str(), self.passed) {
            ("EQUALS", true) | ("NOT EQUALS", false) => Some(self.value.clone()),
            ("EQUALS", false) | ("NOT EQUALS", true) => Some(other),
            ("IS TRUE", p) | ("IS FALSE", p) => {
                let is_true = self.operator.eq_ignore_ascii_case("IS TRUE");
                Some(if is_true == p { "True" } else { "False" }.to_string())
            }
            ("ENDS_WITH", true) => Some(format!("x{}", self.value)),
            ("ENDS_WITH", false) => Some(format!("{}x", self.value)),
            ("INCLUDES", true) => Some(self.value.clone()),
            _ => None,
        }
    }
}

/// What the scoping step says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Verdict {
    pub assigned: Option<bool>,
    pub active: Option<bool>,
    pub filters_passed: Option<bool>,
    pub clauses: Vec<Clause>,
    pub sync_all: Option<bool>,
}

const OPERATORS: [&str; 14] = [
    "NOT REGEX MATCH",
    "Greater_Than_OR_EQUALS",
    "REGEX MATCH",
    "NOT EQUALS",
    "IS NOT NULL",
    "Greater_Than",
    "ENDS_WITH",
    "IS FALSE",
    "Includes",
    "IS NULL",
    "IS TRUE",
    "EQUALS",
    "!&",
    "&",
];

pub(crate) fn verdict(r: &LogRecord) -> Verdict {
    let mut v = Verdict::default();
    let Some(step) = r.step(StepType::Scoping) else { return v };
    for (key, value) in &step.details {
        let k = key.to_ascii_lowercase();
        let b = parse_bool(value);
        if k.contains("scopeevaluationresult") {
            v.clauses = clauses(value);
        } else if k.contains("assigned") {
            v.assigned = b;
        } else if k.contains("active in") {
            v.active = b;
        } else if k.contains("scoping filter") {
            v.filters_passed = b;
        } else if k.contains("sync all") {
            v.sync_all = b;
        }
    }
    if v.filters_passed.is_none() && !v.clauses.is_empty() {
        v.filters_passed = Some(v.clauses.iter().all(|c| c.passed));
    }
    v
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "passed" => Some(true),
        "false" | "no" | "failed" => Some(false),
        _ => None,
    }
}

fn clauses(json: &str) -> Vec<Clause> {
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(json) else { return Vec::new() };
    map.iter()
        .filter_map(|(text, passed)| {
            let passed = passed.as_bool().or_else(|| passed.as_str().and_then(parse_bool))?;
            parse_clause(text, passed)
        })
        .collect()
}

/// `Marketing filter.department EQUALS 'Marketing'` → department, EQUALS, Marketing.
pub(crate) fn parse_clause(text: &str, passed: bool) -> Option<Clause> {
    let (at, op) = OPERATORS
        .iter()
        .filter_map(|op| text.find(&format!(" {op}")).map(|i| (i, *op)))
        .min_by_key(|(i, op)| (*i, usize::MAX - op.len()))?;
    let left = &text[..at];
    let attribute = left.rsplit('.').next().unwrap_or(left).trim().to_string();
    let rest = text.get(at + 1 + op.len()..).unwrap_or("").trim();
    let value = rest.trim_matches(|c| c == '\'' || c == '"').to_string();
    (!attribute.is_empty()).then(|| Clause { attribute, operator: op.to_string(), value, passed })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clause_text_splits_into_attribute_operator_and_value() {
        let c = parse_clause("Marketing department filter.department EQUALS 'Marketing'", true);
        assert_eq!(
            c,
            Some(Clause {
                attribute: "department".into(),
                operator: "EQUALS".into(),
                value: "Marketing".into(),
                passed: true
            })
        );
        let c = parse_clause("f.extensionAttribute1 NOT EQUALS 'x'", false);
        assert_eq!(c.map(|c| c.operator), Some("NOT EQUALS".to_string()));
    }

    /// The scoping step of a live tenant's log entry (`tenant::facts` writes its clauses in this form, and its
    /// test holds the form) reads back into a verdict.
    #[test]
    fn a_tenant_entrys_scoping_step_reads_back() {
        let entry = serde_json::json!({"value": [{
            "id": "e1", "activityDateTime": "2026-12-07T08:00:00Z", "cycleId": "c1", "changeId": "x1",
            "provisioningAction": "other", "provisioningStatusInfo": {"status": "skipped"},
            "sourceIdentity": {"id": "0b6f4a1e-2c3d-4e5f-8a9b-1c2d3e4f5a61", "displayName": "Ann", "identityType": "User"},
            "provisioningSteps": [{
                "name": "EntrySynchronizationScoping", "provisioningStepType": "scoping", "status": "skipped",
                "description": "Determine if User in scope by evaluating against each scoping filter",
                "details": {
                    "Active in the source system": "True",
                    "Assigned to the application": "False",
                    "Scope sync all": "False",
                    "Scoping filter evaluation passed": "False",
                    "ScopeEvaluationResult":
                        "{\"Engineers.department EQUALS 'Engineering'\":false,\"Active.accountEnabled IS TRUE\":true}"
                }
            }]
        }]});
        let read = crate::logs::parse_str("tenant.json", &entry.to_string()).expect("a Graph log");
        let record = &read.records[0];
        let v = verdict(record);
        assert_eq!(
            (v.active, v.assigned, v.sync_all, v.filters_passed),
            (Some(true), Some(false), Some(false), Some(false))
        );
        let clauses: Vec<_> =
            v.clauses.iter().map(|c| (c.attribute.as_str(), c.operator.as_str(), c.value.as_str(), c.passed)).collect();
        assert_eq!(clauses, [("department", "EQUALS", "Engineering", false), ("accountEnabled", "IS TRUE", "", true)]);
    }
}
