//! Synthetic directories: realistic, deterministic tenants of any size for benchmarks and scale tests.
//!
//! [`generate`] builds `users` users and `groups` groups from a seed. The same seed always gives the same
//! directory (the generator uses its own `SplitMix64` stream, independent of any crate's RNG stability).
//!
//! - Users `u000001`.. have names from built-in lists, unique `userPrincipalName`/`mailNickname`
//!   (`james.smith`, then `james.smith2`, ... `@contoso.com`), an employeeId, a department, a job title that
//!   follows their place in the hierarchy, an office (city, state, country, postal code, street, phones,
//!   preferred language, usage location) and a manager: `u000001` is the CEO, eleven vice presidents report
//!   to them, then everyone has a manager with seven direct reports per manager.
//! - Groups `g0001`.. are first one group per department (big), then project teams: most have 3 to 25
//!   members, every tenth 50 to 500.
//! - Everyone is enabled and assigned to the application, and every group is assigned.
//!
//! Generated users are stored compactly (a `Persona` of small indexes, about 24 bytes) and their
//! attributes are spelled out only when [`Directory::source_object`] is asked for them, so a 100,000-user
//! tenant takes a few megabytes.

mod data;
mod persona;

use std::collections::HashSet;

use data::{DEPARTMENTS, FIRST_NAMES, LAST_NAMES, PLACES, STREETS, TEAM_ADJECTIVES, TEAM_KINDS, TEAM_NOUNS};
pub(crate) use persona::Persona;

use super::model::{Group, GroupId, ObjectId, Stamp, User, UserId};
use super::tenant::{index_u32, Directory};
use crate::mapping::{SourceObject, Value};

/// The mail domain of generated users.
pub const DOMAIN: &str = "contoso.com";

/// The company name of generated users.
pub const COMPANY: &str = "Contoso";

/// Direct reports per manager below the vice presidents.
const FAN_OUT: usize = 7;

/// `SplitMix64`: tiny, fast, and its output for a seed never changes.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn small(&mut self, n: usize) -> u16 {
        u16::try_from(self.below(n)).unwrap_or(u16::MAX)
    }
}

/// A deterministic synthetic directory (see the module docs), with a [baseline](Directory::baseline): the
/// generated state is the starting point.
pub fn generate(users: usize, groups: usize, seed: u64) -> Directory {
    let mut dir = Directory::new();
    let users = users.min(u32::MAX as usize / 2);
    let groups = groups.min(u32::MAX as usize / 2);
    dir.users.reserve_exact(users);
    dir.reserve_objects(users + groups);
    let mut rng = Rng(seed);
    let departments = generate_users(&mut dir, users, &mut rng);
    generate_groups(&mut dir, groups, &departments, &mut rng);
    dir.baseline();
    dir
}

/// The manager of generated user `i` (0-based): the CEO has none, vice presidents report to the CEO, then
/// managers take [`FAN_OUT`] reports each in order.
fn manager_of(i: usize) -> Option<usize> {
    let vps = DEPARTMENTS.len() - 1;
    match i {
        0 => None,
        i if i <= vps => Some(0),
        i => Some(1 + (i - vps - 1) / FAN_OUT),
    }
}

fn has_reports(i: usize, users: usize) -> bool {
    let vps = DEPARTMENTS.len() - 1;
    let first_report = if i == 0 { 1 } else { vps + 1 + (i - 1) * FAN_OUT };
    first_report < users
}

/// Adds the users; returns each user's department index.
fn generate_users(dir: &mut Directory, users: usize, rng: &mut Rng) -> Vec<u8> {
    let width = users.to_string().len().max(6);
    let mut name_counts = vec![0u16; FIRST_NAMES.len() * LAST_NAMES.len()];
    let mut departments = Vec::with_capacity(users);
    let mut depths: Vec<u8> = Vec::with_capacity(users);
    for i in 0..users {
        let manager = manager_of(i);
        let (department, depth) = match manager {
            None => (0, 0),
            Some(0) => (u8::try_from(i).unwrap_or(0), 1),
            Some(m) => (departments[m], depths[m].saturating_add(1)),
        };
        departments.push(department);
        depths.push(depth);
        let first = rng.small(FIRST_NAMES.len());
        let last = rng.small(LAST_NAMES.len());
        let count = &mut name_counts[usize::from(first) * LAST_NAMES.len() + usize::from(last)];
        let duplicate = *count;
        *count = count.saturating_add(1);
        let title = match (has_reports(i, users), depth) {
            (true, d) => d.min(4),
            (false, 0) => 0,
            (false, _) => 10 + rng.small(4) as u8,
        };
        let persona = Persona {
            number: index_u32(i + 1),
            first,
            last,
            duplicate,
            phone: rng.small(10_000),
            mobile: rng.small(10_000),
            street_number: 1 + rng.small(9_999),
            department,
            title,
            place: rng.small(PLACES.len()) as u8,
            street: rng.small(STREETS.len()) as u8,
            building: 1 + rng.small(40) as u8,
        };
        let alias = format!("u{:0width$}", i + 1);
        let object_id = ObjectId::derive(&alias);
        dir.push_user(User {
            alias: alias.into(),
            object_id,
            attrs: SourceObject::new(),
            persona: Some(persona),
            manager: manager.map(|m| UserId(index_u32(m))),
            assigned: true,
            account_enabled: true,
            soft_deleted: false,
            hard_deleted: false,
            assigned_groups: 0,
            stamp: Stamp::fresh(),
        });
    }
    departments
}

fn generate_groups(dir: &mut Directory, groups: usize, departments: &[u8], rng: &mut Rng) {
    let width = groups.to_string().len().max(4);
    let users = departments.len();
    let mut names = HashSet::new();
    for g in 0..groups {
        let (display_name, description, members) = if g + 1 < DEPARTMENTS.len() {
            let dept = &DEPARTMENTS[g + 1];
            let members = (0..users).filter(|&u| usize::from(departments[u]) == g + 1).collect();
            (dept.name.to_string(), format!("Everyone in {}", dept.name), members)
        } else {
            let kind = TEAM_KINDS[rng.below(TEAM_KINDS.len())];
            let base = format!(
                "{kind} {} {}",
                TEAM_ADJECTIVES[rng.below(TEAM_ADJECTIVES.len())],
                TEAM_NOUNS[rng.below(TEAM_NOUNS.len())]
            );
            let name = (1..).map(|n| if n == 1 { base.clone() } else { format!("{base} {n}") });
            let name = name.take(groups + 1).find(|n| !names.contains(n)).unwrap_or(base);
            let size = if g % 10 == 0 { 50 + rng.below(451) } else { 3 + rng.below(23) };
            let members = if users == 0 { Vec::new() } else { (0..size).map(|_| rng.below(users)).collect() };
            (name, format!("{kind} workspace members"), members)
        };
        names.insert(display_name.clone());
        let nickname: String =
            display_name.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect();
        let alias = format!("g{:0width$}", g + 1);
        let mut attrs = SourceObject::new();
        attrs.set("displayName", Value::Str(display_name));
        attrs.set("mailNickname", Value::Str(nickname));
        attrs.set("description", Value::Str(description));
        attrs.set("securityEnabled", Value::Bool(true));
        let group = Group {
            object_id: ObjectId::derive(&alias),
            alias: alias.into(),
            attrs,
            members: members.into_iter().map(|u| UserId(index_u32(u))).collect(),
            nested: Default::default(),
            assigned: true,
            deleted: false,
        };
        for &member in &group.members {
            let user = &mut dir.users[member.index()];
            user.assigned_groups = user.assigned_groups.saturating_add(1);
        }
        let _: GroupId = dir.push_group(group);
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn same_seed_same_directory_and_other_seeds_differ() {
        let a = generate(300, 30, 7);
        assert_eq!(a, generate(300, 30, 7));
        assert_ne!(a, generate(300, 30, 8));
    }

    #[test]
    fn generated_users_look_like_an_entra_tenant() {
        let dir = generate(40, 14, 1);
        let ceo = dir.source_object(dir.user_id("u000001").unwrap());
        assert_eq!(ceo.get("jobTitle"), &Value::from("Chief Executive Officer"));
        assert!(ceo.get("manager").is_null());
        let vp = dir.source_object(dir.user_id("u000002").unwrap());
        assert_eq!(vp.get("manager"), &Value::Str(ObjectId::derive("u000001").to_string()));
        assert_eq!(vp.get("jobTitle"), &Value::from("Vice President, Engineering"));
        let text: String =
            dir.users().take(3).map(|(id, _)| format!("{}\n", dir.source_object(id).to_json())).collect();
        insta::assert_snapshot!(text);
        let (_, eng) = dir.groups().next().unwrap();
        assert_eq!(eng.display_name().as_deref(), Some("Engineering"));
        assert!(dir.users().all(|(id, _)| dir.is_assigned_directly(id)));
    }

    /// The source object built in one go is what the attributes and three `set`s build, for every kind of
    /// user (CEO, vice presidents, managers, duplicated names, all titles and offices).
    #[test]
    fn source_objects_are_the_attributes_plus_what_the_directory_adds() {
        let dir = generate(3_000, 0, 11);
        for (id, user) in dir.users() {
            let persona = user.persona.expect("generated");
            let mut general = persona.attributes();
            general.set("objectId", Value::Str(user.object_id.to_string()));
            general.set("accountEnabled", Value::Bool(user.account_enabled));
            if let Some(m) = user.manager {
                general.set("manager", Value::Str(dir.users[m.index()].object_id.to_string()));
            }
            assert_eq!(dir.source_object(id), general, "{}", user.alias);
        }
    }

    /// One 100,000-user tenant serves every large-scale assertion (building it is the slow part).
    #[test]
    fn hundred_thousand_users_are_unique_hierarchical_and_grouped() {
        let dir = generate(100_000, 1_000, 42);
        assert_eq!(dir.user_count(), 100_000);
        assert_eq!(dir.group_count(), 1_000);
        let mut upns = HashSet::new();
        let mut nicknames = HashSet::new();
        for (id, user) in dir.users().step_by(7) {
            let obj = dir.source_object(id);
            assert!(upns.insert(obj.get("userPrincipalName").to_text().unwrap()));
            assert!(nicknames.insert(obj.get("mailNickname").to_text().unwrap()));
            if id.index() > 0 {
                let manager = user.manager().unwrap();
                assert!(manager < id, "managers come before their reports");
            }
        }
        let names: HashSet<_> = dir.groups().map(|(_, g)| g.display_name().unwrap()).collect();
        assert_eq!(names.len(), 1_000);
        let sizes: Vec<usize> = dir.groups().map(|(_, g)| g.member_count()).collect();
        assert!(sizes[..11].iter().all(|&s| s > 1_000), "department groups are big: {:?}", &sizes[..11]);
        let small = sizes[11..].iter().filter(|&&s| s <= 25).count();
        assert!(small > 800, "most project groups are small: {small}");
    }

    #[test]
    fn all_user_principal_names_are_unique() {
        let dir = generate(20_000, 0, 3);
        let mut seen = HashSet::new();
        for (id, _) in dir.users() {
            let upn = dir.source_object(id).get("userPrincipalName").to_text().unwrap();
            assert!(seen.insert(upn.clone()), "duplicate {upn}");
        }
    }

    #[test]
    fn tiny_and_empty_tenants_work() {
        assert_eq!(generate(0, 0, 1).user_count(), 0);
        let dir = generate(1, 20, 1);
        assert_eq!(dir.group_count(), 20);
        assert!(dir.groups().all(|(_, g)| g.member_count() <= 1));
    }
}
