//! The in-memory Halo database and its write rules (ticket, action and client upserts).
//!
//! Every record is kept as the JSON object Halo would return, so unknown fields sent by a client
//! are stored and returned as-is. Validation failures come back as ready-to-send [`Reply`]s.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::reply::Reply;
use super::seed_ids as ids;
use crate::clock;

/// A JSON object.
pub(crate) type Obj = Map<String, Value>;

/// Request fields that steer Halo's processing and are never stored.
const CONTROL_FLAGS: &[&str] = &[
    "dont_do_rules",
    "apply_rules",
    "donotapplytemplateintheapi",
    "return_this",
    "sendemail",
    "returnall",
];

/// Who performs a write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Actor {
    /// Agent id (0 for the system).
    pub agent_id: i64,
    /// `who_type` of the actions it records: 0 system, 1 agent, 2 end user.
    pub who_type: i64,
}

impl Actor {
    /// Halo itself (automatic actions).
    pub const SYSTEM: Actor = Actor {
        agent_id: 0,
        who_type: 0,
    };

    /// An agent (the API agent or a technician).
    pub fn agent(agent_id: i64) -> Actor {
        Actor {
            agent_id,
            who_type: 1,
        }
    }
}

/// All records of one mock instance.
#[derive(Debug, Default, Clone)]
pub(crate) struct Store {
    pub clients: BTreeMap<i64, Value>,
    pub sites: BTreeMap<i64, Value>,
    pub users: BTreeMap<i64, Value>,
    pub agents: BTreeMap<i64, Value>,
    pub statuses: BTreeMap<i64, Value>,
    pub slas: BTreeMap<i64, Value>,
    /// Priorities of every SLA (`id` is a GUID string, `priorityid` the ticket value).
    pub priorities: Vec<Value>,
    /// Ticket types including their `fields` list (only shown by `GET /TicketType/{id}`).
    pub ticket_types: BTreeMap<i64, Value>,
    pub teams: BTreeMap<i64, Value>,
    pub outcomes: BTreeMap<i64, Value>,
    /// Ticket sources (`GET /api/Lookup?lookupid=41`): `{id, name}`; a ticket's `source`.
    pub sources: BTreeMap<i64, Value>,
    pub tickets: BTreeMap<i64, Value>,
    pub actions: BTreeMap<i64, Value>,
    pub next_client_id: i64,
    pub next_site_id: i64,
    pub next_ticket_id: i64,
    pub next_action_id: i64,
}

// ---- small JSON accessors ------------------------------------------------------------------

/// `v[key]` as an integer.
pub(crate) fn int_of(v: &Value, key: &str) -> Option<i64> {
    v.get(key).and_then(Value::as_i64)
}

/// `v[key]` as a string.
pub(crate) fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// `v[key]` as a bool (absent = false).
pub(crate) fn bool_of(v: &Value, key: &str) -> bool {
    v.get(key).and_then(Value::as_bool).unwrap_or(false)
}

/// Reads an integer field of element `idx` of a POSTed array. Absent or `null` = `None`.
/// Anything but a JSON integer (e.g. `95.0` or `"95"`) is a 400 in ASP.NET model-state form.
pub(crate) fn int_field(obj: &Obj, key: &str, idx: usize) -> Result<Option<i64>, Reply> {
    let path = format!("[{idx}].{key}");
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => match n.as_i64() {
            Some(i) => Ok(Some(i)),
            None => Err(Reply::model_state(
                &path,
                format!("Input string '{n}' is not a valid integer. Path '{path}'."),
            )),
        },
        Some(other) => Err(Reply::model_state(
            &path,
            format!("Error converting value {other} to type 'System.Int32'. Path '{path}'."),
        )),
    }
}

/// A non-empty trimmed string field.
fn text_field<'a>(obj: &'a Obj, key: &str) -> Option<&'a str> {
    obj.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// Whether a (mandatory) field has a value.
fn has_value(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => false,
        Some(Value::String(s)) => !s.trim().is_empty(),
        Some(_) => true,
    }
}

/// The element without `id` and control flags: what gets stored as-is. Halo keeps a ticket's
/// description and an action's note as HTML: `details_html` / `note_html` are stored (and read
/// back) as `details` / `note`, exactly as sent.
fn storable(obj: &Obj) -> Obj {
    let mut stored: Obj = obj
        .iter()
        .filter(|(k, _)| {
            let k = k.to_ascii_lowercase();
            k != "id" && !k.starts_with('_') && !CONTROL_FLAGS.contains(&k.as_str())
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for (html, text) in [("details_html", "details"), ("note_html", "note")] {
        if let Some(value) = stored.remove(html) {
            stored.insert(text.into(), value);
        }
    }
    stored
}

impl Store {
    /// Id of the status named `Closed`.
    pub fn closed_status_id(&self) -> i64 {
        self.statuses
            .values()
            .find(|s| {
                str_of(s, "name").is_some_and(|n| n.eq_ignore_ascii_case(ids::CLOSED_STATUS_NAME))
            })
            .and_then(|s| int_of(s, "id"))
            .unwrap_or(ids::STATUS_CLOSED)
    }

    /// The name of an agent (empty when unknown).
    fn agent_name(&self, id: i64) -> String {
        self.agents
            .get(&id)
            .and_then(|a| str_of(a, "name"))
            .unwrap_or_default()
            .to_string()
    }

    /// The canonical name of an existing team (case-insensitive match).
    fn team_name(&self, name: &str) -> Option<String> {
        self.teams
            .values()
            .filter_map(|t| str_of(t, "name"))
            .find(|n| n.eq_ignore_ascii_case(name.trim()))
            .map(str::to_string)
    }

    /// Whether `priority_id` is a priority of SLA `sla_id`.
    fn priority_in_sla(&self, sla_id: i64, priority_id: i64) -> bool {
        self.priorities.iter().any(|p| {
            int_of(p, "slaid") == Some(sla_id) && int_of(p, "priorityid") == Some(priority_id)
        })
    }

    fn sla_name(&self, sla_id: i64) -> String {
        self.slas
            .get(&sla_id)
            .and_then(|s| str_of(s, "name"))
            .map_or_else(|| sla_id.to_string(), str::to_string)
    }

    /// An active client, or the 400 Halo gives.
    fn active_client(&self, client_id: i64) -> Result<&Value, Reply> {
        let client = self
            .clients
            .get(&client_id)
            .ok_or_else(|| Reply::bad_request(format!("Client {client_id} does not exist")))?;
        if bool_of(client, "inactive") {
            return Err(Reply::bad_request(format!(
                "Client '{}' is inactive",
                str_of(client, "name").unwrap_or_default()
            )));
        }
        Ok(client)
    }

    /// An active, agent-selectable ticket type, or the 400 Halo gives.
    fn selectable_type(&self, type_id: i64) -> Result<&Value, Reply> {
        let tt = self
            .ticket_types
            .get(&type_id)
            .ok_or_else(|| Reply::bad_request(format!("Ticket Type {type_id} does not exist")))?;
        let name = str_of(tt, "name").unwrap_or_default();
        if bool_of(tt, "inactive") {
            return Err(Reply::bad_request(format!(
                "Ticket Type '{name}' is inactive"
            )));
        }
        if !bool_of(tt, "agentscanselect") {
            return Err(Reply::bad_request(format!(
                "Ticket Type '{name}' cannot be selected by agents"
            )));
        }
        Ok(tt)
    }

    fn check_priority(&self, tt: &Value, priority_id: i64) -> Result<(), Reply> {
        let sla = int_of(tt, "default_sla").unwrap_or(0);
        if self.priority_in_sla(sla, priority_id) {
            Ok(())
        } else {
            Err(Reply::bad_request(format!(
                "Priority {priority_id} is not valid for SLA '{}' of Ticket Type '{}'",
                self.sla_name(sla),
                str_of(tt, "name").unwrap_or_default()
            )))
        }
    }

    fn check_status(&self, status_id: i64) -> Result<(), Reply> {
        if self.statuses.contains_key(&status_id) {
            Ok(())
        } else {
            Err(Reply::bad_request(format!(
                "Status {status_id} does not exist"
            )))
        }
    }

    fn check_agent(&self, agent_id: i64) -> Result<(), Reply> {
        if agent_id == 0 || self.agents.contains_key(&agent_id) {
            Ok(())
        } else {
            Err(Reply::bad_request(format!(
                "Agent {agent_id} does not exist"
            )))
        }
    }

    /// The site to store on a ticket of `client`: `site_id` must belong to it; default main site.
    fn ticket_site(&self, client: &Value, site_id: Option<i64>) -> Result<(i64, String), Reply> {
        let client_id = int_of(client, "id").unwrap_or(0);
        let site_id = site_id
            .filter(|s| *s != 0)
            .or_else(|| int_of(client, "main_site_id"))
            .unwrap_or(0);
        match self.sites.get(&site_id) {
            Some(site) if int_of(site, "client_id") == Some(client_id) => Ok((
                site_id,
                str_of(site, "name").unwrap_or_default().to_string(),
            )),
            _ => Err(Reply::bad_request(format!(
                "Site {site_id} does not belong to Client '{}'",
                str_of(client, "name").unwrap_or_default()
            ))),
        }
    }

    /// Sets a ticket's status with Halo's closing rules: entering the closed status sets
    /// `dateclosed` and `hasbeenclosed`; leaving it clears both (re-open).
    fn set_ticket_status(&mut self, ticket_id: i64, status_id: i64, now: &str) {
        let closed = self.closed_status_id();
        let Some(Value::Object(t)) = self.tickets.get_mut(&ticket_id) else {
            return;
        };
        let was_closed = t.get("status_id").and_then(Value::as_i64) == Some(closed)
            && t.get("hasbeenclosed").and_then(Value::as_bool) == Some(true);
        t.insert("status_id".into(), json!(status_id));
        if status_id == closed && !was_closed {
            t.insert("dateclosed".into(), json!(now));
            t.insert("hasbeenclosed".into(), json!(true));
        } else if status_id != closed {
            t.insert("dateclosed".into(), Value::Null);
            t.insert("hasbeenclosed".into(), json!(false));
        }
    }

    // ---- tickets ---------------------------------------------------------------------------

    /// Creates (no `id` or `id` 0) or updates one ticket of a `POST /api/Tickets` array.
    pub fn upsert_ticket(&mut self, obj: &Obj, idx: usize, actor: Actor) -> Result<Value, Reply> {
        match int_field(obj, "id", idx)? {
            None | Some(0) => self.create_ticket(obj, idx, actor),
            Some(id) => self.update_ticket(id, obj, idx),
        }
    }

    fn create_ticket(&mut self, obj: &Obj, idx: usize, _actor: Actor) -> Result<Value, Reply> {
        if text_field(obj, "summary").is_none() {
            return Err(Reply::bad_request("Please enter a Summary"));
        }
        let client_id = int_field(obj, "client_id", idx)?
            .filter(|c| *c > 0)
            .ok_or_else(|| Reply::bad_request("Please select a Client"))?;
        let client = self.active_client(client_id)?.clone();
        let type_id = int_field(obj, "tickettype_id", idx)?
            .filter(|t| *t != 0)
            .unwrap_or(ids::TICKET_TYPE_INCIDENT);
        let tt = self.selectable_type(type_id)?.clone();
        let priority_id = match int_field(obj, "priority_id", idx)?.filter(|p| *p != 0) {
            Some(p) => p,
            None => int_of(&tt, "default_priority").unwrap_or(0),
        };
        self.check_priority(&tt, priority_id)?;
        let status_id = int_field(obj, "status_id", idx)?
            .filter(|s| *s != 0)
            .or_else(|| int_of(&tt, "initial_status"))
            .unwrap_or(ids::STATUS_NEW);
        self.check_status(status_id)?;
        let (site_id, site_name) = self.ticket_site(&client, int_field(obj, "site_id", idx)?)?;
        let team = match text_field(obj, "team") {
            Some(t) => Some(
                self.team_name(t)
                    .ok_or_else(|| Reply::bad_request(format!("Team '{t}' does not exist")))?,
            ),
            None => str_of(&tt, "default_team").map(str::to_string),
        };
        let agent_id = int_field(obj, "agent_id", idx)?.unwrap_or(0);
        self.check_agent(agent_id)?;
        if let Some(source) = int_field(obj, "source", idx)?.filter(|s| *s != 0) {
            if !self.sources.contains_key(&source) {
                return Err(Reply::bad_request(format!(
                    "Ticket Source {source} does not exist"
                )));
            }
        }
        let user = match int_field(obj, "user_id", idx)?.filter(|u| *u > 0) {
            Some(u) => match self.users.get(&u) {
                Some(user) if int_of(user, "client_id") == Some(client_id) => Some(user.clone()),
                _ => {
                    return Err(Reply::bad_request(format!(
                        "User {u} does not belong to Client '{}'",
                        str_of(&client, "name").unwrap_or_default()
                    )))
                }
            },
            None => None,
        };

        let mut t = storable(obj);
        // Mandatory fields of the ticket type: value, else default, else refuse.
        if let Some(Value::Array(fields)) = tt.get("fields") {
            for f in fields {
                let name = str_of(f, "name").unwrap_or_default();
                if name.is_empty() || !bool_of(f, "mandatory") || has_value(t.get(name)) {
                    continue;
                }
                match f.get("default_value") {
                    Some(d) if has_value(Some(d)) => {
                        t.insert(name.to_string(), d.clone());
                    }
                    _ => {
                        return Err(Reply::bad_request(format!(
                            "{name} is mandatory for Ticket Type '{}'",
                            str_of(&tt, "name").unwrap_or_default()
                        )))
                    }
                }
            }
        }

        let now = clock::now_utc();
        let id = self.next_ticket_id;
        self.next_ticket_id += 1;
        let dateoccurred = t
            .get("dateoccurred")
            .and_then(Value::as_str)
            .filter(|d| clock::is_timestamp(d))
            .map_or_else(|| now.clone(), str::to_string);
        let computed = json!({
            "id": id,
            "client_id": client_id,
            "client_name": str_of(&client, "name").unwrap_or_default(),
            "site_id": site_id,
            "site_name": site_name,
            "tickettype_id": type_id,
            "sla_id": int_of(&tt, "default_sla").unwrap_or(0),
            "priority_id": priority_id,
            "status_id": 0,
            "team": team.unwrap_or_default(),
            "agent_id": agent_id,
            "dateoccurred": dateoccurred,
            "lastactiondate": now,
            "last_update": now,
            "dateclosed": null,
            "hasbeenclosed": false,
        });
        if let Value::Object(c) = computed {
            t.extend(c);
        }
        if !t.contains_key("details") {
            t.insert("details".into(), json!(""));
        }
        if let Some(user) = user {
            t.insert("user_id".into(), user["id"].clone());
            if !has_value(t.get("user_name")) {
                t.insert("user_name".into(), user["name"].clone());
            }
        }
        self.tickets.insert(id, Value::Object(t));
        self.set_ticket_status(id, status_id, &now);
        self.record_action(
            id,
            Actor::SYSTEM,
            json!({
                "outcome": "Ticket Logged",
                "outcome_id": 0,
                "note": "Ticket logged via the API",
                "hiddenfromuser": false,
                "new_status": status_id,
            }),
            &now,
        );
        Ok(self.tickets[&id].clone())
    }

    fn update_ticket(&mut self, id: i64, obj: &Obj, idx: usize) -> Result<Value, Reply> {
        let current = self
            .tickets
            .get(&id)
            .ok_or_else(|| Reply::not_found(format!("Ticket {id} not found")))?
            .clone();
        let mut patch = storable(obj);

        if obj.contains_key("summary") && text_field(obj, "summary").is_none() {
            return Err(Reply::bad_request("Please enter a Summary"));
        }
        // Client (and with it the site).
        let client_id = match int_field(obj, "client_id", idx)? {
            Some(c) if Some(c) != int_of(&current, "client_id") => {
                let client = self.active_client(c)?.clone();
                let (site_id, site_name) =
                    self.ticket_site(&client, int_field(obj, "site_id", idx)?)?;
                patch.insert("client_name".into(), client["name"].clone());
                patch.insert("site_id".into(), json!(site_id));
                patch.insert("site_name".into(), json!(site_name));
                c
            }
            _ => {
                let c = int_of(&current, "client_id").unwrap_or(0);
                if let Some(s) = int_field(obj, "site_id", idx)? {
                    let client = self.clients.get(&c).cloned().unwrap_or(Value::Null);
                    let (site_id, site_name) = self.ticket_site(&client, Some(s))?;
                    patch.insert("site_id".into(), json!(site_id));
                    patch.insert("site_name".into(), json!(site_name));
                }
                c
            }
        };
        patch.insert("client_id".into(), json!(client_id));
        // Ticket type, SLA and priority.
        let type_id = int_field(obj, "tickettype_id", idx)?
            .filter(|t| *t != 0)
            .or_else(|| int_of(&current, "tickettype_id"))
            .unwrap_or(ids::TICKET_TYPE_INCIDENT);
        let tt = if Some(type_id) != int_of(&current, "tickettype_id") {
            self.selectable_type(type_id)?.clone()
        } else {
            self.ticket_types
                .get(&type_id)
                .cloned()
                .unwrap_or(Value::Null)
        };
        patch.insert("tickettype_id".into(), json!(type_id));
        patch.insert(
            "sla_id".into(),
            json!(int_of(&tt, "default_sla").unwrap_or(0)),
        );
        match int_field(obj, "priority_id", idx)? {
            Some(p) => {
                self.check_priority(&tt, p)?;
                patch.insert("priority_id".into(), json!(p));
            }
            None => {
                let p = int_of(&current, "priority_id").unwrap_or(0);
                let sla = int_of(&tt, "default_sla").unwrap_or(0);
                if !self.priority_in_sla(sla, p) {
                    let d = int_of(&tt, "default_priority").unwrap_or(0);
                    patch.insert("priority_id".into(), json!(d));
                }
            }
        }
        let status_id = int_field(obj, "status_id", idx)?;
        if let Some(s) = status_id {
            self.check_status(s)?;
            patch.remove("status_id");
        }
        if obj.contains_key("team") {
            let team = match text_field(obj, "team") {
                Some(t) => self
                    .team_name(t)
                    .ok_or_else(|| Reply::bad_request(format!("Team '{t}' does not exist")))?,
                None => String::new(),
            };
            patch.insert("team".into(), json!(team));
        }
        if let Some(a) = int_field(obj, "agent_id", idx)? {
            self.check_agent(a)?;
        }
        if let Some(u) = int_field(obj, "user_id", idx)?.filter(|u| *u > 0) {
            match self.users.get(&u) {
                Some(user) if int_of(user, "client_id") == Some(client_id) => {
                    if !has_value(obj.get("user_name")) {
                        patch.insert("user_name".into(), user["name"].clone());
                    }
                }
                _ => {
                    return Err(Reply::bad_request(format!(
                        "User {u} does not belong to the ticket's Client"
                    )))
                }
            }
        }
        // Maintained by the mock itself.
        patch.remove("dateclosed");
        patch.remove("hasbeenclosed");

        let now = clock::now_utc();
        if let Some(Value::Object(t)) = self.tickets.get_mut(&id) {
            t.extend(patch);
            t.insert("last_update".into(), json!(now));
        }
        if let Some(s) = status_id {
            self.set_ticket_status(id, s, &now);
        }
        Ok(self.tickets[&id].clone())
    }

    // ---- actions ---------------------------------------------------------------------------

    /// Creates (no `id`) or updates one action of a `POST /api/Actions` array.
    pub fn upsert_action(&mut self, obj: &Obj, idx: usize, actor: Actor) -> Result<Value, Reply> {
        if let Some(id) = int_field(obj, "id", idx)?.filter(|i| *i != 0) {
            let Some(Value::Object(a)) = self.actions.get_mut(&id) else {
                return Err(Reply::not_found(format!("Action {id} not found")));
            };
            for (k, v) in storable(obj) {
                if !matches!(k.as_str(), "ticket_id" | "who" | "who_type" | "who_agentid") {
                    a.insert(k, v);
                }
            }
            return Ok(Value::Object(a.clone()));
        }
        let ticket_id = int_field(obj, "ticket_id", idx)?
            .filter(|t| *t > 0)
            .ok_or_else(|| Reply::bad_request("Please select a Ticket for this Action"))?;
        if !self.tickets.contains_key(&ticket_id) {
            return Err(Reply::not_found(format!("Ticket {ticket_id} not found")));
        }
        let outcome = match int_field(obj, "outcome_id", idx)?.filter(|o| *o != 0) {
            Some(o) => self
                .outcomes
                .get(&o)
                .cloned()
                .ok_or_else(|| Reply::bad_request(format!("Outcome {o} does not exist")))?,
            None => match text_field(obj, "outcome") {
                Some(name) => self
                    .outcomes
                    .values()
                    .find(|o| {
                        str_of(o, "outcome").is_some_and(|n| n.eq_ignore_ascii_case(name))
                            || str_of(o, "buttonname").is_some_and(|n| n.eq_ignore_ascii_case(name))
                    })
                    .cloned()
                    .ok_or_else(|| {
                        Reply::bad_request(format!("Outcome '{name}' does not exist"))
                    })?,
                None => {
                    return Err(Reply::bad_request(
                        "An Outcome must be entered for this Action",
                    ))
                }
            },
        };
        let new_status = int_field(obj, "new_status", idx)?.filter(|s| *s != 0);
        if let Some(s) = new_status {
            self.check_status(s)?;
        }
        let mut fields = storable(obj);
        fields.insert("outcome".into(), outcome["outcome"].clone());
        fields.insert("outcome_id".into(), outcome["id"].clone());
        if !matches!(fields.get("hiddenfromuser"), Some(Value::Bool(_))) {
            fields.insert(
                "hiddenfromuser".into(),
                json!(bool_of(&outcome, "hiddenfromuser")),
            );
        }
        match new_status {
            Some(s) => fields.insert("new_status".into(), json!(s)),
            None => fields.remove("new_status"),
        };
        let now = clock::now_utc();
        Ok(self.record_action(ticket_id, actor, Value::Object(fields), &now))
    }

    /// Stores an action on `ticket_id` by `actor`, applies its `new_status` and bumps the
    /// ticket's `lastactiondate`. Returns the stored action.
    pub fn record_action(
        &mut self,
        ticket_id: i64,
        actor: Actor,
        fields: Value,
        now: &str,
    ) -> Value {
        let id = self.next_action_id;
        self.next_action_id += 1;
        let old_status = self
            .tickets
            .get(&ticket_id)
            .and_then(|t| int_of(t, "status_id"))
            .unwrap_or(0);
        let mut a = match fields {
            Value::Object(m) => m,
            _ => Obj::new(),
        };
        let who = if actor.who_type == 0 {
            "System".to_string()
        } else {
            self.agent_name(actor.agent_id)
        };
        let new_status = a.get("new_status").and_then(Value::as_i64);
        a.insert("id".into(), json!(id));
        a.insert("ticket_id".into(), json!(ticket_id));
        a.insert("who".into(), json!(who));
        a.insert("who_type".into(), json!(actor.who_type));
        a.insert("who_agentid".into(), json!(actor.agent_id));
        a.insert("actionby_agent_id".into(), json!(actor.agent_id));
        a.insert("datetime".into(), json!(now));
        a.insert("actiondatecreated".into(), json!(now));
        a.insert("old_status".into(), json!(old_status));
        a.entry("note").or_insert_with(|| json!(""));
        if let Some(s) = new_status {
            let name = self.statuses.get(&s).and_then(|st| str_of(st, "name"));
            a.insert("new_status_name".into(), json!(name.unwrap_or_default()));
        }
        let action = Value::Object(a);
        self.actions.insert(id, action.clone());
        if let Some(Value::Object(t)) = self.tickets.get_mut(&ticket_id) {
            t.insert("lastactiondate".into(), json!(now));
            t.insert("last_update".into(), json!(now));
        }
        if let Some(s) = new_status {
            self.set_ticket_status(ticket_id, s, now);
        }
        action
    }

    // ---- clients ---------------------------------------------------------------------------

    /// Creates (no `id`) or updates one client of a `POST /api/Client` array. A new client gets
    /// a main site named "Main".
    pub fn upsert_client(&mut self, obj: &Obj, idx: usize) -> Result<Value, Reply> {
        let fields = storable(obj);
        if obj.contains_key("name") && text_field(obj, "name").is_none() {
            return Err(Reply::bad_request("Please enter a Name"));
        }
        if let Some(id) = int_field(obj, "id", idx)?.filter(|i| *i != 0) {
            let Some(Value::Object(c)) = self.clients.get_mut(&id) else {
                return Err(Reply::not_found(format!("Client {id} not found")));
            };
            for (k, v) in fields {
                if !matches!(k.as_str(), "main_site_id" | "main_site_name") {
                    c.insert(k, v);
                }
            }
            return Ok(Value::Object(c.clone()));
        }
        let name = text_field(obj, "name")
            .ok_or_else(|| Reply::bad_request("Please enter a Name"))?
            .to_string();
        let id = self.next_client_id;
        self.next_client_id += 1;
        let site_id = self.next_site_id;
        self.next_site_id += 1;
        self.sites.insert(
            site_id,
            json!({ "id": site_id, "name": "Main", "client_id": id, "client_name": name,
                    "clientsite_name": format!("{name}/Main"), "inactive": false }),
        );
        let mut c = match new_client(id, &name, site_id, "Main") {
            Value::Object(m) => m,
            _ => Obj::new(),
        };
        c.extend(fields);
        c.insert("name".into(), json!(name));
        self.clients.insert(id, Value::Object(c));
        Ok(self.clients[&id].clone())
    }
}

/// A client record with Halo's usual fields.
pub(crate) fn new_client(id: i64, name: &str, main_site_id: i64, main_site_name: &str) -> Value {
    json!({
        "id": id,
        "name": name,
        "toplevel_id": 1,
        "toplevel_name": "Customers",
        "inactive": false,
        "website": "",
        "ref": "",
        "accountsid": format!("ACC{id:05}"),
        "main_site_id": main_site_id,
        "main_site_name": main_site_name,
        "is_vip": false,
        "colour": "#2b5797",
        "notes": "",
    })
}
