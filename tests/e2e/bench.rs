//! The quick bench runs end to end for both connectors, wasm and native in the same run. Its
//! numbers are for BENCHMARKS.md, never asserted: these tests check the structure of the
//! results (every figure measured on both sides where it has a twin, samples counted) and what
//! the mock counted (one request per create-ticket).

use std::path::PathBuf;

use psa_harness::bench::{chart_svg, run_bench, BenchConfig, BenchReport, Unit};
use psa_harness::psa::Psa;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quick_bench_measures_every_figure_for_halo() {
    bench(Psa::Halo, psa_harness::bundled_halo_connector()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quick_bench_measures_every_figure_for_connectwise() {
    bench(
        Psa::Connectwise,
        psa_harness::bundled_connectwise_connector(),
    )
    .await;
}

/// Latency figures measured in the component and natively.
const TWINS: [&str; 7] = [
    "open",
    "open_pooled",
    "in_guest_call",
    "create_ticket",
    "sync_alert",
    "http_call",
    "https_call",
];

async fn bench(psa: Psa, component: PathBuf) {
    let config = BenchConfig::quick(component, psa);
    let iterations = config.iterations;
    let report = run_bench(config).await.expect("the bench runs");

    for key in TWINS {
        let figure = report.figure(key).unwrap_or_else(|| panic!("no {key}"));
        assert_eq!(figure.unit, Unit::Millis);
        for stat in [figure.wasm, figure.native] {
            let stat = stat.unwrap_or_else(|| panic!("{key}: a side is missing: {figure:?}"));
            assert_eq!(stat.n, iterations, "{key}");
            assert!(
                0.0 < stat.min && stat.min <= stat.median && stat.median <= stat.p95,
                "{key}: {stat:?}"
            );
        }
        assert!(figure.ratio().is_some_and(|r| r > 0.0), "{key}");
    }

    // One request per create-ticket with a warm token, on both sides, as the mock counted.
    let per_create = report.figure("requests_per_create").unwrap();
    assert_eq!(per_create.wasm.unwrap().median, 1.0, "{per_create:?}");
    assert_eq!(per_create.native.unwrap().median, 1.0, "{per_create:?}");
    // A new alert's sync-alert made requests on both sides (a look-up and a create at least),
    // the same number each.
    let per_sync = report.figure("requests_per_sync").unwrap();
    assert!(per_sync.wasm.unwrap().median >= 2.0, "{per_sync:?}");
    assert_eq!(per_sync.wasm, per_sync.native);

    // Throughput over HTTP and over HTTPS (the TLS mock), both sides measured, each with
    // the ≥ 0.8× native target; the HTTPS rows right after the HTTP ones.
    for prefix in ["", "https_"] {
        for sessions in [1, 16, 64] {
            let key = format!("{prefix}throughput_{sessions}");
            let figure = report.figure(&key).unwrap_or_else(|| panic!("no {key}"));
            assert_eq!(figure.unit, Unit::PerSecond, "{key}");
            assert!(
                figure.wasm.unwrap().median > 0.0 && figure.native.unwrap().median > 0.0,
                "{figure:?}"
            );
            assert!(figure.ratio().is_some(), "{figure:?}");
            assert_eq!(
                figure.target,
                Some(psa_harness::bench::Target::AtLeastTimesNative(0.8)),
                "{key}"
            );
            assert!(figure.target.is_some_and(|t| t.met(figure).is_some()));
        }
        // Pooled connections on both sides: fewer connections than requests.
        let key = format!("{prefix}connections_per_1000");
        let connections = report.figure(&key).unwrap_or_else(|| panic!("no {key}"));
        for stat in [connections.wasm, connections.native] {
            let stat = stat.unwrap_or_else(|| panic!("{key}: a side is missing"));
            assert!(0.0 < stat.median && stat.median < 1000.0, "{connections:?}");
        }
    }
    let keys: Vec<&str> = report.figures.iter().map(|f| f.key.as_str()).collect();
    let http_end = keys
        .iter()
        .position(|&k| k == "connections_per_1000")
        .unwrap();
    assert_eq!(
        keys[http_end + 1..http_end + 5],
        [
            "https_throughput_1",
            "https_throughput_16",
            "https_throughput_64",
            "https_connections_per_1000"
        ],
        "{keys:?}"
    );
    assert!(report.figure("http_call").unwrap().target.is_some());

    let size = report.figure("component_bytes").unwrap();
    assert!(size.wasm.unwrap().median > 0.0 && size.native.is_none());
    assert!(report.figure("cache_load").unwrap().wasm.unwrap().n >= 5);
    // Live sessions: measured on Linux (/proc/self/status, /proc/self/maps). Twenty sessions
    // may fit in memory the process already had, so no size is asserted.
    let live = report.figure("live_20_rss").expect("20 live sessions");
    assert!(live.wasm.is_some() && live.native.is_some(), "{live:?}");

    chart_has_both_sides(&report);
}

fn chart_has_both_sides(report: &BenchReport) {
    let svg = chart_svg(std::slice::from_ref(report), "test");
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    // A bar per side for each of the five latency rows and three throughput rows.
    assert_eq!(svg.matches("fill=\"#3b6fb6\"").count(), 1 + 5 + 3, "{svg}");
    assert_eq!(svg.matches("fill=\"#e08a2c\"").count(), 1 + 5 + 3, "{svg}");
}
