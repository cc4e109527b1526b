//! `--state DIR`: the tenant kept across restarts in `DIR/tenant.json`. It holds the identity (ids and the
//! client secret's hash), the directory, the schema in force, the job (schedule, quarantine, connector data
//! store with escrows and fingerprints, aliases, status), the provisioning log, the simulated time, and —
//! when the job provisions the embedded endpoint — the endpoint's users and groups with their ids, so the
//! links in the connector data store still point at them. Stop the tenant, start it again with the same
//! `--state`, and the next cycle is incremental.
//!
//! Not kept: the target's credentials (they come from the command line again; a target set through Graph's
//! `synchronization/secrets` is forgotten) and the target's exchanges. The file is written after every
//! cycle, on-demand request and job command, to a temporary file first and then renamed over the old one,
//! so a crash leaves the previous state whole.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::directory::{AppRole, Directory, Mutation, NewGroup, NewUser, ObjectId};
use crate::engine::cds::Cds;
use crate::engine::compact_id::CompactId;
use crate::engine::log::packed::{NameLists, PackedEvent};
use crate::engine::quarantine::Job;
use crate::engine::result::{IdAlias, JobStatus, ProvisioningEvent};
use crate::graph::{Initiator, LoggedEvent, PackedFacts, TenantIdentity};
use crate::mapping::{SourceObject, Value};

/// The file's format; a file of another format is refused, not guessed at.
pub const FORMAT: u32 = 1;

/// What `DIR/tenant.json` holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Saved {
    /// [`FORMAT`].
    pub format: u32,
    /// Simulated time when the state was written.
    pub clock: DateTime<Utc>,
    /// Ids and the client secret's hash.
    pub identity: SavedIdentity,
    /// Users and groups.
    pub directory: SavedDirectory,
    /// The `synchronizationSchema` in force.
    pub schema: serde_json::Value,
    /// The provisioning job.
    pub job: SavedJob,
    /// The provisioning log, oldest first.
    pub log: Vec<SavedLog>,
    /// The embedded endpoint's resources, when it is the target.
    pub endpoint: Option<SavedEndpoint>,
}

/// [`TenantIdentity`] as saved.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct SavedIdentity {
    pub tenant_id: String,
    pub service_principal_id: String,
    pub app_id: String,
    pub display_name: String,
    pub job_id: String,
    pub template_id: String,
    pub client_secret_sha256: String,
    /// App roles as `{id, value}`.
    pub app_roles: Vec<serde_json::Value>,
}

/// A user as saved.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SavedUser {
    /// Alias.
    pub alias: String,
    /// objectId.
    pub object_id: String,
    /// Attributes (without `objectId`, `accountEnabled` and `manager`).
    pub attributes: serde_json::Value,
    /// The manager's alias.
    pub manager: Option<String>,
    /// Directly assigned.
    pub assigned: bool,
    /// `accountEnabled`.
    pub account_enabled: bool,
    /// In the recycle bin.
    pub soft_deleted: bool,
}

/// A group as saved.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SavedGroup {
    /// Alias.
    pub alias: String,
    /// objectId.
    pub object_id: String,
    /// Attributes (without `objectId`).
    pub attributes: serde_json::Value,
    /// Member users' aliases.
    pub members: Vec<String>,
    /// Assigned to the application.
    pub assigned: bool,
}

/// The directory as saved: live users (soft-deleted ones included) and live groups.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SavedDirectory {
    /// Users.
    pub users: Vec<SavedUser>,
    /// Groups.
    pub groups: Vec<SavedGroup>,
}

/// The job as saved.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SavedJob {
    /// Cycles run.
    pub cycles: u32,
    /// Paused by the admin.
    pub paused: bool,
    /// Schedule and quarantine.
    pub schedule: Job,
    /// The connector data store.
    pub cds: Cds,
    /// Target ids and their aliases.
    pub aliases: Vec<IdAlias>,
    /// Mapping evaluations handed out.
    pub evaluations: u64,
    /// Groups a legacy `Remove members` went to.
    pub legacy_member_removals: BTreeSet<String>,
    /// The status the blade shows.
    pub status: JobStatus,
}

/// A provisioning log entry as saved.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct SavedLog {
    pub id: String,
    pub cycle_id: String,
    pub change_id: String,
    pub at: DateTime<Utc>,
    pub on_demand: bool,
    pub event: ProvisioningEvent,
    /// The source object as the cycle read it (absent in states saved before entries kept it).
    #[serde(default)]
    pub source: Option<crate::graph::SourceFacts>,
}

/// The embedded endpoint's resources as its `GET` answers them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SavedEndpoint {
    /// Users.
    pub users: Vec<serde_json::Value>,
    /// Groups.
    pub groups: Vec<serde_json::Value>,
}

/// Why the state could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// The file or directory could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not a tenant state.
    #[error("{path}:{line}:{column}: not a tenant state: {message}")]
    Malformed {
        /// The path.
        path: PathBuf,
        /// Line of the problem.
        line: usize,
        /// Column of the problem.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// The saved directory does not rebuild.
    #[error("{path}: the saved directory does not rebuild: {message}")]
    Directory {
        /// The path.
        path: PathBuf,
        /// What failed.
        message: String,
    },
}

/// The state directory.
#[derive(Debug, Clone)]
pub struct StateDir {
    dir: PathBuf,
}

impl StateDir {
    /// Opens (creating it when missing) the state directory; returns what it holds, if anything.
    pub fn open(dir: &Path) -> Result<(StateDir, Option<Saved>), StateError> {
        std::fs::create_dir_all(dir).map_err(|source| StateError::Io { path: dir.to_path_buf(), source })?;
        let state = StateDir { dir: dir.to_path_buf() };
        let path = state.file();
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((state, None)),
            Err(source) => return Err(StateError::Io { path, source }),
        };
        let saved: Saved = serde_json::from_str(&text).map_err(|e| StateError::Malformed {
            path: path.clone(),
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
        if saved.format != FORMAT {
            return Err(StateError::Malformed {
                path,
                line: 1,
                column: 1,
                message: format!("format {} (this entrasim reads format {FORMAT})", saved.format),
            });
        }
        Ok((state, Some(saved)))
    }

    /// `DIR/tenant.json`.
    pub fn file(&self) -> PathBuf {
        self.dir.join("tenant.json")
    }

    /// Writes the state: a temporary file first, renamed over the old one.
    pub fn save(&self, saved: &Saved) -> Result<(), StateError> {
        let path = self.file();
        let temporary = self.dir.join("tenant.json.tmp");
        let text = serde_json::to_string(saved).unwrap_or_default();
        std::fs::write(&temporary, text).map_err(|source| StateError::Io { path: temporary.clone(), source })?;
        std::fs::rename(&temporary, &path).map_err(|source| StateError::Io { path, source })
    }
}

impl SavedIdentity {
    /// The identity to save.
    pub fn of(identity: &TenantIdentity) -> Self {
        SavedIdentity {
            tenant_id: identity.tenant_id.clone(),
            service_principal_id: identity.service_principal_id.clone(),
            app_id: identity.app_id.clone(),
            display_name: identity.display_name.clone(),
            job_id: identity.job_id.clone(),
            template_id: identity.template_id.clone(),
            client_secret_sha256: identity.client_secret_sha256.clone(),
            app_roles: identity.app_roles.iter().map(AppRole::to_json).collect(),
        }
    }

    /// The identity saved.
    pub fn identity(&self) -> TenantIdentity {
        TenantIdentity {
            tenant_id: self.tenant_id.clone(),
            service_principal_id: self.service_principal_id.clone(),
            app_id: self.app_id.clone(),
            display_name: self.display_name.clone(),
            job_id: self.job_id.clone(),
            template_id: self.template_id.clone(),
            client_secret_sha256: self.client_secret_sha256.clone(),
            app_roles: self
                .app_roles
                .iter()
                .filter_map(|r| {
                    r.as_str()
                        .and_then(AppRole::from_text)
                        .or_else(|| r.get("value").and_then(|v| v.as_str()).map(AppRole::from_value))
                })
                .collect(),
        }
    }
}

const STRUCTURAL: [&str; 3] = ["objectId", "accountEnabled", "manager"];

impl SavedDirectory {
    /// The directory to save.
    pub fn of(directory: &Directory) -> Self {
        let alias_of = |id| directory.user(id).map(|u| u.alias().to_string());
        let users = directory
            .users()
            .map(|(id, u)| {
                let mut attributes = directory.source_object(id).to_json();
                if let Some(object) = attributes.as_object_mut() {
                    for name in STRUCTURAL {
                        object.remove(name);
                    }
                }
                SavedUser {
                    alias: u.alias().to_string(),
                    object_id: u.object_id().to_string(),
                    attributes,
                    manager: u.manager().and_then(alias_of),
                    assigned: u.is_assigned_directly(),
                    account_enabled: u.account_enabled(),
                    soft_deleted: u.is_soft_deleted(),
                }
            })
            .collect();
        let groups = directory
            .groups()
            .map(|(id, g)| {
                let mut attributes = directory.group_source_object(id).to_json();
                if let Some(object) = attributes.as_object_mut() {
                    object.remove("objectId");
                }
                SavedGroup {
                    alias: g.alias().to_string(),
                    object_id: g.object_id().to_string(),
                    attributes,
                    members: g.members().filter_map(alias_of).collect(),
                    assigned: g.is_assigned(),
                }
            })
            .collect();
        SavedDirectory { users, groups }
    }

    /// Rebuilds the directory: users, then managers, then groups with their members, then the recycle bin.
    pub fn rebuild(&self) -> Result<Directory, String> {
        let mut directory = Directory::new();
        let object_id = |text: &str| ObjectId::parse(text).ok_or_else(|| format!("`{text}` is not an objectId"));
        for u in &self.users {
            let new = NewUser {
                alias: u.alias.clone(),
                object_id: Some(object_id(&u.object_id)?),
                attrs: SourceObject::from_json(&u.attributes),
                manager: None,
                assigned: u.assigned,
                account_enabled: u.account_enabled,
                soft_deleted: false,
            };
            directory.add_user(new).map_err(|e| format!("user `{}`: {e}", u.alias))?;
        }
        for u in self.users.iter().filter(|u| u.manager.is_some()) {
            let set = vec![("manager".to_string(), Value::Str(u.manager.clone().unwrap_or_default()))];
            directory
                .apply(&Mutation::Update { user: u.alias.clone(), set, unset: Vec::new() })
                .map_err(|e| format!("manager of `{}`: {e}", u.alias))?;
        }
        for g in &self.groups {
            let new = NewGroup {
                alias: g.alias.clone(),
                object_id: Some(object_id(&g.object_id)?),
                attrs: SourceObject::from_json(&g.attributes),
                members: g.members.clone(),
                assigned: g.assigned,
            };
            directory.add_group(new).map_err(|e| format!("group `{}`: {e}", g.alias))?;
        }
        for u in self.users.iter().filter(|u| u.soft_deleted) {
            directory.apply(&Mutation::SoftDelete(u.alias.clone())).map_err(|e| format!("user `{}`: {e}", u.alias))?;
        }
        Ok(directory)
    }
}

impl SavedLog {
    /// An entry to save.
    pub fn of(entry: &LoggedEvent) -> Self {
        SavedLog {
            id: entry.id.to_string(),
            cycle_id: entry.cycle_id.to_string(),
            change_id: entry.change_id.to_string(),
            at: entry.at,
            on_demand: entry.initiated_by == Initiator::OnDemand,
            event: entry.event.unpack(),
            source: entry.source.as_ref().map(PackedFacts::unpack),
        }
    }

    /// The entry saved, sharing its lists of attribute names through `names`.
    pub fn entry(&self, names: &mut NameLists) -> LoggedEvent {
        LoggedEvent {
            id: CompactId::new(&self.id),
            cycle_id: CompactId::new(&self.cycle_id),
            change_id: CompactId::new(&self.change_id),
            at: self.at,
            initiated_by: if self.on_demand { Initiator::OnDemand } else { Initiator::System },
            event: PackedEvent::pack(self.event.clone(), names),
            source: self.source.clone().map(|f| PackedFacts::pack(f, names)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_rebuilds_with_its_managers_groups_and_recycle_bin() {
        let mut directory = Directory::new();
        let mut alice = NewUser::new("alice");
        alice.attrs.set("userPrincipalName", Value::Str("alice@contoso.com".into()));
        directory.add_user(alice).expect("alice");
        let mut bob = NewUser::new("bob");
        bob.manager = Some("alice".into());
        bob.account_enabled = false;
        directory.add_user(bob).expect("bob");
        let mut eng = NewGroup::new("eng");
        eng.members = vec!["alice".into(), "bob".into()];
        directory.add_group(eng).expect("eng");
        directory.apply(&Mutation::SoftDelete("alice".into())).expect("soft delete");
        let saved = SavedDirectory::of(&directory);
        let text = serde_json::to_string(&saved).expect("saves");
        let back: SavedDirectory = serde_json::from_str(&text).expect("reads");
        let rebuilt = back.rebuild().expect("rebuilds");
        for (id, user) in directory.users() {
            let other = rebuilt.user_id(user.alias()).expect("same alias");
            assert_eq!(rebuilt.source_object(other), directory.source_object(id), "{}", user.alias());
            assert_eq!(rebuilt.user(other).map(|u| u.is_soft_deleted()), Some(user.is_soft_deleted()));
        }
        let group = rebuilt.group_id("eng").and_then(|g| rebuilt.group(g)).expect("eng");
        assert_eq!(group.member_count(), 2);
    }

    #[test]
    fn a_malformed_state_file_is_named_with_its_line() {
        let dir = std::env::temp_dir().join(format!("entrasim-state-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::write(dir.join("tenant.json"), "{\n  \"format\": 1,\n  oops\n}").expect("write");
        let err = StateDir::open(&dir).expect_err("malformed");
        let text = err.to_string();
        assert!(text.contains("tenant.json:3:"), "{text}");
        std::fs::remove_dir_all(&dir).ok();
    }
}
