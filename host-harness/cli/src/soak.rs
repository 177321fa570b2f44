//! The soak: many alerts through the connector while the mock PSA (HaloPSA or ConnectWise,
//! [`SoakConfig::psa`]) injects faults at random,
//! then a count against the mock's own state — every alert must be exactly one ticket or a
//! reported failure: **0 lost, 0 duplicated**, no occurrence recorded twice on a ticket (the
//! connector's `[alert-sync occurrence=N occurrence-id=…]` markers in the ticket's details and
//! notes) and none the platform was told about missing, and no more reported failures than the
//! run allows ([`SoakConfig::allowed_failures`], 0 by default): a connector whose every call
//! fails does not pass.
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
use psa_mock::halo::{Fault, FaultRule, FaultTrigger};

use crate::psa::Psa;
use crate::psa::PsaMock;

/// Every ticket carrying a soak alert key, read from the mock's own state: where the alert key
/// lives (Halo's `supplier_reference`, ConnectWise's `externalXRef`) and the texts the connector
/// writes occurrence markers in (Halo's details and actions, ConnectWise's notes).
pub(crate) fn alert_tickets(mock: &PsaMock) -> Vec<SoakTicket> {
    // Only the soak's own keys: a mock may seed tickets with alert keys of its own.
    let key_of = |reference: &serde_json::Value| {
        let key = reference.as_str()?.strip_prefix("psa-connector#")?;
        key.starts_with(KEY_PREFIX).then(|| key.to_string())
    };
    let texts = |notes: Vec<serde_json::Value>, field: &str| -> Vec<String> {
        notes
            .iter()
            .filter_map(|n| n[field].as_str().map(str::to_string))
            .collect()
    };
    match mock {
        PsaMock::Halo(mock) => mock
            .tickets()
            .into_iter()
            .filter_map(|ticket| {
                let key = key_of(&ticket["supplier_reference"])?;
                let id = ticket["id"].as_i64()?;
                let mut all = vec![ticket["details"].as_str().unwrap_or_default().to_string()];
                all.extend(texts(mock.actions(id), "note"));
                Some(SoakTicket {
                    id: id.to_string(),
                    key,
                    texts: all,
                })
            })
            .collect(),
        // The ticket's description is its first note (`initialDescription`).
        PsaMock::ConnectWise(mock) => mock
            .tickets()
            .into_iter()
            .filter_map(|ticket| {
                let key = key_of(&ticket["externalXRef"])?;
                let id = ticket["id"].as_i64()?;
                Some(SoakTicket {
                    id: id.to_string(),
                    key,
                    texts: texts(mock.notes(id), "text"),
                })
            })
            .collect(),
    }
}

/// What to run.
#[derive(Debug, Clone)]
pub struct SoakConfig {
    /// The connector component.
    pub component: PathBuf,
    /// The PSA its mock plays (the component must be that PSA's connector): the mock HaloPSA
    /// (alert key in `supplier_reference`, markers in details and actions) or the mock
    /// ConnectWise (`externalXRef`, markers in notes).
    pub psa: Psa,
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
    /// Alerts that may end as reported failures (every try failed) in a passing run.
    pub allowed_failures: usize,
}

impl Default for SoakConfig {
    fn default() -> Self {
        Self {
            component: PathBuf::new(),
            psa: Psa::Halo,
            alerts: 1000,
            fault_rate: 0.1,
            seed: 7,
            concurrency: 16,
            host_attempts: 3,
            allowed_failures: 0,
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
    /// Of those, how many left a ticket in the PSA (a later sync finds it by its key).
    pub failures_with_ticket: usize,
    /// Succeeded alerts whose ticket is not in the PSA, or not the one linked.
    pub lost: usize,
    /// Alert keys carried by more than one ticket.
    pub duplicated: usize,
    /// Occurrences recorded more than once on one ticket (the same occurrence id in two
    /// markers of its details and notes), counting each extra record.
    pub duplicate_occurrences: usize,
    /// Occurrences the platform got a success for whose marker is not on the linked ticket.
    pub missing_occurrences: usize,
    /// Second occurrences reported as failed (the first one's link stays valid).
    pub second_occurrence_failures: usize,
    /// Reported failures the run allowed ([`SoakConfig::allowed_failures`]).
    pub allowed_failures: usize,
    /// Faults the mock actually injected.
    pub faults_injected: u64,
    /// Tickets in the PSA carrying a soak alert key.
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
    /// 0 lost, 0 duplicated, no occurrence recorded twice or missing, every alert accounted for
    /// (a ticket link or a reported failure, the tickets in the PSA matching), and no more
    /// reported failures than allowed — so a run where nothing succeeded fails.
    pub fn passed(&self) -> bool {
        self.problems().is_empty()
    }

    /// Why the run did not pass, one line each (empty when it passed).
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let mut check = |ok: bool, what: String| {
            if !ok {
                problems.push(what);
            }
        };
        check(self.lost == 0, format!("{} alerts lost", self.lost));
        check(
            self.duplicated == 0,
            format!("{} alerts with more than one ticket", self.duplicated),
        );
        check(
            self.duplicate_occurrences == 0,
            format!(
                "{} occurrences recorded twice on a ticket",
                self.duplicate_occurrences
            ),
        );
        check(
            self.missing_occurrences == 0,
            format!(
                "{} occurrences reported as synced are not on their ticket",
                self.missing_occurrences
            ),
        );
        check(
            self.succeeded + self.reported_failures == self.alerts,
            format!(
                "{} succeeded + {} failed != {} alerts",
                self.succeeded, self.reported_failures, self.alerts
            ),
        );
        check(
            self.tickets == self.succeeded + self.failures_with_ticket,
            format!(
                "{} tickets in the PSA != {} succeeded + {} failures that left a ticket",
                self.tickets, self.succeeded, self.failures_with_ticket
            ),
        );
        check(
            self.reported_failures + self.second_occurrence_failures <= self.allowed_failures,
            format!(
                "{} alerts and {} second occurrences failed, {} allowed",
                self.reported_failures, self.second_occurrence_failures, self.allowed_failures
            ),
        );
        problems
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

/// Makes the mock answer `rate` of all requests with a fault of [`fault_mix`], each kind an
/// equal share.
pub(crate) fn inject_faults(mock: &PsaMock, rate: f64) {
    let mix = fault_mix();
    let share = (rate / mix.len() as f64).clamp(0.0, 1.0);
    for fault in mix {
        mock.server().add_fault(FaultRule {
            endpoint: None,
            trigger: FaultTrigger::Probability { p: share },
            fault,
        });
    }
}

/// What every soak alert key starts with.
const KEY_PREFIX: &str = "soak/alert-";

fn key(n: usize) -> String {
    format!("{KEY_PREFIX}{n:06}")
}

/// Soak tenants, spread over five well-known organizations of the mock.
const TENANTS: usize = 5;

pub(crate) fn profile(psa: Psa) -> MappingProfile {
    MappingProfile {
        tenants: psa
            .sample_organizations()
            .iter()
            .enumerate()
            .map(|(i, client)| TenantMapping {
                tenant_id: format!("soak-tenant-{i}"),
                organization_id: client.to_string(),
                site_id: None,
            })
            .collect(),
        ..MappingProfile::unmapped(SyncStrategy::CreateAndUpdate)
    }
}

pub(crate) fn alert(n: usize, occurrence: u32) -> SyncRequest {
    SyncRequest {
        alert: Alert {
            key: key(n),
            occurrence_id: Some(format!("occ-{occurrence}")),
            tenant_id: format!("soak-tenant-{}", n % TENANTS),
            severity: Severity::Medium,
            summary: format!("Soak alert {n}"),
            details: "Generated by psa-harness soak.".into(),
            contact: None,
            category: None,
            link_url: None,
            evidence: vec![],
        },
        link: None,
    }
}

/// What the workers record.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    /// Per alert, the ticket the platform linked.
    pub(crate) links: HashMap<usize, String>,
    /// Per alert, the occurrences that synced (the platform got a ticket back).
    pub(crate) synced: HashMap<usize, Vec<u32>>,
    pub(crate) second_failed: usize,
    pub(crate) failed: Vec<usize>,
    pub(crate) sync_calls: usize,
    pub(crate) sessions_replaced: usize,
    pub(crate) errors: BTreeMap<String, usize>,
}

/// Runs the soak and checks the mock's state.
pub async fn run_soak(config: SoakConfig) -> anyhow::Result<SoakReport> {
    let started = Instant::now();
    let mock = PsaMock::start(config.psa, Some(config.seed)).await?;
    // The soak measures correctness under faults, not throttling: no host rate budget.
    let host = ConnectorHost::new(HostConfig {
        rate_budget: None,
        ..HostConfig::default()
    })?;
    let loader = host.clone();
    let path = config.component.clone();
    let connector = tokio::task::spawn_blocking(move || loader.load(path)).await??;
    let settings = mock.connector_settings();

    inject_faults(&mock, config.fault_rate);

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
        let (psa, alerts, attempts) = (config.psa, config.alerts, config.host_attempts.max(1));
        workers.push(tokio::spawn(async move {
            worker(psa, connector, settings, next, tally, alerts, attempts).await
        }));
    }
    for worker in workers {
        worker.await??;
    }

    mock.server().clear_faults();
    let tally = std::mem::take(&mut *tally.lock().expect("tally"));
    let tickets = alert_tickets(&mock);
    let mut report = evaluate(config.alerts, config.allowed_failures, tally, &tickets);
    report.requests = mock.server().total_requests();
    report.faults_injected = mock.server().faults_fired();
    report.elapsed = started.elapsed();
    mock.shutdown().await;
    Ok(report)
}

async fn worker(
    psa: Psa,
    connector: LoadedConnector,
    settings: Vec<(String, String)>,
    next: Arc<Mutex<usize>>,
    tally: Arc<Mutex<Tally>>,
    alerts: usize,
    attempts: u32,
) -> anyhow::Result<()> {
    let profile = profile(psa);
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
                    tally.synced.entry(n).or_default().push(occurrence);
                }
                None if occurrence == 1 => {
                    tally.failed.push(n);
                    break;
                }
                // A failed second occurrence is reported, the first one's link stays valid.
                None => {
                    tally.second_failed += 1;
                    *tally
                        .errors
                        .entry("second occurrence failed".into())
                        .or_default() += 1
                }
            }
        }
    }
}

/// A ticket in Halo carrying a soak alert key, with the texts the connector writes markers in.
#[derive(Debug, Clone)]
pub(crate) struct SoakTicket {
    id: String,
    key: String,
    /// The ticket's details, then each action's note.
    texts: Vec<String>,
}

/// The occurrence ids recorded in `[alert-sync occurrence=N occurrence-id=ID]` markers, one
/// entry per marker (the occurrence number stands in for a missing id). Markers are read
/// anywhere in a text, as the connectors read them: ConnectWise turns newlines into spaces.
fn recorded_occurrences(texts: &[String]) -> Vec<String> {
    const MARKER: &str = "[alert-sync";
    texts
        .iter()
        .flat_map(|text| {
            text.match_indices(MARKER)
                .map(move |(at, _)| &text[at + MARKER.len()..])
        })
        .map(|rest| {
            let rest = rest.split(']').next().unwrap_or(rest);
            let part = |name: &str| {
                rest.split_whitespace()
                    .find_map(|p| p.strip_prefix(name))
                    .map(str::to_string)
            };
            part("occurrence-id=")
                .or_else(|| part("occurrence=").map(|n| format!("#{n}")))
                .unwrap_or_default()
        })
        .collect()
}

/// Checks what the platform recorded against the tickets in the PSA.
pub(crate) fn evaluate(
    alerts: usize,
    allowed_failures: usize,
    tally: Tally,
    tickets: &[SoakTicket],
) -> SoakReport {
    let mut by_key: HashMap<&str, Vec<&SoakTicket>> = HashMap::new();
    for ticket in tickets {
        by_key.entry(ticket.key.as_str()).or_default().push(ticket);
    }
    let mut report = SoakReport {
        alerts,
        sync_calls: tally.sync_calls,
        succeeded: tally.links.len(),
        reported_failures: tally.failed.len(),
        second_occurrence_failures: tally.second_failed,
        allowed_failures,
        tickets: tickets.len(),
        sessions_replaced: tally.sessions_replaced,
        errors: tally.errors,
        ..SoakReport::default()
    };
    for ticket in tickets {
        let mut seen: HashMap<String, usize> = HashMap::new();
        for id in recorded_occurrences(&ticket.texts) {
            *seen.entry(id).or_default() += 1;
        }
        report.duplicate_occurrences += seen.values().map(|n| n - 1).sum::<usize>();
    }
    for n in 0..alerts {
        let found = by_key
            .get(key(n).as_str())
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        if found.len() > 1 {
            report.duplicated += 1;
        }
        match tally.links.get(&n) {
            Some(link) => match found.iter().find(|t| t.id == *link) {
                None => report.lost += 1,
                Some(ticket) => {
                    let recorded = recorded_occurrences(&ticket.texts);
                    for occurrence in tally.synced.get(&n).into_iter().flatten() {
                        if !recorded.contains(&format!("occ-{occurrence}")) {
                            report.missing_occurrences += 1;
                        }
                    }
                }
            },
            None if !found.is_empty() => report.failures_with_ticket += 1,
            None => {}
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ticket(id: i64, n: usize, texts: &[&str]) -> SoakTicket {
        SoakTicket {
            id: id.to_string(),
            key: key(n),
            texts: texts.iter().map(|t| t.to_string()).collect(),
        }
    }

    const OCC1: &str = "Generated.\n\n[alert-sync occurrence=1 occurrence-id=occ-1]";
    const OCC2: &str = "Alert repeated.\n\n[alert-sync occurrence=2 occurrence-id=occ-2]";

    fn synced(links: &[(usize, i64, &[u32])]) -> Tally {
        let mut tally = Tally::default();
        for (n, id, occurrences) in links {
            tally.links.insert(*n, id.to_string());
            tally.synced.insert(*n, occurrences.to_vec());
        }
        tally
    }

    #[test]
    fn a_run_where_every_call_failed_does_not_pass() {
        let tally = Tally {
            failed: (0..3).collect(),
            errors: [("remote".to_string(), 9)].into(),
            ..Tally::default()
        };
        let report = evaluate(3, 0, tally, &[]);
        // 0 lost and 0 duplicated, and yet nothing worked.
        assert_eq!((report.lost, report.duplicated), (0, 0));
        assert!(!report.passed(), "{report:?}");
        assert!(
            report.problems()[0].contains("3 alerts and 0 second occurrences failed, 0 allowed"),
            "{:?}",
            report.problems()
        );
        // Unless the run states it allows that many failures.
        let tally = Tally {
            failed: (0..3).collect(),
            ..Tally::default()
        };
        assert!(evaluate(3, 3, tally, &[]).passed());
    }

    #[test]
    fn every_alert_one_ticket_with_each_occurrence_once_passes() {
        let tickets = [ticket(10, 0, &[OCC1, OCC2]), ticket(11, 1, &[OCC1])];
        let report = evaluate(2, 0, synced(&[(0, 10, &[1, 2]), (1, 11, &[1])]), &tickets);
        assert!(report.passed(), "{:?}", report.problems());
        assert_eq!((report.succeeded, report.tickets), (2, 2));
    }

    #[test]
    fn an_occurrence_noted_twice_is_a_duplicate() {
        // The second occurrence's note was written twice (its answer lost, then re-sent).
        let renumbered = "Alert repeated.\n\n[alert-sync occurrence=3 occurrence-id=occ-2]";
        let tickets = [ticket(10, 0, &[OCC1, OCC2, renumbered])];
        let report = evaluate(1, 0, synced(&[(0, 10, &[1, 2])]), &tickets);
        assert_eq!(report.duplicate_occurrences, 1);
        assert!(!report.passed());
    }

    #[test]
    fn lost_missing_and_duplicated_alerts_are_counted() {
        // Alert 0 linked to a ticket Halo does not have; alert 1 has two tickets; alert 2's
        // second occurrence was reported synced but is not on its ticket.
        let tickets = [
            ticket(11, 1, &[OCC1]),
            ticket(12, 1, &[OCC1]),
            ticket(13, 2, &[OCC1]),
        ];
        let tally = synced(&[(0, 99, &[1]), (1, 11, &[1]), (2, 13, &[1, 2])]);
        let report = evaluate(3, 0, tally, &tickets);
        assert_eq!(
            (
                report.lost,
                report.duplicated,
                report.missing_occurrences,
                report.duplicate_occurrences
            ),
            (1, 1, 1, 0)
        );
        assert_eq!(report.problems().len(), 3, "{:?}", report.problems());
    }

    #[test]
    fn markers_are_read_like_the_connector_writes_them() {
        let texts = [
            "details\n\n[alert-sync occurrence=1 occurrence-id=a]".to_string(),
            "note [alert-sync occurrence=2] flattened by the PSA (alert-sync occurrence=5]"
                .to_string(),
        ];
        assert_eq!(recorded_occurrences(&texts), ["a", "#2"]);
    }
}
