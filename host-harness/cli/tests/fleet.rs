//! The fleet soak for real: several `psa-harness fleet-worker` processes, each a host with the
//! bundled connector, coordinating through a real `redis-server` against one mock PSA; repeats
//! of one alert go to two processes at the same moment, 10 % of requests fault, one process is
//! killed with SIGKILL and Redis is restarted mid-run. Counted from the mock's own state:
//! 0 lost, 0 duplicated, every occurrence once, and never more requests within a rolling
//! window than the shared budget.

use std::path::PathBuf;
use std::time::Duration;

use psa_harness::fleet::{run_fleet, FleetConfig};
use psa_harness::psa::Psa;
use psa_host::RateBudgetConfig;

fn fleet(psa: Psa) -> FleetConfig {
    let component = match psa {
        Psa::Halo => psa_harness::bundled_halo_connector(),
        Psa::Connectwise => psa_harness::bundled_connectwise_connector(),
    };
    let mut config = FleetConfig::new(
        PathBuf::from(env!("CARGO_BIN_EXE_psa-harness")),
        component,
        psa,
    );
    config.processes = 3;
    config.sessions = 2;
    config.alerts = 120;
    config.fault_rate = 0.1;
    config.budget = RateBudgetConfig {
        max_requests: 60,
        window: Duration::from_millis(500),
    };
    // A killed host blocks its alerts for at most this long.
    config.alert_lease = Duration::from_secs(2);
    config.kill_one_at = Some(0.3);
    config.restart_redis_at = Some(0.6);
    config
}

async fn a_fleet_with_a_killed_host_and_a_redis_restart_loses_and_duplicates_nothing(psa: Psa) {
    let report = run_fleet(fleet(psa)).await.expect("the fleet soak runs");
    assert!(report.passed(), "{:?}\n{report:#?}", report.problems());
    // The run did what it claims: faults, simultaneous pairs, a kill, a restart, and a budget
    // that was reached (so "never above it" means something).
    assert_eq!(report.killed, Some(0));
    assert!(report.redis_restarted);
    assert!(report.simultaneous_pairs >= 25, "{report:#?}");
    assert!(report.soak.faults_injected > 0, "{report:#?}");
    assert_eq!(report.soak.succeeded, 120, "{report:#?}");
    assert_eq!(report.soak.tickets, 120, "{report:#?}");
    assert!(report.peak_in_window <= 60, "{report:#?}");
    assert!(
        report.peak_in_window >= 30,
        "the budget was never approached: {report:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn halo_fleet_with_a_killed_host_and_a_redis_restart() {
    a_fleet_with_a_killed_host_and_a_redis_restart_loses_and_duplicates_nothing(Psa::Halo).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connectwise_fleet_with_a_killed_host_and_a_redis_restart() {
    a_fleet_with_a_killed_host_and_a_redis_restart_loses_and_duplicates_nothing(Psa::Connectwise)
        .await;
}

/// The CLI flag: `soak --processes 2` with the harness's own Redis.
#[test]
fn soak_processes_runs_the_fleet_from_the_command_line() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_psa-harness"))
        .args(["soak", "--processes", "2", "--concurrency", "2"])
        .args(["--alerts", "40", "--budget", "50/500ms", "--lease", "2"])
        .args(["--kill-one-at", "50%"])
        .env_remove("RUST_LOG")
        .output()
        .expect("psa-harness runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("LOST:                 0"), "{stdout}");
    assert!(stdout.contains("DUPLICATED:           0"), "{stdout}");
    assert!(
        stdout.contains("killed (SIGKILL):     worker 0"),
        "{stdout}"
    );
    assert!(stdout.contains("PASS"), "{stdout}");
}
