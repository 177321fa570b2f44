//! Tickets: create, get, list, update, notes, close. Every ticket the connector creates carries
//! `externalXRef = <prefix>#<key>` (an alert key, or `ticket:<nonce>` for a plain ticket), so a
//! host that lost its link finds the ticket with `conditions=externalXRef="…"`.

use psa_connector_sdk::audit::object;
use psa_connector_sdk::client::create_idempotently;
use psa_connector_sdk::lifecycle::priority_for;
use psa_connector_sdk::time::now_unix;
use psa_connector_sdk::types::*;
use serde_json::{json, Map, Value};

use psa_connector_sdk::text::{
    clean, clean_untrusted, contact_line, cut_keeping_last_line, one_line,
};

use crate::api::quote;
use crate::model::{CwNote, CwTicket};
use crate::session::{invalid, parse_id, CwSession, SUMMARY_MAX};
use crate::settings::REFERENCE_PREFIX;

/// Longest description or note written, in characters (cut with a marker, never refused).
pub const TEXT_MAX: usize = 30_000;

/// What a new ticket needs.
pub struct NewTicket<'a> {
    pub profile: &'a MappingProfile,
    pub tenant: &'a str,
    pub severity: Severity,
    pub summary: &'a str,
    /// The description as plain text (cleaned), before the contact line and the marker.
    pub body: String,
    /// The alert's occurrence marker, the description's last line, if any.
    pub marker: Option<String>,
    pub contact: Option<&'a Contact>,
    pub reference: String,
    /// Tickets with this reference up to this id existed before (0: none).
    pub newest_known: i64,
}

fn ticket_of(endpoint: &str, value: &Value) -> Result<CwTicket, ConnectorError> {
    CwTicket::from_json(value).map_err(|m| invalid(endpoint, m))
}

fn reference(id: i64) -> Value {
    json!({ "id": id })
}

impl CwSession {
    pub fn read(&self, id: i64) -> Result<Option<CwTicket>, ConnectorError> {
        match self.api.get(&format!("service/tickets/{id}"), &[]) {
            Ok(v) => Ok(Some(ticket_of("GET /service/tickets", &v)?)),
            Err(ConnectorError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Tickets with exactly this `externalXRef`, newest first.
    pub fn find_reference(&self, reference: &str) -> Result<Vec<CwTicket>, ConnectorError> {
        let items = self.api.page(
            "service/tickets",
            &self.xref_condition(reference),
            &[("orderBy", "id desc".into())],
            1,
            50,
        )?;
        items
            .items
            .iter()
            .map(|v| ticket_of("GET /service/tickets", v))
            .collect()
    }

    pub fn notes(&self, id: i64) -> Result<Vec<CwNote>, ConnectorError> {
        let items = self
            .api
            .all(&format!("service/tickets/{id}/notes"), "", &[])?;
        let mut notes = items
            .iter()
            .map(CwNote::from_json)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|m| invalid("GET /service/tickets/notes", m))?;
        notes.sort_by_key(|n| n.id);
        Ok(notes)
    }

    /// The contact with this email at this company, if any. Cached per session, misses too.
    fn contact_id(&self, company: i64, email: &str) -> Result<Option<i64>, ConnectorError> {
        let email = email.trim().to_lowercase();
        if let Some(known) = self.contacts.borrow().get(&(company, email.clone())) {
            return Ok(*known);
        }
        let found = self.find_contact(company, &email)?;
        self.contacts.borrow_mut().insert((company, email), found);
        Ok(found)
    }

    fn find_contact(&self, company: i64, email: &str) -> Result<Option<i64>, ConnectorError> {
        let page = self.api.page(
            "company/contacts",
            &format!("company/id={company} and inactiveFlag=false"),
            &[(
                "childConditions",
                format!("communicationItems/value={}", quote(email.trim())),
            )],
            1,
            2,
        )?;
        Ok(page.items.first().and_then(|c| c["id"].as_i64()))
    }

    /// Creates a ticket, idempotently: when the answer is lost, the reference is looked up
    /// (newer than `newest_known`) before anything is sent again.
    pub fn create_cw_ticket(&self, new: &NewTicket<'_>) -> Result<CwTicket, ConnectorError> {
        let profile = new.profile;
        let company = self.organization_for(profile, new.tenant)?;
        let mut body = Map::new();
        let summary = one_line(new.summary, SUMMARY_MAX);
        if summary.is_empty() {
            return Err(ConnectorError::InvalidInput(
                "the ticket summary is empty".into(),
            ));
        }
        body.insert("summary".into(), json!(summary));
        body.insert("company".into(), reference(company));
        body.insert("externalXRef".into(), json!(new.reference));
        if let Some(board) = &profile.ticket_type_id {
            body.insert("board".into(), reference(parse_id("board", board)?));
        }
        if let Some(status) = &profile.default_status_id {
            body.insert("status".into(), reference(parse_id("status", status)?));
        }
        if let Some(team) = &profile.team_id {
            body.insert("team".into(), reference(parse_id("team", team)?));
        }
        if let Some(priority) = priority_for(profile, new.severity, parse_id)? {
            body.insert("priority".into(), reference(priority));
        }
        if let Some(source) = &profile.source_id {
            body.insert("source".into(), reference(parse_id("source", source)?));
        }
        // The contact: the company's contact with that email, else the company's default
        // contact with the alert's contact written in the description.
        let mut unlinked = None;
        if let Some(contact) = new.contact {
            let linked = match contact.email.as_deref().map(str::trim) {
                Some(email) if !email.is_empty() => self.contact_id(company, email)?,
                _ => None,
            };
            match linked {
                Some(id) => {
                    body.insert("contact".into(), reference(id));
                }
                None => unlinked = contact_line(contact),
            }
        }
        let mut text = new.body.clone();
        if let Some(line) = &unlinked {
            text.push_str(&format!("\n\n{line}"));
        }
        if let Some(marker) = &new.marker {
            text.push_str(&format!("\n\n{marker}"));
        }
        body.insert(
            "initialDescription".into(),
            json!(cut_keeping_last_line(&text, TEXT_MAX)),
        );
        let body = Value::Object(body);
        let created = create_idempotently(
            2,
            || self.api.post("service/tickets", &body),
            |answer| ticket_of("POST /service/tickets", &answer),
            || {
                Ok(self
                    .find_reference(&new.reference)?
                    .into_iter()
                    .find(|t| t.id > new.newest_known))
            },
        )?;
        self.learn_self(created.entered_by.as_deref());
        Ok(created)
    }

    pub fn to_ticket(&self, t: &CwTicket) -> Result<Ticket, ConnectorError> {
        let prefix = format!("{REFERENCE_PREFIX}#");
        let own = t.xref.as_deref().and_then(|x| x.strip_prefix(&prefix));
        Ok(Ticket {
            id: t.id.to_string(),
            number: t.id.to_string(),
            url: self
                .api
                .site_url(
                    "ConnectWise.aspx",
                    &[("routeTo", "ServiceFV".into()), ("recid", t.id.to_string())],
                )
                .ok(),
            summary: t.summary.clone(),
            organization_id: t.company_id.map(|i| i.to_string()),
            organization_name: t.company_name.clone(),
            status_id: t.status_id.map(|i| i.to_string()).unwrap_or_default(),
            status_name: t.status_name.clone(),
            closed: t.closed,
            priority_id: t.priority_id.map(|i| i.to_string()),
            ticket_type_id: t.board_id.map(|i| i.to_string()),
            team: t.team_name.clone(),
            created_at: t.entered_at.clone(),
            last_action_at: t.updated_at.clone(),
            closed_at: t.closed_at.clone(),
            created_by_connector: own.is_some(),
            alert_key: own.map(str::to_string),
        })
    }

    fn change(
        &self,
        operation: &str,
        decision: String,
        ticket: &CwTicket,
        created: Vec<ObjectRef>,
        changed: Vec<ObjectRef>,
    ) -> Result<TicketChange, ConnectorError> {
        Ok(TicketChange {
            ticket: self.to_ticket(ticket)?,
            audit: self
                .api
                .client
                .journal()
                .record_for(operation, decision, created, changed),
        })
    }

    pub fn create_ticket(
        &self,
        profile: &MappingProfile,
        request: &TicketRequest,
    ) -> Result<TicketChange, ConnectorError> {
        let nonce = psa_connector_sdk::entropy::next_u64();
        let created = self.create_cw_ticket(&NewTicket {
            profile,
            tenant: &request.tenant_id,
            severity: request.severity,
            summary: &request.summary,
            body: clean_untrusted(&request.details),
            marker: None,
            contact: request.contact.as_ref(),
            reference: self.reference_for(&format!("ticket:{:x}{:08x}", now_unix(), nonce as u32)),
            newest_known: 0,
        })?;
        self.change(
            "create-ticket",
            format!("created ticket #{}", created.id),
            &created,
            vec![object("ticket", created.id)],
            vec![],
        )
    }

    pub fn get_ticket(&self, id: &str) -> Result<Ticket, ConnectorError> {
        let id = parse_id("ticket", id)?;
        match self.read(id)? {
            Some(t) => self.to_ticket(&t),
            None => Err(ConnectorError::NotFound(format!(
                "ticket {id} does not exist"
            ))),
        }
    }

    pub fn list_tickets(&self, query: &TicketQuery) -> Result<TicketPage, ConnectorError> {
        let mut parts = Vec::new();
        if query.scope == TicketScope::Own {
            parts.push(format!(
                "externalXRef like {}",
                quote(&format!("{REFERENCE_PREFIX}#*"))
            ));
        }
        if query.open_only {
            parts.push("closedFlag=false".into());
        }
        if let Some(org) = &query.organization_id {
            parts.push(format!("company/id={}", parse_id("organization", org)?));
        }
        let conditions = parts.join(" and ");
        let size = query.page_size.unwrap_or(50).max(1);
        let page = self.api.page(
            "service/tickets",
            &conditions,
            &[("orderBy", "id desc".into())],
            query.page.unwrap_or(1),
            size,
        )?;
        let total = self.api.count("service/tickets", &conditions)?;
        let items = page
            .items
            .iter()
            .map(|v| ticket_of("GET /service/tickets", v).and_then(|t| self.to_ticket(&t)))
            .collect::<Result<_, _>>()?;
        Ok(TicketPage { items, total })
    }

    /// `PATCH` with whole reference objects (`{"id": n}`): a sub-path such as `status/id` is
    /// silently ignored by ConnectWise.
    pub fn patch_ticket(&self, id: i64, ops: Vec<Value>) -> Result<CwTicket, ConnectorError> {
        let answer = self
            .api
            .patch(&format!("service/tickets/{id}"), &Value::Array(ops))?;
        ticket_of("PATCH /service/tickets", &answer)
    }

    pub fn update_ticket(
        &self,
        id: &str,
        update: &TicketUpdate,
    ) -> Result<TicketChange, ConnectorError> {
        let id = parse_id("ticket", id)?;
        let replace =
            |path: &str, value: Value| json!({ "op": "replace", "path": path, "value": value });
        let mut ops = Vec::new();
        if let Some(p) = &update.priority_id {
            ops.push(replace("priority", reference(parse_id("priority", p)?)));
        }
        if let Some(s) = &update.status_id {
            ops.push(replace("status", reference(parse_id("status", s)?)));
        }
        if let Some(t) = &update.team_id {
            ops.push(replace("team", reference(parse_id("team", t)?)));
        }
        if let Some(s) = &update.summary {
            ops.push(replace("summary", json!(one_line(s, SUMMARY_MAX))));
        }
        for (key, value) in &update.fields {
            let allowed = [
                "severity",
                "impact",
                "poNumber",
                "contactName",
                "contactEmailAddress",
                "contactPhoneNumber",
            ];
            if !allowed.contains(&key.as_str()) {
                return Err(ConnectorError::InvalidInput(format!(
                    "field '{key}' cannot be updated; allowed: {}",
                    allowed.join(", ")
                )));
            }
            ops.push(replace(key, json!(value)));
        }
        if ops.is_empty() {
            return Err(ConnectorError::InvalidInput(
                "the update changes nothing".into(),
            ));
        }
        let ticket = self.patch_ticket(id, ops)?;
        self.change(
            "update-ticket",
            format!("updated ticket #{id}"),
            &ticket,
            vec![],
            vec![object("ticket", id)],
        )
    }

    /// Adds a note: internal (`internalAnalysisFlag`) or public (`detailDescriptionFlag`).
    pub fn post_note(&self, id: i64, text: &str, private: bool) -> Result<i64, ConnectorError> {
        let body = json!({
            "text": cut_keeping_last_line(&clean(text), TEXT_MAX),
            "internalAnalysisFlag": private,
            "detailDescriptionFlag": !private,
        });
        let note = self
            .api
            .post(&format!("service/tickets/{id}/notes"), &body)?;
        note["id"]
            .as_i64()
            .ok_or_else(|| invalid("POST /service/tickets/notes", "the note has no id".into()))
    }

    pub fn add_note(&self, id: &str, note: &Note) -> Result<NoteAdded, ConnectorError> {
        let id = parse_id("ticket", id)?;
        if note.text.trim().is_empty() {
            return Err(ConnectorError::InvalidInput("the note is empty".into()));
        }
        let note_id = self.post_note(id, &clean_untrusted(&note.text), note.private)?;
        Ok(NoteAdded {
            note_id: note_id.to_string(),
            ticket_id: id.to_string(),
            audit: self.api.client.journal().record_for(
                "add-note",
                format!(
                    "added a {} note to ticket #{id}",
                    if note.private {
                        "internal"
                    } else {
                        "discussion"
                    }
                ),
                vec![object("note", note_id)],
                vec![object("ticket", id)],
            ),
        })
    }

    /// The status that closes this ticket: the profile's, else the board's closed status.
    pub fn close_status(
        &self,
        profile: &MappingProfile,
        ticket: &CwTicket,
    ) -> Result<i64, ConnectorError> {
        if let Some(id) = &profile.close_status_id {
            return parse_id("close status", id);
        }
        let board = ticket.board_id.ok_or_else(|| {
            ConnectorError::InvalidInput(format!("ticket {} has no board", ticket.id))
        })?;
        self.closed_status(board)?.ok_or_else(|| {
            ConnectorError::NotFound(format!(
                "board {board} has no active closed status; tick 'Closed' on one of its statuses or set a close status in the profile"
            ))
        })
    }

    pub fn close_ticket(
        &self,
        profile: &MappingProfile,
        id: &str,
        note: Option<&str>,
    ) -> Result<TicketChange, ConnectorError> {
        let id = parse_id("ticket", id)?;
        let ticket = self
            .read(id)?
            .ok_or_else(|| ConnectorError::NotFound(format!("ticket {id} does not exist")))?;
        if ticket.closed {
            return self.change(
                "close-ticket",
                format!("ticket #{id} was already closed"),
                &ticket,
                vec![],
                vec![],
            );
        }
        let status = self.close_status(profile, &ticket)?;
        let mut created = vec![];
        if let Some(text) = note.filter(|n| !n.trim().is_empty()) {
            created.push(object(
                "note",
                self.post_note(id, &clean_untrusted(text), true)?,
            ));
        }
        let closed = self.patch_ticket(
            id,
            vec![json!({ "op": "replace", "path": "status", "value": reference(status) })],
        )?;
        self.change(
            "close-ticket",
            format!("closed ticket #{id} with status {status}"),
            &closed,
            created,
            vec![object("ticket", id)],
        )
    }
}
