//! With the `bundled-connector` feature (on by default), builds the HaloPSA connector in
//! `../plugin` for `wasm32-wasip2` in release mode and exports its path to the crate as
//! `HALO_CONNECTOR_WASM` (see `host_harness::bundled_halo_connector`).
//!
//! The nested build uses its own target directory (next to this build's `build/` folder), so it
//! does not wait on the outer build's lock, and is stripped of environment variables that would
//! carry the outer build's settings (flags, target, wrappers) into it.
//!
//! `PSA_SKIP_PLUGIN_BUILD=1` skips the nested build (for example while the connector does not
//! compile); the path is still exported and points at the last successful build, if any.

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
    if env::var_os("CARGO_FEATURE_BUNDLED_CONNECTOR").is_none() {
        return;
    }
    let manifest_dir =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let workspace = manifest_dir
        .parent()
        .expect("host-harness lives in the workspace")
        .to_path_buf();
    let plugin = workspace.join("plugin");
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR"));
    // OUT_DIR = <target>/<profile>/build/host-harness-<hash>/out: keep the nested target dir
    // stable across hash changes so that rebuilds are incremental.
    let target_dir = out_dir.ancestors().nth(3).map_or_else(
        || out_dir.join("wasm-target"),
        |profile_dir| profile_dir.join("psa-wasm-target"),
    );
    let wasm = target_dir
        .join("wasm32-wasip2")
        .join("release")
        .join("halo_connector.wasm");

    for path in ["src", "Cargo.toml"] {
        println!("cargo:rerun-if-changed={}", plugin.join(path).display());
    }
    println!("cargo:rerun-if-changed={}", workspace.join("wit").display());
    println!(
        "cargo:rerun-if-changed={}",
        workspace.join("Cargo.lock").display()
    );
    println!("cargo:rerun-if-env-changed=PSA_SKIP_PLUGIN_BUILD");
    println!("cargo:rustc-env=HALO_CONNECTOR_WASM={}", wasm.display());

    if env::var("PSA_SKIP_PLUGIN_BUILD").is_ok_and(|v| v == "1") {
        println!("cargo:warning=PSA_SKIP_PLUGIN_BUILD=1: not building the bundled HaloPSA connector ({})", wasm.display());
        return;
    }

    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.arg("build")
        .arg("--release")
        .arg("--target=wasm32-wasip2")
        .arg("--manifest-path")
        .arg(plugin.join("Cargo.toml"));
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
    eprintln!("building the bundled connector: {cmd:?}");
    let status = cmd
        .status()
        .unwrap_or_else(|e| panic!("cannot run cargo for the bundled connector: {e}"));
    if !status.success() {
        panic!(
            "building the bundled HaloPSA connector (plugin/) for wasm32-wasip2 failed ({status}); \
             see the cargo output above. Set PSA_SKIP_PLUGIN_BUILD=1 to build the host without it, \
             or disable the `bundled-connector` feature."
        );
    }
    if !wasm.exists() {
        panic!(
            "the connector build succeeded but {} is missing",
            wasm.display()
        );
    }
}
