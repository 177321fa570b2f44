//! The `psa:connector` conformance suite: does a connector component honour the contract?
//!
//! [`run`] loads a component in the real host (`psa-host`) and runs every check against a mock
//! PSA ([`Target::Mock`], see [`psa::MockKind`]) or a live or sandbox instance
//! ([`Target::Live`]: the read-only checks only, unless [`Config::allow_writes`]). Each check has
//! an id, a title and an [`Outcome`]: pass, fail with the reason, or not applicable (the
//! capability is not declared, a write check in read-only live mode, a check that needs the
//! mock). `psa-harness conformance` is this function on the command line; an author calls it
//! from their own tests:
//!
//! ```no_run
//! use psa_conformance::{psa::MockKind, Config};
//!
//! # async fn author_test() -> std::io::Result<()> {
//! let mock = MockKind::Halo.start().await?;
//! let report = psa_conformance::run(Config::mock("target/my_connector.wasm", mock)).await;
//! for line in report.lines() {
//!     println!("{line}");
//! }
//! assert!(report.passed(), "failed: {:?}", report.failed());
//! # Ok(()) }
//! ```
//!
//! # The checks
//!
//! | id | proves | how |
//! |---|---|---|
//! | `contract-version` | it exports a contract version this host supports | the host loads it; `info.contract-version` is a semver version |
//! | `info-complete` | `info` is complete | name, version and capabilities set; every settings field has key, label and help; a url field exists; every listed capability answers (probed without writing: invalid ids, an unmapped tenant) anything but `unsupported` |
//! | `invalid-settings` | bad settings give `invalid-settings` naming the field | each required field left out, each url field malformed |
//! | `auth-failed` | a wrong secret gives `auth-failed` | each secret field replaced, then `test-connection` (or `list-organizations`) |
//! | `own-hosts-only` | it contacts only hosts from its url settings | reads (and a sync when writes are allowed): the host's egress denials stay 0 |
//! | `typed-errors` | garbage, HTML, truncated and huge answers, a 429 storm and resets give typed errors | the mock's faults on `list-organizations`' endpoint; no trap, no timeout (30 s deadline), no success |
//! | `one-ticket-per-alert` | `sync-alert` never opens a second ticket for one key | repeats with the link, then 4 sessions at once through a barrier; the mock's tickets counted |
//! | `lost-link` | a lost link is found again | a new session syncs a long, quoted key without the link |
//! | `touched-stays-open` | `resolve-alert` never closes a ticket a person touched | the mock adds a technician's note; the mock's ticket stays open |
//! | `audit-matches` | every mutation's audit record lists what the PSA received | method and path of each request against the mock's log |
//! | `no-secrets` | no secret in any result, error, log line or request except where the PSA requires it | secret settings and the credentials it sent, searched in everything the run saw |
//!
//! What the suite must know about a PSA (how to read the mock's tickets, which endpoint to
//! fault, where a secret may legitimately travel) is the small [`psa::MockPsa`] trait.

#![deny(missing_docs)]

mod capture;
mod checks;
pub mod psa;
pub mod report;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use psa_host::{ConnectorHost, HostConfig};
use tracing::instrument::WithSubscriber;

pub use report::{CheckResult, ConformanceReport, Outcome};

/// What the suite runs against.
#[derive(Clone)]
pub enum Target {
    /// A running mock PSA: every check applies; its settings are the connector's (extended or
    /// overridden by [`Config::settings`]).
    Mock(Arc<dyn psa::MockPsa>),
    /// A live or sandbox instance reached with [`Config::settings`]: read-only checks, plus the
    /// write checks that need no mock when [`Config::allow_writes`] is set.
    Live,
}

/// How to run the suite.
#[derive(Clone)]
pub struct Config {
    /// The component file.
    pub component: PathBuf,
    /// The mock or a live instance.
    pub target: Target,
    /// Connector settings: with a mock, added to (or replacing) the mock's; live, all of them.
    pub settings: Vec<(String, String)>,
    /// Live only: run the checks that create tickets (then closed again where the connector
    /// can close them).
    pub allow_writes: bool,
    /// Live writes: the organization the test tickets go to (required for live writes).
    pub live_organization_id: Option<String>,
    /// Live writes: the ticket type (ConnectWise: board) of the test tickets; none = the PSA's
    /// default.
    pub live_ticket_type_id: Option<String>,
    /// The host's limits. The default of [`Config::mock`] and [`Config::live`] is
    /// [`HostConfig::default`] with a 30 s call deadline (a hang fails `typed-errors`) and,
    /// against a mock, no client-side rate budget.
    pub host_config: HostConfig,
}

/// The call deadline of the suite's host.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(30);

impl Config {
    /// The suite against a running mock, with the mock's settings.
    pub fn mock(component: impl Into<PathBuf>, mock: Arc<dyn psa::MockPsa>) -> Config {
        Config {
            component: component.into(),
            target: Target::Mock(mock),
            settings: vec![],
            allow_writes: true,
            live_organization_id: None,
            live_ticket_type_id: None,
            host_config: HostConfig {
                call_timeout: CALL_TIMEOUT,
                rate_budget: None,
                ..HostConfig::default()
            },
        }
    }

    /// The suite against a live or sandbox instance with these settings, read-only.
    pub fn live(component: impl Into<PathBuf>, settings: Vec<(String, String)>) -> Config {
        Config {
            component: component.into(),
            target: Target::Live,
            settings,
            allow_writes: false,
            live_organization_id: None,
            live_ticket_type_id: None,
            host_config: HostConfig {
                call_timeout: CALL_TIMEOUT,
                ..HostConfig::default()
            },
        }
    }

    /// Adds or replaces one setting.
    pub fn with_setting(mut self, key: &str, value: &str) -> Config {
        self.settings.retain(|(k, _)| k != key);
        self.settings.push((key.to_string(), value.to_string()));
        self
    }
}

/// Runs every check and reports each one. Never panics on the connector's behaviour: a trap, a
/// timeout or a refused load is a failed check. Log lines of the host and the guest emitted
/// while the suite's futures run are captured (not shown) for the `no-secrets` check.
pub async fn run(config: Config) -> ConformanceReport {
    let captured = capture::Captured::default();
    let subscriber = captured.subscriber();
    run_captured(config, captured)
        .with_subscriber(subscriber)
        .await
}

async fn run_captured(config: Config, captured: capture::Captured) -> ConformanceReport {
    let target = match &config.target {
        Target::Mock(mock) => format!("mock {}", mock.psa_name()),
        Target::Live if config.allow_writes => "live (writes allowed)".to_string(),
        Target::Live => "live (read-only)".to_string(),
    };
    let mut report = ConformanceReport {
        component: config.component.display().to_string(),
        connector: None,
        contract_version: None,
        target,
        checks: vec![],
    };
    // The host lives as long as the run.
    let loaded = load(&config).await;
    let info = match &loaded {
        Ok((_, loaded)) => loaded.info().await.map_err(|e| e.to_string()),
        Err(e) => Err(e.clone()),
    };
    let (loaded, info) = match (loaded, info) {
        (Ok(loaded), Ok(info)) => (loaded, info),
        (Err(e), _) | (_, Err(e)) => {
            report.checks = checks::CHECKS
                .iter()
                .map(|(id, title)| CheckResult {
                    id,
                    title,
                    outcome: if *id == "contract-version" {
                        Outcome::Fail(format!("the host did not load it: {e}"))
                    } else {
                        Outcome::NotApplicable("the component did not load".into())
                    },
                })
                .collect();
            return report;
        }
    };
    report.connector = Some(info.name.clone());
    report.contract_version = Some(info.contract_version.clone());
    let (_host, loaded) = loaded;
    let suite = checks::Suite::new(&config, loaded, info, captured);
    report.checks = suite.run_all().await;
    report
}

/// A host with the config's limits and the component loaded (compiled on a blocking thread).
async fn load(config: &Config) -> Result<(ConnectorHost, psa_host::LoadedConnector), String> {
    let host = ConnectorHost::new(config.host_config.clone()).map_err(|e| e.to_string())?;
    let (loader, path) = (host.clone(), config.component.clone());
    let loaded = tokio::task::spawn_blocking(move || loader.load(path))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    Ok((host, loaded))
}
