//! [`ConnectorSession`]: one open `session` of a connector, with a typed method per operation.
//!
//! Every method returns `Result<Result<T, ConnectorError>, HostError>`: the outer error is the
//! host's (trap, timeout, poisoned session), the inner one is the connector's typed answer.
//! After a trap or a timeout the session is poisoned and every later call returns
//! [`HostError::Poisoned`]; open a new session.
//!
//! The calls that decide about one alert, [`ConnectorSession::sync_alert`] and
//! [`ConnectorSession::resolve_alert`], hold the alert's lock for the call: for one connector,
//! PSA instance and alert key, across every session of the host and, with a shared backend,
//! every host (see [`crate::coordination`]). Two of them for one alert run one after the
//! other, so the second finds the first's ticket; calls for other alerts do not wait.

use std::sync::Arc;

use wasmtime::component::ResourceAny;

use crate::connector::LoadedConnector;
use crate::coordination::{AlertLock, CallCoordination, CoordinationError};
use crate::error::HostError;
use crate::instance::GuestInstance;
use crate::outbound::{RequestStats, StatsCounters};
use crate::policy::EgressPolicy;
use crate::rate::RateBudgetState;
use crate::types::*;

/// What every typed operation returns: host error outside, connector error inside.
pub type OpResult<T> = Result<Result<T, ConnectorError>, HostError>;

/// An open connector session: its own store, instance and guest `session` resource.
///
/// `Send`, so platforms can drive many sessions concurrently on a multi-thread runtime; one
/// session runs one call at a time (`&mut self`). Keep one per PSA connection and reuse it:
/// the connector caches its token and lookups in it.
pub struct ConnectorSession {
    pub(crate) guest: GuestInstance,
    pub(crate) handle: ResourceAny,
    pub(crate) loaded: LoadedConnector,
    policy: Arc<EgressPolicy>,
    stats: Arc<StatsCounters>,
    pub(crate) coordination: Arc<CallCoordination>,
    connector: String,
    /// The PSA instance, as the lock scope of its alerts: the allowed origins.
    instance: String,
}

/// What a session is made of besides its instance and handle.
pub(crate) struct SessionParts {
    pub(crate) policy: Arc<EgressPolicy>,
    pub(crate) stats: Arc<StatsCounters>,
    pub(crate) coordination: Arc<CallCoordination>,
    pub(crate) loaded: LoadedConnector,
    pub(crate) connector: String,
}

/// Calls `[method]session.<op>` through the typed bindings, by the one call path
/// ([`GuestInstance::run`]); with `locked: key`, under that alert's lock.
macro_rules! call_op {
    ($self:ident, $op:literal, $method:ident($($arg:expr),*)) => {{
        $self.coordination.begin(None);
        let result = call_op!(@run $self, $op, $method($($arg),*));
        $self.settle(result)
    }};
    ($self:ident, $op:literal, $method:ident($($arg:expr),*), locked: $key:expr) => {{
        let alert_lock = $self.lock_alert($key).await?;
        $self.coordination.begin(Some(&alert_lock));
        let result = call_op!(@run $self, $op, $method($($arg),*));
        alert_lock.release().await;
        $self.settle(result)
    }};
    (@run $self:ident, $op:literal, $method:ident($($arg:expr),*)) => {{
        let handle = $self.handle;
        if $self.guest.bindings.is_some() {
            $self
                .guest
                .run_typed($op, |store, bindings| {
                    Box::pin(async move {
                        let session = bindings.psa_connector_connector().session();
                        session.$method(store, handle $(, $arg)*).await
                    })
                })
                .await
        } else {
            // A component of an older contract version: through the adapter.
            let args = vec![$(crate::adapter::to_json(&$arg)?),*];
            crate::adapter::call_method(&mut $self.guest, &$self.loaded.component, $op, handle, args)
                .await
        }
    }};
}

impl ConnectorSession {
    pub(crate) fn new(guest: GuestInstance, handle: ResourceAny, parts: SessionParts) -> Self {
        let instance = parts
            .policy
            .origins()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(",");
        Self {
            guest,
            handle,
            loaded: parts.loaded,
            policy: parts.policy,
            stats: parts.stats,
            coordination: parts.coordination,
            connector: parts.connector,
            instance,
        }
    }

    /// Takes the lock of `alert_key` on this connector and PSA instance, waiting at most the
    /// call's time budget.
    /// (The future borrows nothing of the session, which is `Send` but not `Sync`.)
    pub(crate) fn lock_alert(
        &self,
        alert_key: &str,
    ) -> impl std::future::Future<Output = Result<AlertLock, HostError>> + Send + 'static {
        let key = format!("{}|{}|{alert_key}", self.connector, self.instance);
        let waited = self.loaded.shared.config.call_timeout;
        let coordination = self.loaded.shared.coordination.clone();
        async move {
            match tokio::time::timeout(waited, coordination.lock_alert(&key)).await {
                Ok(alert_lock) => Ok(alert_lock?),
                Err(_) => Err(CoordinationError::LockTimeout { key, waited }.into()),
            }
        }
    }

    /// The result of a call, after its coordination: a connector error caused by a
    /// coordination failure (a request the host did not send) is that failure, as a host error.
    pub(crate) fn settle<T, E>(
        &self,
        result: Result<Result<T, E>, HostError>,
    ) -> Result<Result<T, E>, HostError> {
        let failure = self.coordination.end();
        match (result, failure) {
            (Ok(Err(_)), Some(failure)) => Err(failure.into()),
            (result, _) => result,
        }
    }

    /// The connector's name (`connector-info.name`).
    pub fn connector_name(&self) -> &str {
        &self.connector
    }

    /// The session's egress allow-list.
    pub fn egress(&self) -> &EgressPolicy {
        &self.policy
    }

    /// Counts of the HTTP requests this session's connector made so far.
    pub fn requests(&self) -> RequestStats {
        self.stats.snapshot()
    }

    /// The rate budgets of the PSA instances this session may talk to, once used.
    pub async fn rate_budgets(&self) -> Result<Vec<(String, RateBudgetState)>, HostError> {
        let mut states = Vec::new();
        for origin in self.policy.origins() {
            let key = origin.to_string();
            if let Some(state) = self.loaded.shared.coordination.budget_state(&key).await? {
                states.push((key, state));
            }
        }
        Ok(states)
    }

    /// Whether an earlier trap or timeout made the session unusable.
    pub fn is_poisoned(&self) -> bool {
        self.guest.guard.is_poisoned()
    }

    /// Drops the guest's session resource and the store. A poisoned session is just dropped.
    pub async fn close(mut self) -> Result<(), HostError> {
        if self.is_poisoned() {
            return Ok(());
        }
        let handle = self.handle;
        self.guest
            .run("close", |store| Box::pin(handle.resource_drop_async(store)))
            .await
    }

    /// Obtains a token and checks each permission the connector needs.
    pub async fn test_connection(&mut self) -> OpResult<ConnectionReport> {
        call_op!(self, "test-connection", call_test_connection())
    }

    /// Lists customer organizations, one page or all of them.
    pub async fn list_organizations(
        &mut self,
        query: &OrganizationQuery,
    ) -> OpResult<OrganizationPage> {
        call_op!(self, "list-organizations", call_list_organizations(query))
    }

    /// Reads one organization.
    pub async fn get_organization(&mut self, id: &str) -> OpResult<Organization> {
        call_op!(self, "get-organization", call_get_organization(id))
    }

    /// Priorities that can be written on tickets of the given type (none: the default type).
    pub async fn list_priorities(
        &mut self,
        ticket_type_id: Option<&str>,
    ) -> OpResult<Vec<Priority>> {
        call_op!(
            self,
            "list-priorities",
            call_list_priorities(ticket_type_id)
        )
    }

    /// Ticket statuses.
    pub async fn list_statuses(&mut self) -> OpResult<Vec<Status>> {
        call_op!(self, "list-statuses", call_list_statuses())
    }

    /// Ticket types.
    pub async fn list_ticket_types(&mut self) -> OpResult<Vec<TicketType>> {
        call_op!(self, "list-ticket-types", call_list_ticket_types())
    }

    /// Teams.
    pub async fn list_teams(&mut self) -> OpResult<Vec<Team>> {
        call_op!(self, "list-teams", call_list_teams())
    }

    /// Proposes an organization for each host tenant.
    pub async fn suggest_mapping(
        &mut self,
        tenants: &[HostTenant],
    ) -> OpResult<Vec<MappingSuggestion>> {
        call_op!(self, "suggest-mapping", call_suggest_mapping(tenants))
    }

    /// Pre-flight check of a mapping profile.
    pub async fn validate_mapping(
        &mut self,
        profile: &MappingProfile,
    ) -> OpResult<ValidationReport> {
        call_op!(self, "validate-mapping", call_validate_mapping(profile))
    }

    /// Creates a ticket for a host tenant, applying the profile.
    pub async fn create_ticket(
        &mut self,
        profile: &MappingProfile,
        request: &TicketRequest,
    ) -> OpResult<TicketChange> {
        call_op!(self, "create-ticket", call_create_ticket(profile, request))
    }

    /// Reads one ticket.
    pub async fn get_ticket(&mut self, id: &str) -> OpResult<Ticket> {
        call_op!(self, "get-ticket", call_get_ticket(id))
    }

    /// Lists tickets: by organization, own or all, open or all, one page or all.
    pub async fn list_tickets(&mut self, query: &TicketQuery) -> OpResult<TicketPage> {
        call_op!(self, "list-tickets", call_list_tickets(query))
    }

    /// Changes priority, status, summary, team or other fields of a ticket.
    pub async fn update_ticket(
        &mut self,
        id: &str,
        update: &TicketUpdate,
    ) -> OpResult<TicketChange> {
        call_op!(self, "update-ticket", call_update_ticket(id, update))
    }

    /// Adds a note to a ticket.
    pub async fn add_note(&mut self, id: &str, note: &Note) -> OpResult<NoteAdded> {
        call_op!(self, "add-note", call_add_note(id, note))
    }

    /// Closes a ticket, with an optional closing note.
    pub async fn close_ticket(
        &mut self,
        profile: &MappingProfile,
        id: &str,
        note: Option<&str>,
    ) -> OpResult<TicketChange> {
        call_op!(self, "close-ticket", call_close_ticket(profile, id, note))
    }

    /// One alert, one ticket: creates, notes, re-opens or opens a new ticket.
    pub async fn sync_alert(
        &mut self,
        profile: &MappingProfile,
        request: &SyncRequest,
    ) -> OpResult<SyncOutcome> {
        call_op!(self, "sync-alert", call_sync_alert(profile, request), locked: &request.alert.key)
    }

    /// The alert cleared: closes its ticket unless a technician touched it.
    pub async fn resolve_alert(
        &mut self,
        profile: &MappingProfile,
        request: &ResolveRequest,
    ) -> OpResult<ResolveOutcome> {
        call_op!(self, "resolve-alert", call_resolve_alert(profile, request), locked: &request.key)
    }

    /// Reads back the state of many tickets.
    pub async fn ticket_states(&mut self, ids: &[String]) -> OpResult<Vec<TicketState>> {
        call_op!(self, "ticket-states", call_ticket_states(ids))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send<T: Send>(_: &T) {}

    /// Platforms run sessions on multi-thread runtimes: the session and its futures are `Send`.
    #[allow(dead_code, clippy::let_underscore_future)]
    fn session_and_futures_are_send(s: &mut ConnectorSession, p: &MappingProfile, r: &SyncRequest) {
        assert_send(s);
        assert_send(&s.test_connection());
        assert_send(&s.sync_alert(p, r));
        #[cfg(feature = "json")]
        assert_send(&s.call_json("list-statuses", vec![]));
    }
}
