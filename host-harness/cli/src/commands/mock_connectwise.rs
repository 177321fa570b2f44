//! `psa-harness mock-connectwise`: run the mock ConnectWise PSA until Ctrl-C.

use std::process::ExitCode;

use clap::Args;
use serde_json::{Map, Value};

use super::mock_halo::{add_faults, tls_certificate, wait_for_ctrl_c, MockServerArgs};
use crate::EXIT_HOST_ERROR;
use psa_mock::connectwise::{ConnectWiseConfig, MockConnectWise};

/// Arguments of `mock-connectwise`.
#[derive(Debug, Args)]
pub struct MockConnectWiseArgs {
    /// Address, seed, rate limit and faults.
    #[command(flatten)]
    pub server: MockServerArgs,
    /// Number of seeded companies (the well-known ones are always there).
    #[arg(long)]
    pub companies: Option<usize>,
}

/// The mock's configuration from the flags.
fn mock_config(args: &MockConnectWiseArgs) -> ConnectWiseConfig {
    let mut config = ConnectWiseConfig::default();
    if let Some(companies) = args.companies {
        config.companies = companies;
    }
    if let Some(seed) = args.server.seed {
        config.seed = seed;
    }
    config.rate_limit = args.server.rate_limit;
    config
}

/// Runs `mock-connectwise`.
pub(crate) async fn run(args: MockConnectWiseArgs) -> ExitCode {
    let started = match tls_certificate(&args.server) {
        Ok(None) => MockConnectWise::start_on(args.server.addr, mock_config(&args)).await,
        Ok(Some(cert)) => {
            MockConnectWise::start_tls_on(args.server.addr, mock_config(&args), cert).await
        }
        Err(e) => Err(e),
    };
    let cw = match started {
        Ok(cw) => cw,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::from(EXIT_HOST_ERROR);
        }
    };
    add_faults(&cw, &args.server.faults);
    let config = cw.config();
    println!("listening on {}", cw.base_url());
    // The mock's credentials are demo values, fine to show.
    println!("api:           {}", cw.api_url());
    println!("company id:    {}", config.company_id);
    println!("public key:    {}", config.public_key);
    println!("private key:   {}", config.private_key);
    println!("client id:     {}", config.client_id);
    println!("settings (save as settings.json for `psa-harness call --settings`):");
    let settings: Map<String, Value> = cw
        .connector_settings()
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    println!(
        "{}",
        serde_json::to_string_pretty(&settings).unwrap_or_default()
    );
    wait_for_ctrl_c(&cw).await;
    cw.shutdown().await;
    ExitCode::SUCCESS
}
