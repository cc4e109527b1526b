//! `entrasim provision USER --scenario FILE`: provision one user (or a group with its members) on demand,
//! against the scenario's directory as the file describes it, and print the steps the portal shows:
//! import, scope, match, action — each with its details; `-v` adds each step's requests with their
//! status, `-vv` the whole exchanges (redacted).

use crate::app::Context;
use crate::cli::ProvisionArgs;
use crate::cmd::run;
use crate::cmd::{self, target};
use crate::diagnostic::{self, Diagnostic};
use crate::directory::ObjectRef;
use crate::engine::result::{FindingKind, LogStatus, StepDetail};
use crate::engine::{self, RunOptions, Work};
use crate::error::Error;
use crate::exit;
use crate::report::terminal::on_demand;
use crate::scenario::{Action, ObjectAlias};

/// Provisions one object on demand and prints Entra's report.
pub fn run(args: ProvisionArgs, ctx: &Context) -> Result<u8, Error> {
    let target = target::resolve_target(&args.target)?;
    let mut prepared = run::prepare(std::slice::from_ref(&args.scenario), ctx)?;
    let Some(mut p) = prepared.pop() else {
        return Err(Error::Invalid(vec![Diagnostic::error(format!("no scenario in `{}`", args.scenario.display()))]));
    };
    let object = match p.scenario.directory.lookup(&args.user) {
        Some(ObjectRef::User(_)) => ObjectAlias::User(args.user.clone()),
        Some(ObjectRef::Group(_)) => ObjectAlias::Group(args.user.clone()),
        None => {
            let mut d = Diagnostic::error(format!("no user or group `{}` in `{}`", args.user, args.scenario.display()));
            if let Some(close) = diagnostic::did_you_mean(&args.user, p.scenario.directory.aliases()) {
                d = d.with_help(format!("did you mean `{close}`?"));
            }
            return Err(Error::Invalid(vec![d]));
        }
    };
    // The file's own steps are not run: only its directory, mapping, settings and seeds are used.
    p.scenario.steps.clear();
    let work = [(format!("on_demand {}", args.user), Action::OnDemand(object))];
    let options = RunOptions {
        timeout: std::time::Duration::from_secs(args.target.timeout.max(1)),
        isolation: run::isolation_options(&args.isolation, &target, ctx),
        wire: args.wire.wire.clone(),
        ..RunOptions::default()
    };
    let name = args.scenario.display().to_string();
    let result = cmd::runtime()?
        .block_on(engine::run_scenario_work(
            std::borrow::Cow::Borrowed(&p.scenario),
            &name,
            &p.mapping,
            target,
            &options,
            Work::Actions(&work),
        ))
        .map_err(|e| Error::Target(e.to_string()))?;
    if let Some(abort) = &result.aborted {
        // Leftovers, a refused seed or an object cleanup could not delete are named in the findings.
        let setup = result.findings.iter().filter(|f| f.kind == FindingKind::Setup).map(|f| f.message.clone());
        let lines: Vec<String> = std::iter::once(abort.message.clone()).chain(setup).collect();
        return Err(Error::Target(lines.join("\n")));
    }
    let Some(on_demand) = result.steps.iter().find_map(|s| match &s.detail {
        StepDetail::OnDemand(o) => Some(o),
        _ => None,
    }) else {
        return Err(Error::Other("the engine returned no on-demand result".into()));
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(on_demand).expect("invariant: results serialise"));
    } else {
        print!("{}", on_demand::render(on_demand, &result, ctx.paint(), args.verbose));
    }
    Ok(match on_demand.status {
        LogStatus::Failure => exit::FINDINGS,
        _ => exit::OK,
    })
}
