//! The embedded endpoint's switches: compatibility hazards real SCIM endpoints have (each one a documented
//! Entra failure mode) and fault injection. Scenario files set them in an `[embedded]` table; `entrasim serve`
//! takes them as flags (the field docs below are that help text).

use serde::Deserialize;

/// Behaviours of the embedded endpoint. All off by default: the endpoint is then a faithful RFC 7643/7644
/// service provider that Entra accepts.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, clap::Args)]
#[serde(deny_unknown_fields, default)]
pub struct Switches {
    /// Accept but silently drop every user attribute not in this list on POST, PUT and PATCH (`id`, `schemas`
    /// and `meta` are always kept; an extension attribute is kept when its full URN path or the extension URN
    /// is listed). Shows an endpoint that never reaches steady state: Entra re-sends the dropped attributes on
    /// every cycle.
    #[arg(long, value_delimiter = ',', value_name = "ATTR,...")]
    pub keep_attributes: Option<Vec<String>>,

    /// Accept but silently drop every group attribute not in this list on POST, PUT and PATCH (`id`, `schemas`
    /// and `meta` are always kept): a group `description` change, for example, never lands.
    #[arg(long, value_delimiter = ',', value_name = "ATTR,...")]
    pub keep_group_attributes: Option<Vec<String>>,

    /// Treat a legacy `Remove` of path `members` with a value array as "remove all members", as an RFC-literal
    /// server does: one unassignment then empties the whole group in the target.
    #[arg(long)]
    pub remove_all_members_on_legacy_remove: bool,

    /// Return the enterprise `manager` as a bare id string instead of `{"value": id}`; Entra then fails to parse
    /// every user with a manager (`SystemForCrossDomainIdentityManagementServiceIncompatible`).
    #[arg(long)]
    pub manager_as_string: bool,

    /// Answer a query with no match with 404 instead of 200 and an empty `ListResponse`; Entra treats this as
    /// non-compliance and it can quarantine the provisioning job.
    #[arg(long)]
    pub not_found_on_empty_query: bool,

    /// Answer 200 to path-less `replace` operations but ignore them, as some SCIM libraries do: updates sent in
    /// the compliant (`aadOptscim062020`) dialect never land.
    #[arg(long)]
    pub ignore_pathless_patch: bool,

    /// Accept a second group whose `displayName` is already in use instead of answering 409 `uniqueness`;
    /// Entra then finds two groups for one name and fails them (`DuplicateTargetEntries`).
    #[arg(long)]
    pub duplicate_group_names: bool,

    /// Compare `userName` and `displayName` case-sensitively in filters (SCIM says they are case-insensitive).
    #[arg(long)]
    pub case_exact_filters: bool,

    /// Answer group PATCH with 200 and the group (members included) instead of 204 No Content.
    #[arg(long)]
    pub group_patch_returns_resource: bool,

    /// Ignore `startIndex` on list requests: every page is the first page (a paging bug the validators'
    /// pagination tests catch).
    #[arg(long)]
    pub paging_ignores_start_index: bool,

    /// Answer 200 to user PATCH operations whose value is `null` or `""` but ignore them: clearing an optional
    /// attribute never lands.
    #[arg(long)]
    pub ignore_null_updates: bool,

    /// Reject (400) a user PATCH that mixes operation kinds (`add`, `replace`, `remove`) in one request.
    #[arg(long)]
    pub reject_mixed_patch_ops: bool,

    /// Apply only the first of several user PATCH operations on the same path in one request.
    #[arg(long)]
    pub first_op_per_path: bool,

    /// Apply only the first operation of a group PATCH and ignore the rest (still answering 204).
    #[arg(long)]
    pub group_patch_first_op_only: bool,

    /// Ignore a `replace` of the manager with `{"value": ""}` (the hosted validator's "Remove Manager"): the old
    /// manager stays.
    #[arg(long)]
    pub ignore_empty_manager: bool,

    /// Answer DELETE of an id that never existed with 204 instead of 404.
    #[arg(long)]
    pub delete_unknown_succeeds: bool,

    /// Answer a second DELETE of a deleted id with 204 instead of 404 (a soft delete that keeps answering).
    #[arg(long)]
    pub delete_twice_succeeds: bool,

    /// Leave these out of `/Schemas` and `/ResourceTypes`: whole schemas by URN, attributes by name (`title`) or
    /// full URN path (`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department`).
    #[arg(long, value_delimiter = ',', value_name = "URN|ATTR,...")]
    pub schemas_omit: Option<Vec<String>>,

    /// Delay every response by this many milliseconds.
    #[arg(long, default_value_t = 0, value_name = "MS")]
    pub latency_ms: u64,

    /// Fraction (0.0–1.0) of requests answered 500 Internal Server Error; a failed write is not applied.
    #[arg(long, default_value_t = 0.0, value_name = "FRACTION")]
    pub error_rate: f64,

    /// Fraction (0.0–1.0) of requests answered 429 Too Many Requests with a `Retry-After` header; nothing is
    /// applied.
    #[arg(long, default_value_t = 0.0, value_name = "FRACTION")]
    pub rate_limit_rate: f64,

    /// `Retry-After` seconds sent with simulated 429 answers.
    #[arg(long, default_value_t = 0, value_name = "SECONDS")]
    pub retry_after_secs: u64,

    /// Fraction (0.0–1.0) of requests that hang without an answer until the client gives up (at most 120 s,
    /// then 503); nothing is applied.
    #[arg(long, default_value_t = 0.0, value_name = "FRACTION")]
    pub timeout_rate: f64,

    /// Fraction (0.0–1.0) of requests answered 200 with a truncated, unparseable JSON body. Writes are applied
    /// first, like a half-broken server: the client cannot tell that its POST created the user.
    #[arg(long, default_value_t = 0.0, value_name = "FRACTION")]
    pub malformed_rate: f64,

    /// Render error answers as `text/html` pages instead of SCIM error JSON (a reverse proxy or framework
    /// error page in front of the endpoint).
    #[arg(long)]
    pub html_errors: bool,

    /// Seed for the fault-injection draws: one draw per authenticated request, in arrival order, so the same
    /// seed and the same request sequence give the same faults (concurrent clients make the order vary).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

/// The fault-injection part of the switches: the only part a running endpoint can change
/// ([`crate::server::ServerHandle::set_faults`]; a scenario's `embedded` step breaks or fixes the endpoint
/// mid-run). The other switches shape the store and are fixed at start.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct FaultRates {
    /// Fraction of requests answered 500.
    pub error_rate: f64,
    /// Fraction of requests answered 429.
    pub rate_limit_rate: f64,
    /// `Retry-After` seconds of simulated 429 answers.
    pub retry_after_secs: u64,
    /// Fraction of requests that hang, then 503.
    pub timeout_rate: f64,
    /// Fraction of requests answered 200 with a truncated body.
    pub malformed_rate: f64,
    /// Seed of the draws.
    pub seed: u64,
}

/// The simulated fault picked for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    /// Hang, then 503.
    Timeout,
    /// 429 with Retry-After.
    RateLimit,
    /// 500.
    Error,
    /// 200 with a truncated body (after applying the request).
    Malformed,
}

impl Switches {
    /// The fault-injection switches.
    pub fn faults(&self) -> FaultRates {
        FaultRates {
            error_rate: self.error_rate,
            rate_limit_rate: self.rate_limit_rate,
            retry_after_secs: self.retry_after_secs,
            timeout_rate: self.timeout_rate,
            malformed_rate: self.malformed_rate,
            seed: self.seed,
        }
    }

    /// Checks the rates: each in 0.0–1.0 and together at most 1.0.
    pub fn validate(&self) -> Result<(), String> {
        self.faults().validate()
    }

    /// The fault for request number `n` (0-based, in arrival order), deterministic in `seed`.
    #[cfg(test)]
    pub(crate) fn fault(&self, n: u64) -> Option<Fault> {
        self.faults().fault(n)
    }
}

impl FaultRates {
    /// Checks the rates: each in 0.0–1.0 and together at most 1.0.
    pub fn validate(&self) -> Result<(), String> {
        let rates = [
            ("error_rate", self.error_rate),
            ("rate_limit_rate", self.rate_limit_rate),
            ("timeout_rate", self.timeout_rate),
            ("malformed_rate", self.malformed_rate),
        ];
        for (name, r) in rates {
            if !(0.0..=1.0).contains(&r) {
                return Err(format!("`{name}` must be between 0.0 and 1.0, got {r}"));
            }
        }
        let sum: f64 = rates.iter().map(|(_, r)| r).sum();
        if sum > 1.0 + 1e-9 {
            return Err(format!("the fault rates add up to {sum}, more than 1.0"));
        }
        Ok(())
    }

    /// The fault for request number `n` (0-based, in arrival order), deterministic in `seed`.
    pub(crate) fn fault(&self, n: u64) -> Option<Fault> {
        let total = self.timeout_rate + self.rate_limit_rate + self.error_rate + self.malformed_rate;
        if total <= 0.0 {
            return None;
        }
        let r = unit(splitmix64(self.seed ^ splitmix64(n)));
        let mut edge = self.timeout_rate;
        if r < edge {
            return Some(Fault::Timeout);
        }
        edge += self.rate_limit_rate;
        if r < edge {
            return Some(Fault::RateLimit);
        }
        edge += self.error_rate;
        if r < edge {
            return Some(Fault::Error);
        }
        edge += self.malformed_rate;
        (r < edge).then_some(Fault::Malformed)
    }
}

fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// A uniform draw in [0, 1) from 53 random bits.
fn unit(x: u64) -> f64 {
    (x >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_table_uses_snake_case_and_rejects_unknown_keys() {
        let s: Switches =
            toml::from_str("keep_attributes = [\"userName\"]\nerror_rate = 0.5\nseed = 7").expect("parses");
        assert_eq!(s.keep_attributes, Some(vec!["userName".to_string()]));
        assert_eq!(s.seed, 7);
        assert!(toml::from_str::<Switches>("no_such_switch = true").is_err());
    }

    #[test]
    fn faults_are_deterministic_and_near_the_rate() {
        let s = Switches { error_rate: 0.25, seed: 42, ..Switches::default() };
        let a: Vec<_> = (0..1000).map(|n| s.fault(n)).collect();
        let b: Vec<_> = (0..1000).map(|n| s.fault(n)).collect();
        assert_eq!(a, b);
        let errors = a.iter().filter(|f| **f == Some(Fault::Error)).count();
        assert!((200..300).contains(&errors), "{errors}");
        assert!(Switches::default().fault(3).is_none());
    }

    #[test]
    fn switches_are_command_line_flags() {
        use clap::{Args, FromArgMatches};
        let cmd = Switches::augment_args(clap::Command::new("serve"));
        cmd.clone().debug_assert();
        let m = cmd
            .try_get_matches_from([
                "serve",
                "--keep-attributes",
                "userName,active",
                "--error-rate",
                "0.1",
                "--html-errors",
            ])
            .expect("flags parse");
        let s = Switches::from_arg_matches(&m).expect("switches");
        assert_eq!(s.keep_attributes, Some(vec!["userName".to_string(), "active".to_string()]));
        assert!((s.error_rate - 0.1).abs() < f64::EPSILON);
        assert!(s.html_errors && !s.manager_as_string);
    }

    #[test]
    fn rates_are_validated() {
        assert!(Switches { error_rate: 1.5, ..Switches::default() }.validate().is_err());
        assert!(Switches { error_rate: 0.6, timeout_rate: 0.6, ..Switches::default() }.validate().is_err());
        assert!(Switches { error_rate: 0.5, timeout_rate: 0.5, ..Switches::default() }.validate().is_ok());
    }
}
