//! Attribute-based scoping filters (ENTRA.md 4.3): clauses AND-ed within a filter, filters OR-ed, every
//! operator of the portal list, and the rule that a clause on a null or empty attribute is false (except
//! `IS NULL` / `IS NOT NULL`).

use std::fmt;

use serde::Serialize;

use super::catalog::{self, ObjectKind};
use super::functions::dotnet_regex;
use super::value::{SourceObject, Value};

/// The scoping filters of one object mapping; empty = every object is in scope.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ScopingFilters {
    /// Filters, OR-ed.
    pub filters: Vec<ScopingFilter>,
}

/// One scoping filter: its clauses are AND-ed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopingFilter {
    /// The name shown in the portal.
    pub title: String,
    /// Clauses, AND-ed.
    pub clauses: Vec<ScopingClause>,
}

/// `attribute OPERATOR value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopingClause {
    /// Source attribute name.
    pub attribute: String,
    /// Operator.
    pub operator: ScopeOperator,
    /// Compared value (empty for unary operators).
    pub value: String,
}

/// Scoping filter operators (the portal list).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub enum ScopeOperator {
    /// `&`: bitwise AND of integers is non-zero; for text, the attribute occurs in the value.
    BitAnd,
    /// `!&`: negation of `&`.
    NotBitAnd,
    /// `ENDS_WITH` (case-sensitive).
    EndsWith,
    /// `EQUALS` (case-sensitive).
    Equals,
    /// `Greater_Than` (integers).
    GreaterThan,
    /// `Greater_Than_OR_EQUALS` (integers).
    GreaterThanOrEquals,
    /// `Includes` (case-sensitive substring).
    Includes,
    /// `IS FALSE`.
    IsFalse,
    /// `IS NOT NULL`.
    IsNotNull,
    /// `IS NULL`.
    IsNull,
    /// `IS TRUE`.
    IsTrue,
    /// `NOT EQUALS` (case-sensitive).
    NotEquals,
    /// `NOT REGEX MATCH`.
    NotRegexMatch,
    /// `REGEX MATCH` (partial match, case-sensitive).
    RegexMatch,
}

const OPERATORS: &[(ScopeOperator, &str)] = &[
    (ScopeOperator::BitAnd, "&"),
    (ScopeOperator::NotBitAnd, "!&"),
    (ScopeOperator::EndsWith, "ENDS_WITH"),
    (ScopeOperator::Equals, "EQUALS"),
    (ScopeOperator::GreaterThan, "Greater_Than"),
    (ScopeOperator::GreaterThanOrEquals, "Greater_Than_OR_EQUALS"),
    (ScopeOperator::Includes, "Includes"),
    (ScopeOperator::IsFalse, "IS FALSE"),
    (ScopeOperator::IsNotNull, "IS NOT NULL"),
    (ScopeOperator::IsNull, "IS NULL"),
    (ScopeOperator::IsTrue, "IS TRUE"),
    (ScopeOperator::NotEquals, "NOT EQUALS"),
    (ScopeOperator::NotRegexMatch, "NOT REGEX MATCH"),
    (ScopeOperator::RegexMatch, "REGEX MATCH"),
];

fn squash(s: &str) -> String {
    s.chars().filter(|c| !matches!(c, ' ' | '_' | '-')).flat_map(char::to_uppercase).collect()
}

impl ScopeOperator {
    /// Parses an operator name in any case, with spaces or underscores (`IS NOT NULL`, `is_not_null`,
    /// `Greater_Than_OR_EQUALS`, `NotEquals` as Graph writes it).
    pub fn parse(name: &str) -> Option<ScopeOperator> {
        let key = squash(name);
        let alias = match key.as_str() {
            "NULL" => Some(ScopeOperator::IsNull),
            "NOTNULL" => Some(ScopeOperator::IsNotNull),
            "CONTAINS" => Some(ScopeOperator::Includes),
            "REGEX" => Some(ScopeOperator::RegexMatch),
            _ => None,
        };
        alias.or_else(|| OPERATORS.iter().find(|(_, n)| squash(n) == key).map(|(op, _)| *op))
    }

    /// The portal's name.
    pub fn name(self) -> &'static str {
        OPERATORS.iter().find(|(op, _)| *op == self).map_or("", |(_, n)| n)
    }

    /// Every portal name, for suggestions.
    pub fn names() -> impl Iterator<Item = &'static str> {
        OPERATORS.iter().map(|(_, n)| *n)
    }

    /// True for operators without a value.
    pub fn is_unary(self) -> bool {
        matches!(
            self,
            ScopeOperator::IsFalse | ScopeOperator::IsTrue | ScopeOperator::IsNull | ScopeOperator::IsNotNull
        )
    }
}

impl fmt::Display for ScopeOperator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The result of evaluating the scoping filters for one object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScopeVerdict {
    /// True when the object is in scope.
    pub in_scope: bool,
    /// Every clause with its outcome, in filter order (shown like on-demand provisioning does).
    pub clauses: Vec<ClauseResult>,
}

/// One evaluated clause.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClauseResult {
    /// Title of the filter the clause belongs to.
    pub title: String,
    /// Source attribute.
    pub attribute: String,
    /// Operator name.
    pub operator: String,
    /// Compared value.
    pub value: String,
    /// Whether the clause held.
    pub passed: bool,
}

impl ScopingFilters {
    /// True when there are no filters.
    pub fn is_empty(&self) -> bool {
        self.filters.is_empty()
    }

    /// Evaluates every clause of every filter; in scope when there are no filters or when every clause
    /// of at least one filter holds.
    pub fn evaluate(&self, src: &SourceObject) -> ScopeVerdict {
        let mut clauses = Vec::new();
        let mut in_scope = self.filters.is_empty();
        for filter in &self.filters {
            let mut all = true;
            for clause in &filter.clauses {
                let passed = clause.holds(src);
                all &= passed;
                clauses.push(ClauseResult {
                    title: filter.title.clone(),
                    attribute: clause.attribute.clone(),
                    operator: clause.operator.name().to_string(),
                    value: clause.value.clone(),
                    passed,
                });
            }
            in_scope |= all;
        }
        ScopeVerdict { in_scope, clauses }
    }
}

fn as_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        other => match other.to_text()?.trim().to_ascii_lowercase().as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        },
    }
}

impl ScopingClause {
    /// Whether the clause holds for `src`.
    pub fn holds(&self, src: &SourceObject) -> bool {
        let v = &super::eval::attribute(src, &self.attribute);
        match self.operator {
            ScopeOperator::IsNull => return v.is_null_or_empty(),
            ScopeOperator::IsNotNull => return !v.is_null_or_empty(),
            _ if v.is_null_or_empty() => return false,
            _ => {}
        }
        let text = v.to_text().unwrap_or_default();
        let ints = || Some((text.trim().parse::<i64>().ok()?, self.value.trim().parse::<i64>().ok()?));
        match self.operator {
            ScopeOperator::IsTrue => as_bool(v) == Some(true),
            ScopeOperator::IsFalse => as_bool(v) == Some(false),
            ScopeOperator::Equals => self.equals(v, &text),
            ScopeOperator::NotEquals => !self.equals(v, &text),
            ScopeOperator::EndsWith => text.ends_with(&self.value),
            ScopeOperator::Includes => text.contains(&self.value),
            ScopeOperator::GreaterThan => ints().is_some_and(|(a, b)| a > b),
            ScopeOperator::GreaterThanOrEquals => ints().is_some_and(|(a, b)| a >= b),
            ScopeOperator::RegexMatch => dotnet_regex(&self.value).is_ok_and(|re| re.is_match(&text)),
            ScopeOperator::NotRegexMatch => dotnet_regex(&self.value).is_ok_and(|re| !re.is_match(&text)),
            ScopeOperator::BitAnd => self.bit_and(&text),
            ScopeOperator::NotBitAnd => !self.bit_and(&text),
            ScopeOperator::IsNull | ScopeOperator::IsNotNull => false,
        }
    }

    /// Case-sensitive, except that boolean attributes compare to `true`/`false` in any case.
    fn equals(&self, v: &Value, text: &str) -> bool {
        match v {
            Value::Bool(b) => as_bool(&Value::Str(self.value.clone())) == Some(*b),
            _ => text == self.value,
        }
    }

    fn bit_and(&self, text: &str) -> bool {
        match (text.trim().parse::<i64>(), self.value.trim().parse::<i64>()) {
            (Ok(a), Ok(b)) => a & b != 0,
            _ => self.value.contains(text),
        }
    }

    /// Problems Entra would reject or silently mis-evaluate: unknown or unsupported attributes (multi-valued,
    /// `manager`, `members`, dates…), non-integer values for `Greater_Than*`, invalid regexes, missing
    /// values. Each is `(message, label)`; `kind` selects the attribute list.
    pub fn problems(&self, kind: ObjectKind) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let a = &self.attribute;
        if !catalog::is_known_attribute(kind, a) {
            let label = crate::diagnostic::did_you_mean(a, kind.attributes().iter().copied())
                .map_or_else(|| "not a source attribute".to_string(), |s| format!("did you mean `{s}`?"));
            out.push((format!("unknown scoping attribute `{a}`"), label));
        } else if catalog::MULTI_VALUED.iter().chain(catalog::UNSCOPABLE).any(|u| u.eq_ignore_ascii_case(a)) {
            out.push((
                format!("`{a}` cannot be used in a scoping filter"),
                "Entra does not support multi-valued, reference or date attributes in scoping filters".to_string(),
            ));
        }
        match self.operator {
            ScopeOperator::GreaterThan | ScopeOperator::GreaterThanOrEquals
                if self.value.trim().parse::<i64>().is_err() =>
            {
                out.push((
                    format!("`{}` needs an integer value, found \"{}\"", self.operator, self.value),
                    "an invalid filter in Entra".to_string(),
                ));
            }
            ScopeOperator::RegexMatch | ScopeOperator::NotRegexMatch => {
                if let Err(e) = dotnet_regex(&self.value) {
                    out.push((
                        format!("invalid regex \"{}\"", self.value),
                        e.to_string().lines().last().unwrap_or("").to_string(),
                    ));
                }
            }
            op if !op.is_unary() && self.value.is_empty() => {
                out.push((format!("`{op}` needs a value"), "binary operator without a value".to_string()));
            }
            _ => {}
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clause(attribute: &str, op: &str, value: &str) -> ScopingClause {
        ScopingClause {
            attribute: attribute.into(),
            operator: ScopeOperator::parse(op).expect(op),
            value: value.into(),
        }
    }

    fn user() -> SourceObject {
        SourceObject::from_json(&serde_json::json!({
            "department": "Engineering", "mail": "a@contoso.com", "accountEnabled": true,
            "extensionAttribute1": "12", "jobTitle": ""
        }))
    }

    #[test]
    fn every_operator() {
        let u = user();
        let cases = [
            ("department", "EQUALS", "Engineering", true),
            ("department", "EQUALS", "engineering", false),
            ("department", "NOT EQUALS", "Sales", true),
            ("mail", "ENDS_WITH", "@contoso.com", true),
            ("mail", "Includes", "contoso", true),
            ("mail", "Includes", "CONTOSO", false),
            ("mail", "REGEX MATCH", ".*@contoso.com", true),
            ("mail", "NOT REGEX MATCH", ".*@fabrikam.com", true),
            ("extensionAttribute1", "Greater_Than", "11", true),
            ("extensionAttribute1", "Greater_Than", "12", false),
            ("extensionAttribute1", "Greater_Than_OR_EQUALS", "12", true),
            ("extensionAttribute1", "&", "4", true),
            ("extensionAttribute1", "!&", "1", true),
            ("accountEnabled", "IS TRUE", "", true),
            ("accountEnabled", "IS FALSE", "", false),
            ("accountEnabled", "EQUALS", "True", true),
            ("jobTitle", "IS NULL", "", true),
            ("mail", "IS NOT NULL", "", true),
            ("manager", "IS NULL", "", true),
        ];
        for (attr, op, value, expected) in cases {
            assert_eq!(clause(attr, op, value).holds(&u), expected, "{attr} {op} {value}");
        }
    }

    #[test]
    fn null_and_empty_attributes_fail_every_value_operator() {
        let u = user();
        for op in ["EQUALS", "NOT EQUALS", "NOT REGEX MATCH", "Includes", "IS TRUE", "IS FALSE", "!&"] {
            assert!(!clause("jobTitle", op, "x").holds(&u), "{op} on empty");
            assert!(!clause("city", op, "x").holds(&u), "{op} on null");
        }
    }

    #[test]
    fn operator_names_accept_case_variants() {
        assert_eq!(ScopeOperator::parse("is not null"), Some(ScopeOperator::IsNotNull));
        assert_eq!(ScopeOperator::parse("NOT_EQUALS"), Some(ScopeOperator::NotEquals));
        assert_eq!(ScopeOperator::parse("greater_than_or_equals"), Some(ScopeOperator::GreaterThanOrEquals));
        assert_eq!(ScopeOperator::parse("REGEXMATCH"), Some(ScopeOperator::RegexMatch));
        assert_eq!(ScopeOperator::parse("STARTS_WITH"), None);
    }

    #[test]
    fn filters_are_or_of_ands() {
        let scope = ScopingFilters {
            filters: vec![
                ScopingFilter { title: "sales".into(), clauses: vec![clause("department", "EQUALS", "Sales")] },
                ScopingFilter {
                    title: "eng".into(),
                    clauses: vec![
                        clause("department", "EQUALS", "Engineering"),
                        clause("accountEnabled", "IS TRUE", ""),
                    ],
                },
            ],
        };
        let v = scope.evaluate(&user());
        assert!(v.in_scope);
        assert_eq!(v.clauses.iter().map(|c| c.passed).collect::<Vec<_>>(), [false, true, true]);
        assert!(ScopingFilters::default().evaluate(&SourceObject::new()).in_scope);
        assert!(!scope.evaluate(&SourceObject::new()).in_scope);
    }

    #[test]
    fn unsupported_clauses_are_flagged() {
        let p = |c: ScopingClause| c.problems(ObjectKind::User).into_iter().map(|(m, _)| m).collect::<Vec<_>>();
        assert_eq!(p(clause("manager", "IS NOT NULL", "")), ["`manager` cannot be used in a scoping filter"]);
        assert_eq!(
            p(clause("proxyAddresses", "Includes", "x")),
            ["`proxyAddresses` cannot be used in a scoping filter"]
        );
        assert_eq!(
            p(clause("department", "Greater_Than", "ten")),
            ["`Greater_Than` needs an integer value, found \"ten\""]
        );
        assert_eq!(p(clause("departmnt", "EQUALS", "x")), ["unknown scoping attribute `departmnt`"]);
        assert_eq!(p(clause("mail", "REGEX MATCH", "(")), ["invalid regex \"(\""]);
        assert!(p(clause("mail", "EQUALS", "a")).is_empty());
    }
}
