//! The Node.js host (`host-harness/node`, the npm package `@psa-connector/host`) in the
//! workspace's test command: `npm ci` when its `node_modules` is missing or older than its
//! lock file, then `npm test` (Node's own test runner) with this build's `psa-harness` binary
//! (it starts the mocks) and bundled components passed by environment variables. The tests
//! build the hostile fixture themselves (with cargo, into a target dir of their own).
//!
//! Needs `node` (20 or newer) and `npm` on `PATH`; `.ci/run` checks for them.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn package_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("node")
        .canonicalize()
        .expect("host-harness/node exists")
}

fn run(dir: &Path, program: &str, args: &[&str], envs: &[(&str, PathBuf)]) -> Output {
    let mut cmd = Command::new(program);
    cmd.args(args).current_dir(dir);
    for (key, value) in envs {
        cmd.env(key, value);
    }
    cmd.output().unwrap_or_else(|e| {
        panic!(
            "cannot run `{program}` ({e}): the Node.js host's tests need Node.js 20 or newer and \
             npm on PATH (see host-harness/node/README.md)"
        )
    })
}

fn check(what: &str, output: &Output) {
    assert!(
        output.status.success(),
        "{what} failed ({}):\n--- stdout ---\n{}\n--- stderr ---\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Whether `npm ci` must run: no `node_modules`, or npm's record of what it installed is older
/// than the lock file.
fn needs_install(dir: &Path) -> bool {
    let installed = dir.join("node_modules").join(".package-lock.json");
    let modified = |p: &Path| p.metadata().and_then(|m| m.modified()).ok();
    match (
        modified(&installed),
        modified(&dir.join("package-lock.json")),
    ) {
        (Some(installed), Some(lock)) => installed < lock,
        _ => true,
    }
}

#[test]
fn npm_test_passes_for_both_connectors() {
    let dir = package_dir();
    if needs_install(&dir) {
        check(
            "npm ci",
            &run(&dir, "npm", &["ci", "--no-audit", "--no-fund"], &[]),
        );
    }
    let envs = [
        (
            "PSA_HARNESS_BIN",
            PathBuf::from(env!("CARGO_BIN_EXE_psa-harness")),
        ),
        ("PSA_HALO_WASM", psa_harness::bundled_halo_connector()),
        (
            "PSA_CONNECTWISE_WASM",
            psa_harness::bundled_connectwise_connector(),
        ),
    ];
    check(
        "npm test (host-harness/node)",
        &run(&dir, "npm", &["test"], &envs),
    );
}
