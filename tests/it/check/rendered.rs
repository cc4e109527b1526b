//! The reports of a real run against the embedded endpoint with one defect, redacted to be stable.

use super::*;
use entrasim::server::{self, ServerConfig, Switches};
use regex::Regex;

/// Aliases UUIDs by first appearance and blanks the base URL, the crate version, timestamps and durations.
fn redact(text: &str, base: &str) -> String {
    let text = text.replace(base, "<base>").replace(env!("CARGO_PKG_VERSION"), "[version]");
    let uuid = Regex::new(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}").unwrap();
    let mut seen: Vec<String> = Vec::new();
    let text = uuid.replace_all(&text, |c: &regex::Captures| {
        let id = c[0].to_string();
        let n = seen.iter().position(|s| *s == id).unwrap_or_else(|| {
            seen.push(id);
            seen.len() - 1
        });
        format!("<id:{}>", n + 1)
    });
    let rules = [
        (r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z", "<timestamp>"),
        (r#""duration_ms": \d+"#, r#""duration_ms": 0"#),
        (r#"time="[0-9.]+""#, r#"time="0""#),
    ];
    rules
        .iter()
        .fold(text.into_owned(), |t, (pattern, with)| Regex::new(pattern).unwrap().replace_all(&t, *with).into_owned())
}

#[tokio::test]
async fn junit_and_json_reports_of_a_run_with_one_defect() {
    let switches = Switches { manager_as_string: true, ..Switches::default() };
    let server = server::start(ServerConfig { switches, ..ServerConfig::default() }).await.unwrap();
    let client = Client::new(ClientConfig::new(server.url(), Auth::Bearer(Secret::new(server.token())))).unwrap();
    let options = CheckOptions { run_tag: Some("tag0".into()), ..CheckOptions::default() };
    let result = check::run(&client, &options).await.unwrap();
    let report = result.to_report();
    let junit = report::junit::render(&report).unwrap();
    let json = report::json::render(&report);
    assert!(!junit.contains(server.token()) && !json.contains(server.token()));
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../../../docs/report-json.schema.json")).expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let doc: serde_json::Value = serde_json::from_str(&json).expect("report is JSON");
    let errors: Vec<String> = validator.iter_errors(&doc).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    insta::assert_snapshot!("check_report_junit", redact(&junit, server.url()));
    insta::assert_snapshot!("check_report_json", redact(&json, server.url()));
    server.shutdown().await;
}
