//! `psa-harness soak`: many alerts under random faults, then 0 lost / 0 duplicated checked
//! against the mock's state (see `psa_harness::soak`); with `--processes N`, over N host
//! processes sharing one Redis (see `psa_harness::fleet`).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::fleet::{run_fleet, FleetConfig};
use crate::psa::Psa;
use crate::soak::{run_soak, SoakConfig, SoakReport};

/// Arguments of `soak`.
#[derive(Debug, Args)]
pub struct SoakArgs {
    /// Distinct alerts to send.
    #[arg(long, default_value_t = 1000)]
    pub alerts: usize,
    /// Share of requests answered with a fault: `10%`, `0.1` or `10`.
    #[arg(long, default_value = "10%", value_parser = parse_rate)]
    pub fault_rate: f64,
    /// Seed of the fault dice.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Sessions working in parallel.
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
    /// How often the platform tries one alert before reporting it failed.
    #[arg(long, default_value_t = 3)]
    pub attempts: u32,
    /// Alerts (and second occurrences) that may end as reported failures in a passing run.
    #[arg(long, default_value_t = 0)]
    pub allowed_failures: usize,
    /// The connector component (.wasm); default: the bundled connector of `--psa`.
    #[arg(long)]
    pub component: Option<PathBuf>,
    /// Which PSA the mock plays (and which bundled connector is the default).
    #[arg(long, value_enum, default_value_t = Psa::Halo)]
    pub psa: Psa,
    /// Host processes: more than one runs the fleet soak, the processes coordinating through
    /// Redis (`--redis`, or a private redis-server the harness starts).
    #[arg(long, default_value_t = 1)]
    pub processes: usize,
    /// Fleet soak: the Redis to coordinate through (`redis://host:port/`); default: a private
    /// `redis-server` on a free port.
    #[arg(long)]
    pub redis: Option<String>,
    /// Fleet soak: the budget the hosts share and the mock enforces, `REQUESTS/WINDOW`
    /// (`500/1s`, `300/5m`, `50/250ms`).
    #[arg(long, default_value = "500/1s", value_parser = parse_budget)]
    pub budget: psa_host::RateBudgetConfig,
    /// Fleet soak: the hosts' alert lease in seconds (how long a killed host blocks an alert).
    #[arg(long, default_value_t = 5.0)]
    pub lease: f64,
    /// Fleet soak: kill one host process with SIGKILL once this share of the alerts is done.
    #[arg(long, value_parser = parse_rate)]
    pub kill_one_at: Option<f64>,
    /// Fleet soak: restart the private Redis once this share of the alerts is done.
    #[arg(long, value_parser = parse_rate)]
    pub restart_redis_at: Option<f64>,
}

fn parse_budget(text: &str) -> Result<psa_host::RateBudgetConfig, String> {
    let bad = || format!("'{text}' is not a budget such as 500/1s, 300/5m or 50/250ms");
    let (requests, window) = text.split_once('/').ok_or_else(bad)?;
    let max_requests: u32 = requests.trim().parse().map_err(|_| bad())?;
    let window = window.trim();
    let split = window.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (number, unit) = window.split_at(split);
    let number: u64 = number.parse().map_err(|_| bad())?;
    let window = match unit {
        "ms" => std::time::Duration::from_millis(number),
        "s" => std::time::Duration::from_secs(number),
        "m" => std::time::Duration::from_secs(number * 60),
        _ => return Err(bad()),
    };
    if max_requests == 0 || window.is_zero() {
        return Err(bad());
    }
    Ok(psa_host::RateBudgetConfig {
        max_requests,
        window,
    })
}

fn parse_rate(text: &str) -> Result<f64, String> {
    let (number, percent) = match text.trim().strip_suffix('%') {
        Some(n) => (n, true),
        None => (text.trim(), false),
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("'{text}' is not a rate such as 10% or 0.1"))?;
    let rate = if percent || value > 1.0 {
        value / 100.0
    } else {
        value
    };
    if (0.0..=1.0).contains(&rate) {
        Ok(rate)
    } else {
        Err(format!("'{text}' is outside 0%..100%"))
    }
}

pub(crate) async fn run(args: SoakArgs) -> ExitCode {
    let component = match args.psa.component_path(args.component.clone()) {
        Ok(path) => path,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(crate::EXIT_HOST_ERROR);
        }
    };
    if args.processes > 1 {
        return run_fleet_soak(args, component).await;
    }
    println!(
        "soak ({}): {} alerts, fault rate {:.1}%, seed {}, {} sessions",
        args.psa.title(),
        args.alerts,
        args.fault_rate * 100.0,
        args.seed,
        args.concurrency
    );
    let config = SoakConfig {
        component,
        psa: args.psa,
        alerts: args.alerts,
        fault_rate: args.fault_rate,
        seed: args.seed,
        concurrency: args.concurrency,
        host_attempts: args.attempts,
        allowed_failures: args.allowed_failures,
    };
    let report = match run_soak(config).await {
        Ok(report) => report,
        Err(error) => {
            eprintln!("soak could not run: {error:#}");
            return ExitCode::from(crate::EXIT_HOST_ERROR);
        }
    };
    print_report(&report, args.attempts);
    verdict(
        &report.problems(),
        &format!(
            "every alert is exactly one ticket (at most {} reported failures allowed), every \
             occurrence recorded once",
            report.allowed_failures
        ),
    )
}

/// Prints PASS with what passed, or FAIL with each problem; the exit code.
fn verdict(problems: &[String], passed: &str) -> ExitCode {
    if problems.is_empty() {
        println!("PASS: {passed}");
        ExitCode::SUCCESS
    } else {
        println!("FAIL:");
        for problem in problems {
            println!("  {problem}");
        }
        ExitCode::from(crate::EXIT_CONNECTOR_ERROR)
    }
}

/// The soak's figures, one per line.
fn print_report(report: &SoakReport, attempts: u32) {
    println!(
        "elapsed:              {:.1} s",
        report.elapsed.as_secs_f64()
    );
    println!("sync-alert calls:     {}", report.sync_calls);
    println!("requests served:      {}", report.requests);
    println!("succeeded:            {}", report.succeeded);
    println!(
        "reported failures:    {} ({} left a ticket a later sync finds)",
        report.reported_failures, report.failures_with_ticket
    );
    println!(
        "second occurrences failed: {}",
        report.second_occurrence_failures
    );
    println!("tickets in the PSA:   {}", report.tickets);
    println!("faults injected:      {}", report.faults_injected);
    println!("sessions replaced:    {}", report.sessions_replaced);
    println!("LOST:                 {}", report.lost);
    println!("DUPLICATED:           {}", report.duplicated);
    println!("OCCURRENCES TWICE:    {}", report.duplicate_occurrences);
    println!("OCCURRENCES MISSING:  {}", report.missing_occurrences);
    if !report.errors.is_empty() {
        println!(
            "errors seen by the platform (each retried up to {} times):",
            attempts
        );
        for (kind, count) in &report.errors {
            println!("  {kind:<24} {count}");
        }
    }
}

async fn run_fleet_soak(args: SoakArgs, component: PathBuf) -> ExitCode {
    let worker_binary = match std::env::current_exe() {
        Ok(path) => path,
        Err(error) => {
            eprintln!("error: cannot find the psa-harness binary: {error}");
            return ExitCode::from(crate::EXIT_HOST_ERROR);
        }
    };
    let mut config = FleetConfig::new(worker_binary, component, args.psa);
    config.processes = args.processes;
    config.sessions = args.concurrency;
    config.alerts = args.alerts;
    config.fault_rate = args.fault_rate;
    config.seed = args.seed;
    config.attempts = args.attempts;
    config.allowed_failures = args.allowed_failures;
    config.budget = args.budget;
    config.alert_lease = std::time::Duration::from_secs_f64(args.lease.max(0.1));
    config.redis = args.redis;
    config.kill_one_at = args.kill_one_at;
    config.restart_redis_at = args.restart_redis_at;
    println!(
        "fleet soak ({}): {} alerts over {} processes x {} sessions, fault rate {:.1}%, seed {}, \
         shared budget {} per {:?}, Redis {}",
        args.psa.title(),
        config.alerts,
        config.processes,
        config.sessions,
        config.fault_rate * 100.0,
        config.seed,
        config.budget.max_requests,
        config.budget.window,
        if config.redis.is_some() {
            "given"
        } else {
            "private (redis-server)"
        },
    );
    let report = match run_fleet(config).await {
        Ok(report) => report,
        Err(error) => {
            eprintln!("fleet soak could not run: {error:#}");
            return ExitCode::from(crate::EXIT_HOST_ERROR);
        }
    };
    print_report(&report.soak, args.attempts);
    println!("processes:            {}", report.processes);
    println!("pairs sent at once:   {}", report.simultaneous_pairs);
    println!("redelivered calls:    {}", report.redelivered);
    println!(
        "killed (SIGKILL):     {}",
        report
            .killed
            .map_or("none".to_string(), |w| format!("worker {w}"))
    );
    println!("Redis restarted:      {}", report.redis_restarted);
    if let Some(budget) = report.budget {
        println!(
            "peak in any window:   {} requests per {:?} (budget {})",
            report.peak_in_window, budget.window, budget.max_requests
        );
    }
    verdict(
        &report.problems(),
        &format!(
            "every alert is exactly one ticket across {} processes, the shared budget held",
            report.processes
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::parse_rate;

    #[test]
    fn rates_in_every_spelling() {
        assert_eq!(parse_rate("10%"), Ok(0.1));
        assert_eq!(parse_rate("0.1"), Ok(0.1));
        assert_eq!(parse_rate("10"), Ok(0.1));
        assert!(parse_rate("120%").is_err());
        assert!(parse_rate("ten").is_err());
    }
}
