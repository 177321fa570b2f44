//! What the parts of one host share: the engine, the linker, the limits and the coordination
//! ([`HostShared`]), and one compiled component ([`LoadedComponent`]).
//!
//! This is the leaf of the crate's module graph: `engine` → `connector` → `session` →
//! `instance` → `shared`, never back.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use wasmtime::component::{ComponentExportIndex, Linker};
use wasmtime::Engine;

use crate::bindings::{HostIndices, HostPre};
use crate::config::HostConfig;
use crate::coordination::HostCoordination;
use crate::state::SessionState;
use crate::types::ConnectorInfo;

/// How often the epoch advances; the granularity of call deadlines and guest yields.
pub(crate) const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Name of the exported interface every connector implements.
pub(crate) const CONNECTOR_INTERFACE: &str = "psa:connector/connector@0.1.0";

/// What every part of one host shares.
pub(crate) struct HostShared {
    pub(crate) engine: Engine,
    pub(crate) linker: Linker<SessionState>,
    pub(crate) config: HostConfig,
    pub(crate) coordination: Arc<HostCoordination>,
}

/// A compiled, type-checked component: what every session of it is instantiated from.
pub(crate) struct LoadedComponent {
    pub(crate) path: Option<PathBuf>,
    pub(crate) pre: HostPre<SessionState>,
    pub(crate) indices: HostIndices,
    /// Export index of the connector interface, for the dynamic (JSON) API.
    pub(crate) interface: ComponentExportIndex,
    /// `info`, read once.
    pub(crate) info: tokio::sync::OnceCell<ConnectorInfo>,
}
