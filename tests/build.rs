//! Builds the hostile test connector (`fixtures/hostile-connector`, a workspace of its own with
//! its own `Cargo.lock`) for `wasm32-wasip2` twice: as is (`HOSTILE_CONNECTOR_WASM`) and with its
//! `escape-probes` feature, which imports files and sockets (`HOSTILE_ESCAPE_CONNECTOR_WASM`).
//! `PSA_SKIP_FIXTURE_BUILD=1` skips the builds.

use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    component_build::build(&component_build::Component {
        crate_dir: &manifest_dir.join("fixtures").join("hostile-connector"),
        artifact: "hostile_connector.wasm",
        target_dir_name: "hostile-wasm-target",
        export_as: "HOSTILE_CONNECTOR_WASM",
        skip_var: "PSA_SKIP_FIXTURE_BUILD",
        also_watch: &[manifest_dir.join("..").join("wit")],
        features: &[],
    });
    component_build::build(&component_build::Component {
        crate_dir: &manifest_dir.join("fixtures").join("hostile-connector"),
        artifact: "hostile_connector.wasm",
        target_dir_name: "hostile-escape-wasm-target",
        export_as: "HOSTILE_ESCAPE_CONNECTOR_WASM",
        skip_var: "PSA_SKIP_FIXTURE_BUILD",
        also_watch: &[manifest_dir.join("..").join("wit")],
        features: &["escape-probes"],
    });
}
