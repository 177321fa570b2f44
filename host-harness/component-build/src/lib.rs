//! For build scripts: builds a component crate for `wasm32-wasip2` (release) with a nested cargo
//! and exports the `.wasm` path to the calling crate as an environment variable.
//!
//! The nested build gets its own target directory next to the outer build's `build/` folder
//! (stable across build-script hash changes, so rebuilds are incremental, and never waiting on the
//! outer build's lock), and none of the outer build's flags, target or wrappers.

use std::env;
use std::path::{Path, PathBuf};
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

/// One component to build.
pub struct Component<'a> {
    /// The component crate's directory (holding its `Cargo.toml`).
    pub crate_dir: &'a Path,
    /// The artifact's file name, e.g. `halo_connector.wasm`.
    pub artifact: &'a str,
    /// The nested target directory's name, e.g. `psa-wasm-target`.
    pub target_dir_name: &'a str,
    /// The variable the path is exported as, e.g. `HALO_CONNECTOR_WASM`.
    pub export_as: &'a str,
    /// Setting this variable to `1` skips the build (the path is still exported).
    pub skip_var: &'a str,
    /// More inputs that trigger a rebuild (e.g. the WIT folder).
    pub also_watch: &'a [PathBuf],
}

/// Builds the component (panicking with a clear message on failure, as build scripts do) and
/// exports its path.
pub fn build(component: &Component) {
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR"));
    // OUT_DIR = <target>/<profile>/build/<crate>-<hash>/out
    let target_dir = out_dir.ancestors().nth(3).map_or_else(
        || out_dir.join(component.target_dir_name),
        |profile_dir| profile_dir.join(component.target_dir_name),
    );
    let wasm = target_dir
        .join("wasm32-wasip2")
        .join("release")
        .join(component.artifact);

    for path in ["src", "Cargo.toml", "Cargo.lock"] {
        let path = component.crate_dir.join(path);
        if path.exists() {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }
    for path in component.also_watch {
        println!("cargo:rerun-if-changed={}", path.display());
    }
    println!("cargo:rerun-if-env-changed={}", component.skip_var);
    println!("cargo:rustc-env={}={}", component.export_as, wasm.display());

    if env::var(component.skip_var).is_ok_and(|v| v == "1") {
        println!(
            "cargo:warning={}=1: not building {}",
            component.skip_var,
            wasm.display()
        );
        return;
    }

    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args([
        "build",
        "--release",
        "--target=wasm32-wasip2",
        "--manifest-path",
    ])
    .arg(component.crate_dir.join("Cargo.toml"));
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
    eprintln!("building {}: {cmd:?}", component.artifact);
    let status = cmd
        .status()
        .unwrap_or_else(|e| panic!("cannot run cargo to build {}: {e}", component.artifact));
    assert!(
        status.success(),
        "building {} ({}) for wasm32-wasip2 failed ({status}); see the cargo output above. \
         Set {}=1 to skip it.",
        component.artifact,
        component.crate_dir.display(),
        component.skip_var
    );
    assert!(
        wasm.exists(),
        "the build succeeded but {} is missing",
        wasm.display()
    );
}
