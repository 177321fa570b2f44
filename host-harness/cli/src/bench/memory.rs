//! Live sessions: the memory N open sessions add to the process (`/proc/self/status`,
//! `smaps_rollup`, `maps`), with the pooling and the on-demand allocator, and natively.

use crate::psa::PsaMock;
use psa_host::{ConnectorHost, HostConfig, PoolingConfig};

use super::fixtures::{get_organization, native_get_organization, open, Native};
use super::report::{BenchReport, Stat, Target, Unit};
use super::{BenchConfig, Run};

/// For each of [`BenchConfig::live_sessions`], the memory that many live sessions add, and
/// the mappings each adds.
pub(super) async fn live_sessions(run: &Run<'_>, report: &mut BenchReport) -> anyhow::Result<()> {
    let Run {
        config,
        mock,
        native,
        ..
    } = *run;
    for &count in &config.live_sessions {
        let wasm = live_sessions_wasm(config, mock, count, true).await?;
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
            let on_demand = live_sessions_wasm(config, mock, count, false).await?;
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
    Ok(())
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
