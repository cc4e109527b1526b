//! One object's story across cycles, for tickets about a single user ("user X never gets updated"):
//! every logged event for objects whose id, display name or logged values contain a search text.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::model::{serialize_time, Action, LogRecord, Status};
use super::summary::{display_name, group_cycles};

/// The events of one object, in time order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct History {
    /// Source object id (or the display name when the logs carry no id).
    pub object: String,
    /// Display name.
    pub display_name: String,
    /// Events in time order.
    pub events: Vec<HistoryEvent>,
}

/// One logged event of the object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HistoryEvent {
    /// 1-based cycle number (cycles ordered by time over the whole log).
    pub cycle: usize,
    /// When.
    #[serde(serialize_with = "serialize_time")]
    pub time: DateTime<Utc>,
    /// What was done.
    pub action: Action,
    /// Outcome.
    pub status: Status,
    /// Error code, if any.
    pub error_code: Option<String>,
    /// `name: old → new` for each modified property.
    pub changes: Vec<String>,
}

/// Histories of every object matching `needle` (case-insensitive substring of the source or target id, the
/// display name, or a logged property value such as the UPN, in any of its records), in order of first
/// appearance.
pub fn history(records: &[LogRecord], needle: &str) -> Vec<History> {
    let needle = needle.to_lowercase();
    let matches = |r: &LogRecord| {
        let hit = |s: &str| !s.is_empty() && s.to_lowercase().contains(&needle);
        hit(&r.source.id)
            || hit(&r.target.id)
            || hit(&r.source.display_name)
            || r.modified_properties.iter().any(|p| [&p.old_value, &p.new_value].into_iter().flatten().any(|v| hit(v)))
    };
    let key = |r: &LogRecord| if r.source.id.is_empty() { display_name(r) } else { r.source.id.clone() };
    // An object matches when any of its records does; then all of its records are shown.
    let wanted: std::collections::HashSet<String> =
        records.iter().filter(|r| !needle.is_empty() && matches(r)).map(key).collect();
    let mut out: Vec<History> = Vec::new();
    for (n, (_, recs)) in group_cycles(records).iter().enumerate() {
        for r in recs.iter().filter(|r| wanted.contains(&key(r))) {
            let key = key(r);
            let event = HistoryEvent {
                cycle: n + 1,
                time: r.activity_date_time,
                action: r.action,
                status: r.status,
                error_code: r.error_code().map(str::to_string),
                changes: r
                    .modified_properties
                    .iter()
                    .map(|p| {
                        let old = p.old_value.as_deref().unwrap_or("(none)");
                        let new = p.new_value.as_deref().unwrap_or("(none)");
                        format!("{}: {old} → {new}", p.name)
                    })
                    .collect(),
            };
            match out.iter_mut().find(|h| h.object == key) {
                Some(h) => h.events.push(event),
                None => out.push(History { object: key, display_name: display_name(r), events: vec![event] }),
            }
        }
    }
    out
}

impl History {
    /// The history as text, one line per event and one indented line per changed property.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "{} ({})", self.display_name, self.object);
        for e in &self.events {
            let code = e.error_code.as_deref().map(|c| format!(" {c}")).unwrap_or_default();
            let _ = writeln!(
                out,
                "  cycle {} {}  {} {}{code}",
                e.cycle,
                e.time.format("%Y-%m-%d %H:%M:%S"),
                e.action.as_str(),
                e.status.as_str()
            );
            for c in &e.changes {
                let _ = writeln!(out, "      {c}");
            }
        }
        out
    }
}
