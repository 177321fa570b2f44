//! Loading the component: the compile (no cache), the compile cache's miss and loads, and the
//! component's size.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use psa_host::{ConnectorHost, HostConfig, LoadedConnector};

use super::report::{BenchReport, Stat, Unit};
use super::{BenchConfig, Run};

/// Loads the component on a new host without a compile cache: its size and the compile time.
/// The loaded connector serves the later phases.
pub(super) async fn compile(
    run: &Run<'_>,
    report: &mut BenchReport,
) -> anyhow::Result<LoadedConnector> {
    let Run { config, .. } = *run;
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
    Ok(connector)
}

/// The compile cache: the first load into an empty cache, loads from it, the entry's size.
/// The cache directory stays for the pooled session-open phase, which removes it.
pub(super) async fn compile_cache(
    run: &Run<'_>,
    report: &mut BenchReport,
) -> anyhow::Result<CacheFigures> {
    let Run {
        config, iterations, ..
    } = *run;
    let cache = measure_compile_cache(config, iterations).await?;
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
    Ok(cache)
}

/// What [`measure_compile_cache`] measured, and the cache directory it filled.
pub(super) struct CacheFigures {
    pub(super) dir: PathBuf,
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
