//! A small soak (the README records the 10,000-alert run of `psa-harness soak`): alerts under
//! random faults end as exactly one ticket each or a reported failure, checked against the mock.

use psa_harness::soak::{run_soak, SoakConfig};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_under_random_faults_are_never_lost_or_duplicated() {
    let report = run_soak(SoakConfig {
        component: psa_harness::bundled_halo_connector(),
        alerts: 150,
        fault_rate: 0.15,
        seed: 3,
        concurrency: 4,
        ..SoakConfig::default()
    })
    .await
    .expect("the soak runs");
    assert_eq!(report.lost, 0, "{report:?}");
    assert_eq!(report.duplicated, 0, "{report:?}");
    assert_eq!(
        report.succeeded + report.reported_failures,
        150,
        "{report:?}"
    );
    assert_eq!(
        report.tickets,
        report.succeeded + report.failures_with_ticket,
        "{report:?}"
    );
    assert!(
        !report.errors.is_empty(),
        "faults were injected and seen: {report:?}"
    );
}
