//! `psa-harness mock-halo`: run the mock HaloPSA until Ctrl-C.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use serde_json::json;

use crate::EXIT_HOST_ERROR;
use psa_mock::halo::{FaultRule, MockConfig, MockHalo, RateLimit};
use psa_mock::MockServer;

/// Flags of every mock command (`mock-halo`, `mock-connectwise`).
#[derive(Debug, Args)]
pub struct MockServerArgs {
    /// Address to listen on (port 0 = a free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    pub addr: SocketAddr,
    /// Seed of the generated data and of random faults.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Rolling-window rate limit as N/SECS, for example 300/300.
    #[arg(long, value_parser = parse_rate_limit)]
    pub rate_limit: Option<RateLimit>,
    /// Fault-injection rule (repeatable), for example `kind=500,endpoint=POST /api/tickets,nth=1`
    /// (Halo) or `kind=429,retry-after=2,endpoint=POST /service/tickets,nth=1` (ConnectWise).
    #[arg(long = "fault")]
    pub faults: Vec<FaultRule>,
    /// Serve HTTPS with a certificate for `localhost` and `127.0.0.1` from a test CA made at
    /// start-up (printed as PEM, or written to `--ca-out`): give it to `call --ca-file`.
    #[arg(long)]
    pub tls: bool,
    /// With `--tls`: write the test CA's certificate (PEM) to this file.
    #[arg(long, value_name = "FILE", requires = "tls")]
    pub ca_out: Option<std::path::PathBuf>,
}

/// With `--tls`: a new test CA, its certificate written to `--ca-out` (or printed), and the
/// server certificate it issues; `None` for plain HTTP.
pub(crate) fn tls_certificate(
    args: &MockServerArgs,
) -> anyhow::Result<Option<psa_mock::tls::ServerCert>> {
    use anyhow::Context as _;
    if !args.tls {
        return Ok(None);
    }
    let ca = psa_mock::tls::TestCa::generate()?;
    match &args.ca_out {
        Some(path) => {
            std::fs::write(path, ca.ca_pem())
                .with_context(|| format!("cannot write the CA to {}", path.display()))?;
            println!("test CA (PEM) written to {}", path.display());
        }
        None => println!(
            "test CA (PEM; save it for `call --ca-file`):\n{}",
            ca.ca_pem()
        ),
    }
    Ok(Some(ca.issue_for_localhost()?))
}

/// Arguments of `mock-halo`.
#[derive(Debug, Args)]
pub struct MockArgs {
    /// Address, seed, rate limit and faults.
    #[command(flatten)]
    pub server: MockServerArgs,
    /// Number of seeded clients (the well-known ones are always there).
    #[arg(long)]
    pub clients: Option<usize>,
    /// Act as a hosted instance that requires this tenant on the token endpoint.
    #[arg(long)]
    pub tenant: Option<String>,
}

/// Parses `--rate-limit N/SECS`.
pub(crate) fn parse_rate_limit(text: &str) -> Result<RateLimit, String> {
    let (n, secs) = text
        .split_once('/')
        .ok_or("expected N/SECS, for example 300/300")?;
    let max_requests = n
        .trim()
        .parse()
        .map_err(|_| format!("`{n}` is not a number of requests"))?;
    let secs: u64 = secs
        .trim()
        .parse()
        .map_err(|_| format!("`{secs}` is not a number of seconds"))?;
    if secs == 0 {
        return Err("the window must be at least one second".into());
    }
    Ok(RateLimit {
        max_requests,
        window: Duration::from_secs(secs),
    })
}

/// The mock's configuration from the flags.
pub(crate) fn mock_config(args: &MockArgs) -> MockConfig {
    let mut config = MockConfig::default();
    if let Some(clients) = args.clients {
        config.clients = clients;
    }
    if let Some(seed) = args.server.seed {
        config.seed = seed;
    }
    config.tenant = args.tenant.clone();
    config.rate_limit = args.server.rate_limit;
    config
}

/// Example settings for a connector pointed at `halo`.
pub(crate) fn example_settings(halo: &MockHalo) -> serde_json::Value {
    let config = halo.config();
    json!({
        "base_url": halo.base_url(),
        "tenant": config.tenant,
        "client_id": config.client_id,
        "client_secret": config.client_secret,
        "scope": "all",
    })
}

/// Runs `mock-halo`.
pub(crate) async fn run(args: MockArgs) -> ExitCode {
    let started = match tls_certificate(&args.server) {
        Ok(None) => MockHalo::start_on(args.server.addr, mock_config(&args)).await,
        Ok(Some(cert)) => MockHalo::start_tls_on(args.server.addr, mock_config(&args), cert).await,
        Err(e) => Err(e),
    };
    let halo = match started {
        Ok(halo) => halo,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::from(EXIT_HOST_ERROR);
        }
    };
    add_faults(&halo, &args.server.faults);
    let config = halo.config();
    println!("listening on {}", halo.base_url());
    // The mock's credentials are demo values, fine to show.
    println!("client id:     {}", config.client_id);
    println!("client secret: {}", config.client_secret);
    if let Some(tenant) = &config.tenant {
        println!("tenant:        {tenant}");
    }
    println!("settings (save as settings.json for `psa-harness call --settings`):");
    println!(
        "{}",
        serde_json::to_string_pretty(&example_settings(&halo)).unwrap_or_default()
    );
    wait_for_ctrl_c(&halo).await;
    halo.shutdown().await;
    ExitCode::SUCCESS
}

/// Adds the `--fault` rules to a mock.
pub(crate) fn add_faults(mock: &MockServer, rules: &[FaultRule]) {
    for rule in rules {
        mock.add_fault(rule.clone());
    }
}

/// Prints how to stop, waits for Ctrl-C, then says how many requests the mock served.
pub(crate) async fn wait_for_ctrl_c(mock: &MockServer) {
    println!("press Ctrl-C to stop");
    if let Err(e) = tokio::signal::ctrl_c().await {
        eprintln!("error: cannot wait for Ctrl-C: {e}");
    }
    println!("served {} requests; stopping", mock.total_requests());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limit_flag() {
        let r = parse_rate_limit("300/300").unwrap();
        assert_eq!((r.max_requests, r.window), (300, Duration::from_secs(300)));
        assert!(parse_rate_limit("300").is_err());
        assert!(parse_rate_limit("x/1").is_err());
        assert!(parse_rate_limit("1/0").is_err());
    }
}
