//! The `psa-harness` command line: `demo`, `mock-halo`, `call`, `soak` and `bench`, on the host
//! library (`psa-host`) and the mock servers (`psa-mock`).
//!
//! - `commands/`: one module per subcommand (arguments and output).
//! - [`soak`] and [`bench`]: the soak and the benchmark themselves, also used by the
//!   end-to-end tests; [`fleet`]: the soak over several host processes sharing a Redis
//!   ([`redis_server`] starts a private one).
//! - With the `bundled-connector` feature (default), `build.rs` builds the HaloPSA connector in
//!   `plugin/halo` ([`bundled_halo_connector`]) and the ConnectWise PSA connector in
//!   `plugin/connectwise` ([`bundled_connectwise_connector`]) for `wasm32-wasip2` (installing
//!   the target through rustup when it is missing).
//!
//! Exit codes: 0 success, 1 the connector answered with its typed error, 2 a host or usage
//! error. Logs go to stderr (`RUST_LOG`, or `-v`/`-vv`/`-vvv`); with `call --json` nothing but
//! the error document is written to stderr unless logging is asked for.

#![deny(missing_docs)]

pub mod bench;
mod commands;
pub mod fleet;
pub mod psa;
pub mod redis_server;
pub mod soak;
mod studio;

pub use commands::demo;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use psa_host::types::ConnectorError;
use psa_host::{
    ConnectorHost, Coordination, HostConfig, HostError, LoadedConnector, RedisCoordination,
};

use commands::{
    bench as bench_cmd, call, conformance, demo as demo_cmd, fleet_worker, mock_connectwise,
    mock_halo, new, soak as soak_cmd, studio as studio_cmd,
};

/// Path of the HaloPSA connector component built from `plugin/halo` during this crate's build
/// (feature `bundled-connector`). With `PSA_SKIP_PLUGIN_BUILD=1` the build is skipped and the
/// file may be missing or stale.
#[cfg(feature = "bundled-connector")]
pub fn bundled_halo_connector() -> PathBuf {
    PathBuf::from(env!("HALO_CONNECTOR_WASM"))
}

/// Path of the ConnectWise PSA connector component built from `plugin/connectwise` during this
/// crate's build (feature `bundled-connector`), as [`bundled_halo_connector`] is for HaloPSA.
#[cfg(feature = "bundled-connector")]
pub fn bundled_connectwise_connector() -> PathBuf {
    PathBuf::from(env!("CONNECTWISE_CONNECTOR_WASM"))
}

/// Command line of `psa-harness`.
#[derive(Debug, Parser)]
#[command(
    name = "psa-harness",
    version,
    about = "Run PSA connector components: demo, mock HaloPSA, single calls"
)]
pub struct Cli {
    /// More log output on stderr (-v info, -vv debug, -vvv trace); `RUST_LOG` overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start an embedded mock HaloPSA, load the connector and run the seed flow.
    Demo(demo_cmd::DemoArgs),
    /// Run the mock HaloPSA until Ctrl-C.
    MockHalo(mock_halo::MockArgs),
    /// Run the mock ConnectWise PSA until Ctrl-C.
    #[command(name = "mock-connectwise")]
    MockConnectWise(mock_connectwise::MockConnectWiseArgs),
    /// Call one connector operation.
    Call(call::CallArgs),
    /// Run the conformance suite on a component (one line per check; exit 0 when all pass).
    Conformance(conformance::ConformanceArgs),
    /// Many alerts under random faults; checks 0 lost, 0 duplicated against the mock.
    Soak(soak_cmd::SoakArgs),
    /// What a component costs: compile, session open, call latency, throughput.
    Bench(bench_cmd::BenchArgs),
    /// Create a connector crate on the SDK (see docs/writing-a-connector.md).
    New(new::NewArgs),
    /// A local web page walking the admin's flow for a connector (settings, mapping, alerts).
    Studio(studio_cmd::StudioArgs),
    /// One host process of `soak --processes N` (started by the soak, not by hand).
    #[command(name = "fleet-worker", hide = true)]
    FleetWorker(fleet_worker::FleetWorkerArgs),
}

/// Runs the CLI with the process arguments and returns the exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    // `call --json` keeps stderr for the error document; the soak's injected faults would
    // otherwise log a warning each.
    let quiet = matches!(&cli.command, Command::Call(c) if c.json)
        || matches!(
            &cli.command,
            Command::Soak(_) | Command::Bench(_) | Command::FleetWorker(_)
        );
    init_tracing(cli.verbose, quiet);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let verbose = cli.verbose > 0;
    runtime.block_on(async move {
        match cli.command {
            Command::Demo(args) => demo_cmd::run(args).await,
            Command::MockHalo(args) => mock_halo::run(args).await,
            Command::MockConnectWise(args) => mock_connectwise::run(args).await,
            Command::Call(args) => call::run(args, verbose).await,
            Command::Conformance(args) => conformance::run(args).await,
            Command::Soak(args) => soak_cmd::run(args).await,
            Command::Bench(args) => bench_cmd::run(args).await,
            Command::FleetWorker(args) => fleet_worker::run(args).await,
            Command::New(args) => new::run(args),
            Command::Studio(args) => studio_cmd::run(args).await,
        }
    })
}

fn init_tracing(verbose: u8, quiet: bool) {
    use tracing_subscriber::EnvFilter;
    // -v raises the host's own logs and the WASI/HTTP layers the guest talks through; the
    // compiler (cranelift) stays at info: its trace output is megabytes per component.
    const LAYERS: &str = "psa_host={level},psa_harness={level},wasmtime_wasi={level},wasmtime_wasi_http={level},hyper={level},hyper_util={level}";
    let default = match (verbose, quiet) {
        (0, true) => "off".to_string(),
        (0, false) => "warn".to_string(),
        (1, _) => "info".to_string(),
        (2, _) => format!("info,{}", LAYERS.replace("{level}", "debug")),
        _ => format!("info,{}", LAYERS.replace("{level}", "trace")),
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Exit code for a connector's typed error.
pub const EXIT_CONNECTOR_ERROR: u8 = 1;
/// Exit code for a host or usage error.
pub const EXIT_HOST_ERROR: u8 = 2;

/// The component to load: the given path, else the bundled connector.
fn component_path(given: Option<PathBuf>) -> Result<PathBuf, HostError> {
    if let Some(path) = given {
        return Ok(path);
    }
    #[cfg(feature = "bundled-connector")]
    {
        Ok(bundled_halo_connector())
    }
    #[cfg(not(feature = "bundled-connector"))]
    {
        Err(HostError::Io(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "--component is required (built without the bundled connector)",
        )))
    }
}

/// The default host configuration, coordinating through the Redis at `redis` if given.
fn host_config(redis: Option<String>) -> HostConfig {
    HostConfig {
        coordination: redis.map_or(Coordination::InProcess, |url| {
            Coordination::Redis(RedisCoordination::new(url))
        }),
        ..HostConfig::default()
    }
}

/// Creates a host with the default configuration and loads the component (compiling it on a
/// blocking thread).
async fn load(
    host_config: HostConfig,
    path: PathBuf,
) -> Result<(ConnectorHost, LoadedConnector), HostError> {
    let host = ConnectorHost::new(host_config)?;
    let loader = host.clone();
    let loaded = tokio::task::spawn_blocking(move || loader.load(path))
        .await
        .map_err(|e| HostError::Io(std::io::Error::other(e.to_string())))??;
    Ok((host, loaded))
}

/// The WIT name of an enum case from its Rust `Debug` form (`MatchBasis::ExternalId` →
/// `external-id`), for human output.
pub fn wit_case(value: &impl std::fmt::Debug) -> String {
    let debug = format!("{value:?}");
    let case = debug.rsplit("::").next().unwrap_or(&debug);
    let mut out = String::new();
    for (i, c) in case.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// A connector error in one line: `<case>: <message>`.
pub fn describe_connector_error(err: &ConnectorError) -> String {
    match err {
        ConnectorError::InvalidSettings(p) => match &p.key {
            Some(key) => format!("invalid-settings ({key}): {}", p.message),
            None => format!("invalid-settings: {}", p.message),
        },
        ConnectorError::AuthFailed(m) => format!("auth-failed: {m}"),
        ConnectorError::PermissionDenied(m) => format!("permission-denied: {m}"),
        ConnectorError::NotFound(m) => format!("not-found: {m}"),
        ConnectorError::UnmappedTenant(m) => format!("unmapped-tenant: {m}"),
        ConnectorError::RateLimited(s) => format!("rate-limited: retry after {s} s"),
        ConnectorError::Remote(r) => format!("remote: {} {} ({})", r.status, r.message, r.endpoint),
        ConnectorError::InvalidResponse(r) => {
            format!("invalid-response: {} ({})", r.message, r.endpoint)
        }
        ConnectorError::Transport(m) => format!("transport: {m}"),
        ConnectorError::Unsupported(m) => format!("unsupported: {m}"),
        ConnectorError::InvalidInput(m) => format!("invalid-input: {m}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use psa_host::types::{MatchBasis, Severity, SyncStrategy, TicketScope};

    #[test]
    fn wit_case_names_for_human_output() {
        assert_eq!(wit_case(&MatchBasis::ExternalId), "external-id");
        assert_eq!(wit_case(&Severity::High), "high");
        assert_eq!(
            wit_case(&SyncStrategy::CreateUpdateClose),
            "create-update-close"
        );
        assert_eq!(wit_case(&TicketScope::Own), "own");
    }
}
