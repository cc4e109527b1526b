//! Property tests: no input panics the readers, and every replay of well-formed records is a valid scenario.

use entrasim::diagnostic::render_all;
use entrasim::logs::{self, replay, Anonymizer};
use proptest::prelude::*;

use super::{assert_scenario_parses, record};

/// Well-formed records with arbitrary actions, statuses, names and values.
fn arbitrary_record() -> impl Strategy<Value = serde_json::Value> {
    let action = prop_oneof![
        Just("create"),
        Just("update"),
        Just("delete"),
        Just("disable"),
        Just("stagedDelete"),
        Just("other")
    ];
    let status = prop_oneof![Just("success"), Just("failure"), Just("skipped"), Just("warning")];
    let kind = prop_oneof![Just("User"), Just("Group")];
    let prop_name = prop_oneof![
        Just("userName".to_string()),
        Just("active".to_string()),
        Just("displayName".to_string()),
        Just("members".to_string()),
        Just("emails[type eq \"work\"].value".to_string()),
        Just("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department".to_string()),
        "[a-zA-Z.\\[\\] \"]{1,12}",
    ];
    let value = proptest::option::of("\\PC{0,12}");
    let props = proptest::collection::vec((prop_name, value.clone(), value), 0..4);
    let scoping = proptest::option::of((any::<bool>(), any::<bool>(), "\\PC{0,16}"));
    // Import details name source attributes in any case, as exported logs do.
    let detail = prop_oneof![
        Just("displayName"),
        Just("DisplayName"),
        Just("DISPLAYNAME"),
        Just("department"),
        Just("Department"),
        Just("userPrincipalName"),
        Just("UserPrincipalName"),
        Just("mail"),
    ];
    let imported = proptest::collection::btree_map(detail, "\\PC{0,8}", 0..5);
    let parts =
        (0u8..3, 0u8..4, action, status, kind, "\\PC{0,10}", props, scoping, proptest::option::of("[A-Za-z]{0,12}"));
    (parts, imported)
        .prop_map(|((cycle, obj, action, status, kind, name, props, scoping, code), imported)| {
            let mut r = record(&format!("c{cycle}"), &format!("2026-11-20T0{cycle}:00:0{obj}Z"), kind, &format!("o{obj}"), &name, action, status);
            r["modifiedProperties"] = props
                .into_iter()
                .map(|(n, o, v)| serde_json::json!({"displayName": n, "oldValue": o, "newValue": v}))
                .collect();
            let mut steps = vec![serde_json::json!({"name": "i", "provisioningStepType": "import", "status": "success",
                "description": "", "details": imported})];
            if let Some((assigned, active, clause)) = scoping {
                steps.push(serde_json::json!({"name": "s", "provisioningStepType": "scoping", "status": "success",
                    "description": "", "details": {"Assigned to the application": assigned.to_string(),
                    "Active in the source system": active.to_string(), "ScopeEvaluationResult": serde_json::json!({clause: false}).to_string()}}));
            }
            r["provisioningSteps"] = serde_json::Value::Array(steps);
            if let Some(code) = code {
                r["provisioningStatusInfo"]["errorInformation"] = serde_json::json!({"errorCode": code, "reason": name});
            }
            r
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn every_replay_of_well_formed_records_is_a_valid_scenario(records in proptest::collection::vec(arbitrary_record(), 1..8)) {
        let text = serde_json::json!({"value": records}).to_string();
        let read = logs::parse_str("gen.json", &text).map_err(|d| render_all(&d, false));
        prop_assert!(read.is_ok(), "{:?}", read.err());
        let records = read.map(|r| r.records).unwrap_or_default();
        let replay = replay::build(&records, None, &replay::ReplayOptions::default());
        prop_assert!(replay.is_ok());
        if let Ok(replay) = replay {
            assert_scenario_parses(&replay.scenario_toml);
        }
        let mut anonymizer = Anonymizer::default();
        let anon = anonymizer.anonymize_records(&records);
        prop_assert_eq!(anon.len(), records.len());
        let _ = logs::summarize(&anon).render(false);
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,400}") {
        let _ = logs::parse_str("fuzz.json", &text);
        let _ = logs::parse_str("fuzz.csv", &format!("Cycle ID,Date (UTC)\n{text}"));
    }

    #[test]
    fn json_shaped_input_never_panics(
        keys in proptest::collection::vec("(cycleId|changeId|activityDateTime|action|provisioningAction|statusInfo|value|properties|modifiedProperties|provisioningSteps|sourceIdentity|[a-z]{1,6})", 0..8),
        values in proptest::collection::vec("(null|true|1|\"x\"|\"2026-11-20T08:00:00Z\"|\\[\\]|\\{\\}|\\[\\{\\}\\]|\\{\"status\":\"success\"\\})", 0..8),
    ) {
        let fields: Vec<String> = keys.iter().zip(values.iter().cycle()).map(|(k, v)| format!("\"{k}\": {v}")).collect();
        let record = format!("{{{}}}", fields.join(", "));
        for text in [format!("[{record}]"), format!("{{\"value\": [{record}, {record}]}}"), record.clone()] {
            if let Ok(read) = logs::parse_str("fuzz.json", &text) {
                let _ = logs::summarize(&read.records);
                if let Ok(replay) = replay::build(&read.records, None, &replay::ReplayOptions::default()) {
                    assert_scenario_parses(&replay.scenario_toml);
                }
                let _ = Anonymizer::default().anonymize_records(&read.records);
            }
        }
    }
}
