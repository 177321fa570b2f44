//! `psa-harness soak`: many alerts under random faults, then 0 lost / 0 duplicated checked
//! against the mock's state (see `psa_host::soak`).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::psa::Psa;
use crate::soak::{run_soak, SoakConfig};

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
    let component = match args.psa.component_path(args.component) {
        Ok(path) => path,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(crate::EXIT_HOST_ERROR);
        }
    };
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
            args.attempts
        );
        for (kind, count) in &report.errors {
            println!("  {kind:<24} {count}");
        }
    }
    if report.passed() {
        println!(
            "PASS: every alert is exactly one ticket (at most {} reported failures allowed), \
             every occurrence recorded once",
            report.allowed_failures
        );
        ExitCode::SUCCESS
    } else {
        println!("FAIL:");
        for problem in report.problems() {
            println!("  {problem}");
        }
        ExitCode::from(crate::EXIT_CONNECTOR_ERROR)
    }
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
