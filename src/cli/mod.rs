//! Command-line types (clap derive). The doc comments are the help text; dispatch lives in `app`.
//!
//! Doc comments here are `--help` text that people read in a terminal, so they are written as prose, not
//! rustdoc markdown.
#![allow(clippy::doc_markdown)]

use std::path::PathBuf;

use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};

mod common;
pub use common::{IsolationArgs, ReportArgs, TargetArgs, WireArgs};

/// Behaves like the Microsoft Entra ID provisioning service and drives it against a SCIM 2.0 endpoint.
///
/// With no target, entrasim starts its embedded in-memory SCIM endpoint on 127.0.0.1, so `entrasim run`
/// shows a full provisioning run with nothing else installed.
#[derive(Debug, Parser)]
#[command(name = "entrasim", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// When to colour output: auto (a terminal without NO_COLOR), always or never.
    #[arg(long, value_enum, default_value_t = Color::Auto, global = true)]
    pub color: Color,

    /// What to do; `run` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run scenarios (files or directories; the bundled suite when none) against a target.
    Run(RunArgs),
    /// Check scenario files and their mappings without sending anything; every problem with file:line:col.
    Validate(ValidateArgs),
    /// Provision one user or group on demand and show Entra's step-by-step report.
    Provision(ProvisionArgs),
    /// Check an endpoint against everything Entra's provisioning needs (an offline SCIM Validator).
    Check(CheckArgs),
    /// Start the embedded reference SCIM endpoint and serve until interrupted.
    Serve(ServeArgs),
    /// Check or explain an attribute mapping (a preset, a mapping TOML or a Graph schema JSON).
    #[command(subcommand)]
    Mapping(MappingCommand),
    /// Evaluate one Entra attribute-mapping expression.
    Expr(ExprArgs),
    /// Turn a customer's Entra provisioning logs into a runnable scenario.
    Replay(ReplayArgs),
    /// Read Entra provisioning logs.
    #[command(subcommand)]
    Logs(LogsCommand),
    /// Run a live simulated Entra tenant: Microsoft Graph, a provisioning job on a simulated clock.
    Tenant(TenantArgs),
    /// Measure cycles over a large synthetic directory (requests/s, latency, memory).
    Bench(BenchArgs),
    /// Print a shell completion script.
    Completions(CompletionsArgs),
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Color {
    /// Colour when stdout is a terminal and `NO_COLOR` is unset.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// `entrasim run`.
#[derive(Debug, Clone, Args, Default)]
pub struct RunArgs {
    /// Scenario files or directories (searched for `**/*.toml`); the bundled suite when none.
    #[arg(value_name = "SCENARIO")]
    pub scenarios: Vec<PathBuf>,

    /// Connection to the endpoint.
    #[command(flatten)]
    pub target: TargetArgs,

    /// Speak this dialect whatever the tenant URL and the scenarios say.
    #[arg(long, value_enum)]
    pub dialect: Option<crate::scim::dialect::Dialect>,

    /// Leftovers, cleanup and unique names against a shared endpoint.
    #[command(flatten)]
    pub isolation: IsolationArgs,

    /// After each scenario, check that the endpoint reaches a steady state.
    #[arg(long)]
    pub steady: bool,

    /// Compare each scenario's transcript with the snapshot stored in DIR; drift is a finding.
    #[arg(long, value_name = "DIR")]
    pub snapshots: Option<PathBuf>,

    /// With --snapshots: record the transcripts as the new snapshots instead of comparing.
    #[arg(long, requires = "snapshots")]
    pub accept: bool,

    /// Run only part K of N of the scenarios (deterministic split for parallel CI jobs), e.g. 2/4.
    #[arg(long, value_name = "K/N")]
    pub partition: Option<String>,

    /// Reports to write.
    #[command(flatten)]
    pub reports: ReportArgs,

    /// Show more: -v every step with its result and the per-object provisioning log, -vv also every
    /// request and answer (redacted).
    #[arg(long, short, action = ArgAction::Count)]
    pub verbose: u8,

    /// Wire switches.
    #[command(flatten)]
    pub wire: WireArgs,
}

/// `entrasim tenant`.
#[derive(Debug, Clone, Args)]
pub struct TenantArgs {
    /// A scenario whose directory, mapping and settings the tenant starts with (its steps are not run);
    /// an empty directory with the `entra-default` mapping when none.
    #[arg(value_name = "SCENARIO")]
    pub scenario: Option<PathBuf>,

    /// Connection to the endpoint the job provisions (the embedded one when no --target).
    #[command(flatten)]
    pub target: TargetArgs,

    /// Where Graph, the token endpoint and the control routes listen.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "HOST:PORT")]
    pub addr: String,

    /// Simulated time runs N times faster than real time (600: a 40-minute cycle every 4 seconds).
    #[arg(long, default_value_t = crate::tenant::DEFAULT_SPEED, value_name = "N")]
    pub speed: f64,

    /// Start with the simulated clock paused: the initial cycle runs, later ones wait until the clock is
    /// resumed or advanced (POST /_entrasim/clock/...).
    #[arg(long)]
    pub paused_clock: bool,

    /// Keep the tenant (directory, job state, connector data store, escrows, logs) in DIR across restarts.
    #[arg(long, value_name = "DIR")]
    pub state: Option<PathBuf>,

    /// Read the application's client secret from this environment variable instead of making one.
    #[arg(long, value_name = "VAR")]
    pub app_secret_env: Option<String>,

    /// Speak this dialect whatever the tenant URL says.
    #[arg(long, value_enum)]
    pub dialect: Option<crate::scim::dialect::Dialect>,
}

/// `entrasim validate`.
#[derive(Debug, Clone, Args)]
pub struct ValidateArgs {
    /// Scenario files or directories; the bundled suite when none.
    #[arg(value_name = "SCENARIO")]
    pub scenarios: Vec<PathBuf>,
}

/// `entrasim provision`.
#[derive(Debug, Clone, Args)]
pub struct ProvisionArgs {
    /// The user (or group) alias in the scenario to provision.
    #[arg(value_name = "USER")]
    pub user: String,

    /// The scenario that describes the directory and the mapping.
    #[arg(long, value_name = "FILE")]
    pub scenario: PathBuf,

    /// Connection to the endpoint.
    #[command(flatten)]
    pub target: TargetArgs,

    /// Leftovers, cleanup and unique names against a shared endpoint.
    #[command(flatten)]
    pub isolation: IsolationArgs,

    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,

    /// Show more: -v the request line and status of each step's requests, -vv the whole exchanges.
    #[arg(long, short, action = ArgAction::Count)]
    pub verbose: u8,

    /// Wire switches.
    #[command(flatten)]
    pub wire: WireArgs,
}

/// `entrasim check`.
#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// Connection to the endpoint.
    #[command(flatten)]
    pub target: TargetArgs,

    /// Which dialect(s) to exercise.
    #[arg(long, value_enum, default_value_t = CheckDialect::Both)]
    pub dialect: CheckDialect,

    /// Mapping whose steady state is checked (preset name or file).
    #[arg(long, value_name = "MAPPING", default_value = "entra-default")]
    pub mapping: String,

    /// The attributes to check, like the SCIM Validator's schema modes: `default` (Entra's default mapping),
    /// `discover` (also write and read back every attribute the endpoint's /Schemas declares: the
    /// `schema/attributes` sweep, about four requests per attribute) or a mapping / Graph schema FILE.
    #[arg(long, value_name = "default|discover|FILE", conflicts_with = "mapping")]
    pub schema: Option<String>,

    /// Skip the group checks (for endpoints without /Groups).
    #[arg(long)]
    pub no_groups: bool,

    /// The users' joining (matching) property, as in the SCIM Validator: the probe filters on it and
    /// `users/filter-matching` finds a user by it (default: the mapping's matching attribute).
    #[arg(long, value_name = "ATTR")]
    pub match_users: Option<String>,

    /// The groups' joining property (default: the mapping's, `displayName`); adds `groups/filter-matching`.
    #[arg(long, value_name = "ATTR")]
    pub match_groups: Option<String>,

    /// Wire switches: the same request shapes `run` sends.
    #[command(flatten)]
    pub wire: WireArgs,

    /// Reports to write.
    #[command(flatten)]
    pub reports: ReportArgs,

    /// Show more: -v every check with its result, -vv also the bodies of the exchanges behind findings.
    #[arg(long, short, action = ArgAction::Count)]
    pub verbose: u8,
}

/// `--dialect` for `check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckDialect {
    /// Only the legacy dialect.
    Legacy,
    /// Only the compliant dialect.
    Compliant,
    /// Both dialects.
    Both,
}

/// `entrasim serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: String,

    /// Bearer token clients must send; generated and printed once when omitted.
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,

    /// Largest accepted request body in bytes (larger bodies get 413).
    #[arg(long, value_name = "BYTES", default_value_t = crate::server::DEFAULT_MAX_BODY_BYTES)]
    pub max_body_bytes: usize,

    /// Compatibility hazards and fault injection (all off: a faithful RFC 7643/7644 endpoint).
    #[command(flatten, next_help_heading = "Switches")]
    pub switches: crate::server::Switches,
}

/// `entrasim mapping …`.
#[derive(Debug, Subcommand)]
pub enum MappingCommand {
    /// Parse and check a mapping; prints every problem with file:line:col.
    Check {
        /// A preset name (`entra-default`, `unleash`), a mapping TOML or a Graph synchronizationSchema JSON.
        #[arg(value_name = "FILE")]
        file: String,
    },
    /// Show what the mapping makes of one source user: scope, matching, every attribute and the POST body.
    Explain {
        /// A preset name, a mapping TOML or a Graph synchronizationSchema JSON.
        #[arg(value_name = "FILE")]
        file: String,
        /// A JSON object of Entra user attributes.
        #[arg(long, value_name = "USER.json")]
        user: PathBuf,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Print the mapping as the Graph synchronizationSchema JSON Entra returns for the job's schema.
    Export {
        /// A preset name, a mapping TOML or a Graph synchronizationSchema JSON.
        #[arg(value_name = "SPEC")]
        spec: String,
        /// Write the JSON to this file instead of stdout.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

/// `entrasim expr`.
#[derive(Debug, Clone, Args)]
pub struct ExprArgs {
    /// The expression, e.g. `Join(" ", [givenName], [surname])`.
    #[arg(value_name = "EXPRESSION")]
    pub expression: String,

    /// A JSON object of Entra user attributes.
    #[arg(long, value_name = "USER.json", conflicts_with = "set")]
    pub user: Option<PathBuf>,

    /// An attribute value as NAME=VALUE; repeatable.
    #[arg(long, value_name = "NAME=VALUE")]
    pub set: Vec<String>,
}

/// `entrasim replay`.
#[derive(Debug, Clone, Args)]
pub struct ReplayArgs {
    /// Provisioning logs: Graph JSON, the admin-center JSON download or its CSV download.
    #[arg(value_name = "LOGS")]
    pub logs: PathBuf,

    /// The app's synchronizationSchema JSON (the customer's mapping).
    #[arg(long, value_name = "SCHEMA.json")]
    pub schema: Option<PathBuf>,

    /// Write the reconstructed scenario here (printed to stdout when omitted).
    #[arg(long, value_name = "OUT.toml")]
    pub emit_scenario: Option<PathBuf>,

    /// Replace names, emails and ids with consistent pseudonyms.
    #[arg(long)]
    pub anonymize: bool,

    /// Run the reconstructed scenario against this target (the embedded endpoint with `--run`).
    #[command(flatten)]
    pub target: TargetArgs,

    /// Run the reconstructed scenario after writing it.
    #[arg(long)]
    pub run: bool,
}

/// `entrasim logs …`.
#[derive(Debug, Subcommand)]
pub enum LogsCommand {
    /// Per cycle: counts by action and status, top error codes with their meaning and usual fix.
    Summarize {
        /// Provisioning logs: Graph JSON, the admin-center JSON download or its CSV download.
        #[arg(value_name = "LOGS")]
        logs: PathBuf,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// `entrasim bench`.
#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// Number of synthetic users.
    #[arg(long, default_value_t = 100_000)]
    pub users: usize,

    /// Number of synthetic groups.
    #[arg(long, default_value_t = 0)]
    pub groups: usize,

    /// Seed of the synthetic directory.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,

    /// Requests in flight against the endpoint.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,

    /// Connection to the endpoint.
    #[command(flatten)]
    pub target: TargetArgs,
}

/// `entrasim completions`.
#[derive(Debug, Clone, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
