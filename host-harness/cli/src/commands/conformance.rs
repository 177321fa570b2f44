//! `psa-harness conformance`: the conformance suite (`psa-conformance`) on one component, one
//! line per check. Exit 0 when every applicable check passes, 1 when one fails, 2 on a usage or
//! host error (a settings file that cannot be read, a mock that cannot start).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use psa_conformance::psa::MockKind;
use psa_conformance::Config;

use super::settings::read_settings;
use crate::{EXIT_CONNECTOR_ERROR, EXIT_HOST_ERROR};

/// Which mock to run the suite against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MockChoice {
    /// The embedded mock HaloPSA.
    Halo,
    /// The embedded mock ConnectWise PSA.
    Connectwise,
    /// No mock: a live or sandbox instance reached with `--settings`.
    None,
}

/// Arguments of `conformance`.
#[derive(Debug, Args)]
pub struct ConformanceArgs {
    /// The connector component (.wasm) to check.
    #[arg(long)]
    pub component: PathBuf,
    /// The mock to start and use, or `none` for the instance in `--settings`.
    #[arg(long, value_enum, default_value = "halo")]
    pub mock: MockChoice,
    /// Settings file (a JSON object of key/value pairs): with a mock, added to the mock's
    /// settings; with `--mock none`, every setting of the live instance. Live writes also read
    /// `conformance.organization_id` (required) and `conformance.ticket_type_id` from it.
    #[arg(long)]
    pub settings: Option<PathBuf>,
    /// Print the report as one JSON document instead of lines.
    #[arg(long)]
    pub json: bool,
    /// Live only: also run the checks that create tickets (closed again afterwards where the
    /// connector can close them).
    #[arg(long)]
    pub allow_writes: bool,
}

/// Runs the suite and prints its report.
pub(crate) async fn run(args: ConformanceArgs) -> ExitCode {
    match configure(&args).await {
        Ok(config) => {
            let report = psa_conformance::run(config).await;
            if args.json {
                println!("{:#}", report.to_json());
            } else {
                for line in report.lines() {
                    println!("{line}");
                }
            }
            if report.passed() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(EXIT_CONNECTOR_ERROR)
            }
        }
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(EXIT_HOST_ERROR)
        }
    }
}

/// The suite's configuration from the arguments (starting the mock).
async fn configure(args: &ConformanceArgs) -> Result<Config, String> {
    let mut settings = match &args.settings {
        Some(path) => read_settings(path)?,
        None => vec![],
    };
    let mut take = |key: &str| {
        let found = settings.iter().position(|(k, _)| k == key);
        found.map(|i| settings.remove(i).1)
    };
    let organization = take("conformance.organization_id");
    let ticket_type = take("conformance.ticket_type_id");
    let kind = match args.mock {
        MockChoice::Halo => Some(MockKind::Halo),
        MockChoice::Connectwise => Some(MockKind::ConnectWise),
        MockChoice::None => None,
    };
    let mut config = match kind {
        Some(kind) => {
            if args.allow_writes {
                return Err(
                    "--allow-writes is for --mock none (the mock always allows writes)".into(),
                );
            }
            let mock = kind
                .start()
                .await
                .map_err(|e| format!("cannot start the mock: {e}"))?;
            Config::mock(&args.component, mock)
        }
        None => {
            if args.settings.is_none() {
                return Err(
                    "--mock none needs --settings FILE with the instance's settings".into(),
                );
            }
            Config::live(&args.component, vec![])
        }
    };
    config.settings = settings;
    config.allow_writes = kind.is_some() || args.allow_writes;
    config.live_organization_id = organization;
    config.live_ticket_type_id = ticket_type;
    Ok(config)
}
