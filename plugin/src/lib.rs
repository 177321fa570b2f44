//! The HaloPSA connector: implements the `psa:connector` world (see `wit/`) for HaloPSA.
//!
//! This file only owns the generated bindings and the export: each exported function converts
//! nothing and hands straight off to [`session::HaloSession`], whose logic is written against
//! the [`http::Transport`] trait and so also compiles (and is unit-tested) natively.
//!
//! Map of the crate:
//! - `settings`: the settings form and its validation.
//! - `http`, `transport_wasi`: the HTTP seam and its wasi:http implementation.
//! - `halo/`: talking to Halo: tokens, requests with retries, error mapping, Halo's JSON.
//! - `ops/`: one module per group of operations (connection, organizations, lookups, mapping,
//!   tickets, lifecycle, validation).

mod bindings {
    wit_bindgen::generate!({
        path: "../wit",
        world: "psa-connector",
        with: {
            "wasi:http/types@0.2.12": wasi::http::types,
            "wasi:http/outgoing-handler@0.2.12": wasi::http::outgoing_handler,
            "wasi:io/poll@0.2.12": wasi::io::poll,
            "wasi:io/error@0.2.12": wasi::io::error,
            "wasi:io/streams@0.2.12": wasi::io::streams,
            "wasi:clocks/monotonic-clock@0.2.12": wasi::clocks::monotonic_clock,
            // The rest of the world's imports (what Rust's std runtime uses), from the same
            // bindings crate; the connector does not call them itself.
            "wasi:clocks/wall-clock@0.2.12": wasi::clocks::wall_clock,
            "wasi:random/insecure-seed@0.2.12": wasi::random::insecure_seed,
            "wasi:cli/environment@0.2.12": wasi::cli::environment,
            "wasi:cli/exit@0.2.12": wasi::cli::exit,
            "wasi:cli/stdin@0.2.12": wasi::cli::stdin,
            "wasi:cli/stdout@0.2.12": wasi::cli::stdout,
            "wasi:cli/stderr@0.2.12": wasi::cli::stderr,
            "wasi:cli/terminal-input@0.2.12": wasi::cli::terminal_input,
            "wasi:cli/terminal-output@0.2.12": wasi::cli::terminal_output,
            "wasi:cli/terminal-stdin@0.2.12": wasi::cli::terminal_stdin,
            "wasi:cli/terminal-stdout@0.2.12": wasi::cli::terminal_stdout,
            "wasi:cli/terminal-stderr@0.2.12": wasi::cli::terminal_stderr,
        },
    });
}

pub mod audit;
#[cfg(test)]
mod fuzz;
pub mod halo;
pub mod http;
pub mod mapping;
pub mod ops;
pub mod session;
pub mod settings;
#[cfg(test)]
mod testing;
pub mod time;
#[cfg(target_arch = "wasm32")]
mod transport_wasi;

/// The WIT contract's types (records, enums, `connector-error`).
pub mod types {
    pub use crate::bindings::psa::connector::types::*;
}

/// Version of the `psa:connector` contract this connector implements.
pub const CONTRACT_VERSION: &str = "0.1.0";

#[cfg(target_arch = "wasm32")]
mod component {
    use crate::bindings::exports::psa::connector::connector::{Guest, GuestSession, Session};
    use crate::session::HaloSession;
    use crate::transport_wasi::WasiTransport;
    use crate::types::*;

    struct Component;

    impl Guest for Component {
        type Session = HaloSession;

        fn info() -> ConnectorInfo {
            crate::session::info()
        }
    }

    impl GuestSession for HaloSession {
        fn open(settings: Settings) -> Result<Session, ConnectorError> {
            HaloSession::open(&settings, Box::new(WasiTransport)).map(Session::new)
        }
        fn test_connection(&self) -> Result<ConnectionReport, ConnectorError> {
            HaloSession::test_connection(self)
        }
        fn list_organizations(
            &self,
            query: OrganizationQuery,
        ) -> Result<OrganizationPage, ConnectorError> {
            HaloSession::list_organizations(self, query)
        }
        fn get_organization(&self, id: String) -> Result<Organization, ConnectorError> {
            HaloSession::get_organization(self, &id)
        }
        fn list_priorities(
            &self,
            ticket_type_id: Option<String>,
        ) -> Result<Vec<Priority>, ConnectorError> {
            HaloSession::list_priorities(self, ticket_type_id.as_deref())
        }
        fn list_statuses(&self) -> Result<Vec<Status>, ConnectorError> {
            HaloSession::list_statuses(self)
        }
        fn list_ticket_types(&self) -> Result<Vec<TicketType>, ConnectorError> {
            HaloSession::list_ticket_types(self)
        }
        fn list_teams(&self) -> Result<Vec<Team>, ConnectorError> {
            HaloSession::list_teams(self)
        }
        fn suggest_mapping(
            &self,
            tenants: Vec<HostTenant>,
        ) -> Result<Vec<MappingSuggestion>, ConnectorError> {
            HaloSession::suggest_mapping(self, &tenants)
        }
        fn validate_mapping(
            &self,
            profile: MappingProfile,
        ) -> Result<ValidationReport, ConnectorError> {
            HaloSession::validate_mapping(self, &profile)
        }
        fn create_ticket(
            &self,
            profile: MappingProfile,
            request: TicketRequest,
        ) -> Result<TicketChange, ConnectorError> {
            HaloSession::create_ticket(self, &profile, &request)
        }
        fn get_ticket(&self, id: String) -> Result<Ticket, ConnectorError> {
            HaloSession::get_ticket(self, &id)
        }
        fn list_tickets(&self, query: TicketQuery) -> Result<TicketPage, ConnectorError> {
            HaloSession::list_tickets(self, &query)
        }
        fn update_ticket(
            &self,
            id: String,
            update: TicketUpdate,
        ) -> Result<TicketChange, ConnectorError> {
            HaloSession::update_ticket(self, &id, &update)
        }
        fn add_note(&self, id: String, note: Note) -> Result<NoteAdded, ConnectorError> {
            HaloSession::add_note(self, &id, &note)
        }
        fn close_ticket(
            &self,
            profile: MappingProfile,
            id: String,
            note: Option<String>,
        ) -> Result<TicketChange, ConnectorError> {
            HaloSession::close_ticket(self, &profile, &id, note.as_deref())
        }
        fn sync_alert(
            &self,
            profile: MappingProfile,
            request: SyncRequest,
        ) -> Result<SyncOutcome, ConnectorError> {
            HaloSession::sync_alert(self, &profile, &request)
        }
        fn resolve_alert(
            &self,
            profile: MappingProfile,
            request: ResolveRequest,
        ) -> Result<ResolveOutcome, ConnectorError> {
            HaloSession::resolve_alert(self, &profile, &request)
        }
        fn ticket_states(&self, ids: Vec<String>) -> Result<Vec<TicketState>, ConnectorError> {
            HaloSession::ticket_states(self, &ids)
        }
    }

    crate::bindings::export!(Component with_types_in crate::bindings);
}
