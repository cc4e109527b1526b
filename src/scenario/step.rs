//! `[[steps]]`: one action key per step, its companion keys, `name` and `expect`. References are checked
//! against the directory as the earlier steps leave it (`shadow.rs`).

use toml::de::{DeTable, DeValue};

use super::duration;
use super::entity::{check_unset_name, parse_group, parse_user, parse_user_set};
use super::expect::parse_expect;
use super::faults::{initial_rates, parse_fault_change};
use super::model::{Action, CycleKind, Restart, Step, TargetEdit};
use super::parse::{choice, joined, nested_group_warning, quoted_list};
use super::raw::{self, entries, get, key_span, Node, Sink};
use super::shadow::{added_by, apply_to_shadow, resolve_object, Context, Refs};
use crate::diagnostic::{did_you_mean, Span};
use crate::directory::{Directory, Mutation};
use crate::mapping::Value;

/// Keys that say what a step does: exactly one per step.
pub(crate) const ACTION_KEYS: &[&str] = &[
    "test_connection",
    "cycle",
    "add",
    "update",
    "assign",
    "unassign",
    "disable",
    "enable",
    "soft_delete",
    "restore",
    "hard_delete",
    "on_demand",
    "restart",
    "steady",
    "add_group",
    "rename_group",
    "add_member",
    "remove_member",
    "assign_group",
    "unassign_group",
    "delete_group",
    "target_edit",
    "wait",
    "embedded",
];

/// Keys that complete an action, and the actions they go with.
const COMPANIONS: &[(&str, &[&str])] = &[
    ("set", &["update", "target_edit"]),
    ("unset", &["update", "target_edit"]),
    ("to", &["rename_group"]),
    ("user", &["add_member", "remove_member"]),
];

/// Reads every step, checking references against `dir` as changed by the steps before.
pub(crate) fn parse_steps(sink: &mut Sink, root: &DeTable<'_>, dir: &Directory) -> Vec<Step> {
    let Some(node) = get(root, "steps") else {
        sink.warning(
            Span::new(0, 0),
            "the scenario has no steps",
            "add `[[steps]]` tables, e.g. `cycle = \"initial\"`",
        );
        return Vec::new();
    };
    let tables = raw::table_list(sink, node, "steps");
    let fault_rates = initial_rates(root);
    let mut ctx = Context { shadow: dir.clone(), added_by: added_by(&tables), number: 0, fault_rates };
    let mut steps = Vec::new();
    for (i, (table, span)) in tables.into_iter().enumerate() {
        ctx.number = i + 1;
        if let Some(step) = parse_step(sink, table, span, &mut ctx) {
            steps.push(step);
        }
    }
    steps
}

fn step_keys() -> Vec<&'static str> {
    let mut keys: Vec<&str> = ACTION_KEYS.to_vec();
    keys.extend(COMPANIONS.iter().map(|(k, _)| *k));
    keys.extend(["name", "expect"]);
    keys
}

fn parse_step(sink: &mut Sink, table: &DeTable<'_>, span: Span, ctx: &mut Context) -> Option<Step> {
    let number = ctx.number;
    let unknown = raw::check_keys(sink, table, &step_keys(), &format!("step {number}"));
    let actions: Vec<_> = entries(table).into_iter().filter(|(k, _, _)| ACTION_KEYS.contains(k)).collect();
    let (key, action_key_span, node) = match actions.as_slice() {
        // A misspelt action key was reported as unknown: saying the step has no action would repeat it.
        [] if unknown.iter().any(|k| did_you_mean(k, ACTION_KEYS.iter().copied()).is_some()) => return None,
        [] => {
            let example = "expected one action key, e.g. `cycle`, `update` or `test_connection`";
            sink.error(span, format!("step {number} has no action"), example);
            return None;
        }
        [one] => *one,
        [_, second, ..] => {
            let names: Vec<&str> = actions.iter().map(|(k, _, _)| *k).collect();
            sink.error(
                second.1,
                format!("step {number} has several actions: {}", joined(&names, "and")),
                "one action per step: split it into separate [[steps]]",
            );
            return None;
        }
    };
    for (companion, owners) in COMPANIONS {
        if let Some(cspan) = key_span(table, companion).filter(|_| !owners.contains(&key)) {
            sink.error(
                cspan,
                format!("`{companion}` does not go with `{key}`"),
                format!("`{companion}` goes with {}", quoted_list(owners)),
            );
        }
    }
    let name = get(table, "name").and_then(|n| raw::string(sink, n, "name")).map(|(n, _)| n);
    let expect =
        get(table, "expect").and_then(|n| parse_expect(sink, n, key_span(table, "expect").unwrap_or_default(), key));
    let action_span = Span::new(action_key_span.start, raw::span_of(node).end);
    let (action, refs) = parse_action(sink, key, node, table, action_span, ctx)?;
    if let Action::Change(mutation) = &action {
        apply_to_shadow(sink, mutation, &refs, action_span, ctx);
    }
    Some(Step { number, name, span, action, action_span, expect })
}

/// The parts of a step an action is read from.
struct Input<'a, 'i> {
    key: &'a str,
    node: &'a Node<'i>,
    table: &'a DeTable<'i>,
    action_span: Span,
}

fn parse_action(
    sink: &mut Sink,
    key: &str,
    node: &Node<'_>,
    table: &DeTable<'_>,
    action_span: Span,
    ctx: &mut Context,
) -> Option<(Action, Refs)> {
    let input = Input { key, node, table, action_span };
    let mut refs = Refs::new();
    let action = match key {
        "test_connection" => must_be_true(sink, node, key).map(|()| Action::TestConnection)?,
        "steady" => must_be_true(sink, node, key).map(|()| Action::Steady)?,
        "cycle" => {
            let (c, _) = choice(sink, node, "cycle", &["initial", "incremental"])?;
            Action::Cycle(if c == "initial" { CycleKind::Initial } else { CycleKind::Incremental })
        }
        "restart" => Action::Restart(parse_restart(sink, node)?),
        "on_demand" => {
            let (a, span) = raw::string(sink, node, key)?;
            Action::OnDemand(resolve_object(sink, ctx, &a, span, false)?)
        }
        "target_edit" => Action::TargetEdit(parse_target_edit(sink, &input, ctx)?),
        "wait" => Action::Wait(duration::read(sink, node, key)?.0),
        "embedded" => Action::Embedded(parse_fault_change(sink, node, &mut ctx.fault_rates)?),
        "add" => Action::Change(parse_add_user(sink, &input, &mut refs)?),
        "add_group" => Action::Change(parse_add_group(sink, &input, &ctx.shadow, &mut refs)?),
        "update" => Action::Change(parse_update(sink, &input, &mut refs)?),
        "rename_group" => {
            let group = alias(sink, node, key, &mut refs)?;
            let (to, _) = companion_string(sink, &input, "to", "add `to = \"New name\"`")?;
            Action::Change(Mutation::RenameGroup { group, to })
        }
        "add_member" | "remove_member" => Action::Change(parse_membership(sink, &input, &ctx.shadow, &mut refs)?),
        _ => {
            let a = alias(sink, node, key, &mut refs)?;
            Action::Change(simple_mutation(key, a))
        }
    };
    Some((action, refs))
}

fn parse_add_user(sink: &mut Sink, input: &Input<'_, '_>, refs: &mut Refs) -> Option<Mutation> {
    let t = raw::table(sink, input.node, input.key)?;
    let entry = parse_user(sink, t, raw::span_of(input.node))?;
    refs.push((entry.new.alias.clone(), entry.id_span));
    if let (Some(upn), Some(span)) = (entry.new.attrs.get("userPrincipalName").to_text(), entry.upn_span) {
        refs.push((upn, span));
    }
    if let (Some(m), Some(span)) = (&entry.new.manager, entry.manager_span) {
        refs.push((m.clone(), span));
    }
    Some(Mutation::AddUser(entry.new))
}

fn parse_add_group(sink: &mut Sink, input: &Input<'_, '_>, shadow: &Directory, refs: &mut Refs) -> Option<Mutation> {
    let t = raw::table(sink, input.node, input.key)?;
    let entry = parse_group(sink, t, raw::span_of(input.node))?;
    refs.push((entry.new.alias.clone(), entry.id_span));
    for (member, span) in entry.new.members.iter().zip(&entry.member_spans) {
        if shadow.group_id(member).is_some() && *member != entry.new.alias {
            nested_group_warning(sink, *span, member);
        }
        refs.push((member.clone(), *span));
    }
    Some(Mutation::AddGroup(entry.new))
}

fn parse_update(sink: &mut Sink, input: &Input<'_, '_>, refs: &mut Refs) -> Option<Mutation> {
    let user = alias(sink, input.node, input.key, refs)?;
    let (set, unset) = parse_set_unset(sink, input)?;
    for (name, value, span) in &set {
        if let ("manager" | "userPrincipalName", Value::Str(m)) = (name.as_str(), value) {
            refs.push((m.clone(), *span));
        }
    }
    let set = set.into_iter().map(|(n, v, _)| (n, v)).collect();
    let unset = unset.into_iter().filter_map(|(n, span)| check_unset_name(sink, &n, span)).collect();
    Some(Mutation::Update { user, set, unset })
}

fn parse_membership(sink: &mut Sink, input: &Input<'_, '_>, shadow: &Directory, refs: &mut Refs) -> Option<Mutation> {
    let group = alias(sink, input.node, input.key, refs)?;
    let (member, span) = companion_string(sink, input, "user", "add `user = \"...\"`")?;
    let add = input.key == "add_member";
    if add && shadow.group_id(&member).is_some() && member != group {
        nested_group_warning(sink, span, &member);
    }
    refs.push((member.clone(), span));
    Some(if add { Mutation::AddMember { group, member } } else { Mutation::RemoveMember { group, member } })
}

fn parse_target_edit(sink: &mut Sink, input: &Input<'_, '_>, ctx: &Context) -> Option<TargetEdit> {
    let (a, span) = raw::string(sink, input.node, input.key)?;
    let object = resolve_object(sink, ctx, &a, span, true)?;
    let (set_node, unset_node) = (get(input.table, "set"), get(input.table, "unset"));
    if set_node.is_none() && unset_node.is_none() {
        sink.error(input.action_span, "`target_edit` needs `set` or `unset`", "add `set = { title = \"...\" }`");
        return None;
    }
    let set = set_node.and_then(|n| raw::table(sink, n, "set"));
    let set = set.map(|t| raw::table_to_json(t).into_iter().collect()).unwrap_or_default();
    let unset = unset_node.and_then(|n| raw::string_list(sink, n, "unset")).unwrap_or_default();
    Some(TargetEdit { object, set, unset: unset.into_iter().map(|(u, _)| u).collect() })
}

/// A string naming an object; remembered in `refs` for error positions.
fn alias(sink: &mut Sink, node: &Node<'_>, key: &str, refs: &mut Refs) -> Option<String> {
    let (a, span) = raw::string(sink, node, key)?;
    refs.push((a.clone(), span));
    Some(a)
}

fn simple_mutation(key: &str, alias: String) -> Mutation {
    match key {
        "assign" => Mutation::Assign(alias),
        "unassign" => Mutation::Unassign(alias),
        "disable" => Mutation::Disable(alias),
        "enable" => Mutation::Enable(alias),
        "soft_delete" => Mutation::SoftDelete(alias),
        "restore" => Mutation::Restore(alias),
        "hard_delete" => Mutation::HardDelete(alias),
        "assign_group" => Mutation::AssignGroup(alias),
        "unassign_group" => Mutation::UnassignGroup(alias),
        _ => Mutation::DeleteGroup(alias),
    }
}

fn must_be_true(sink: &mut Sink, node: &Node<'_>, key: &str) -> Option<()> {
    match raw::boolean(sink, node, key)? {
        true => Some(()),
        false => {
            sink.error(raw::span_of(node), format!("`{key} = false` does nothing"), "write `true` or remove the step");
            None
        }
    }
}

fn parse_restart(sink: &mut Sink, node: &Node<'_>) -> Option<Restart> {
    match node.get_ref() {
        DeValue::Boolean(true) => Some(Restart::KeepLinks),
        DeValue::Boolean(false) => {
            sink.error(
                raw::span_of(node),
                "`restart = false` does nothing",
                "write `true`, `\"full\"` or remove the step",
            );
            None
        }
        DeValue::String(s) if s.as_ref() == "full" => Some(Restart::Full),
        DeValue::String(s) => {
            let label = match did_you_mean(s, ["full"]) {
                Some(_) => "did you mean `\"full\"`?".to_string(),
                None => "expected `true` or `\"full\"`".to_string(),
            };
            sink.error(raw::span_of(node), format!("unknown restart `{s}`"), label);
            None
        }
        _ => {
            raw::type_error(sink, node, "restart", "`true` or `\"full\"`");
            None
        }
    }
}

type SetUnset = (Vec<(String, Value, Span)>, Vec<(String, Span)>);

fn parse_set_unset(sink: &mut Sink, input: &Input<'_, '_>) -> Option<SetUnset> {
    let set_node = get(input.table, "set");
    let unset_node = get(input.table, "unset");
    if set_node.is_none() && unset_node.is_none() {
        let message = format!("`{}` needs `set` or `unset`", input.key);
        sink.error(input.action_span, message, "add `set = { department = \"...\" }`");
        return None;
    }
    let set = set_node.and_then(|n| raw::table(sink, n, "set")).map(|t| parse_user_set(sink, t)).unwrap_or_default();
    let unset = unset_node.and_then(|n| raw::string_list(sink, n, "unset")).unwrap_or_default();
    Some((set, unset))
}

fn companion_string(sink: &mut Sink, input: &Input<'_, '_>, companion: &str, hint: &str) -> Option<(String, Span)> {
    match get(input.table, companion) {
        Some(n) => raw::string(sink, n, companion),
        None => {
            sink.error(input.action_span, format!("`{}` needs `{companion}`", input.key), hint);
            None
        }
    }
}
