//! JSON provisioning logs: Graph pages (`{"value": [...], "@odata.nextLink": ...}`), a bare array of records
//! or of pages, the admin center JSON download, and Azure Monitor rows (`{"properties": {...}}`). Keys are
//! looked up case-insensitively and under both their v1.0 and beta names, so one reader serves all of them.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::model::{
    normalize_category, parse_time, Action, ErrorInfo, Identity, LogFormat, LogRecord, ModifiedProperty, Status, Step,
    StepType,
};
use super::scan::value_spans;
use crate::diagnostic::{Diagnostic, SourceFile, Span};

/// Reads every record of a JSON log file; all problems are reported, each pointing at its record.
pub(crate) fn parse(file: &SourceFile) -> Result<(LogFormat, Vec<LogRecord>), Vec<Diagnostic>> {
    let root: Value = serde_json::from_str(&file.text).map_err(|e| vec![syntax_error(file, &e)])?;
    let items = record_values(&root).ok_or_else(|| {
        let end = file.text.trim_end().len().max(1);
        vec![Diagnostic::error("expected provisioning log records")
            .at(file, Span::new(0, end))
            .with_label("not a list of records")
            .with_help(
                "give a Graph response (`{\"value\": [...]}`), a JSON array of records, or an admin center download",
            )]
    })?;
    let format = detect(&root, &items);
    // Positions are only needed for diagnostics: scan the text for them only when something is wrong.
    let (records, diagnostics) = parse_items(file, &items, &HashMap::new());
    if diagnostics.is_empty() {
        return Ok((format, records));
    }
    let spans = value_spans(&file.text, 4);
    Err(parse_items(file, &items, &spans).1)
}

fn parse_items(
    file: &SourceFile,
    items: &[(String, &Value)],
    spans: &HashMap<String, Span>,
) -> (Vec<LogRecord>, Vec<Diagnostic>) {
    let mut records = Vec::new();
    let mut diagnostics = Vec::new();
    for (n, (path, value)) in items.iter().enumerate() {
        let ctx = Ctx { file, spans, path, number: n + 1 };
        match parse_record(&ctx, value) {
            Ok(r) => records.push(r),
            Err(d) => diagnostics.extend(d),
        }
    }
    (records, diagnostics)
}

fn syntax_error(file: &SourceFile, e: &serde_json::Error) -> Diagnostic {
    let line_start: usize = file.text.split_inclusive('\n').take(e.line().saturating_sub(1)).map(str::len).sum();
    let offset = (line_start + e.column().saturating_sub(1)).min(file.text.len());
    let message = e.to_string();
    let message = message.split(" at line ").next().unwrap_or(&message).to_string();
    Diagnostic::error(format!("invalid JSON: {message}")).at(file, Span::new(offset, offset + 1))
}

/// The records with their scanner paths: `[r, …]`, `{"value": [r, …]}`, `[{"value": […]}, …]` or one record.
fn record_values(root: &Value) -> Option<Vec<(String, &Value)>> {
    let mut out = Vec::new();
    match root {
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                match page_records(item) {
                    Some(inner) => {
                        let key = page_key(item);
                        out.extend(inner.iter().enumerate().map(|(j, r)| (format!("/{i}/{key}/{j}"), r)));
                    }
                    None => out.push((format!("/{i}"), item)),
                }
            }
        }
        Value::Object(map) => match page_records(root) {
            Some(inner) => {
                let key = page_key(root);
                out.extend(inner.iter().enumerate().map(|(j, r)| (format!("/{key}/{j}"), r)));
            }
            None if get(map, &["cycleId", "properties"]).is_some() => out.push((String::new(), root)),
            None => return None,
        },
        _ => return None,
    }
    Some(out)
}

fn page_records(v: &Value) -> Option<&Vec<Value>> {
    v.as_object().and_then(|m| get(m, &["value"])).and_then(Value::as_array)
}

fn page_key(v: &Value) -> String {
    v.as_object()
        .and_then(|m| m.keys().find(|k| k.eq_ignore_ascii_case("value")))
        .map_or_else(|| "value".to_string(), |k| k.to_ascii_lowercase())
}

fn detect(root: &Value, items: &[(String, &Value)]) -> LogFormat {
    if root.as_object().is_some_and(|m| get(m, &["value", "@odata.context"]).is_some()) {
        return LogFormat::GraphJson;
    }
    let graph_keys = items
        .iter()
        .filter_map(|(_, v)| v.as_object())
        .any(|m| get(m, &["provisioningAction", "provisioningStatusInfo"]).is_some());
    let paged = matches!(root, Value::Array(a) if a.iter().any(|i| page_records(i).is_some()));
    if graph_keys || paged {
        LogFormat::GraphJson
    } else {
        LogFormat::AdminCenterJson
    }
}

/// Case-insensitive lookup of the first of `keys` that is present and not null.
fn get<'a>(map: &'a Map<String, Value>, keys: &[&str]) -> Option<&'a Value> {
    keys.iter().find_map(|key| {
        map.get(*key)
            .or_else(|| map.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v))
            .filter(|v| !v.is_null())
    })
}

struct Ctx<'a> {
    file: &'a SourceFile,
    spans: &'a HashMap<String, Span>,
    path: &'a str,
    number: usize,
}

impl Ctx<'_> {
    fn span(&self, field: Option<&str>) -> Span {
        let record = self.spans.get(self.path).copied().unwrap_or_default();
        let Some(field) = field else { return record };
        let key = format!("{}/{}", self.path, field.to_ascii_lowercase());
        self.spans.get(&key).copied().unwrap_or(Span::new(record.start, record.start + 1))
    }

    fn error(&self, field: Option<&str>, message: String, label: &str) -> Diagnostic {
        Diagnostic::error(format!("record {}: {message}", self.number))
            .at(self.file, self.span(field))
            .with_label(label.to_string())
    }
}

fn parse_record(ctx: &Ctx<'_>, value: &Value) -> Result<LogRecord, Vec<Diagnostic>> {
    let Some(mut map) = value.as_object() else {
        return Err(vec![ctx.error(None, "expected an object".into(), "not a provisioning event")]);
    };
    // Azure Monitor / diagnostic-settings rows wrap the event in `properties`.
    if get(map, &["cycleId"]).is_none() {
        if let Some(inner) = get(map, &["properties"]).and_then(Value::as_object) {
            map = inner;
        }
    }
    let mut errors = Vec::new();
    let mut required = |keys: &[&str], what: &str| -> String {
        match get(map, keys).map(text_of) {
            Some(s) if !s.is_empty() => s,
            _ => {
                errors.push(ctx.error(None, format!("missing `{}`", keys[0]), &format!("this record has no {what}")));
                String::new()
            }
        }
    };
    let cycle_id = required(&["cycleId"], "cycle id");
    let change_id = required(&["changeId"], "change id");
    let time_text = required(&["activityDateTime", "timeGenerated"], "timestamp");
    let action_text = required(&["provisioningAction", "action"], "action");
    let (status, error) = status_of(map);
    let activity_date_time = parse_time(&time_text);
    if activity_date_time.is_none() && !time_text.is_empty() {
        errors.push(ctx.error(
            Some("activityDateTime"),
            format!("`{time_text}` is not a timestamp"),
            "expected ISO 8601, e.g. 2026-11-20T08:00:05Z",
        ));
    }
    let status = match status {
        Some(Ok(s)) => Some(s),
        Some(Err(text)) => {
            let field =
                if get(map, &["provisioningStatusInfo"]).is_some() { "provisioningStatusInfo" } else { "statusInfo" };
            errors.push(ctx.error(
                Some(field),
                format!("unknown status `{text}`"),
                "expected success, failure, skipped or warning",
            ));
            None
        }
        None => {
            errors.push(ctx.error(None, "missing `provisioningStatusInfo.status`".into(), "this record has no status"));
            None
        }
    };
    let modified_properties = list(ctx, map, &["modifiedProperties"], &mut errors, modified_property);
    let steps = list(ctx, map, &["provisioningSteps"], &mut errors, step);
    let (Some(activity_date_time), Some(status), true) = (activity_date_time, status, errors.is_empty()) else {
        return Err(errors);
    };
    Ok(LogRecord {
        id: get(map, &["id"]).map(text_of).unwrap_or_default(),
        activity_date_time,
        cycle_id,
        change_id,
        job_id: get(map, &["jobId"]).map(text_of).unwrap_or_default(),
        action: Action::parse(&action_text),
        status,
        error,
        source: identity(get(map, &["sourceIdentity"])),
        target: identity(get(map, &["targetIdentity"])),
        modified_properties,
        steps,
        duration_ms: get(map, &["durationInMilliseconds", "durationMs"])
            .and_then(|v| v.as_u64().or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))),
        source_system: system(get(map, &["sourceSystem"])),
        target_system: system(get(map, &["targetSystem"])),
        tenant_id: get(map, &["tenantId"]).map(text_of).filter(|s| !s.is_empty()),
    })
}

/// Status and error info from `provisioningStatusInfo` (v1.0), `statusInfo` (beta, download) or flat keys.
fn status_of(map: &Map<String, Value>) -> (Option<Result<Status, String>>, Option<ErrorInfo>) {
    let info = get(map, &["provisioningStatusInfo", "statusInfo"]);
    let status_text = match info {
        Some(Value::Object(o)) => get(o, &["status"]).map(text_of),
        Some(other) => Some(text_of(other)),
        None => get(map, &["status", "resultType"]).map(text_of),
    };
    let status = status_text.map(|t| Status::parse(&t).ok_or(t));
    let error_obj = match info {
        Some(Value::Object(o)) => match get(o, &["errorInformation", "errorInfo"]) {
            Some(Value::Object(e)) => Some(e),
            _ => Some(o),
        },
        _ => Some(map),
    };
    let error = error_obj.and_then(|e| {
        let code = get(e, &["errorCode", "resultSignature"]).map(text_of).unwrap_or_default();
        let opt = |keys: &[&str]| get(e, keys).map(text_of).filter(|s| !s.is_empty());
        let info = ErrorInfo {
            code,
            reason: opt(&["reason", "resultDescription"]),
            category: opt(&["errorCategory"]).map(|c| normalize_category(&c)),
            recommended_action: opt(&["recommendedAction"]),
            additional_details: opt(&["additionalDetails"]),
        };
        (!info.code.is_empty() || info.reason.is_some()).then_some(info)
    });
    (status, error)
}

fn list<T>(
    ctx: &Ctx<'_>,
    map: &Map<String, Value>,
    keys: &[&str],
    errors: &mut Vec<Diagnostic>,
    item: fn(&Map<String, Value>) -> T,
) -> Vec<T> {
    match get(map, keys) {
        None => Vec::new(),
        Some(Value::Array(items)) => {
            let mut out = Vec::new();
            for (i, v) in items.iter().enumerate() {
                match v.as_object() {
                    Some(o) => out.push(item(o)),
                    None => errors.push(ctx.error(
                        Some(keys[0]),
                        format!("`{}[{i}]` is not an object", keys[0]),
                        "expected objects in this list",
                    )),
                }
            }
            out
        }
        Some(_) => {
            errors.push(ctx.error(Some(keys[0]), format!("`{}` is not a list", keys[0]), "expected a JSON array"));
            Vec::new()
        }
    }
}

fn modified_property(o: &Map<String, Value>) -> ModifiedProperty {
    ModifiedProperty {
        name: get(o, &["displayName", "name"]).map(text_of).unwrap_or_default(),
        old_value: get(o, &["oldValue"]).map(text_of).filter(|s| !s.is_empty()),
        new_value: get(o, &["newValue"]).map(text_of).filter(|s| !s.is_empty()),
    }
}

fn step(o: &Map<String, Value>) -> Step {
    Step {
        name: get(o, &["name"]).map(text_of).unwrap_or_default(),
        step_type: StepType::parse(&get(o, &["provisioningStepType", "type"]).map(text_of).unwrap_or_default()),
        status: get(o, &["status"]).and_then(|v| Status::parse(&text_of(v))),
        description: get(o, &["description"]).map(text_of).unwrap_or_default(),
        details: details(get(o, &["details"])),
    }
}

fn identity(v: Option<&Value>) -> Identity {
    let Some(o) = v.and_then(Value::as_object) else { return Identity::default() };
    Identity {
        id: get(o, &["id"]).map(text_of).unwrap_or_default(),
        display_name: get(o, &["displayName", "name"]).map(text_of).unwrap_or_default(),
        identity_type: get(o, &["identityType", "type"]).map(text_of).unwrap_or_default(),
        details: details(get(o, &["details"])),
    }
}

fn system(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::Object(o) => get(o, &["displayName", "name"]).map(text_of),
        other => Some(text_of(other)),
    }
    .filter(|s| !s.is_empty())
}

/// `detailsInfo` is an open type: an object of (usually string) values; `@odata.type` is dropped. A JSON
/// string holding such an object (as CSV exports carry it) is read the same way.
pub(crate) fn details(v: Option<&Value>) -> Vec<(String, String)> {
    match v {
        Some(Value::Object(o)) => {
            o.iter().filter(|(k, _)| !k.starts_with("@odata")).map(|(k, v)| (k.clone(), text_of(v))).collect()
        }
        Some(Value::String(s)) if s.trim_start().starts_with('{') => match serde_json::from_str::<Value>(s) {
            Ok(inner @ Value::Object(_)) => details(Some(&inner)),
            _ => vec![("details".to_string(), s.clone())],
        },
        Some(Value::String(s)) if !s.trim().is_empty() => vec![("details".to_string(), s.clone())],
        _ => Vec::new(),
    }
}

/// Strings as themselves, null as empty, anything else as compact JSON.
pub(crate) fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}
