//! The steps of `docs/writing-a-connector.md`, executed: `psa-harness new` scaffolds a connector
//! into a temporary directory, cargo builds it for `wasm32-wasip2` outside this workspace (and
//! runs its native unit tests), the harness loads it (`call info`), `open` names a bad field,
//! `test-connection` sends its one GET through the host to the mock HaloPSA (which has no
//! `/api/me`: a typed `not-found`, without the key), an operation it does not implement answers
//! `unsupported`, `psa-harness conformance` lists what is left (passes, not-applicable lines and
//! one failure with its reason, no crash), and after the guide's edit (`PROBE_PATH` = an
//! endpoint the mock answers) and a rebuild, `test-connection` passes.
//!
//! The scaffold's build uses a target directory beside this test's
//! (`<target>/psa-scaffold-target`), so repeat runs are warm.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use psa_host::types::ConnectorError;
use psa_host::{ConnectorHost, HostConfig};
use psa_mock::halo::{MockConfig, MockHalo};
use serde_json::Value;

const API_KEY: &str = "CANARY-acme-key-3b81";

/// This build's settings (`CARGO_*` but the cargo home, rustc wrappers, flags) must not reach
/// the scaffold's own cargo, which builds for another target in another directory.
fn leaks(key: &str) -> bool {
    (key.starts_with("CARGO_") && key != "CARGO_HOME")
        || key.starts_with("RUSTC_")
        || key.ends_with("RUSTFLAGS")
        || key.ends_with("RUSTDOCFLAGS")
        || key == "MAKEFLAGS"
}

fn harness(args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_psa-harness"));
    command.env_remove("RUST_LOG");
    command.args(args).output().expect("psa-harness runs")
}

fn text(output: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// `cargo <args>` in the scaffolded crate, with the shared scaffold target directory.
fn cargo(crate_dir: &Path, args: &[&str]) -> Output {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the target directory")
        .join("psa-scaffold-target");
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    for (key, _) in std::env::vars_os() {
        if key.to_str().is_some_and(leaks) {
            command.env_remove(key);
        }
    }
    command
        .args(args)
        .current_dir(crate_dir)
        .env("CARGO_TARGET_DIR", &target)
        .output()
        .expect("cargo runs")
}

fn scaffold() -> (PathBuf, PathBuf) {
    let root = std::env::temp_dir().join(format!("psa-harness-new-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let crate_dir = root.join("acme-connector");
    let out = harness(&[
        "new",
        "acme-connector",
        "--dir",
        crate_dir.to_str().unwrap(),
        "--psa-name",
        "Acme PSA",
    ]);
    assert!(out.status.success(), "new: {}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("acme_connector.wasm"));
    (root, crate_dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_guide_from_new_to_a_connector_the_host_runs() {
    let (root, crate_dir) = scaffold();

    // Build it as the guide says (the component), and run its native unit tests.
    let built = cargo(
        &crate_dir,
        &["build", "--target", "wasm32-wasip2", "--release"],
    );
    assert!(built.status.success(), "cargo build: {}", text(&built));
    let tested = cargo(&crate_dir, &["test"]);
    assert!(tested.status.success(), "cargo test: {}", text(&tested));
    let target = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .join("psa-scaffold-target");
    let wasm = target.join("wasm32-wasip2/release/acme_connector.wasm");
    assert!(wasm.is_file(), "{} was built", wasm.display());
    let component = wasm.to_str().unwrap();

    // `call info`: the form and the one capability.
    let out = harness(&["call", "--component", component, "--json", "info"]);
    assert!(out.status.success(), "call info: {}", text(&out));
    let info: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(info["name"], "acme-connector");
    assert_eq!(info["psa_name"], "Acme PSA");
    assert_eq!(info["capabilities"], serde_json::json!(["test-connection"]));
    let keys: Vec<&str> = info["settings_form"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["url", "api_key"]);

    // The host: open names the bad field; test-connection is one GET through the host to the
    // mock, which has no `/api/me` (it is a HaloPSA, not Acme): not-found, without the key.
    let (_host, connector) = load(&wasm).await;
    let settings = |url: &str, key: &str| {
        vec![
            ("url".to_string(), url.to_string()),
            ("api_key".to_string(), key.to_string()),
        ]
    };
    for (bad, field) in [
        (settings("not a url", API_KEY), "url"),
        (settings("https://psa.example.com/api", " "), "api_key"),
    ] {
        match connector.open(bad).await.unwrap() {
            Err(ConnectorError::InvalidSettings(problem)) => {
                assert_eq!(problem.key.as_deref(), Some(field))
            }
            other => panic!("bad {field}: {:?}", other.map(|_| "a session")),
        }
    }

    let mock = MockHalo::start(MockConfig::default()).await.unwrap();
    let url = format!("{}/api", mock.base_url());
    let mut session = connector
        .open(settings(&url, API_KEY))
        .await
        .unwrap()
        .expect("valid settings open a session");
    match session.test_connection().await.unwrap() {
        Err(ConnectorError::NotFound(message)) => {
            assert!(message.contains("GET /api/me"), "{message}");
            assert!(!message.contains(API_KEY), "no key in errors: {message}");
        }
        other => panic!("test-connection against the mock: {other:?}"),
    }
    assert_eq!(mock.count("GET /api/me"), 1, "{:?}", mock.counts());
    assert_eq!(mock.total_requests(), 1, "{:?}", mock.counts());

    // The same through `call`, as the guide shows it, and an operation left to implement.
    let settings_file = root.join("settings.json");
    std::fs::write(
        &settings_file,
        serde_json::json!({ "url": url, "api_key": API_KEY }).to_string(),
    )
    .unwrap();
    let settings_arg = settings_file.to_str().unwrap();
    for (op, case) in [
        ("test-connection", "not-found"),
        ("list-statuses", "unsupported"),
    ] {
        let out = harness(&[
            "call",
            "--component",
            component,
            "--settings",
            settings_arg,
            "--json",
            op,
        ]);
        assert_eq!(out.status.code(), Some(1), "{op}: {}", text(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(case), "{op}: {}", text(&out));
        assert!(!stderr.contains(API_KEY), "{op}: {}", text(&out));
    }

    // Conformance, the mock as the sandbox (`--mock none`: the mock HaloPSA's own settings are
    // not this connector's): the settings checks pass, every check of an operation the template
    // leaves out is listed as not applicable, and `auth-failed` fails with its reason (the mock
    // has no `/api/me`, so a wrong key is not-found there) - lines, not a crash.
    let out = harness(&[
        "conformance",
        "--component",
        component,
        "--mock",
        "none",
        "--settings",
        settings_arg,
    ]);
    let report = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(1), "conformance: {}", text(&out));
    let line = |id: &str| {
        report
            .lines()
            .find(|l| l.split_whitespace().nth(1) == Some(id))
            .unwrap_or_else(|| panic!("no line for {id}: {report}"))
            .to_string()
    };
    for id in [
        "contract-version",
        "info-complete",
        "invalid-settings",
        "own-hosts-only",
        "no-secrets",
    ] {
        assert!(line(id).starts_with("PASS"), "{id}: {report}");
    }
    for id in ["one-ticket-per-alert", "lost-link"] {
        assert!(
            line(id).starts_with("N/A") && line(id).contains("capability not declared"),
            "{id}: {report}"
        );
    }
    for id in ["typed-errors", "touched-stays-open", "audit-matches"] {
        assert!(line(id).starts_with("N/A"), "{id}: {report}");
    }
    let auth = line("auth-failed");
    assert!(
        auth.starts_with("FAIL") && auth.contains("not-found"),
        "{report}"
    );
    assert!(
        report.contains("5 passed, 1 failed, 5 not applicable"),
        "{report}"
    );

    // The guide's first edit: probe an endpoint the mock answers, rebuild, and it passes.
    let lib = crate_dir.join("src/lib.rs");
    let source = std::fs::read_to_string(&lib).unwrap();
    let probe = r#"const PROBE_PATH: &str = "me";"#;
    assert!(source.contains(probe), "the template's probe");
    std::fs::write(
        &lib,
        source.replace(probe, r#"const PROBE_PATH: &str = "authinfo";"#),
    )
    .unwrap();
    let rebuilt = cargo(
        &crate_dir,
        &["build", "--target", "wasm32-wasip2", "--release"],
    );
    assert!(rebuilt.status.success(), "rebuild: {}", text(&rebuilt));
    let (_host, connector) = load(&wasm).await;
    let mut session = connector
        .open(settings(&url, API_KEY))
        .await
        .unwrap()
        .unwrap();
    let report = session.test_connection().await.unwrap().unwrap();
    assert!(
        report.ok && report.checks.iter().all(|c| c.passed),
        "{report:?}"
    );
    assert_eq!(report.resource_url, url);
    assert!(mock.count("GET /api/authinfo") >= 1, "{:?}", mock.counts());

    mock.shutdown().await;
    let _ = std::fs::remove_dir_all(&root);
}

/// A fresh host with the component loaded (compiled on a blocking thread).
async fn load(wasm: &Path) -> (ConnectorHost, psa_host::LoadedConnector) {
    let host = ConnectorHost::new(HostConfig::default()).unwrap();
    let (loader, path) = (host.clone(), wasm.to_path_buf());
    let loaded = tokio::task::spawn_blocking(move || loader.load(path))
        .await
        .unwrap()
        .expect("the host loads the scaffolded component");
    (host, loaded)
}
