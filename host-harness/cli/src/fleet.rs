//! The fleet soak: several host **processes** (`psa-harness fleet-worker`) sharing one mock PSA
//! and one Redis, as a platform's workers do, then the soak's count against the mock's own
//! state (0 lost, 0 duplicated, every occurrence once) plus the fleet's own checks: the mock
//! never saw more requests within any rolling window than the shared budget allows.
//!
//! The parent plays the platform's job queue ([`run_fleet`]): it hands each `sync-alert` to the
//! least busy worker, sends a share of alerts to **two** workers at the same moment (a
//! duplicate delivery, as after a timeout), retries failed calls, and redelivers the calls of
//! a worker that died to the others. The faults a fleet has are played on request:
//! `kill -9` of one worker mid-run ([`FleetConfig::kill_one_at`]) and a Redis restart
//! ([`FleetConfig::restart_redis_at`], with the harness's own Redis).
//!
//! Parent and workers talk JSON lines over the workers' stdin and stdout ([`Job`], [`Reply`]).

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use psa_host::coordination::CoordinationError;
use psa_host::error::connector_error_case;
use psa_host::{
    ConnectorHost, ConnectorSession, Coordination, HostConfig, HostError, RateBudgetConfig,
    RedisCoordination,
};
use psa_mock::RateLimit;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::mpsc;

use crate::psa::{Psa, PsaMock};
use crate::redis_server::RedisServer;
use crate::soak::{alert, alert_tickets, evaluate, inject_faults, profile, SoakReport, Tally};

/// What to run.
#[derive(Debug, Clone)]
pub struct FleetConfig {
    /// The `psa-harness` binary the workers run (`fleet-worker`).
    pub worker_binary: PathBuf,
    /// The connector component every worker loads.
    pub component: PathBuf,
    /// The PSA the mock plays.
    pub psa: Psa,
    /// Host processes.
    pub processes: usize,
    /// Sessions per process.
    pub sessions: usize,
    /// Distinct alerts.
    pub alerts: usize,
    /// Share of requests the mock answers with a fault.
    pub fault_rate: f64,
    /// Seed of the mock's fault dice and data.
    pub seed: u64,
    /// Tries per alert occurrence before it is reported failed (redeliveries after a worker
    /// died do not count).
    pub attempts: u32,
    /// Reported failures a passing run may have.
    pub allowed_failures: usize,
    /// The budget the hosts share, which the mock also enforces (429 beyond it).
    pub budget: RateBudgetConfig,
    /// The hosts' alert lease ([`HostConfig::alert_lease`]).
    pub alert_lease: Duration,
    /// The Redis to coordinate through; `None` starts a private `redis-server`.
    pub redis: Option<String>,
    /// Kill one worker with SIGKILL once this share of the occurrences is done.
    pub kill_one_at: Option<f64>,
    /// Restart the harness's own Redis once this share of the occurrences is done.
    pub restart_redis_at: Option<f64>,
}

impl FleetConfig {
    /// Defaults for `component` of `psa`, run by `worker_binary`.
    pub fn new(worker_binary: PathBuf, component: PathBuf, psa: Psa) -> Self {
        Self {
            worker_binary,
            component,
            psa,
            processes: 4,
            sessions: 4,
            alerts: 1000,
            fault_rate: 0.1,
            seed: 7,
            attempts: 3,
            allowed_failures: 0,
            budget: RateBudgetConfig {
                max_requests: 500,
                window: Duration::from_secs(1),
            },
            alert_lease: Duration::from_secs(5),
            redis: None,
            kill_one_at: None,
            restart_redis_at: None,
        }
    }
}

/// The outcome: the soak's count and the fleet's own figures.
#[derive(Debug, Clone, Default)]
pub struct FleetReport {
    /// 0 lost, 0 duplicated... as for the single-process soak.
    pub soak: SoakReport,
    /// Worker processes started.
    pub processes: usize,
    /// Occurrences sent to two workers at the same moment.
    pub simultaneous_pairs: usize,
    /// Calls redelivered to another worker after theirs died.
    pub redelivered: usize,
    /// The worker killed with SIGKILL, if one was.
    pub killed: Option<usize>,
    /// Whether the Redis was restarted mid-run.
    pub redis_restarted: bool,
    /// The most requests the mock received within any rolling budget window.
    pub peak_in_window: u64,
    /// The shared budget.
    pub budget: Option<RateBudgetConfig>,
    /// Occurrences whose simultaneous copies came back with different tickets.
    pub copies_disagreeing: usize,
    /// What was asked of the run: a kill and a Redis restart.
    pub wanted_kill: bool,
    /// Whether a Redis restart was asked for.
    pub wanted_restart: bool,
}

impl FleetReport {
    /// Why the run did not pass (empty when it passed).
    pub fn problems(&self) -> Vec<String> {
        let mut problems = self.soak.problems();
        if let Some(budget) = self.budget {
            if self.peak_in_window > u64::from(budget.max_requests) {
                problems.push(format!(
                    "the mock saw {} requests within {:?}, over the budget of {}",
                    self.peak_in_window, budget.window, budget.max_requests
                ));
            }
        }
        if self.copies_disagreeing > 0 {
            problems.push(format!(
                "{} occurrences got different tickets from their two copies",
                self.copies_disagreeing
            ));
        }
        if self.wanted_kill && self.killed.is_none() {
            problems.push("no worker was killed".into());
        }
        if self.wanted_restart && !self.redis_restarted {
            problems.push("Redis was not restarted".into());
        }
        problems
    }

    /// Whether the run passed.
    pub fn passed(&self) -> bool {
        self.problems().is_empty()
    }
}

/// One call for a worker: `sync-alert` of soak alert `alert`, occurrence `occurrence`.
#[derive(Debug, Clone, Copy)]
struct Job {
    id: u64,
    alert: usize,
    occurrence: u32,
}

/// A worker's answer.
#[derive(Debug)]
enum Reply {
    /// The worker loaded the component and waits for jobs.
    Ready,
    /// The job's alert is on this ticket.
    Synced { job: u64, ticket: String },
    /// The job failed (the error's case).
    Failed { job: u64, error: String },
}

/// What the dispatcher hears from the workers.
#[derive(Debug)]
enum Event {
    Reply(Reply),
    Died(usize),
}

/// One occurrence being synced: how many copies are out and what came back.
#[derive(Debug, Default)]
struct Stage {
    occurrence: u32,
    outstanding: usize,
    tickets: Vec<String>,
    attempts: u32,
}

struct Worker {
    child: Child,
    stdin: Option<ChildStdin>,
    alive: bool,
    in_flight: usize,
}

/// Runs the fleet soak and checks the mock's state.
pub async fn run_fleet(config: FleetConfig) -> anyhow::Result<FleetReport> {
    let started = Instant::now();
    anyhow::ensure!(config.processes >= 1, "at least one process");
    if config.restart_redis_at.is_some() && config.redis.is_some() {
        anyhow::bail!("a Redis restart needs the harness's own Redis: leave out --redis");
    }
    let (redis_url, mut own_redis) = match &config.redis {
        Some(url) => (url.clone(), None),
        None => {
            let server = tokio::task::spawn_blocking(RedisServer::start).await??;
            (server.url(), Some(server))
        }
    };
    let limit = RateLimit {
        max_requests: config.budget.max_requests,
        window: config.budget.window,
    };
    let mock = PsaMock::start_limited(config.psa, Some(config.seed), Some(limit)).await?;
    inject_faults(&mock, config.fault_rate);

    let (events, mut inbox) = mpsc::unbounded_channel();
    let settings = json!({ "settings": mock.connector_settings() }).to_string();
    let mut workers = Vec::new();
    for index in 0..config.processes {
        workers.push(spawn_worker(&config, &redis_url, index, &settings, events.clone()).await?);
    }
    drop(events);
    // Every worker has loaded the component before the first alert goes out.
    let mut ready = 0;
    while ready < workers.len() {
        match inbox.recv().await {
            Some(Event::Reply(Reply::Ready)) => ready += 1,
            Some(Event::Died(index)) => anyhow::bail!("worker {index} exited while starting"),
            Some(other) => anyhow::bail!("unexpected message while starting: {other:?}"),
            None => anyhow::bail!("every worker exited while starting"),
        }
    }

    let mut dispatcher = Dispatcher {
        config: &config,
        workers,
        next_job: 0,
        jobs: HashMap::new(),
        stages: HashMap::new(),
        tally: Tally::default(),
        report: FleetReport {
            processes: config.processes,
            budget: Some(config.budget),
            wanted_kill: config.kill_one_at.is_some(),
            wanted_restart: config.restart_redis_at.is_some(),
            ..FleetReport::default()
        },
        done: 0,
    };
    let total: usize = (0..config.alerts).map(occurrences).sum();
    let mut pending: VecDeque<usize> = (0..config.alerts).collect();
    let mut restarting = None;
    let capacity = |d: &Dispatcher| d.alive_workers() * config.sessions.max(1);
    while dispatcher.done < total {
        while dispatcher.stages.len() < capacity(&dispatcher) {
            let Some(n) = pending.pop_front() else { break };
            dispatcher.start(n, 1).await?;
        }
        let share_done = dispatcher.done as f64 / total as f64;
        if let Some(at) = config.kill_one_at {
            if dispatcher.report.killed.is_none() && share_done >= at {
                dispatcher.kill(0).await;
            }
        }
        if let (Some(at), Some(_)) = (config.restart_redis_at, &own_redis) {
            if restarting.is_none() && share_done >= at {
                let mut server = own_redis.take().expect("own redis");
                restarting = Some(tokio::task::spawn_blocking(move || {
                    server.restart().map(|()| server)
                }));
            }
        }
        let Some(event) = inbox.recv().await else {
            anyhow::bail!("every worker died");
        };
        dispatcher.handle(event).await?;
    }
    if let Some(restart) = restarting {
        own_redis = Some(restart.await??);
        dispatcher.report.redis_restarted = true;
    }
    for worker in &mut dispatcher.workers {
        // End of input: the worker finishes and exits.
        worker.stdin = None;
    }
    for worker in &mut dispatcher.workers {
        let _ = tokio::time::timeout(Duration::from_secs(30), worker.child.wait()).await;
        let _ = worker.child.start_kill();
    }

    mock.server().clear_faults();
    let mut report = dispatcher.report;
    let tally = dispatcher.tally;
    report.soak = evaluate(
        config.alerts,
        config.allowed_failures,
        tally,
        &alert_tickets(&mock),
    );
    report.soak.requests = mock.server().total_requests();
    report.soak.faults_injected = mock.server().faults_fired();
    report.peak_in_window = mock.server().peak_requests_in_window(config.budget.window);
    report.soak.elapsed = started.elapsed();
    mock.shutdown().await;
    drop(own_redis);
    Ok(report)
}

/// Occurrences of soak alert `n` (every third fires twice, as in the single-process soak).
fn occurrences(n: usize) -> usize {
    if n.is_multiple_of(3) {
        2
    } else {
        1
    }
}

/// Whether occurrence 1 of alert `n` goes to two workers at once.
fn sent_twice(n: usize) -> bool {
    n.is_multiple_of(4)
}

struct Dispatcher<'a> {
    config: &'a FleetConfig,
    workers: Vec<Worker>,
    next_job: u64,
    /// Job id → (worker, job).
    jobs: HashMap<u64, (usize, Job)>,
    /// Alert → the occurrence being synced.
    stages: HashMap<usize, Stage>,
    tally: Tally,
    report: FleetReport,
    /// Occurrences finished (synced or failed for good).
    done: usize,
}

impl Dispatcher<'_> {
    fn alive_workers(&self) -> usize {
        self.workers.iter().filter(|w| w.alive).count()
    }

    /// The least busy live workers, at most `count`, distinct.
    fn least_busy(&self, count: usize) -> Vec<usize> {
        let mut alive: Vec<usize> = (0..self.workers.len())
            .filter(|&i| self.workers[i].alive)
            .collect();
        alive.sort_by_key(|&i| self.workers[i].in_flight);
        alive.truncate(count);
        alive
    }

    /// Starts (or retries) occurrence `occurrence` of alert `n`.
    async fn start(&mut self, n: usize, occurrence: u32) -> anyhow::Result<()> {
        let copies = if occurrence == 1 && sent_twice(n) && self.alive_workers() >= 2 {
            2
        } else {
            1
        };
        let stage = self.stages.entry(n).or_default();
        stage.occurrence = occurrence;
        stage.attempts += 1;
        stage.outstanding = copies;
        if copies == 2 {
            self.report.simultaneous_pairs += 1;
        }
        for worker in self.least_busy(copies) {
            self.send(
                worker,
                Job {
                    id: 0,
                    alert: n,
                    occurrence,
                },
            )
            .await?;
        }
        Ok(())
    }

    /// Sends `job` (with a fresh id) to `worker`.
    async fn send(&mut self, worker: usize, mut job: Job) -> anyhow::Result<()> {
        job.id = self.next_job;
        self.next_job += 1;
        self.tally.sync_calls += 1;
        let line = format!(
            "{}\n",
            json!({ "job": job.id, "alert": job.alert, "occurrence": job.occurrence })
        );
        self.jobs.insert(job.id, (worker, job));
        self.workers[worker].in_flight += 1;
        let written = match self.workers[worker].stdin.as_mut() {
            Some(stdin) => stdin.write_all(line.as_bytes()).await.is_ok(),
            None => false,
        };
        if !written {
            // It is dying: its reader reports it and the job is redelivered then.
            tracing::debug!(worker, "could not write to a worker");
        }
        Ok(())
    }

    async fn kill(&mut self, index: usize) {
        if let Some(worker) = self.workers.get_mut(index) {
            // SIGKILL: no chance to release leases or answer.
            let _ = worker.child.start_kill();
            self.report.killed = Some(index);
            println!("killed worker {index} (SIGKILL)");
        }
    }

    async fn handle(&mut self, event: Event) -> anyhow::Result<()> {
        match event {
            Event::Reply(Reply::Ready) => {}
            Event::Reply(Reply::Synced { job, ticket }) => self.finished(job, Ok(ticket)).await?,
            Event::Reply(Reply::Failed { job, error }) => self.finished(job, Err(error)).await?,
            Event::Died(index) => {
                self.workers[index].alive = false;
                self.workers[index].stdin = None;
                let orphans: Vec<Job> = self
                    .jobs
                    .values()
                    .filter(|(w, _)| *w == index)
                    .map(|(_, job)| *job)
                    .collect();
                self.jobs.retain(|_, (w, _)| *w != index);
                anyhow::ensure!(self.alive_workers() > 0, "every worker died");
                for job in orphans {
                    self.report.redelivered += 1;
                    let target = self.least_busy(1)[0];
                    self.send(target, job).await?;
                }
            }
        }
        Ok(())
    }

    async fn finished(&mut self, job: u64, result: Result<String, String>) -> anyhow::Result<()> {
        let Some((worker, job)) = self.jobs.remove(&job) else {
            return Ok(()); // a dead worker's late answer, already redelivered
        };
        self.workers[worker].in_flight -= 1;
        let Some(stage) = self.stages.get_mut(&job.alert) else {
            return Ok(());
        };
        stage.outstanding = stage.outstanding.saturating_sub(1);
        match result {
            Ok(ticket) => stage.tickets.push(ticket),
            Err(error) => *self.tally.errors.entry(error).or_default() += 1,
        }
        if stage.outstanding > 0 {
            return Ok(());
        }
        let (n, occurrence) = (job.alert, stage.occurrence);
        let tickets = std::mem::take(&mut stage.tickets);
        let attempts = stage.attempts;
        if let Some(first) = tickets.first() {
            if tickets.iter().any(|t| t != first) {
                self.report.copies_disagreeing += 1;
            }
            self.tally.links.insert(n, first.clone());
            self.tally.synced.entry(n).or_default().push(occurrence);
            self.done += 1;
            if occurrence == 1 && occurrences(n) == 2 {
                self.stages.remove(&n);
                return self.start(n, 2).await;
            }
            self.stages.remove(&n);
            return Ok(());
        }
        if attempts < self.config.attempts.max(1) {
            return self.start(n, occurrence).await;
        }
        // Failed for good.
        self.stages.remove(&n);
        if occurrence == 1 {
            self.tally.failed.push(n);
            self.done += occurrences(n);
        } else {
            self.tally.second_failed += 1;
            self.done += 1;
        }
        Ok(())
    }
}

/// Starts worker `index` and its reader task, and gives it the settings.
async fn spawn_worker(
    config: &FleetConfig,
    redis_url: &str,
    index: usize,
    settings: &str,
    events: mpsc::UnboundedSender<Event>,
) -> anyhow::Result<Worker> {
    let mut child = Command::new(&config.worker_binary)
        .arg("fleet-worker")
        .arg("--component")
        .arg(&config.component)
        .args(["--psa", config.psa.name()])
        .args(["--redis", redis_url])
        .args(["--sessions", &config.sessions.max(1).to_string()])
        .args(["--budget-requests", &config.budget.max_requests.to_string()])
        .args([
            "--budget-window-ms",
            &config.budget.window.as_millis().to_string(),
        ])
        .args(["--lease-ms", &config.alert_lease.as_millis().to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("cannot start {}", config.worker_binary.display()))?;
    let mut stdin = child.stdin.take().context("worker stdin")?;
    let stdout = child.stdout.take().context("worker stdout")?;
    stdin.write_all(format!("{settings}\n").as_bytes()).await?;
    tokio::spawn(async move {
        let mut lines = BufReader::new(stdout).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            match parse_reply(&line) {
                Some(reply) => {
                    let _ = events.send(Event::Reply(reply));
                }
                None => tracing::warn!(worker = index, %line, "unreadable worker output"),
            }
        }
        let _ = events.send(Event::Died(index));
    });
    Ok(Worker {
        child,
        stdin: Some(stdin),
        alive: true,
        in_flight: 0,
    })
}

fn parse_reply(line: &str) -> Option<Reply> {
    let value: Value = serde_json::from_str(line).ok()?;
    if value["ready"].as_bool() == Some(true) {
        return Some(Reply::Ready);
    }
    let job = value["job"].as_u64()?;
    if let Some(ticket) = value["ticket"].as_str() {
        return Some(Reply::Synced {
            job,
            ticket: ticket.to_string(),
        });
    }
    Some(Reply::Failed {
        job,
        error: value["error"].as_str()?.to_string(),
    })
}

/// What a worker process needs (the hidden `fleet-worker` subcommand's arguments).
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// The connector component.
    pub component: PathBuf,
    /// The PSA (for the soak's mapping profile).
    pub psa: Psa,
    /// The Redis to coordinate through.
    pub redis: String,
    /// Sessions working in parallel.
    pub sessions: usize,
    /// The shared budget.
    pub budget: RateBudgetConfig,
    /// The alert lease.
    pub alert_lease: Duration,
}

/// A worker: reads the settings line, then jobs from stdin, and answers each on stdout.
pub async fn run_worker(config: WorkerConfig) -> anyhow::Result<()> {
    let host = ConnectorHost::new(HostConfig {
        rate_budget: Some(config.budget),
        coordination: Coordination::Redis(RedisCoordination::new(config.redis.clone())),
        alert_lease: config.alert_lease,
        ..HostConfig::default()
    })?;
    let loader = host.clone();
    let path = config.component.clone();
    let connector = tokio::task::spawn_blocking(move || loader.load(path)).await??;
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let first = lines.next_line().await?.context("no settings line")?;
    let settings: Vec<(String, String)> =
        serde_json::from_value(serde_json::from_str::<Value>(&first)?["settings"].clone())?;

    let (jobs_tx, jobs_rx) = mpsc::unbounded_channel::<Job>();
    let jobs_rx = Arc::new(tokio::sync::Mutex::new(jobs_rx));
    let (out_tx, mut out_rx) = mpsc::unbounded_channel::<String>();
    let writer = tokio::spawn(async move {
        let mut stdout = tokio::io::stdout();
        while let Some(line) = out_rx.recv().await {
            if stdout.write_all(line.as_bytes()).await.is_err() {
                break;
            }
            let _ = stdout.flush().await;
        }
    });
    let profile = profile(config.psa);
    let mut sessions = Vec::new();
    for _ in 0..config.sessions.max(1) {
        let (connector, settings, jobs_rx, out_tx, profile) = (
            connector.clone(),
            settings.clone(),
            jobs_rx.clone(),
            out_tx.clone(),
            profile.clone(),
        );
        sessions.push(tokio::spawn(async move {
            let mut session: Option<ConnectorSession> = None;
            loop {
                let Some(job) = jobs_rx.lock().await.recv().await else {
                    return;
                };
                let reply = sync_one(&connector, &settings, &mut session, &profile, job).await;
                let _ = out_tx.send(format!("{reply}\n"));
            }
        }));
    }
    let _ = out_tx.send(format!("{}\n", json!({ "ready": true })));
    while let Some(line) = lines.next_line().await? {
        let value: Value = serde_json::from_str(&line)?;
        let job = Job {
            id: value["job"].as_u64().context("job id")?,
            alert: usize::try_from(value["alert"].as_u64().context("alert")?)?,
            occurrence: u32::try_from(value["occurrence"].as_u64().context("occurrence")?)?,
        };
        jobs_tx.send(job)?;
    }
    drop(jobs_tx);
    for session in sessions {
        let _ = session.await;
    }
    drop(out_tx);
    let _ = writer.await;
    Ok(())
}

/// One job on a session of this worker (opened, or replaced after a trap, as needed).
async fn sync_one(
    connector: &psa_host::LoadedConnector,
    settings: &[(String, String)],
    session: &mut Option<ConnectorSession>,
    profile: &psa_host::types::MappingProfile,
    job: Job,
) -> Value {
    if session.as_ref().is_none_or(ConnectorSession::is_poisoned) {
        *session = match connector.open(settings.to_vec()).await {
            Ok(Ok(s)) => Some(s),
            Ok(Err(error)) => return failed(job, connector_error_case(&error)),
            Err(error) => return failed(job, &host_error_case(&error)),
        };
    }
    let Some(current) = session.as_mut() else {
        return failed(job, "no session");
    };
    match current
        .sync_alert(profile, &alert(job.alert, job.occurrence))
        .await
    {
        Ok(Ok(outcome)) => json!({ "job": job.id, "ticket": outcome.ticket.id }),
        Ok(Err(error)) => failed(job, connector_error_case(&error)),
        Err(error) => failed(job, &host_error_case(&error)),
    }
}

fn failed(job: Job, error: &str) -> Value {
    json!({ "job": job.id, "error": error })
}

/// A host error's kind, for the error tally.
fn host_error_case(error: &HostError) -> String {
    let case = match error {
        HostError::Coordination(CoordinationError::Unavailable { .. }) => {
            "coordination-unavailable"
        }
        HostError::Coordination(CoordinationError::LeaseLost { .. }) => "lease-lost",
        HostError::Coordination(CoordinationError::LockTimeout { .. }) => "lock-timeout",
        HostError::Trap { .. } => "trap",
        HostError::Timeout { .. } => "timeout",
        HostError::Poisoned => "poisoned",
        _ => "other",
    };
    format!("host: {case}")
}
