//! Benchmarks of the host with a connector against its mock PSA ([`BenchConfig::psa`]): what a platform pays per
//! component, per session and per call. Numbers are measured, never asserted in tests.
//!
//! - compile: loading the component (cranelift compile, import/export checks), once per process;
//! - cache load: loading it from the compile cache instead (mapping the compiled code written by
//!   an earlier load, import/export checks), as every process after the first does;
//! - open: a new session (a fresh store, instantiation from the `InstancePre`, `session.open`),
//!   with wasmtime's on-demand allocator (the library's default) and with its pooling allocator;
//! - in-guest call: `list-statuses` answered from the session's cache (no HTTP): the cost of
//!   crossing into the component and back;
//! - HTTP call: `get-organization`, one request through wasi-http, the policy and the loopback mock;
//! - throughput: `get-organization` calls per second over `concurrency` sessions in parallel.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::psa::{Psa, PsaMock};
use psa_host::{ConnectorHost, ConnectorSession, HostConfig, LoadedConnector, PoolingConfig};

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
    /// An empty directory for the compile cache measurement (removed afterwards); default: a
    /// new one in the system's temporary directory.
    pub cache_dir: Option<PathBuf>,
    /// Sessions kept open at once, each after one call, for the memory a live session costs
    /// (0: not measured).
    pub live_sessions: usize,
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
    /// The first load with a compile cache: compiling, checking, serializing and writing the
    /// entry.
    pub cache_miss: Duration,
    /// Loads from the compile cache (each a new host, as a new process would have).
    pub cache_load: Samples,
    /// Size of the compile cache's entry for the component.
    pub cache_entry_bytes: u64,
    /// Opening a session.
    pub open: Samples,
    /// Opening a session on a host with the pooling allocator.
    pub open_pooled: Samples,
    /// A call answered inside the component.
    pub in_guest_call: Samples,
    /// A call making one HTTP request.
    pub http_call: Samples,
    /// HTTP calls per second over `concurrency` sessions.
    pub throughput_per_second: f64,
    /// Sessions used for the throughput.
    pub concurrency: usize,
    /// Sessions kept open for the memory measurement.
    pub live_sessions: usize,
    /// How much the process's resident set grew with them open (Linux `VmRSS`; `None`
    /// elsewhere or when not measured).
    pub live_sessions_rss_bytes: Option<u64>,
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

    let cache = measure_compile_cache(&config, iterations).await?;

    let opens = session_opens(&connector, &mock, iterations).await?;
    let pooled_host = ConnectorHost::new(HostConfig {
        rate_budget: None,
        pooling: Some(PoolingConfig {
            // The throughput run's sessions and the one above, with room to spare.
            max_instances: u32::try_from(config.concurrency)
                .unwrap_or(u32::MAX)
                .saturating_add(16),
            ..PoolingConfig::default()
        }),
        compile_cache: Some(cache.dir.clone()),
        ..HostConfig::default()
    })?;
    let path = config.component.clone();
    let pooled = tokio::task::spawn_blocking(move || pooled_host.load(path)).await??;
    pooled.info().await?;
    let opens_pooled = session_opens(&pooled, &mock, iterations).await?;
    drop(pooled);
    let _ = std::fs::remove_dir_all(&cache.dir);

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
    let live_sessions_rss_bytes =
        live_sessions_rss(&connector, &mock, psa, config.live_sessions).await?;
    mock.shutdown().await;

    Ok(BenchReport {
        component_bytes,
        compile,
        cache_miss: cache.miss,
        cache_load: cache.loads,
        cache_entry_bytes: cache.entry_bytes,
        open: Samples::of(opens),
        open_pooled: Samples::of(opens_pooled),
        in_guest_call: Samples::of(in_guest),
        http_call: Samples::of(http),
        throughput_per_second,
        concurrency,
        live_sessions: config.live_sessions,
        live_sessions_rss_bytes,
    })
}

/// How much this process's resident set grows with `count` sessions open, each after one
/// HTTP call (its token and discovery cached, as a platform's idle sessions are).
async fn live_sessions_rss(
    connector: &LoadedConnector,
    mock: &PsaMock,
    psa: Psa,
    count: usize,
) -> anyhow::Result<Option<u64>> {
    if count == 0 {
        return Ok(None);
    }
    let Some(before) = resident_bytes() else {
        return Ok(None);
    };
    let mut sessions = Vec::with_capacity(count);
    for _ in 0..count {
        let mut session = open(connector, mock).await?;
        get_organization(&mut session, psa).await?;
        sessions.push(session);
    }
    let after = resident_bytes();
    drop(sessions);
    Ok(after.map(|after| after.saturating_sub(before)))
}

/// This process's resident set (`VmRSS` of `/proc/self/status`), on Linux.
fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// `iterations` sessions of `connector` opened and closed one after the other: the time of
/// each open.
async fn session_opens(
    connector: &LoadedConnector,
    mock: &PsaMock,
    iterations: usize,
) -> anyhow::Result<Vec<Duration>> {
    let mut opens = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let started = Instant::now();
        let session = open(connector, mock).await?;
        opens.push(started.elapsed());
        session.close().await?;
    }
    Ok(opens)
}

/// What [`measure_compile_cache`] measured, and the cache directory it filled.
struct CacheFigures {
    dir: PathBuf,
    miss: Duration,
    loads: Samples,
    entry_bytes: u64,
}

/// One load into an empty compile cache (the miss), then loads from it, each on a new host.
async fn measure_compile_cache(
    config: &BenchConfig,
    iterations: usize,
) -> anyhow::Result<CacheFigures> {
    static RUN: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let dir = config.cache_dir.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!(
            "psa-harness-bench-cache-{}-{}",
            std::process::id(),
            RUN.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ))
    });
    let _ = std::fs::remove_dir_all(&dir);
    let host_config = HostConfig {
        rate_budget: None,
        compile_cache: Some(dir.clone()),
        ..HostConfig::default()
    };
    let component = config.component.clone();
    let dir_of_task = dir.clone();
    let samples = iterations.clamp(5, 50);
    let (miss, loads) = tokio::task::spawn_blocking(move || {
        let host = ConnectorHost::new(host_config.clone())?;
        let started = Instant::now();
        host.load(&component)?;
        let miss = started.elapsed();
        anyhow::ensure!(
            host.compile_cache_stats().misses == 1,
            "the first load into {} did not compile",
            dir_of_task.display()
        );
        let mut loads = Vec::with_capacity(samples);
        for _ in 0..samples {
            let host = ConnectorHost::new(host_config.clone())?;
            let started = Instant::now();
            host.load(&component)?;
            loads.push(started.elapsed());
            anyhow::ensure!(
                host.compile_cache_stats().hits == 1,
                "a load from {} did not hit the cache: {:?}",
                dir_of_task.display(),
                host.compile_cache_stats()
            );
        }
        anyhow::Ok((miss, loads))
    })
    .await??;
    let entry_bytes = std::fs::read_dir(&dir)?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "cwasm"))
        .map(|e| e.metadata().map(|m| m.len()).unwrap_or(0))
        .sum();
    Ok(CacheFigures {
        dir,
        miss,
        loads: Samples::of(loads),
        entry_bytes,
    })
}
