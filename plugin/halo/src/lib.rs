//! The HaloPSA connector: implements the `psa:connector` world (see `wit/`) for HaloPSA, on the
//! guest SDK (`psa-connector-sdk`).
//!
//! The SDK owns the bindings, the export, the transport, the retrying client, the audit journal
//! and the alert lifecycle engine; this crate is what is Halo about it. [`session::HaloSession`]
//! implements the SDK's `Connector` (below: one line per operation) and, through
//! `ops::lifecycle`, the engine's `AlertBackend`. Everything is written against the SDK's
//! `Transport` trait and so also compiles (and is unit-tested) natively.
//!
//! Map of the crate:
//! - `settings`: the settings form and its validation.
//! - `api`, `auth`, `errors`, `model`: talking to Halo: tokens and discovery, the client's Halo
//!   parts, error mapping with Halo's hints, Halo's JSON.
//! - `ops/`: one module per group of operations (connection, organizations, lookups, tickets,
//!   lifecycle, validation).

pub mod api;
pub mod auth;
pub mod errors;
#[cfg(test)]
mod fuzz;
pub mod model;
pub mod ops;
pub mod session;
pub mod settings;
#[cfg(test)]
mod testing;

/// The WIT contract's types (records, enums, `connector-error`).
pub use psa_connector_sdk::types;

use psa_connector_sdk::{Connector, Journal, Transport};
use session::HaloSession;
use types::*;

impl Connector for HaloSession {
    fn info() -> ConnectorInfo {
        session::info()
    }
    fn open(
        settings: &[(String, String)],
        transport: Box<dyn Transport>,
    ) -> Result<Self, ConnectorError> {
        HaloSession::open(settings, transport)
    }
    fn journal(&self) -> &Journal {
        self.api.journal()
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
    fn get_organization(&self, id: &str) -> Result<Organization, ConnectorError> {
        HaloSession::get_organization(self, id)
    }
    fn list_priorities(
        &self,
        ticket_type_id: Option<&str>,
    ) -> Result<Vec<Priority>, ConnectorError> {
        HaloSession::list_priorities(self, ticket_type_id)
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
    fn validate_mapping(
        &self,
        profile: &MappingProfile,
    ) -> Result<ValidationReport, ConnectorError> {
        HaloSession::validate_mapping(self, profile)
    }
    fn create_ticket(
        &self,
        profile: &MappingProfile,
        request: &TicketRequest,
    ) -> Result<TicketChange, ConnectorError> {
        HaloSession::create_ticket(self, profile, request)
    }
    fn get_ticket(&self, id: &str) -> Result<Ticket, ConnectorError> {
        HaloSession::get_ticket(self, id)
    }
    fn list_tickets(&self, query: &TicketQuery) -> Result<TicketPage, ConnectorError> {
        HaloSession::list_tickets(self, query)
    }
    fn update_ticket(
        &self,
        id: &str,
        update: &TicketUpdate,
    ) -> Result<TicketChange, ConnectorError> {
        HaloSession::update_ticket(self, id, update)
    }
    fn add_note(&self, id: &str, note: &Note) -> Result<NoteAdded, ConnectorError> {
        HaloSession::add_note(self, id, note)
    }
    fn close_ticket(
        &self,
        profile: &MappingProfile,
        id: &str,
        note: Option<&str>,
    ) -> Result<TicketChange, ConnectorError> {
        HaloSession::close_ticket(self, profile, id, note)
    }
    fn sync_alert(
        &self,
        profile: &MappingProfile,
        request: &SyncRequest,
    ) -> Result<SyncOutcome, ConnectorError> {
        psa_connector_sdk::lifecycle::sync_alert(&self.alerts(), profile, request)
    }
    fn resolve_alert(
        &self,
        profile: &MappingProfile,
        request: &ResolveRequest,
    ) -> Result<ResolveOutcome, ConnectorError> {
        psa_connector_sdk::lifecycle::resolve_alert(&self.alerts(), profile, request)
    }
    fn ticket_states(&self, ids: &[String]) -> Result<Vec<TicketState>, ConnectorError> {
        psa_connector_sdk::lifecycle::ticket_states(&self.alerts(), ids)
    }
}

#[cfg(feature = "export")]
psa_connector_sdk::export_connector!(HaloSession);

#[cfg(test)]
mod tests {
    use psa_connector_sdk::__export::GuestSession;

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
        let one_poll = session.api.journal().held();
        assert!(one_poll > 0);
        for _ in 0..50 {
            poll();
        }
        assert_eq!(session.api.journal().held(), one_poll, "{:?}", log.requests);
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
            session.api.journal().held(),
            1,
            "one request: GET /api/Client"
        );
    }
}
