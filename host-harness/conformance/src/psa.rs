//! What the suite must know about a PSA to judge a connector against its mock: [`MockPsa`],
//! implemented for both mocks of `psa-mock`, and [`MockKind`] to start one by name.
//!
//! Everything PSA-specific lives here: how to read the mock's tickets and whether one is
//! closed, how a technician touches a ticket, which read endpoint to fault, where the PSA
//! legitimately receives a secret, and a mapping profile that fits the mock's seed data.

use std::collections::BTreeSet;
use std::sync::Arc;

use psa_host::types::{MappingProfile, SyncStrategy, TenantMapping};
use psa_mock::connectwise::{seed_ids as cw_ids, ConnectWiseConfig, MockConnectWise};
use psa_mock::halo::{seed_ids as halo_ids, MockConfig, MockHalo};
use psa_mock::{MockServer, ReceivedRequest};

/// A running mock PSA the suite can judge a connector against.
pub trait MockPsa: Send + Sync {
    /// Counters, the request log and fault rules (the same for every PSA).
    fn server(&self) -> &MockServer;
    /// The PSA's product name, for the report.
    fn psa_name(&self) -> &'static str;
    /// The settings an admin would type for this mock.
    fn connector_settings(&self) -> Vec<(String, String)>;
    /// The ids of every ticket the mock holds (seeded and created).
    fn ticket_ids(&self) -> BTreeSet<i64>;
    /// Whether the ticket is closed in the mock's own state; `None` when it does not exist.
    fn ticket_closed(&self, id: i64) -> Option<bool>;
    /// A technician (not the connector's API user) adds a note to the ticket.
    fn technician_note(&self, id: i64, text: &str);
    /// The endpoint key (as in [`MockServer::count`]) of the read behind
    /// `list-organizations`, which the suite faults.
    fn organizations_endpoint(&self) -> &'static str;
    /// Whether the PSA requires this request to carry the raw secret in its body (Halo: the
    /// token request). Every PSA may carry credentials in the `Authorization` header.
    fn secret_body_allowed(&self, request: &ReceivedRequest) -> bool;
    /// A profile routing `tenant` to a seeded organization on a seeded ticket type (board),
    /// with `strategy`.
    fn profile(&self, tenant: &str, strategy: SyncStrategy) -> MappingProfile;
}

/// The mocks the suite can start itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MockKind {
    /// A mock HaloPSA ([`MockHalo`], default configuration).
    Halo,
    /// A mock ConnectWise PSA ([`MockConnectWise`], default configuration).
    ConnectWise,
}

impl MockKind {
    /// Starts the mock on a free loopback port with its default seed data.
    pub async fn start(self) -> std::io::Result<Arc<dyn MockPsa>> {
        let started: Result<Arc<dyn MockPsa>, _> = match self {
            MockKind::Halo => MockHalo::start(MockConfig::default())
                .await
                .map(|m| Arc::new(m) as Arc<dyn MockPsa>),
            MockKind::ConnectWise => MockConnectWise::start(ConnectWiseConfig::default())
                .await
                .map(|m| Arc::new(m) as Arc<dyn MockPsa>),
        };
        started.map_err(|e| std::io::Error::other(format!("{e:#}")))
    }
}

/// The ids of the tickets, from each one's `id` field.
fn ids_of(tickets: Vec<serde_json::Value>) -> BTreeSet<i64> {
    tickets.iter().filter_map(|t| t["id"].as_i64()).collect()
}

/// A profile with only what every connector needs: the organization and the ticket type.
fn minimal_profile(
    tenant: &str,
    organization: i64,
    ticket_type: i64,
    strategy: SyncStrategy,
) -> MappingProfile {
    MappingProfile {
        tenants: vec![TenantMapping {
            tenant_id: tenant.to_string(),
            organization_id: organization.to_string(),
            site_id: None,
        }],
        ticket_type_id: Some(ticket_type.to_string()),
        ..crate::checks::empty_profile(strategy)
    }
}

impl MockPsa for MockHalo {
    fn server(&self) -> &MockServer {
        self
    }
    fn psa_name(&self) -> &'static str {
        "HaloPSA"
    }
    fn connector_settings(&self) -> Vec<(String, String)> {
        MockHalo::connector_settings(self)
    }
    fn ticket_ids(&self) -> BTreeSet<i64> {
        ids_of(self.tickets())
    }
    fn ticket_closed(&self, id: i64) -> Option<bool> {
        let closed = self.closed_status_id();
        self.ticket(id)
            .map(|t| t["status_id"].as_i64() == Some(closed))
    }
    fn technician_note(&self, id: i64, text: &str) {
        MockHalo::technician_note(self, id, text)
    }
    fn organizations_endpoint(&self) -> &'static str {
        "GET /api/client"
    }
    fn secret_body_allowed(&self, request: &ReceivedRequest) -> bool {
        request.method == "POST" && request.path.to_ascii_lowercase().ends_with("/token")
    }
    fn profile(&self, tenant: &str, strategy: SyncStrategy) -> MappingProfile {
        minimal_profile(
            tenant,
            halo_ids::CLIENT_CONTOSO_ID,
            halo_ids::TICKET_TYPE_SECURITY_ALERT,
            strategy,
        )
    }
}

impl MockPsa for MockConnectWise {
    fn server(&self) -> &MockServer {
        self
    }
    fn psa_name(&self) -> &'static str {
        "ConnectWise PSA"
    }
    fn connector_settings(&self) -> Vec<(String, String)> {
        MockConnectWise::connector_settings(self)
    }
    fn ticket_ids(&self) -> BTreeSet<i64> {
        ids_of(self.tickets())
    }
    fn ticket_closed(&self, id: i64) -> Option<bool> {
        self.ticket(id).map(|t| t["closedFlag"] == true)
    }
    fn technician_note(&self, id: i64, text: &str) {
        self.member_note(id, text)
    }
    fn organizations_endpoint(&self) -> &'static str {
        "GET /company/companies"
    }
    fn secret_body_allowed(&self, _request: &ReceivedRequest) -> bool {
        // Basic authentication: the keys travel in the Authorization header only.
        false
    }
    fn profile(&self, tenant: &str, strategy: SyncStrategy) -> MappingProfile {
        minimal_profile(
            tenant,
            cw_ids::COMPANY_CONTOSO_ID,
            cw_ids::BOARD_ALERTS,
            strategy,
        )
    }
}
