//! Property tests standing in for fuzz targets (issue 6): they run in CI with every `cargo test`, with
//! case counts kept modest. Every bundled scenario and mapping file, mangled, gives diagnostics and never
//! a panic; the response judges take any JSON, text or header; nesting far past any sane depth is an
//! error, not a stack overflow.

use std::path::{Path, PathBuf};
use std::time::Duration;

use entrasim::diagnostic::{render_all, SourceFile};
use entrasim::engine::{action, audit};
use entrasim::scim::client::{Body, Exchange, Method, Origin};
use proptest::prelude::*;
use serde_json::Value as Json;

fn files(ext: &str) -> Vec<PathBuf> {
    fn walk(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("readable").flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, ext, out);
            } else if path.extension().is_some_and(|e| e == ext) {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios"), ext, &mut out);
    out.sort();
    assert!(!out.is_empty(), "no bundled `.{ext}` files");
    out
}

/// One way of mangling a file.
#[derive(Debug, Clone)]
enum Edit {
    /// Replace the character at a position.
    Replace(prop::sample::Index, char),
    /// Delete a run of characters.
    Delete(prop::sample::Index, usize),
    /// Cut the file short.
    Truncate(prop::sample::Index),
    /// Repeat a line.
    DuplicateLine(prop::sample::Index),
    /// Insert text that is often meaningful to TOML or to the expression language.
    Insert(prop::sample::Index, &'static str),
}

fn edit() -> impl Strategy<Value = Edit> {
    let noise = prop::sample::select(vec!["[", "]", "\"", "=", "\n[[steps]]\n", "(", ")", "{", "}", ",", "é", "\u{0}"]);
    prop_oneof![
        (any::<prop::sample::Index>(), any::<char>()).prop_map(|(i, c)| Edit::Replace(i, c)),
        (any::<prop::sample::Index>(), 1usize..40).prop_map(|(i, n)| Edit::Delete(i, n)),
        any::<prop::sample::Index>().prop_map(Edit::Truncate),
        any::<prop::sample::Index>().prop_map(Edit::DuplicateLine),
        (any::<prop::sample::Index>(), noise).prop_map(|(i, s)| Edit::Insert(i, s)),
    ]
}

fn mangle(text: &str, edits: &[Edit]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for e in edits {
        if chars.is_empty() {
            break;
        }
        match e {
            Edit::Replace(i, c) => {
                let at = i.index(chars.len());
                chars[at] = *c;
            }
            Edit::Delete(i, n) => {
                let at = i.index(chars.len());
                chars.drain(at..(at + n).min(chars.len()));
            }
            Edit::Truncate(i) => chars.truncate(i.index(chars.len())),
            Edit::DuplicateLine(i) => {
                let text: String = chars.iter().collect();
                let lines: Vec<&str> = text.lines().collect();
                let at = i.index(lines.len().max(1)).min(lines.len().saturating_sub(1));
                let mut out: Vec<&str> = lines.clone();
                if let Some(line) = lines.get(at) {
                    out.insert(at, line);
                }
                chars = out.join("\n").chars().collect();
            }
            Edit::Insert(i, s) => {
                let at = i.index(chars.len());
                chars.splice(at..at, s.chars());
            }
        }
    }
    chars.into_iter().collect()
}

/// A diagnostic set is never empty when loading fails, and it renders.
fn assert_diagnosed(result: Result<Vec<entrasim::diagnostic::Diagnostic>, Vec<entrasim::diagnostic::Diagnostic>>) {
    match result {
        Ok(warnings) => {
            let _ = render_all(&warnings, false);
        }
        Err(errors) => {
            assert!(!errors.is_empty(), "a failed load must say why");
            assert!(!render_all(&errors, false).is_empty());
        }
    }
}

fn an_exchange(
    method: Method,
    query: &str,
    status: Option<u16>,
    headers: Vec<(String, String)>,
    body: Body,
) -> Exchange {
    Exchange {
        index: 0,
        origin: Origin::Entra,
        method,
        path: "/Users".into(),
        query: query.into(),
        request_body: None,
        status,
        response_headers: headers,
        response_body: body,
        duration: Duration::ZERO,
        error: None,
    }
}

fn json_value() -> impl Strategy<Value = Json> {
    let leaf = prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::Bool),
        any::<u64>().prop_map(Json::from),
        (-2i64..4).prop_map(Json::from),
        any::<f64>().prop_map(Json::from),
        "\\PC{0,10}".prop_map(Json::String),
    ];
    leaf.prop_recursive(4, 40, 5, |inner| {
        let key = prop::sample::select(vec![
            "id",
            "ID",
            "Resources",
            "resources",
            "totalResults",
            "itemsPerPage",
            "status",
            "scimType",
            "detail",
            "schemas",
            "userName",
            "",
        ])
        .prop_map(str::to_string);
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Json::Array),
            prop::collection::vec((key, inner), 0..5).prop_map(|kv| Json::Object(kv.into_iter().collect())),
        ]
    })
}

fn body() -> impl Strategy<Value = Body> {
    prop_oneof![
        Just(Body::Empty),
        json_value().prop_map(|value| Body::Json { value }),
        ("\\PC{0,300}", "\\PC{0,20}").prop_map(|(text, error)| Body::Text { text, error }),
        (0usize..10_000_000).prop_map(|limit| Body::TooLarge { limit }),
    ]
}

fn headers() -> impl Strategy<Value = Vec<(String, String)>> {
    let name = prop::sample::select(vec!["content-type", "retry-after", "location", "etag"]).prop_map(str::to_string);
    let value = prop_oneof![
        "\\PC{0,30}",
        Just("999999999999999999999".to_string()),
        Just("18446744073709551615".to_string()),
        Just("application/scim+json; charset=utf-8".to_string()),
        (0u64..100_000).prop_map(|n| n.to_string()),
    ];
    prop::collection::vec((name, value), 0..4)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(192))]

    // See: issue 6 ("scenario files with any garbage produce diagnostics, never a panic").
    #[test]
    fn every_bundled_scenario_mangled_gives_diagnostics(which in any::<prop::sample::Index>(), edits in prop::collection::vec(edit(), 1..5)) {
        let all = files("toml");
        let path = &all[which.index(all.len())];
        let text = mangle(&std::fs::read_to_string(path).expect("readable"), &edits);
        let base = path.parent().expect("in a directory");
        assert_diagnosed(entrasim::scenario::parse_str("mangled.toml", &text, base).map(|l| l.warnings));
    }

    // See: issue 6 ("mapping files with any garbage produce diagnostics, never a panic").
    #[test]
    fn every_bundled_mapping_mangled_gives_diagnostics(which in any::<prop::sample::Index>(), edits in prop::collection::vec(edit(), 1..5)) {
        let all = files("mapping");
        let path = &all[which.index(all.len())];
        let text = mangle(&std::fs::read_to_string(path).expect("readable"), &edits);
        for name in ["mangled.toml", "mangled.mapping"] {
            assert_diagnosed(entrasim::mapping::load_source(&SourceFile::new(name, text.as_str())).map(|l| l.warnings));
        }
    }

    // See: issue 6 ("fuzz targets for the response parsers").
    #[test]
    fn response_judges_take_any_answer(
        method in prop::sample::select(vec![Method::Get, Method::Post, Method::Patch, Method::Delete]),
        query in prop::sample::select(vec!["", "filter=userName+eq+%22a%22", "startIndex=1&count=2", "%zz&=&filter="]),
        status in prop::option::of(prop_oneof![Just(200u16), Just(201), Just(204), Just(401), Just(404), Just(429), Just(500), 0u16..1000]),
        headers in headers(),
        body in body(),
    ) {
        let e = an_exchange(method, query, status, headers, body);
        let _ = action::list_resources(&e);
        let _ = action::resource_with_id(&e);
        let sent = action::Sent::Answer(e.clone());
        let _ = (action::describe_failure(&sent), action::failure_code(&sent));
        let _ = (e.scim_error(), e.body_excerpt(), e.request_line(), e.raw_request_line());
        prop_assert!(e.retry_after().is_none_or(|d| d <= entrasim::scim::client::MAX_RETRY_AFTER));
        for f in audit::audit(std::slice::from_ref(&e)) {
            prop_assert!(f.message.starts_with(&e.request_line()), "{}", f.message);
            prop_assert!(f.request.is_some());
        }
    }
}

/// Nesting far beyond what any parser recurses on: each is an error, not a stack overflow.
#[test]
fn absurd_nesting_is_an_error_everywhere() {
    let deep = 100_000;
    let (expr, errors) = entrasim::mapping::parse_expression(&"Join(\" \", ".repeat(deep));
    assert!(expr.is_none() || !errors.is_empty());
    let (_, errors) = entrasim::mapping::parse_expression(&"(".repeat(deep));
    assert!(!errors.is_empty());
    assert!(entrasim::scim::filter::parse(&"(".repeat(deep)).is_err());
    assert!(entrasim::scim::filter::parse(&"not (".repeat(deep)).is_err());
    let nested_filter = format!("emails[{}]", "type[".repeat(deep));
    assert!(entrasim::scim::filter::parse(&nested_filter).is_err());
    let toml = format!("description = \"x\"\nvalue = {}", "[".repeat(deep));
    assert!(entrasim::scenario::parse_str("deep.toml", &toml, Path::new(".")).is_err());
    let mapping = format!("[users]\nx = {}", "{a = ".repeat(deep));
    assert!(entrasim::mapping::load_source(&SourceFile::new("deep.toml", mapping.as_str())).is_err());
    let json = format!("{{\"users\": {}", "[".repeat(deep));
    assert!(entrasim::mapping::load_source(&SourceFile::new("deep.json", json.as_str())).is_err());
}
