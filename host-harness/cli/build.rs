//! With the `bundled-connector` feature (on by default), builds the HaloPSA connector in
//! `plugin/halo` (on the guest SDK in `plugin/sdk`, watched too) for `wasm32-wasip2` and exports
//! its path as `HALO_CONNECTOR_WASM` (see `psa_harness::bundled_halo_connector`).
//! `PSA_SKIP_PLUGIN_BUILD=1` skips the build.

use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var_os("CARGO_FEATURE_BUNDLED_CONNECTOR").is_none() {
        return;
    }
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    component_build::build(&component_build::Component {
        crate_dir: &workspace.join("plugin").join("halo"),
        artifact: "halo_connector.wasm",
        target_dir_name: "psa-wasm-target",
        export_as: "HALO_CONNECTOR_WASM",
        skip_var: "PSA_SKIP_PLUGIN_BUILD",
        also_watch: &[
            workspace.join("wit"),
            workspace.join("Cargo.lock"),
            workspace.join("plugin").join("sdk"),
        ],
        features: &[],
    });
}
