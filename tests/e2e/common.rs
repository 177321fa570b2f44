//! Shared set-up: one compiled connector per test binary, a fresh mock per test.

use std::fmt::Debug;
use std::sync::OnceLock;

use psa_host::types::*;
use psa_host::{ConnectorHost, ConnectorSession, HostConfig, LoadedConnector, OpResult};
use psa_mock::halo::{seed_ids as ids, MockConfig, MockHalo};

/// The bundled HaloPSA component, compiled once for the whole test binary.
pub fn connector() -> LoadedConnector {
    connector_of(Psa::Halo)
}

/// Replaces (or adds) one setting.
pub fn with(mut settings: Vec<(String, String)>, key: &str, value: &str) -> Vec<(String, String)> {
    settings.retain(|(k, _)| k != key);
    settings.push((key.into(), value.into()));
    settings
}

pub async fn open(settings: Vec<(String, String)>) -> Result<ConnectorSession, ConnectorError> {
    open_on(Psa::Halo, settings).await
}

/// A mock with default seed data and a session on it.
pub async fn start() -> (MockHalo, ConnectorSession) {
    start_with(MockConfig::default()).await
}

pub async fn start_with(config: MockConfig) -> (MockHalo, ConnectorSession) {
    let mock = MockHalo::start(config).await.expect("mock starts");
    let session = open(mock.connector_settings())
        .await
        .expect("session opens");
    (mock, session)
}

/// The operation's value; fails the test on a host or connector error.
#[track_caller]
pub fn ok<T>(result: OpResult<T>) -> T {
    match result {
        Ok(Ok(value)) => value,
        Ok(Err(error)) => panic!("connector error: {error:?}"),
        Err(error) => panic!("host error: {error}"),
    }
}

/// The connector's typed error; fails the test on success or a host error.
#[track_caller]
pub fn err<T: Debug>(result: OpResult<T>) -> ConnectorError {
    match result {
        Ok(Err(error)) => error,
        Ok(Ok(value)) => panic!("expected a connector error, got {value:?}"),
        Err(error) => panic!("host error: {error}"),
    }
}

pub const TENANT: &str = "tenant-contoso";

/// A profile routing TENANT to Contoso as "Security Alert" tickets.
pub fn profile(strategy: SyncStrategy) -> MappingProfile {
    let priority = |severity, id: i64| PriorityMapping {
        severity,
        priority_id: id.to_string(),
    };
    MappingProfile {
        tenants: vec![TenantMapping {
            tenant_id: TENANT.into(),
            organization_id: ids::CLIENT_CONTOSO_ID.to_string(),
            site_id: None,
        }],
        fallback_organization_id: None,
        priorities: vec![
            priority(Severity::Critical, ids::PRIORITY_SECURITY_CRITICAL),
            priority(Severity::High, ids::PRIORITY_SECURITY_HIGH),
            priority(Severity::Medium, ids::PRIORITY_SECURITY_MEDIUM),
            priority(Severity::Low, ids::PRIORITY_SECURITY_LOW),
        ],
        default_status_id: Some(ids::STATUS_NEW.to_string()),
        ticket_type_id: Some(ids::TICKET_TYPE_SECURITY_ALERT.to_string()),
        team_id: Some(ids::TEAM_SECURITY_OPERATIONS.to_string()),
        category: None,
        strategy,
        reopen_window_hours: 24,
        reopen_status_id: Some(ids::STATUS_IN_PROGRESS.to_string()),
        close_status_id: None,
        rules: vec![],
        source_id: None,
    }
}

pub fn ticket_request(summary: &str, severity: Severity) -> TicketRequest {
    TicketRequest {
        tenant_id: TENANT.into(),
        severity,
        summary: summary.into(),
        details: "Detected by the test platform.".into(),
        contact: None,
    }
}

pub fn alert(key: &str, severity: Severity, occurrence: Option<&str>) -> SyncRequest {
    SyncRequest {
        alert: Alert {
            key: key.into(),
            occurrence_id: occurrence.map(str::to_string),
            tenant_id: TENANT.into(),
            severity,
            summary: format!("Alert {key}"),
            details: format!("Details of {key}"),
            contact: None,
            category: None,
            link_url: None,
            evidence: vec![],
        },
        link: None,
    }
}

pub fn id(ticket: &Ticket) -> i64 {
    ticket
        .id
        .parse()
        .expect("numeric ticket id (Halo and ConnectWise)")
}

/// Tickets in the mock carrying this alert key (the connector's default reference prefix).
pub fn tickets_for(mock: &MockHalo, key: &str) -> usize {
    carrying_key(&mock.tickets(), "supplier_reference", key)
}

/// How many of these tickets name the alert key (with the default prefix) in `field`.
fn carrying_key(tickets: &[serde_json::Value], field: &str, key: &str) -> usize {
    let reference = format!("psa-connector#{key}");
    tickets
        .iter()
        .filter(|t| t[field] == reference.as_str())
        .count()
}

// ---- ConnectWise ------------------------------------------------------------------------------

use psa_mock::connectwise::{seed_ids as cw_ids, ConnectWiseConfig, MockConnectWise};

pub async fn cw_open(settings: Vec<(String, String)>) -> Result<ConnectorSession, ConnectorError> {
    open_on(Psa::Connectwise, settings).await
}

/// A mock ConnectWise with default seed data and a session on it.
pub async fn cw_start() -> (MockConnectWise, ConnectorSession) {
    let mock = MockConnectWise::start(ConnectWiseConfig::default())
        .await
        .expect("mock starts");
    let session = cw_open(mock.connector_settings())
        .await
        .expect("session opens");
    (mock, session)
}

/// A profile routing TENANT to Contoso on the Security Alerts board (the seeded ids of
/// `psa_mock::connectwise::seed_ids`, laid out as Halo's [`profile`]).
pub fn cw_profile(strategy: SyncStrategy) -> MappingProfile {
    let mut profile = profile(strategy);
    profile.tenants[0].organization_id = cw_ids::COMPANY_CONTOSO_ID.to_string();
    let priorities = [
        cw_ids::PRIORITY_EMERGENCY,
        cw_ids::PRIORITY_QUICK,
        cw_ids::PRIORITY_NORMAL,
        cw_ids::PRIORITY_SCHEDULE,
    ];
    for (mapping, id) in profile.priorities.iter_mut().zip(priorities) {
        mapping.priority_id = id.to_string();
    }
    profile.default_status_id = Some(cw_ids::ALERTS_STATUS_NEW.to_string());
    profile.ticket_type_id = Some(cw_ids::BOARD_ALERTS.to_string());
    profile.team_id = Some(cw_ids::ALERTS_TEAM_SECOPS.to_string());
    profile.reopen_status_id = Some(cw_ids::ALERTS_STATUS_IN_PROGRESS.to_string());
    profile
}

/// Tickets in the mock ConnectWise carrying this alert key in `externalXRef`.
pub fn cw_tickets_for(mock: &MockConnectWise, key: &str) -> usize {
    carrying_key(&mock.tickets(), "externalXRef", key)
}

/// Resolving an alert key (with the host's link, if any).
pub fn resolve(key: &str, link: Option<&str>) -> ResolveRequest {
    ResolveRequest {
        key: key.into(),
        link: link.map(str::to_string),
    }
}

// ---- The PSA under test -----------------------------------------------------------------------
//
// A test written once for every PSA takes a [`Psa`] and runs against that PSA's mock (a
// [`PsaMock`]) with its bundled connector; `for_each_psa!` instantiates it once per PSA.

pub use psa_harness::psa::{Psa, PsaMock};

/// The bundled component of `psa`, compiled once for the whole test binary (one host each).
pub fn connector_of(psa: Psa) -> LoadedConnector {
    static HALO: OnceLock<(ConnectorHost, LoadedConnector)> = OnceLock::new();
    static CONNECTWISE: OnceLock<(ConnectorHost, LoadedConnector)> = OnceLock::new();
    let (loaded, component) = match psa {
        Psa::Halo => (&HALO, psa_harness::bundled_halo_connector()),
        Psa::Connectwise => (&CONNECTWISE, psa_harness::bundled_connectwise_connector()),
    };
    loaded
        .get_or_init(|| {
            let host = ConnectorHost::new(HostConfig::default()).expect("host");
            let loaded = host
                .load(component)
                .unwrap_or_else(|e| panic!("the bundled {psa:?} connector loads: {e}"));
            (host, loaded)
        })
        .1
        .clone()
}

/// A session of `psa`'s bundled connector with these settings.
pub async fn open_on(
    psa: Psa,
    settings: Vec<(String, String)>,
) -> Result<ConnectorSession, ConnectorError> {
    connector_of(psa)
        .open(settings)
        .await
        .expect("no host error opening a session")
}

/// `psa`'s mock with default seed data and a session of its bundled connector on it.
pub async fn start_on(psa: Psa) -> (PsaMock, ConnectorSession) {
    let mock = PsaMock::start(psa, None).await.expect("mock starts");
    let session = open_on(psa, mock.connector_settings())
        .await
        .expect("session opens");
    (mock, session)
}

/// The profile routing TENANT to Contoso on `psa`'s seeded alert ticket type / board.
pub fn profile_on(psa: Psa, strategy: SyncStrategy) -> MappingProfile {
    match psa {
        Psa::Halo => profile(strategy),
        Psa::Connectwise => cw_profile(strategy),
    }
}

/// Tickets in the mock carrying this alert key (Halo `supplier_reference`, ConnectWise
/// `externalXRef`).
pub fn tickets_with_key(mock: &PsaMock, key: &str) -> usize {
    match mock {
        PsaMock::Halo(m) => tickets_for(m, key),
        PsaMock::ConnectWise(m) => cw_tickets_for(m, key),
    }
}

/// Asserts that the mock holds the ticket closed (Halo: the closed status; ConnectWise: the
/// alert board's closed status and `closedFlag`).
pub fn assert_closed_in_mock(mock: &PsaMock, ticket_id: i64) {
    match mock {
        PsaMock::Halo(m) => assert_eq!(
            m.ticket(ticket_id).unwrap()["status_id"],
            ids::STATUS_CLOSED
        ),
        PsaMock::ConnectWise(m) => {
            let stored = m.ticket(ticket_id).unwrap();
            assert_eq!(
                stored["status"]["id"],
                psa_mock::connectwise::seed_ids::ALERTS_STATUS_CLOSED
            );
            assert_eq!(stored["closedFlag"], true);
        }
    }
}

/// Backdates the ticket's closing to 2020-01-01, well outside any re-open window (each mock
/// takes its PSA's own date format).
pub fn closed_long_ago(mock: &PsaMock, ticket_id: i64) {
    match mock {
        PsaMock::Halo(m) => m.set_ticket_closed_at(ticket_id, "2020-01-01T00:00:00"),
        PsaMock::ConnectWise(m) => m.set_ticket_closed_at(ticket_id, "2020-01-01T00:00:00Z"),
    }
}

/// The name the connector reports for the seeded technician of `psa` in `touched_by`.
pub fn technician_name(psa: Psa) -> &'static str {
    match psa {
        Psa::Halo => ids::TECHNICIAN_AGENT_NAME,
        Psa::Connectwise => cw_ids::TECHNICIAN_MEMBER_NAME,
    }
}

/// One `#[tokio::test]` per PSA for each named `async fn name(psa: Psa)`: a module `name`
/// with the tests `halo` and `connectwise` (so `cargo test connectwise` runs them too).
macro_rules! for_each_psa {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn halo() {
                super::$name($crate::common::Psa::Halo).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn connectwise() {
                super::$name($crate::common::Psa::Connectwise).await
            }
        }
    )+};
}
pub(crate) use for_each_psa;

/// Every open ticket this connector created, all pages (the "own" list a platform shows).
pub fn own_open_tickets() -> TicketQuery {
    TicketQuery {
        organization_id: None,
        scope: TicketScope::Own,
        open_only: true,
        page: None,
        page_size: None,
    }
}
