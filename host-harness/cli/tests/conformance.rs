//! `psa-harness conformance`: one line per check and the exit code (0 all applicable checks
//! pass, 1 a check fails, 2 a usage error). The suite itself is tested in `tests/e2e`.

use std::process::{Command, Output};

fn conformance(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_psa-harness"))
        .arg("conformance")
        .args(args)
        .output()
        .expect("psa-harness runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn the_bundled_connectors_pass_against_their_mocks() {
    for (component, mock) in [
        (psa_harness::bundled_halo_connector(), "halo"),
        (psa_harness::bundled_connectwise_connector(), "connectwise"),
    ] {
        let output = conformance(&["--component", component.to_str().unwrap(), "--mock", mock]);
        let text = stdout(&output);
        assert_eq!(output.status.code(), Some(0), "{mock}: {text}");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 12, "11 checks and a summary: {text}");
        assert!(
            lines[..11].iter().all(|l| l.starts_with("PASS  ")),
            "{text}"
        );
        assert!(
            lines[11].starts_with("conformant: 11 passed, 0 failed"),
            "{text}"
        );
    }
}

#[test]
fn a_failing_check_exits_1_and_json_reports_it() {
    // The HaloPSA connector against the ConnectWise mock: its settings do not fit.
    let halo = psa_harness::bundled_halo_connector();
    let output = conformance(&[
        "--component",
        halo.to_str().unwrap(),
        "--mock",
        "connectwise",
        "--json",
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    let report: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("one JSON document");
    assert_eq!(report["passed"], false);
    assert_eq!(report["checks"].as_array().map(Vec::len), Some(11));
    assert!(report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["outcome"] == "fail" && c["detail"].as_str().is_some_and(|d| !d.is_empty())));
}

#[test]
fn usage_errors_exit_2() {
    let halo = psa_harness::bundled_halo_connector();
    let output = conformance(&["--component", halo.to_str().unwrap(), "--mock", "none"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--settings"));
}
