//! `entrasim bench`: prints the benchmark figures (see `bench` for what is measured).

use std::fmt::Write as _;
use std::time::Duration;

use crate::app::Context;
use crate::bench::{self, BenchOptions, BenchReport};
use crate::cli::BenchArgs;
use crate::cmd::target;
use crate::error::Error;
use crate::exit;

/// Runs the benchmark and prints its figures.
pub fn run(args: BenchArgs, _ctx: &Context) -> Result<u8, Error> {
    let token = target::resolve_token(&args.target)?;
    let options = BenchOptions {
        users: args.users,
        groups: args.groups,
        seed: args.seed,
        concurrency: args.concurrency.max(1),
        target: args.target.target.clone().map(|url| (url, token)),
        timeout: Duration::from_secs(args.target.timeout.max(1)),
    };
    println!(
        "entrasim bench: {} users, {} in flight, target {}",
        options.users,
        options.concurrency,
        args.target.target.as_deref().unwrap_or("embedded (child process)")
    );
    let report = bench::run(&options).map_err(|e| Error::Target(e.to_string()))?;
    print!("{}", render(&report));
    Ok(if report.findings > 0 { exit::FINDINGS } else { exit::OK })
}

/// The figures as a table.
pub fn render(r: &BenchReport) -> String {
    let mut out = String::new();
    for p in &r.phases {
        let _ =
            writeln!(out, "\n{:<12} {:>9} requests  {:>8.2} s  {:>9.0} req/s", p.name, p.requests, p.seconds, p.rate);
        let per_request = |cpu: f64| cpu * 1e6 / p.requests.max(1) as f64;
        match (p.entrasim_cpu, p.endpoint_cpu) {
            (Some(own), Some(endpoint)) => {
                let _ = writeln!(
                    out,
                    "    cpu: entrasim {own:.2} s ({:.0} µs/request), endpoint {endpoint:.2} s ({:.0} µs/request)",
                    per_request(own),
                    per_request(endpoint)
                );
            }
            (Some(own), None) => {
                let _ = writeln!(out, "    cpu: entrasim {own:.2} s ({:.0} µs/request)", per_request(own));
            }
            _ => {}
        }
        if let (Some(start), Some(end)) = p.entrasim_peak_mib {
            let _ = writeln!(out, "    memory: entrasim peak {start:.1} MiB at the start, {end:.1} MiB at the end");
        }
        for k in &p.kinds {
            let _ =
                writeln!(out, "    {:<24} {:>9}  p50 {:>7.3} ms  p99 {:>7.3} ms", k.kind, k.count, k.p50_ms, k.p99_ms);
        }
    }
    let mib = |v: Option<f64>| v.map_or_else(|| "n/a".to_string(), |m| format!("{m:.1} MiB"));
    let _ =
        writeln!(out, "\npeak memory: entrasim {}, endpoint {}", mib(r.entrasim_peak_mib), mib(r.endpoint_peak_mib));
    if let (Some(base), Some(ratio)) = (&r.baseline, r.ratio) {
        let _ = writeln!(
            out,
            "plain load generator, the initial cycle's {} requests at the same concurrency: {:.0} req/s ({} runtime); \
             entrasim/generator = {:.0}%",
            base.requests,
            base.rate,
            base.flavour,
            ratio * 100.0
        );
        if let (Some(own), Some(endpoint)) = (base.cpu_per_request, base.endpoint_cpu_per_request) {
            let _ = writeln!(out, "    cpu: generator {own:.0} µs/request, endpoint {endpoint:.0} µs/request");
        }
    }
    if r.findings > 0 {
        let _ = writeln!(out, "{} error finding(s) during the run", r.findings);
    }
    out
}
