//! Halo as the SDK's alert lifecycle backend: `sync-alert`, `resolve-alert` and `ticket-states`
//! are decided by `psa_connector_sdk::lifecycle`; this module answers its questions with Halo's
//! requests. The alert key is the ticket's `supplier_reference` (see `ops::tickets`), notes are
//! private actions with the note outcome, "touched" is an assignment or an action by another
//! agent.

use std::cell::RefCell;
use std::collections::BTreeMap;

use psa_connector_sdk::audit::{object, Journal};
use psa_connector_sdk::lifecycle::{AlertBackend, NewAlertTicket, TouchedMemo};
use psa_connector_sdk::text::{html_to_text, https_url};
use psa_connector_sdk::time::parse_utc;

use crate::errors::invalid_response;
use crate::model::{list_items, HaloAction, HaloTicket};
use crate::ops::{fetch_list, parse_id};
use crate::session::HaloSession;
use crate::types::{ConnectorError, MappingProfile, ObjectRef, Ticket};

/// Ticket ids per `ticketids` request.
const STATE_BATCH: usize = 100;

/// A Halo session seen as the lifecycle engine's backend.
pub struct HaloAlerts<'a>(&'a HaloSession);

impl HaloSession {
    /// This session as the lifecycle engine's backend.
    pub(crate) fn alerts(&self) -> HaloAlerts<'_> {
        HaloAlerts(self)
    }

    /// Closed by Halo's closed status, or by the profile's own close status (which an admin may
    /// have renamed, or which may be a custom final status).
    fn is_closed(
        &self,
        profile: &MappingProfile,
        ticket: &HaloTicket,
    ) -> Result<bool, ConnectorError> {
        let by_profile = profile
            .close_status_id
            .as_deref()
            .is_some_and(|id| id.trim() == ticket.status_id.to_string());
        Ok(by_profile || self.to_ticket(ticket)?.closed)
    }

    fn actions(&self, ticket_id: i64) -> Result<Vec<HaloAction>, ConnectorError> {
        let json = self
            .api
            .get("Actions", &[("ticket_id", ticket_id.to_string())])?;
        let (items, _) =
            list_items(&json, "actions").map_err(|m| invalid_response("GET /api/Actions", m))?;
        items
            .iter()
            .map(HaloAction::from_json)
            .collect::<Result<_, _>>()
            .map_err(|m| invalid_response("GET /api/Actions", m))
    }

    /// Who (other than the connector's own agent) worked on the ticket, if anyone: a person
    /// assigned, else the first action (note, status change...) by another agent. The one test
    /// of "touched", for `resolve-alert` and `ticket-states`. Reads the ticket's actions (one
    /// request) only when the assignment does not already answer.
    fn touched_by(&self, ticket: &HaloTicket) -> Result<Option<String>, ConnectorError> {
        if let Some(assigned) = self.assigned_to_a_person(ticket)? {
            return Ok(Some(assigned));
        }
        let me = self.my_agent_id()?;
        let actions = self.actions(ticket.id)?;
        Ok(actions
            .iter()
            .find(|a| {
                a.who_type != Some(0)
                    && a.who_type != Some(2)
                    && a.who_agentid.is_some_and(|w| Some(w) != me)
            })
            .map(|a| {
                a.who
                    .clone()
                    .unwrap_or_else(|| format!("agent {}", a.who_agentid.unwrap_or_default()))
            }))
    }

    /// The person (other than the connector's own agent) the ticket is assigned to.
    fn assigned_to_a_person(&self, ticket: &HaloTicket) -> Result<Option<String>, ConnectorError> {
        let me = self.my_agent_id()?;
        Ok(ticket
            .agent_id
            .filter(|a| Some(*a) != me)
            .map(|agent| format!("agent {agent} (assigned)")))
    }

    /// The status a re-opened ticket gets.
    fn reopen_status(
        &self,
        profile: &MappingProfile,
        ticket: &HaloTicket,
    ) -> Result<i64, ConnectorError> {
        if let Some(id) = profile
            .reopen_status_id
            .as_deref()
            .or(profile.default_status_id.as_deref())
        {
            return parse_id("re-open status", id);
        }
        if let Some(type_id) = ticket.tickettype_id {
            let ticket_type = self.ticket_type(type_id)?;
            if let Some(initial) = crate::model::Obj(&ticket_type).id("initial_status") {
                return Ok(initial);
            }
        }
        self.list_statuses()?
            .into_iter()
            .find(|s| !s.closed)
            .map(|s| parse_id("status", &s.id))
            .transpose()?
            .ok_or_else(|| ConnectorError::NotFound("no open status to re-open the ticket with; set a re-open status in the profile".into()))
    }
}

impl AlertBackend for HaloAlerts<'_> {
    type Ticket = HaloTicket;

    fn journal(&self) -> &Journal {
        self.0.api.journal()
    }
    fn parse_id(&self, kind: &str, id: &str) -> Result<i64, ConnectorError> {
        parse_id(kind, id)
    }
    fn ticket_id(&self, ticket: &HaloTicket) -> i64 {
        ticket.id
    }
    fn priority_id(&self, ticket: &HaloTicket) -> Option<i64> {
        ticket.priority_id
    }
    fn closed_at(&self, ticket: &HaloTicket) -> Option<i64> {
        ticket.dateclosed.as_deref().and_then(parse_utc)
    }
    fn is_closed(
        &self,
        profile: &MappingProfile,
        ticket: &HaloTicket,
    ) -> Result<bool, ConnectorError> {
        self.0.is_closed(profile, ticket)
    }
    fn carries_alert_key(&self, ticket: &HaloTicket, key: &str) -> bool {
        let reference = self.0.reference_for(key);
        ticket
            .supplier_reference
            .as_deref()
            .is_some_and(|r| r.eq_ignore_ascii_case(&reference))
    }
    fn find_by_alert_key(&self, key: &str) -> Result<Vec<HaloTicket>, ConnectorError> {
        self.0.tickets_by_reference(&self.0.reference_for(key))
    }
    fn read_ticket(&self, id: i64) -> Result<Option<HaloTicket>, ConnectorError> {
        self.0.halo_ticket(id)
    }
    fn read_tickets(&self, ids: &[i64]) -> Result<Vec<HaloTicket>, ConnectorError> {
        let mut tickets = Vec::new();
        for batch in ids.chunks(STATE_BATCH) {
            let list = batch
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(",");
            let (items, _) = fetch_list(
                &self.0.api,
                "Tickets",
                "tickets",
                &[("ticketids", list)],
                None,
                None,
            )?;
            for item in &items {
                tickets.push(
                    HaloTicket::from_json(item)
                        .map_err(|m| invalid_response("GET /api/Tickets", m))?,
                );
            }
        }
        Ok(tickets)
    }
    fn create_ticket(
        &self,
        profile: &MappingProfile,
        new: NewAlertTicket<'_>,
    ) -> Result<HaloTicket, ConnectorError> {
        let alert = new.alert;
        let ticket = crate::ops::tickets::NewTicket {
            profile,
            tenant_id: &alert.tenant_id,
            severity: alert.severity,
            summary: &alert.summary,
            body: new.body.clone(),
            marker: Some(new.marker.clone()),
            contact: alert.contact.as_ref(),
            link: alert.link_url.as_deref().and_then(https_url),
            reference: self.0.reference_for(&alert.key),
        };
        self.0.create_halo_ticket(&ticket, new.newest_known)
    }
    fn marker_texts(&self, ticket: &HaloTicket) -> Result<Vec<String>, ConnectorError> {
        let actions = self.0.actions(ticket.id)?;
        // Details and notes are HTML: markers are read from their text.
        Ok(ticket
            .details
            .iter()
            .cloned()
            .chain(actions.into_iter().map(|a| a.note))
            .map(|html| html_to_text(&html))
            .collect())
    }
    fn assigned_person(&self, ticket: &HaloTicket) -> Result<Option<String>, ConnectorError> {
        self.0.assigned_to_a_person(ticket)
    }
    fn touched_by(&self, ticket: &HaloTicket) -> Result<Option<String>, ConnectorError> {
        self.0.touched_by(ticket)
    }
    fn last_activity(&self, ticket: &HaloTicket) -> Option<String> {
        ticket.lastactiondate.clone()
    }
    fn touched_memo(&self) -> &RefCell<BTreeMap<i64, TouchedMemo>> {
        &self.0.lookups.touched
    }
    fn add_note(&self, ticket: &HaloTicket, text: &str) -> Result<ObjectRef, ConnectorError> {
        let action = self.0.post_action(ticket.id, text, true, None)?;
        Ok(object("action", action))
    }
    fn reopen(
        &self,
        profile: &MappingProfile,
        ticket: &HaloTicket,
        note: &str,
    ) -> Result<ObjectRef, ConnectorError> {
        let status = self.0.reopen_status(profile, ticket)?;
        let action = self.0.post_action(ticket.id, note, true, Some(status))?;
        Ok(object("action", action))
    }
    fn close(
        &self,
        profile: &MappingProfile,
        ticket: &HaloTicket,
        note: &str,
    ) -> Result<ObjectRef, ConnectorError> {
        let closed_status = self
            .0
            .closed_status_id(profile.close_status_id.as_deref())?;
        let action = self
            .0
            .post_action(ticket.id, note, true, Some(closed_status))?;
        Ok(object("action", action))
    }
    fn set_priority(&self, ticket: &HaloTicket, priority: i64) -> Result<(), ConnectorError> {
        self.0.api.post(
            "Tickets",
            &serde_json::json!([{ "id": ticket.id, "priority_id": priority }]),
        )?;
        Ok(())
    }
    fn to_ticket(&self, ticket: &HaloTicket) -> Result<Ticket, ConnectorError> {
        self.0.to_ticket(ticket)
    }
}

#[cfg(test)]
mod tests {
    use psa_connector_sdk::Connector;

    use crate::session::HaloSession;
    use crate::testing::{json, settings, Scripted, TOKEN};
    use std::cell::Cell;
    use std::rc::Rc;

    /// Polling `ticket-states` reads a ticket's actions again only after a new action (its
    /// `lastactiondate` moved), and a ticket a person touched stays touched without reads.
    #[test]
    fn polling_reads_actions_only_for_tickets_with_new_actions() {
        // Ticket 5: untouched; ticket 6: a technician (agent 9) wrote a note.
        let last_action = Rc::new(Cell::new("2026-01-01T10:00:00"));
        let seen = last_action.clone();
        let (transport, log) = Scripted::new(move |req, _| match req.url.path() {
            "/api/authinfo" => json(404, "{}"),
            "/auth/token" => json(200, TOKEN),
            "/api/Agent/me" => json(200, r#"{"id":1,"name":"API"}"#),
            "/api/Status" => json(200, r#"[{"id":1,"name":"New"},{"id":9,"name":"Closed"}]"#),
            "/api/Tickets" => json(
                200,
                &format!(
                    r#"{{"record_count":2,"tickets":[
                        {{"id":5,"summary":"a","status_id":1,"lastactiondate":"{}"}},
                        {{"id":6,"summary":"b","status_id":1,"lastactiondate":"2026-01-01T09:00:00"}}]}}"#,
                    seen.get()
                ),
            ),
            "/api/Actions" if req.url.query().is_some_and(|q| q.contains("ticket_id=6")) => json(
                200,
                r#"{"record_count":1,"actions":[{"id":2,"ticket_id":6,"who_type":1,"who_agentid":9,"who":"Alice","note":"on it"}]}"#,
            ),
            "/api/Actions" => json(200, r#"{"record_count":0,"actions":[]}"#),
            _ => json(404, "{}"),
        });
        let session = HaloSession::open(&settings(), transport).unwrap();
        let ids = vec!["5".to_string(), "6".to_string()];
        let touched = |session: &HaloSession| -> Vec<bool> {
            let states = session.ticket_states(&ids).unwrap();
            states.iter().map(|s| s.touched_by_person).collect()
        };
        assert_eq!(touched(&session), [false, true]);
        assert_eq!(log.count("GET /api/Actions"), 2, "first poll reads both");
        assert_eq!(touched(&session), [false, true]);
        assert_eq!(log.count("GET /api/Actions"), 2, "nothing new: no reads");
        last_action.set("2026-01-01T11:00:00");
        assert_eq!(touched(&session), [false, true]);
        assert_eq!(
            log.count("GET /api/Actions"),
            3,
            "ticket 5 had a new action"
        );
        assert_eq!(
            log.count("GET /api/Tickets"),
            3,
            "one list request per poll"
        );
    }
}
