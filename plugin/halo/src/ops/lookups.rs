//! Lookups: statuses, ticket types, priorities (per SLA), teams and note outcomes.
//! Nothing here hard-codes a Halo id: statuses, priorities and outcomes are found by reading Halo.

use serde_json::Value;

use crate::errors::invalid_response;
use crate::model::Obj;
use crate::ops::{fetch_all, parse_id};
use crate::session::HaloSession;
use crate::types::{ConnectorError, Priority, Status, Team, TicketType};

/// Outcome names tried, in order, for the connector's private notes when none is configured.
const NOTE_OUTCOMES: &[&str] = &["Private Note", "Internal Note", "Note"];

/// A mandatory field of a ticket type.
#[derive(Debug, Clone)]
pub struct RequiredField {
    pub name: String,
    pub default_value: Option<String>,
}

/// The `lookupid` of Halo's ticket-source lookup table (the values of a ticket's `source`).
/// Assumed from Halo's lookup numbering, not confirmed against a live instance (see the README).
pub const TICKET_SOURCE_LOOKUP: i64 = 41;

impl HaloSession {
    pub fn list_statuses(&self) -> Result<Vec<Status>, ConnectorError> {
        self.lookups.statuses.get_or_load(|| {
            let items = fetch_all(
                &self.api,
                "Status",
                "statuses",
                &[("type", "ticket".into())],
            )?;
            items
                .iter()
                .map(|v| {
                    let o = Obj(v);
                    let id = o.require_id("status")?;
                    let name = o.text("name").unwrap_or_else(|| format!("Status {id}"));
                    // Halo has one system closed status, named "Closed".
                    let closed = name.eq_ignore_ascii_case("closed");
                    Ok(Status {
                        id: id.to_string(),
                        name,
                        closed,
                    })
                })
                .collect::<Result<_, String>>()
                .map_err(|m| invalid_response("GET /api/Status", m))
        })
    }

    pub fn list_ticket_types(&self) -> Result<Vec<TicketType>, ConnectorError> {
        self.lookups.ticket_types.get_or_load(|| {
            let items = fetch_all(
                &self.api,
                "TicketType",
                "tickettypes",
                &[("showall", "true".into())],
            )?;
            items
                .iter()
                .map(ticket_type_from_json)
                .collect::<Result<_, String>>()
                .map_err(|m| invalid_response("GET /api/TicketType", m))
        })
    }

    pub fn list_priorities(
        &self,
        ticket_type_id: Option<&str>,
    ) -> Result<Vec<Priority>, ConnectorError> {
        let query = match ticket_type_id {
            Some(id) => {
                let ticket_type = self.ticket_type(parse_id("ticket type", id)?)?;
                match Obj(&ticket_type).id("default_sla") {
                    Some(sla) => vec![("slaid", sla.to_string())],
                    None => vec![],
                }
            }
            None => vec![],
        };
        let items = fetch_all(&self.api, "Priority", "priorities", &query)?;
        let mut priorities = Vec::new();
        for v in &items {
            let o = Obj(v);
            if o.bool("ishidden").unwrap_or(false) {
                continue;
            }
            let id = o.id("priorityid").ok_or_else(|| {
                invalid_response("GET /api/Priority", "priority without 'priorityid'")
            })?;
            priorities.push(Priority {
                id: id.to_string(),
                name: o.text("name").unwrap_or_else(|| format!("Priority {id}")),
                scope_id: o.id("slaid").map(|s| s.to_string()),
            });
        }
        Ok(priorities)
    }

    pub fn list_teams(&self) -> Result<Vec<Team>, ConnectorError> {
        self.lookups.teams.get_or_load(|| {
            let items = fetch_all(&self.api, "Team", "teams", &[])?;
            items
                .iter()
                .map(|v| {
                    let o = Obj(v);
                    let id = o.require_id("team")?;
                    Ok(Team {
                        id: id.to_string(),
                        name: o.text("name").unwrap_or_else(|| format!("Team {id}")),
                        active: !o.bool("inactive").unwrap_or(false),
                    })
                })
                .collect::<Result<_, String>>()
                .map_err(|m| invalid_response("GET /api/Team", m))
        })
    }

    /// One ticket type with its details (`fields`), as Halo returns it.
    pub(crate) fn ticket_type(&self, id: i64) -> Result<Value, ConnectorError> {
        self.api.get(
            &format!("TicketType/{id}"),
            &[("includedetails", "true".into())],
        )
    }

    /// Mandatory fields of a ticket type.
    pub(crate) fn required_fields(ticket_type: &Value) -> Vec<RequiredField> {
        Obj(ticket_type)
            .array("fields")
            .map(|fields| {
                fields
                    .iter()
                    .filter(|f| Obj(f).bool("mandatory").unwrap_or(false))
                    .filter_map(|f| {
                        Some(RequiredField {
                            name: Obj(f).text("name")?,
                            default_value: Obj(f).text("default_value"),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A status by id.
    pub(crate) fn status(&self, id: i64) -> Result<Option<Status>, ConnectorError> {
        let id = id.to_string();
        Ok(self.list_statuses()?.into_iter().find(|s| s.id == id))
    }

    /// The status tickets are closed with: the profile's, else Halo's closed status.
    pub(crate) fn closed_status_id(&self, preferred: Option<&str>) -> Result<i64, ConnectorError> {
        if let Some(id) = preferred {
            return parse_id("close status", id);
        }
        let statuses = self.list_statuses()?;
        let closed = statuses.iter().find(|s| s.closed).ok_or_else(|| {
            ConnectorError::NotFound(
                "Halo has no status named 'Closed'; set a close status in the mapping profile"
                    .into(),
            )
        })?;
        parse_id("status", &closed.id)
    }

    /// The team's name (tickets reference teams by name).
    pub(crate) fn team_name(&self, id: &str) -> Result<String, ConnectorError> {
        self.list_teams()?
            .into_iter()
            .find(|t| t.id == id.trim())
            .map(|t| t.name)
            .ok_or_else(|| ConnectorError::NotFound(format!("team {id} does not exist in Halo")))
    }

    /// Halo's ticket sources, `(id, name)`: `GET /Lookup?lookupid=TICKET_SOURCE_LOOKUP` (a plain
    /// array of `{id, name}`).
    pub(crate) fn ticket_sources(&self) -> Result<Vec<(i64, String)>, ConnectorError> {
        let items = fetch_all(
            &self.api,
            "Lookup",
            "lookup",
            &[("lookupid", TICKET_SOURCE_LOOKUP.to_string())],
        )?;
        Ok(items
            .iter()
            .filter_map(|v| {
                let o = Obj(v);
                Some((o.id("id")?, o.text("name")?))
            })
            .collect())
    }

    /// The outcome id for the connector's notes: the configured name, else the first of
    /// "Private Note", "Internal Note", "Note" that exists.
    pub(crate) fn note_outcome(&self) -> Result<i64, ConnectorError> {
        let outcomes = self.lookups.outcomes.get_or_load(|| {
            let items = fetch_all(&self.api, "Outcome", "outcomes", &[])?;
            Ok(items
                .iter()
                .filter_map(|v| {
                    let o = Obj(v);
                    Some((
                        o.id("id")?,
                        o.text("outcome")
                            .or_else(|| o.text("name"))
                            .or_else(|| o.text("buttonname"))?,
                    ))
                })
                .collect())
        })?;
        let wanted: Vec<&str> = match &self.settings().note_outcome {
            Some(name) => vec![name.as_str()],
            None => NOTE_OUTCOMES.to_vec(),
        };
        wanted
            .iter()
            .find_map(|w| outcomes.iter().find(|(_, name)| name.eq_ignore_ascii_case(w)))
            .map(|(id, _)| *id)
            .ok_or_else(|| {
                ConnectorError::NotFound(format!(
                    "no Halo outcome named {} for the connector's notes; create one or set the 'Note outcome' setting",
                    wanted.join(" or ")
                ))
            })
    }
}

pub fn ticket_type_from_json(v: &Value) -> Result<TicketType, String> {
    let o = Obj(v);
    let id = o.require_id("ticket type")?;
    Ok(TicketType {
        id: id.to_string(),
        name: o
            .text("name")
            .unwrap_or_else(|| format!("Ticket type {id}")),
        active: !o.bool("inactive").unwrap_or(false) && o.bool("visible").unwrap_or(true),
        agents_can_select: o.bool("agentscanselect").unwrap_or(true),
        priority_scope_id: o.id("default_sla").map(|s| s.to_string()),
        default_priority_id: o.id("default_priority").map(|s| s.to_string()),
        default_status_id: o.id("initial_status").map(|s| s.to_string()),
        default_team: o.text("default_team"),
    })
}
