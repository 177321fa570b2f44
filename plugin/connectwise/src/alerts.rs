//! ConnectWise as the SDK's alert lifecycle backend: the engine decides, this module answers
//! with ConnectWise's requests. The alert key is the ticket's `externalXRef`, notes are internal
//! notes (`internalAnalysisFlag`), "touched" is an owner, a note or a change by a member other
//! than an API member, and re-open/close PATCH the ticket's status.

use std::cell::RefCell;
use std::collections::BTreeMap;

use psa_connector_sdk::audit::{object, Journal};
use psa_connector_sdk::lifecycle::{AlertBackend, NewAlertTicket, TouchedMemo};
use psa_connector_sdk::time::parse_utc;
use psa_connector_sdk::types::{ConnectorError, MappingProfile, ObjectRef, Ticket};
use serde_json::json;

use crate::model::CwTicket;
use crate::session::{parse_id, CwSession};
use crate::tickets::NewTicket;

/// Ticket ids per `id in (…)` request.
const STATE_BATCH: usize = 100;

/// A ConnectWise session seen as the lifecycle engine's backend.
pub struct CwAlerts<'a>(pub &'a CwSession);

impl CwSession {
    pub fn alerts(&self) -> CwAlerts<'_> {
        CwAlerts(self)
    }

    fn set_status(&self, ticket: &CwTicket, status: i64) -> Result<(), ConnectorError> {
        self.patch_ticket(
            ticket.id,
            vec![json!({ "op": "replace", "path": "status", "value": { "id": status } })],
        )?;
        Ok(())
    }

    fn person(&self, identifier: &str) -> Result<bool, ConnectorError> {
        Ok(!self
            .api_members()?
            .contains(&identifier.to_ascii_lowercase()))
    }
}

impl AlertBackend for CwAlerts<'_> {
    type Ticket = CwTicket;

    fn journal(&self) -> &Journal {
        self.0.api.client.journal()
    }

    fn parse_id(&self, kind: &str, id: &str) -> Result<i64, ConnectorError> {
        parse_id(kind, id)
    }

    fn ticket_id(&self, ticket: &CwTicket) -> i64 {
        ticket.id
    }

    fn priority_id(&self, ticket: &CwTicket) -> Option<i64> {
        ticket.priority_id
    }

    fn closed_at(&self, ticket: &CwTicket) -> Option<i64> {
        ticket.closed_at.as_deref().and_then(parse_utc)
    }

    fn is_closed(
        &self,
        profile: &MappingProfile,
        ticket: &CwTicket,
    ) -> Result<bool, ConnectorError> {
        let by_profile = profile.close_status_id.as_deref().is_some_and(|id| {
            Some(id.trim()) == ticket.status_id.map(|s| s.to_string()).as_deref()
        });
        Ok(ticket.closed || by_profile)
    }

    fn carries_alert_key(&self, ticket: &CwTicket, key: &str) -> bool {
        ticket.xref.as_deref() == Some(self.0.reference_for(key).as_str())
    }

    fn find_by_alert_key(&self, key: &str) -> Result<Vec<CwTicket>, ConnectorError> {
        self.0.find_reference(&self.0.reference_for(key))
    }

    fn read_ticket(&self, id: i64) -> Result<Option<CwTicket>, ConnectorError> {
        self.0.read(id)
    }

    fn read_tickets(&self, ids: &[i64]) -> Result<Vec<CwTicket>, ConnectorError> {
        let mut out = Vec::new();
        for chunk in ids.chunks(STATE_BATCH) {
            let list: Vec<String> = chunk.iter().map(i64::to_string).collect();
            let items = self.0.api.all(
                "service/tickets",
                &format!("id in ({})", list.join(",")),
                &[],
            )?;
            for item in &items {
                out.push(
                    CwTicket::from_json(item)
                        .map_err(|m| crate::session::invalid("GET /service/tickets", m))?,
                );
            }
        }
        Ok(out)
    }

    fn create_ticket(
        &self,
        profile: &MappingProfile,
        new: NewAlertTicket<'_>,
    ) -> Result<CwTicket, ConnectorError> {
        self.0.create_cw_ticket(&NewTicket {
            profile,
            tenant: &new.alert.tenant_id,
            severity: new.alert.severity,
            summary: &new.alert.summary,
            body: new.body.clone(),
            marker: Some(new.marker.clone()),
            contact: new.alert.contact.as_ref(),
            reference: self.0.reference_for(&new.alert.key),
            newest_known: new.newest_known,
        })
    }

    fn marker_texts(&self, ticket: &CwTicket) -> Result<Vec<String>, ConnectorError> {
        Ok(self
            .0
            .notes(ticket.id)?
            .into_iter()
            .map(|n| n.text)
            .collect())
    }

    fn assigned_person(&self, ticket: &CwTicket) -> Result<Option<String>, ConnectorError> {
        match &ticket.owner {
            Some((identifier, name)) if self.0.person(identifier)? => {
                Ok(Some(format!("{name} (assigned)")))
            }
            _ => Ok(None),
        }
    }

    fn touched_by(&self, ticket: &CwTicket) -> Result<Option<String>, ConnectorError> {
        if let Some(assigned) = self.assigned_person(ticket)? {
            return Ok(Some(assigned));
        }
        for note in self.0.notes(ticket.id)? {
            if let Some((identifier, name)) = &note.author {
                if self.0.person(identifier)? {
                    return Ok(Some(name.clone()));
                }
            }
        }
        match &ticket.updated_by {
            Some(identifier) if self.0.person(identifier)? => Ok(Some(identifier.clone())),
            _ => Ok(None),
        }
    }

    fn last_activity(&self, ticket: &CwTicket) -> Option<String> {
        ticket.updated_at.clone()
    }

    fn touched_memo(&self) -> &RefCell<BTreeMap<i64, TouchedMemo>> {
        &self.0.memo
    }

    fn add_note(&self, ticket: &CwTicket, text: &str) -> Result<ObjectRef, ConnectorError> {
        Ok(object("note", self.0.post_note(ticket.id, text, true)?))
    }

    fn reopen(
        &self,
        profile: &MappingProfile,
        ticket: &CwTicket,
        note: &str,
    ) -> Result<ObjectRef, ConnectorError> {
        let status = match profile
            .reopen_status_id
            .as_deref()
            .or(profile.default_status_id.as_deref())
        {
            Some(id) => parse_id("re-open status", id)?,
            None => ticket
                .board_id
                .map(|b| self.0.initial_status(b))
                .transpose()?
                .flatten()
                .ok_or_else(|| {
                    ConnectorError::NotFound(
                        "no open status to re-open the ticket with; set a re-open status in the profile".into(),
                    )
                })?,
        };
        self.0.set_status(ticket, status)?;
        self.add_note(ticket, note)
    }

    fn close(
        &self,
        profile: &MappingProfile,
        ticket: &CwTicket,
        note: &str,
    ) -> Result<ObjectRef, ConnectorError> {
        let status = self.0.close_status(profile, ticket)?;
        let added = self.add_note(ticket, note)?;
        self.0.set_status(ticket, status)?;
        Ok(added)
    }

    fn set_priority(&self, ticket: &CwTicket, priority: i64) -> Result<(), ConnectorError> {
        self.0.patch_ticket(
            ticket.id,
            vec![json!({ "op": "replace", "path": "priority", "value": { "id": priority } })],
        )?;
        Ok(())
    }

    fn to_ticket(&self, ticket: &CwTicket) -> Result<Ticket, ConnectorError> {
        self.0.to_ticket(ticket)
    }
}
