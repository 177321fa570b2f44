//! `psa-harness call`: one connector operation, arguments from flags and JSON files, result as
//! JSON (see `psa_host::json` for the convention).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use psa_host::json::connector_error_json;
use serde_json::{json, Value};

use super::compile_cache::CompileCacheArgs;
use super::settings::{read_json, read_settings};
use crate::{component_path, load, EXIT_CONNECTOR_ERROR, EXIT_HOST_ERROR};
use psa_host::{ConnectorSession, HostError};

/// Arguments of `call`.
#[derive(Debug, Args)]
pub struct CallArgs {
    /// The connector component (.wasm); default: the bundled HaloPSA connector.
    #[arg(long)]
    pub component: Option<PathBuf>,
    /// Settings file: a JSON object of key/value pairs (not needed for `info`).
    #[arg(long)]
    pub settings: Option<PathBuf>,
    /// Print exactly one JSON document: the result on stdout, or the error on stderr.
    #[arg(long)]
    pub json: bool,
    /// Coordinate with other hosts through this Redis (`redis://host:port/`): the PSA
    /// instance's rate budget and the alert locks of `sync-alert` / `resolve-alert` are then
    /// shared with every host using it. Default: this process only.
    #[arg(long, value_name = "URL")]
    pub redis: Option<String>,
    /// A CA certificate file (PEM) to trust besides the public roots (repeatable): a PSA
    /// behind an internal CA, or `mock-halo --tls --ca-out FILE`.
    #[arg(long = "ca-file", value_name = "FILE")]
    pub ca_files: Vec<PathBuf>,
    /// Where compiled components are kept.
    #[command(flatten)]
    pub cache: CompileCacheArgs,
    /// The operation.
    #[command(subcommand)]
    pub op: Op,
}

/// The operations of the contract, with their arguments.
#[derive(Debug, Subcommand)]
pub enum Op {
    /// The connector's description and settings form.
    Info,
    /// Obtain a token and check permissions.
    TestConnection,
    /// List organizations.
    ListOrganizations {
        /// Free-text search on the name.
        #[arg(long)]
        search: Option<String>,
        /// 1-based page (default: every page).
        #[arg(long)]
        page: Option<u32>,
        /// Page size, with --page.
        #[arg(long)]
        page_size: Option<u32>,
        /// Include inactive organizations.
        #[arg(long)]
        include_inactive: bool,
    },
    /// Read one organization.
    GetOrganization {
        /// Organization id.
        id: String,
    },
    /// Priorities for a ticket type.
    ListPriorities {
        /// Ticket type id (default: the PSA's default type).
        #[arg(long)]
        ticket_type: Option<String>,
    },
    /// Ticket statuses.
    ListStatuses,
    /// Ticket types.
    ListTicketTypes,
    /// Teams.
    ListTeams,
    /// Suggest an organization per host tenant.
    SuggestMapping {
        /// JSON array of host-tenant.
        #[arg(long)]
        tenants: PathBuf,
    },
    /// Check a mapping profile.
    ValidateMapping {
        /// JSON mapping-profile.
        #[arg(long)]
        profile: PathBuf,
    },
    /// Create a ticket.
    CreateTicket {
        /// JSON mapping-profile.
        #[arg(long)]
        profile: PathBuf,
        /// JSON ticket-request.
        #[arg(long)]
        request: PathBuf,
    },
    /// Read one ticket.
    GetTicket {
        /// Ticket id.
        id: String,
    },
    /// List tickets (own and open by default).
    ListTickets {
        /// Only this organization's tickets.
        #[arg(long)]
        org: Option<String>,
        /// Every ticket the credentials can see, not only the connector's own.
        #[arg(long)]
        all: bool,
        /// Closed tickets too.
        #[arg(long)]
        include_closed: bool,
        /// 1-based page (default: every page).
        #[arg(long)]
        page: Option<u32>,
        /// Page size, with --page.
        #[arg(long)]
        page_size: Option<u32>,
    },
    /// Change fields of a ticket.
    UpdateTicket {
        /// Ticket id.
        id: String,
        /// JSON ticket-update.
        #[arg(long)]
        update: PathBuf,
    },
    /// Add a note to a ticket (private unless --public).
    AddNote {
        /// Ticket id.
        id: String,
        /// The note's text.
        #[arg(long)]
        text: String,
        /// Visible to the end user.
        #[arg(long)]
        public: bool,
    },
    /// Close a ticket.
    CloseTicket {
        /// Ticket id.
        id: String,
        /// JSON mapping-profile.
        #[arg(long)]
        profile: PathBuf,
        /// Closing note.
        #[arg(long)]
        note: Option<String>,
    },
    /// Create or update the ticket of an alert.
    SyncAlert {
        /// JSON mapping-profile.
        #[arg(long)]
        profile: PathBuf,
        /// JSON sync-request.
        #[arg(long)]
        request: PathBuf,
    },
    /// Resolve an alert: close its ticket unless a technician touched it.
    ResolveAlert {
        /// JSON mapping-profile.
        #[arg(long)]
        profile: PathBuf,
        /// The alert key.
        #[arg(long)]
        key: String,
        /// The ticket id stored for the key, if any.
        #[arg(long)]
        link: Option<String>,
    },
    /// Read back the state of tickets.
    TicketStates {
        /// Ticket ids.
        #[arg(required = true)]
        ids: Vec<String>,
    },
}

impl Op {
    /// The WIT operation name and the JSON arguments after `self`.
    fn to_call(&self) -> Result<(&'static str, Vec<Value>), String> {
        Ok(match self {
            Op::Info => ("info", vec![]),
            Op::TestConnection => ("test-connection", vec![]),
            Op::ListOrganizations {
                search,
                page,
                page_size,
                include_inactive,
            } => (
                "list-organizations",
                vec![json!({
                    "search": search, "include_inactive": include_inactive,
                    "page": page, "page_size": page_size,
                })],
            ),
            Op::GetOrganization { id } => ("get-organization", vec![json!(id)]),
            Op::ListPriorities { ticket_type } => ("list-priorities", vec![json!(ticket_type)]),
            Op::ListStatuses => ("list-statuses", vec![]),
            Op::ListTicketTypes => ("list-ticket-types", vec![]),
            Op::ListTeams => ("list-teams", vec![]),
            Op::SuggestMapping { tenants } => ("suggest-mapping", vec![read_json(tenants)?]),
            Op::ValidateMapping { profile } => ("validate-mapping", vec![read_json(profile)?]),
            Op::CreateTicket { profile, request } => (
                "create-ticket",
                vec![read_json(profile)?, read_json(request)?],
            ),
            Op::GetTicket { id } => ("get-ticket", vec![json!(id)]),
            Op::ListTickets {
                org,
                all,
                include_closed,
                page,
                page_size,
            } => (
                "list-tickets",
                vec![json!({
                    "organization_id": org,
                    "scope": if *all { "all" } else { "own" },
                    "open_only": !include_closed,
                    "page": page, "page_size": page_size,
                })],
            ),
            Op::UpdateTicket { id, update } => {
                ("update-ticket", vec![json!(id), read_json(update)?])
            }
            Op::AddNote { id, text, public } => (
                "add-note",
                vec![json!(id), json!({"text": text, "private": !public})],
            ),
            Op::CloseTicket { id, profile, note } => (
                "close-ticket",
                vec![read_json(profile)?, json!(id), json!(note)],
            ),
            Op::SyncAlert { profile, request } => {
                ("sync-alert", vec![read_json(profile)?, read_json(request)?])
            }
            Op::ResolveAlert { profile, key, link } => (
                "resolve-alert",
                vec![read_json(profile)?, json!({"key": key, "link": link})],
            ),
            Op::TicketStates { ids } => ("ticket-states", vec![json!(ids)]),
        })
    }
}

/// How a call ended.
enum Outcome {
    Ok(Value),
    ConnectorError(Value),
}

/// Runs `call` and prints the outcome.
pub(crate) async fn run(args: CallArgs, verbose: bool) -> ExitCode {
    let json_mode = args.json;
    match execute(args, verbose).await {
        Ok(Outcome::Ok(value)) => {
            print_value(&value, json_mode);
            ExitCode::SUCCESS
        }
        Ok(Outcome::ConnectorError(error)) => {
            if json_mode {
                eprintln!("{error}");
            } else {
                eprintln!("connector error:\n{}", pretty(&error));
            }
            ExitCode::from(EXIT_CONNECTOR_ERROR)
        }
        Err(message) => {
            if json_mode {
                eprintln!("{}", json!({ "host-error": message }));
            } else {
                eprintln!("error: {message}");
            }
            ExitCode::from(EXIT_HOST_ERROR)
        }
    }
}

async fn execute(args: CallArgs, verbose: bool) -> Result<Outcome, String> {
    let (op, call_args) = args.op.to_call()?;
    let path = component_path(args.component).map_err(|e| e.to_string())?;
    let mut extra_ca_pem = Vec::new();
    for file in &args.ca_files {
        let pem = std::fs::read_to_string(file)
            .map_err(|e| format!("cannot read --ca-file {}: {e}", file.display()))?;
        extra_ca_pem.push(pem);
    }
    let config = psa_host::HostConfig {
        compile_cache: args.cache.dir(),
        extra_ca_pem,
        ..crate::host_config(args.redis)
    };
    let (host, connector) = load(config, path).await.map_err(|e| match &e {
        HostError::InvalidCaCertificate { index, message } => match args.ca_files.get(*index) {
            Some(file) => format!("--ca-file {}: {message}", file.display()),
            None => e.to_string(),
        },
        _ => e.to_string(),
    })?;
    if op == "info" {
        return connector
            .info_json()
            .await
            .map(Outcome::Ok)
            .map_err(|e| e.to_string());
    }
    let settings_path = args
        .settings
        .ok_or("--settings is required for this operation")?;
    let settings = read_settings(&settings_path)?;
    let mut session = match connector.open(settings).await.map_err(|e| e.to_string())? {
        Ok(session) => session,
        Err(error) => return Ok(Outcome::ConnectorError(connector_error_json(&error))),
    };
    let result = session.call_json(op, call_args).await;
    if verbose {
        report_stats(&session).await;
        if session.rate_budgets().await.unwrap_or_default().is_empty() {
            for (instance, state) in host.rate_budgets().await.unwrap_or_default() {
                eprintln!("rate budget {instance}: {state:?}");
            }
        }
    }
    match result.map_err(|e: HostError| e.to_string())? {
        Ok(value) => Ok(Outcome::Ok(value)),
        Err(error) => Ok(Outcome::ConnectorError(error)),
    }
}

async fn report_stats(session: &ConnectorSession) {
    let s = session.requests();
    eprintln!(
        "requests: total {} (2xx {}, 3xx {}, 4xx {}, 5xx {}, failed {}, denied {})",
        s.total, s.success, s.redirection, s.client_error, s.server_error, s.failed, s.denied
    );
    eprintln!(
        "connections: opened {}, reused {}, failed {}",
        s.connections_opened, s.connections_reused, s.connections_failed
    );
    for (instance, b) in session.rate_budgets().await.unwrap_or_default() {
        eprintln!(
            "rate budget {instance}: {} used, {} remaining, {} queued ({} per {:?})",
            b.used, b.remaining, b.queued, b.max_requests, b.window
        );
    }
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}

fn print_value(value: &Value, json_mode: bool) {
    if json_mode {
        println!("{value}");
    } else {
        println!("{}", pretty(value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_tickets_flags_map_to_a_ticket_query() {
        let op = Op::ListTickets {
            org: Some("12".into()),
            all: true,
            include_closed: false,
            page: None,
            page_size: None,
        };
        let (name, args) = op.to_call().unwrap();
        assert_eq!(name, "list-tickets");
        assert_eq!(
            args,
            [
                json!({"organization_id": "12", "scope": "all", "open_only": true, "page": null, "page_size": null})
            ]
        );
    }
}
