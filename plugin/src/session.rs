//! A Halo session: the API client plus per-session caches of Halo's lookups.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::halo::api::HaloApi;
use crate::http::Transport;
use crate::settings::{self, Settings};
use crate::types::{Capability, ConnectorError, ConnectorInfo};

/// How long lookups (statuses, teams, outcomes, the agent) are reused before re-reading them:
/// long enough to save requests during bursts, short enough to notice an admin's change.
const LOOKUP_TTL: Duration = Duration::from_secs(300);

/// What `info` returns.
pub fn info() -> ConnectorInfo {
    ConnectorInfo {
        name: "halopsa".into(),
        psa_name: "HaloPSA".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        contract_version: crate::CONTRACT_VERSION.into(),
        capabilities: vec![
            Capability::TestConnection,
            Capability::ListOrganizations,
            Capability::Lookups,
            Capability::SuggestMapping,
            Capability::ValidateMapping,
            Capability::CreateTicket,
            Capability::GetTicket,
            Capability::ListTickets,
            Capability::UpdateTicket,
            Capability::AddNote,
            Capability::CloseTicket,
            Capability::SyncAlert,
            Capability::ResolveAlert,
            Capability::TicketStates,
        ],
        settings_form: settings::form(),
    }
}

/// A value read from Halo and reused for a while.
pub struct Cached<T> {
    slot: RefCell<Option<(Instant, T)>>,
}

impl<T: Clone> Default for Cached<T> {
    fn default() -> Self {
        Cached {
            slot: RefCell::new(None),
        }
    }
}

impl<T: Clone> Cached<T> {
    /// Forgets the value: the next read loads it again.
    pub fn clear(&self) {
        self.slot.replace(None);
    }

    pub fn get_or_load(
        &self,
        load: impl FnOnce() -> Result<T, ConnectorError>,
    ) -> Result<T, ConnectorError> {
        if let Some((at, value)) = self.slot.borrow().as_ref() {
            if at.elapsed() < LOOKUP_TTL {
                return Ok(value.clone());
            }
        }
        let value = load()?;
        self.slot.replace(Some((Instant::now(), value.clone())));
        Ok(value)
    }
}

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
}

/// What `ticket-states` learned of the people on one ticket.
#[derive(Clone)]
pub struct TouchedMemo {
    /// The ticket's `lastactiondate` when its actions were read.
    pub last_action: Option<String>,
    /// The person who touched it, if anyone. A touch never goes away, so `Some` is kept.
    pub by: Option<String>,
    /// The actions were read in a later second than `last_action`: no action of that same
    /// second can have been missed (Halo's timestamps have whole seconds).
    pub settled: bool,
}

/// One connection to one Halo instance.
pub struct HaloSession {
    pub(crate) api: HaloApi,
    pub(crate) lookups: Lookups,
}

impl HaloSession {
    /// Runs one operation. Every exported operation goes through here (see `lib.rs`), so each
    /// starts a fresh audit journal: the journal holds one operation's requests, however long
    /// the session lives and whether the operation reads or writes.
    pub fn operation<T>(&self, op: impl FnOnce(&Self) -> T) -> T {
        self.api.journal.begin();
        op(self)
    }

    /// Validates the settings; makes no request.
    pub fn open(
        pairs: &[(String, String)],
        transport: Box<dyn Transport>,
    ) -> Result<HaloSession, ConnectorError> {
        let settings = Settings::parse(pairs)?;
        Ok(HaloSession {
            api: HaloApi::new(settings, transport),
            lookups: Lookups::default(),
        })
    }
}
