//! Builds the hostile test connector (`fixtures/hostile-connector`, a workspace of its own with
//! its own `Cargo.lock`) for `wasm32-wasip2` twice: as is (`HOSTILE_CONNECTOR_WASM`) and with its
//! `escape-probes` feature, which imports files and sockets (`HOSTILE_ESCAPE_CONNECTOR_WASM`).
//! Also builds the HaloPSA connector as it was released for contract `psa:connector@0.1.0`,
//! from the repository's own history (`HALO_CONTRACT_0_1_0_WASM`): an old connector in the
//! field, for the contract-version tests. `PSA_SKIP_FIXTURE_BUILD=1` skips the builds.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The last commit whose contract was 0.1.0 (the tree `wit/since_v0.1.0/` was frozen from).
const CONTRACT_0_1_0_COMMIT: &str = "b1c2d0c5ea1b46abf4b154547e0d1749a482ef62";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    // At run time, not `env!`: a build script compiled in another clone of the workspace
    // (cargo shares it between clones using one target dir) must use this clone's paths.
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let manifest_dir = Path::new(&manifest_dir);
    let fixture = manifest_dir.join("fixtures").join("hostile-connector");
    let wit = [
        manifest_dir.join("..").join("wit"),
        // The fixture is built on the guest SDK.
        manifest_dir.join("..").join("plugin").join("sdk"),
    ];
    // (nested target dir, exported variable, features)
    for (target_dir_name, export_as, features) in [
        ("hostile-wasm-target", "HOSTILE_CONNECTOR_WASM", &[][..]),
        (
            "hostile-escape-wasm-target",
            "HOSTILE_ESCAPE_CONNECTOR_WASM",
            &["escape-probes"][..],
        ),
    ] {
        component_build::build(&component_build::Component {
            crate_dir: &fixture,
            artifact: "hostile_connector.wasm",
            target_dir_name,
            export_as,
            skip_var: "PSA_SKIP_FIXTURE_BUILD",
            also_watch: &wit,
            features,
        });
    }
    // The conformance suite's broken connector (the Halo connector with one defect per
    // setting), a workspace of its own like the hostile one.
    component_build::build(&component_build::Component {
        crate_dir: &manifest_dir.join("fixtures").join("broken-connector"),
        artifact: "broken_connector.wasm",
        target_dir_name: "broken-wasm-target",
        export_as: "BROKEN_CONNECTOR_WASM",
        skip_var: "PSA_SKIP_FIXTURE_BUILD",
        also_watch: &[
            manifest_dir.join("..").join("wit"),
            manifest_dir.join("..").join("plugin").join("sdk"),
            manifest_dir.join("..").join("plugin").join("halo"),
        ],
        features: &[],
    });
    build_released_halo(manifest_dir);
}

/// Extracts the tree of [`CONTRACT_0_1_0_COMMIT`] into `OUT_DIR` (once) and builds its HaloPSA
/// connector.
fn build_released_halo(manifest_dir: &Path) {
    if std::env::var("PSA_SKIP_FIXTURE_BUILD").is_ok_and(|v| v == "1") {
        println!("cargo:rustc-env=HALO_CONTRACT_0_1_0_WASM=/nonexistent/skipped");
        return;
    }
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR"));
    let tree = out_dir.join("halo-contract-0.1.0");
    let done = tree.join(".extracted");
    if !done.exists() {
        let _ = std::fs::remove_dir_all(&tree);
        std::fs::create_dir_all(&tree).expect("create the extraction directory");
        let repo = manifest_dir.join("..");
        let mut archive = Command::new("git")
            .arg("-C")
            .arg(&repo)
            .args(["archive", "--format=tar", CONTRACT_0_1_0_COMMIT])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("the contract 0.1.0 fixture needs git: {e}"));
        let tar = Command::new("tar")
            .arg("-x")
            .arg("-C")
            .arg(&tree)
            .stdin(archive.stdout.take().expect("piped"))
            .status()
            .expect("run tar");
        let archived = archive.wait().expect("wait for git");
        assert!(
            archived.success() && tar.success(),
            "cannot extract commit {CONTRACT_0_1_0_COMMIT} (the HaloPSA connector as released for \
             contract 0.1.0) from the repository's history: clone it without --depth, or set \
             PSA_SKIP_FIXTURE_BUILD=1 to skip the fixtures"
        );
        std::fs::write(&done, CONTRACT_0_1_0_COMMIT).expect("mark the extraction");
    }
    component_build::build(&component_build::Component {
        crate_dir: &tree.join("plugin").join("halo"),
        artifact: "halo_connector.wasm",
        target_dir_name: "halo-contract-0.1.0-wasm-target",
        export_as: "HALO_CONTRACT_0_1_0_WASM",
        skip_var: "PSA_SKIP_FIXTURE_BUILD",
        also_watch: &[],
        features: &[],
    });
}
