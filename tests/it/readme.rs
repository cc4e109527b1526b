//! The command samples of README.md and docs/*.md, checked against the real binary so they cannot drift:
//!
//! - a ```` ```console ```` block is a list of `$ entrasim …` commands, each followed by the output it shows.
//!   Every command runs from the repository root without `--target` (the embedded endpoint on 127.0.0.1,
//!   so the test is hermetic), stdout and stderr together, `NO_COLOR` set; its output must equal the
//!   sample's once elapsed times and ports are redacted on both sides (snapbox redactions), so samples
//!   keep realistic times. ```` ```console,ignore ```` marks a sample that needs a remote target: not run.
//! - a ```` ```sh ```` block shows commands without output: every `entrasim …` line (with `\` continuations)
//!   must still parse with the current command-line definition, so a renamed flag fails here.
//!
//! `SNAPSHOTS=overwrite cargo test --test it readme` rewrites the console samples from the binary's output;
//! read `git diff` afterwards.

use std::path::{Path, PathBuf};

use clap::Parser as _;
use entrasim::cli::Cli;
use snapbox::{Assert, Redactions};

/// One `$ entrasim …` command of a console block and the output shown under it.
struct Sample {
    file: PathBuf,
    /// 1-based line of the `$` line.
    line: usize,
    args: Vec<String>,
    expected: String,
    /// Line indices (0-based) of the shown output, `start..end`.
    output: std::ops::Range<usize>,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn documents() -> Vec<PathBuf> {
    let mut files = vec![root().join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .expect("docs/ exists")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    files.extend(docs);
    files
}

/// Splits a shell command line into words: single and double quotes group, a backslash escapes in double
/// quotes; enough for documentation samples.
fn shell_words(line: &str) -> Vec<String> {
    let (mut words, mut word, mut quote, mut started) = (Vec::new(), String::new(), None::<char>, false);
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (None, '#') if !started => break,
            (None, c) if c.is_whitespace() => {
                if started {
                    words.push(std::mem::take(&mut word));
                    started = false;
                }
            }
            (None, '\'' | '"') => (quote, started) = (Some(c), true),
            (Some(q), c) if c == q => quote = None,
            (Some('"'), '\\') => word.extend(chars.next()),
            (_, c) => (word, started) = (word + &c.to_string(), true),
        }
    }
    if started {
        words.push(word);
    }
    words
}

/// The fenced blocks of a document: (info string, first content line index, content lines).
fn blocks(text: &str) -> Vec<(String, usize, Vec<&str>)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if let Some(info) = lines[i].strip_prefix("```") {
            let start = i + 1;
            let mut end = start;
            while end < lines.len() && !lines[end].starts_with("```") {
                end += 1;
            }
            out.push((info.trim().to_string(), start, lines[start..end.min(lines.len())].to_vec()));
            i = end + 1;
        } else {
            i += 1;
        }
    }
    out
}

fn samples(file: &Path) -> Vec<Sample> {
    let text = std::fs::read_to_string(file).expect("the document reads");
    let mut samples = Vec::new();
    for (info, start, lines) in blocks(&text) {
        let mut info = info.split(',').map(str::trim);
        if info.next() != Some("console") || info.any(|i| i == "ignore") {
            continue;
        }
        let mut i = 0;
        while i < lines.len() {
            let command = lines[i].strip_prefix("$ ").unwrap_or_else(|| {
                panic!("{}:{}: a console block line must start with `$ `", file.display(), start + i + 1)
            });
            let mut words = shell_words(command);
            assert_eq!(words.first().map(String::as_str), Some("entrasim"), "{}:{}", file.display(), start + i + 1);
            words.remove(0);
            let first = i + 1;
            let mut end = first;
            while end < lines.len() && !lines[end].starts_with("$ ") {
                end += 1;
            }
            samples.push(Sample {
                file: file.to_path_buf(),
                line: start + i + 1,
                args: words,
                expected: lines[first..end].iter().map(|l| format!("{l}\n")).collect(),
                output: start + first..start + end,
            });
            i = end;
        }
    }
    samples
}

/// What varies between runs: elapsed times and the embedded endpoint's port.
pub fn redactions() -> Redactions {
    let mut r = Redactions::new();
    r.insert("[ELAPSED]", regex::Regex::new(r"\[>? *\d+\.\d{3}s\]").unwrap()).unwrap();
    r.insert("[PORT]", regex::Regex::new(r"127\.0\.0\.1:(?<redacted>\d+)").unwrap()).unwrap();
    r
}

fn run(sample: &Sample) -> String {
    let output = snapbox::cmd::Command::new(env!("CARGO_BIN_EXE_entrasim"))
        .args(&sample.args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .env_remove("ENTRASIM_TOKEN")
        .env_remove("CLICOLOR_FORCE")
        .stderr_to_stdout()
        .output()
        .expect("the entrasim binary runs");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn console_samples_show_what_the_binary_prints() {
    let overwrite = std::env::var("SNAPSHOTS").is_ok_and(|v| v == "overwrite");
    let redactions = redactions();
    let mut failures = Vec::new();
    let mut count = 0;
    for file in documents() {
        let samples = samples(&file);
        let mut rewritten: Vec<(std::ops::Range<usize>, String)> = Vec::new();
        for sample in &samples {
            count += 1;
            let actual = run(sample);
            let (a, e) = (redactions.redact(&actual), redactions.redact(&sample.expected));
            if a == e {
                continue;
            }
            if overwrite {
                rewritten.push((sample.output.clone(), actual));
                continue;
            }
            let name = format!("{}:{} `entrasim {}`", sample.file.display(), sample.line, sample.args.join(" "));
            if let Err(e) = Assert::new().try_eq(Some(&name), a.into(), e.into()) {
                failures.push(e.to_string());
            }
        }
        if !rewritten.is_empty() {
            let text = std::fs::read_to_string(&file).unwrap();
            let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
            for (range, actual) in rewritten.into_iter().rev() {
                lines.splice(range, actual.lines().map(str::to_string));
            }
            std::fs::write(&file, lines.join("\n") + "\n").unwrap();
        }
    }
    assert!(count >= 4, "the README's samples were found ({count})");
    assert!(
        failures.is_empty(),
        "{} sample(s) differ from the binary's output (SNAPSHOTS=overwrite rewrites them):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn sh_samples_use_flags_that_exist() {
    let mut checked = 0;
    for file in documents() {
        let text = std::fs::read_to_string(&file).unwrap();
        for (info, start, lines) in blocks(&text) {
            if !matches!(info.as_str(), "sh" | "console,ignore") {
                continue;
            }
            let mut i = 0;
            while i < lines.len() {
                let first = i;
                let mut command = lines[i].trim_start_matches("$ ").to_string();
                while command.trim_end().ends_with('\\') && i + 1 < lines.len() {
                    command = command.trim_end().trim_end_matches('\\').to_string() + " " + lines[i + 1];
                    i += 1;
                }
                i += 1;
                let words = shell_words(&command);
                if words.first().map(String::as_str) != Some("entrasim") {
                    continue;
                }
                checked += 1;
                if let Err(e) = Cli::try_parse_from(&words) {
                    panic!("{}:{}: `{command}` does not parse:\n{e}", file.display(), start + first + 1);
                }
            }
        }
    }
    assert!(checked >= 10, "the tour's commands were found ({checked})");
}

#[test]
fn shell_words_split_like_a_shell() {
    assert_eq!(
        shell_words(r#"entrasim expr 'Join(" ", [a])' --set a=B  # comment"#),
        ["entrasim", "expr", r#"Join(" ", [a])"#, "--set", "a=B"]
    );
    assert_eq!(shell_words(r#"run "$URL" x"#), ["run", "$URL", "x"]);
}
