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
//!   the same over HTTPS (the TLS mock, kept-alive TLS connections on both sides);
//! - live sessions: resident memory with N sessions open, each after one call, and the
//!   memory mappings each adds (`/proc/self/maps`);
//! - the component's size.

#[macro_use]
mod fixtures;
mod calls;
mod chart;
mod compile;
mod memory;
mod open;
mod report;
mod throughput;

use std::path::PathBuf;
use std::sync::Arc;

use crate::psa::{Psa, PsaMock};
use psa_native::NativeClient;

pub use chart::chart_svg;
use fixtures::Native;
pub use report::{value, BenchReport, Figure, Stat, Target, Unit};

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

/// What every phase measures with: the run's settings, the mock and the native side.
#[derive(Clone, Copy)]
struct Run<'a> {
    config: &'a BenchConfig,
    /// Samples per latency measurement (at least 1).
    iterations: usize,
    psa: Psa,
    mock: &'a PsaMock,
    native: &'a Native,
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
    let run = Run {
        config: &config,
        iterations,
        psa,
        mock: &mock,
        native: &native,
    };
    let connector = compile::compile(&run, &mut report).await?;
    let cache = compile::compile_cache(&run, &mut report).await?;
    open::session_open(&run, &connector, &cache, &mut report).await?;
    // The sessions of these three phases, and the HTTPS side's connector, stay to the end of
    // the run.
    let _in_guest = calls::in_guest_call(&run, &connector, &mut report).await?;
    let _create = calls::create_ticket(&run, &connector, &mut report).await?;
    let _sync = calls::sync_alert(&run, &connector, &mut report).await?;
    calls::http_call(&run, &connector, &mut report).await?;
    let tls = calls::Tls::start(&run).await?;
    calls::https_call(&run, &tls, &mut report).await?;
    throughput::throughput(&run, throughput::Over::http(&run, &connector), &mut report).await?;
    throughput::throughput(&run, throughput::Over::https(&tls), &mut report).await?;
    let calls::Tls {
        mock: tls_mock,
        connector: _tls_connector,
        ..
    } = tls;
    tls_mock.shutdown().await;
    memory::live_sessions(&run, &mut report).await?;
    mock.shutdown().await;
    Ok(report)
}
