//! The PSAs the harness plays: [`Psa`] (a mock and a bundled connector each, chosen with
//! `--psa`) and [`PsaMock`], a running mock of one of them, for the demo, the soak and the bench.

use std::path::PathBuf;

use psa_host::types::Severity;
use psa_host::HostError;
use psa_mock::connectwise::{seed_ids as cw_ids, ConnectWiseConfig, MockConnectWise};
use psa_mock::halo::{seed_ids as halo_ids, MockConfig, MockHalo};
use psa_mock::{MockServer, RateLimit};

use crate::component_path;

/// The PSAs the harness has a mock and a bundled connector for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Psa {
    /// HaloPSA (`psa_mock::halo`, `plugin/halo`).
    Halo,
    /// ConnectWise PSA (`psa_mock::connectwise`, `plugin/connectwise`).
    Connectwise,
}

impl Psa {
    /// The PSA's product name.
    pub(crate) fn title(self) -> &'static str {
        match self {
            Psa::Halo => "HaloPSA",
            Psa::Connectwise => "ConnectWise PSA",
        }
    }

    /// The value of `--psa` that names it.
    pub fn name(self) -> &'static str {
        match self {
            Psa::Halo => "halo",
            Psa::Connectwise => "connectwise",
        }
    }

    /// The seeded ticket type (a Halo ticket type, a ConnectWise board) alerts go to.
    pub(crate) fn alert_ticket_type(self) -> &'static str {
        match self {
            Psa::Halo => "Security Alert",
            Psa::Connectwise => "Security Alerts",
        }
    }

    /// The words a priority's name has for each severity (exact name first, else contained).
    pub(crate) fn priority_words(self) -> [(Severity, &'static str); 5] {
        match self {
            Psa::Halo => [
                (Severity::Critical, "Critical"),
                (Severity::High, "High"),
                (Severity::Medium, "Medium"),
                (Severity::Low, "Low"),
                (Severity::Info, "Low"),
            ],
            Psa::Connectwise => [
                (Severity::Critical, "Emergency"),
                (Severity::High, "Quick"),
                (Severity::Medium, "Normal"),
                (Severity::Low, "Schedule"),
                (Severity::Info, "Schedule"),
            ],
        }
    }

    /// The component to load: the given path, else this PSA's bundled connector.
    pub(crate) fn component_path(self, given: Option<PathBuf>) -> Result<PathBuf, HostError> {
        #[cfg(feature = "bundled-connector")]
        let given = given.or_else(|| {
            Some(match self {
                Psa::Halo => crate::bundled_halo_connector(),
                Psa::Connectwise => crate::bundled_connectwise_connector(),
            })
        });
        component_path(given)
    }
}

/// A running mock of one [`Psa`].
pub enum PsaMock {
    /// A mock HaloPSA.
    Halo(MockHalo),
    /// A mock ConnectWise PSA.
    ConnectWise(MockConnectWise),
}

impl PsaMock {
    /// Starts the mock of `psa` on a free loopback port, with its default seed data or the
    /// given seed.
    pub async fn start(psa: Psa, seed: Option<u64>) -> anyhow::Result<PsaMock> {
        Self::start_limited(psa, seed, None).await
    }

    /// Like [`Self::start`], the mock enforcing a rolling-window rate limit (429 beyond it).
    pub async fn start_limited(
        psa: Psa,
        seed: Option<u64>,
        rate_limit: Option<RateLimit>,
    ) -> anyhow::Result<PsaMock> {
        Ok(match psa {
            Psa::Halo => {
                let defaults = MockConfig::default();
                PsaMock::Halo(
                    MockHalo::start(MockConfig {
                        seed: seed.unwrap_or(defaults.seed),
                        rate_limit,
                        ..defaults
                    })
                    .await?,
                )
            }
            Psa::Connectwise => {
                let defaults = ConnectWiseConfig::default();
                PsaMock::ConnectWise(
                    MockConnectWise::start(ConnectWiseConfig {
                        seed: seed.unwrap_or(defaults.seed),
                        rate_limit,
                        ..defaults
                    })
                    .await?,
                )
            }
        })
    }

    /// Starts the mock of `psa` (default seed data) on a free loopback port serving HTTPS
    /// with a certificate `ca` issues for `localhost` and `127.0.0.1`: its base URL is
    /// `https://127.0.0.1:PORT`, trusted by a host given [`TestCa::ca_pem`] in
    /// `HostConfig::extra_ca_pem`.
    ///
    /// [`TestCa::ca_pem`]: psa_mock::tls::TestCa::ca_pem
    pub async fn start_tls(psa: Psa, ca: &psa_mock::tls::TestCa) -> anyhow::Result<PsaMock> {
        Ok(match psa {
            Psa::Halo => PsaMock::Halo(MockHalo::start_tls(MockConfig::default(), ca).await?),
            Psa::Connectwise => PsaMock::ConnectWise(
                MockConnectWise::start_tls(ConnectWiseConfig::default(), ca).await?,
            ),
        })
    }

    /// Counters, faults and expectations: the same for every PSA.
    pub fn server(&self) -> &MockServer {
        match self {
            PsaMock::Halo(m) => m,
            PsaMock::ConnectWise(m) => m,
        }
    }

    /// The settings an admin would type for this mock.
    pub fn connector_settings(&self) -> Vec<(String, String)> {
        match self {
            PsaMock::Halo(m) => m.connector_settings(),
            PsaMock::ConnectWise(m) => m.connector_settings(),
        }
    }

    /// A technician (not the connector's API user) adds a note to the ticket.
    pub fn technician_note(&self, ticket_id: i64, text: &str) {
        match self {
            PsaMock::Halo(m) => m.technician_note(ticket_id, text),
            PsaMock::ConnectWise(m) => m.member_note(ticket_id, text),
        }
    }

    /// A technician (not the connector's API user) takes the ticket: assigned to them, nothing
    /// else (Halo `technician_assign`, ConnectWise `member_assign`).
    pub fn technician_assign(&self, ticket_id: i64) {
        match self {
            PsaMock::Halo(m) => m.technician_assign(ticket_id),
            PsaMock::ConnectWise(m) => m.member_assign(ticket_id),
        }
    }

    /// Stops the mock.
    pub async fn shutdown(self) {
        match self {
            PsaMock::Halo(m) => m.shutdown().await,
            PsaMock::ConnectWise(m) => m.shutdown().await,
        }
    }
}

impl Psa {
    /// Five well-known organizations of the mock (a HaloPSA client, a ConnectWise company).
    pub fn sample_organizations(self) -> [i64; 5] {
        match self {
            Psa::Halo => [
                halo_ids::CLIENT_CONTOSO_ID,
                halo_ids::CLIENT_FABRIKAM_ID,
                halo_ids::CLIENT_NORTHWIND_ID,
                halo_ids::CLIENT_TAILSPIN_ID,
                halo_ids::CLIENT_WIDE_WORLD_ID,
            ],
            Psa::Connectwise => [
                cw_ids::COMPANY_CONTOSO_ID,
                cw_ids::COMPANY_FABRIKAM_ID,
                cw_ids::COMPANY_NORTHWIND_ID,
                cw_ids::COMPANY_OBRIEN_ID,
                cw_ids::COMPANY_SMITH_AND_SONS_ID,
            ],
        }
    }
}
