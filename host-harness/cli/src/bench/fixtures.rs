//! What every phase uses: the request values in both sides' types, opening a session and the
//! one-request call on each side, and the native side's handle.

use std::sync::Arc;

use crate::psa::{Psa, PsaMock};
use psa_host::{ConnectorSession, LoadedConnector};
use psa_native::{NativeClient, NativePsa, NativeSession};

// two are generated from the same WIT with the same field names, so one literal serves both.
pub(super) mod host_types {
    pub use psa_host::types::*;
}
pub(super) mod sdk_types {
    pub use psa_native::types::*;
}

/// The mapping profile of the bench: the mock's five sample organizations mapped from
/// tenants `bench-tenant-0..4`, everything else the PSA's defaults.
macro_rules! profile {
    ($types:ident, $psa:expr) => {{
        use $types::*;
        MappingProfile {
            tenants: $psa
                .sample_organizations()
                .iter()
                .enumerate()
                .map(|(i, org)| TenantMapping {
                    tenant_id: format!("bench-tenant-{i}"),
                    organization_id: org.to_string(),
                    site_id: None,
                })
                .collect(),
            fallback_organization_id: None,
            priorities: vec![],
            default_status_id: None,
            ticket_type_id: None,
            team_id: None,
            category: None,
            strategy: SyncStrategy::CreateAndUpdate,
            reopen_window_hours: 24,
            reopen_status_id: None,
            close_status_id: None,
            rules: vec![],
            source_id: None,
        }
    }};
}

/// The `n`th ticket request.
macro_rules! ticket_request {
    ($types:ident, $n:expr) => {{
        use $types::*;
        TicketRequest {
            tenant_id: format!("bench-tenant-{}", $n % 5),
            severity: Severity::Medium,
            summary: format!("Bench ticket {}", $n),
            details: "Created by psa-harness bench.".into(),
            contact: None,
        }
    }};
}

/// A new alert, key `$key`.
macro_rules! new_alert {
    ($types:ident, $key:expr, $n:expr) => {{
        use $types::*;
        SyncRequest {
            alert: Alert {
                key: $key,
                occurrence_id: Some("o1".into()),
                tenant_id: format!("bench-tenant-{}", $n % 5),
                severity: Severity::High,
                summary: format!("Bench alert {}", $n),
                details: "Raised by psa-harness bench.".into(),
                contact: None,
                category: None,
                link_url: None,
                evidence: vec![],
            },
            link: None,
        }
    }};
}

fn native_psa(psa: Psa) -> NativePsa {
    match psa {
        Psa::Halo => NativePsa::Halo,
        Psa::Connectwise => NativePsa::ConnectWise,
    }
}

pub(super) async fn open(
    connector: &LoadedConnector,
    mock: &PsaMock,
) -> anyhow::Result<ConnectorSession> {
    connector
        .open(mock.connector_settings())
        .await?
        .map_err(|e| anyhow::anyhow!("settings refused: {e:?}"))
}

/// A session with a warm token and its lookups cached (one create-ticket made), and the
/// profile it creates with: where the create-ticket and sync-alert phases start.
pub(super) async fn open_warm(
    connector: &LoadedConnector,
    mock: &PsaMock,
    psa: Psa,
) -> anyhow::Result<(ConnectorSession, host_types::MappingProfile)> {
    let profile = profile!(host_types, psa);
    let mut session = open(connector, mock).await?;
    session
        .create_ticket(&profile, &ticket_request!(host_types, 0))
        .await?
        .map_err(|e| anyhow::anyhow!("create-ticket failed: {e:?}"))?;
    Ok((session, profile))
}

pub(super) async fn get_organization(
    session: &mut ConnectorSession,
    psa: Psa,
) -> anyhow::Result<()> {
    session
        .get_organization(&psa.sample_organizations()[0].to_string())
        .await?
        .map(|_| ())
        .map_err(|e| anyhow::anyhow!("get-organization failed: {e:?}"))
}

pub(super) fn native_get_organization(session: &NativeSession, psa: Psa) -> anyhow::Result<()> {
    session
        .get_organization(&psa.sample_organizations()[0].to_string())
        .map(|_| ())
        .map_err(|e| anyhow::anyhow!("native get-organization failed: {e:?}"))
}

/// Everything the native side needs, cloneable into blocking tasks and threads.
#[derive(Clone)]
pub(super) struct Native {
    pub(super) psa: Psa,
    pub(super) client: NativeClient,
    pub(super) settings: Arc<Vec<(String, String)>>,
}

impl Native {
    pub(super) fn open(&self) -> anyhow::Result<NativeSession> {
        NativeSession::open(
            native_psa(self.psa),
            &self.settings,
            self.client.transport(),
        )
        .map_err(|e| anyhow::anyhow!("native open refused the settings: {e:?}"))
    }

    /// [`open_warm`]'s native twin: a session with a warm token and lookups, and its profile.
    pub(super) fn open_warm(&self) -> anyhow::Result<(NativeSession, sdk_types::MappingProfile)> {
        let session = self.open()?;
        let profile = profile!(sdk_types, self.psa);
        session
            .create_ticket(&profile, &ticket_request!(sdk_types, 0))
            .map_err(|e| anyhow::anyhow!("native create-ticket: {e:?}"))?;
        Ok((session, profile))
    }

    /// Runs `work` where blocking is allowed (the native transport blocks on the runtime):
    /// this worker thread, handed over to blocking (`block_in_place`; a multi-thread runtime).
    pub(super) fn run<T>(
        &self,
        work: impl FnOnce(&Native) -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        tokio::task::block_in_place(|| work(self))
    }
}
