//! The in-memory ConnectWise records (kept as the JSON the API returns) and the write rules:
//! ticket creation (required fields, lengths, references by id or name, board defaults, status on
//! the board), JSON-patch updates (closing and re-opening) and notes (the display-flag rule).

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::reply::{
    bad_body, field_error, invalid_field, invalid_object, missing_field, not_found, too_long, Reply,
};
use super::seed_ids as ids;
use crate::clock;

/// A JSON object.
pub(crate) type Obj = Map<String, Value>;

/// Longest `summary`.
const SUMMARY_MAX: usize = 100;
/// Longest `externalXRef`.
const XREF_MAX: usize = 100;

/// Every record of the mock instance.
#[derive(Debug, Default)]
pub(crate) struct Store {
    pub companies: BTreeMap<i64, Value>,
    pub boards: BTreeMap<i64, Value>,
    /// Board statuses (each has `board{id,name}`).
    pub statuses: BTreeMap<i64, Value>,
    /// Board teams (each has `boardId`).
    pub teams: BTreeMap<i64, Value>,
    /// Board types (each has `board{id,name}`).
    pub types: BTreeMap<i64, Value>,
    /// Board subtypes (each has `board{id,name}`).
    pub subtypes: BTreeMap<i64, Value>,
    pub priorities: BTreeMap<i64, Value>,
    /// Service sources (`/service/sources`): `{id, name, defaultFlag}`; a ticket's `source`.
    pub sources: BTreeMap<i64, Value>,
    pub members: BTreeMap<i64, Value>,
    /// Company contacts (each has `company{id,identifier,name}` and `communicationItems`).
    pub contacts: BTreeMap<i64, Value>,
    pub tickets: BTreeMap<i64, Value>,
    /// Ticket notes (each has `ticketId`).
    pub notes: BTreeMap<i64, Value>,
    pub next_ticket_id: i64,
    pub next_note_id: i64,
}

/// Now as ConnectWise writes dates: `YYYY-MM-DDTHH:MM:SSZ` (UTC).
pub(crate) fn now() -> String {
    format!("{}Z", clock::now_utc())
}

fn int(v: &Value, key: &str) -> Option<i64> {
    v.get(key).and_then(Value::as_i64)
}

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or_default()
}

fn flag(v: &Value, key: &str) -> bool {
    v.get(key).and_then(Value::as_bool).unwrap_or(false)
}

/// `{id, name}` of a record.
pub(crate) fn id_name(v: &Value) -> Value {
    json!({ "id": v["id"], "name": v["name"] })
}

/// `{id, identifier, name}` of a company or member.
pub(crate) fn id_identifier_name(v: &Value) -> Value {
    json!({ "id": v["id"], "identifier": v["identifier"], "name": v["name"] })
}

/// Which board a status/type/subtype/team belongs to.
fn board_of(v: &Value) -> Option<i64> {
    int(v, "boardId").or_else(|| v.get("board").and_then(|b| int(b, "id")))
}

/// How a reference field names its record besides `id`.
struct RefKind {
    /// The ticket field, e.g. `status`.
    field: &'static str,
    /// The other key it may be given by (`identifier` or `name`).
    by: &'static str,
    /// ConnectWise's name of the record kind, for messages.
    what: &'static str,
}

/// Resolves a reference value (`{"id": n}` or `{"<by>": "…"}`) among `records` accepted by `ok`;
/// `scope` is appended to not-found messages (e.g. " for Service Board 21").
fn resolve_ref(
    value: &Value,
    kind: &RefKind,
    records: &BTreeMap<i64, Value>,
    ok: impl Fn(&Value) -> bool,
    scope: &str,
) -> Result<i64, Reply> {
    let Some(obj) = value.as_object() else {
        return Err(invalid_field(
            "ticket",
            "InvalidObject",
            kind.field,
            format!(
                "The field {} must be an object such as {{\"id\": 1}}, not {}.",
                kind.field, value
            ),
        ));
    };
    let nf = |sub: &str, shown: String| {
        invalid_object(
            "ticket",
            vec![field_error(
                "NotFound",
                format!("{} {shown} not found{scope}", kind.what),
                "ticket",
                &format!("{}/{sub}", kind.field),
            )],
        )
    };
    if let Some(id) = obj.get("id").filter(|v| !v.is_null()) {
        let id = id.as_i64().ok_or_else(|| nf("id", id.to_string()))?;
        return records
            .get(&id)
            .filter(|r| ok(r))
            .map(|_| id)
            .ok_or_else(|| nf("id", id.to_string()));
    }
    if let Some(name) = obj.get(kind.by).and_then(Value::as_str) {
        return records
            .iter()
            .find(|(_, r)| ok(r) && text(r, kind.by).eq_ignore_ascii_case(name.trim()))
            .map(|(id, _)| *id)
            .ok_or_else(|| nf(kind.by, format!("'{name}'")));
    }
    Err(missing_field("ticket", &format!("{}/id", kind.field)))
}

const fn kind(field: &'static str, by: &'static str, what: &'static str) -> RefKind {
    RefKind { field, by, what }
}

const COMPANY: RefKind = kind("company", "identifier", "Company");
const BOARD: RefKind = kind("board", "name", "Service Board");
const STATUS: RefKind = kind("status", "name", "Service Status");
const PRIORITY: RefKind = kind("priority", "name", "Priority");
const TEAM: RefKind = kind("team", "name", "Team");
const TYPE: RefKind = kind("type", "name", "Type");
const SUBTYPE: RefKind = kind("subType", "name", "SubType");
const OWNER: RefKind = kind("owner", "identifier", "Member");
const CONTACT: RefKind = kind("contact", "name", "Contact");
const SOURCE: RefKind = kind("source", "name", "Source");

/// Ticket fields that hold plain text, with their longest length.
const TEXT_FIELDS: &[(&str, usize)] = &[
    ("summary", SUMMARY_MAX),
    ("externalXRef", XREF_MAX),
    ("contactName", 62),
    ("contactEmailAddress", 250),
    ("contactPhoneNumber", 20),
    ("poNumber", 50),
    ("severity", 20),
    ("impact", 20),
];

/// Ticket fields that hold a boolean.
const BOOL_FIELDS: &[&str] = &["closedFlag", "customerUpdatedFlag"];

/// Ticket fields that hold a reference object.
const REF_FIELDS: &[&str] = &[
    "company", "board", "status", "priority", "team", "type", "subType", "owner", "contact",
    "source",
];

/// Reference fields a ticket cannot be without.
const REQUIRED_REFS: &[&str] = &["company", "board", "status", "priority"];

impl Store {
    /// The member acting, as `(id, identifier, name)` references need.
    pub fn member_ref(&self, member_id: i64) -> Value {
        self.members
            .get(&member_id)
            .map(id_identifier_name)
            .unwrap_or_else(|| json!({ "id": member_id }))
    }

    fn identifier_of(&self, member_id: i64) -> String {
        self.members
            .get(&member_id)
            .map(|m| text(m, "identifier").to_string())
            .unwrap_or_default()
    }

    /// Whether status `id` is a closed status.
    pub fn is_closed_status(&self, id: i64) -> bool {
        self.statuses
            .get(&id)
            .is_some_and(|s| flag(s, "closedStatus"))
    }

    /// The `defaultFlag` record of `records` on `board` (or the first active one).
    fn board_default(records: &BTreeMap<i64, Value>, board: i64) -> Option<i64> {
        let on_board = || {
            records
                .iter()
                .filter(move |(_, r)| board_of(r) == Some(board))
        };
        on_board()
            .find(|(_, r)| flag(r, "defaultFlag"))
            .or_else(|| on_board().find(|(_, r)| !flag(r, "inactive") && !flag(r, "inactiveFlag")))
            .map(|(id, _)| *id)
    }

    /// `POST /service/tickets`: validates, applies defaults, stores; returns the full ticket.
    pub fn create_ticket(&mut self, body: &Value, actor: i64) -> Result<Value, Reply> {
        let Some(obj) = body.as_object() else {
            return Err(bad_body("The request body must be a ticket object."));
        };
        check_text_fields(obj)?;
        if text(body, "summary").trim().is_empty() {
            return Err(missing_field("ticket", "summary"));
        }
        let company_value = obj
            .get("company")
            .filter(|v| !v.is_null())
            .ok_or_else(|| missing_field("ticket", "company"))?;
        let company = resolve_ref(
            company_value,
            &COMPANY,
            &self.companies,
            |c| !flag(c, "deletedFlag"),
            "",
        )?;
        let board = match obj.get("board").filter(|v| !v.is_null()) {
            Some(v) => self.usable_board(v)?,
            None => ids::BOARD_ALERTS,
        };
        let mut ticket = Obj::new();
        ticket.insert("summary".into(), json!(text(body, "summary").trim()));
        ticket.insert("recordType".into(), json!("ServiceTicket"));
        ticket.insert("board".into(), id_name(&self.boards[&board]));
        ticket.insert(
            "company".into(),
            id_identifier_name(&self.companies[&company]),
        );
        for field in [
            "status", "priority", "team", "type", "subType", "owner", "contact", "source",
        ] {
            if let Some(v) = obj.get(field).filter(|v| !v.is_null()) {
                let resolved = self.resolve_on_board(field, v, board)?;
                ticket.insert(field.into(), resolved);
            }
        }
        for (field, default) in [
            ("status", Self::board_default(&self.statuses, board)),
            ("type", Self::board_default(&self.types, board)),
        ] {
            if !ticket.contains_key(field) {
                if let Some(d) = default {
                    let v = self.resolve_on_board(field, &json!({ "id": d }), board)?;
                    ticket.insert(field.into(), v);
                }
            }
        }
        if !ticket.contains_key("priority") {
            let default = self
                .priorities
                .iter()
                .find(|(_, p)| flag(p, "defaultFlag"))
                .map(|(id, _)| *id)
                .unwrap_or(ids::PRIORITY_NORMAL);
            ticket.insert(
                "priority".into(),
                self.resolve_on_board("priority", &json!({ "id": default }), board)?,
            );
        }
        for (field, _) in TEXT_FIELDS.iter().skip(1) {
            if let Some(Value::String(s)) = obj.get(*field) {
                ticket.insert((*field).into(), json!(s));
            }
        }
        for field in ["severity", "impact"] {
            ticket.entry(field).or_insert_with(|| json!("Medium"));
        }
        ticket.insert("closedFlag".into(), json!(false));
        ticket.insert(
            "customerUpdatedFlag".into(),
            json!(flag(body, "customerUpdatedFlag")),
        );
        if let Some(parent) = obj.get("parentTicketId").and_then(Value::as_i64) {
            ticket.insert("parentTicketId".into(), json!(parent));
        }
        // Only a valid ticket takes an id.
        let id = self.next_ticket_id;
        self.next_ticket_id += 1;
        ticket.insert("id".into(), json!(id));
        let when = now();
        let who = self.identifier_of(actor);
        ticket.insert(
            "_info".into(),
            json!({ "dateEntered": when, "lastUpdated": when, "enteredBy": who, "updatedBy": who,
                    "notes_href": format!("service/tickets/{id}/notes") }),
        );
        let mut ticket = Value::Object(ticket);
        self.apply_closing(&mut ticket, false, actor, &when);
        self.tickets.insert(id, ticket.clone());
        for (field, flag_name) in [
            ("initialDescription", "detailDescriptionFlag"),
            ("initialInternalAnalysis", "internalAnalysisFlag"),
            ("initialResolution", "resolutionFlag"),
        ] {
            if let Some(text) = obj
                .get(field)
                .and_then(Value::as_str)
                .filter(|t| !t.is_empty())
            {
                self.insert_note(id, &json!({ "text": text, flag_name: true }), actor);
            }
        }
        Ok(ticket)
    }

    /// A board that can hold service tickets.
    fn usable_board(&self, value: &Value) -> Result<i64, Reply> {
        let board = resolve_ref(value, &BOARD, &self.boards, |_| true, "")?;
        let b = &self.boards[&board];
        let problem = if flag(b, "inactiveFlag") {
            Some(format!("Service Board '{}' is inactive.", text(b, "name")))
        } else if flag(b, "projectFlag") {
            Some(format!(
                "Service Board '{}' is a project board; service tickets cannot use it.",
                text(b, "name")
            ))
        } else {
            None
        };
        match problem {
            Some(message) => Err(invalid_field("ticket", "InvalidObject", "board", message)),
            None => Ok(board),
        }
    }

    /// Resolves a reference field given for a ticket on `board`, to the object stored.
    fn resolve_on_board(&self, field: &str, value: &Value, board: i64) -> Result<Value, Reply> {
        let scope = format!(" for Service Board {board}");
        let on_board = |r: &Value| board_of(r) == Some(board);
        Ok(match field {
            "status" => {
                let id = resolve_ref(value, &STATUS, &self.statuses, on_board, &scope)?;
                let s = &self.statuses[&id];
                json!({ "id": id, "name": s["name"], "Sort": s["sortOrder"] })
            }
            "team" => {
                id_name(&self.teams[&resolve_ref(value, &TEAM, &self.teams, on_board, &scope)?])
            }
            "type" => {
                id_name(&self.types[&resolve_ref(value, &TYPE, &self.types, on_board, &scope)?])
            }
            "subType" => id_name(
                &self.subtypes[&resolve_ref(value, &SUBTYPE, &self.subtypes, on_board, &scope)?],
            ),
            "priority" => {
                let id = resolve_ref(value, &PRIORITY, &self.priorities, |_| true, "")?;
                let p = &self.priorities[&id];
                json!({ "id": id, "name": p["name"], "sort": p["sortOrder"], "level": p["level"] })
            }
            "owner" => {
                let id = resolve_ref(
                    value,
                    &OWNER,
                    &self.members,
                    |m| !flag(m, "inactiveFlag"),
                    "",
                )?;
                id_identifier_name(&self.members[&id])
            }
            "company" => {
                let id = resolve_ref(
                    value,
                    &COMPANY,
                    &self.companies,
                    |c| !flag(c, "deletedFlag"),
                    "",
                )?;
                id_identifier_name(&self.companies[&id])
            }
            "board" => id_name(&self.boards[&self.usable_board(value)?]),
            "source" => {
                id_name(&self.sources[&resolve_ref(value, &SOURCE, &self.sources, |_| true, "")?])
            }
            _ => {
                let id = resolve_ref(
                    value,
                    &CONTACT,
                    &self.contacts,
                    |c| !flag(c, "inactiveFlag"),
                    "",
                )?;
                id_name(&self.contacts[&id])
            }
        })
    }

    /// Sets or clears `closedFlag`/`closedDate`/`closedBy` after a status change: a closed
    /// status closes, leaving one re-opens.
    fn apply_closing(&self, ticket: &mut Value, was_closed: bool, actor: i64, when: &str) {
        let status = ticket.get("status").and_then(|s| int(s, "id")).unwrap_or(0);
        let closed = self.is_closed_status(status);
        self.set_closed(ticket, closed, was_closed, actor, when);
    }

    fn set_closed(
        &self,
        ticket: &mut Value,
        closed: bool,
        was_closed: bool,
        actor: i64,
        when: &str,
    ) {
        let Some(t) = ticket.as_object_mut() else {
            return;
        };
        t.insert("closedFlag".into(), json!(closed));
        if closed && !was_closed {
            t.insert("closedDate".into(), json!(when));
            t.insert("closedBy".into(), json!(self.identifier_of(actor)));
        } else if !closed {
            t.remove("closedDate");
            t.remove("closedBy");
        }
    }

    /// `PATCH /service/tickets/{id}` with a JSON-patch array.
    pub fn patch_ticket(&mut self, id: i64, body: &Value, actor: i64) -> Result<Value, Reply> {
        let Some(ops) = body.as_array() else {
            return Err(bad_body(
                "The request body must be a JSON array of patch operations ({op, path, value}).",
            ));
        };
        let mut ticket = self
            .tickets
            .get(&id)
            .cloned()
            .ok_or_else(|| not_found("Ticket", id))?;
        let was_closed = flag(&ticket, "closedFlag");
        let board_before = ticket["board"]["id"].as_i64().unwrap_or(0);
        let mut status_given = None;
        let mut closed_flag_given = None;
        for op in ops {
            let kind = op
                .get("op")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_ascii_lowercase();
            let path = op.get("path").and_then(Value::as_str).unwrap_or_default();
            let path = path.strip_prefix('/').unwrap_or(path);
            if !matches!(kind.as_str(), "add" | "replace" | "remove") {
                return Err(bad_body(format!(
                    "Unsupported patch op '{kind}' (expected add, replace or remove)."
                )));
            }
            if let Some((head, _)) = path.split_once('/') {
                if REF_FIELDS.contains(&head) {
                    // As the Developer Guide warns: a sub-path of a reference answers 200 and
                    // changes nothing. Replace the whole object instead.
                    continue;
                }
            }
            let value = op.get("value").cloned().unwrap_or(Value::Null);
            let t = ticket.as_object_mut().expect("tickets are objects");
            if kind == "remove" {
                if path == "summary" || REQUIRED_REFS.contains(&path) {
                    return Err(missing_field("ticket", path));
                }
                if TEXT_FIELDS.iter().any(|(f, _)| *f == path) || REF_FIELDS.contains(&path) {
                    t.remove(path);
                    continue;
                }
                return Err(unknown_path(path));
            }
            if let Some((_, max)) = TEXT_FIELDS.iter().find(|(f, _)| *f == path) {
                let Some(s) = value.as_str() else {
                    return Err(invalid_field(
                        "ticket",
                        "InvalidObject",
                        path,
                        format!("The field {path} must be a string."),
                    ));
                };
                if s.chars().count() > *max {
                    return Err(too_long("ticket", path, *max));
                }
                if path == "summary" && s.trim().is_empty() {
                    return Err(missing_field("ticket", "summary"));
                }
                t.insert(path.into(), json!(s));
            } else if BOOL_FIELDS.contains(&path) {
                let b = value.as_bool().ok_or_else(|| {
                    invalid_field(
                        "ticket",
                        "InvalidObject",
                        path,
                        format!("The field {path} must be true or false."),
                    )
                })?;
                if path == "closedFlag" {
                    closed_flag_given = Some(b);
                } else {
                    t.insert(path.into(), json!(b));
                }
            } else if path == "status" {
                if !value.is_object() {
                    return Err(invalid_field("ticket", "InvalidObject", "status", format!("The field status must be an object such as {{\"id\": 1}}, not {value}.")));
                }
                status_given = Some(value);
            } else if REF_FIELDS.contains(&path) {
                let board = ticket["board"]["id"].as_i64().unwrap_or(0);
                let resolved = self.resolve_on_board(path, &value, board)?;
                ticket
                    .as_object_mut()
                    .expect("object")
                    .insert(path.into(), resolved);
            } else {
                return Err(unknown_path(path));
            }
        }
        let board = ticket["board"]["id"].as_i64().unwrap_or(0);
        let t = ticket.as_object_mut().expect("object");
        if board != board_before {
            // Board-scoped fields that do not exist on the new board fall back to its defaults.
            for (field, records) in [
                ("team", &self.teams),
                ("type", &self.types),
                ("subType", &self.subtypes),
            ] {
                let keep = t
                    .get(field)
                    .and_then(|v| int(v, "id"))
                    .and_then(|id| records.get(&id))
                    .is_some_and(|r| board_of(r) == Some(board));
                if !keep {
                    t.remove(field);
                }
            }
        }
        let status_value = match status_given {
            Some(v) => Some(v),
            None if board != board_before => {
                Self::board_default(&self.statuses, board).map(|id| json!({ "id": id }))
            }
            None => None,
        };
        let when = now();
        let status_changed = status_value.is_some();
        if let Some(v) = status_value {
            let resolved = self.resolve_on_board("status", &v, board)?;
            ticket
                .as_object_mut()
                .expect("object")
                .insert("status".into(), resolved);
        }
        if status_changed {
            self.apply_closing(&mut ticket, was_closed, actor, &when);
        }
        if let Some(closed) = closed_flag_given {
            let now_closed = flag(&ticket, "closedFlag");
            self.set_closed(&mut ticket, closed, now_closed, actor, &when);
        }
        self.touch(&mut ticket, actor, &when);
        self.tickets.insert(id, ticket.clone());
        Ok(ticket)
    }

    /// Sets `_info.lastUpdated`/`updatedBy`.
    pub fn touch(&self, ticket: &mut Value, actor: i64, when: &str) {
        if let Some(info) = ticket.get_mut("_info").and_then(Value::as_object_mut) {
            info.insert("lastUpdated".into(), json!(when));
            info.insert("updatedBy".into(), json!(self.identifier_of(actor)));
        }
    }

    /// `POST /service/tickets/{id}/notes`.
    pub fn add_note(&mut self, ticket_id: i64, body: &Value, actor: i64) -> Result<Value, Reply> {
        if !self.tickets.contains_key(&ticket_id) {
            return Err(not_found("Ticket", ticket_id));
        }
        let Some(obj) = body.as_object() else {
            return Err(bad_body("The request body must be a serviceNote object."));
        };
        if obj
            .get("text")
            .and_then(Value::as_str)
            .is_none_or(|t| t.trim().is_empty())
        {
            return Err(missing_field("serviceNote", "text"));
        }
        if ![
            "detailDescriptionFlag",
            "internalAnalysisFlag",
            "resolutionFlag",
        ]
        .iter()
        .any(|f| flag(body, f))
        {
            return Err(invalid_object(
                "serviceNote",
                vec![field_error(
                    "InvalidObject",
                    "Please choose where to display the notes in order to save this record.",
                    "serviceNote",
                    "detailDescriptionFlag",
                )],
            ));
        }
        let note = self.insert_note(ticket_id, body, actor);
        let when = now();
        if let Some(mut ticket) = self.tickets.remove(&ticket_id) {
            self.touch(&mut ticket, actor, &when);
            self.tickets.insert(ticket_id, ticket);
        }
        Ok(note)
    }

    /// Stores a (valid) note by `actor`.
    pub fn insert_note(&mut self, ticket_id: i64, body: &Value, actor: i64) -> Value {
        let id = self.next_note_id;
        self.next_note_id += 1;
        let when = now();
        let who = self.identifier_of(actor);
        let (detail, internal, resolution) = (
            flag(body, "detailDescriptionFlag"),
            flag(body, "internalAnalysisFlag"),
            flag(body, "resolutionFlag"),
        );
        // ConnectWise's developer guide: newline and carriage return are "not supported" in
        // JSON bodies and come back as a space.
        let stored_text = text(body, "text").replace(['\r', '\n'], " ");
        let note = json!({
            "id": id, "ticketId": ticket_id, "text": stored_text,
            "detailDescriptionFlag": detail, "internalAnalysisFlag": internal,
            "resolutionFlag": resolution, "issueFlag": flag(body, "issueFlag"),
            "member": self.member_ref(actor), "createdBy": who, "dateCreated": when,
            "internalFlag": internal, "externalFlag": detail || resolution,
            "customerUpdatedFlag": false,
            "_info": { "lastUpdated": when, "updatedBy": who },
        });
        self.notes.insert(id, note.clone());
        note
    }

    /// The notes of a ticket, oldest first.
    pub fn notes_of(&self, ticket_id: i64) -> Vec<Value> {
        self.notes
            .values()
            .filter(|n| int(n, "ticketId") == Some(ticket_id))
            .cloned()
            .collect()
    }
}

fn unknown_path(path: &str) -> Reply {
    invalid_field(
        "ticket",
        "InvalidObject",
        path,
        format!(
            "'{path}' is not a field of ticket that can be patched (paths are case-sensitive)."
        ),
    )
}

/// Types and lengths of the plain-text fields of a create body.
fn check_text_fields(obj: &Obj) -> Result<(), Reply> {
    for (field, max) in TEXT_FIELDS {
        match obj.get(*field) {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) if s.chars().count() > *max => {
                return Err(too_long("ticket", field, *max))
            }
            Some(Value::String(_)) => {}
            Some(_) => {
                return Err(invalid_field(
                    "ticket",
                    "InvalidObject",
                    field,
                    format!("The field {field} must be a string."),
                ))
            }
        }
    }
    Ok(())
}
