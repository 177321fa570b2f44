//! The ConnectWise PSA connector: implements the `psa:connector` world (see `wit/`) for
//! ConnectWise PSA (Manage), on the guest SDK (`psa-connector-sdk`).
//!
//! The SDK owns the bindings, the export, the transport, the retrying client, the audit journal
//! and the alert lifecycle engine; this crate is what is ConnectWise about it:
//! - `settings`: the form (site, company id, public/private key, client id) and its checks.
//! - `api`: Basic `company+public:private` with the `clientId` header, error bodies with the
//!   security roles to grant, codebase discovery, `conditions` quoting, `Link` paging.
//! - `model`: tickets and notes as read; summaries cut to 100 characters with a marker.
//! - `ops`: connection test, companies, boards/statuses/priorities/teams, validation.
//! - `tickets`: tickets and notes; `alerts`: the lifecycle engine's `AlertBackend`.

pub mod alerts;
pub mod api;
pub mod model;
pub mod ops;
pub mod session;
pub mod settings;
pub mod tickets;

/// The WIT contract's types (records, enums, `connector-error`).
pub use psa_connector_sdk::types;

use psa_connector_sdk::{lifecycle, Connector, Journal, Transport};
use session::CwSession;
use types::*;

impl Connector for CwSession {
    fn info() -> ConnectorInfo {
        session::info()
    }
    fn open(
        settings: &[(String, String)],
        transport: Box<dyn Transport>,
    ) -> Result<Self, ConnectorError> {
        CwSession::open(settings, transport)
    }
    fn journal(&self) -> &Journal {
        self.api.client.journal()
    }
    fn test_connection(&self) -> Result<ConnectionReport, ConnectorError> {
        CwSession::test_connection(self)
    }
    fn list_organizations(
        &self,
        query: OrganizationQuery,
    ) -> Result<OrganizationPage, ConnectorError> {
        CwSession::list_organizations(self, query)
    }
    fn get_organization(&self, id: &str) -> Result<Organization, ConnectorError> {
        CwSession::get_organization(self, id)
    }
    /// Priorities are global in ConnectWise (not per board).
    fn list_priorities(&self, _board: Option<&str>) -> Result<Vec<Priority>, ConnectorError> {
        CwSession::list_priorities(self)
    }
    fn list_statuses(&self) -> Result<Vec<Status>, ConnectorError> {
        CwSession::list_statuses(self)
    }
    fn list_ticket_types(&self) -> Result<Vec<TicketType>, ConnectorError> {
        CwSession::list_ticket_types(self)
    }
    fn list_teams(&self) -> Result<Vec<Team>, ConnectorError> {
        CwSession::list_teams(self)
    }
    fn validate_mapping(
        &self,
        profile: &MappingProfile,
    ) -> Result<ValidationReport, ConnectorError> {
        CwSession::validate_mapping(self, profile)
    }
    fn create_ticket(
        &self,
        profile: &MappingProfile,
        request: &TicketRequest,
    ) -> Result<TicketChange, ConnectorError> {
        CwSession::create_ticket(self, profile, request)
    }
    fn get_ticket(&self, id: &str) -> Result<Ticket, ConnectorError> {
        CwSession::get_ticket(self, id)
    }
    fn list_tickets(&self, query: &TicketQuery) -> Result<TicketPage, ConnectorError> {
        CwSession::list_tickets(self, query)
    }
    fn update_ticket(
        &self,
        id: &str,
        update: &TicketUpdate,
    ) -> Result<TicketChange, ConnectorError> {
        CwSession::update_ticket(self, id, update)
    }
    fn add_note(&self, id: &str, note: &Note) -> Result<NoteAdded, ConnectorError> {
        CwSession::add_note(self, id, note)
    }
    fn close_ticket(
        &self,
        profile: &MappingProfile,
        id: &str,
        note: Option<&str>,
    ) -> Result<TicketChange, ConnectorError> {
        CwSession::close_ticket(self, profile, id, note)
    }
    fn sync_alert(
        &self,
        profile: &MappingProfile,
        request: &SyncRequest,
    ) -> Result<SyncOutcome, ConnectorError> {
        lifecycle::sync_alert(&self.alerts(), profile, request)
    }
    fn resolve_alert(
        &self,
        profile: &MappingProfile,
        request: &ResolveRequest,
    ) -> Result<ResolveOutcome, ConnectorError> {
        lifecycle::resolve_alert(&self.alerts(), profile, request)
    }
    fn ticket_states(&self, ids: &[String]) -> Result<Vec<TicketState>, ConnectorError> {
        lifecycle::ticket_states(&self.alerts(), ids)
    }
}

psa_connector_sdk::export_connector!(CwSession);

#[cfg(test)]
mod tests;
