//! What the parts of one host share: the engine, the linker, the limits and the coordination
//! ([`HostShared`]), and one compiled component ([`LoadedComponent`]).
//!
//! This is the leaf of the crate's module graph: `engine` → `connector` → `session` →
//! `instance` → `shared`, never back.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use wasmtime::component::{ComponentExportIndex, InstancePre, Linker};
use wasmtime::Engine;

use crate::bindings::HostIndices;
use crate::cache::CompileCache;
use crate::config::HostConfig;
use crate::contract::{ContractSupport, ContractVersion};
use crate::coordination::HostCoordination;
use crate::state::SessionState;
use crate::types::ConnectorInfo;

/// How often the epoch advances; the granularity of call deadlines and guest yields.
pub(crate) const EPOCH_TICK: Duration = Duration::from_millis(10);

/// What every part of one host shares.
pub(crate) struct HostShared {
    pub(crate) engine: Engine,
    pub(crate) linker: Linker<SessionState>,
    pub(crate) config: HostConfig,
    pub(crate) coordination: Arc<HostCoordination>,
    /// The compile cache, when [`HostConfig::compile_cache`] names a directory.
    pub(crate) compile_cache: Option<CompileCache>,
    /// The pooled HTTP(S) client every session's requests go through.
    pub(crate) http: Arc<crate::http_client::HttpClient>,
}

/// A compiled, type-checked component: what every session of it is instantiated from.
pub(crate) struct LoadedComponent {
    pub(crate) path: Option<PathBuf>,
    pub(crate) pre: InstancePre<SessionState>,
    /// Typed export indices, for a component of the current contract; `None` for an older
    /// one, which runs through the adapter.
    pub(crate) indices: Option<HostIndices>,
    /// The contract version the component was built against, and how the host runs it.
    pub(crate) contract: (ContractVersion, ContractSupport),
    /// Export index of the connector interface, for the dynamic (JSON) API.
    pub(crate) interface: ComponentExportIndex,
    /// `info`, read once.
    pub(crate) info: tokio::sync::OnceCell<ConnectorInfo>,
}
