//! [`LoadedConnector`]: a compiled, type-checked connector component, ready to open sessions.

use std::path::Path;
use std::sync::Arc;

use crate::coordination::CallCoordination;
use crate::error::HostError;
use crate::instance::GuestInstance;
use crate::outbound::StatsCounters;
use crate::policy::{Denied, EgressPolicy};
use crate::session::{ConnectorSession, SessionParts};
use crate::shared::{HostShared, LoadedComponent};
use crate::types::{ConnectorError, ConnectorInfo, SettingProblem};

/// A connector component loaded by a [`ConnectorHost`](crate::ConnectorHost): compiled once,
/// its imports and exports checked. Cheap to clone; open as many sessions as needed,
/// concurrently, each in its own store.
#[derive(Clone)]
pub struct LoadedConnector {
    pub(crate) shared: Arc<HostShared>,
    pub(crate) component: Arc<LoadedComponent>,
}

impl LoadedConnector {
    /// The file the component was loaded from, if any.
    pub fn path(&self) -> Option<&Path> {
        self.component.path.as_deref()
    }

    /// The version of the `psa:connector` contract the component was built against (read from
    /// its exports at load time). A version older than [`crate::contract::CURRENT`] runs
    /// through the contract adapter (see `wit/README.md`).
    pub fn contract_version(&self) -> crate::contract::ContractVersion {
        self.component.contract.0
    }

    /// The interfaces the component imports (for example `wasi:http/outgoing-handler@0.2.12`),
    /// sorted: always a subset of the `psa-connector` world's imports, or it would not have
    /// loaded.
    pub fn imports(&self) -> Vec<String> {
        let engine = self.component.pre.engine();
        let component = self.component.pre.component();
        let mut names: Vec<String> = component
            .component_type()
            .imports(engine)
            .map(|(name, _)| name.to_string())
            .collect();
        names.sort();
        names
    }

    /// The connector's description and settings form (calls the component's `info` once, in a
    /// throwaway store, and caches it).
    pub async fn info(&self) -> Result<ConnectorInfo, HostError> {
        self.component
            .info
            .get_or_try_init(|| async {
                let mut guest = self.throwaway_instance().await?;
                if guest.bindings.is_none() {
                    return crate::adapter::call_info(&mut guest, &self.component).await;
                }
                guest
                    .run_typed("info", |store, bindings| {
                        Box::pin(bindings.psa_connector_connector().call_info(store))
                    })
                    .await
            })
            .await
            .cloned()
    }

    /// Opens a session with the admin's settings (key/value pairs, keys as in the settings
    /// form). The session's egress allow-list is built from the values of the form's `url`
    /// fields. The outer `Result` is the host's, the inner one the connector's answer
    /// (`invalid-settings` for a missing or malformed setting). A URL setting the host's
    /// policy refuses (plain `http` to a remote host, user information in the URL, another
    /// scheme) is answered by the host itself with `invalid-settings` naming the setting.
    pub async fn open(
        &self,
        settings: Vec<(String, String)>,
    ) -> Result<Result<ConnectorSession, ConnectorError>, HostError> {
        let info = self.info().await?;
        let policy = match self.egress_policy(&info, &settings) {
            Ok(policy) => Arc::new(policy),
            Err(problem) => return Ok(Err(ConnectorError::InvalidSettings(problem))),
        };
        let stats = Arc::new(StatsCounters::with_connections(
            self.shared.http.counters.clone(),
        ));
        let coordination = Arc::new(CallCoordination::new(self.shared.coordination.clone()));
        let mut guest = GuestInstance::new(
            &self.shared,
            &self.component,
            policy.clone(),
            stats.clone(),
            coordination.clone(),
        )
        .await?;
        let opened = if guest.bindings.is_none() {
            crate::adapter::call_open(&mut guest, &self.component, &settings).await?
        } else {
            guest
                .run_typed("open", |store, bindings| {
                    Box::pin(async move {
                        let session = bindings.psa_connector_connector().session();
                        session.call_open(store, &settings).await
                    })
                })
                .await?
        };
        Ok(opened.map(|handle| {
            ConnectorSession::new(
                guest,
                handle,
                SessionParts {
                    policy,
                    stats,
                    coordination,
                    loaded: self.clone(),
                    connector: info.name,
                },
            )
        }))
    }

    /// The session's allow-list from the settings' URL fields, or the setting the host's
    /// policy refuses, as a problem for the admin.
    fn egress_policy(
        &self,
        info: &ConnectorInfo,
        settings: &[(String, String)],
    ) -> Result<EgressPolicy, SettingProblem> {
        let policy = EgressPolicy::from_settings(
            info,
            settings,
            self.shared.config.allow_plain_http_to_loopback_only,
        );
        for (key, reason) in policy.refused() {
            tracing::warn!(connector = %info.name, setting = %key, %reason, "setting not added to the egress allow-list");
        }
        // Unparseable values are left to the connector, which validates its own settings.
        let refused = policy
            .refused()
            .iter()
            .find(|(_, r)| !matches!(r, Denied::InvalidUrl(_)));
        if let Some((key, reason)) = refused {
            let label = info
                .settings_form
                .iter()
                .find(|f| f.key == *key)
                .map_or(key.as_str(), |f| f.label.as_str());
            return Err(SettingProblem {
                key: Some(key.clone()),
                message: format!("{label}: {reason}"),
            });
        }
        Ok(policy)
    }

    /// An instance with an empty allow-list, for calls that need no session.
    pub(crate) async fn throwaway_instance(&self) -> Result<GuestInstance, HostError> {
        let policy = Arc::new(EgressPolicy::new(
            self.shared.config.allow_plain_http_to_loopback_only,
        ));
        let coordination = Arc::new(CallCoordination::new(self.shared.coordination.clone()));
        GuestInstance::new(
            &self.shared,
            &self.component,
            policy,
            Arc::default(),
            coordination,
        )
        .await
    }
}
