//! Benchmarks of the host with a connector against its mock PSA ([`BenchConfig::psa`]), each
//! figure next to its native twin: the same connector logic compiled natively (`psa-native`),
//! sending through a pooled keep-alive hyper client to the same mock, in the same run and the
//! same tokio runtime. Numbers are measured, never asserted in tests.
//!
//! Figures ([`Figure`]), each as n / min / median / p95, wasm and native where both exist:
//! - compile: loading the component (cranelift compile, import/export checks), once per process;
//!   cache load: loading it from the compile cache instead (each on a new host);
//! - open: a new session (a fresh store, instantiation from the `InstancePre`, `session.open`)
//!   with wasmtime's on-demand allocator and with its pooling allocator; natively
//!   `Connector::open`;
//! - in-guest call: `list-statuses` answered from the session's cache (no HTTP): the cost of
//!   crossing into the component and back;
//! - create-ticket with a warm token (and the requests each made, read from the mock);
//! - sync-alert of a new alert (a ticket created; requests each, from the mock);
//! - HTTP call: `get-organization`, one request through wasi-http, the policy and the mock;
//!   the same over HTTPS (a mock serving a test CA's certificate, trusted by both sides);
//! - throughput: `get-organization` calls per second over 1, 16, 64 sessions in parallel
//!   (natively: threads), and the connections the mock accepted per 1,000 of its requests;
//! - live sessions: resident memory with N sessions open, each after one call, and the
//!   memory mappings each adds (`/proc/self/maps`);
//! - the component's size.

use std::path::PathBuf;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use crate::psa::{Psa, PsaMock};
use psa_host::{ConnectorHost, ConnectorSession, HostConfig, LoadedConnector, PoolingConfig};
use psa_native::{NativeClient, NativePsa, NativeSession};

/// What to measure.
#[derive(Debug, Clone)]
pub struct BenchConfig {
    /// The connector component.
    pub component: PathBuf,
    /// The PSA the mock plays (the component must be that PSA's connector).
    pub psa: Psa,
    /// Samples per latency measurement.
    pub iterations: usize,
    /// Sessions in parallel for each throughput run (natively: threads).
    pub throughput_sessions: Vec<usize>,
    /// `get-organization` calls each throughput run makes in all (at least 10 a session).
    pub throughput_calls: usize,
    /// An empty directory for the compile cache measurement (removed afterwards); default: a
    /// new one in the system's temporary directory.
    pub cache_dir: Option<PathBuf>,
    /// For each count, that many sessions kept open at once, each after one call, for the
    /// memory a live session costs (empty: not measured).
    pub live_sessions: Vec<usize>,
}

impl BenchConfig {
    /// The full run: 1,000 samples, throughput at 1, 16 and 64 sessions, 1,000 and 10,000
    /// live sessions.
    pub fn full(component: PathBuf, psa: Psa) -> BenchConfig {
        BenchConfig {
            component,
            psa,
            iterations: 1000,
            throughput_sessions: vec![1, 16, 64],
            throughput_calls: 4000,
            cache_dir: None,
            live_sessions: vec![1000, 10_000],
        }
    }

    /// The same measurements with small counts, for CI: seconds in a debug build.
    pub fn quick(component: PathBuf, psa: Psa) -> BenchConfig {
        BenchConfig {
            iterations: 10,
            throughput_calls: 64,
            live_sessions: vec![20],
            ..BenchConfig::full(component, psa)
        }
    }
}

/// The unit of a [`Figure`]'s values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Milliseconds (a latency).
    Millis,
    /// Calls per second.
    PerSecond,
    /// Bytes.
    Bytes,
    /// A count (requests, connections, mappings).
    Count,
}

impl Unit {
    fn name(self) -> &'static str {
        match self {
            Unit::Millis => "ms",
            Unit::PerSecond => "calls/s",
            Unit::Bytes => "bytes",
            Unit::Count => "count",
        }
    }
}

/// One measurement's distribution (a single value has n = 1 and min = median = p95).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stat {
    /// Number of samples.
    pub n: usize,
    /// Smallest.
    pub min: f64,
    /// Median.
    pub median: f64,
    /// 95th percentile (of latencies: the slow end).
    pub p95: f64,
}

impl Stat {
    /// The distribution of `durations`, in milliseconds.
    fn of_durations(durations: &[Duration]) -> Stat {
        let mut ms: Vec<f64> = durations.iter().map(|d| d.as_secs_f64() * 1e3).collect();
        ms.sort_by(f64::total_cmp);
        let at = |q: f64| ms[((ms.len() - 1) as f64 * q).round() as usize];
        Stat {
            n: ms.len(),
            min: ms[0],
            median: at(0.5),
            p95: at(0.95),
        }
    }

    /// One value (measured once, or a total over `n` operations).
    fn single(value: f64, n: usize) -> Stat {
        Stat {
            n,
            min: value,
            median: value,
            p95: value,
        }
    }
}

/// What the issue asks of a figure.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Target {
    /// wasm's median at most this many times native's (latency).
    AtMostTimesNative(f64),
    /// wasm's median at least this many times native's (throughput).
    AtLeastTimesNative(f64),
    /// wasm's median at most this value.
    AtMost(f64),
}

impl Target {
    /// Whether `figure` meets it (`None` when a value it needs is missing).
    pub fn met(self, figure: &Figure) -> Option<bool> {
        match self {
            Target::AtMostTimesNative(r) => figure.ratio().map(|x| x <= r),
            Target::AtLeastTimesNative(r) => figure.ratio().map(|x| x >= r),
            Target::AtMost(v) => figure.wasm.map(|w| w.median <= v),
        }
    }

    /// `≤ 1.10× native`, `≥ 0.8× native`, `≤ 1 GiB`...
    pub fn describe(self, unit: Unit) -> String {
        match self {
            Target::AtMostTimesNative(r) => format!("≤ {r:.2}× native"),
            Target::AtLeastTimesNative(r) => format!("≥ {r:.2}× native"),
            Target::AtMost(v) => format!("≤ {}", value(unit, v)),
        }
    }
}

/// One row of the report: a measurement of the component (wasm) and of the same logic
/// natively, where both exist.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// Stable name (`http_call`, `throughput_16`...), for `--json` and tests.
    pub key: String,
    /// What it is, in words.
    pub label: String,
    /// The unit of the values.
    pub unit: Unit,
    /// In the component, through the host.
    pub wasm: Option<Stat>,
    /// The same logic natively.
    pub native: Option<Stat>,
    /// What issue 12 asks of it, if anything.
    pub target: Option<Target>,
}

impl Figure {
    /// wasm's median over native's, where both exist.
    pub fn ratio(&self) -> Option<f64> {
        match (self.wasm, self.native) {
            (Some(w), Some(n)) if n.median > 0.0 => Some(w.median / n.median),
            _ => None,
        }
    }
}

/// The results for one connector.
#[derive(Debug, Clone)]
pub struct BenchReport {
    /// The PSA (and connector) measured.
    pub psa: Psa,
    /// Every figure, in the order measured.
    pub figures: Vec<Figure>,
}

impl BenchReport {
    /// The figure named `key`.
    pub fn figure(&self, key: &str) -> Option<&Figure> {
        self.figures.iter().find(|f| f.key == key)
    }

    fn push(
        &mut self,
        key: &str,
        label: &str,
        unit: Unit,
        wasm: Option<Stat>,
        native: Option<Stat>,
    ) {
        self.figures.push(Figure {
            key: key.into(),
            label: label.into(),
            unit,
            wasm,
            native,
            target: None,
        });
    }

    fn target(&mut self, key: &str, target: Target) {
        if let Some(f) = self.figures.iter_mut().find(|f| f.key == key) {
            f.target = Some(target);
        }
    }

    /// The report as JSON.
    pub fn to_json(&self) -> serde_json::Value {
        let stat = |s: Option<Stat>| {
            s.map(|s| serde_json::json!({"n": s.n, "min": s.min, "median": s.median, "p95": s.p95}))
        };
        serde_json::json!({
            "psa": self.psa.name(),
            "figures": self.figures.iter().map(|f| serde_json::json!({
                "key": f.key,
                "label": f.label,
                "unit": f.unit.name(),
                "wasm": stat(f.wasm),
                "native": stat(f.native),
                "ratio": f.ratio(),
                "target": f.target.map(|t| t.describe(f.unit)),
                "target_met": f.target.and_then(|t| t.met(f)),
            })).collect::<Vec<_>>(),
        })
    }
}

/// A value in its unit, for people.
pub fn value(unit: Unit, v: f64) -> String {
    match unit {
        Unit::Millis if v < 1.0 => format!("{:.1} µs", v * 1e3),
        Unit::Millis => format!("{v:.2} ms"),
        Unit::PerSecond => format!("{v:.0}/s"),
        Unit::Bytes if v >= (1 << 30) as f64 => format!("{:.2} GiB", v / (1u64 << 30) as f64),
        Unit::Bytes if v >= (1 << 20) as f64 => format!("{:.1} MiB", v / (1u64 << 20) as f64),
        Unit::Bytes => format!("{:.0} KiB", v / 1024.0),
        Unit::Count => format!("{v:.2}"),
    }
}

// The same request values in the host's types and in the SDK's (the native connector's): the
// two are generated from the same WIT with the same field names, so one literal serves both.
mod host_types {
    pub use psa_host::types::*;
}
mod sdk_types {
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

fn native_get_organization(session: &NativeSession, psa: Psa) -> anyhow::Result<()> {
    session
        .get_organization(&psa.sample_organizations()[0].to_string())
        .map(|_| ())
        .map_err(|e| anyhow::anyhow!("native get-organization failed: {e:?}"))
}

/// Everything the native side needs, cloneable into blocking tasks and threads.
#[derive(Clone)]
struct Native {
    psa: Psa,
    client: NativeClient,
    settings: Arc<Vec<(String, String)>>,
}

impl Native {
    fn open(&self) -> anyhow::Result<NativeSession> {
        NativeSession::open(
            native_psa(self.psa),
            &self.settings,
            self.client.transport(),
        )
        .map_err(|e| anyhow::anyhow!("native open refused the settings: {e:?}"))
    }

    /// Runs `work` where blocking is allowed (the native transport blocks on the runtime):
    /// this worker thread, handed over to blocking (`block_in_place`; a multi-thread runtime).
    fn run<T>(&self, work: impl FnOnce(&Native) -> anyhow::Result<T>) -> anyhow::Result<T> {
        tokio::task::block_in_place(|| work(self))
    }
}

/// Runs every measurement against a fresh mock.
pub async fn run_bench(config: BenchConfig) -> anyhow::Result<BenchReport> {
    let iterations = config.iterations.max(1);
    let psa = config.psa;
    let mock = PsaMock::start(psa, None).await?;
    let native = Native {
        psa,
        client: NativeClient::new(tokio::runtime::Handle::current()),
        settings: Arc::new(mock.connector_settings()),
    };
    let mut report = BenchReport {
        psa,
        figures: Vec::new(),
    };
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
    report.push(
        "component_bytes",
        "component size",
        Unit::Bytes,
        Some(Stat::single(component_bytes as f64, 1)),
        None,
    );
    report.push(
        "compile",
        "compile + check the component (no cache)",
        Unit::Millis,
        Some(Stat::of_durations(&[compile])),
        None,
    );

    let cache = measure_compile_cache(&config, iterations).await?;
    report.push(
        "cache_miss",
        "first load with a compile cache (compile, write)",
        Unit::Millis,
        Some(Stat::of_durations(&[cache.miss])),
        None,
    );
    report.push(
        "cache_load",
        "load from the compile cache",
        Unit::Millis,
        Some(Stat::of_durations(&cache.loads)),
        None,
    );
    report.push(
        "cache_entry_bytes",
        "compile cache entry",
        Unit::Bytes,
        Some(Stat::single(cache.entry_bytes as f64, 1)),
        None,
    );

    // Session open: wasm (on-demand, pooling) and native `Connector::open`.
    let opens = session_opens(&connector, &mock, iterations).await?;
    let pooled_host = ConnectorHost::new(HostConfig {
        rate_budget: None,
        pooling: Some(PoolingConfig {
            max_instances: 64,
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
    let native_opens = native.run(|n| {
        (0..iterations)
            .map(|_| {
                let started = Instant::now();
                let session = n.open()?;
                let elapsed = started.elapsed();
                drop(session);
                Ok(elapsed)
            })
            .collect::<anyhow::Result<Vec<_>>>()
    })?;
    let native_open = Stat::of_durations(&native_opens);
    report.push(
        "open",
        "open a session (instantiate + open), on-demand allocator",
        Unit::Millis,
        Some(Stat::of_durations(&opens)),
        Some(native_open),
    );
    report.push(
        "open_pooled",
        "open a session, pooling allocator",
        Unit::Millis,
        Some(Stat::of_durations(&opens_pooled)),
        Some(native_open),
    );

    // Calls on one warm session each.
    let mut session = open(&connector, &mock).await?;
    get_organization(&mut session, psa).await?; // the token
    let mut in_guest = Vec::with_capacity(iterations);
    session
        .list_statuses()
        .await?
        .map_err(|e| anyhow::anyhow!("list-statuses failed: {e:?}"))?;
    let before = mock.server().total_requests();
    for _ in 0..iterations {
        let started = Instant::now();
        session
            .list_statuses()
            .await?
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        in_guest.push(started.elapsed());
    }
    let requests_per_list = (mock.server().total_requests() - before) as f64 / iterations as f64;
    let native_in_guest = native.run(|n| {
        let session = n.open()?;
        session
            .list_statuses()
            .map_err(|e| anyhow::anyhow!("native list-statuses: {e:?}"))?;
        (0..iterations)
            .map(|_| {
                let started = Instant::now();
                session
                    .list_statuses()
                    .map_err(|e| anyhow::anyhow!("{e:?}"))?;
                Ok(started.elapsed())
            })
            .collect::<anyhow::Result<Vec<_>>>()
    })?;
    report.push(
        "in_guest_call",
        "list-statuses, again on a warm session (HaloPSA: from the session's cache)",
        Unit::Millis,
        Some(Stat::of_durations(&in_guest)),
        Some(Stat::of_durations(&native_in_guest)),
    );
    report.push(
        "requests_per_list_statuses",
        "requests per list-statuses on a warm session (mock's count)",
        Unit::Count,
        Some(Stat::single(requests_per_list, iterations)),
        None,
    );

    // create-ticket with a warm token (and its lookups cached by one create first). Each
    // phase has a session of its own on both sides, as the native side has.
    let wasm_profile = profile!(host_types, psa);
    let create = |n: usize| ticket_request!(host_types, n);
    let mut session = open(&connector, &mock).await?;
    session
        .create_ticket(&wasm_profile, &create(0))
        .await?
        .map_err(|e| anyhow::anyhow!("create-ticket failed: {e:?}"))?;
    let before = mock.server().total_requests();
    let mut creates = Vec::with_capacity(iterations);
    for i in 0..iterations {
        let request = create(i + 1);
        let started = Instant::now();
        session
            .create_ticket(&wasm_profile, &request)
            .await?
            .map_err(|e| anyhow::anyhow!("create-ticket failed: {e:?}"))?;
        creates.push(started.elapsed());
    }
    let wasm_requests_per_create =
        (mock.server().total_requests() - before) as f64 / iterations as f64;
    let (native_creates, native_requests_per_create) = native.run(|n| {
        let session = n.open()?;
        let profile = profile!(sdk_types, n.psa);
        session
            .create_ticket(&profile, &ticket_request!(sdk_types, 0))
            .map_err(|e| anyhow::anyhow!("native create-ticket: {e:?}"))?;
        let before = mock.server().total_requests();
        let mut creates = Vec::with_capacity(iterations);
        for i in 0..iterations {
            let request = ticket_request!(sdk_types, i + 1);
            let started = Instant::now();
            session
                .create_ticket(&profile, &request)
                .map_err(|e| anyhow::anyhow!("native create-ticket: {e:?}"))?;
            creates.push(started.elapsed());
        }
        let requests = (mock.server().total_requests() - before) as f64 / iterations as f64;
        Ok((creates, requests))
    })?;
    report.push(
        "create_ticket",
        "create-ticket, warm token",
        Unit::Millis,
        Some(Stat::of_durations(&creates)),
        Some(Stat::of_durations(&native_creates)),
    );
    report.push(
        "requests_per_create",
        "requests per create-ticket (mock's count)",
        Unit::Count,
        Some(Stat::single(wasm_requests_per_create, iterations)),
        Some(Stat::single(native_requests_per_create, iterations)),
    );
    report.target("requests_per_create", Target::AtMost(1.0));

    // sync-alert of a new alert: a ticket created for it.
    let mut session = open(&connector, &mock).await?;
    session
        .create_ticket(&wasm_profile, &create(0))
        .await?
        .map_err(|e| anyhow::anyhow!("create-ticket failed: {e:?}"))?;
    let mut syncs = Vec::with_capacity(iterations);
    let before = mock.server().total_requests();
    for i in 0..iterations {
        let request = new_alert!(host_types, format!("bench/wasm/{i}"), i);
        let started = Instant::now();
        let outcome = session
            .sync_alert(&wasm_profile, &request)
            .await?
            .map_err(|e| anyhow::anyhow!("sync-alert failed: {e:?}"))?;
        syncs.push(started.elapsed());
        anyhow::ensure!(
            outcome.decision == host_types::SyncDecision::Created,
            "sync-alert of a new alert did not create a ticket: {:?}",
            outcome.decision
        );
    }
    let wasm_requests_per_sync =
        (mock.server().total_requests() - before) as f64 / iterations as f64;
    let (native_syncs, native_requests_per_sync) = native.run(|n| {
        let session = n.open()?;
        let profile = profile!(sdk_types, n.psa);
        // The token and lookups, as the wasm session has them.
        session
            .create_ticket(&profile, &ticket_request!(sdk_types, 0))
            .map_err(|e| anyhow::anyhow!("native create-ticket: {e:?}"))?;
        let before = mock.server().total_requests();
        let mut syncs = Vec::with_capacity(iterations);
        for i in 0..iterations {
            let request = new_alert!(sdk_types, format!("bench/native/{i}"), i);
            let started = Instant::now();
            let outcome = session
                .sync_alert(&profile, &request)
                .map_err(|e| anyhow::anyhow!("native sync-alert: {e:?}"))?;
            syncs.push(started.elapsed());
            anyhow::ensure!(
                outcome.decision == sdk_types::SyncDecision::Created,
                "native sync-alert of a new alert did not create a ticket"
            );
        }
        let requests = (mock.server().total_requests() - before) as f64 / iterations as f64;
        Ok((syncs, requests))
    })?;
    report.push(
        "sync_alert",
        "sync-alert, new alert (ticket created)",
        Unit::Millis,
        Some(Stat::of_durations(&syncs)),
        Some(Stat::of_durations(&native_syncs)),
    );
    report.push(
        "requests_per_sync",
        "requests per sync-alert of a new alert (mock's count)",
        Unit::Count,
        Some(Stat::single(wasm_requests_per_sync, iterations)),
        Some(Stat::single(native_requests_per_sync, iterations)),
    );

    // One HTTP request.
    let mut session = open(&connector, &mock).await?;
    get_organization(&mut session, psa).await?;
    let mut http = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let started = Instant::now();
        get_organization(&mut session, psa).await?;
        http.push(started.elapsed());
    }
    let native_http = native.run(|n| {
        let session = n.open()?;
        native_get_organization(&session, n.psa)?;
        (0..iterations)
            .map(|_| {
                let started = Instant::now();
                native_get_organization(&session, n.psa)?;
                Ok(started.elapsed())
            })
            .collect::<anyhow::Result<Vec<_>>>()
    })?;
    report.push(
        "http_call",
        "a call with one HTTP request (get-organization)",
        Unit::Millis,
        Some(Stat::of_durations(&http)),
        Some(Stat::of_durations(&native_http)),
    );
    report.target("http_call", Target::AtMostTimesNative(1.10));
    drop(session);

    // The same call over HTTPS: a mock serving a test CA's certificate, which both sides trust
    // (the host through `extra_ca_pem`), each on a kept-alive TLS connection.
    let ca = psa_mock::tls::TestCa::generate()?;
    let tls_mock = PsaMock::start_tls(psa, &ca).await?;
    let tls_host = ConnectorHost::new(HostConfig {
        rate_budget: None,
        extra_ca_pem: vec![ca.ca_pem()],
        ..HostConfig::default()
    })?;
    let path = config.component.clone();
    let tls_connector = tokio::task::spawn_blocking(move || tls_host.load(path)).await??;
    let mut session = open(&tls_connector, &tls_mock).await?;
    get_organization(&mut session, psa).await?;
    let mut https = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let started = Instant::now();
        get_organization(&mut session, psa).await?;
        https.push(started.elapsed());
    }
    drop(session);
    let tls_native = Native {
        psa,
        client: NativeClient::with_ca(tokio::runtime::Handle::current(), &[ca.ca_pem()])?,
        settings: Arc::new(tls_mock.connector_settings()),
    };
    let native_https = tls_native.run(|n| {
        let session = n.open()?;
        native_get_organization(&session, n.psa)?;
        (0..iterations)
            .map(|_| {
                let started = Instant::now();
                native_get_organization(&session, n.psa)?;
                Ok(started.elapsed())
            })
            .collect::<anyhow::Result<Vec<_>>>()
    })?;
    tls_mock.shutdown().await;
    report.push(
        "https_call",
        "a call with one HTTPS request (get-organization, TLS on a kept-alive connection)",
        Unit::Millis,
        Some(Stat::of_durations(&https)),
        Some(Stat::of_durations(&native_https)),
    );

    // Throughput, and the connections it took.
    let mut wasm_connections = (0u64, 0u64);
    let mut native_connections = (0u64, 0u64);
    for &sessions in &config.throughput_sessions {
        let sessions = sessions.max(1);
        let per_session = config.throughput_calls.div_ceil(sessions).max(10);
        // What the mock counted during each side's run (warm-up included).
        let counts = || {
            let server = mock.server();
            (server.connections_accepted(), server.total_requests())
        };
        let before = counts();
        let rate = wasm_throughput(&connector, &mock, psa, sessions, per_session).await?;
        let after = counts();
        wasm_connections.0 += after.0 - before.0;
        wasm_connections.1 += after.1 - before.1;
        let before = counts();
        let native_rate = native.run(|n| native_throughput(n, sessions, per_session))?;
        let after = counts();
        native_connections.0 += after.0 - before.0;
        native_connections.1 += after.1 - before.1;
        report.push(
            &format!("throughput_{sessions}"),
            &format!("throughput, {sessions} sessions (native: threads)"),
            Unit::PerSecond,
            Some(Stat::single(rate, sessions * per_session)),
            Some(Stat::single(native_rate, sessions * per_session)),
        );
        report.target(
            &format!("throughput_{sessions}"),
            Target::AtLeastTimesNative(0.8),
        );
    }
    if !config.throughput_sessions.is_empty() {
        let per_1000 = |(opened, requests): (u64, u64)| {
            Stat::single(
                opened as f64 * 1000.0 / requests.max(1) as f64,
                requests as usize,
            )
        };
        report.push(
            "connections_per_1000",
            "connections accepted by the mock per 1,000 requests (throughput runs, warm-up included)",
            Unit::Count,
            Some(per_1000(wasm_connections)),
            Some(per_1000(native_connections)),
        );
    }

    for &count in &config.live_sessions {
        let wasm = live_sessions_wasm(&config, &mock, count, true).await?;
        let native_live = native.run(|n| live_sessions_native(n, count))?;
        let stat = |m: Option<Memory>, field: fn(&Memory) -> f64| {
            m.map(|m| Stat::single(field(&m), count))
        };
        let maps =
            |m: Option<Memory>| m.map(|m| Stat::single(m.mappings as f64 / count as f64, count));
        report.push(
            &format!("live_{count}_rss"),
            &format!("resident memory (VmRSS) added by {count} live sessions, pooling allocator"),
            Unit::Bytes,
            stat(wasm, |m| m.resident_bytes as f64),
            stat(native_live, |m| m.resident_bytes as f64),
        );
        report.push(
            &format!("live_{count}_pss"),
            &format!("proportional memory (Pss: shared pages once) added by {count} live sessions"),
            Unit::Bytes,
            stat(wasm, |m| m.proportional_bytes as f64),
            stat(native_live, |m| m.proportional_bytes as f64),
        );
        report.push(
            &format!("live_{count}_maps"),
            &format!("memory mappings per live session ({count} open), pooling allocator"),
            Unit::Count,
            maps(wasm),
            maps(native_live),
        );
        if count == 10_000 {
            let gib = (1u64 << 30) as f64;
            report.target(&format!("live_{count}_rss"), Target::AtMost(gib));
            report.target(&format!("live_{count}_pss"), Target::AtMost(gib));
        }
        // The on-demand allocator maps each instance's memory, tables and stack on its own:
        // its mappings per session, where a run of that many fits under the kernel's limit.
        if count <= ON_DEMAND_LIVE_MAX {
            let on_demand = live_sessions_wasm(&config, &mock, count, false).await?;
            report.push(
                &format!("live_{count}_rss_on_demand"),
                &format!("resident memory added by {count} live sessions, on-demand allocator"),
                Unit::Bytes,
                stat(on_demand, |m| m.resident_bytes as f64),
                None,
            );
            report.push(
                &format!("live_{count}_maps_on_demand"),
                &format!("memory mappings per live session ({count} open), on-demand allocator"),
                Unit::Count,
                maps(on_demand),
                None,
            );
        }
    }
    mock.shutdown().await;
    Ok(report)
}

/// `get-organization` calls per second over `sessions` wasm sessions (tokio tasks).
async fn wasm_throughput(
    connector: &LoadedConnector,
    mock: &PsaMock,
    psa: Psa,
    sessions: usize,
    per_session: usize,
) -> anyhow::Result<f64> {
    let mut open_sessions = Vec::with_capacity(sessions);
    for _ in 0..sessions {
        let mut s = open(connector, mock).await?;
        get_organization(&mut s, psa).await?; // token and discovery outside the timing
        open_sessions.push(s);
    }
    let started = Instant::now();
    let workers: Vec<_> = open_sessions
        .into_iter()
        .map(|mut s| {
            tokio::spawn(async move {
                for _ in 0..per_session {
                    get_organization(&mut s, psa).await?;
                }
                anyhow::Ok(s)
            })
        })
        .collect();
    let mut done = Vec::with_capacity(sessions);
    for worker in workers {
        done.push(worker.await??);
    }
    Ok((per_session * sessions) as f64 / started.elapsed().as_secs_f64())
}

/// `get-organization` calls per second over `threads` native sessions, one a thread.
fn native_throughput(native: &Native, threads: usize, per_session: usize) -> anyhow::Result<f64> {
    let barrier = Barrier::new(threads + 1);
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                let barrier = &barrier;
                scope.spawn(move || {
                    let prepared = native.open().and_then(|session| {
                        native_get_organization(&session, native.psa)?;
                        Ok(session)
                    });
                    barrier.wait();
                    let session = prepared?;
                    for _ in 0..per_session {
                        native_get_organization(&session, native.psa)?;
                    }
                    anyhow::Ok(())
                })
            })
            .collect();
        barrier.wait();
        let started = Instant::now();
        for worker in workers {
            worker
                .join()
                .map_err(|_| anyhow::anyhow!("a native worker panicked"))??;
        }
        Ok((threads * per_session) as f64 / started.elapsed().as_secs_f64())
    })
}

/// Live-session counts up to which the on-demand allocator is measured too (beyond, its
/// mappings would approach `vm.max_map_count`).
const ON_DEMAND_LIVE_MAX: usize = 2000;

/// What a number of live sessions added to the process.
#[derive(Debug, Clone, Copy)]
struct Memory {
    resident_bytes: u64,
    proportional_bytes: u64,
    mappings: u64,
}

/// The process's memory at one instant: `VmRSS`, `Pss` and the number of mappings.
#[derive(Debug, Clone, Copy)]
struct Snapshot {
    rss: u64,
    pss: u64,
    maps: u64,
}

/// The first value (KiB) of the `name:` line of a /proc file, in bytes.
fn proc_kib(text: &str, name: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with(name))?;
    Some(line.split_whitespace().nth(1)?.parse::<u64>().ok()? * 1024)
}

/// This process's memory, after giving freed heap back to the system (so that an earlier
/// measurement's freed memory does not hide this one's). `VmRSS` counts a page once per
/// mapping it is mapped in: every instance maps the component's memory image, so the same
/// shared pages count once per session there, once in all in `Pss` (`smaps_rollup`).
fn memory_now() -> Option<Snapshot> {
    trim_heap();
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let rollup = std::fs::read_to_string("/proc/self/smaps_rollup").ok()?;
    Some(Snapshot {
        rss: proc_kib(&status, "VmRSS:")?,
        pss: proc_kib(&rollup, "Pss:")?,
        maps: std::fs::read_to_string("/proc/self/maps")
            .ok()?
            .lines()
            .count() as u64,
    })
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn trim_heap() {
    extern "C" {
        fn malloc_trim(pad: usize) -> i32;
    }
    // SAFETY: glibc's malloc_trim only returns free heap pages to the kernel; it takes no
    // pointer and is safe to call at any time from any thread.
    unsafe {
        malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn trim_heap() {}

fn grown(before: Option<Snapshot>, after: Option<Snapshot>) -> Option<Memory> {
    let (before, after) = (before?, after?);
    Some(Memory {
        resident_bytes: after.rss.saturating_sub(before.rss),
        proportional_bytes: after.pss.saturating_sub(before.pss),
        mappings: after.maps.saturating_sub(before.maps),
    })
}

/// `count` wasm sessions open at once, each after one HTTP call (its token and discovery
/// cached, as a platform's idle sessions are), on a new host with the pooling allocator sized
/// for them (`pooling`) or the on-demand one: what they add to the process.
async fn live_sessions_wasm(
    config: &BenchConfig,
    mock: &PsaMock,
    count: usize,
    pooling: bool,
) -> anyhow::Result<Option<Memory>> {
    let host = ConnectorHost::new(HostConfig {
        rate_budget: None,
        pooling: pooling.then(|| PoolingConfig {
            max_instances: u32::try_from(count).unwrap_or(u32::MAX).saturating_add(2),
            ..PoolingConfig::default()
        }),
        ..HostConfig::default()
    })?;
    let path = config.component.clone();
    let connector = tokio::task::spawn_blocking(move || host.load(path)).await??;
    connector.info().await?;
    let before = memory_now();
    let mut sessions = Vec::with_capacity(count);
    for i in 0..count {
        let mut session = open(&connector, mock)
            .await
            .map_err(|e| anyhow::anyhow!("live session {} of {count}: {e:#}", i + 1))?;
        get_organization(&mut session, config.psa).await?;
        sessions.push(session);
    }
    let after = memory_now();
    drop(sessions);
    Ok(grown(before, after))
}

/// `count` native sessions open at once, each after one HTTP call.
fn live_sessions_native(native: &Native, count: usize) -> anyhow::Result<Option<Memory>> {
    let before = memory_now();
    let mut sessions = Vec::with_capacity(count);
    for _ in 0..count {
        let session = native.open()?;
        native_get_organization(&session, native.psa)?;
        sessions.push(session);
    }
    let after = memory_now();
    drop(sessions);
    Ok(grown(before, after))
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
    loads: Vec<Duration>,
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
        loads,
        entry_bytes,
    })
}

/// Chart colours: wasm, native.
const COLOURS: [&str; 2] = ["#3b6fb6", "#e08a2c"];

/// The latency figures the chart shows, with short labels.
const CHART_LATENCY: [(&str, &str); 5] = [
    ("open_pooled", "open session (pooling)"),
    ("in_guest_call", "list-statuses (2nd call)"),
    ("http_call", "get-organization (1 req)"),
    ("create_ticket", "create-ticket"),
    ("sync_alert", "sync-alert (new)"),
];

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// An SVG chart of `reports` (one column per connector): latency medians with p95 whiskers
/// on a log scale, and throughput at each session count, wasm next to native.
pub fn chart_svg(reports: &[BenchReport], subtitle: &str) -> String {
    use std::fmt::Write;
    const PANEL_W: f64 = 470.0;
    const LABEL_W: f64 = 170.0;
    const BAR_H: f64 = 11.0;
    const ROW_H: f64 = 34.0;
    let columns = reports.len().max(1) as f64;
    let width = 20.0 + columns * (PANEL_W + 20.0);
    let latency_top = 80.0;
    let latency_h = 40.0 + CHART_LATENCY.len() as f64 * ROW_H;
    let throughput_top = latency_top + latency_h + 40.0;
    let throughput_rows = reports
        .iter()
        .map(|r| {
            r.figures
                .iter()
                .filter(|f| f.key.starts_with("throughput_"))
                .count()
        })
        .max()
        .unwrap_or(0) as f64;
    let throughput_h = 40.0 + throughput_rows * ROW_H;
    let height = throughput_top + throughput_h + 30.0;
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" font-family="sans-serif" font-size="12">"##
    );
    let _ = writeln!(svg, r##"<rect width="100%" height="100%" fill="white"/>"##);
    let _ = writeln!(
        svg,
        r##"<text x="20" y="28" font-size="17" font-weight="bold">psa-harness bench: the connector in wasm vs the same logic natively</text>"##
    );
    let _ = writeln!(
        svg,
        r##"<text x="20" y="48" fill="#555">{}. Bars: median; whiskers: p95. Lower latency, higher throughput is better.</text>"##,
        escape(subtitle)
    );
    for (i, name) in ["wasm (psa-host)", "native (psa-native)"]
        .iter()
        .enumerate()
    {
        let x = 20.0 + i as f64 * 170.0;
        let _ = writeln!(
            svg,
            r##"<rect x="{x}" y="58" width="12" height="12" fill="{}"/><text x="{}" y="69">{name}</text>"##,
            COLOURS[i],
            x + 17.0
        );
    }
    // Log scale from 1 µs to 100 ms.
    let (lo, hi) = (1e-3_f64.log10(), 100.0_f64.log10());
    for (col, report) in reports.iter().enumerate() {
        let left = 20.0 + col as f64 * (PANEL_W + 20.0);
        let plot_x = left + LABEL_W;
        let plot_w = PANEL_W - LABEL_W - 10.0;
        let x_of =
            |ms: f64| plot_x + plot_w * ((ms.max(1e-3).log10() - lo) / (hi - lo)).clamp(0.0, 1.0);
        let _ = writeln!(
            svg,
            r##"<text x="{left}" y="{}" font-weight="bold">{}: latency, median and p95 (log scale)</text>"##,
            latency_top,
            report.psa.title()
        );
        let axis_y = latency_top + 16.0 + CHART_LATENCY.len() as f64 * ROW_H;
        for (tick, label) in [
            (1e-3, "1 µs"),
            (1e-2, "10 µs"),
            (0.1, "100 µs"),
            (1.0, "1 ms"),
            (10.0, "10 ms"),
            (100.0, "100 ms"),
        ] {
            let x = x_of(tick);
            let _ = writeln!(
                svg,
                r##"<line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{axis_y:.1}" stroke="#ddd"/><text x="{x:.1}" y="{:.1}" text-anchor="middle" fill="#555" font-size="10">{label}</text>"##,
                latency_top + 10.0,
                axis_y + 12.0
            );
        }
        for (row, (key, label)) in CHART_LATENCY.iter().enumerate() {
            let y = latency_top + 16.0 + row as f64 * ROW_H;
            let _ = writeln!(
                svg,
                r##"<text x="{left}" y="{:.1}">{}</text>"##,
                y + BAR_H + 4.0,
                escape(label)
            );
            let Some(figure) = report.figure(key) else {
                continue;
            };
            for (i, stat) in [figure.wasm, figure.native].into_iter().enumerate() {
                let Some(stat) = stat else { continue };
                let by = y + i as f64 * (BAR_H + 1.0);
                let (x0, xm, xp) = (plot_x, x_of(stat.median), x_of(stat.p95));
                let _ = writeln!(
                    svg,
                    r##"<rect x="{x0:.1}" y="{by:.1}" width="{:.1}" height="{BAR_H}" fill="{}"/><line x1="{xm:.1}" y1="{:.1}" x2="{xp:.1}" y2="{:.1}" stroke="#333"/><line x1="{xp:.1}" y1="{by:.1}" x2="{xp:.1}" y2="{:.1}" stroke="#333"/><text x="{:.1}" y="{:.1}" font-size="10" fill="#222">{}</text>"##,
                    (xm - x0).max(1.0),
                    COLOURS[i],
                    by + BAR_H / 2.0,
                    by + BAR_H / 2.0,
                    by + BAR_H,
                    xp + 4.0,
                    by + BAR_H - 1.5,
                    escape(&value(Unit::Millis, stat.median))
                );
            }
            if let Some(ratio) = figure.ratio() {
                let _ = writeln!(
                    svg,
                    r##"<text x="{left}" y="{:.1}" font-size="10" fill="#555">wasm/native {ratio:.2}×</text>"##,
                    y + BAR_H + 17.0
                );
            }
        }
        // Throughput: linear scale from 0 to the panel's largest rate.
        let throughput: Vec<&Figure> = report
            .figures
            .iter()
            .filter(|f| f.key.starts_with("throughput_"))
            .collect();
        let max = throughput
            .iter()
            .flat_map(|f| [f.wasm, f.native])
            .flatten()
            .map(|s| s.median)
            .fold(1.0_f64, f64::max);
        let _ = writeln!(
            svg,
            r##"<text x="{left}" y="{throughput_top}" font-weight="bold">{}: throughput, get-organization calls/s</text>"##,
            report.psa.title()
        );
        for (row, figure) in throughput.iter().enumerate() {
            let y = throughput_top + 16.0 + row as f64 * ROW_H;
            let sessions = figure.key.trim_start_matches("throughput_");
            let _ = writeln!(
                svg,
                r##"<text x="{left}" y="{:.1}">{sessions} sessions / threads</text>"##,
                y + BAR_H + 4.0
            );
            for (i, stat) in [figure.wasm, figure.native].into_iter().enumerate() {
                let Some(stat) = stat else { continue };
                let by = y + i as f64 * (BAR_H + 1.0);
                let w = (plot_w - 60.0) * stat.median / max;
                let _ = writeln!(
                    svg,
                    r##"<rect x="{plot_x:.1}" y="{by:.1}" width="{:.1}" height="{BAR_H}" fill="{}"/><text x="{:.1}" y="{:.1}" font-size="10" fill="#222">{:.0}/s</text>"##,
                    w.max(1.0),
                    COLOURS[i],
                    plot_x + w + 4.0,
                    by + BAR_H - 1.5,
                    stat.median
                );
            }
            if let Some(ratio) = figure.ratio() {
                let _ = writeln!(
                    svg,
                    r##"<text x="{left}" y="{:.1}" font-size="10" fill="#555">wasm/native {ratio:.2}×</text>"##,
                    y + BAR_H + 17.0
                );
            }
        }
    }
    svg.push_str("</svg>\n");
    svg
}
