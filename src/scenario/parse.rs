//! Raw TOML → validated [`Scenario`], collecting every error: one function per section of the file.
//!
//! Order: top-level keys, `[settings]`, `[embedded]`, `[target]`, then the directory (`[generate]`,
//! `[[users]]`, `[[groups]]`, managers and members once every object exists, so they may refer forward),
//! then the steps, each applied to a copy of the directory so references to users added by earlier steps
//! resolve and references to deleted ones are caught.

use std::collections::HashMap;
use std::path::PathBuf;

use toml::de::{DeTable, DeValue};

use super::entity::{parse_group, parse_user, GroupEntry, UserEntry};
use super::load::Loaded;
use super::model::{
    Dialect, Embedded, EscrowRetry, Located, MappingRef, Scenario, Scope, Settings, SnapshotDetail, TargetSeed,
};
use super::raw::{self, check_keys, get, Node, Sink};
use super::step::parse_steps;
use crate::diagnostic::{did_you_mean, Diagnostic, SourceFile, Span};
use crate::directory::{self, Directory, DirectoryError, Mutation};
use crate::mapping::Value;

const TOP_KEYS: &[&str] = &[
    "description",
    "mapping",
    "dialect",
    "snapshot",
    "settings",
    "embedded",
    "generate",
    "target",
    "users",
    "groups",
    "steps",
];

/// Parses and validates a scenario. `Err` holds every diagnostic (errors and warnings) when there is at
/// least one error.
pub(crate) fn parse(file: SourceFile, base_dir: PathBuf) -> Result<Loaded, Vec<Diagnostic>> {
    let text = file.text.clone();
    let doc = raw::parse_document(&file, &text)?;
    let root = doc.get_ref();
    let mut sink = Sink::new(file.clone());
    check_keys(&mut sink, root, TOP_KEYS, "the scenario");
    let description = get(root, "description").and_then(|n| raw::string(&mut sink, n, "description"));
    let mapping = match get(root, "mapping").and_then(|n| raw::string(&mut sink, n, "mapping")) {
        Some((spec, span)) => MappingRef { spec, span: Some(span) },
        None => MappingRef { spec: MappingRef::DEFAULT.to_string(), span: None },
    };
    let dialect = get(root, "dialect").and_then(|n| parse_dialect(&mut sink, n));
    let snapshot = get(root, "snapshot").and_then(|n| choice(&mut sink, n, "snapshot", &["full", "compact"])).map_or(
        SnapshotDetail::Full,
        |(c, _)| if c == "compact" { SnapshotDetail::Compact } else { SnapshotDetail::Full },
    );
    let settings = get(root, "settings").map(|n| parse_settings(&mut sink, n)).unwrap_or_default();
    let embedded =
        get(root, "embedded").and_then(|n| raw::table(&mut sink, n, "embedded").map(|t| (t, n))).map(|(t, n)| {
            Embedded {
                table: raw::table_to_toml(t),
                span: raw::span_of(n),
                keys: raw::entries(t).into_iter().map(|(k, span, _)| (k.to_string(), span)).collect(),
            }
        });
    let target = get(root, "target").map(|n| parse_target(&mut sink, n)).unwrap_or_default();
    let mut directory = parse_directory(&mut sink, root);
    directory.baseline();
    let steps = parse_steps(&mut sink, root, &directory);
    let mut diags = sink.diags;
    diags.sort_by_key(|d| d.location.as_ref().map_or(0, |(_, span)| span.start));
    if diags.iter().any(Diagnostic::is_error) {
        return Err(diags);
    }
    let scenario = Scenario {
        file,
        base_dir,
        description: description.map(|(d, _)| d).unwrap_or_default(),
        mapping,
        dialect,
        snapshot,
        settings,
        embedded,
        target,
        directory,
        steps,
    };
    Ok(Loaded { scenario, warnings: diags })
}

/// Reads a string that must be one of `choices`; reports the closest choice otherwise.
pub(crate) fn choice<'c>(sink: &mut Sink, node: &Node<'_>, key: &str, choices: &[&'c str]) -> Option<(&'c str, Span)> {
    let (text, span) = raw::string(sink, node, key)?;
    if let Some(c) = choices.iter().find(|c| **c == text) {
        return Some((c, span));
    }
    let label = match did_you_mean(&text, choices.iter().copied()) {
        Some(s) => format!("did you mean `{s}`?"),
        None => format!("expected {}", quoted_list(choices)),
    };
    sink.error(span, format!("unknown {key} `{text}`"), label);
    None
}

/// `` `a` ``, `` `a` or `b` ``, `` `a`, `b` or `c` ``.
pub(crate) fn quoted_list(items: &[&str]) -> String {
    joined(items, "or")
}

/// Items in backticks, the last two joined by `word`.
pub(crate) fn joined(items: &[&str], word: &str) -> String {
    let quoted: Vec<String> = items.iter().map(|i| format!("`{i}`")).collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} {word} {last}", rest.join(", ")),
        _ => quoted.join(""),
    }
}

fn parse_dialect(sink: &mut Sink, node: &Node<'_>) -> Option<Located<Dialect>> {
    let (c, span) = choice(sink, node, "dialect", &["legacy", "compliant"])?;
    let value = if c == "legacy" { Dialect::Legacy } else { Dialect::Compliant };
    Some(Located { value, span })
}

const SETTINGS_KEYS: &[&str] = &[
    "scope",
    "actions",
    "skip_out_of_scope_deletions",
    "provision_groups",
    "deletion_threshold",
    "concurrency",
    "escrow_retry",
];

fn parse_settings(sink: &mut Sink, node: &Node<'_>) -> Settings {
    let mut settings = Settings::default();
    let Some(table) = raw::table(sink, node, "settings") else { return settings };
    let known: Vec<&str> = SETTINGS_KEYS.iter().copied().chain(crate::fidelity::names()).collect();
    check_keys(sink, table, &known, "`[settings]`");
    settings.wire = parse_wire(sink, table);
    if let Some((c, _)) = get(table, "scope").and_then(|n| choice(sink, n, "scope", &["assigned", "all"])) {
        settings.scope = if c == "all" { Scope::All } else { Scope::Assigned };
    }
    if let Some(items) = get(table, "actions").and_then(|n| raw::string_list(sink, n, "actions")) {
        settings.actions.create = false;
        settings.actions.update = false;
        settings.actions.delete = false;
        for (item, span) in items {
            match item.as_str() {
                "create" => settings.actions.create = true,
                "update" => settings.actions.update = true,
                "delete" => settings.actions.delete = true,
                other => {
                    let choices = ["create", "update", "delete"];
                    let label = match did_you_mean(other, choices) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => format!("expected {}", quoted_list(&choices)),
                    };
                    sink.error(span, format!("unknown target object action `{other}`"), label);
                }
            }
        }
    }
    if let Some(b) =
        get(table, "skip_out_of_scope_deletions").and_then(|n| raw::boolean(sink, n, "skip_out_of_scope_deletions"))
    {
        settings.skip_out_of_scope_deletions = b;
    }
    if let Some(b) = get(table, "provision_groups").and_then(|n| raw::boolean(sink, n, "provision_groups")) {
        settings.provision_groups = b;
    }
    settings.deletion_threshold =
        get(table, "deletion_threshold").and_then(|n| positive(sink, n, "deletion_threshold"));
    settings.concurrency = get(table, "concurrency").and_then(|n| positive(sink, n, "concurrency"));
    if let Some((c, _)) =
        get(table, "escrow_retry").and_then(|n| choice(sink, n, "escrow_retry", &["next_cycle", "backoff"]))
    {
        settings.escrow_retry = if c == "backoff" { EscrowRetry::Backoff } else { EscrowRetry::NextCycle };
    }
    settings
}

/// The wire switches among the `[settings]` keys: booleans, or one of the switch's strings.
fn parse_wire(sink: &mut Sink, table: &DeTable<'_>) -> Vec<crate::fidelity::Override> {
    let mut out = Vec::new();
    for def in crate::fidelity::SWITCHES {
        let Some(node) = get(table, def.name) else { continue };
        let value = match node.get_ref() {
            DeValue::Boolean(b) => b.to_string(),
            DeValue::String(s) => s.to_string(),
            _ => {
                raw::type_error(sink, node, def.name, &crate::fidelity::expected(def));
                continue;
            }
        };
        match crate::fidelity::Override::new(def.name, &value) {
            Ok(o) => out.push(o),
            Err(e) => {
                sink.error(raw::span_of(node), e.to_string(), format!("expected {}", crate::fidelity::expected(def)))
            }
        }
    }
    out
}

/// An integer from 1 to `u32::MAX`.
fn positive(sink: &mut Sink, node: &Node<'_>, key: &str) -> Option<u32> {
    let n = raw::count(sink, node, key)?;
    match u32::try_from(n) {
        Ok(n) if n > 0 => Some(n),
        _ => {
            sink.error(raw::span_of(node), format!("`{key}` must be between 1 and {}", u32::MAX), "out of range");
            None
        }
    }
}

fn parse_target(sink: &mut Sink, node: &Node<'_>) -> TargetSeed {
    let mut seed = TargetSeed::default();
    let Some(table) = raw::table(sink, node, "target") else { return seed };
    check_keys(sink, table, &["users", "groups"], "`[target]`");
    let mut objects = |key: &str| -> Vec<Located<serde_json::Value>> {
        let Some(node) = get(table, key) else { return Vec::new() };
        raw::table_list(sink, node, &format!("target.{key}"))
            .into_iter()
            .map(|(t, span)| Located { value: serde_json::Value::Object(raw::table_to_json(t)), span })
            .collect()
    };
    seed.users = objects("users");
    seed.groups = objects("groups");
    seed
}

const GENERATE_KEYS: &[&str] = &["users", "groups", "seed"];

/// The most users `[generate]` accepts (well above the 100,000-user benchmark).
pub(crate) const MAX_GENERATED: u64 = 1_000_000;

fn parse_generate(sink: &mut Sink, node: &Node<'_>) -> Directory {
    let Some(table) = raw::table(sink, node, "generate") else { return Directory::new() };
    check_keys(sink, table, GENERATE_KEYS, "`[generate]`");
    let mut bounded = |key: &str| {
        let node = get(table, key)?;
        let n = raw::count(sink, node, key)?;
        if n > MAX_GENERATED {
            sink.error(raw::span_of(node), format!("`{key}` must be at most {MAX_GENERATED}"), "too many");
            return None;
        }
        usize::try_from(n).ok()
    };
    let users = bounded("users").unwrap_or(0);
    let groups = bounded("groups").unwrap_or(0);
    let seed = get(table, "seed").and_then(|n| raw::count(sink, n, "seed")).unwrap_or(1);
    directory::generate(users, groups, seed)
}

/// Builds the initial directory from `[generate]`, `[[users]]` and `[[groups]]`.
fn parse_directory(sink: &mut Sink, root: &DeTable<'_>) -> Directory {
    let mut dir = get(root, "generate").map(|n| parse_generate(sink, n)).unwrap_or_default();
    let mut defined: HashMap<String, Span> = HashMap::new();
    let users: Vec<UserEntry> = get(root, "users")
        .map(|n| raw::table_list(sink, n, "users"))
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(t, span)| parse_user(sink, t, span))
        .collect();
    for entry in &users {
        let mut new = entry.new.clone();
        new.manager = None;
        // Soft-deleted last, so a user in the recycle bin can still have a manager and group memberships.
        new.soft_deleted = false;
        if let Err(e) = dir.apply(&Mutation::AddUser(new)) {
            let span = match e {
                DirectoryError::DuplicateUserPrincipalName { .. } => entry.upn_span.unwrap_or(entry.id_span),
                _ => entry.id_span,
            };
            duplicate_error(sink, &e, &entry.new.alias, span, &defined);
        }
        defined.entry(entry.new.alias.clone()).or_insert(entry.id_span);
    }
    let groups: Vec<GroupEntry> = get(root, "groups")
        .map(|n| raw::table_list(sink, n, "groups"))
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(t, span)| parse_group(sink, t, span))
        .collect();
    for entry in &groups {
        let mut new = entry.new.clone();
        new.members.clear();
        if let Err(e) = dir.apply(&Mutation::AddGroup(new)) {
            duplicate_error(sink, &e, &entry.new.alias, entry.id_span, &defined);
        }
        defined.entry(entry.new.alias.clone()).or_insert(entry.id_span);
    }
    for entry in &users {
        if let (Some(manager), Some(span)) = (&entry.new.manager, entry.manager_span) {
            let set = vec![("manager".to_string(), Value::Str(manager.clone()))];
            let update = Mutation::Update { user: entry.new.alias.clone(), set, unset: Vec::new() };
            if let Err(e) = dir.apply(&update) {
                reference_error(sink, &e, span, &dir);
            }
        }
    }
    for entry in &groups {
        for (member, span) in entry.new.members.iter().zip(&entry.member_spans) {
            if dir.group_id(member).is_some() && *member != entry.new.alias {
                nested_group_warning(sink, *span, member);
            }
            let add = Mutation::AddMember { group: entry.new.alias.clone(), member: member.clone() };
            if let Err(e) = dir.apply(&add) {
                reference_error(sink, &e, *span, &dir);
            }
        }
    }
    for entry in users.iter().filter(|e| e.new.soft_deleted) {
        // Cannot fail: the user was added above (or its duplicate id was reported).
        let _ = dir.apply(&Mutation::SoftDelete(entry.new.alias.clone()));
    }
    dir
}

pub(crate) fn nested_group_warning(sink: &mut Sink, span: Span, member: &str) {
    let d = Diagnostic::warning(format!("nested group `{member}` will not be provisioned"))
        .at(&sink.file, span)
        .with_label("a group, not a user")
        .with_help("Entra provisions direct user members only; nested groups and their members are ignored");
    sink.push(d);
}

fn duplicate_error(sink: &mut Sink, e: &DirectoryError, alias: &str, span: Span, defined: &HashMap<String, Span>) {
    match e {
        DirectoryError::DuplicateAlias(_) => {
            let label = match defined.get(alias) {
                Some(first) => format!("first defined at line {}", sink.file.line_col(first.start).0),
                None => "already used by a generated object".to_string(),
            };
            sink.error(span, format!("duplicate id `{alias}`"), label);
        }
        DirectoryError::DuplicateObjectId { .. } => sink.error(span, e.to_string(), "objectIds must be unique"),
        DirectoryError::DuplicateUserPrincipalName { .. } => {
            sink.error(span, e.to_string(), "Entra keeps userPrincipalNames unique")
        }
        other => sink.error(span, other.to_string(), "cannot add"),
    }
}

/// Reports a directory error about a reference at `span`, suggesting a close alias of the right kind.
pub(crate) fn reference_error(sink: &mut Sink, e: &DirectoryError, span: Span, dir: &Directory) {
    let users = || dir.users().map(|(_, u)| u.alias()).collect::<Vec<_>>();
    let groups = || dir.groups().map(|(_, g)| g.alias()).collect::<Vec<_>>();
    let suggest = |alias: &str, candidates: Vec<&str>| match did_you_mean(alias, candidates) {
        Some(s) => format!("did you mean `{s}`?"),
        None => "not defined".to_string(),
    };
    let label = match e {
        DirectoryError::UnknownUser(a) => suggest(a, users()),
        DirectoryError::UnknownGroup(a) => suggest(a, groups()),
        DirectoryError::UnknownObject(a) => suggest(a, users().into_iter().chain(groups()).collect()),
        DirectoryError::NotAUser(_) => "a group".to_string(),
        DirectoryError::NotAGroup(_) => "a user".to_string(),
        DirectoryError::HardDeleted(_) | DirectoryError::GroupDeleted(_) => "deleted by an earlier step".to_string(),
        DirectoryError::SoftDeleted(_) => "in the recycle bin".to_string(),
        DirectoryError::DuplicateAlias(_) => "ids are unique across users and groups".to_string(),
        DirectoryError::DuplicateObjectId { .. } => "objectIds must be unique".to_string(),
        DirectoryError::DuplicateUserPrincipalName { .. } => "Entra keeps userPrincipalNames unique".to_string(),
        DirectoryError::SelfManager(_) => "the user itself".to_string(),
        DirectoryError::SelfMember(_) => "the group itself".to_string(),
        _ => "here".to_string(),
    };
    sink.error(span, e.to_string(), label);
}
