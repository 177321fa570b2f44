//! [`ConnectorHost`]: the wasmtime engine, the linker and loading of connector components.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use crate::bindings::HostIndices;
use crate::cache::{CompileCache, CompileCacheStats};
use crate::config::Coordination;
use crate::config::{HostConfig, PoolingConfig};
use crate::connector::LoadedConnector;
use crate::contract::{contract_of, ContractSupport};
use crate::coordination::{Coordinator, HostCoordination};
use crate::error::{describe, HostError};
use crate::imports::{add_connector_imports, unprovided};
use crate::rate::RateBudgetState;
use crate::shared::{HostShared, LoadedComponent, EPOCH_TICK};
use crate::state::SessionState;

/// The embeddable connector host: one wasmtime engine with epoch interruption, a linker
/// offering WASI p2 and wasi-http, the host's limits and its per-PSA-instance rate budgets.
///
/// Cheap to clone. Create one per process (or per tenant of the platform) and load any number
/// of connector components with it. A background thread advances the engine's epoch every
/// 10 ms; it stops by itself once the host and everything loaded from it are dropped.
#[derive(Clone)]
pub struct ConnectorHost {
    shared: Arc<HostShared>,
}

impl ConnectorHost {
    /// Creates the engine, the linker and the epoch ticker, with the coordination backend
    /// `config.coordination` names. A Redis backend connects lazily: the host starts while
    /// Redis is down, and calls wait for it (see [`crate::coordination`]).
    pub fn new(config: HostConfig) -> Result<Self, HostError> {
        let shared: Option<Arc<dyn Coordinator>> = match &config.coordination {
            Coordination::InProcess => None,
            #[cfg(feature = "redis")]
            Coordination::Redis(redis) => Some(Arc::new(
                crate::coordination::RedisCoordinator::connect(redis)?,
            )),
            #[cfg(not(feature = "redis"))]
            Coordination::Redis(_) => {
                return Err(HostError::Engine(
                    "Coordination::Redis needs psa-host's `redis` feature".to_string(),
                ))
            }
        };
        Self::build(config, shared)
    }

    /// Like [`Self::new`], with a coordination backend of the platform's own (a store the
    /// platform already runs); `config.coordination` is then ignored.
    pub fn with_coordinator(
        config: HostConfig,
        coordinator: Arc<dyn Coordinator>,
    ) -> Result<Self, HostError> {
        Self::build(config, Some(coordinator))
    }

    fn build(config: HostConfig, shared: Option<Arc<dyn Coordinator>>) -> Result<Self, HostError> {
        let wasm_config = wasm_config(&config);
        Self::build_with(config, shared, wasm_config)
    }

    fn build_with(
        config: HostConfig,
        shared: Option<Arc<dyn Coordinator>>,
        wasm_config: Config,
    ) -> Result<Self, HostError> {
        let engine = Engine::new(&wasm_config).map_err(|e| HostError::Engine(describe(&e)))?;

        let mut linker = Linker::<SessionState>::new(&engine);
        add_connector_imports(&mut linker).map_err(|e| HostError::Engine(describe(&e)))?;

        let http = Arc::new(crate::http_client::HttpClient::new(&config)?);
        spawn_epoch_ticker(&engine)?;
        let coordination = Arc::new(HostCoordination::new(
            shared,
            config.rate_budget,
            config.alert_lease,
            config.request_timeout,
        ));
        Ok(Self {
            shared: Arc::new(HostShared {
                engine,
                linker,
                compile_cache: config.compile_cache.clone().map(CompileCache::new),
                config,
                coordination,
                http,
            }),
        })
    }

    /// The host's configuration.
    pub fn config(&self) -> &HostConfig {
        &self.shared.config
    }

    /// Reads and compiles the component at `path` and checks it against the host: every import
    /// must be provided by the linker and the `psa:connector/connector@0.2.0` export must have
    /// the expected functions and types. Compilation is CPU-bound (seconds for a release
    /// build); in async code call it from `tokio::task::spawn_blocking`. With
    /// [`HostConfig::compile_cache`] a component compiled before by an engine like this one is
    /// read from the cache instead (milliseconds; see [`crate::cache`]); the checks run either
    /// way.
    pub fn load(&self, path: impl AsRef<Path>) -> Result<LoadedConnector, HostError> {
        let path = path.as_ref();
        let failed = |message: String| HostError::Load {
            path: path.to_path_buf(),
            message,
        };
        let component = match &self.shared.compile_cache {
            Some(cache) => {
                let bytes = std::fs::read(path).map_err(|e| failed(e.to_string()))?;
                cache.load(&self.shared.engine, &bytes)
            }
            None => Component::from_file(&self.shared.engine, path),
        }
        .map_err(|e| failed(describe(&e)))?;
        self.prepare(component, Some(path.to_path_buf()))
    }

    /// Like [`Self::load`], for a component held in memory.
    pub fn load_bytes(&self, bytes: &[u8]) -> Result<LoadedConnector, HostError> {
        let component = match &self.shared.compile_cache {
            Some(cache) => cache.load(&self.shared.engine, bytes),
            None => Component::new(&self.shared.engine, bytes),
        }
        .map_err(|e| HostError::Load {
            path: PathBuf::from("<memory>"),
            message: describe(&e),
        })?;
        self.prepare(component, None)
    }

    /// What the compile cache has done since this host was created (all zero without
    /// [`HostConfig::compile_cache`]).
    pub fn compile_cache_stats(&self) -> CompileCacheStats {
        self.shared
            .compile_cache
            .as_ref()
            .map(CompileCache::stats)
            .unwrap_or_default()
    }

    fn prepare(
        &self,
        component: Component,
        path: Option<PathBuf>,
    ) -> Result<LoadedConnector, HostError> {
        let missing = unprovided(&component, &self.shared.engine);
        if !missing.is_empty() {
            return Err(HostError::Incompatible(format!(
                "the component imports {}, which a psa:connector host does not provide: \
                 connectors get HTTP through wasi:http and no files, sockets or other host \
                 capabilities (the imports a host provides are listed in wit/world.wit)",
                missing
                    .iter()
                    .map(|m| format!("`{m}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        // The contract version is read before anything is instantiated: an unsupported one is
        // refused with what to do, never with a linker error.
        let (export, version, support) = contract_of(&component, &self.shared.engine)?;
        let pre = self
            .shared
            .linker
            .instantiate_pre(&component)
            .map_err(|e| HostError::Incompatible(describe(&e)))?;
        let indices = match support {
            ContractSupport::Current => {
                Some(HostIndices::new(&pre).map_err(|e| HostError::Incompatible(describe(&e)))?)
            }
            ContractSupport::Older(_) => None,
        };
        let interface = component
            .get_export_index(None, &export)
            .ok_or_else(|| HostError::Incompatible(format!("no export named `{export}`")))?;
        Ok(LoadedConnector {
            shared: self.shared.clone(),
            component: Arc::new(LoadedComponent {
                path,
                pre,
                indices,
                contract: (version, support),
                interface,
                info: tokio::sync::OnceCell::new(),
            }),
        })
    }

    /// The name of the coordination backend (`in-process`, `redis`...).
    pub fn coordination_backend(&self) -> &'static str {
        self.shared.coordination.backend_name()
    }

    /// The state of the rate budget of one PSA instance (`scheme://host:port`, as
    /// [`Origin`](crate::policy::Origin) displays it), once a request has used it. With a
    /// shared backend this asks it, and counts the requests of every host.
    pub async fn rate_budget(&self, instance: &str) -> Result<Option<RateBudgetState>, HostError> {
        Ok(self.shared.coordination.budget_state(instance).await?)
    }

    /// The state of every rate budget this host used, by instance.
    pub async fn rate_budgets(&self) -> Result<Vec<(String, RateBudgetState)>, HostError> {
        Ok(self.shared.coordination.budget_states().await?)
    }
}

/// The engine's configuration: components, epoch interruption and, with
/// [`HostConfig::pooling`], the pooling allocator sized from the host's limits.
fn wasm_config(config: &HostConfig) -> Config {
    let mut wasm_config = Config::new();
    wasm_config.wasm_component_model(true);
    wasm_config.epoch_interruption(true);
    if let Some(pooling) = &config.pooling {
        wasm_config.allocation_strategy(InstanceAllocationStrategy::Pooling(pooling_allocation(
            pooling,
            config.memory_limit_bytes,
        )));
    }
    wasm_config
}

/// wasmtime's pooling limits for `pooling`, each linear memory capped at `memory_limit_bytes`
/// (the store's limiter enforces the same cap first and traps on a denied grow).
fn pooling_allocation(
    pooling: &PoolingConfig,
    memory_limit_bytes: usize,
) -> PoolingAllocationConfig {
    let instances = pooling.max_instances.max(1);
    let mut allocation = PoolingAllocationConfig::new();
    allocation
        .total_component_instances(instances)
        .total_core_instances(instances.saturating_mul(pooling.max_core_instances_per_component))
        .total_memories(instances.saturating_mul(pooling.max_memories_per_component))
        .total_tables(instances.saturating_mul(pooling.max_tables_per_component))
        .total_stacks(instances)
        .max_core_instances_per_component(pooling.max_core_instances_per_component)
        .max_memories_per_component(pooling.max_memories_per_component)
        .max_tables_per_component(pooling.max_tables_per_component)
        .max_memory_size(memory_limit_bytes)
        .max_unused_warm_slots(pooling.max_unused_warm_slots);
    allocation
}

fn spawn_epoch_ticker(engine: &Engine) -> Result<(), HostError> {
    let weak = engine.weak();
    std::thread::Builder::new()
        .name("psa-epoch-ticker".into())
        .spawn(move || loop {
            std::thread::sleep(EPOCH_TICK);
            match weak.upgrade() {
                Some(engine) => engine.increment_epoch(),
                None => break,
            }
        })
        .map(drop)
        .map_err(HostError::Io)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{dummy_component, dummy_connector, dummy_connector_of};

    /// A fresh cache directory of this test.
    fn cache_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("psa-host-cache-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    fn cached_host(dir: &Path) -> ConnectorHost {
        ConnectorHost::new(HostConfig {
            compile_cache: Some(dir.to_path_buf()),
            ..HostConfig::default()
        })
        .unwrap()
    }

    /// The stats of a host with no failed write.
    fn counted(hits: u64, misses: u64, rejected: u64) -> CompileCacheStats {
        CompileCacheStats {
            hits,
            misses,
            rejected,
            write_failures: 0,
        }
    }

    fn entries(dir: &Path) -> Vec<PathBuf> {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        entries
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_second_load_comes_from_the_compile_cache_and_is_checked_the_same() {
        let dir = cache_dir("hit");
        let bytes = dummy_component("host", None);
        let path = dir.join("connector.wasm");
        let first = cached_host(&dir);
        first.load_bytes(&bytes).unwrap();
        assert_eq!(first.compile_cache_stats(), counted(0, 1, 0));
        let written = entries(&dir);
        assert_eq!(written.len(), 1, "{written:?}");
        assert!(
            written[0].extension().is_some_and(|e| e == "cwasm"),
            "{written:?}"
        );

        // Another host (another process, as far as the cache knows) and `load(path)`.
        std::fs::write(&path, &bytes).unwrap();
        let second = cached_host(&dir);
        let loaded = second.load(&path).unwrap();
        assert_eq!(second.compile_cache_stats(), counted(1, 0, 0));
        // The deserialized component is the same connector: checked, and it runs (the
        // dummy's `info` traps inside the component).
        assert_eq!(loaded.contract_version(), crate::contract::CURRENT);
        let err = loaded.info().await.err().unwrap();
        assert!(matches!(err, HostError::Trap { .. }), "{err}");

        // A component the host refuses is refused from the cache too.
        let greedy = dummy_component(
            "greedy",
            Some(
                "package test:extra;
                interface secrets { reveal: func() -> string; }
                world greedy { import secrets; export psa:connector/connector@0.2.0; }",
            ),
        );
        for host in [&first, &second] {
            let err = host.load_bytes(&greedy).err().unwrap();
            assert!(matches!(err, HostError::Incompatible(_)), "{err}");
        }
        assert_eq!(second.compile_cache_stats().hits, 2);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_corrupt_cache_entry_is_compiled_again_and_overwritten() {
        let dir = cache_dir("corrupt");
        let bytes = dummy_component("host", None);
        cached_host(&dir).load_bytes(&bytes).unwrap();
        let entry = entries(&dir).remove(0);
        let good = std::fs::read(&entry).unwrap();

        for corrupt in [
            b"not a compiled component".to_vec(),
            good[..good.len() / 2].to_vec(),
            Vec::new(),
        ] {
            std::fs::write(&entry, &corrupt).unwrap();
            let host = cached_host(&dir);
            host.load_bytes(&bytes).unwrap();
            assert_eq!(host.compile_cache_stats(), counted(0, 1, 1));
            // Overwritten with a good entry: the next host hits.
            let next = cached_host(&dir);
            next.load_bytes(&bytes).unwrap();
            assert_eq!(next.compile_cache_stats().hits, 1);
        }
        // No temporary files left behind.
        assert_eq!(entries(&dir), vec![entry]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_engine_configured_differently_does_not_reuse_entries() {
        let dir = cache_dir("engines");
        let bytes = dummy_component("host", None);
        let config = HostConfig {
            compile_cache: Some(dir.clone()),
            ..HostConfig::default()
        };
        cached_host(&dir).load_bytes(&bytes).unwrap();
        // The same host settings on an engine that compiles differently: code without epoch
        // checks, which would run past every call deadline if this host mapped it.
        let mut other = wasm_config(&config);
        other.epoch_interruption(false);
        let no_epochs = ConnectorHost::build_with(config.clone(), None, other.clone()).unwrap();
        no_epochs.load_bytes(&bytes).unwrap();
        assert_eq!(no_epochs.compile_cache_stats(), counted(0, 1, 0));
        assert_eq!(entries(&dir).len(), 2);
        // One engine's entry under the other's name (as if the key had collided) is refused
        // by wasmtime's own check of the engine settings, and compiled again; never run.
        let ours = dir.join(format!(
            "{}.cwasm",
            crate::cache::cache_key(&cached_host(&dir).shared.engine, &bytes)
        ));
        let theirs = dir.join(format!(
            "{}.cwasm",
            crate::cache::cache_key(&no_epochs.shared.engine, &bytes)
        ));
        std::fs::copy(&ours, &theirs).unwrap();
        let again = ConnectorHost::build_with(config, None, other).unwrap();
        again.load_bytes(&bytes).unwrap();
        assert_eq!(again.compile_cache_stats(), counted(0, 1, 1));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_pooling_allocator_instantiates_from_its_slots() {
        let host = ConnectorHost::new(HostConfig {
            pooling: Some(crate::PoolingConfig {
                max_instances: 2,
                ..Default::default()
            }),
            ..HostConfig::default()
        })
        .unwrap();
        let loaded = host.load_bytes(&dummy_component("host", None)).unwrap();
        // Instantiation works from the pool (the dummy's `info` then traps in the guest).
        for _ in 0..5 {
            let err = loaded.info().await.err().unwrap();
            assert!(matches!(err, HostError::Trap { .. }), "{err}");
        }
    }

    #[test]
    fn garbage_fails_to_load_with_the_path() {
        let host = ConnectorHost::new(HostConfig::default()).unwrap();
        let dir = std::env::temp_dir().join(format!("psa-host-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("garbage.wasm");
        std::fs::write(&path, b"not wasm").unwrap();
        let err = host.load(&path).err().unwrap();
        assert!(
            matches!(&err, HostError::Load { path: p, .. } if *p == path),
            "{err}"
        );
        let err = host.load(dir.join("missing.wasm")).err().unwrap();
        assert!(matches!(err, HostError::Load { .. }), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn component_without_the_contract_is_incompatible() {
        let host = ConnectorHost::new(HostConfig::default()).unwrap();
        let bytes = dummy_component("empty", Some("package test:empty; world empty {}"));
        let err = host.load_bytes(&bytes).err().unwrap();
        assert!(
            matches!(&err, HostError::Incompatible(m) if m.contains("psa:connector/connector@0.2.0")),
            "{err}"
        );
    }

    /// The frozen previous contract (`wit/since_v0.1.0`) loads and runs through the adapter
    /// (the dummy's `info` traps: the call reached the component); a newer one is refused at
    /// load time with both versions and what to do.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn contract_versions_are_read_before_instantiating() {
        use crate::contract::{ContractSupport, ContractVersion};
        use crate::test_support::dummy_component_in;
        let wit = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../wit"));
        let host = ConnectorHost::new(HostConfig::default()).unwrap();

        let old = host
            .load_bytes(&dummy_component_in(&wit.join("since_v0.1.0"), "host", None))
            .unwrap();
        assert_eq!(
            old.component.contract,
            (
                ContractVersion::new(0, 1, 0),
                ContractSupport::Older(ContractVersion::new(0, 1, 0))
            )
        );
        assert_eq!(old.contract_version(), ContractVersion::new(0, 1, 0));
        let err = old.info().await.err().unwrap();
        assert!(matches!(err, HostError::Trap { .. }), "{err}");

        // A future 0.3.0: the current WIT under another version.
        let dir = std::env::temp_dir().join(format!("psa-host-wit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for file in ["world.wit", "connector.wit", "types.wit"] {
            let text = std::fs::read_to_string(wit.join(file)).unwrap();
            let text = text.replace(
                "package psa:connector@0.2.0;",
                "package psa:connector@0.3.0;",
            );
            std::fs::write(dir.join(file), text).unwrap();
        }
        let deps = dir.join("deps");
        if !deps.exists() {
            std::os::unix::fs::symlink(wit.join("deps"), &deps).unwrap();
        }
        let err = host
            .load_bytes(&dummy_component_in(&dir, "host", None))
            .err()
            .unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        let HostError::Incompatible(message) = &err else {
            panic!("{err}")
        };
        for part in ["psa:connector@0.3.0", "0.2.x, 0.1.x", "upgrade the host"] {
            assert!(message.contains(part), "{message}");
        }
    }

    #[test]
    fn unknown_imports_fail_at_load_time() {
        let host = ConnectorHost::new(HostConfig::default()).unwrap();
        let wit = "package test:extra;
            interface secrets { reveal: func() -> string; }
            world greedy { import secrets; export psa:connector/connector@0.2.0; }";
        let err = host
            .load_bytes(&dummy_component("greedy", Some(wit)))
            .err()
            .unwrap();
        assert!(
            matches!(&err, HostError::Incompatible(m) if m.contains("test:extra/secrets")),
            "{err}"
        );
    }

    #[test]
    fn files_sockets_and_randomness_are_not_provided() {
        let host = ConnectorHost::new(HostConfig::default()).unwrap();
        for import in [
            "wasi:filesystem/preopens@0.2.12",
            "wasi:sockets/tcp-create-socket@0.2.12",
            "wasi:random/random@0.2.12",
            "wasi:random/insecure-seed@0.2.12",
        ] {
            let wit = format!(
                "package test:escape;
                world escape {{ import {import}; export psa:connector/connector@0.2.0; }}"
            );
            let err = host
                .load_bytes(&dummy_component("escape", Some(&wit)))
                .err()
                .unwrap();
            assert!(
                matches!(&err, HostError::Incompatible(m) if m.contains(import) && m.contains("does not provide")),
                "{err}"
            );
        }
    }

    #[test]
    fn the_world_s_imports_are_provided() {
        let (_host, loaded) = dummy_connector_of("psa-connector");
        let imports = loaded.imports();
        assert!(
            imports.contains(&"wasi:cli/environment@0.2.12".to_string()),
            "{imports:?}"
        );
        assert!(
            imports.contains(&"wasi:http/outgoing-handler@0.2.12".to_string()),
            "{imports:?}"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_trapping_guest_is_a_host_error_not_a_panic() {
        let (host, loaded) = dummy_connector();
        let err = loaded.info().await.err().unwrap();
        assert!(
            matches!(&err, HostError::Trap { op, .. } if op == "info"),
            "{err}"
        );
        #[cfg(feature = "json")]
        {
            let err = loaded.info_json().await.err().unwrap();
            assert!(matches!(err, HostError::Trap { .. }), "{err}");
        }
        let err = loaded.open(vec![]).await.err().unwrap();
        assert!(matches!(err, HostError::Trap { .. }), "{err}");
        assert!(host.rate_budgets().await.unwrap().is_empty());
    }
}
