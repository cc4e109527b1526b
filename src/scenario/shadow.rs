//! Checking steps against the directory as the steps before them leave it: each directory change is
//! applied to a shadow copy while the file is read, so a step may name a user added by an earlier `add`,
//! and naming one that a later step adds, or an earlier one deleted, is an error with a position.

use std::collections::HashMap;

use toml::de::DeTable;

use super::model::ObjectAlias;
use super::parse::reference_error;
use super::raw::{get, Sink};
use crate::diagnostic::Span;
use crate::directory::{Directory, DirectoryError, Mutation, ObjectRef};

/// Aliases named by a step, with where they were written.
pub(crate) type Refs = Vec<(String, Span)>;

/// What a step is read against.
pub(crate) struct Context {
    /// The directory as the steps so far left it.
    pub shadow: Directory,
    /// Alias → number of the step that adds it (to explain a reference that comes too early).
    pub added_by: HashMap<String, usize>,
    /// The step being read (1-based).
    pub number: usize,
    /// The embedded endpoint's fault rates as the steps so far left them.
    pub fault_rates: super::faults::Rates,
}

pub(crate) fn added_by(tables: &[(&DeTable<'_>, Span)]) -> HashMap<String, usize> {
    let mut out = HashMap::new();
    for (i, (table, _)) in tables.iter().enumerate() {
        for key in ["add", "add_group"] {
            let id = get(table, key).and_then(|n| n.get_ref().as_table()).and_then(|t| get(t, "id"));
            if let Some(id) = id.and_then(|n| n.get_ref().as_str()) {
                out.entry(id.to_string()).or_insert(i + 1);
            }
        }
    }
    out
}

/// Reports a directory error of a step; a reference to an object a later step adds says so.
fn step_error(sink: &mut Sink, e: &DirectoryError, span: Span, ctx: &Context) {
    let later = match e {
        DirectoryError::UnknownUser(a) | DirectoryError::UnknownGroup(a) | DirectoryError::UnknownObject(a) => {
            ctx.added_by.get(a).filter(|&&n| n > ctx.number).map(|n| (a, n))
        }
        _ => None,
    };
    match later {
        Some((alias, n)) => {
            sink.error(span, format!("`{alias}` does not exist yet"), format!("added by step {n}: steps run in order"))
        }
        None => reference_error(sink, e, span, &ctx.shadow),
    }
}

/// A user or group for `on_demand`/`target_edit`; deleted objects are accepted only for `target_edit`
/// (their target resource may still exist).
pub(crate) fn resolve_object(
    sink: &mut Sink,
    ctx: &Context,
    alias: &str,
    span: Span,
    allow_deleted: bool,
) -> Option<ObjectAlias> {
    let dir = &ctx.shadow;
    let error = match dir.lookup(alias) {
        Some(ObjectRef::User(id)) => match dir.user(id) {
            Some(u) if u.is_hard_deleted() && !allow_deleted => DirectoryError::HardDeleted(alias.to_string()),
            _ => return Some(ObjectAlias::User(alias.to_string())),
        },
        Some(ObjectRef::Group(id)) => match dir.group(id) {
            Some(g) if g.is_deleted() && !allow_deleted => DirectoryError::GroupDeleted(alias.to_string()),
            _ => return Some(ObjectAlias::Group(alias.to_string())),
        },
        None => DirectoryError::UnknownObject(alias.to_string()),
    };
    step_error(sink, &error, span, ctx);
    None
}

pub(crate) fn apply_to_shadow(sink: &mut Sink, mutation: &Mutation, refs: &Refs, action_span: Span, ctx: &mut Context) {
    match ctx.shadow.apply(mutation) {
        Ok(applied) if applied.is_noop() => {
            sink.warning(action_span, format!("step {} changes nothing", ctx.number), noop_reason(mutation));
        }
        Ok(_) => {}
        Err(e) => {
            let span = error_alias(&e)
                .and_then(|a| refs.iter().rev().find(|(r, _)| r == a).map(|(_, s)| *s))
                .unwrap_or(action_span);
            step_error(sink, &e, span, ctx);
            add_despite_bad_references(mutation, &mut ctx.shadow);
        }
    }
}

/// After an `add`/`add_group` failed on a reference (manager, member) or a clash (objectId,
/// userPrincipalName), adds the object without it, so later steps naming it are not reported as well:
/// one mistake, one error.
fn add_despite_bad_references(mutation: &Mutation, shadow: &mut Directory) {
    match mutation {
        Mutation::AddUser(new) if shadow.lookup(&new.alias).is_none() => {
            let mut new = new.clone();
            new.manager = None;
            new.object_id = None;
            new.attrs.remove("userPrincipalName");
            let _ = shadow.apply(&Mutation::AddUser(new));
        }
        Mutation::AddGroup(new) if shadow.lookup(&new.alias).is_none() => {
            let mut bare = new.clone();
            bare.members.clear();
            if shadow.apply(&Mutation::AddGroup(bare)).is_ok() {
                for member in &new.members {
                    let add = Mutation::AddMember { group: new.alias.clone(), member: member.clone() };
                    let _ = shadow.apply(&add);
                }
            }
        }
        _ => {}
    }
}

fn error_alias(e: &DirectoryError) -> Option<&str> {
    match e {
        DirectoryError::UnknownUser(a)
        | DirectoryError::UnknownGroup(a)
        | DirectoryError::UnknownObject(a)
        | DirectoryError::NotAUser(a)
        | DirectoryError::NotAGroup(a)
        | DirectoryError::HardDeleted(a)
        | DirectoryError::SoftDeleted(a)
        | DirectoryError::GroupDeleted(a)
        | DirectoryError::SelfManager(a)
        | DirectoryError::SelfMember(a)
        | DirectoryError::DuplicateAlias(a)
        | DirectoryError::DuplicateUserPrincipalName { upn: a, .. } => Some(a),
        _ => None,
    }
}

fn noop_reason(m: &Mutation) -> &'static str {
    match m {
        Mutation::Update { .. } => "the user already has these values",
        Mutation::Assign(_) => "already assigned",
        Mutation::Unassign(_) => "not assigned directly",
        Mutation::Disable(_) => "already disabled",
        Mutation::Enable(_) => "already enabled",
        Mutation::SoftDelete(_) => "already soft-deleted",
        Mutation::Restore(_) => "not soft-deleted",
        Mutation::RenameGroup { .. } => "the group already has this name",
        Mutation::AddMember { .. } => "already a member",
        Mutation::RemoveMember { .. } => "not a member",
        Mutation::AssignGroup(_) => "already assigned",
        Mutation::UnassignGroup(_) => "not assigned",
        _ => "no effect",
    }
}
