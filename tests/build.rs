//! Builds the hostile test connector (`fixtures/hostile-connector`, a workspace of its own with
//! its own `Cargo.lock`) for `wasm32-wasip2` twice: as is (`HOSTILE_CONNECTOR_WASM`) and with its
//! `escape-probes` feature, which imports files and sockets (`HOSTILE_ESCAPE_CONNECTOR_WASM`).
//! `PSA_SKIP_FIXTURE_BUILD=1` skips the builds.

use std::path::Path;

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
}
