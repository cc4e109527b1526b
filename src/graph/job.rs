//! Graph's `synchronizationJob` JSON from a [`JobView`]: `schedule` (`interval` as an ISO 8601 duration)
//! and `status` with its executions, progress, quarantine and counts. Times Graph has no value for are
//! written as Graph does, `0001-01-01T00:00:00Z` for the steady-state times and `null` elsewhere.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value as Json};

use super::backend::{Execution, ExecutionState, JobError, JobView, ScheduleState, StatusCode};

/// Graph's "never" for the steady-state times.
const NEVER: &str = "0001-01-01T00:00:00Z";

/// The `synchronizationJob` JSON.
pub fn to_json(job_id: &str, template_id: &str, view: &JobView) -> Json {
    let s = &view.status;
    json!({
        "id": job_id,
        "templateId": template_id,
        "schedule": {
            "expiration": null,
            "interval": iso_duration(view.schedule.interval),
            "state": match view.schedule.state {
                ScheduleState::Active => "Active",
                ScheduleState::Paused => "Paused",
                ScheduleState::Disabled => "Disabled",
            },
        },
        "status": {
            "code": match s.code {
                StatusCode::NotConfigured => "NotConfigured",
                StatusCode::NotRun => "NotRun",
                StatusCode::Active => "Active",
                StatusCode::Paused => "Paused",
                StatusCode::Quarantine => "Quarantine",
            },
            "countSuccessiveCompleteFailures": s.count_successive_complete_failures,
            "escrowsPruned": s.escrows_pruned,
            "lastExecution": s.last_execution.as_ref().map(execution),
            "lastSuccessfulExecution": s.last_successful_execution.as_ref().map(execution),
            "lastSuccessfulExecutionWithExports": s.last_successful_execution_with_exports.as_ref().map(execution),
            "progress": s.progress.iter().map(|p| json!({
                "completedUnits": p.completed_units,
                "totalUnits": p.total_units,
                "units": p.units,
                "progressObservationDateTime": time(p.time_recorded),
            })).collect::<Vec<_>>(),
            "quarantine": s.quarantine.as_ref().map(|q| json!({
                "currentBegan": time(q.current_began),
                "nextAttempt": time(q.next_attempt),
                "reason": q.reason,
                "seriesBegan": time(q.series_began),
                "seriesCount": q.series_count,
                "error": q.error.as_ref().map(error),
            })),
            "steadyStateFirstAchievedTime": s.steady_state_first_achieved.map_or(NEVER.to_string(), time),
            "steadyStateLastAchievedTime": s.steady_state_last_achieved.map_or(NEVER.to_string(), time),
            "synchronizedEntryCountByType": s.synchronized_entry_count_by_type.iter()
                .map(|(key, value)| json!({"key": key, "value": value}))
                .collect::<Vec<_>>(),
            "troubleshootingUrl": s.troubleshooting_url,
        },
        "synchronizationJobSettings": [],
    })
}

fn execution(e: &Execution) -> Json {
    json!({
        "activityIdentifier": e.activity_identifier,
        "timeBegan": time(e.time_began),
        "timeEnded": e.time_ended.map(time),
        "state": match e.state {
            ExecutionState::Succeeded => "Succeeded",
            ExecutionState::Failed => "Failed",
            ExecutionState::EntryLevelErrors => "EntryLevelErrors",
        },
        "error": e.error.as_ref().map(error),
    })
}

fn error(e: &JobError) -> Json {
    json!({"code": e.code, "message": e.message, "tenantActionable": true})
}

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// An ISO 8601 duration (`PT40M`, `PT1H30M`, `P1DT2H`, `PT0S`).
pub fn iso_duration(d: std::time::Duration) -> String {
    let total = d.as_secs();
    let (days, hours, minutes, seconds) = (total / 86_400, total / 3600 % 24, total / 60 % 60, total % 60);
    let mut out = String::from("P");
    if days > 0 {
        out.push_str(&format!("{days}D"));
    }
    if hours + minutes + seconds > 0 || days == 0 {
        out.push('T');
        for (n, unit) in [(hours, 'H'), (minutes, 'M'), (seconds, 'S')] {
            if n > 0 {
                out.push_str(&format!("{n}{unit}"));
            }
        }
        if total == 0 {
            out.push_str("0S");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::backend::{JobSchedule, JobStatus, Quarantine};
    use std::time::Duration;

    #[test]
    fn durations_are_iso_8601() {
        assert_eq!(iso_duration(Duration::from_secs(40 * 60)), "PT40M");
        assert_eq!(iso_duration(Duration::from_secs(5400)), "PT1H30M");
        assert_eq!(iso_duration(Duration::from_secs(86_400 + 7200)), "P1DT2H");
        assert_eq!(iso_duration(Duration::from_secs(86_400)), "P1D");
        assert_eq!(iso_duration(Duration::ZERO), "PT0S");
    }

    #[test]
    fn a_quarantined_job_reports_its_reason_and_error() {
        let at = DateTime::parse_from_rfc3339("2026-12-07T10:00:00Z").unwrap().with_timezone(&Utc);
        let view = JobView {
            schedule: JobSchedule { interval: Duration::from_secs(2400), state: ScheduleState::Active },
            status: JobStatus {
                code: StatusCode::Quarantine,
                quarantine: Some(Quarantine {
                    current_began: at,
                    next_attempt: at,
                    reason: "EncounteredQuarantineException".into(),
                    series_began: at,
                    series_count: 1,
                    error: Some(JobError { code: "Unauthorized".into(), message: "401 from the endpoint".into() }),
                }),
                synchronized_entry_count_by_type: vec![("user".into(), 3)],
                ..JobStatus::default()
            },
        };
        let json = to_json("scim.1.2", "scim", &view);
        assert_eq!(json["schedule"]["interval"], "PT40M");
        assert_eq!(json["status"]["code"], "Quarantine");
        assert_eq!(json["status"]["quarantine"]["reason"], "EncounteredQuarantineException");
        assert_eq!(json["status"]["quarantine"]["error"]["code"], "Unauthorized");
        assert_eq!(json["status"]["steadyStateFirstAchievedTime"], NEVER);
        assert_eq!(json["status"]["synchronizedEntryCountByType"], json!([{"key": "user", "value": 3}]));
        assert_eq!(json["status"]["lastExecution"], Json::Null);
    }
}
