//! The soak: many alerts through the connector while the mock HaloPSA injects faults at random,
//! then a count against the mock's own state — every alert must be exactly one ticket or a
//! reported failure: **0 lost, 0 duplicated**.
//!
//! The soak plays a platform: `concurrency` sessions share the alerts; an alert whose
//! `sync-alert` fails is retried (without a link, as a platform that never got one would) up to
//! `host_attempts` times and then reported as failed. Every third alert fires twice (a second
//! occurrence), so re-finding a ticket under faults is exercised too. A session the host had to
//! poison (trap or timeout) is replaced by a new one.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use psa_host::error::connector_error_case;
use psa_host::types::*;
use psa_host::{ConnectorHost, ConnectorSession, HostConfig, LoadedConnector};
use psa_mock::halo::{seed_ids, Fault, FaultRule, FaultTrigger, MockConfig, MockHalo};

/// What to run.
#[derive(Debug, Clone)]
pub struct SoakConfig {
    /// The connector component.
    pub component: PathBuf,
    /// Distinct alerts (alert keys).
    pub alerts: usize,
    /// Share of requests (0.0..=1.0) the mock answers with a fault.
    pub fault_rate: f64,
    /// Seed of the mock's fault dice and data.
    pub seed: u64,
    /// Sessions working in parallel.
    pub concurrency: usize,
    /// How often the soak (as the platform) tries one alert before reporting it failed.
    pub host_attempts: u32,
}

impl Default for SoakConfig {
    fn default() -> Self {
        Self {
            component: PathBuf::new(),
            alerts: 1000,
            fault_rate: 0.1,
            seed: 7,
            concurrency: 16,
            host_attempts: 3,
        }
    }
}

/// The outcome, checked against the mock's state.
#[derive(Debug, Clone, Default)]
pub struct SoakReport {
    /// Alerts sent.
    pub alerts: usize,
    /// `sync-alert` calls made (first tries, retries and second occurrences).
    pub sync_calls: usize,
    /// Alerts that ended with a ticket link.
    pub succeeded: usize,
    /// Alerts reported as failed after every attempt.
    pub reported_failures: usize,
    /// Of those, how many left a ticket in Halo (a later sync finds it by its key).
    pub failures_with_ticket: usize,
    /// Succeeded alerts whose ticket is not in Halo, or not the one linked.
    pub lost: usize,
    /// Alert keys carried by more than one ticket.
    pub duplicated: usize,
    /// Tickets in Halo carrying a soak alert key.
    pub tickets: usize,
    /// Requests the mock served.
    pub requests: u64,
    /// Sessions replaced after a trap or timeout.
    pub sessions_replaced: usize,
    /// Failed calls by connector-error case (retried ones included).
    pub errors: BTreeMap<String, usize>,
    /// Wall time.
    pub elapsed: Duration,
}

impl SoakReport {
    /// 0 lost and 0 duplicated.
    pub fn passed(&self) -> bool {
        self.lost == 0 && self.duplicated == 0
    }
}

/// The faults thrown at random, each with an equal share of the fault rate. Large bodies and
/// long stalls are left to the fault matrix: here they would only slow the soak down.
fn fault_mix() -> Vec<Fault> {
    vec![
        Fault::Status(401),
        Fault::Status(500),
        Fault::Status(503),
        Fault::BadGatewayHtml,
        Fault::RateLimited { retry_after: None },
        Fault::RateLimited {
            retry_after: Some(1),
        },
        Fault::MalformedJson,
        Fault::TruncatedBody,
        Fault::WrongContentType,
        Fault::SlowFirstByte {
            delay: Duration::from_millis(50),
        },
        Fault::ConnectionReset,
        Fault::ProcessThenDrop,
    ]
}

fn key(n: usize) -> String {
    format!("soak/alert-{n:06}")
}

/// Tenants spread over the mock's well-known clients.
const CLIENTS: [i64; 5] = [
    seed_ids::CLIENT_CONTOSO_ID,
    seed_ids::CLIENT_FABRIKAM_ID,
    seed_ids::CLIENT_NORTHWIND_ID,
    seed_ids::CLIENT_TAILSPIN_ID,
    seed_ids::CLIENT_WIDE_WORLD_ID,
];

fn profile() -> MappingProfile {
    MappingProfile {
        tenants: CLIENTS
            .iter()
            .enumerate()
            .map(|(i, client)| TenantMapping {
                tenant_id: format!("soak-tenant-{i}"),
                organization_id: client.to_string(),
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
    }
}

fn alert(n: usize, occurrence: u32) -> SyncRequest {
    SyncRequest {
        alert: Alert {
            key: key(n),
            occurrence_id: Some(format!("occ-{occurrence}")),
            tenant_id: format!("soak-tenant-{}", n % CLIENTS.len()),
            severity: Severity::Medium,
            summary: format!("Soak alert {n}"),
            details: "Generated by psa-harness soak.".into(),
            contact: None,
        },
        link: None,
    }
}

/// What the workers record.
#[derive(Default)]
struct Tally {
    links: HashMap<usize, String>,
    failed: Vec<usize>,
    sync_calls: usize,
    sessions_replaced: usize,
    errors: BTreeMap<String, usize>,
}

/// Runs the soak and checks the mock's state.
pub async fn run_soak(config: SoakConfig) -> anyhow::Result<SoakReport> {
    let started = Instant::now();
    let mock = MockHalo::start(MockConfig {
        seed: config.seed,
        ..MockConfig::default()
    })
    .await?;
    // The soak measures correctness under faults, not throttling: no host rate budget.
    let host = ConnectorHost::new(HostConfig {
        rate_budget: None,
        ..HostConfig::default()
    })?;
    let loader = host.clone();
    let path = config.component.clone();
    let connector = tokio::task::spawn_blocking(move || loader.load(path)).await??;
    let settings = mock.connector_settings();

    let mix = fault_mix();
    let share = (config.fault_rate / mix.len() as f64).clamp(0.0, 1.0);
    for fault in mix {
        mock.add_fault(FaultRule {
            endpoint: None,
            trigger: FaultTrigger::Probability { p: share },
            fault,
        });
    }

    let next = Arc::new(Mutex::new(0usize));
    let tally = Arc::new(Mutex::new(Tally::default()));
    let mut workers = Vec::new();
    for _ in 0..config.concurrency.max(1) {
        let (connector, settings, next, tally) = (
            connector.clone(),
            settings.clone(),
            next.clone(),
            tally.clone(),
        );
        let (alerts, attempts) = (config.alerts, config.host_attempts.max(1));
        workers.push(tokio::spawn(async move {
            worker(connector, settings, next, tally, alerts, attempts).await
        }));
    }
    for worker in workers {
        worker.await??;
    }

    mock.clear_faults();
    let tally = std::mem::take(&mut *tally.lock().expect("tally"));
    let mut by_key: HashMap<String, Vec<String>> = HashMap::new();
    for ticket in mock.tickets() {
        if let Some(reference) = ticket["supplier_reference"].as_str() {
            if let Some(k) = reference.strip_prefix("psa-connector#") {
                by_key
                    .entry(k.to_string())
                    .or_default()
                    .push(ticket["id"].to_string());
            }
        }
    }
    let mut report = SoakReport {
        alerts: config.alerts,
        sync_calls: tally.sync_calls,
        succeeded: tally.links.len(),
        reported_failures: tally.failed.len(),
        tickets: by_key.values().map(Vec::len).sum(),
        requests: mock.total_requests(),
        sessions_replaced: tally.sessions_replaced,
        errors: tally.errors,
        ..SoakReport::default()
    };
    for n in 0..config.alerts {
        let tickets = by_key.get(&key(n)).map(Vec::as_slice).unwrap_or(&[]);
        if tickets.len() > 1 {
            report.duplicated += 1;
        }
        match tally.links.get(&n) {
            Some(link) if !tickets.contains(link) => report.lost += 1,
            Some(_) => {}
            None if !tickets.is_empty() => report.failures_with_ticket += 1,
            None => {}
        }
    }
    report.elapsed = started.elapsed();
    mock.shutdown().await;
    Ok(report)
}

async fn worker(
    connector: LoadedConnector,
    settings: Vec<(String, String)>,
    next: Arc<Mutex<usize>>,
    tally: Arc<Mutex<Tally>>,
    alerts: usize,
    attempts: u32,
) -> anyhow::Result<()> {
    let profile = profile();
    let mut session: Option<ConnectorSession> = None;
    loop {
        let n = {
            let mut next = next.lock().expect("queue");
            if *next >= alerts {
                return Ok(());
            }
            *next += 1;
            *next - 1
        };
        let occurrences = if n % 3 == 0 { 2 } else { 1 };
        for occurrence in 1..=occurrences {
            let mut linked = None;
            for _ in 0..attempts {
                if session.as_ref().is_none_or(ConnectorSession::is_poisoned) {
                    if session.is_some() {
                        tally.lock().expect("tally").sessions_replaced += 1;
                    }
                    session = match connector.open(settings.clone()).await? {
                        Ok(s) => Some(s),
                        Err(error) => anyhow::bail!("settings refused: {error:?}"),
                    };
                }
                let Some(current) = session.as_mut() else {
                    continue;
                };
                tally.lock().expect("tally").sync_calls += 1;
                match current.sync_alert(&profile, &alert(n, occurrence)).await {
                    Ok(Ok(outcome)) => {
                        linked = Some(outcome.ticket.id);
                        break;
                    }
                    Ok(Err(error)) => {
                        *tally
                            .lock()
                            .expect("tally")
                            .errors
                            .entry(connector_error_case(&error).to_string())
                            .or_default() += 1;
                    }
                    Err(host_error) => {
                        *tally
                            .lock()
                            .expect("tally")
                            .errors
                            .entry(format!("host: {host_error}"))
                            .or_default() += 1;
                    }
                }
            }
            let mut tally = tally.lock().expect("tally");
            match linked {
                Some(link) => {
                    tally.links.insert(n, link);
                }
                None if occurrence == 1 => {
                    tally.failed.push(n);
                    break;
                }
                // A failed second occurrence is reported, the first one's link stays valid.
                None => {
                    *tally
                        .errors
                        .entry("second occurrence failed".into())
                        .or_default() += 1
                }
            }
        }
    }
}
