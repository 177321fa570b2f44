//! `psa-harness bench`: what a component costs the host, next to the same connector logic
//! compiled natively (see [`crate::bench`]).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::bench::{chart_svg, run_bench, value, BenchConfig, BenchReport};
use crate::psa::Psa;

/// Arguments of `bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Which connectors to measure, each against its mock (comma-separated); default: both.
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = [Psa::Halo, Psa::Connectwise])]
    pub psa: Vec<Psa>,
    /// The connector component (.wasm); only with a single `--psa`. Default: the bundled
    /// connector of each `--psa`.
    #[arg(long)]
    pub component: Option<PathBuf>,
    /// Small counts (10 samples, 64 calls a throughput run, 20 live sessions): the same
    /// measurements in seconds, for CI. The other count options override it.
    #[arg(long)]
    pub quick: bool,
    /// Samples per latency measurement (default 1,000; 10 with `--quick`).
    #[arg(long)]
    pub iterations: Option<usize>,
    /// Sessions in parallel for the throughput runs, comma-separated (native: threads).
    #[arg(long, value_delimiter = ',')]
    pub throughput_sessions: Option<Vec<usize>>,
    /// `get-organization` calls of each throughput run in all (default 4,000; 64 with `--quick`).
    #[arg(long)]
    pub throughput_calls: Option<usize>,
    /// Live-session counts for the memory measurement, comma-separated; 0 skips it (default
    /// 1000,10000; 20 with `--quick`).
    #[arg(long, value_delimiter = ',')]
    pub live_sessions: Option<Vec<usize>>,
    /// Print the results as JSON (one document, both connectors) instead of tables.
    #[arg(long)]
    pub json: bool,
    /// Also write an SVG chart of the results (latency and throughput, wasm vs native).
    #[arg(long, value_name = "FILE.svg")]
    pub chart: Option<PathBuf>,
}

fn config(args: &BenchArgs, psa: Psa, component: PathBuf) -> BenchConfig {
    let mut config = if args.quick {
        BenchConfig::quick(component, psa)
    } else {
        BenchConfig::full(component, psa)
    };
    if let Some(n) = args.iterations {
        config.iterations = n;
    }
    if let Some(sessions) = &args.throughput_sessions {
        config.throughput_sessions = sessions.iter().copied().filter(|&n| n > 0).collect();
    }
    if let Some(n) = args.throughput_calls {
        config.throughput_calls = n;
    }
    if let Some(counts) = &args.live_sessions {
        config.live_sessions = counts.iter().copied().filter(|&n| n > 0).collect();
    }
    config
}

fn build() -> &'static str {
    if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    }
}

/// The tables of one connector's report.
fn print_table(report: &BenchReport) {
    println!("\n{} connector\n", report.psa.title());
    println!(
        "| figure | n | wasm min | wasm median | wasm p95 | native min | native median | native p95 | wasm/native | target |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for f in &report.figures {
        let cells = |s: Option<crate::bench::Stat>| match s {
            Some(s) if s.n > 1 && s.min != s.p95 => [
                value(f.unit, s.min),
                value(f.unit, s.median),
                value(f.unit, s.p95),
            ],
            Some(s) => [String::new(), value(f.unit, s.median), String::new()],
            None => [String::new(), "–".into(), String::new()],
        };
        let n = f.wasm.or(f.native).map(|s| s.n).unwrap_or(0);
        let [wmin, wmed, wp95] = cells(f.wasm);
        let [nmin, nmed, np95] = cells(f.native);
        let ratio = f.ratio().map(|r| format!("{r:.2}×")).unwrap_or_default();
        let target = f
            .target
            .map(|t| {
                let verdict = match t.met(f) {
                    Some(true) => "met",
                    Some(false) => "**missed**",
                    None => "not measured",
                };
                format!("{} {verdict}", t.describe(f.unit))
            })
            .unwrap_or_default();
        println!(
            "| {} | {n} | {wmin} | {wmed} | {wp95} | {nmin} | {nmed} | {np95} | {ratio} | {target} |",
            f.label
        );
    }
}

pub(crate) async fn run(args: BenchArgs) -> ExitCode {
    if args.component.is_some() && args.psa.len() != 1 {
        eprintln!("error: --component needs exactly one --psa (the PSA the component is for)");
        return ExitCode::from(crate::EXIT_HOST_ERROR);
    }
    let mut reports = Vec::new();
    for &psa in &args.psa {
        let component = match psa.component_path(args.component.clone()) {
            Ok(path) => path,
            Err(error) => {
                eprintln!("error: {error}");
                return ExitCode::from(crate::EXIT_HOST_ERROR);
            }
        };
        eprintln!("bench: {} ({})...", psa.title(), component.display());
        match run_bench(config(&args, psa, component)).await {
            Ok(report) => reports.push(report),
            Err(error) => {
                eprintln!("bench could not run: {error:#}");
                return ExitCode::from(crate::EXIT_HOST_ERROR);
            }
        }
    }
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let subtitle = format!(
        "{} build, {cores} cores, mock PSA on loopback in the same process; {}",
        build(),
        if args.quick { "--quick" } else { "full run" }
    );
    if args.json {
        let document = serde_json::json!({
            "build": build(),
            "cores": cores,
            "quick": args.quick,
            "connectors": reports.iter().map(BenchReport::to_json).collect::<Vec<_>>(),
        });
        println!("{document:#}");
    } else {
        println!("psa-harness bench: {subtitle}");
        for report in &reports {
            print_table(report);
        }
    }
    if let Some(path) = &args.chart {
        if let Err(error) = std::fs::write(path, chart_svg(&reports, &subtitle)) {
            eprintln!(
                "error: cannot write the chart to {}: {error}",
                path.display()
            );
            return ExitCode::from(crate::EXIT_HOST_ERROR);
        }
        eprintln!("bench: chart written to {}", path.display());
    }
    ExitCode::SUCCESS
}
