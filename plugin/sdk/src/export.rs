//! The export: the generated `GuestSession` implemented once for every [`Connector`], forwarding
//! each operation after starting a fresh audit journal. (`Guest` itself is implemented by
//! [`crate::export_connector!`] in the connector crate, which names the connector type.)

use crate::bindings::exports::psa::connector::connector::{GuestSession, Session};
use crate::types::*;
use crate::wasi_transport::WasiTransport;
use crate::Connector;

/// Runs one operation. Every exported operation goes through here, so each starts a fresh audit
/// journal: the journal holds one operation's requests, however long the session lives and
/// whether the operation reads or writes. (Public so native tests run operations exactly as
/// the export does.)
pub fn operation<C: Connector, T>(connector: &C, op: impl FnOnce(&C) -> T) -> T {
    connector.journal().begin();
    op(connector)
}

impl<C: Connector> GuestSession for C {
    fn open(settings: Settings) -> Result<Session, ConnectorError> {
        <C as Connector>::open(&settings, Box::new(WasiTransport)).map(Session::new)
    }
    fn test_connection(&self) -> Result<ConnectionReport, ConnectorError> {
        operation(self, <C as Connector>::test_connection)
    }
    fn list_organizations(
        &self,
        query: OrganizationQuery,
    ) -> Result<OrganizationPage, ConnectorError> {
        operation(self, |c| Connector::list_organizations(c, query))
    }
    fn get_organization(&self, id: String) -> Result<Organization, ConnectorError> {
        operation(self, |c| Connector::get_organization(c, &id))
    }
    fn list_priorities(
        &self,
        ticket_type_id: Option<String>,
    ) -> Result<Vec<Priority>, ConnectorError> {
        operation(self, |c| {
            Connector::list_priorities(c, ticket_type_id.as_deref())
        })
    }
    fn list_statuses(&self) -> Result<Vec<Status>, ConnectorError> {
        operation(self, <C as Connector>::list_statuses)
    }
    fn list_ticket_types(&self) -> Result<Vec<TicketType>, ConnectorError> {
        operation(self, <C as Connector>::list_ticket_types)
    }
    fn list_teams(&self) -> Result<Vec<Team>, ConnectorError> {
        operation(self, <C as Connector>::list_teams)
    }
    fn suggest_mapping(
        &self,
        tenants: Vec<HostTenant>,
    ) -> Result<Vec<MappingSuggestion>, ConnectorError> {
        operation(self, |c| Connector::suggest_mapping(c, &tenants))
    }
    fn validate_mapping(
        &self,
        profile: MappingProfile,
    ) -> Result<ValidationReport, ConnectorError> {
        operation(self, |c| Connector::validate_mapping(c, &profile))
    }
    fn create_ticket(
        &self,
        profile: MappingProfile,
        request: TicketRequest,
    ) -> Result<TicketChange, ConnectorError> {
        operation(self, |c| Connector::create_ticket(c, &profile, &request))
    }
    fn get_ticket(&self, id: String) -> Result<Ticket, ConnectorError> {
        operation(self, |c| Connector::get_ticket(c, &id))
    }
    fn list_tickets(&self, query: TicketQuery) -> Result<TicketPage, ConnectorError> {
        operation(self, |c| Connector::list_tickets(c, &query))
    }
    fn update_ticket(
        &self,
        id: String,
        update: TicketUpdate,
    ) -> Result<TicketChange, ConnectorError> {
        operation(self, |c| Connector::update_ticket(c, &id, &update))
    }
    fn add_note(&self, id: String, note: Note) -> Result<NoteAdded, ConnectorError> {
        operation(self, |c| Connector::add_note(c, &id, &note))
    }
    fn close_ticket(
        &self,
        profile: MappingProfile,
        id: String,
        note: Option<String>,
    ) -> Result<TicketChange, ConnectorError> {
        operation(self, |c| {
            Connector::close_ticket(c, &profile, &id, note.as_deref())
        })
    }
    fn sync_alert(
        &self,
        profile: MappingProfile,
        request: SyncRequest,
    ) -> Result<SyncOutcome, ConnectorError> {
        operation(self, |c| Connector::sync_alert(c, &profile, &request))
    }
    fn resolve_alert(
        &self,
        profile: MappingProfile,
        request: ResolveRequest,
    ) -> Result<ResolveOutcome, ConnectorError> {
        operation(self, |c| Connector::resolve_alert(c, &profile, &request))
    }
    fn ticket_states(&self, ids: Vec<String>) -> Result<Vec<TicketState>, ConnectorError> {
        operation(self, |c| Connector::ticket_states(c, &ids))
    }
}
