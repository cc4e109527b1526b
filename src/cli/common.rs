//! The argument groups several commands flatten in: where requests go and how they authenticate
//! ([`TargetArgs`] with its [`WireArgs`]), the reports a run writes ([`ReportArgs`]) and how a run keeps its
//! objects apart from an endpoint's others ([`IsolationArgs`]).
#![allow(clippy::doc_markdown)]

use std::path::PathBuf;

use clap::Args;

/// Where requests go and how they authenticate.
#[derive(Debug, Clone, Args)]
pub struct TargetArgs {
    /// Tenant URL of the SCIM endpoint (may carry `?aadOptscim062020`); the embedded endpoint when omitted.
    #[arg(long, value_name = "URL")]
    pub target: Option<String>,

    /// Bearer token for the target. Prefer --token-env: a token on the command line lands in shell history.
    #[arg(long, value_name = "TOKEN", conflicts_with = "token_env")]
    pub token: Option<String>,

    /// Read the bearer token from this environment variable (default: ENTRASIM_TOKEN when set).
    #[arg(long, value_name = "VAR")]
    pub token_env: Option<String>,

    /// Per-request timeout in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub timeout: u64,

    /// OAuth 2.0 client credentials instead of a fixed token: the token endpoint URL.
    #[arg(long, value_name = "URL", requires = "client_id", conflicts_with_all = ["token", "token_env"])]
    pub oauth_token_url: Option<String>,

    /// OAuth client id (with --oauth-token-url).
    #[arg(long, value_name = "ID", requires = "oauth_token_url")]
    pub client_id: Option<String>,

    /// Environment variable holding the OAuth client secret (default: ENTRASIM_CLIENT_SECRET).
    #[arg(long, value_name = "VAR", requires = "oauth_token_url")]
    pub client_secret_env: Option<String>,

    /// OAuth scope to request (with --oauth-token-url).
    #[arg(long, value_name = "SCOPE", requires = "oauth_token_url")]
    pub scope: Option<String>,

    /// Trust this PEM CA certificate (or bundle) in addition to the system roots, for private CAs.
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,

    /// Accept any TLS certificate. Only for local experiments: it disables the protection TLS gives.
    #[arg(long)]
    pub insecure: bool,
}

/// Report files written after a run or check.
#[derive(Debug, Clone, Args, Default)]
pub struct ReportArgs {
    /// Write a JUnit XML report (one testsuite per scenario or check group).
    #[arg(long, value_name = "FILE")]
    pub report_junit: Option<PathBuf>,

    /// Write a JSON report (schema documented in docs/report-json.md).
    #[arg(long, value_name = "FILE")]
    pub report_json: Option<PathBuf>,

    /// Write a self-contained HTML report (no network needed to open it): the summary, every step with
    /// its findings and hints, cycle timeline, provisioning log, exchanges and snapshot drift.
    #[arg(long, value_name = "FILE")]
    pub report_html: Option<PathBuf>,
}

/// What a run leaves in a `--target` it shares with other runs.
#[derive(Debug, Clone, Args, Default)]
pub struct IsolationArgs {
    /// Against a --target: delete objects an earlier run left holding values a scenario uses (listing
    /// them) instead of stopping that scenario with exit 4.
    #[arg(long)]
    pub clean: bool,

    /// Against a --target: leave what each scenario created or seeded in the target for inspection,
    /// instead of deleting it after the scenario's last step.
    #[arg(long)]
    pub keep: bool,

    /// Append a short run tag to every name sent (userName, e-mail addresses, displayName, externalId,
    /// group names, seeds), so parallel runs can share one endpoint; transcripts and snapshots omit it.
    #[arg(long)]
    pub unique_names: bool,
}

/// The wire switches (`src/fidelity.rs`): shapes where Microsoft's sources disagree.
#[derive(Debug, Clone, Args, Default)]
pub struct WireArgs {
    /// Set a wire switch, NAME=VALUE (repeatable; wins over a scenario's [settings]):
    /// group_adscim_schema=true|false, post_active_as_string=true|false, member_ref_null=true|false,
    /// linked_user_lookup=id|filter, clear_with_remove=true|false, cycle_probe=true|false.
    /// Defaults and evidence: docs/entra-notes.md.
    #[arg(long = "wire", value_name = "NAME=VALUE", value_parser = crate::fidelity::Override::parse_assignment)]
    pub wire: Vec<crate::fidelity::Override>,
}

impl Default for TargetArgs {
    fn default() -> Self {
        TargetArgs {
            target: None,
            token: None,
            token_env: None,
            timeout: 30,
            oauth_token_url: None,
            client_id: None,
            client_secret_env: None,
            scope: None,
            ca_cert: None,
            insecure: false,
        }
    }
}
