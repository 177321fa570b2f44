//! Benchmarks of the host with a connector against its mock PSA ([`BenchConfig::psa`]): what a platform pays per
//! component, per session and per call. Numbers are measured, never asserted in tests.
//!
//! - compile: loading the component (cranelift compile, import/export checks), once per process;
//! - open: a new session (a fresh store, instantiation from the `InstancePre`, `session.open`);
//! - in-guest call: `list-statuses` answered from the session's cache (no HTTP): the cost of
//!   crossing into the component and back;
//! - HTTP call: `get-organization`, one request through wasi-http, the policy and the loopback mock;
//! - throughput: `get-organization` calls per second over `concurrency` sessions in parallel.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::psa::{Psa, PsaMock};
use psa_host::{ConnectorHost, ConnectorSession, HostConfig, LoadedConnector};

/// What to measure.
#[derive(Debug, Clone)]
pub struct BenchConfig {
    /// The connector component.
    pub component: PathBuf,
    /// The PSA the mock plays (the component must be that PSA's connector).
    pub psa: Psa,
    /// Samples per measurement.
    pub iterations: usize,
    /// Sessions in parallel for the throughput run.
    pub concurrency: usize,
}

/// Distribution of one measurement.
#[derive(Debug, Clone, Copy, Default)]
pub struct Samples {
    /// Number of samples.
    pub count: usize,
    /// Fastest.
    pub min: Duration,
    /// Median.
    pub median: Duration,
    /// 95th percentile.
    pub p95: Duration,
    /// Slowest.
    pub max: Duration,
}

impl Samples {
    fn of(mut durations: Vec<Duration>) -> Samples {
        durations.sort();
        let at = |q: f64| durations[((durations.len() - 1) as f64 * q).round() as usize];
        Samples {
            count: durations.len(),
            min: durations[0],
            median: at(0.5),
            p95: at(0.95),
            max: durations[durations.len() - 1],
        }
    }
}

/// The results.
#[derive(Debug, Clone, Default)]
pub struct BenchReport {
    /// Size of the component file.
    pub component_bytes: u64,
    /// Compiling and checking the component.
    pub compile: Duration,
    /// Opening a session.
    pub open: Samples,
    /// A call answered inside the component.
    pub in_guest_call: Samples,
    /// A call making one HTTP request.
    pub http_call: Samples,
    /// HTTP calls per second over `concurrency` sessions.
    pub throughput_per_second: f64,
    /// Sessions used for the throughput.
    pub concurrency: usize,
}

async fn open(connector: &LoadedConnector, mock: &PsaMock) -> anyhow::Result<ConnectorSession> {
    connector
        .open(mock.connector_settings())
        .await?
        .map_err(|e| anyhow::anyhow!("settings refused: {e:?}"))
}

async fn get_organization(session: &mut ConnectorSession, psa: Psa) -> anyhow::Result<()> {
    session
        .get_organization(&psa.sample_organizations()[0].to_string())
        .await?
        .map(|_| ())
        .map_err(|e| anyhow::anyhow!("get-organization failed: {e:?}"))
}

/// Runs every measurement against a fresh mock.
pub async fn run_bench(config: BenchConfig) -> anyhow::Result<BenchReport> {
    let iterations = config.iterations.max(1);
    let psa = config.psa;
    let mock = PsaMock::start(psa, None).await?;
    // Measure the host, not the throttle.
    let host = ConnectorHost::new(HostConfig {
        rate_budget: None,
        ..HostConfig::default()
    })?;
    let component_bytes = std::fs::metadata(&config.component)?.len();
    let loader = host.clone();
    let path = config.component.clone();
    let started = Instant::now();
    let connector = tokio::task::spawn_blocking(move || loader.load(path)).await??;
    let compile = started.elapsed();
    // `info` is cached by the loaded connector after its first call; take it out of `open`.
    connector.info().await?;

    let mut opens = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let started = Instant::now();
        let session = open(&connector, &mock).await?;
        opens.push(started.elapsed());
        session.close().await?;
    }

    let mut session = open(&connector, &mock).await?;
    let warm = session.list_statuses().await?;
    warm.map_err(|e| anyhow::anyhow!("list-statuses failed: {e:?}"))?;
    let mut in_guest = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let started = Instant::now();
        session
            .list_statuses()
            .await?
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        in_guest.push(started.elapsed());
    }
    let mut http = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let started = Instant::now();
        get_organization(&mut session, psa).await?;
        http.push(started.elapsed());
    }

    let concurrency = config.concurrency.max(1);
    let per_session = iterations.div_ceil(concurrency).max(10);
    let mut sessions = Vec::with_capacity(concurrency);
    for _ in 0..concurrency {
        let mut s = open(&connector, &mock).await?;
        get_organization(&mut s, psa).await?; // token and discovery outside the timing
        sessions.push(s);
    }
    let started = Instant::now();
    let workers: Vec<_> = sessions
        .into_iter()
        .map(|mut s| {
            tokio::spawn(async move {
                for _ in 0..per_session {
                    get_organization(&mut s, psa).await?;
                }
                anyhow::Ok(())
            })
        })
        .collect();
    for worker in workers {
        worker.await??;
    }
    let throughput_per_second =
        (per_session * concurrency) as f64 / started.elapsed().as_secs_f64();
    mock.shutdown().await;

    Ok(BenchReport {
        component_bytes,
        compile,
        open: Samples::of(opens),
        in_guest_call: Samples::of(in_guest),
        http_call: Samples::of(http),
        throughput_per_second,
        concurrency,
    })
}
