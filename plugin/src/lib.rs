//! The HaloPSA connector: implements the `psa:connector` world (see `wit/`) for HaloPSA.
//!
//! This file only owns the generated bindings and the export: each exported function converts
//! nothing and hands straight off to [`session::HaloSession`] through
//! [`session::HaloSession::operation`] (which starts the operation's audit journal). The logic is
//! written against the [`http::Transport`] trait and so also compiles (and is unit-tested)
//! natively.
//!
//! Map of the crate:
//! - `settings`: the settings form and its validation.
//! - `http`, `transport_wasi`: the HTTP seam and its wasi:http implementation.
//! - `halo/`: talking to Halo: tokens, requests with retries, error mapping, Halo's JSON.
//! - `ops/`: one module per group of operations (connection, organizations, lookups, mapping,
//!   tickets, lifecycle, validation).

include!("../guest-bindings.rs");

mod bindings {
    psa_connector_bindings!("../wit");
}

pub mod audit;
pub mod entropy;
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
// Also compiled natively (wasi's imports are then stubs), so the export below is too.
mod transport_wasi;

/// The WIT contract's types (records, enums, `connector-error`).
pub mod types {
    pub use crate::bindings::psa::connector::types::*;
}

/// Version of the `psa:connector` contract this connector implements.
pub const CONTRACT_VERSION: &str = "0.1.0";

/// The export: the component's entry points. Compiled natively too (only the `export!` is
/// wasm-only), so native tests call the operations exactly as the host's calls arrive.
mod component {
    use crate::bindings::exports::psa::connector::connector::{Guest, GuestSession, Session};
    use crate::session::HaloSession;
    use crate::transport_wasi::WasiTransport;
    use crate::types::*;

    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
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
            self.operation(HaloSession::test_connection)
        }
        fn list_organizations(
            &self,
            query: OrganizationQuery,
        ) -> Result<OrganizationPage, ConnectorError> {
            self.operation(|s| HaloSession::list_organizations(s, query))
        }
        fn get_organization(&self, id: String) -> Result<Organization, ConnectorError> {
            self.operation(|s| HaloSession::get_organization(s, &id))
        }
        fn list_priorities(
            &self,
            ticket_type_id: Option<String>,
        ) -> Result<Vec<Priority>, ConnectorError> {
            self.operation(|s| HaloSession::list_priorities(s, ticket_type_id.as_deref()))
        }
        fn list_statuses(&self) -> Result<Vec<Status>, ConnectorError> {
            self.operation(HaloSession::list_statuses)
        }
        fn list_ticket_types(&self) -> Result<Vec<TicketType>, ConnectorError> {
            self.operation(HaloSession::list_ticket_types)
        }
        fn list_teams(&self) -> Result<Vec<Team>, ConnectorError> {
            self.operation(HaloSession::list_teams)
        }
        fn suggest_mapping(
            &self,
            tenants: Vec<HostTenant>,
        ) -> Result<Vec<MappingSuggestion>, ConnectorError> {
            self.operation(|s| HaloSession::suggest_mapping(s, &tenants))
        }
        fn validate_mapping(
            &self,
            profile: MappingProfile,
        ) -> Result<ValidationReport, ConnectorError> {
            self.operation(|s| HaloSession::validate_mapping(s, &profile))
        }
        fn create_ticket(
            &self,
            profile: MappingProfile,
            request: TicketRequest,
        ) -> Result<TicketChange, ConnectorError> {
            self.operation(|s| HaloSession::create_ticket(s, &profile, &request))
        }
        fn get_ticket(&self, id: String) -> Result<Ticket, ConnectorError> {
            self.operation(|s| HaloSession::get_ticket(s, &id))
        }
        fn list_tickets(&self, query: TicketQuery) -> Result<TicketPage, ConnectorError> {
            self.operation(|s| HaloSession::list_tickets(s, &query))
        }
        fn update_ticket(
            &self,
            id: String,
            update: TicketUpdate,
        ) -> Result<TicketChange, ConnectorError> {
            self.operation(|s| HaloSession::update_ticket(s, &id, &update))
        }
        fn add_note(&self, id: String, note: Note) -> Result<NoteAdded, ConnectorError> {
            self.operation(|s| HaloSession::add_note(s, &id, &note))
        }
        fn close_ticket(
            &self,
            profile: MappingProfile,
            id: String,
            note: Option<String>,
        ) -> Result<TicketChange, ConnectorError> {
            self.operation(|s| HaloSession::close_ticket(s, &profile, &id, note.as_deref()))
        }
        fn sync_alert(
            &self,
            profile: MappingProfile,
            request: SyncRequest,
        ) -> Result<SyncOutcome, ConnectorError> {
            self.operation(|s| HaloSession::sync_alert(s, &profile, &request))
        }
        fn resolve_alert(
            &self,
            profile: MappingProfile,
            request: ResolveRequest,
        ) -> Result<ResolveOutcome, ConnectorError> {
            self.operation(|s| HaloSession::resolve_alert(s, &profile, &request))
        }
        fn ticket_states(&self, ids: Vec<String>) -> Result<Vec<TicketState>, ConnectorError> {
            self.operation(|s| HaloSession::ticket_states(s, &ids))
        }
    }

    #[cfg(target_arch = "wasm32")]
    crate::bindings::export!(Component with_types_in crate::bindings);
}

#[cfg(test)]
mod tests {
    use crate::bindings::exports::psa::connector::connector::GuestSession;
    use crate::session::HaloSession;
    use crate::testing::{json, settings, Scripted, TOKEN};
    use crate::types::OrganizationQuery;

    /// A platform polling `ticket-states` (and other reads) on one session: the audit journal
    /// holds one operation's requests, not the session's whole history.
    #[test]
    fn a_read_only_sessions_journal_does_not_grow() {
        let (transport, log) = Scripted::new(|req, _| match req.url.path() {
            "/api/authinfo" => json(404, "{}"),
            "/auth/token" => json(200, TOKEN),
            "/api/Agent/me" => json(200, r#"{"id":1,"name":"API"}"#),
            "/api/Status" => json(200, r#"[{"id":1,"name":"New"}]"#),
            "/api/Tickets" => json(
                200,
                r#"{"record_count":1,"tickets":[{"id":5,"summary":"s","status_id":1}]}"#,
            ),
            "/api/Actions" => json(200, r#"{"ticket_id":5,"record_count":0,"actions":[]}"#),
            "/api/Client" => json(
                200,
                r#"{"record_count":1,"clients":[{"id":3,"name":"Contoso"}]}"#,
            ),
            _ => json(404, "{}"),
        });
        let session = HaloSession::open(&settings(), transport).unwrap();
        let poll = || {
            let states = GuestSession::ticket_states(&session, vec!["5".into()]).unwrap();
            assert!(states[0].found);
        };
        poll(); // the first call also discovers, gets a token and reads the lookups
        poll();
        let one_poll = session.api.journal.held();
        assert!(one_poll > 0);
        for _ in 0..50 {
            poll();
        }
        assert_eq!(session.api.journal.held(), one_poll, "{:?}", log.requests);
        let query = OrganizationQuery {
            search: None,
            include_inactive: false,
            page: None,
            page_size: None,
        };
        for _ in 0..20 {
            GuestSession::list_organizations(&session, query.clone()).unwrap();
        }
        assert_eq!(
            session.api.journal.held(),
            1,
            "one request: GET /api/Client"
        );
    }
}
