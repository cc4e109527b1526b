//! Which of Entra's two request dialects a job speaks (ENTRA.md 2): the legacy one of the default `scim`
//! job, or the RFC 7644-compliant one the `aadOptscim062020` flag on the tenant URL switches on. One type
//! for scenarios, the CLI, the engine, `check` and reports; the requests each dialect builds are
//! `crate::engine::dialect`'s.

use serde::{Deserialize, Serialize};

use crate::scim::client::UrlFlag;

/// The PATCH dialect to speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Dialect {
    /// The default `scim` job: capitalised ops, `"False"` strings, one op per attribute.
    #[default]
    Legacy,
    /// The `aadOptscim062020` behaviour: lowercase ops, booleans, folded path-less replace.
    Compliant,
}

impl Dialect {
    /// The dialect a tenant URL selects: compliant only with `aadOptscim062020`.
    pub fn from_flag(flag: UrlFlag) -> Self {
        match flag {
            UrlFlag::Compliant => Dialect::Compliant,
            UrlFlag::None | UrlFlag::Legacy => Dialect::Legacy,
        }
    }

    /// `legacy` or `compliant`.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Legacy => "legacy",
            Dialect::Compliant => "compliant",
        }
    }
}
