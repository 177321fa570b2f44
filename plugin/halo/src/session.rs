//! A Halo session: the API client plus per-session caches of Halo's lookups.

use std::cell::RefCell;
use std::collections::BTreeMap;

use psa_connector_sdk::cache::Cached;
use psa_connector_sdk::lifecycle::TouchedMemo;
use psa_connector_sdk::Transport;
use url::Url;

use crate::api::{new_api, HaloApi, Token};
use crate::settings::{self, Settings};
use crate::types::{ConnectorError, ConnectorInfo};

/// What `info` returns.
pub fn info() -> ConnectorInfo {
    ConnectorInfo {
        name: "halopsa".into(),
        psa_name: "HaloPSA".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        contract_version: psa_connector_sdk::CONTRACT_VERSION.into(),
        capabilities: psa_connector_sdk::ALL_CAPABILITIES.to_vec(),
        settings_form: settings::form(),
    }
}

/// A Halo user found for a contact: `(user id, site id)`.
pub type HaloUser = (i64, Option<i64>);

/// Lookups cached per session.
#[derive(Default)]
pub struct Lookups {
    pub statuses: Cached<Vec<crate::types::Status>>,
    pub teams: Cached<Vec<crate::types::Team>>,
    pub ticket_types: Cached<Vec<crate::types::TicketType>>,
    /// (id, name) of Halo outcomes.
    pub outcomes: Cached<Vec<(i64, String)>>,
    /// The agent the token acts as.
    pub me: Cached<Option<crate::types::AgentIdentity>>,
    /// Who touched each ticket `ticket-states` looked at, so that polling reads a ticket's
    /// actions again only after its `lastactiondate` moved.
    pub touched: RefCell<BTreeMap<i64, TouchedMemo>>,
    /// Halo users by (client, lower-case email): `(user id, site id)`, or `None` when the
    /// client has no user with that email. One look-up per contact per session.
    pub users: RefCell<BTreeMap<(i64, String), Option<HaloUser>>>,
}

/// One connection to one Halo instance.
pub struct HaloSession {
    pub(crate) api: HaloApi,
    pub(crate) lookups: Lookups,
}

impl HaloSession {
    /// Validates the settings; makes no request.
    pub fn open(
        pairs: &[(String, String)],
        transport: Box<dyn Transport>,
    ) -> Result<HaloSession, ConnectorError> {
        let settings = Settings::parse(pairs)?;
        Ok(HaloSession {
            api: new_api(settings, transport),
            lookups: Lookups::default(),
        })
    }

    /// The validated settings.
    pub(crate) fn settings(&self) -> &Settings {
        &self.api.auth.settings
    }

    /// The current token (fetched when missing or about to expire).
    pub(crate) fn token(&self) -> Result<Token, ConnectorError> {
        self.api.auth.token(&self.api.http)
    }

    /// The token endpoint, discovered once per session.
    pub(crate) fn token_endpoint(&self) -> Result<Url, ConnectorError> {
        self.api.auth.token_endpoint(&self.api.http)
    }
}
