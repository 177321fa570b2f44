//! `psa-harness studio`: a local web page that walks an admin's flow for any connector
//! component (settings, test connection, mapping, profile, pre-flight, a sample alert's
//! lifecycle, tickets, audit trail, rate budget), served on loopback. See [`crate::studio`].

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::compile_cache::CompileCacheArgs;
use super::settings::{read_json, read_settings};
use crate::psa::{Psa, PsaMock};
use crate::studio::{self, Studio, StudioOptions};
use crate::{load, EXIT_HOST_ERROR};

/// Arguments of `studio`.
#[derive(Debug, Args)]
pub struct StudioArgs {
    /// The connector component (.wasm); default: the bundled connector of `--mock`'s PSA.
    #[arg(long)]
    pub component: Option<PathBuf>,
    /// Start an embedded mock of this PSA; its settings (made-up credentials) are printed so
    /// that they can be typed into the page.
    #[arg(long, value_enum, conflicts_with = "settings")]
    pub mock: Option<Psa>,
    /// A settings file (JSON object) whose values fill the form at start; secret values stay
    /// on the server and the page only shows them as set.
    #[arg(long)]
    pub settings: Option<PathBuf>,
    /// Port on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = 8787)]
    pub port: u16,
    /// The host tenants of the mapping screen: a JSON array of host-tenant; default: a sample
    /// list with exact, fuzzy and ambiguous matches for the mocks' organizations.
    #[arg(long)]
    pub tenants: Option<PathBuf>,
    /// Where compiled components are kept.
    #[command(flatten)]
    pub cache: CompileCacheArgs,
}

/// Runs `studio` until Ctrl-C.
pub(crate) async fn run(args: StudioArgs) -> ExitCode {
    match serve(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(EXIT_HOST_ERROR)
        }
    }
}

async fn serve(args: StudioArgs) -> Result<(), String> {
    let path = match args.mock {
        Some(psa) => psa.component_path(args.component),
        None => crate::component_path(args.component),
    }
    .map_err(|e| e.to_string())?;
    let tenants = match &args.tenants {
        Some(file) => {
            let tenants = read_json(file)?;
            studio::check_tenants(&tenants).map_err(|e| format!("{}: {e}", file.display()))?;
            tenants
        }
        None => studio::sample_tenants(),
    };
    let initial = match &args.settings {
        Some(file) => read_settings(file)?,
        None => Vec::new(),
    };
    let mock = match args.mock {
        Some(psa) => Some((
            psa,
            PsaMock::start(psa, None)
                .await
                .map_err(|e| format!("cannot start the mock: {e:#}"))?,
        )),
        None => None,
    };
    let config = psa_host::HostConfig {
        compile_cache: args.cache.dir(),
        ..crate::host_config(None)
    };
    let (host, connector) = load(config, path).await.map_err(|e| e.to_string())?;
    let listener =
        tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, args.port)))
            .await
            .map_err(|e| format!("cannot listen on 127.0.0.1:{}: {e}", args.port))?;
    let addr = listener
        .local_addr()
        .map_err(|e| format!("cannot read the listening address: {e}"))?;
    if let Some((psa, mock)) = &mock {
        println!("mock {} on {}", psa.title(), mock.server().base_url());
        println!("the settings an admin would type (the mock's made-up credentials):");
        for (key, value) in mock.connector_settings() {
            println!("  setting {key} = {value}");
        }
    }
    let studio = Studio::new(
        host,
        connector,
        StudioOptions {
            tenants,
            initial_settings: initial,
            mock,
        },
    )
    .await
    .map_err(|e| e.to_string())?;
    println!("studio on http://{addr}/ (Ctrl-C to stop)");
    studio::serve(listener, studio)
        .await
        .map_err(|e| format!("the server stopped: {e}"))
}
