//! [`LoadedConnector`]: a compiled, type-checked connector component, ready to open sessions.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use wasmtime::component::ComponentExportIndex;

use crate::bindings::{HostIndices, HostPre};
use crate::engine::HostShared;
use crate::error::HostError;
use crate::instance::GuestInstance;
use crate::outbound::StatsCounters;
use crate::policy::{Denied, EgressPolicy};
use crate::session::ConnectorSession;
use crate::state::SessionState;
use crate::types::{ConnectorError, ConnectorInfo, SettingProblem};

pub(crate) struct LoadedInner {
    pub(crate) path: Option<PathBuf>,
    pub(crate) pre: HostPre<SessionState>,
    pub(crate) indices: HostIndices,
    /// Export index of `psa:connector/connector@0.1.0`, for the dynamic (JSON) API.
    pub(crate) interface: ComponentExportIndex,
    info: tokio::sync::OnceCell<ConnectorInfo>,
}

impl LoadedInner {
    pub(crate) fn new(
        path: Option<PathBuf>,
        pre: HostPre<SessionState>,
        indices: HostIndices,
        interface: ComponentExportIndex,
    ) -> Self {
        Self {
            path,
            pre,
            indices,
            interface,
            info: tokio::sync::OnceCell::new(),
        }
    }
}

/// A connector component loaded by a [`ConnectorHost`](crate::ConnectorHost): compiled once,
/// its imports and exports checked. Cheap to clone; open as many sessions as needed,
/// concurrently, each in its own store.
#[derive(Clone)]
pub struct LoadedConnector {
    pub(crate) shared: Arc<HostShared>,
    pub(crate) inner: Arc<LoadedInner>,
}

impl LoadedConnector {
    pub(crate) fn new(shared: Arc<HostShared>, inner: Arc<LoadedInner>) -> Self {
        Self { shared, inner }
    }

    /// The file the component was loaded from, if any.
    pub fn path(&self) -> Option<&Path> {
        self.inner.path.as_deref()
    }

    /// The connector's description and settings form (calls the component's `info` once, in a
    /// throwaway store, and caches it).
    pub async fn info(&self) -> Result<ConnectorInfo, HostError> {
        self.inner
            .info
            .get_or_try_init(|| async {
                let mut guest = self.throwaway_instance().await?;
                guest.begin()?;
                let connector = guest.bindings.psa_connector_connector();
                let call = connector.call_info(&mut guest.store);
                guest.guard.finish("info", call).await
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
        let mut pending = match self.prepare_session(&settings).await? {
            Ok(pending) => pending,
            Err((key, message)) => {
                return Ok(Err(ConnectorError::InvalidSettings(SettingProblem {
                    key: Some(key),
                    message,
                })));
            }
        };
        pending.guest.begin()?;
        let connector = pending.guest.bindings.psa_connector_connector();
        let session = connector.session();
        let call = session.call_open(&mut pending.guest.store, &settings);
        let opened = pending.guest.guard.finish("open", call).await?;
        Ok(opened.map(|handle| pending.into_session(handle)))
    }

    /// Everything of a session but the guest's `session` resource: the egress policy from the
    /// settings and a fresh instance using it. The inner error is a URL setting the policy
    /// refuses, as (key, message for the admin).
    pub(crate) async fn prepare_session(
        &self,
        settings: &[(String, String)],
    ) -> Result<Result<PendingSession, (String, String)>, HostError> {
        let info = self.info().await?;
        let policy = EgressPolicy::from_settings(
            &info,
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
            return Ok(Err((key.clone(), format!("{label}: {reason}"))));
        }
        let policy = Arc::new(policy);
        let stats = Arc::new(StatsCounters::default());
        let guest =
            GuestInstance::new(&self.shared, &self.inner, policy.clone(), stats.clone()).await?;
        Ok(Ok(PendingSession {
            guest,
            policy,
            stats,
            loaded: self.clone(),
            name: info.name,
        }))
    }

    /// An instance with an empty allow-list, for calls that need no session.
    pub(crate) async fn throwaway_instance(&self) -> Result<GuestInstance, HostError> {
        let policy = Arc::new(EgressPolicy::new(
            self.shared.config.allow_plain_http_to_loopback_only,
        ));
        GuestInstance::new(&self.shared, &self.inner, policy, Arc::default()).await
    }
}

/// A session being opened: its instance exists, `session.open` has not answered yet.
pub(crate) struct PendingSession {
    pub(crate) guest: GuestInstance,
    policy: Arc<EgressPolicy>,
    stats: Arc<StatsCounters>,
    loaded: LoadedConnector,
    name: String,
}

impl PendingSession {
    pub(crate) fn into_session(self, handle: wasmtime::component::ResourceAny) -> ConnectorSession {
        ConnectorSession::new(
            self.guest,
            handle,
            self.loaded.inner.interface,
            self.policy,
            self.stats,
            self.loaded.shared,
            self.name,
        )
    }
}
