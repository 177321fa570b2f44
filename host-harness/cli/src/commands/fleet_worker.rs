//! `psa-harness fleet-worker`: one host process of `soak --processes N`, started by the soak
//! (see `psa_harness::fleet`). Reads the settings and then jobs as JSON lines on stdin and
//! answers each on stdout.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use psa_host::RateBudgetConfig;

use crate::fleet::{run_worker, WorkerConfig};
use crate::psa::Psa;

/// Arguments of `fleet-worker`.
#[derive(Debug, Args)]
pub struct FleetWorkerArgs {
    /// The connector component.
    #[arg(long)]
    pub component: PathBuf,
    /// The PSA the mock plays.
    #[arg(long, value_enum)]
    pub psa: Psa,
    /// The Redis the fleet coordinates through.
    #[arg(long)]
    pub redis: String,
    /// Sessions working in parallel.
    #[arg(long, default_value_t = 4)]
    pub sessions: usize,
    /// The shared budget: requests per window.
    #[arg(long)]
    pub budget_requests: u32,
    /// The shared budget's window, in milliseconds.
    #[arg(long)]
    pub budget_window_ms: u64,
    /// The alert lease, in milliseconds.
    #[arg(long)]
    pub lease_ms: u64,
}

pub(crate) async fn run(args: FleetWorkerArgs) -> ExitCode {
    let config = WorkerConfig {
        component: args.component,
        psa: args.psa,
        redis: args.redis,
        sessions: args.sessions,
        budget: RateBudgetConfig {
            max_requests: args.budget_requests,
            window: Duration::from_millis(args.budget_window_ms),
        },
        alert_lease: Duration::from_millis(args.lease_ms),
    };
    match run_worker(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("fleet-worker: {error:#}");
            ExitCode::from(crate::EXIT_HOST_ERROR)
        }
    }
}
