//! The bench runs end to end (its numbers are for the README, never asserted).

use std::path::PathBuf;

use psa_harness::bench::{run_bench, BenchConfig};
use psa_harness::psa::Psa;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_measures_every_step_for_halo() {
    bench(Psa::Halo, psa_harness::bundled_halo_connector()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_measures_every_step_for_connectwise() {
    bench(
        Psa::Connectwise,
        psa_harness::bundled_connectwise_connector(),
    )
    .await;
}

async fn bench(psa: Psa, component: PathBuf) {
    let report = run_bench(BenchConfig {
        component,
        psa,
        iterations: 5,
        concurrency: 2,
        cache_dir: None,
        live_sessions: 20,
    })
    .await
    .expect("the bench runs");
    for samples in [
        report.open,
        report.open_pooled,
        report.in_guest_call,
        report.http_call,
    ] {
        assert_eq!(samples.count, 5);
        assert!(
            samples.min <= samples.median
                && samples.median <= samples.p95
                && samples.p95 <= samples.max
        );
    }
    assert!(report.throughput_per_second > 0.0);
    assert!(report.component_bytes > 0);
    // At least 5 loads from the cache (the bench checks each one hit it).
    assert!(report.cache_load.count >= 5, "{:?}", report.cache_load);
    assert!(report.cache_entry_bytes > 0);
    // The live sessions' memory is measured (Linux: /proc/self/status). Twenty sessions may
    // fit in memory the process already had (this run measured 0 bytes once), so no size is
    // asserted; the bench's figures use 1,000 and 10,000.
    assert_eq!(report.live_sessions, 20);
    assert!(report.live_sessions_rss_bytes.is_some(), "{report:?}");
}
