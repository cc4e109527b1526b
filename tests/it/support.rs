//! Shared helpers for integration tests: loading and running scenarios against the embedded endpoint,
//! rendering redacted transcripts, and a hand-built [`Mapper`] that exercises the engine without the
//! expression language.

use std::path::Path;

use entrasim::engine::result::ObjectKind;
use entrasim::engine::source::{AttrSpec, Mapper, ObjectActions, ScopeCheck};
use entrasim::engine::{self, RunOptions, ScenarioResult, Target};
use entrasim::mapping::{SourceObject, Value};
use entrasim::scenario;
use entrasim::snapshot;

/// How a [`DirectMapper`] attribute gets its value.
#[derive(Debug, Clone)]
pub enum Source {
    /// A source attribute.
    Attr(&'static str),
    /// `Switch([IsSoftDeleted], , "False", "True", "True", "False")`.
    Active,
    /// `Join(" ", [givenName], [surname])`.
    JoinNames,
}

/// A mapper written as data: (target, source, matching priority).
#[derive(Debug, Clone)]
pub struct DirectMapper {
    /// User attributes.
    pub users: Vec<(String, Source, Option<u32>)>,
    /// Group attributes.
    pub groups: Vec<(String, Source, Option<u32>)>,
    /// Target object actions.
    pub actions: ObjectActions,
}

impl DirectMapper {
    /// A small version of Entra's default SCIM mapping.
    pub fn entra_like() -> Self {
        let users = vec![
            ("userName".to_string(), Source::Attr("userPrincipalName"), Some(1)),
            ("active".to_string(), Source::Active, None),
            ("displayName".to_string(), Source::Attr("displayName"), None),
            ("title".to_string(), Source::Attr("jobTitle"), None),
            ("emails[type eq \"work\"].value".to_string(), Source::Attr("mail"), None),
            ("name.givenName".to_string(), Source::Attr("givenName"), None),
            ("name.familyName".to_string(), Source::Attr("surname"), None),
            ("name.formatted".to_string(), Source::JoinNames, None),
            ("externalId".to_string(), Source::Attr("mailNickname"), None),
            (
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department".to_string(),
                Source::Attr("department"),
                None,
            ),
            (
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager".to_string(),
                Source::Attr("manager"),
                None,
            ),
        ];
        let groups = vec![
            ("displayName".to_string(), Source::Attr("displayName"), Some(1)),
            ("externalId".to_string(), Source::Attr("objectId"), None),
            ("members".to_string(), Source::Attr("members"), None),
        ];
        DirectMapper { users, groups, actions: ObjectActions::default() }
    }

    fn list(&self, kind: ObjectKind) -> &[(String, Source, Option<u32>)] {
        match kind {
            ObjectKind::User => &self.users,
            ObjectKind::Group => &self.groups,
        }
    }
}

impl Mapper for DirectMapper {
    fn specs(&self, kind: ObjectKind) -> std::sync::Arc<[AttrSpec]> {
        self.list(kind).iter().map(|(t, _, p)| AttrSpec { matching_priority: *p, ..AttrSpec::for_target(t) }).collect()
    }

    fn evaluate(&self, kind: ObjectKind, index: usize, source: &SourceObject, _: u64) -> Result<Value, String> {
        let (_, how, _) = &self.list(kind)[index];
        Ok(match how {
            Source::Attr(name) => source.get(name).clone(),
            Source::Active => match source.get("IsSoftDeleted") {
                Value::Bool(true) => Value::from("False"),
                _ => Value::from("True"),
            },
            Source::JoinNames => {
                let parts: Vec<String> =
                    ["givenName", "surname"].iter().filter_map(|n| source.get(n).to_text()).collect();
                if parts.is_empty() {
                    Value::Null
                } else {
                    Value::from(parts.join(" "))
                }
            }
        })
    }

    fn scope(&self, _kind: ObjectKind, _source: &SourceObject) -> ScopeCheck {
        ScopeCheck { in_scope: true, clauses: Vec::new() }
    }

    fn actions(&self, _kind: ObjectKind) -> ObjectActions {
        self.actions
    }
}

/// Parses a scenario from text (panics with the rendered diagnostics on error).
pub fn parse_scenario(text: &str) -> scenario::Scenario {
    match scenario::parse_str("test.toml", text, Path::new(".")) {
        Ok(loaded) => loaded.scenario,
        Err(diags) => panic!("{}", entrasim::diagnostic::render_all(&diags, false)),
    }
}

/// Runs a scenario text with a mapper against the embedded endpoint; returns the result and its
/// redacted transcript.
pub async fn run_text(text: &str, mapper: &dyn Mapper, options: RunOptions) -> (ScenarioResult, String) {
    let scenario = parse_scenario(text);
    let result =
        engine::run_with_mapper(&scenario, "test", mapper, Target::Embedded, &options).await.expect("run starts");
    let transcript = snapshot::render(&result, Some(&result.base_url), &[]);
    (result, transcript)
}

/// The failed expectations and error findings of a result, for assertion messages.
pub fn problems(result: &ScenarioResult) -> String {
    let mut out = String::new();
    for s in &result.steps {
        for x in s.expectations.iter().filter(|x| !x.passed) {
            out.push_str(&format!("step {} {}: expected {} got {}\n", s.index, x.what, x.expected, x.actual));
        }
        for f in &s.findings {
            out.push_str(&format!("step {} {:?}: {}\n", s.index, f.severity, f.message));
        }
    }
    out
}

/// Loads a scenario file and its mapping, runs it against the embedded endpoint and returns the result
/// with its redacted transcript.
pub async fn run_scenario_file(path: &Path) -> (ScenarioResult, String) {
    run_scenario_file_with(path, &RunOptions::default()).await
}

/// [`run_scenario_file`] with run options.
pub async fn run_scenario_file_with(path: &Path, options: &RunOptions) -> (ScenarioResult, String) {
    let loaded = match scenario::load(path) {
        Ok(l) => l,
        Err(diags) => panic!("{}", entrasim::diagnostic::render_all(&diags, false)),
    };
    let s = loaded.scenario;
    let mapping = match entrasim::mapping::load(&s.mapping.spec, &s.base_dir) {
        Ok(m) => m.set,
        Err(diags) => panic!("{}", entrasim::diagnostic::render_all(&diags, false)),
    };
    let name = path.file_stem().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let result = engine::run_scenario(&s, &name, &mapping, Target::Embedded, options).await.expect("the run starts");
    let transcript = snapshot::render_with(&result, Some(&result.base_url), &[], s.snapshot);
    (result, transcript)
}

/// Parses a scenario text and runs it with a mapping preset against the embedded endpoint.
pub async fn run_text_with_preset(text: &str, preset: &str) -> ScenarioResult {
    let scenario = parse_scenario(text);
    let mapping = entrasim::mapping::load(preset, Path::new(".")).expect("preset loads").set;
    engine::run_scenario(&scenario, "test", &mapping, Target::Embedded, &RunOptions::default())
        .await
        .expect("the run starts")
}
