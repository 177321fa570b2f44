//! `psa-harness bench`: what a component costs the host (see `psa_host::bench`).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

use crate::bench::{run_bench, BenchConfig, Samples};
use crate::psa::Psa;

/// Arguments of `bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Samples per measurement.
    #[arg(long, default_value_t = 200)]
    pub iterations: usize,
    /// Sessions in parallel for the throughput run.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// The connector component (.wasm); default: the bundled connector of `--psa`.
    #[arg(long)]
    pub component: Option<PathBuf>,
    /// Which PSA the mock plays (and which bundled connector is the default).
    #[arg(long, value_enum, default_value_t = Psa::Halo)]
    pub psa: Psa,
    /// Sessions kept open at once (each after one call) to measure what a live session costs
    /// in memory; 0 skips it.
    #[arg(long, default_value_t = 1000)]
    pub live_sessions: usize,
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

fn row(name: &str, s: &Samples) {
    println!(
        "{name:<34} {:>12} {:>12} {:>12} {:>12}   (n={})",
        ms(s.min),
        ms(s.median),
        ms(s.p95),
        ms(s.max),
        s.count
    );
}

pub(crate) async fn run(args: BenchArgs) -> ExitCode {
    let component = match args.psa.component_path(args.component) {
        Ok(path) => path,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(crate::EXIT_HOST_ERROR);
        }
    };
    let config = BenchConfig {
        component,
        psa: args.psa,
        iterations: args.iterations,
        concurrency: args.concurrency,
        cache_dir: None,
        live_sessions: args.live_sessions,
    };
    let report = match run_bench(config).await {
        Ok(report) => report,
        Err(error) => {
            eprintln!("bench could not run: {error:#}");
            return ExitCode::from(crate::EXIT_HOST_ERROR);
        }
    };
    let build = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    println!(
        "host build: {build}; component: {} KiB",
        report.component_bytes / 1024
    );
    println!("compile + check component:          {}", ms(report.compile));
    println!(
        "first load with a compile cache:    {} (compile, check, write a {} KiB entry)",
        ms(report.cache_miss),
        report.cache_entry_bytes / 1024
    );
    println!(
        "{:<34} {:>12} {:>12} {:>12} {:>12}",
        "", "min", "median", "p95", "max"
    );
    row("load from the compile cache", &report.cache_load);
    row("open session (instantiate + open)", &report.open);
    row("open session, pooling allocator", &report.open_pooled);
    row("call answered in the component", &report.in_guest_call);
    row("call with one HTTP request", &report.http_call);
    println!(
        "throughput: {:.0} HTTP calls/s over {} sessions",
        report.throughput_per_second, report.concurrency
    );
    if let Some(bytes) = report.live_sessions_rss_bytes {
        println!(
            "live sessions: {} open after one call each: {:.1} MiB more resident memory \
             ({:.0} KiB a session)",
            report.live_sessions,
            bytes as f64 / (1024.0 * 1024.0),
            bytes as f64 / 1024.0 / report.live_sessions.max(1) as f64
        );
    }
    ExitCode::SUCCESS
}
