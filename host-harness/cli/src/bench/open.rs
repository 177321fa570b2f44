//! Opening a session: wasm with the on-demand and the pooling allocator, and natively.

use std::time::{Duration, Instant};

use crate::psa::PsaMock;
use psa_host::{ConnectorHost, HostConfig, LoadedConnector, PoolingConfig};

use super::compile::CacheFigures;
use super::fixtures::open;
use super::report::{BenchReport, Stat, Unit};
use super::Run;

/// Session open: wasm (on-demand, and pooling on a host loading from the compile cache, which
/// is removed afterwards) and native `Connector::open`.
pub(super) async fn session_open(
    run: &Run<'_>,
    connector: &LoadedConnector,
    cache: &CacheFigures,
    report: &mut BenchReport,
) -> anyhow::Result<()> {
    let Run {
        config,
        iterations,
        mock,
        native,
        ..
    } = *run;
    let opens = session_opens(connector, mock, iterations).await?;
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
    let opens_pooled = session_opens(&pooled, mock, iterations).await?;
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
    Ok(())
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
