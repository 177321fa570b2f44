//! Throughput: `get-organization` calls per second over sessions in parallel (natively:
//! threads), and the connections the mock accepted for them; over HTTP and over HTTPS
//! ([`Over`]).

use std::sync::Barrier;
use std::time::Instant;

use crate::psa::{Psa, PsaMock};
use psa_host::LoadedConnector;

use super::calls::Tls;
use super::fixtures::{get_organization, native_get_organization, open, Native};
use super::report::{BenchReport, Stat, Target, Unit};
use super::Run;

/// What a throughput run goes through: the mock, the connector loaded on a host that reaches
/// it and the native side that reaches it, and how its rows are named.
#[derive(Clone, Copy)]
pub(super) struct Over<'a> {
    mock: &'a PsaMock,
    connector: &'a LoadedConnector,
    native: &'a Native,
    /// Before each row's key: `""` (HTTP) or `"https_"`.
    key_prefix: &'static str,
    /// In each row's label: `""` (HTTP) or `", HTTPS"`.
    label: &'static str,
}

impl<'a> Over<'a> {
    /// Plain HTTP: the run's mock, `connector` and native side (rows `throughput_N`,
    /// `connections_per_1000`).
    pub(super) fn http(run: &Run<'a>, connector: &'a LoadedConnector) -> Over<'a> {
        Over {
            mock: run.mock,
            connector,
            native: run.native,
            key_prefix: "",
            label: "",
        }
    }

    /// HTTPS: the TLS mock, its host's connector and the native side trusting its CA, on
    /// kept-alive TLS connections (rows `https_throughput_N`, `https_connections_per_1000`).
    pub(super) fn https(tls: &'a Tls) -> Over<'a> {
        Over {
            mock: &tls.mock,
            connector: &tls.connector,
            native: &tls.native,
            key_prefix: "https_",
            label: ", HTTPS",
        }
    }
}

/// Throughput at each of [`BenchConfig::throughput_sessions`](super::BenchConfig::throughput_sessions)
/// over `over`, and the connections it took per 1,000 requests.
pub(super) async fn throughput(
    run: &Run<'_>,
    over: Over<'_>,
    report: &mut BenchReport,
) -> anyhow::Result<()> {
    let Run { config, psa, .. } = *run;
    let Over {
        mock,
        connector,
        native,
        key_prefix,
        label,
    } = over;
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
        let rate = wasm_throughput(connector, mock, psa, sessions, per_session).await?;
        let after = counts();
        wasm_connections.0 += after.0 - before.0;
        wasm_connections.1 += after.1 - before.1;
        let before = counts();
        let native_rate = native.run(|n| native_throughput(n, sessions, per_session))?;
        let after = counts();
        native_connections.0 += after.0 - before.0;
        native_connections.1 += after.1 - before.1;
        let key = format!("{key_prefix}throughput_{sessions}");
        report.push(
            &key,
            &format!("throughput{label}, {sessions} sessions (native: threads)"),
            Unit::PerSecond,
            Some(Stat::single(rate, sessions * per_session)),
            Some(Stat::single(native_rate, sessions * per_session)),
        );
        report.target(&key, Target::AtLeastTimesNative(0.8));
    }
    if !config.throughput_sessions.is_empty() {
        let per_1000 = |(opened, requests): (u64, u64)| {
            Stat::single(
                opened as f64 * 1000.0 / requests.max(1) as f64,
                requests as usize,
            )
        };
        report.push(
            &format!("{key_prefix}connections_per_1000"),
            &format!(
                "connections accepted by the mock per 1,000 requests{label} (throughput runs, warm-up included)"
            ),
            Unit::Count,
            Some(per_1000(wasm_connections)),
            Some(per_1000(native_connections)),
        );
    }
    Ok(())
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
