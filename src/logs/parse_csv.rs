//! The admin center CSV download: `ProvisioningLogs…csv` (one row per event, no steps or modified
//! properties), `ProvisioningLogs_ProvisioningSteps…csv` and `ProvisioningLogs_ModifiedProperties…csv`
//! (one row per step / property), joined on the change id. Microsoft does not publish the column headers,
//! so headers are matched after dropping case, spaces and punctuation, under several names each (the
//! portal's column titles and the Graph property names); `docs/provisioning-logs.md` lists them.

use std::collections::HashMap;

use csv::{ReaderBuilder, StringRecord};

use super::model::{
    normalize_category, parse_time, Action, ErrorInfo, Identity, LogRecord, ModifiedProperty, Status, Step, StepType,
};
use super::parse_json::details;
use crate::diagnostic::{Diagnostic, SourceFile, Span};

/// The three files of one download; only the main one is required.
pub(crate) struct CsvFiles<'a> {
    /// `ProvisioningLogs…csv`.
    pub main: &'a SourceFile,
    /// `ProvisioningLogs_ProvisioningSteps…csv`.
    pub steps: Option<&'a SourceFile>,
    /// `ProvisioningLogs_ModifiedProperties…csv`.
    pub properties: Option<&'a SourceFile>,
}

/// Which of the three files a header row belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CsvKind {
    /// Events.
    Main,
    /// Provisioning steps.
    Steps,
    /// Modified properties.
    Properties,
}

const TIME: &[&str] = &["activitydatetime", "dateutc", "date", "datetime", "timegenerated", "timestamp"];
const CHANGE: &[&str] = &["changeid"];
const CYCLE: &[&str] = &["cycleid"];
const STATUS: &[&str] = &["status", "provisioningstatusinfostatus", "statusinfostatus", "resulttype"];
const STEP_TYPE: &[&str] = &["provisioningsteptype", "steptype", "type"];
const PROP_NAME: &[&str] = &["displayname", "propertyname", "property", "attribute", "name"];

/// Guesses which file a header row is from.
pub(crate) fn kind_of(headers: &[String]) -> Option<CsvKind> {
    let has = |names: &[&str]| headers.iter().any(|h| names.contains(&normalize(h).as_str()));
    if has(CYCLE) && has(TIME) {
        Some(CsvKind::Main)
    } else if has(CHANGE) && has(STEP_TYPE) && has(&["description"]) {
        Some(CsvKind::Steps)
    } else if has(CHANGE) && has(&["oldvalue", "newvalue", "old", "new"]) {
        Some(CsvKind::Properties)
    } else {
        None
    }
}

/// Lowercase ASCII letters and digits only: `Date (UTC)` → `dateutc`.
pub(crate) fn normalize(header: &str) -> String {
    header.chars().filter(char::is_ascii_alphanumeric).collect::<String>().to_ascii_lowercase()
}

/// Reads the download; every problem is reported with its file and line.
pub(crate) fn parse(files: &CsvFiles<'_>) -> Result<Vec<LogRecord>, Vec<Diagnostic>> {
    let mut diagnostics = Vec::new();
    let main = Table::read(files.main, &mut diagnostics);
    if main.as_ref().is_some_and(|t| kind_of(&t.headers) != Some(CsvKind::Main)) {
        let kind = main.as_ref().and_then(|t| kind_of(&t.headers));
        let help = match kind {
            Some(CsvKind::Steps | CsvKind::Properties) => "this is a companion file: pass the main `ProvisioningLogs` CSV; its steps and modified-properties files are found next to it",
            _ => "expected the admin center `ProvisioningLogs` CSV, with `Cycle ID` and `Date (UTC)` columns",
        };
        return Err(vec![Diagnostic::error("not a provisioning log CSV")
            .at(files.main, Span::new(0, files.main.text.find('\n').unwrap_or(files.main.text.len())))
            .with_label("header row")
            .with_help(help)]);
    }
    let steps = files.steps.and_then(|f| Table::read(f, &mut diagnostics));
    let props = files.properties.and_then(|f| Table::read(f, &mut diagnostics));
    let Some(main) = main else { return Err(diagnostics) };

    let mut steps_by_change: HashMap<String, Vec<Step>> = HashMap::new();
    if let Some(t) = &steps {
        for row in &t.rows {
            steps_by_change.entry(t.get(row, CHANGE)).or_default().push(Step {
                name: t.get(row, &["name", "stepname", "step"]),
                step_type: StepType::parse(&t.get(row, STEP_TYPE)),
                status: Status::parse(&t.get(row, &["status", "stepstatus"])),
                description: t.get(row, &["description"]),
                details: details(Some(&serde_json::Value::String(t.get(row, &["details"])))),
            });
        }
    }
    let mut props_by_change: HashMap<String, Vec<ModifiedProperty>> = HashMap::new();
    if let Some(t) = &props {
        for row in &t.rows {
            props_by_change.entry(t.get(row, CHANGE)).or_default().push(ModifiedProperty {
                name: t.get(row, PROP_NAME),
                old_value: Some(t.get(row, &["oldvalue", "old"])).filter(|s| !s.is_empty()),
                new_value: Some(t.get(row, &["newvalue", "new"])).filter(|s| !s.is_empty()),
            });
        }
    }

    let mut records = Vec::new();
    for row in &main.rows {
        let change = main.get(row, CHANGE);
        let record = if change.is_empty() { format!("line {}", row.line) } else { format!("record `{change}`") };
        let mut missing = |names: &[&str], what: &str| {
            let v = main.get(row, names);
            if v.is_empty() {
                diagnostics.push(main.error(row, None, format!("{record}: missing {what}"), "this row"));
            }
            v
        };
        let cycle_id = missing(CYCLE, "`Cycle ID`");
        let change_id = missing(CHANGE, "`Change ID`");
        let time_text = missing(TIME, "`Date (UTC)`");
        let action_text = missing(&["provisioningaction", "action"], "`Action`");
        let status_text = missing(STATUS, "`Status`");
        let time = parse_time(&time_text);
        if time.is_none() && !time_text.is_empty() {
            let msg = format!("{record}: `{time_text}` is not a timestamp");
            diagnostics.push(main.error(row, Some(&time_text), msg, "expected e.g. 2026-11-20T08:00:05Z"));
        }
        let status = Status::parse(&status_text);
        if status.is_none() && !status_text.is_empty() {
            let msg = format!("{record}: unknown status `{status_text}`");
            diagnostics.push(main.error(row, Some(&status_text), msg, "expected Success, Failure, Skipped or Warning"));
        }
        let (Some(activity_date_time), Some(status)) = (time, status) else { continue };
        if cycle_id.is_empty() || change_id.is_empty() || action_text.is_empty() {
            continue;
        }
        let opt = |names: &[&str]| Some(main.get(row, names)).filter(|s| !s.is_empty());
        let code = main.get(row, &["errorcode", "resultsignature"]);
        let reason = opt(&["statusreason", "reason", "errorreason", "resultdescription", "errordescription"]);
        let error = (!code.is_empty() || reason.is_some()).then(|| ErrorInfo {
            code,
            reason,
            category: opt(&["errorcategory"]).map(|c| normalize_category(&c)),
            recommended_action: opt(&["recommendedaction"]),
            additional_details: opt(&["additionaldetails"]),
        });
        records.push(LogRecord {
            id: main.get(row, &["id", "logid", "eventid"]),
            activity_date_time,
            job_id: main.get(row, &["jobid"]),
            action: Action::parse(&action_text),
            status,
            error,
            source: main.identity(row, "source"),
            target: main.identity(row, "target"),
            modified_properties: props_by_change.remove(&change_id).unwrap_or_default(),
            steps: steps_by_change.remove(&change_id).unwrap_or_default(),
            duration_ms: main.get(row, &["durationinmilliseconds", "durationms", "duration"]).trim().parse().ok(),
            source_system: opt(&["sourcesystem", "sourcesystemname", "sourcesystemdisplayname"]),
            target_system: opt(&["targetsystem", "targetsystemname", "targetsystemdisplayname"]),
            tenant_id: opt(&["tenantid"]),
            cycle_id,
            change_id,
        });
    }
    if diagnostics.iter().any(Diagnostic::is_error) {
        Err(diagnostics)
    } else {
        Ok(records)
    }
}

struct Row {
    fields: StringRecord,
    /// Byte offset of the row in the file text.
    offset: usize,
    /// 1-based line of the row.
    line: u64,
}

struct Table<'a> {
    file: &'a SourceFile,
    headers: Vec<String>,
    index: HashMap<String, usize>,
    rows: Vec<Row>,
}

impl<'a> Table<'a> {
    fn read(file: &'a SourceFile, diagnostics: &mut Vec<Diagnostic>) -> Option<Table<'a>> {
        let bom = if file.text.starts_with('\u{feff}') { '\u{feff}'.len_utf8() } else { 0 };
        let text = file.text.get(bom..).unwrap_or_default();
        let mut reader = ReaderBuilder::new().flexible(false).from_reader(text.as_bytes());
        let headers: Vec<String> = match reader.headers() {
            Ok(h) => h.iter().map(str::to_string).collect(),
            Err(e) => {
                diagnostics.push(csv_error(file, bom, &e));
                return None;
            }
        };
        let mut index = HashMap::new();
        for (i, h) in headers.iter().enumerate() {
            index.entry(normalize(h)).or_insert(i);
        }
        let mut rows = Vec::new();
        for result in reader.records() {
            match result {
                Ok(fields) => {
                    let offset = fields.position().map_or(0, |p| p.byte() as usize) + bom;
                    let line = fields.position().map_or(0, |p| p.line());
                    rows.push(Row { fields, offset, line });
                }
                Err(e) => diagnostics.push(csv_error(file, bom, &e)),
            }
        }
        Some(Table { file, headers, index, rows })
    }

    /// The first of `names` that is a column, trimmed; empty when absent.
    fn get(&self, row: &Row, names: &[&str]) -> String {
        names
            .iter()
            .find_map(|n| self.index.get(*n))
            .and_then(|&i| row.fields.get(i))
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    }

    fn identity(&self, row: &Row, side: &str) -> Identity {
        let col = |suffixes: &[&str]| -> String {
            let names: Vec<String> = suffixes.iter().map(|s| format!("{side}{s}")).collect();
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            self.get(row, &names)
        };
        Identity {
            id: col(&["identityid", "id", "objectid"]),
            display_name: col(&["identityname", "identitydisplayname", "name", "displayname"]),
            identity_type: col(&["identitytype", "type"]),
            details: details(Some(&serde_json::Value::String(col(&["identitydetails", "details"])))),
        }
    }

    /// An error on `row`, underlining `value` when it is found on the row's line, else the whole line.
    fn error(&self, row: &Row, value: Option<&str>, message: String, label: &str) -> Diagnostic {
        let text = &self.file.text;
        let start = row.offset.min(text.len());
        let line_end = text.get(start..).and_then(|t| t.find('\n')).map_or(text.len(), |i| start + i);
        let span = value
            .filter(|v| !v.is_empty())
            .and_then(|v| {
                text.get(start..line_end).and_then(|line| line.find(v)).map(|i| (start + i, start + i + v.len()))
            })
            .map_or(Span::new(start, line_end), |(s, e)| Span::new(s, e));
        Diagnostic::error(message).at(self.file, span).with_label(label.to_string())
    }
}

fn csv_error(file: &SourceFile, bom: usize, e: &csv::Error) -> Diagnostic {
    let offset = e.position().map_or(0, |p| p.byte() as usize) + bom;
    let text = &file.text;
    let start = offset.min(text.len());
    let end = text.get(start..).and_then(|t| t.find('\n')).map_or(text.len(), |i| start + i);
    let message = match e.kind() {
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            format!("row has {len} fields but the header has {expected_len}")
        }
        csv::ErrorKind::Utf8 { .. } => "invalid UTF-8 in CSV".to_string(),
        _ => format!("invalid CSV: {e}"),
    };
    Diagnostic::error(message).at(file, Span::new(start, end)).with_label("this row")
}
