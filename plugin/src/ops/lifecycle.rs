//! One alert, one ticket: `sync-alert`, `resolve-alert` and `ticket-states`.
//!
//! The occurrence count and the last occurrence id live in the ticket itself, in a marker line
//! the connector writes at the end of the ticket's details and of each of its notes:
//! `[alert-sync occurrence=3 occurrence-id=abc]`. So the count survives a host that lost
//! everything, and re-sending the same occurrence changes nothing.

use std::collections::BTreeMap;

use crate::audit::object;
use crate::halo::errors::invalid_response;
use crate::halo::model::{list_items, HaloAction, HaloTicket};
use crate::ops::tickets::{priority_for, NewTicket};
use crate::ops::{fetch_list, parse_id};
use crate::session::{HaloSession, TouchedMemo};
use crate::time::{format_rfc3339, now_unix, parse_halo_time};
use crate::types::{
    Alert, ConnectorError, MappingProfile, ObjectRef, ResolveDecision, ResolveOutcome,
    ResolveRequest, Severity, SyncDecision, SyncOutcome, SyncRequest, SyncStrategy, TicketState,
};

const MARKER: &str = "[alert-sync";
/// Most tickets `ticket-states` reads in one call.
const MAX_STATE_IDS: usize = 2000;
/// Ticket ids per `ticketids` request.
const STATE_BATCH: usize = 100;

/// Occurrences recorded on a ticket.
#[derive(Debug, Default, PartialEq)]
struct Occurrences {
    count: u32,
    last_id: Option<String>,
}

/// An occurrence id as it can be stored in a marker.
fn clean_id(id: &str) -> String {
    id.trim().replace([']', ' ', '\n', '\r', '\t'], "_")
}

fn marker(occurrence: u32, occurrence_id: Option<&str>) -> String {
    match occurrence_id {
        Some(id) => format!(
            "{MARKER} occurrence={occurrence} occurrence-id={}]",
            clean_id(id)
        ),
        None => format!("{MARKER} occurrence={occurrence}]"),
    }
}

fn read_markers<'a>(texts: impl Iterator<Item = &'a str>) -> Occurrences {
    let mut found = Occurrences::default();
    for line in texts.flat_map(str::lines) {
        let Some(rest) = line.trim().strip_prefix(MARKER) else {
            continue;
        };
        let rest = rest.trim_end_matches(']');
        let mut count = None;
        let mut id = None;
        for part in rest.split_whitespace() {
            if let Some(n) = part.strip_prefix("occurrence=") {
                count = n.parse::<u32>().ok();
            } else if let Some(v) = part.strip_prefix("occurrence-id=") {
                id = Some(v.to_string());
            }
        }
        if let Some(count) = count {
            if count >= found.count {
                found = Occurrences { count, last_id: id };
            }
        }
    }
    found
}

fn severity_rank(severity: Severity) -> u8 {
    match severity {
        Severity::Critical => 5,
        Severity::High => 4,
        Severity::Medium => 3,
        Severity::Low => 2,
        Severity::Info => 1,
    }
}

fn severity_name(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "critical",
        Severity::High => "high",
        Severity::Medium => "medium",
        Severity::Low => "low",
        Severity::Info => "info",
    }
}

fn strategy_closes(strategy: SyncStrategy) -> bool {
    matches!(
        strategy,
        SyncStrategy::CreateUpdateClose | SyncStrategy::TwoWay
    )
}

impl HaloSession {
    pub fn sync_alert(
        &self,
        profile: &MappingProfile,
        request: &SyncRequest,
    ) -> Result<SyncOutcome, ConnectorError> {
        let alert = &request.alert;
        if alert.key.trim().is_empty() {
            return Err(ConnectorError::InvalidInput(
                "the alert key is empty".into(),
            ));
        }
        let reference = self.reference_for(&alert.key);
        if profile.strategy == SyncStrategy::CreateOnly {
            let newest_known = self
                .tickets_by_reference(&reference)?
                .first()
                .map(|t| t.id)
                .unwrap_or(0);
            let details = format!(
                "{}\n\n{}",
                alert.details,
                marker(1, alert.occurrence_id.as_deref())
            );
            let ticket = self.create_halo_ticket(
                &self.new_ticket(profile, alert, details, reference),
                newest_known,
            )?;
            return self.sync_outcome(
                SyncDecision::Created,
                &ticket,
                1,
                None,
                false,
                vec![object("ticket", ticket.id)],
                vec![],
            );
        }

        let (existing, newest_known) =
            self.find_alert_ticket(profile, &reference, request.link.as_deref())?;
        let Some(ticket) = existing else {
            let details = format!(
                "{}\n\n{}",
                alert.details,
                marker(1, alert.occurrence_id.as_deref())
            );
            let created = self.create_halo_ticket(
                &self.new_ticket(profile, alert, details, reference),
                newest_known,
            )?;
            return self.sync_outcome(
                SyncDecision::Created,
                &created,
                1,
                None,
                false,
                vec![object("ticket", created.id)],
                vec![],
            );
        };

        let actions = self.actions(ticket.id)?;
        let seen = read_markers(
            ticket
                .details
                .iter()
                .map(String::as_str)
                .chain(actions.iter().map(|a| a.note.as_str())),
        );
        let count = seen.count.max(1);
        if alert
            .occurrence_id
            .as_deref()
            .map(clean_id)
            .is_some_and(|id| seen.last_id.as_deref() == Some(id.as_str()))
        {
            return self.sync_outcome(
                SyncDecision::Unchanged,
                &ticket,
                count,
                None,
                false,
                vec![],
                vec![],
            );
        }
        let occurrence = count + 1;
        let closed = self.is_closed(profile, &ticket)?;
        if !closed {
            let raised = self.raise_priority_if_needed(profile, &ticket, alert.severity)?;
            let mut note = format!(
                "Alert repeated (occurrence {occurrence}, severity {}): {}\n\n{}",
                severity_name(alert.severity),
                alert.summary,
                alert.details
            );
            if let Some(new_priority) = raised {
                note.push_str(&format!(
                    "\n\nSeverity rose: priority raised to {new_priority}."
                ));
            }
            note.push_str(&format!(
                "\n\n{}",
                marker(occurrence, alert.occurrence_id.as_deref())
            ));
            let action = self.post_action(ticket.id, &note, true, None)?;
            let ticket = self.halo_ticket(ticket.id)?.unwrap_or(ticket);
            return self.sync_outcome(
                SyncDecision::Noted,
                &ticket,
                occurrence,
                None,
                raised.is_some(),
                vec![object("action", action)],
                vec![object("ticket", ticket.id)],
            );
        }

        let window_secs = i64::from(profile.reopen_window_hours) * 3600;
        let closed_at = ticket.dateclosed.as_deref().and_then(parse_halo_time);
        let within_window =
            window_secs > 0 && closed_at.is_some_and(|at| now_unix() - at <= window_secs);
        if within_window {
            let status = self.reopen_status(profile, &ticket)?;
            let note = format!(
                "Alert recurred within the re-open window (occurrence {occurrence}, severity {}): ticket re-opened.\n{}\n\n{}\n\n{}",
                severity_name(alert.severity),
                alert.summary,
                alert.details,
                marker(occurrence, alert.occurrence_id.as_deref())
            );
            let action = self.post_action(ticket.id, &note, true, Some(status))?;
            self.raise_priority_if_needed(profile, &ticket, alert.severity)?;
            let ticket = self.halo_ticket(ticket.id)?.unwrap_or(ticket);
            return self.sync_outcome(
                SyncDecision::Reopened,
                &ticket,
                occurrence,
                None,
                false,
                vec![object("action", action)],
                vec![object("ticket", ticket.id)],
            );
        }

        let closed_text = closed_at
            .map(format_rfc3339)
            .unwrap_or_else(|| "an unknown time".into());
        let details = format!(
            "Recurrence of ticket #{} (closed {closed_text}, outside the re-open window).\n\n{}\n\n{}",
            ticket.id,
            alert.details,
            marker(1, alert.occurrence_id.as_deref())
        );
        let created = self.create_halo_ticket(
            &self.new_ticket(profile, alert, details, reference),
            newest_known.max(ticket.id),
        )?;
        self.sync_outcome(
            SyncDecision::NewAfterWindow,
            &created,
            1,
            Some(ticket.id),
            false,
            vec![object("ticket", created.id)],
            vec![],
        )
    }

    pub fn resolve_alert(
        &self,
        profile: &MappingProfile,
        request: &ResolveRequest,
    ) -> Result<ResolveOutcome, ConnectorError> {
        if request.key.trim().is_empty() {
            return Err(ConnectorError::InvalidInput(
                "the alert key is empty".into(),
            ));
        }
        let reference = self.reference_for(&request.key);
        let (existing, _) = self.find_alert_ticket(profile, &reference, request.link.as_deref())?;
        let outcome = |decision,
                       ticket_id: Option<i64>,
                       touched_by,
                       decision_text: String,
                       created: Vec<ObjectRef>,
                       changed: Vec<ObjectRef>| {
            Ok(ResolveOutcome {
                decision,
                ticket_id: ticket_id.map(|t| t.to_string()),
                touched_by,
                audit: self.api.journal.record_for(
                    "resolve-alert",
                    decision_text,
                    created,
                    changed,
                ),
            })
        };
        let Some(ticket) = existing else {
            return outcome(
                ResolveDecision::NotFound,
                None,
                None,
                "not found: no ticket carries this alert key".into(),
                vec![],
                vec![],
            );
        };
        if self.is_closed(profile, &ticket)? {
            return outcome(
                ResolveDecision::AlreadyClosed,
                Some(ticket.id),
                None,
                "already closed".into(),
                vec![],
                vec![],
            );
        }
        if profile.strategy == SyncStrategy::CreateOnly {
            return outcome(
                ResolveDecision::LeftOpenStrategy,
                Some(ticket.id),
                None,
                "left open: the create-only strategy never changes tickets".into(),
                vec![],
                vec![],
            );
        }
        if !strategy_closes(profile.strategy) {
            let action = self.post_action(ticket.id, "Alert resolved upstream. This strategy does not close tickets; close it when done.", true, None)?;
            return outcome(
                ResolveDecision::LeftOpenStrategy,
                Some(ticket.id),
                None,
                "left open: the strategy does not close tickets; note added".into(),
                vec![object("action", action)],
                vec![object("ticket", ticket.id)],
            );
        }
        if let Some(who) = self.touched_by(&ticket)? {
            let note = format!(
                "Alert resolved upstream. Left open because {who} has worked on this ticket."
            );
            let action = self.post_action(ticket.id, &note, true, None)?;
            return outcome(
                ResolveDecision::LeftOpenTouched,
                Some(ticket.id),
                Some(who.clone()),
                format!("left open: touched by {who}; note added"),
                vec![object("action", action)],
                vec![object("ticket", ticket.id)],
            );
        }
        let closed_status = self.closed_status_id(profile.close_status_id.as_deref())?;
        let action = self.post_action(
            ticket.id,
            "Alert resolved upstream: closing the ticket.",
            true,
            Some(closed_status),
        )?;
        outcome(
            ResolveDecision::Closed,
            Some(ticket.id),
            None,
            "closed with a note".into(),
            vec![object("action", action)],
            vec![object("ticket", ticket.id)],
        )
    }

    pub fn ticket_states(&self, ids: &[String]) -> Result<Vec<TicketState>, ConnectorError> {
        if ids.len() > MAX_STATE_IDS {
            return Err(ConnectorError::InvalidInput(format!(
                "at most {MAX_STATE_IDS} tickets per call, got {}",
                ids.len()
            )));
        }
        let parsed: Vec<i64> = ids
            .iter()
            .map(|id| parse_id("ticket", id))
            .collect::<Result<_, _>>()?;
        let mut unique = parsed.clone();
        unique.sort_unstable();
        unique.dedup();
        let mut found = BTreeMap::new();
        for batch in unique.chunks(STATE_BATCH) {
            let list = batch
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(",");
            let (items, _) = fetch_list(
                &self.api,
                "Tickets",
                "tickets",
                &[("ticketids", list)],
                None,
                None,
            )?;
            for item in &items {
                let ticket = HaloTicket::from_json(item)
                    .map_err(|m| invalid_response("GET /api/Tickets", m))?;
                found.insert(ticket.id, ticket);
            }
        }
        // "Touched" exactly as resolve-alert decides it: the assignment (in the list), else the
        // ticket's actions (Halo reads them one ticket at a time), remembered per session so a
        // poll reads them again only for tickets with a new action.
        let mut touched = BTreeMap::new();
        for id in &unique {
            if let Some(ticket) = found.get(id) {
                touched.insert(*id, self.touched_by_remembered(ticket)?);
            }
        }
        parsed
            .iter()
            .map(|id| match found.get(id) {
                None => Ok(TicketState {
                    ticket_id: id.to_string(),
                    found: false,
                    status_id: None,
                    status_name: None,
                    closed: false,
                    last_action_at: None,
                    touched_by_person: false,
                }),
                Some(t) => {
                    let ticket = self.to_ticket(t)?;
                    Ok(TicketState {
                        ticket_id: ticket.id,
                        found: true,
                        status_id: Some(ticket.status_id),
                        status_name: ticket.status_name,
                        closed: ticket.closed,
                        last_action_at: ticket.last_action_at,
                        touched_by_person: touched.get(id).copied().unwrap_or(false),
                    })
                }
            })
            .collect()
    }

    fn new_ticket<'a>(
        &self,
        profile: &'a MappingProfile,
        alert: &'a Alert,
        details: String,
        reference: String,
    ) -> NewTicket<'a> {
        NewTicket {
            profile,
            tenant_id: &alert.tenant_id,
            severity: alert.severity,
            summary: &alert.summary,
            details,
            contact_name: alert
                .contact
                .as_ref()
                .and_then(|c| c.name.clone().or_else(|| c.email.clone())),
            reference,
        }
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

    /// The alert's ticket: the host's link when it still carries the key, else the newest ticket
    /// with the reference. Also returns the newest ticket id known to carry the reference.
    fn find_alert_ticket(
        &self,
        profile: &MappingProfile,
        reference: &str,
        link: Option<&str>,
    ) -> Result<(Option<HaloTicket>, i64), ConnectorError> {
        if let Some(link) = link.map(str::trim).filter(|l| !l.is_empty()) {
            let id = parse_id("ticket", link)?;
            if let Some(ticket) = self.halo_ticket(id)? {
                let carries_key = ticket
                    .supplier_reference
                    .as_deref()
                    .is_some_and(|r| r.eq_ignore_ascii_case(reference));
                if carries_key && !self.is_closed(profile, &ticket)? {
                    return Ok((Some(ticket), id));
                }
            }
        }
        // No usable link (missing, stale, or closed: a newer ticket may exist): ask Halo.
        let tickets = self.tickets_by_reference(reference)?;
        let newest = tickets.first().map(|t| t.id).unwrap_or(0);
        Ok((tickets.into_iter().next(), newest))
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
    /// [`Self::touched_by`] for polling: reads the ticket's actions only when the session has not
    /// read them since the ticket's last action.
    fn touched_by_remembered(&self, ticket: &HaloTicket) -> Result<bool, ConnectorError> {
        let memo = self.lookups.touched.borrow().get(&ticket.id).cloned();
        if let Some(memo) = &memo {
            if memo.by.is_some() || (memo.settled && memo.last_action == ticket.lastactiondate) {
                return Ok(memo.by.is_some() || self.assigned_to_a_person(ticket)?.is_some());
            }
        }
        let by = self.touched_by(ticket)?;
        let settled = ticket
            .lastactiondate
            .as_deref()
            .and_then(parse_halo_time)
            .is_some_and(|at| at < now_unix());
        self.lookups.touched.borrow_mut().insert(
            ticket.id,
            TouchedMemo {
                last_action: ticket.lastactiondate.clone(),
                by: by.clone(),
                settled,
            },
        );
        Ok(by.is_some())
    }

    /// The person (other than the connector's own agent) the ticket is assigned to.
    fn assigned_to_a_person(&self, ticket: &HaloTicket) -> Result<Option<String>, ConnectorError> {
        let me = self.my_agent_id()?;
        Ok(ticket
            .agent_id
            .filter(|a| Some(*a) != me)
            .map(|agent| format!("agent {agent} (assigned)")))
    }

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

    /// Raises the ticket's priority when the alert's severity maps above the current one.
    fn raise_priority_if_needed(
        &self,
        profile: &MappingProfile,
        ticket: &HaloTicket,
        severity: Severity,
    ) -> Result<Option<i64>, ConnectorError> {
        let Some(wanted) = priority_for(profile, severity)? else {
            return Ok(None);
        };
        let current_severity = profile
            .priorities
            .iter()
            .filter(|p| {
                ticket
                    .priority_id
                    .is_some_and(|c| p.priority_id.trim() == c.to_string())
            })
            .map(|p| severity_rank(p.severity))
            .max();
        let rose = match current_severity {
            Some(rank) => severity_rank(severity) > rank,
            None => ticket.priority_id.is_none(),
        };
        if !rose || ticket.priority_id == Some(wanted) {
            return Ok(None);
        }
        self.api.post(
            "Tickets",
            &serde_json::json!([{ "id": ticket.id, "priority_id": wanted }]),
        )?;
        Ok(Some(wanted))
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
            if let Some(initial) = crate::halo::model::Obj(&ticket_type).id("initial_status") {
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

    #[allow(clippy::too_many_arguments)]
    fn sync_outcome(
        &self,
        decision: SyncDecision,
        ticket: &HaloTicket,
        occurrence: u32,
        previous: Option<i64>,
        priority_raised: bool,
        created: Vec<ObjectRef>,
        changed: Vec<ObjectRef>,
    ) -> Result<SyncOutcome, ConnectorError> {
        let words = match decision {
            SyncDecision::Created => "created".to_string(),
            SyncDecision::Noted => format!(
                "noted: occurrence {occurrence}{}",
                if priority_raised {
                    ", priority raised"
                } else {
                    ""
                }
            ),
            SyncDecision::Reopened => format!("re-opened: occurrence {occurrence}"),
            SyncDecision::NewAfterWindow => format!(
                "new ticket after the re-open window (previous #{})",
                previous.unwrap_or_default()
            ),
            SyncDecision::Unchanged => {
                format!("unchanged: occurrence {occurrence} already recorded")
            }
        };
        Ok(SyncOutcome {
            decision,
            ticket: self.to_ticket(ticket)?,
            occurrence,
            previous_ticket_id: previous.map(|p| p.to_string()),
            priority_raised,
            audit: self
                .api
                .journal
                .record_for("sync-alert", words, created, changed),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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

    #[test]
    fn markers_round_trip_and_take_the_highest() {
        let details = format!("text\n\n{}", marker(1, Some("a")));
        let note = format!("repeat\n{}", marker(3, Some("c d")));
        let seen = read_markers([details.as_str(), "unrelated", note.as_str()].into_iter());
        assert_eq!(
            seen,
            Occurrences {
                count: 3,
                last_id: Some("c_d".into())
            }
        );
        assert_eq!(read_markers(["nothing"].into_iter()).count, 0);
    }
}
