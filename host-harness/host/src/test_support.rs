//! Test helpers: components generated from WIT whose exports all trap (`unreachable`), so the
//! host's type-driven code can be tested without the real connector.

use wasmtime::component::types::ComponentItem;
use wasmtime::component::Type;
use wit_component::{ComponentEncoder, StringEncoding};
use wit_parser::{LiftLowerAbi, ManglingAndAbi, Resolve};

use crate::contract::CURRENT;
use crate::{ConnectorHost, HostConfig, LoadedConnector};

/// A component for `world` of the WIT package in `../wit`, or of `extra` (a WIT package text
/// that may use `psa:connector`) when given.
pub(crate) fn dummy_component(world: &str, extra: Option<&str>) -> Vec<u8> {
    dummy_component_in(
        std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../wit")),
        world,
        extra,
    )
}

/// Like [`dummy_component`], for the WIT package in `dir` (a frozen contract version, say).
pub(crate) fn dummy_component_in(
    dir: &std::path::Path,
    world: &str,
    extra: Option<&str>,
) -> Vec<u8> {
    let mut resolve = Resolve::default();
    let (mut pkg, _) = resolve.push_dir(dir).unwrap();
    if let Some(text) = extra {
        pkg = resolve.push_str("extra.wit", text).unwrap();
    }
    let world = resolve.select_world(&[pkg], Some(world)).unwrap();
    let mut module =
        wit_component::dummy_module(&resolve, world, ManglingAndAbi::Legacy(LiftLowerAbi::Sync));
    wit_component::embed_component_metadata(&mut module, &resolve, world, StringEncoding::UTF8)
        .unwrap();
    ComponentEncoder::default()
        .module(&module)
        .unwrap()
        .validate(true)
        .encode()
        .unwrap()
}

/// The dummy connector, loaded.
pub(crate) fn dummy_connector() -> (ConnectorHost, LoadedConnector) {
    dummy_connector_of("host")
}

/// A dummy connector of `world` (of `wit/`), loaded.
pub(crate) fn dummy_connector_of(world: &str) -> (ConnectorHost, LoadedConnector) {
    let host = ConnectorHost::new(HostConfig::default()).unwrap();
    let loaded = host.load_bytes(&dummy_component(world, None)).unwrap();
    (host, loaded)
}

/// Parameter types (after `self`) and the result type of `[method]session.<op>` (or of a
/// plain function such as `info`).
pub(crate) fn signature(loaded: &LoadedConnector, func: &str) -> (Vec<Type>, Type) {
    let engine = loaded.component.pre.engine();
    let component = loaded.component.pre.component().component_type();
    let Some(ComponentItem::ComponentInstance(interface)) = component
        .get_export(engine, &CURRENT.interface_name())
        .map(|e| e.ty)
    else {
        panic!("no connector interface");
    };
    let Some(ComponentItem::ComponentFunc(f)) = interface.get_export(engine, func).map(|e| e.ty)
    else {
        panic!("no function {func}");
    };
    let mut params: Vec<Type> = f.params().map(|(_, t)| t).collect();
    if func.starts_with("[method]") {
        params.remove(0);
    }
    let result = f.results().next().unwrap();
    (params, result)
}
