//! `docs/ARCHITECTURE.md`'s "Modules and owners" table holds: every `crate::…` path a module of `src/`
//! uses (in `use` lines and inline, test code left out) is one its row allows, every module has a row,
//! and the modules import each other in no circle, nor do the engine's own files. A new import across
//! modules is a change of the table, made in the same commit.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// One row of the table: the modules it is about and what they may import.
#[derive(Debug)]
struct Row {
    modules: Vec<String>,
    allowed: Allowed,
}

#[derive(Debug)]
enum Allowed {
    /// `all`.
    Anything,
    /// Paths (`engine::result`, `scim::{model,path}` expanded): a use is allowed when one is its prefix.
    Paths(Vec<Vec<String>>),
}

/// The rows of "## Modules and owners", in order.
fn table() -> Vec<Row> {
    let doc = std::fs::read_to_string(repo().join("docs/ARCHITECTURE.md")).expect("docs/ARCHITECTURE.md");
    let section = doc.split("## Modules and owners").nth(1).expect("a `Modules and owners` section");
    let mut rows: Vec<Row> = Vec::new();
    for line in section.lines().skip_while(|l| !l.starts_with('|')).take_while(|l| l.starts_with('|')) {
        if line.starts_with("|---") {
            continue;
        }
        let cells: Vec<&str> = line.trim_matches('|').split(" | ").map(str::trim).collect();
        let [module, _owns, may_import] = cells[..] else { panic!("a table row has three cells: {line}") };
        if module == "module" {
            continue;
        }
        let modules: Vec<String> =
            backticked(module).into_iter().map(|m| m.trim_end_matches("/*").to_string()).collect();
        let allowed = if may_import == "all" {
            Allowed::Anything
        } else if let Some(rest) = may_import.strip_prefix("everything above") {
            // `everything above except `report` (`server` only to …)`: the rows above, minus the exceptions.
            let except = rest.split('(').next().unwrap_or_default();
            let excluded: BTreeSet<String> = backticked(except).into_iter().collect();
            let above = rows.iter().flat_map(|r| r.modules.iter()).filter(|m| !excluded.contains(*m));
            Allowed::Paths(above.map(|m| split(m)).collect())
        } else {
            Allowed::Paths(backticked(may_import).iter().flat_map(|p| expand(p)).map(|p| split(&p)).collect())
        };
        rows.push(Row { modules, allowed });
    }
    assert!(!rows.is_empty(), "the table has rows");
    rows
}

/// The text between backticks.
fn backticked(text: &str) -> Vec<String> {
    text.split('`').skip(1).step_by(2).map(str::to_string).collect()
}

/// `scim::{path,filter}` → `scim::path`, `scim::filter`; `engine::{self, result}` → `engine`, `engine::result`.
fn expand(path: &str) -> Vec<String> {
    let Some(open) = path.find('{') else { return vec![path.to_string()] };
    let close = matching_brace(path, open);
    let (head, inner, tail) = (&path[..open], &path[open + 1..close], &path[close + 1..]);
    split_top_level(inner)
        .into_iter()
        .flat_map(|part| expand(&format!("{head}{}{tail}", part.trim())))
        .map(|p| p.replace("::self", ""))
        .collect()
}

fn matching_brace(text: &str, open: usize) -> usize {
    let mut depth = 0;
    for (i, c) in text.char_indices().skip_while(|(i, _)| *i < open) {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return i;
                }
            }
            _ => {}
        }
    }
    panic!("unbalanced braces in `{text}`")
}

/// `a, b::{c, d}, e` → its three parts.
fn split_top_level(text: &str) -> Vec<&str> {
    let (mut parts, mut depth, mut start) = (Vec::new(), 0, 0);
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts.into_iter().filter(|p| !p.trim().is_empty()).collect()
}

fn split(path: &str) -> Vec<String> {
    path.split("::").map(str::to_string).collect()
}

/// A source file's module path: `src/scim/client.rs` → `scim::client`, `src/engine/result/mod.rs` →
/// `engine::result`, `src/lib.rs` → none.
fn module_of(file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(repo().join("src")).expect("under src/").with_extension("");
    let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    if parts.last().is_some_and(|p| p == "mod" || p == "lib" || p == "main") {
        parts.pop();
    }
    parts
}

/// The table's name for a module: `scim::<file>` for the SCIM modules (each has its row), else the
/// top-level module.
fn table_name(module: &[String]) -> String {
    match module {
        [scim, sub, ..] if scim == "scim" => format!("scim::{sub}"),
        [top, ..] => top.clone(),
        [] => String::new(),
    }
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable src/") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// A file's code without comments and without `#[cfg(test)]` items (tests may reach anywhere).
fn non_test_code(text: &str) -> String {
    let mut out = String::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("//") {
            continue;
        }
        if trimmed.starts_with("#[cfg(test)]") {
            // Skip the item: up to its closing brace, or its `;`.
            let mut depth = 0i32;
            let mut opened = false;
            for item in lines.by_ref() {
                depth += item.matches('{').count() as i32 - item.matches('}').count() as i32;
                opened |= item.contains('{');
                if (opened && depth <= 0) || (!opened && item.trim_end().ends_with(';')) {
                    break;
                }
            }
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Every module path a file's code names, absolute (`crate::`, and `super::` resolved against `module`),
/// with what each `use` groups expanded.
fn used_paths(code: &str, module: &[String]) -> BTreeSet<Vec<String>> {
    let mut found = BTreeSet::new();
    let statement = regex::Regex::new(r"(?m)^\s*(?:pub(?:\([^)]*\))?\s+)?use\s+([^;]+);").expect("regex");
    for use_ in statement.captures_iter(code) {
        // `a as b` keeps `a`; whitespace (line breaks in long groups) goes.
        let text = use_[1].split_whitespace().collect::<Vec<_>>().join(" ");
        for path in expand(&text) {
            found.extend(absolute(&path, module));
        }
    }
    let inline = regex::Regex::new(r"\b(?:crate|super)(?:::[A-Za-z_][A-Za-z0-9_]*)+").expect("regex");
    // Inline paths outside the `use` lines (whose groups are expanded above).
    for m in inline.find_iter(&statement.replace_all(code, "")) {
        found.extend(absolute(m.as_str(), module));
    }
    found
}

/// `crate::a::b` → `[a, b]`; `super::x` from `scim::patch` → `[scim, x]`; anything else (std, crates) → none.
fn absolute(path: &str, module: &[String]) -> Option<Vec<String>> {
    let path = path.trim().trim_start_matches("::");
    let mut segments = path.split("::").map(|s| s.split(" as ").next().unwrap_or(s).trim().to_string());
    let first = segments.next()?;
    let mut base: Vec<String> = match first.as_str() {
        "crate" => Vec::new(),
        "super" => {
            // `super` of `a/b.rs` is `a`; of `a/b/mod.rs` (module `a::b`) also `a`.
            let mut parent = module.to_vec();
            parent.pop()?;
            parent
        }
        _ => return None,
    };
    for s in segments {
        match s.as_str() {
            "super" => {
                base.pop()?;
            }
            "self" | "*" | "" => {}
            _ => base.push(s),
        }
    }
    Some(base).filter(|b| !b.is_empty())
}

/// Each module's uses of other modules: table name → (path used → first file using it).
fn imports() -> BTreeMap<String, BTreeMap<Vec<String>, PathBuf>> {
    let mut files = Vec::new();
    rust_files(&repo().join("src"), &mut files);
    files.sort();
    let mut by_module: BTreeMap<String, BTreeMap<Vec<String>, PathBuf>> = BTreeMap::new();
    for file in files {
        let module = module_of(&file);
        // Test-only files (`#[cfg(test)] mod tests;`) and the crate roots are not modules of the table.
        if module.is_empty() || module.last().is_some_and(|m| m == "tests") {
            by_module.entry(String::new()).or_default();
            continue;
        }
        let name = table_name(&module);
        let text = std::fs::read_to_string(&file).expect("readable source");
        let uses = by_module.entry(name.clone()).or_default();
        for path in used_paths(&non_test_code(&text), &module) {
            if table_name(&path) != name {
                uses.entry(path).or_insert_with(|| file.clone());
            }
        }
    }
    by_module.remove("");
    by_module
}

/// `scim`: no row of its own, the prefix of rows (`scim::model`, …).
fn is_namespace(rows: &[Row], path: &[String]) -> bool {
    let [name] = path else { return false };
    let prefix = format!("{name}::");
    row_of(rows, name).is_none() && rows.iter().flat_map(|r| &r.modules).any(|m| m.starts_with(&prefix))
}

fn row_of<'a>(rows: &'a [Row], module: &str) -> Option<&'a Row> {
    rows.iter().find(|r| r.modules.iter().any(|m| m == module))
}

#[test]
fn every_import_across_modules_is_allowed_by_the_architecture_table() {
    let rows = table();
    let mut problems = Vec::new();
    for (module, uses) in imports() {
        if is_namespace(&rows, std::slice::from_ref(&module)) && uses.is_empty() {
            continue;
        }
        let Some(row) = row_of(&rows, &module) else {
            problems.push(format!("`{module}` has no row in docs/ARCHITECTURE.md's \"Modules and owners\" table"));
            continue;
        };
        let Allowed::Paths(allowed) = &row.allowed else { continue };
        for (path, file) in uses {
            // Modules of one row (`cli`, `app`, `cmd`) may use each other; `crate::scim` alone is the
            // namespace of the `scim::*` rows, named through by the paths that follow it.
            if row.modules.iter().any(|m| *m == table_name(&path)) || is_namespace(&rows, &path) {
                continue;
            }
            if !allowed.iter().any(|a| path.starts_with(a)) {
                let file = file.strip_prefix(repo()).unwrap_or(&file).display().to_string();
                problems.push(format!(
                    "`{module}` uses `crate::{}` ({file}), which its row does not allow",
                    path.join("::")
                ));
            }
        }
    }
    assert!(problems.is_empty(), "the import table does not hold:\n  {}", problems.join("\n  "));
}

/// The modules (rows) as nodes, an edge for each use of another row's module.
fn row_graph(rows: &[Row]) -> BTreeMap<String, BTreeSet<String>> {
    let node = |module: &str| row_of(rows, module).map_or(module.to_string(), |r| r.modules.join(", "));
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, uses) in imports() {
        let from = node(&module);
        let targets: BTreeSet<String> = uses.keys().map(|p| node(&table_name(p))).filter(|t| *t != from).collect();
        graph.entry(from).or_default().extend(targets);
    }
    graph
}

/// The circles of a graph: every strongly connected set of more than one node.
fn circles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    let reaches = |from: &String| {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.clone()];
        while let Some(n) = todo.pop() {
            for next in graph.get(&n).into_iter().flatten() {
                if seen.insert(next.clone()) {
                    todo.push(next.clone());
                }
            }
        }
        seen
    };
    let reach: BTreeMap<&String, BTreeSet<String>> = graph.keys().map(|n| (n, reaches(n))).collect();
    let mut found: Vec<Vec<String>> = Vec::new();
    for n in graph.keys() {
        let set: Vec<String> =
            graph.keys().filter(|m| *m == n || (reach[n].contains(*m) && reach[*m].contains(n))).cloned().collect();
        if set.len() > 1 && !found.contains(&set) {
            found.push(set);
        }
    }
    found
}

#[test]
fn modules_import_each_other_in_no_circle() {
    let found = circles(&row_graph(&table()));
    assert!(found.is_empty(), "modules that import each other in a circle: {found:?}");
}

/// The engine's own files as nodes (`engine::state`, `engine::cds`, …), an edge for each use of another,
/// with the file that makes it (`engine::result` → `engine::escrow`: `src/engine/result.rs`).
fn engine_graph() -> BTreeMap<String, BTreeMap<String, String>> {
    let mut files = Vec::new();
    rust_files(&repo().join("src/engine"), &mut files);
    files.sort();
    // `engine::Foo` (a re-export at the root) is not a file of its own.
    let is_file = |p: &[String]| {
        let path = repo().join("src").join(p.join("/"));
        path.is_dir() || path.with_extension("rs").is_file()
    };
    let mut graph: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for file in files {
        let module = module_of(&file);
        if module.len() < 2 || module.last().is_some_and(|m| m == "tests") {
            continue;
        }
        let name = module[..2].join("::");
        let text = std::fs::read_to_string(&file).expect("readable source");
        let shown = file.strip_prefix(repo()).unwrap_or(&file).display().to_string();
        let edges = graph.entry(name.clone()).or_default();
        for path in used_paths(&non_test_code(&text), &module) {
            if path.len() >= 2 && path[0] == "engine" && is_file(&path[..2]) {
                let target = path[..2].join("::");
                if target != name {
                    edges.entry(target).or_insert_with(|| shown.clone());
                }
            }
        }
    }
    graph
}

// Issue 23 took the engine's own circle apart (state, cds, escrow, quarantine and twelve more files used to
// import each other); this keeps it apart and, when it fails, lists each import inside a circle with the
// file that makes it.
#[test]
fn engine_files_import_each_other_in_no_circle() {
    let graph = engine_graph();
    let nodes: BTreeMap<String, BTreeSet<String>> =
        graph.iter().map(|(n, edges)| (n.clone(), edges.keys().cloned().collect())).collect();
    let found = circles(&nodes);
    let mut report = Vec::new();
    for circle in &found {
        report.push(format!("circle: {}", circle.join(", ")));
        for from in circle {
            for (to, file) in graph[from].iter().filter(|(to, _)| circle.contains(to)) {
                report.push(format!("  {from} → {to} ({file})"));
            }
        }
    }
    assert!(found.is_empty(), "engine files that import each other in a circle:\n{}", report.join("\n"));
}

#[test]
fn the_table_reader_understands_its_shapes() {
    assert_eq!(expand("scim::{path,filter,model}"), ["scim::path", "scim::filter", "scim::model"]);
    assert_eq!(expand("crate::report::{self, Finding}"), ["crate::report", "crate::report::Finding"]);
    assert_eq!(expand("crate::{a, b::{c, d}}"), ["crate::a", "crate::b::c", "crate::b::d"]);
    let module = split("scim::patch");
    assert_eq!(absolute("super::path::Path", &module), Some(split("scim::path::Path")));
    assert_eq!(absolute("crate::engine::result::Event as E", &module), Some(split("engine::result::Event")));
    assert_eq!(absolute("std::fmt", &module), None);
    let code =
        "use a;\n#[cfg(test)]\nmod tests {\n    use crate::cmd;\n}\nfn f() { crate::report::json::render(x); }\n";
    assert_eq!(
        used_paths(&non_test_code(code), &split("check::model")),
        BTreeSet::from([split("report::json::render")])
    );
    let graph = BTreeMap::from([
        ("a".to_string(), BTreeSet::from(["b".to_string()])),
        ("b".to_string(), BTreeSet::from(["a".to_string()])),
        ("c".to_string(), BTreeSet::from(["a".to_string()])),
    ]);
    assert_eq!(circles(&graph), [["a".to_string(), "b".to_string()]]);
}
