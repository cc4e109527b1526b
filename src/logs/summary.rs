//! `logs summarize`: per-cycle counts by action and status, the top error codes with their meaning and
//! fix, and hints about escrows, quarantine, accidental-deletion prevention and objects that never settle.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use crate::paint::Paint;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::codes::{lookup, Retry};
use super::model::{serialize_time, Action, LogRecord, Status};

/// Escrow thresholds from ENTRA.md 6.5 ("subject to change").
const ESCROW_EVALUATION_START: usize = 5_000;
const ESCROW_PROPORTION: f64 = 0.40;
const ESCROW_TOTAL: usize = 40_000;
const AUTH_CODES: [&str; 4] = ["Unauthorized", "InsufficientRights", "NotPermitted", "MethodNotAllowed"];

/// What the logs say, cycle by cycle.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Version of this JSON shape ([`Summary::SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// Number of records.
    pub records: usize,
    /// Distinct job ids, sorted.
    pub jobs: Vec<String>,
    /// Cycles in time order.
    pub cycles: Vec<CycleSummary>,
    /// Error codes over all cycles, most frequent first.
    pub errors: Vec<ErrorCount>,
    /// Escrow, quarantine and steady-state hints.
    pub hints: Vec<Hint>,
}

/// One cycle.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CycleSummary {
    /// 1-based position in time order.
    pub number: usize,
    /// The cycle id.
    pub cycle_id: String,
    /// First record's time.
    #[serde(serialize_with = "serialize_time")]
    pub start: DateTime<Utc>,
    /// Last record's time.
    #[serde(serialize_with = "serialize_time")]
    pub end: DateTime<Utc>,
    /// Number of records.
    pub records: usize,
    /// Counts per action (only actions that occur), in display order.
    pub actions: Vec<ActionCount>,
    /// Error codes in this cycle, most frequent first.
    pub errors: Vec<ErrorCount>,
}

/// Counts of one action by status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActionCount {
    /// The action.
    pub action: Action,
    /// Succeeded.
    pub success: usize,
    /// Failed.
    pub failure: usize,
    /// Skipped.
    pub skipped: usize,
    /// Warnings.
    pub warning: usize,
}

/// One error code and how often it occurred.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorCount {
    /// The code as logged.
    pub code: String,
    /// Occurrences.
    pub count: usize,
    /// HTTP status it usually stands for.
    pub http: Option<u16>,
    /// What it means (unknown codes: `None`).
    pub meaning: Option<&'static str>,
    /// The usual fix.
    pub fix: Option<&'static str>,
    /// How Entra retries it.
    pub retry: Option<Retry>,
    /// Up to three affected objects (display names).
    pub examples: Vec<String>,
}

/// Kind of hint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum HintKind {
    /// Failed objects are escrowed and retried next cycle.
    Escrow,
    /// The job is (or will be) quarantined.
    Quarantine,
    /// Accidental-deletion prevention held deletes back.
    AccidentalDeletion,
    /// The same objects are updated or created again every cycle.
    NotSteady,
    /// The same object keeps failing with the same code.
    RepeatedFailure,
}

/// A hint about what the logs imply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hint {
    /// Kind.
    pub kind: HintKind,
    /// The cycle it is about (1-based), if one.
    pub cycle: Option<usize>,
    /// One line.
    pub message: String,
}

/// Summarises records (any order).
pub fn summarize(records: &[LogRecord]) -> Summary {
    let cycles = group_cycles(records);
    let mut jobs: Vec<String> = records.iter().map(|r| r.job_id.clone()).filter(|j| !j.is_empty()).collect();
    jobs.sort();
    jobs.dedup();
    let summaries: Vec<CycleSummary> =
        cycles.iter().enumerate().map(|(i, (id, recs))| cycle_summary(i + 1, id, recs)).collect();
    let all: Vec<&LogRecord> = cycles.iter().flat_map(|(_, r)| r.iter().copied()).collect();
    let mut hints = Vec::new();
    for (i, (_, recs)) in cycles.iter().enumerate() {
        cycle_hints(i + 1, recs, &cycles[i + 1..], &mut hints);
    }
    threshold_hints(&all, &mut hints);
    steady_hints(&cycles, &mut hints);
    Summary {
        schema_version: Summary::SCHEMA_VERSION,
        records: records.len(),
        jobs,
        cycles: summaries,
        errors: error_counts(&all),
        hints,
    }
}

/// Records grouped by cycle id; cycles and records ordered by time.
pub(crate) fn group_cycles(records: &[LogRecord]) -> Vec<(String, Vec<&LogRecord>)> {
    let mut by_cycle: HashMap<&str, Vec<&LogRecord>> = HashMap::new();
    for r in records {
        by_cycle.entry(r.cycle_id.as_str()).or_default().push(r);
    }
    let mut cycles: Vec<(String, Vec<&LogRecord>)> = by_cycle
        .into_iter()
        .map(|(id, mut recs)| {
            recs.sort_by(|a, b| a.activity_date_time.cmp(&b.activity_date_time).then(a.change_id.cmp(&b.change_id)));
            (id.to_string(), recs)
        })
        .collect();
    cycles.sort_by(|a, b| {
        let first = |c: &(String, Vec<&LogRecord>)| c.1.first().map(|r| r.activity_date_time);
        first(a).cmp(&first(b)).then(a.0.cmp(&b.0))
    });
    cycles
}

fn cycle_summary(number: usize, id: &str, recs: &[&LogRecord]) -> CycleSummary {
    let mut actions: BTreeMap<Action, ActionCount> = BTreeMap::new();
    for r in recs {
        let c = actions.entry(r.action).or_insert(ActionCount {
            action: r.action,
            success: 0,
            failure: 0,
            skipped: 0,
            warning: 0,
        });
        match r.status {
            Status::Success => c.success += 1,
            Status::Failure => c.failure += 1,
            Status::Skipped => c.skipped += 1,
            Status::Warning => c.warning += 1,
        }
    }
    let actions = Action::ALL.iter().filter_map(|a| actions.remove(a)).collect();
    CycleSummary {
        number,
        cycle_id: id.to_string(),
        start: recs.first().map(|r| r.activity_date_time).unwrap_or_default(),
        end: recs.last().map(|r| r.activity_date_time).unwrap_or_default(),
        records: recs.len(),
        actions,
        errors: error_counts(recs),
    }
}

fn error_counts(recs: &[&LogRecord]) -> Vec<ErrorCount> {
    let mut counts: BTreeMap<&str, (usize, Vec<String>)> = BTreeMap::new();
    for r in recs.iter().filter(|r| r.status != Status::Success) {
        if let Some(code) = r.error_code() {
            let e = counts.entry(code).or_default();
            e.0 += 1;
            let name = display_name(r);
            if e.1.len() < 3 && !e.1.contains(&name) {
                e.1.push(name);
            }
        }
    }
    let mut out: Vec<ErrorCount> = counts
        .into_iter()
        .map(|(code, (count, examples))| {
            let info = lookup(code);
            ErrorCount {
                code: code.to_string(),
                count,
                http: info.and_then(|i| i.http),
                meaning: info.map(|i| i.meaning),
                fix: info.map(|i| i.fix),
                retry: info.map(|i| i.retry),
                examples,
            }
        })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then(a.code.cmp(&b.code)));
    out
}

pub(crate) fn display_name(r: &LogRecord) -> String {
    [&r.source.display_name, &r.target.display_name, &r.source.id]
        .into_iter()
        .find(|s| !s.is_empty())
        .cloned()
        .unwrap_or_else(|| r.change_id.clone())
}

fn same_object(a: &LogRecord, b: &LogRecord) -> bool {
    if a.source.id.is_empty() || b.source.id.is_empty() {
        display_name(a) == display_name(b)
    } else {
        a.source.id == b.source.id
    }
}

fn is_auth(code: &str) -> bool {
    AUTH_CODES.iter().any(|a| code.to_ascii_lowercase().ends_with(&a.to_ascii_lowercase()))
}

fn cycle_hints(n: usize, recs: &[&LogRecord], later: &[(String, Vec<&LogRecord>)], hints: &mut Vec<Hint>) {
    let failed: Vec<&&LogRecord> = recs.iter().filter(|r| r.status == Status::Failure).collect();
    let escrowed: Vec<&&&LogRecord> = failed
        .iter()
        .filter(|r| r.error_code().and_then(lookup).is_some_and(|i| i.retry == Retry::Transient))
        .collect();
    if !escrowed.is_empty() {
        let codes: Vec<&str> = escrowed.iter().filter_map(|r| r.error_code()).collect();
        let recovered = escrowed
            .iter()
            .filter(|r| {
                later.iter().flat_map(|(_, c)| c.iter()).any(|l| same_object(l, r) && l.status == Status::Success)
            })
            .count();
        let outcome = if later.is_empty() {
            String::new()
        } else {
            format!("; {recovered} of them succeeded in a later logged cycle")
        };
        hints.push(Hint {
            kind: HintKind::Escrow,
            cycle: Some(n),
            message: format!(
                "{} object(s) escrowed after transient errors ({}): Entra retries them in the next cycle, about 40 minutes later{outcome}",
                escrowed.len(),
                tally(&codes)
            ),
        });
    }
    let attempted = recs.iter().filter(|r| r.status != Status::Skipped && r.action != Action::Other).count();
    if failed.len() >= 3 && failed.len() == attempted {
        let codes: Vec<&str> = failed.iter().filter_map(|r| r.error_code()).collect();
        let auth = codes.iter().any(|c| is_auth(c));
        hints.push(Hint {
            kind: HintKind::Quarantine,
            cycle: Some(n),
            message: format!(
                "all {} attempted operations failed ({}): Entra quarantines a job whose calls consistently fail (EncounteredQuarantineException) and slows its cycles to once a day until the cause is fixed{}",
                failed.len(),
                tally(&codes),
                if auth { "; these are authorisation errors: renew the secret token and run Test Connection" } else { "" }
            ),
        });
    }
    let staged = recs.iter().filter(|r| r.action == Action::StagedDelete).count();
    if staged > 0 {
        hints.push(Hint {
            kind: HintKind::AccidentalDeletion,
            cycle: Some(n),
            message: format!(
                "{staged} delete(s)/disable(s) staged: the accidental-deletion threshold was exceeded, the job is quarantined (TooManyDeletes) until an admin allows the deletes or fixes the cause"
            ),
        });
    }
}

fn threshold_hints(all: &[&LogRecord], hints: &mut Vec<Hint>) {
    let failures = all.iter().filter(|r| r.status == Status::Failure).count();
    let events = all.iter().filter(|r| r.status != Status::Skipped).count().max(1);
    let rate = failures as f64 / events as f64;
    let reason = if failures > ESCROW_TOTAL {
        Some("EncounteredTotalEscrowThreshold")
    } else if failures >= ESCROW_EVALUATION_START && rate > ESCROW_PROPORTION {
        Some("EncounteredEscrowProportionThreshold")
    } else {
        None
    };
    if let Some(reason) = reason {
        hints.push(Hint {
            kind: HintKind::Quarantine,
            cycle: None,
            message: format!(
                "{failures} failures ({:.0}% of events): past the escrow thresholds, the job is quarantined ({reason})",
                rate * 100.0
            ),
        });
    } else if failures > 0 && rate > ESCROW_PROPORTION {
        hints.push(Hint {
            kind: HintKind::Quarantine,
            cycle: None,
            message: format!(
                "{:.0}% of events failed: at scale (from {ESCROW_EVALUATION_START} failures) more than 40% failures quarantines the job",
                rate * 100.0
            ),
        });
    }
}

fn steady_hints(cycles: &[(String, Vec<&LogRecord>)], hints: &mut Vec<Hint>) {
    // object key -> cycles in which it was updated with these properties / created / failed with a code
    let mut updates: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
    let mut creates: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut failures: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
    for (i, (_, recs)) in cycles.iter().enumerate() {
        for r in recs {
            let key = if r.source.id.is_empty() { display_name(r) } else { r.source.id.clone() };
            match (r.action, r.status) {
                (Action::Update, Status::Success) => {
                    let mut props: Vec<String> = r
                        .modified_properties
                        .iter()
                        .map(|p| format!("{}={}", p.name, p.new_value.as_deref().unwrap_or("")))
                        .collect();
                    props.sort();
                    updates.entry((key, props.join("; "))).or_default().push(i);
                }
                (Action::Create, Status::Success) => creates.entry(key).or_default().push(i),
                (_, Status::Failure) => {
                    failures.entry((key, r.error_code().unwrap_or("").to_string())).or_default().push(i)
                }
                _ => {}
            }
        }
    }
    let repeated: Vec<&(String, String)> = updates.iter().filter(|(_, c)| c.len() >= 2).map(|(k, _)| k).collect();
    if !repeated.is_empty() {
        let props: Vec<String> = repeated.iter().take(3).map(|(_, p)| p.clone()).collect();
        hints.push(Hint {
            kind: HintKind::NotSteady,
            cycle: None,
            message: format!(
                "{} object(s) received the same update in several cycles (e.g. {}): the endpoint does not keep or return what Entra writes, so Entra never reaches steady state (ENTRA.md 3.3)",
                repeated.len(),
                props.join(" | ")
            ),
        });
    }
    let recreated = creates.values().filter(|c| c.len() >= 2).count();
    if recreated > 0 {
        hints.push(Hint {
            kind: HintKind::NotSteady,
            cycle: None,
            message: format!("{recreated} object(s) were created again in a later cycle: matching does not find the objects Entra created (check the matching attribute and the endpoint's filter support)"),
        });
    }
    for ((_, code), in_cycles) in failures.iter().filter(|(_, c)| c.len() >= 2) {
        let code = if code.is_empty() { "no error code" } else { code };
        let list: Vec<String> = in_cycles.iter().map(|c| (c + 1).to_string()).collect();
        hints.push(Hint {
            kind: HintKind::RepeatedFailure,
            cycle: None,
            message: format!(
                "an object failed with {code} in cycles {}: retries keep failing until the cause is fixed",
                list.join(", ")
            ),
        });
    }
}

fn tally(codes: &[&str]) -> String {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for c in codes {
        *counts.entry(if c.is_empty() { "no code" } else { c }).or_default() += 1;
    }
    counts.iter().map(|(c, n)| format!("{c} ×{n}")).collect::<Vec<_>>().join(", ")
}

impl Summary {
    /// The current JSON shape: bumped when a field changes meaning or goes away.
    pub const SCHEMA_VERSION: u32 = 1;

    /// Renders the summary as text; `color` adds ANSI styles to the same text.
    pub fn render(&self, color: bool) -> String {
        let paint = Paint::new(color);
        let bold = |s: &str| paint.bold(s);
        let red = |s: &str| paint.red(s);
        let yellow = |s: &str| paint.yellow(s);
        let mut out = String::new();
        let span = match (self.cycles.first(), self.cycles.last()) {
            (Some(a), Some(b)) => {
                format!(", {} → {}", a.start.format("%Y-%m-%d %H:%M:%S"), b.end.format("%Y-%m-%d %H:%M:%S UTC"))
            }
            _ => String::new(),
        };
        let _ = writeln!(out, "{}", bold(&format!("{} records in {} cycle(s){span}", self.records, self.cycles.len())));
        for job in &self.jobs {
            let _ = writeln!(out, "job {job}");
        }
        for c in &self.cycles {
            let _ = writeln!(out);
            let _ = writeln!(
                out,
                "{}",
                bold(&format!(
                    "cycle {} ({})  {} → {}  {} record(s)",
                    c.number,
                    c.cycle_id,
                    c.start.format("%Y-%m-%d %H:%M:%S"),
                    c.end.format("%H:%M:%S"),
                    c.records
                ))
            );
            let _ = writeln!(out, "  {:<13}{:>8}{:>8}{:>8}{:>8}", "action", "success", "failure", "skipped", "warning");
            for a in &c.actions {
                let failure = format!("{:>8}", a.failure);
                let failure = if a.failure > 0 { red(&failure) } else { failure };
                let _ = writeln!(
                    out,
                    "  {:<13}{:>8}{failure}{:>8}{:>8}",
                    a.action.as_str(),
                    a.success,
                    a.skipped,
                    a.warning
                );
            }
            if !c.errors.is_empty() {
                let list: Vec<String> = c.errors.iter().map(|e| format!("{} ×{}", e.code, e.count)).collect();
                let _ = writeln!(out, "  errors: {}", red(&list.join(", ")));
            }
        }
        if !self.errors.is_empty() {
            let _ = writeln!(out);
            let _ = writeln!(out, "{}", bold("top error and skip codes"));
            for e in &self.errors {
                let http = e.http.map(|h| format!(" (HTTP {h})")).unwrap_or_default();
                let _ = writeln!(
                    out,
                    "  {}{http} ×{}: {}",
                    red(&e.code),
                    e.count,
                    e.meaning.unwrap_or("no description known")
                );
                if let Some(fix) = e.fix {
                    let _ = writeln!(out, "      fix: {fix}");
                }
                if !e.examples.is_empty() {
                    let _ = writeln!(out, "      e.g. {}", e.examples.join(", "));
                }
            }
        }
        if !self.hints.is_empty() {
            let _ = writeln!(out);
            let _ = writeln!(out, "{}", bold("hints"));
            for h in &self.hints {
                let kind =
                    serde_json::to_value(h.kind).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
                let cycle = h.cycle.map(|c| format!("cycle {c}: ")).unwrap_or_default();
                let _ = writeln!(out, "  {} {cycle}{}", yellow(&format!("[{kind}]")), h.message);
            }
        }
        out
    }
}
