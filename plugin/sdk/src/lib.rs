//! The guest SDK of `psa:connector` components: what every PSA connector needs and no connector
//! should write twice.
//!
//! A connector crate (`crate-type = ["cdylib", "rlib"]`, built for `wasm32-wasip2`) implements
//! [`Connector`] on its session type and exports it with [`export_connector!`]. The SDK owns the
//! WIT bindings (generated once, here), starts a fresh [`audit::Journal`] for every operation and
//! answers `unsupported` for every operation the connector does not implement.
//!
//! Map of the crate:
//! - [`types`]: the contract's records, enums and `connector-error`, re-exported by name.
//! - [`http`], [`wasi_transport`]: the [`Transport`] seam and its `wasi:http` implementation;
//!   `testing` (hidden from the docs): a scripted fake for connectors' native unit tests.
//! - [`client`]: requests with retries (401 once, 429 with `Retry-After` or backoff within a
//!   deadline, reads retried, writes never re-sent blindly), generic over the PSA's
//!   authentication ([`client::Auth`]) and error mapping ([`client::ErrorMap`]).
//! - [`errors`]: error messages from any error body, transport errors, one-line renderings.
//! - [`audit`]: the audit journal of one operation.
//! - [`lifecycle`]: the alert lifecycle engine (`sync-alert`, `resolve-alert`, `ticket-states`)
//!   over a small [`lifecycle::AlertBackend`] each PSA implements.
//! - [`settings`]: settings-form helpers; [`mapping`]: tenant → organization suggestions;
//!   [`cache`]: lookups reused for a while; [`json`]: lenient JSON field reading;
//!   [`time`]: UTC timestamps; [`entropy`]: jitter and nonces without `wasi:random`.
#![deny(missing_docs)]

/// The generated bindings of the `psa-connector` world, the one bindings set-up of every Rust
/// guest of this repository: every WASI interface is taken from the `wasi` crate, so a guest has
/// one WASI bindings crate and its HTTP types are the world's; the export macro is public so that
/// connector crates export through [`export_connector!`]. Not part of the API: use [`types`].
#[doc(hidden)]
#[allow(missing_docs)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "psa-connector",
        pub_export_macro: true,
        default_bindings_module: "psa_connector_sdk::bindings",
        with: {
            "wasi:http/types@0.2.12": wasi::http::types,
            "wasi:http/outgoing-handler@0.2.12": wasi::http::outgoing_handler,
            "wasi:io/poll@0.2.12": wasi::io::poll,
            "wasi:io/error@0.2.12": wasi::io::error,
            "wasi:io/streams@0.2.12": wasi::io::streams,
            "wasi:clocks/monotonic-clock@0.2.12": wasi::clocks::monotonic_clock,
            "wasi:clocks/wall-clock@0.2.12": wasi::clocks::wall_clock,
            // What Rust's std runtime imports; connectors do not call these themselves.
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
pub mod cache;
pub mod client;
pub mod entropy;
pub mod errors;
pub mod http;
pub mod json;
pub mod lifecycle;
pub mod mapping;
pub mod placement;
pub mod settings;
#[doc(hidden)]
pub mod testing;
pub mod text;
pub mod time;
pub mod wasi_transport;

pub use audit::Journal;
pub use http::Transport;

/// The WIT contract's types (records, enums, `connector-error`), listed by name so that what a
/// connector sees is chosen here and not by the generator.
pub mod types {
    pub use crate::bindings::psa::connector::types::{
        AgentIdentity, Alert, AuditRecord, Capability, ConnectionReport, ConnectorError,
        ConnectorInfo, Contact, Fact, FieldKind, FindingSeverity, HostTenant, HttpExchange,
        InvalidResponse, MappingProfile, MappingSuggestion, MatchBasis, Note, NoteAdded, ObjectRef,
        Organization, OrganizationPage, OrganizationQuery, OrganizationRef, PermissionCheck,
        PlacementRule, Priority, PriorityMapping, RemoteError, ResolveDecision, ResolveOutcome,
        ResolveRequest, SettingField, SettingProblem, Settings, Severity, Site, Status,
        SyncDecision, SyncOutcome, SyncRequest, SyncStrategy, Team, TenantMapping, Ticket,
        TicketChange, TicketPage, TicketQuery, TicketRequest, TicketScope, TicketState, TicketType,
        TicketUpdate, ValidationFinding, ValidationReport,
    };
}

use types::*;

/// Version of the `psa:connector` contract these bindings implement.
pub const CONTRACT_VERSION: &str = "0.2.0";

/// Every capability of the contract, in the WIT's order: what `info` lists for a connector that
/// implements the whole contract.
pub const ALL_CAPABILITIES: [Capability; 14] = [
    Capability::TestConnection,
    Capability::ListOrganizations,
    Capability::Lookups,
    Capability::SuggestMapping,
    Capability::ValidateMapping,
    Capability::CreateTicket,
    Capability::GetTicket,
    Capability::ListTickets,
    Capability::UpdateTicket,
    Capability::AddNote,
    Capability::CloseTicket,
    Capability::SyncAlert,
    Capability::ResolveAlert,
    Capability::TicketStates,
];

/// The `unsupported` error for an operation a connector does not implement.
pub fn unsupported<T>(operation: &str) -> Result<T, ConnectorError> {
    Err(ConnectorError::Unsupported(format!(
        "this connector does not implement {operation}"
    )))
}

/// A PSA connector: `info`, `open`, and one method per operation of the contract's `session`.
///
/// Every operation has a default that answers `connector-error::unsupported`, so a connector
/// implements what its PSA can do (and lists it in `info`'s capabilities). `suggest-mapping`
/// defaults to reading every organization and applying [`mapping::suggest`].
///
/// Each call from the host goes through [`export_connector!`]'s export, which first clears
/// [`Connector::journal`]: an operation's audit record holds that operation's requests only.
///
/// ```
/// use psa_connector_sdk::types::{ConnectorError, ConnectorInfo, Status};
/// use psa_connector_sdk::{Connector, Journal, Transport};
///
/// struct Minimal {
///     journal: Journal,
/// }
///
/// impl Connector for Minimal {
///     fn info() -> ConnectorInfo {
///         ConnectorInfo {
///             name: "minimal".into(),
///             psa_name: "Minimal PSA".into(),
///             version: "0.1.0".into(),
///             contract_version: psa_connector_sdk::CONTRACT_VERSION.into(),
///             capabilities: vec![],
///             settings_form: vec![],
///         }
///     }
///     fn open(_: &[(String, String)], _: Box<dyn Transport>) -> Result<Self, ConnectorError> {
///         Ok(Minimal { journal: Journal::default() })
///     }
///     fn journal(&self) -> &Journal {
///         &self.journal
///     }
///     fn list_statuses(&self) -> Result<Vec<Status>, ConnectorError> {
///         Ok(vec![Status { id: "1".into(), name: "New".into(), closed: false }])
///     }
/// }
///
/// psa_connector_sdk::export_connector!(Minimal);
/// ```
pub trait Connector: Sized + 'static {
    /// Name, PSA, version, capabilities and settings form (`info`).
    fn info() -> ConnectorInfo;

    /// `session.open`: validates the settings (making no request) and keeps the transport for
    /// every request of the session. The export passes the `wasi:http` transport; native tests
    /// a scripted one.
    fn open(
        settings: &[(String, String)],
        transport: Box<dyn Transport>,
    ) -> Result<Self, ConnectorError>;

    /// The journal the session's requests are recorded in (see [`client::Client`]).
    fn journal(&self) -> &Journal;

    /// `test-connection`.
    fn test_connection(&self) -> Result<ConnectionReport, ConnectorError> {
        unsupported("test-connection")
    }
    /// `list-organizations`.
    fn list_organizations(
        &self,
        _query: OrganizationQuery,
    ) -> Result<OrganizationPage, ConnectorError> {
        unsupported("list-organizations")
    }
    /// `get-organization`.
    fn get_organization(&self, _id: &str) -> Result<Organization, ConnectorError> {
        unsupported("get-organization")
    }
    /// `list-priorities`, optionally for one ticket type.
    fn list_priorities(
        &self,
        _ticket_type_id: Option<&str>,
    ) -> Result<Vec<Priority>, ConnectorError> {
        unsupported("list-priorities")
    }
    /// `list-statuses`.
    fn list_statuses(&self) -> Result<Vec<Status>, ConnectorError> {
        unsupported("list-statuses")
    }
    /// `list-ticket-types`.
    fn list_ticket_types(&self) -> Result<Vec<TicketType>, ConnectorError> {
        unsupported("list-ticket-types")
    }
    /// `list-teams`.
    fn list_teams(&self) -> Result<Vec<Team>, ConnectorError> {
        unsupported("list-teams")
    }
    /// `suggest-mapping`: by default every organization (one `list-organizations` of all pages)
    /// matched with [`mapping::suggest`].
    fn suggest_mapping(
        &self,
        tenants: &[HostTenant],
    ) -> Result<Vec<MappingSuggestion>, ConnectorError> {
        let all = self.list_organizations(OrganizationQuery {
            search: None,
            include_inactive: false,
            page: None,
            page_size: None,
        })?;
        Ok(tenants
            .iter()
            .map(|t| mapping::suggest(t, &all.items))
            .collect())
    }
    /// `validate-mapping`.
    fn validate_mapping(
        &self,
        _profile: &MappingProfile,
    ) -> Result<ValidationReport, ConnectorError> {
        unsupported("validate-mapping")
    }
    /// `create-ticket`.
    fn create_ticket(
        &self,
        _profile: &MappingProfile,
        _request: &TicketRequest,
    ) -> Result<TicketChange, ConnectorError> {
        unsupported("create-ticket")
    }
    /// `get-ticket`.
    fn get_ticket(&self, _id: &str) -> Result<Ticket, ConnectorError> {
        unsupported("get-ticket")
    }
    /// `list-tickets`.
    fn list_tickets(&self, _query: &TicketQuery) -> Result<TicketPage, ConnectorError> {
        unsupported("list-tickets")
    }
    /// `update-ticket`.
    fn update_ticket(
        &self,
        _id: &str,
        _update: &TicketUpdate,
    ) -> Result<TicketChange, ConnectorError> {
        unsupported("update-ticket")
    }
    /// `add-note`.
    fn add_note(&self, _id: &str, _note: &Note) -> Result<NoteAdded, ConnectorError> {
        unsupported("add-note")
    }
    /// `close-ticket`.
    fn close_ticket(
        &self,
        _profile: &MappingProfile,
        _id: &str,
        _note: Option<&str>,
    ) -> Result<TicketChange, ConnectorError> {
        unsupported("close-ticket")
    }
    /// `sync-alert` (see [`lifecycle::sync_alert`]).
    fn sync_alert(
        &self,
        _profile: &MappingProfile,
        _request: &SyncRequest,
    ) -> Result<SyncOutcome, ConnectorError> {
        unsupported("sync-alert")
    }
    /// `resolve-alert` (see [`lifecycle::resolve_alert`]).
    fn resolve_alert(
        &self,
        _profile: &MappingProfile,
        _request: &ResolveRequest,
    ) -> Result<ResolveOutcome, ConnectorError> {
        unsupported("resolve-alert")
    }
    /// `ticket-states` (see [`lifecycle::ticket_states`]).
    fn ticket_states(&self, _ids: &[String]) -> Result<Vec<TicketState>, ConnectorError> {
        unsupported("ticket-states")
    }
}

/// What [`export_connector!`] expands to. Not part of the API.
#[doc(hidden)]
pub mod __export {
    pub use crate::bindings::export;
    pub use crate::bindings::exports::psa::connector::connector::{Guest, GuestSession};
}

mod export;
pub use export::operation;

/// Exports a [`Connector`] as the component's `psa:connector/connector` interface.
///
/// Use it once, in the connector crate's root: `psa_connector_sdk::export_connector!(MySession);`.
/// The export is compiled natively too (only the wasm symbols are wasm-only), so native tests
/// can call the generated `GuestSession` methods (`psa_connector_sdk::__export::GuestSession`)
/// exactly as the host's calls arrive, or run an operation as the export does with
/// [`operation`] (which starts a fresh audit journal first):
///
/// ```
/// use psa_connector_sdk::types::{ConnectorError, ConnectorInfo};
/// use psa_connector_sdk::{operation, Connector, Journal, Transport};
///
/// struct Session {
///     journal: Journal,
/// }
///
/// impl Connector for Session {
///     fn info() -> ConnectorInfo {
///         ConnectorInfo {
///             name: "acme".into(),
///             psa_name: "Acme PSA".into(),
///             version: "0.1.0".into(),
///             contract_version: psa_connector_sdk::CONTRACT_VERSION.into(),
///             capabilities: vec![],
///             settings_form: vec![],
///         }
///     }
///     fn open(_: &[(String, String)], _: Box<dyn Transport>) -> Result<Self, ConnectorError> {
///         Ok(Session { journal: Journal::default() })
///     }
///     fn journal(&self) -> &Journal {
///         &self.journal
///     }
/// }
///
/// psa_connector_sdk::export_connector!(Session);
///
/// // What the host's `list-teams` call runs: the SDK's default answers `unsupported`.
/// let session = Session { journal: Journal::default() };
/// let answer = operation(&session, |s| s.list_teams());
/// assert!(matches!(answer, Err(ConnectorError::Unsupported(m)) if m.contains("list-teams")));
/// ```
#[macro_export]
macro_rules! export_connector {
    ($connector:ty) => {
        const _: () = {
            #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
            struct PsaConnectorExport;

            impl $crate::__export::Guest for PsaConnectorExport {
                type Session = $connector;

                fn info() -> $crate::types::ConnectorInfo {
                    <$connector as $crate::Connector>::info()
                }
            }

            #[cfg(target_arch = "wasm32")]
    $crate::__export::export!(PsaConnectorExport with_types_in $crate::bindings);
        };
    };
}
