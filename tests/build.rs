//! Builds the hostile test connector (`fixtures/hostile-connector`) for `wasm32-wasip2` in
//! release mode and exports its path to the tests as `HOSTILE_CONNECTOR_WASM`.
//!
//! Like `host-harness/build.rs` for the real connector: the nested cargo gets its own target
//! directory (next to this build's `build/` folder, so repeat builds are incremental and do not
//! wait on the outer build's lock) and none of the outer build's flags, target or wrappers.
//! The fixture is a workspace of its own (and excluded from the root one), with its own
//! `Cargo.lock`.
//!
//! `PSA_SKIP_FIXTURE_BUILD=1` skips the nested build; the path is still exported and points at
//! the last successful build, if any.

use std::env;
use std::path::PathBuf;
use std::process::Command;

/// Variables of the outer build that must not reach the nested one.
const LEAKY_ENV: &[&str] = &[
    "RUSTFLAGS",
    "CARGO_ENCODED_RUSTFLAGS",
    "CARGO_BUILD_RUSTFLAGS",
    "CARGO_BUILD_TARGET",
    "CARGO_TARGET_DIR",
    "CARGO_BUILD_TARGET_DIR",
    "RUSTC_WRAPPER",
    "RUSTC_WORKSPACE_WRAPPER",
    "CARGO_BUILD_RUSTC_WRAPPER",
    "CARGO_BUILD_RUSTC_WORKSPACE_WRAPPER",
    "CARGO_PRIMARY_PACKAGE",
    "CARGO_MAKEFLAGS",
    "MAKEFLAGS",
    "MFLAGS",
    "CARGO_LLVM_COV",
    "CARGO_LLVM_COV_TARGET_DIR",
];

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let manifest_dir =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let workspace = manifest_dir
        .parent()
        .expect("tests/ lives in the workspace")
        .to_path_buf();
    let fixture = manifest_dir.join("fixtures").join("hostile-connector");
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR"));
    // OUT_DIR = <target>/<profile>/build/psa-e2e-<hash>/out: keep the nested target dir stable
    // across hash changes so that rebuilds are incremental.
    let target_dir = out_dir.ancestors().nth(3).map_or_else(
        || out_dir.join("hostile-wasm-target"),
        |profile_dir| profile_dir.join("hostile-wasm-target"),
    );
    let wasm = target_dir
        .join("wasm32-wasip2")
        .join("release")
        .join("hostile_connector.wasm");

    for path in ["src", "Cargo.toml", "Cargo.lock"] {
        println!("cargo:rerun-if-changed={}", fixture.join(path).display());
    }
    println!("cargo:rerun-if-changed={}", workspace.join("wit").display());
    println!("cargo:rerun-if-env-changed=PSA_SKIP_FIXTURE_BUILD");
    println!("cargo:rustc-env=HOSTILE_CONNECTOR_WASM={}", wasm.display());

    if env::var("PSA_SKIP_FIXTURE_BUILD").is_ok_and(|v| v == "1") {
        println!(
            "cargo:warning=PSA_SKIP_FIXTURE_BUILD=1: not building the hostile test connector ({})",
            wasm.display()
        );
        return;
    }

    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.arg("build")
        .arg("--release")
        .arg("--target=wasm32-wasip2")
        .arg("--manifest-path")
        .arg(fixture.join("Cargo.toml"));
    for var in LEAKY_ENV {
        cmd.env_remove(var);
    }
    // Per-target flags and linkers of the outer build (CARGO_TARGET_<TRIPLE>_RUSTFLAGS...).
    for (key, _) in env::vars_os() {
        if let Some(key) = key.to_str() {
            if key.starts_with("CARGO_TARGET_") && key != "CARGO_TARGET_DIR" {
                cmd.env_remove(key);
            }
        }
    }
    cmd.env("CARGO_TARGET_DIR", &target_dir);
    eprintln!("building the hostile test connector: {cmd:?}");
    let status = cmd
        .status()
        .unwrap_or_else(|e| panic!("cannot run cargo for the hostile test connector: {e}"));
    if !status.success() {
        panic!(
            "building the hostile test connector (tests/fixtures/hostile-connector) for \
             wasm32-wasip2 failed ({status}); see the cargo output above. Set \
             PSA_SKIP_FIXTURE_BUILD=1 to skip it."
        );
    }
    if !wasm.exists() {
        panic!(
            "the hostile connector build succeeded but {} is missing",
            wasm.display()
        );
    }
}
