//! HTTPS from the command line: `call --ca-file` against a mock serving TLS with a test CA,
//! the certificate error an admin reads without it, a bad CA file named, and
//! `mock-halo --tls --ca-out FILE`.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use psa_mock::halo::{MockConfig, MockHalo};
use psa_mock::tls::TestCa;

fn scratch(name: &str, content: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("psa-harness-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path
}

async fn harness(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_psa-harness"))
            .env_remove("RUST_LOG")
            .args(&args)
            .output()
            .expect("psa-harness runs")
    })
    .await
    .unwrap()
}

fn settings(mock: &MockHalo) -> PathBuf {
    let settings: serde_json::Map<String, serde_json::Value> = mock
        .connector_settings()
        .into_iter()
        .map(|(k, v)| (k, v.into()))
        .collect();
    scratch(
        &format!("settings-{}.json", mock.addr().port()),
        &serde_json::Value::Object(settings).to_string(),
    )
}

fn call(settings: &std::path::Path, ca_files: &[&PathBuf]) -> Vec<String> {
    let mut args = vec![
        "call".to_string(),
        "--json".into(),
        "--settings".into(),
        settings.display().to_string(),
    ];
    for file in ca_files {
        args.extend(["--ca-file".to_string(), file.display().to_string()]);
    }
    args.push("test-connection".into());
    args
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_trusts_the_ca_files_it_is_given() {
    let ca = TestCa::generate().unwrap();
    let mock = MockHalo::start_tls(MockConfig::default(), &ca)
        .await
        .unwrap();
    let settings = settings(&mock);

    let output = harness(call(&settings, &[])).await;
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let error: serde_json::Value = serde_json::from_str(stderr.lines().last().unwrap()).unwrap();
    let transport = error["transport"].as_str().expect("a transport error");
    assert!(transport.contains(&mock.base_url()), "{transport}");
    assert!(transport.contains("unknown issuer"), "{transport}");
    assert!(transport.contains("--ca-file"), "{transport}");
    assert_eq!(mock.total_requests(), 0);

    let ca_file = scratch("ca.pem", &ca.ca_pem());
    let output = harness(call(&settings, &[&ca_file])).await;
    assert!(output.status.success(), "{output:?}");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["ok"], true, "{report}");
    assert!(mock.count("POST /auth/token") >= 1);

    let bad = scratch("bad.pem", "not a certificate");
    let output = harness(call(&settings, &[&ca_file, &bad])).await;
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(&bad.display().to_string()), "{stderr}");
    assert!(stderr.contains("no certificate"), "{stderr}");
}

#[test]
fn mock_halo_tls_writes_its_ca_and_serves_https() {
    let ca_out =
        std::env::temp_dir().join(format!("psa-harness-tls-ca-{}.pem", std::process::id()));
    let _ = std::fs::remove_file(&ca_out);
    let mut child = Command::new(env!("CARGO_BIN_EXE_psa-harness"))
        .env_remove("RUST_LOG")
        .args(["mock-halo", "--tls", "--ca-out"])
        .arg(&ca_out)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("psa-harness runs");
    let stdout = child.stdout.take().unwrap();
    let mut listening = None;
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if let Some(url) = line.strip_prefix("listening on ") {
            listening = Some(url.to_string());
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let url = listening.expect("the mock says where it listens");
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    let pem = std::fs::read_to_string(&ca_out).expect("the CA was written");
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
}
