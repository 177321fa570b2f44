//! With the `bundled-connector` feature (on by default), builds both connectors on the guest SDK
//! (`plugin/sdk`, watched too) for `wasm32-wasip2`: the HaloPSA connector in `plugin/halo`,
//! exported as `HALO_CONNECTOR_WASM` (see `psa_harness::bundled_halo_connector`), and the
//! ConnectWise PSA connector in `plugin/connectwise`, exported as `CONNECTWISE_CONNECTOR_WASM`
//! (`psa_harness::bundled_connectwise_connector`).
//! `PSA_SKIP_PLUGIN_BUILD=1` skips the build.

use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var_os("CARGO_FEATURE_BUNDLED_CONNECTOR").is_none() {
        return;
    }
    // At run time, not `env!`: a build script compiled in another clone of the workspace
    // (cargo shares it between clones using one target dir) must use this clone's paths.
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let workspace = Path::new(&manifest_dir).join("../..");
    let also_watch = [
        workspace.join("wit"),
        workspace.join("Cargo.lock"),
        workspace.join("plugin").join("sdk"),
    ];
    for (dir, artifact, export_as) in [
        ("halo", "halo_connector.wasm", "HALO_CONNECTOR_WASM"),
        (
            "connectwise",
            "connectwise_connector.wasm",
            "CONNECTWISE_CONNECTOR_WASM",
        ),
    ] {
        component_build::build(&component_build::Component {
            crate_dir: &workspace.join("plugin").join(dir),
            artifact,
            target_dir_name: "psa-wasm-target",
            export_as,
            skip_var: "PSA_SKIP_PLUGIN_BUILD",
            also_watch: &also_watch,
            features: &[],
        });
    }
}
