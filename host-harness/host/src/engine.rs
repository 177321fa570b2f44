//! [`ConnectorHost`]: the wasmtime engine, the linker and loading of connector components.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Engine};

use crate::bindings::HostIndices;
use crate::config::Coordination;
use crate::config::HostConfig;
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
        let mut wasm_config = Config::new();
        wasm_config.wasm_component_model(true);
        wasm_config.epoch_interruption(true);
        let engine = Engine::new(&wasm_config).map_err(|e| HostError::Engine(describe(&e)))?;

        let mut linker = Linker::<SessionState>::new(&engine);
        add_connector_imports(&mut linker).map_err(|e| HostError::Engine(describe(&e)))?;

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
                config,
                coordination,
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
    /// build); in async code call it from `tokio::task::spawn_blocking`.
    pub fn load(&self, path: impl AsRef<Path>) -> Result<LoadedConnector, HostError> {
        let path = path.as_ref();
        let component =
            Component::from_file(&self.shared.engine, path).map_err(|e| HostError::Load {
                path: path.to_path_buf(),
                message: describe(&e),
            })?;
        self.prepare(component, Some(path.to_path_buf()))
    }

    /// Like [`Self::load`], for a component held in memory.
    pub fn load_bytes(&self, bytes: &[u8]) -> Result<LoadedConnector, HostError> {
        let component =
            Component::new(&self.shared.engine, bytes).map_err(|e| HostError::Load {
                path: PathBuf::from("<memory>"),
                message: describe(&e),
            })?;
        self.prepare(component, None)
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
