//! For build scripts: builds a component crate for `wasm32-wasip2` (release) with a nested cargo
//! and exports the `.wasm` path to the calling crate as an environment variable.
//!
//! The nested build gets its own target directory next to the outer build's `build/` folder
//! (stable across build-script hash changes, so rebuilds are incremental, and never waiting on the
//! outer build's lock), and none of the outer build's flags, target or wrappers.
//!
//! rustup installs the targets of `rust-toolchain.toml` only when it installs the toolchain, so a
//! machine that already had the pinned toolchain may lack `wasm32-wasip2`. The build then adds it
//! with `rustup target add` (once, under a file lock shared by concurrent build scripts) and
//! explains what to do when that is impossible.

use std::env;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The target every component is built for.
const TARGET: &str = "wasm32-wasip2";

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
    /// Cargo features of the component crate to enable.
    pub features: &'a [&'a str],
}

/// Builds the component (panicking with a clear message on failure, as build scripts do) and
/// exports its path.
pub fn build(component: &Component) {
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR"));
    // OUT_DIR = <target>/<profile>/build/<crate>-<hash>/out
    // One nested target dir per source tree: two clones of the workspace sharing one
    // CARGO_TARGET_DIR must not mix their artifacts (cargo takes a crate built from the other
    // clone's sources for fresh, and links two copies of the SDK).
    let building_package =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let dir_name = format!(
        "{}-{:016x}",
        component.target_dir_name,
        tree_hash(&building_package)
    );
    let target_dir = out_dir.ancestors().nth(3).map_or_else(
        || out_dir.join(&dir_name),
        |profile_dir| profile_dir.join(&dir_name),
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

    ensure_target(&target_dir, component);
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args([
        "build",
        "--release",
        "--target=wasm32-wasip2",
        "--manifest-path",
    ])
    .arg(component.crate_dir.join("Cargo.toml"));
    if !component.features.is_empty() {
        cmd.arg("--features").arg(component.features.join(","));
    }
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
    // Components are shipped and loaded per tenant, so they are built for size: `z` and abort on
    // panic (a panic already traps in wasm; abort drops the unwinding glue). The host binaries
    // keep the workspace's `release` profile (`s`), which these variables do not reach.
    cmd.env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "z");
    cmd.env("CARGO_PROFILE_RELEASE_PANIC", "abort");
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

/// Makes sure the toolchain that builds `component` has the wasm target, installing it through
/// rustup when it is missing. Panics with what to do when it cannot.
fn ensure_target(target_dir: &Path, component: &Component) {
    if target_installed(component.crate_dir) {
        return;
    }
    // Concurrent build scripts (the CLI's and the tests') must not run rustup at once.
    let _lock = lock_file(target_dir.with_extension("rustup.lock"));
    if target_installed(component.crate_dir) {
        return;
    }
    let toolchain = env::var("RUSTUP_TOOLCHAIN")
        .ok()
        .or_else(rustup_toolchain_of_rustc);
    println!(
        "cargo:warning=the {TARGET} target is missing for {}: installing it with rustup",
        toolchain.as_deref().unwrap_or("the active toolchain")
    );
    let mut rustup =
        Command::new(env::var_os("RUSTUP").unwrap_or_else(|| OsString::from("rustup")));
    rustup.args(["target", "add", TARGET]);
    if let Some(toolchain) = &toolchain {
        rustup.args(["--toolchain", toolchain]);
    }
    rustup.current_dir(component.crate_dir);
    let outcome = rustup.output();
    let installed = matches!(&outcome, Ok(out) if out.status.success());
    if installed && target_installed(component.crate_dir) {
        return;
    }
    let why = match outcome {
        Ok(out) => format!(
            "`rustup target add {TARGET}` failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ),
        Err(e) => format!("rustup could not be run ({e})"),
    };
    panic!(
        "building {} needs the {TARGET} target, which is not installed, and {why}. \
         Install it with `rustup target add {TARGET}` (or your distribution's rust-std for \
         {TARGET}), or set {}=1 to skip building the component and pass a built one with \
         `--component`.",
        component.artifact, component.skip_var
    );
}

/// The rustup toolchain the build's `rustc` belongs to: the name of its sysroot folder
/// (`~/.rustup/toolchains/<name>`).
fn rustup_toolchain_of_rustc() -> Option<String> {
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| OsString::from("rustc"));
    let out = Command::new(rustc)
        .args(["--print", "sysroot"])
        .output()
        .ok()?;
    let sysroot = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    let in_rustup = sysroot
        .parent()
        .is_some_and(|p| p.file_name().is_some_and(|n| n == "toolchains"));
    in_rustup.then(|| sysroot.file_name()?.to_str().map(str::to_string))?
}

/// Whether the toolchain used in `dir` has the standard library for the wasm target.
fn target_installed(dir: &Path) -> bool {
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| OsString::from("rustc"));
    let Ok(out) = Command::new(rustc)
        .args(["--print", "target-libdir", "--target", TARGET])
        .current_dir(dir)
        .output()
    else {
        return false;
    };
    let libdir = String::from_utf8_lossy(&out.stdout).trim().to_string();
    out.status.success()
        && Path::new(&libdir).read_dir().is_ok_and(|mut entries| {
            entries
                .any(|e| e.is_ok_and(|e| e.file_name().to_string_lossy().starts_with("libcore-")))
        })
}

/// An exclusive lock held until the returned file is dropped.
fn lock_file(path: PathBuf) -> Option<std::fs::File> {
    if let Some(parent) = path.parent() {
        let _ = std::fs::create_dir_all(parent);
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .ok()?;
    file.lock().ok()?;
    Some(file)
}

/// A stable hash of where `dir` is (its canonical path): the package whose build script builds
/// components, so that its components share one nested target dir and another clone gets its
/// own.
fn tree_hash(dir: &Path) -> u64 {
    use std::hash::{Hash, Hasher};
    let path = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    // `DefaultHasher::new()` has fixed keys: the same path gives the same name in every build.
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    path.hash(&mut hasher);
    hasher.finish()
}
