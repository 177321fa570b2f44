//! Tickets: create (applying the mapping profile), read, list, update, note, close.
//!
//! Every ticket the connector creates carries `supplier_reference = <prefix>#<key>` (see
//! `docs/halo-wire.md`): that is how "own" tickets are listed and how an alert's ticket is found
//! again when the host lost its link. A create whose answer was lost is never re-sent blindly:
//! the reference is looked up first.

use serde_json::{json, Map, Value};

use psa_connector_sdk::audit::object;
use psa_connector_sdk::client::create_idempotently;
use psa_connector_sdk::lifecycle::stored_alert_key;
use psa_connector_sdk::text::{
    clean, clean_untrusted, contact_line, cut_keeping_last_line, one_line, text_to_html,
};

use crate::errors::invalid_response;
use crate::model::{saved_object, HaloTicket, Obj};
use crate::ops::{fetch_list, parse_id};
use crate::session::HaloSession;
use crate::types::{
    ConnectorError, Contact, MappingProfile, Note, NoteAdded, Severity, Ticket, TicketChange,
    TicketPage, TicketQuery, TicketRequest, TicketScope, TicketUpdate,
};
use psa_connector_sdk::time::{normalise, now_unix};

/// Keys longer than this are stored hashed, to stay within Halo's field length.
const MAX_STORED_KEY: usize = 80;
/// Longest summary written (Halo's `summary` column), in characters.
pub const SUMMARY_MAX: usize = 250;
/// Longest ticket details or action note written, in characters of plain text (before HTML
/// escaping; Halo's `details`/`note` columns take far more, this keeps tickets readable).
pub const TEXT_MAX: usize = 30_000;
/// Re-sends of a create whose answer was lost and whose reference was not found in Halo.
const CREATE_ATTEMPTS: u32 = 3;

/// Where a host tenant's ticket goes, after applying the profile.
pub struct Placement {
    pub client_id: i64,
    pub site_id: Option<i64>,
}

/// What a new ticket needs besides its text.
pub struct NewTicket<'a> {
    pub profile: &'a MappingProfile,
    pub tenant_id: &'a str,
    pub severity: Severity,
    pub summary: &'a str,
    /// The description as plain text; its last line (the marker) is never cut.
    pub body: String,
    /// The alert's occurrence marker, the description's last line, if any.
    pub marker: Option<String>,
    pub contact: Option<&'a Contact>,
    /// The alert's link (an `https` URL, already checked), shown as the description's one link.
    pub link: Option<String>,
    pub reference: String,
}

impl HaloSession {
    /// `<prefix>#<key>`, the value written to `supplier_reference`.
    pub(crate) fn reference_for(&self, key: &str) -> String {
        let key = key.trim();
        format!(
            "{}#{}",
            self.settings().reference_prefix,
            stored_alert_key(key, MAX_STORED_KEY)
        )
    }

    fn own_prefix(&self) -> String {
        format!("{}#", self.settings().reference_prefix)
    }

    pub fn create_ticket(
        &self,
        profile: &MappingProfile,
        request: &TicketRequest,
    ) -> Result<TicketChange, ConnectorError> {
        let nonce = psa_connector_sdk::entropy::next_u64();
        let reference = self.reference_for(&format!("ticket:{:x}{:08x}", now_unix(), nonce as u32));
        let created = self.create_halo_ticket(
            &NewTicket {
                profile,
                tenant_id: &request.tenant_id,
                severity: request.severity,
                summary: &request.summary,
                body: clean_untrusted(&request.details),
                marker: None,
                contact: request.contact.as_ref(),
                link: None,
                reference,
            },
            0,
        )?;
        let ticket = self.to_ticket(&created)?;
        let audit = self.api.journal().record_for(
            "create-ticket",
            "created",
            vec![object("ticket", created.id)],
            vec![],
        );
        Ok(TicketChange { ticket, audit })
    }

    /// Creates a Halo ticket. `known_max_id`: the newest ticket already carrying the reference
    /// (0 if none), so a lost answer can be told apart from an older ticket.
    pub(crate) fn create_halo_ticket(
        &self,
        new: &NewTicket,
        known_max_id: i64,
    ) -> Result<HaloTicket, ConnectorError> {
        let summary = one_line(new.summary, SUMMARY_MAX);
        if summary.is_empty() {
            return Err(ConnectorError::InvalidInput(
                "the ticket summary is empty".into(),
            ));
        }
        let placement = self.placement(new.profile, new.tenant_id)?;
        let mut payload = Map::new();
        payload.insert("client_id".into(), json!(placement.client_id));
        if let Some(site) = placement.site_id {
            payload.insert("site_id".into(), json!(site));
        }
        payload.insert("summary".into(), json!(summary));
        if let Some(id) = &new.profile.ticket_type_id {
            payload.insert("tickettype_id".into(), json!(parse_id("ticket type", id)?));
        }
        if let Some(priority) = priority_for(new.profile, new.severity)? {
            payload.insert("priority_id".into(), json!(priority));
        }
        if let Some(status) = &new.profile.default_status_id {
            payload.insert("status_id".into(), json!(parse_id("status", status)?));
        }
        if let Some(team) = &new.profile.team_id {
            payload.insert("team".into(), json!(self.team_name(team)?));
        }
        if let Some(source) = &new.profile.source_id {
            payload.insert("source".into(), json!(parse_id("ticket source", source)?));
        }
        if let Some(category) = new
            .profile
            .category
            .as_deref()
            .filter(|c| !c.trim().is_empty())
        {
            payload.insert("category_1".into(), json!(one_line(category, 100)));
        }
        // The contact: Halo's own user with that email in the client, else the client's
        // default user with the contact written in the details.
        let mut unlinked = None;
        if let Some(contact) = new.contact {
            let user = match contact.email.as_deref().map(str::trim) {
                Some(email) if !email.is_empty() => {
                    self.user_by_email(placement.client_id, email)?
                }
                _ => None,
            };
            match user {
                Some((user_id, site_id)) => {
                    payload.insert("user_id".into(), json!(user_id));
                    if let Some(site) = site_id {
                        payload.insert("site_id".into(), json!(site));
                    }
                }
                None => unlinked = contact_line(contact),
            }
            if let Some(name) = contact.name.as_deref().map(|n| one_line(n, 100)) {
                if !name.is_empty() {
                    payload.insert("reportedby".into(), json!(name));
                }
            }
        }
        let mut text = new.body.clone();
        if let Some(line) = &unlinked {
            text.push_str(&format!("\n\n{line}"));
        }
        if let Some(marker) = &new.marker {
            text.push_str(&format!("\n\n{marker}"));
        }
        let text = cut_keeping_last_line(&text, TEXT_MAX);
        payload.insert(
            "details_html".into(),
            json!(text_to_html(&text, new.link.as_deref())),
        );
        payload.insert("supplier_reference".into(), json!(new.reference));
        let body = Value::Array(vec![Value::Object(payload)]);

        // A create that may have reached Halo is looked up before it is sent again.
        create_idempotently(
            CREATE_ATTEMPTS,
            || self.api.post("Tickets", &body),
            |json| ticket_from_save(&json),
            || self.newest_by_reference(&new.reference, known_max_id),
        )
    }

    /// Halo's user with this email in this client (`GET /Users?client_id=&search=`, exact email
    /// match ignoring case): `(user id, site id)`. Cached per session, misses too.
    pub(crate) fn user_by_email(
        &self,
        client_id: i64,
        email: &str,
    ) -> Result<Option<(i64, Option<i64>)>, ConnectorError> {
        let email = email.trim().to_lowercase();
        let cache_key = (client_id, email.clone());
        if let Some(known) = self.lookups.users.borrow().get(&cache_key) {
            return Ok(*known);
        }
        let (items, _) = fetch_list(
            &self.api,
            "Users",
            "users",
            &[
                ("client_id", client_id.to_string()),
                ("search", email.clone()),
            ],
            Some(1),
            Some(50),
        )?;
        // Halo's search matches names, emails and logins by substring: keep the exact email.
        let found = items
            .iter()
            .filter(|u| u["client_id"].as_i64() == Some(client_id))
            .find(|u| {
                u["emailaddress"]
                    .as_str()
                    .is_some_and(|e| e.trim().eq_ignore_ascii_case(&email))
            })
            .and_then(|u| Some((u["id"].as_i64()?, u["site_id"].as_i64())));
        self.lookups.users.borrow_mut().insert(cache_key, found);
        Ok(found)
    }

    /// The profile's organization (and site) for a host tenant.
    pub(crate) fn placement(
        &self,
        profile: &MappingProfile,
        tenant_id: &str,
    ) -> Result<Placement, ConnectorError> {
        if let Some(mapping) = profile.tenants.iter().find(|m| m.tenant_id == tenant_id) {
            return Ok(Placement {
                client_id: parse_id("organization", &mapping.organization_id)?,
                site_id: mapping
                    .site_id
                    .as_deref()
                    .map(|s| parse_id("site", s))
                    .transpose()?,
            });
        }
        match &profile.fallback_organization_id {
            Some(fallback) => Ok(Placement { client_id: parse_id("organization", fallback)?, site_id: None }),
            None => Err(ConnectorError::UnmappedTenant(format!(
                "tenant '{tenant_id}' is not mapped to a Halo client and the profile has no fallback organization"
            ))),
        }
    }

    /// Tickets carrying exactly this reference, newest first.
    pub(crate) fn tickets_by_reference(
        &self,
        reference: &str,
    ) -> Result<Vec<HaloTicket>, ConnectorError> {
        let (items, _) = fetch_list(
            &self.api,
            "Tickets",
            "tickets",
            &[("search_supplier_reference", reference.to_string())],
            None,
            None,
        )?;
        let mut tickets: Vec<HaloTicket> = items
            .iter()
            .map(HaloTicket::from_json)
            .collect::<Result<_, _>>()
            .map_err(|m| invalid_response("GET /api/Tickets", m))?;
        // Halo's filter may match by substring: keep exact matches only.
        tickets.retain(|t| {
            t.supplier_reference
                .as_deref()
                .is_some_and(|r| r.eq_ignore_ascii_case(reference))
        });
        tickets.sort_by_key(|t| std::cmp::Reverse(t.id));
        Ok(tickets)
    }

    fn newest_by_reference(
        &self,
        reference: &str,
        newer_than: i64,
    ) -> Result<Option<HaloTicket>, ConnectorError> {
        Ok(self
            .tickets_by_reference(reference)?
            .into_iter()
            .find(|t| t.id > newer_than))
    }

    /// Reads one Halo ticket; `None` when it does not exist.
    pub(crate) fn halo_ticket(&self, id: i64) -> Result<Option<HaloTicket>, ConnectorError> {
        match self.api.get(
            &format!("Tickets/{id}"),
            &[("includedetails", "true".into())],
        ) {
            Ok(json) => HaloTicket::from_json(&json)
                .map(Some)
                .map_err(|m| invalid_response("GET /api/Tickets/{id}", m)),
            Err(ConnectorError::NotFound(_)) => Ok(None),
            Err(error) => Err(error),
        }
    }

    pub fn get_ticket(&self, id: &str) -> Result<Ticket, ConnectorError> {
        let id = parse_id("ticket", id)?;
        let ticket = self.halo_ticket(id)?.ok_or_else(|| {
            ConnectorError::NotFound(format!(
                "ticket {id} does not exist or the API agent cannot see it"
            ))
        })?;
        self.to_ticket(&ticket)
    }

    pub fn list_tickets(&self, query: &TicketQuery) -> Result<TicketPage, ConnectorError> {
        let mut filters = Vec::new();
        if let Some(org) = &query.organization_id {
            filters.push(("client_id", parse_id("organization", org)?.to_string()));
        }
        if query.open_only {
            filters.push(("open_only", "true".to_string()));
        }
        let own = query.scope == TicketScope::Own;
        if own {
            filters.push(("search_supplier_reference", self.own_prefix()));
        }
        let (items, total) = fetch_list(
            &self.api,
            "Tickets",
            "tickets",
            &filters,
            query.page,
            query.page_size,
        )?;
        let mut tickets = Vec::new();
        for item in &items {
            let halo =
                HaloTicket::from_json(item).map_err(|m| invalid_response("GET /api/Tickets", m))?;
            let ticket = self.to_ticket(&halo)?;
            if !own || ticket.created_by_connector {
                tickets.push(ticket);
            }
        }
        let total = if query.page.is_none() {
            tickets.len() as u32
        } else {
            total
        };
        Ok(TicketPage {
            items: tickets,
            total,
        })
    }

    pub fn update_ticket(
        &self,
        id: &str,
        update: &TicketUpdate,
    ) -> Result<TicketChange, ConnectorError> {
        let id = parse_id("ticket", id)?;
        let mut payload = Map::new();
        payload.insert("id".into(), json!(id));
        if let Some(priority) = &update.priority_id {
            payload.insert("priority_id".into(), json!(parse_id("priority", priority)?));
        }
        if let Some(status) = &update.status_id {
            payload.insert("status_id".into(), json!(parse_id("status", status)?));
        }
        if let Some(summary) = update.summary.as_deref().map(str::trim) {
            if summary.is_empty() {
                return Err(ConnectorError::InvalidInput(
                    "the new summary is empty".into(),
                ));
            }
            payload.insert("summary".into(), json!(one_line(summary, SUMMARY_MAX)));
        }
        if let Some(team) = &update.team_id {
            payload.insert("team".into(), json!(self.team_name(team)?));
        }
        for (key, value) in &update.fields {
            let key = key.trim();
            if key.is_empty()
                || key.eq_ignore_ascii_case("id")
                || key.eq_ignore_ascii_case("supplier_reference")
            {
                return Err(ConnectorError::InvalidInput(format!(
                    "field '{key}' cannot be changed through update-ticket"
                )));
            }
            let value = match value.trim().parse::<i64>() {
                Ok(number) if key.ends_with("_id") => json!(number),
                _ => json!(value),
            };
            payload.insert(key.to_string(), value);
        }
        if payload.len() == 1 {
            return Err(ConnectorError::InvalidInput(
                "the update changes nothing".into(),
            ));
        }
        // Halo's POST is an upsert: check first, so an unknown id can never create a ticket.
        if self.halo_ticket(id)?.is_none() {
            return Err(ConnectorError::NotFound(format!(
                "ticket {id} does not exist"
            )));
        }
        let saved = self
            .api
            .post("Tickets", &Value::Array(vec![Value::Object(payload)]))?;
        let saved = ticket_from_save(&saved)?;
        let ticket = self.to_ticket(&saved)?;
        let audit = self.api.journal().record_for(
            "update-ticket",
            "updated",
            vec![],
            vec![object("ticket", id)],
        );
        Ok(TicketChange { ticket, audit })
    }

    pub fn add_note(&self, id: &str, note: &Note) -> Result<NoteAdded, ConnectorError> {
        let ticket_id = parse_id("ticket", id)?;
        let action_id =
            self.post_action(ticket_id, &clean_untrusted(&note.text), note.private, None)?;
        let audit = self.api.journal().record_for(
            "add-note",
            if note.private {
                "private note added"
            } else {
                "public note added"
            },
            vec![object("action", action_id)],
            vec![object("ticket", ticket_id)],
        );
        Ok(NoteAdded {
            note_id: action_id.to_string(),
            ticket_id: ticket_id.to_string(),
            audit,
        })
    }

    pub fn close_ticket(
        &self,
        profile: &MappingProfile,
        id: &str,
        note: Option<&str>,
    ) -> Result<TicketChange, ConnectorError> {
        let id = parse_id("ticket", id)?;
        let current = self
            .halo_ticket(id)?
            .ok_or_else(|| ConnectorError::NotFound(format!("ticket {id} does not exist")))?;
        let ticket = self.to_ticket(&current)?;
        if ticket.closed {
            let audit =
                self.api
                    .journal()
                    .record_for("close-ticket", "already closed", vec![], vec![]);
            return Ok(TicketChange { ticket, audit });
        }
        let closed_status = self.closed_status_id(profile.close_status_id.as_deref())?;
        let text = note
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .unwrap_or("Closed by the security platform.");
        let action = self.post_action(id, &clean_untrusted(text), true, Some(closed_status))?;
        let ticket = self.get_ticket(&id.to_string())?;
        let audit = self.api.journal().record_for(
            "close-ticket",
            "closed",
            vec![object("action", action)],
            vec![object("ticket", id)],
        );
        Ok(TicketChange { ticket, audit })
    }

    /// Posts an action (note) with the note outcome, optionally changing the status.
    pub(crate) fn post_action(
        &self,
        ticket_id: i64,
        text: &str,
        private: bool,
        new_status: Option<i64>,
    ) -> Result<i64, ConnectorError> {
        if text.trim().is_empty() {
            return Err(ConnectorError::InvalidInput("the note is empty".into()));
        }
        let outcome = self.note_outcome()?;
        let text = cut_keeping_last_line(&clean(text), TEXT_MAX);
        let mut action = json!({
            "ticket_id": ticket_id,
            "outcome_id": outcome,
            "note_html": text_to_html(&text, None),
            "hiddenfromuser": private,
            "sendemail": false,
        });
        if let Some(status) = new_status {
            action["new_status"] = json!(status);
        }
        let saved = self.api.post("Actions", &json!([action]))?;
        let saved = saved_object(&saved).map_err(|m| invalid_response("POST /api/Actions", m))?;
        Obj(saved)
            .require_id("action")
            .map_err(|m| invalid_response("POST /api/Actions", m))
    }

    /// A Halo ticket in contract terms.
    pub(crate) fn to_ticket(&self, t: &HaloTicket) -> Result<Ticket, ConnectorError> {
        let status = self.status(t.status_id)?;
        let closed = status
            .as_ref()
            .map(|s| s.closed)
            .unwrap_or(t.dateclosed.is_some());
        let prefix = self.own_prefix();
        let own_key = t
            .supplier_reference
            .as_deref()
            .filter(|r| r.len() > prefix.len() && r[..prefix.len()].eq_ignore_ascii_case(&prefix))
            .map(|r| r[prefix.len()..].to_string());
        let base = self.settings().base_url.as_str().trim_end_matches('/');
        Ok(Ticket {
            id: t.id.to_string(),
            number: t.id.to_string(),
            url: Some(format!("{base}/tickets?id={}", t.id)),
            summary: t.summary.clone(),
            organization_id: t.client_id.map(|c| c.to_string()),
            organization_name: t.client_name.clone(),
            status_id: t.status_id.to_string(),
            status_name: status.map(|s| s.name),
            closed,
            priority_id: t.priority_id.map(|p| p.to_string()),
            ticket_type_id: t.tickettype_id.map(|p| p.to_string()),
            team: t.team.clone(),
            created_at: t.dateoccurred.as_deref().map(normalise),
            last_action_at: t.lastactiondate.as_deref().map(normalise),
            closed_at: if closed {
                t.dateclosed.as_deref().map(normalise)
            } else {
                None
            },
            created_by_connector: own_key.is_some(),
            alert_key: own_key.filter(|k| !k.starts_with("ticket:")),
        })
    }
}

/// The priority a severity maps to, if the profile maps it.
pub fn priority_for(
    profile: &MappingProfile,
    severity: Severity,
) -> Result<Option<i64>, ConnectorError> {
    psa_connector_sdk::lifecycle::priority_for(profile, severity, parse_id)
}

fn ticket_from_save(json: &Value) -> Result<HaloTicket, ConnectorError> {
    saved_object(json)
        .and_then(HaloTicket::from_json)
        .map_err(|m| invalid_response("POST /api/Tickets", m))
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::rc::Rc;

    use crate::session::HaloSession;
    use crate::testing::{json, settings, Scripted, TOKEN};
    use crate::types::{MappingProfile, Severity, SyncStrategy, TenantMapping, TicketRequest};
    use psa_connector_sdk::http::TransportError;

    fn profile() -> MappingProfile {
        MappingProfile {
            tenants: vec![TenantMapping {
                tenant_id: "t1".into(),
                organization_id: "3".into(),
                site_id: None,
            }],
            fallback_organization_id: None,
            priorities: vec![],
            default_status_id: None,
            ticket_type_id: None,
            team_id: None,
            category: None,
            strategy: SyncStrategy::CreateOnly,
            reopen_window_hours: 0,
            reopen_status_id: None,
            close_status_id: None,
            rules: vec![],
            source_id: None,
        }
    }

    /// Halo creates the ticket but the answer is lost: the connector finds it by its reference
    /// instead of creating a second one.
    #[test]
    fn lost_create_answer_is_recovered_without_a_duplicate() {
        let reference = Rc::new(Cell::new(None::<String>));
        let seen = reference.clone();
        let (transport, log) = Scripted::new(move |req, _| match req.url.path() {
            "/auth/token" => json(200, TOKEN),
            "/api/Status" => json(200, r#"[{"id":1,"name":"New"},{"id":9,"name":"Closed"}]"#),
            "/api/Tickets" if req.body.is_some() => {
                let body: serde_json::Value =
                    serde_json::from_slice(req.body.as_ref().unwrap()).unwrap();
                seen.set(body[0]["supplier_reference"].as_str().map(str::to_string));
                Err(TransportError::Failed("connection reset".into()))
            }
            "/api/Tickets" => {
                let r = seen.take().unwrap_or_default();
                json(
                    200,
                    &format!(
                        r#"{{"record_count":1,"tickets":[{{"id":77,"summary":"s","status_id":1,"supplier_reference":"{r}"}}]}}"#
                    ),
                )
            }
            _ => json(404, "{}"),
        });
        let session = HaloSession::open(&settings(), transport).unwrap();
        let request = TicketRequest {
            tenant_id: "t1".into(),
            severity: Severity::High,
            summary: "s".into(),
            details: "d".into(),
            contact: None,
        };
        let change = session.create_ticket(&profile(), &request).unwrap();
        assert_eq!(change.ticket.id, "77");
        assert!(change.ticket.created_by_connector);
        assert_eq!(
            log.count("POST /api/Tickets"),
            1,
            "the create was not re-sent"
        );
        assert_eq!(
            change
                .audit
                .requests
                .iter()
                .filter(|r| r.method == "POST" && r.status == 0)
                .count(),
            1
        );
    }

    #[test]
    fn unmapped_tenant_is_a_typed_error_before_any_request() {
        let (transport, log) = Scripted::new(|_, _| json(500, "{}"));
        let session = HaloSession::open(&settings(), transport).unwrap();
        let request = TicketRequest {
            tenant_id: "nobody".into(),
            severity: Severity::Low,
            summary: "s".into(),
            details: "d".into(),
            contact: None,
        };
        assert!(matches!(
            session.create_ticket(&profile(), &request),
            Err(crate::types::ConnectorError::UnmappedTenant(_))
        ));
        assert_eq!(log.requests.borrow().len(), 0);
    }
}
