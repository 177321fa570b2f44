//! One ConnectWise session: the API, the settings, and what it learned (board statuses, the
//! API members, per-ticket "touched" memos).

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use psa_connector_sdk::lifecycle::{stored_alert_key, TouchedMemo};
use psa_connector_sdk::types::*;
use psa_connector_sdk::Transport;
use serde_json::Value;

use crate::api::{quote, CwApi};
use crate::settings::{self, CwSettings, REFERENCE_PREFIX};

/// `externalXRef` holds 100 characters.
pub const XREF_MAX: usize = 100;
/// `summary` holds 100 characters.
pub const SUMMARY_MAX: usize = 100;

pub struct CwSession {
    pub api: CwApi,
    statuses: RefCell<BTreeMap<i64, Vec<Value>>>,
    /// Identifiers (lower case) of API members: never "a person".
    api_members: RefCell<Option<BTreeSet<String>>>,
    pub(crate) memo: RefCell<BTreeMap<i64, TouchedMemo>>,
    /// Company contacts by (company, lower-case email); `None` when the company has none with
    /// that email. One look-up per contact per session.
    pub(crate) contacts: RefCell<BTreeMap<(i64, String), Option<i64>>>,
}

pub fn info() -> ConnectorInfo {
    ConnectorInfo {
        name: "connectwise-connector".into(),
        psa_name: "ConnectWise PSA".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        contract_version: psa_connector_sdk::CONTRACT_VERSION.into(),
        capabilities: psa_connector_sdk::ALL_CAPABILITIES.to_vec(),
        settings_form: settings::form(),
    }
}

/// A positive ConnectWise id, else `invalid-input` naming what it is.
pub fn parse_id(kind: &str, id: &str) -> Result<i64, ConnectorError> {
    match id.trim().parse::<i64>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(ConnectorError::InvalidInput(format!(
            "{kind} id '{id}' is not a ConnectWise id (a positive whole number)"
        ))),
    }
}

pub fn invalid(endpoint: &str, message: String) -> ConnectorError {
    psa_connector_sdk::errors::invalid_response(endpoint, message)
}

impl CwSession {
    pub fn open(
        pairs: &[(String, String)],
        transport: Box<dyn Transport>,
    ) -> Result<CwSession, ConnectorError> {
        let settings = CwSettings::parse(pairs)?;
        Ok(CwSession {
            api: CwApi::new(&settings, transport),
            statuses: RefCell::default(),
            api_members: RefCell::default(),
            memo: RefCell::default(),
            contacts: RefCell::default(),
        })
    }

    /// `<prefix>#<key>`, the value written to `externalXRef` (an over-long key hashed).
    pub fn reference_for(&self, key: &str) -> String {
        let room = XREF_MAX - REFERENCE_PREFIX.len() - 1;
        format!("{REFERENCE_PREFIX}#{}", stored_alert_key(key, room))
    }

    /// The condition finding a reference exactly.
    pub fn xref_condition(&self, reference: &str) -> String {
        format!("externalXRef={}", quote(reference))
    }

    /// The organization a tenant maps to.
    pub fn organization_for(
        &self,
        profile: &MappingProfile,
        tenant: &str,
    ) -> Result<i64, ConnectorError> {
        let mapped = profile
            .tenants
            .iter()
            .find(|m| m.tenant_id == tenant)
            .map(|m| m.organization_id.clone())
            .or_else(|| profile.fallback_organization_id.clone());
        match mapped {
            Some(id) => parse_id("organization", &id),
            None => Err(ConnectorError::UnmappedTenant(format!(
                "tenant '{tenant}' is not mapped to a ConnectWise company and the profile has no fallback company"
            ))),
        }
    }

    /// A board's statuses (cached for the session).
    pub fn board_statuses(&self, board: i64) -> Result<Vec<Value>, ConnectorError> {
        if let Some(known) = self.statuses.borrow().get(&board) {
            return Ok(known.clone());
        }
        let items = self
            .api
            .all(&format!("service/boards/{board}/statuses"), "", &[])?;
        self.statuses.borrow_mut().insert(board, items.clone());
        Ok(items)
    }

    /// The board's closed status: the first active `closedStatus` one.
    pub fn closed_status(&self, board: i64) -> Result<Option<i64>, ConnectorError> {
        Ok(self
            .board_statuses(board)?
            .iter()
            .filter(|s| s["closedStatus"] == true && s["inactive"] != true)
            .find_map(|s| s["id"].as_i64()))
    }

    /// The board's initial status: `defaultFlag`, else the first active open one.
    pub fn initial_status(&self, board: i64) -> Result<Option<i64>, ConnectorError> {
        let statuses = self.board_statuses(board)?;
        let open = || {
            statuses
                .iter()
                .filter(|s| s["closedStatus"] != true && s["inactive"] != true)
        };
        Ok(open()
            .find(|s| s["defaultFlag"] == true)
            .or_else(|| open().next())
            .and_then(|s| s["id"].as_i64()))
    }

    /// Identifiers of API members (licence class "A"), read once; plus the identifiers that
    /// wrote what this session wrote. Unreadable members (no Member Maintenance) read as none.
    pub fn api_members(&self) -> Result<BTreeSet<String>, ConnectorError> {
        if let Some(known) = self.api_members.borrow().clone() {
            return Ok(known);
        }
        let members = match self.api.all(
            "system/members",
            "licenseClass=\"A\"",
            &[("fields", "id,identifier,name,licenseClass".into())],
        ) {
            Ok(items) => items,
            Err(ConnectorError::PermissionDenied(_)) | Err(ConnectorError::Remote(_)) => vec![],
            Err(e) => return Err(e),
        };
        let set: BTreeSet<String> = members
            .iter()
            .filter_map(|m| m["identifier"].as_str())
            .map(str::to_ascii_lowercase)
            .collect();
        let mut known = self.api_members.borrow_mut();
        let merged = known
            .take()
            .unwrap_or_default()
            .into_iter()
            .chain(set)
            .collect();
        *known = Some(merged);
        Ok(known.clone().unwrap_or_default())
    }

    /// Remembers an identifier this session wrote as (`enteredBy` of its ticket).
    pub fn learn_self(&self, identifier: Option<&str>) {
        if let Some(id) = identifier {
            let mut known = self.api_members.borrow_mut();
            if let Some(set) = known.as_mut() {
                set.insert(id.to_ascii_lowercase());
            }
        }
    }
}
