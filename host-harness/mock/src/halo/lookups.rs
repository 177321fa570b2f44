//! Read handlers for customers (Client, Site, Users) and lookups (Agent, TicketType, Priority,
//! Team, Status, Outcome, SLA).

use serde_json::Value;

use super::query::{order, Paging};
use super::reply::{HandlerResult, Reply};
use super::routes::{Entity, Request};
use super::seed_ids::TICKET_SOURCE_LOOKUP;
use super::state::{bool_of, int_of, str_of};
use super::Shared;
use crate::lock;

/// Case-insensitive "contains" of `needle` in any of `fields`.
fn matches_search(v: &Value, fields: &[&str], needle: &str) -> bool {
    let needle = needle.to_lowercase();
    fields
        .iter()
        .filter_map(|f| str_of(v, f))
        .any(|s| s.to_lowercase().contains(&needle))
}

/// Default active/inactive filter of Client/Site/Users: `includeinactive` (default false) and
/// `includeactive` (default true).
fn active_filter(req: &Request) -> Result<impl Fn(&Value) -> bool, Reply> {
    let inactive = req.query.bool("includeinactive")?.unwrap_or(false);
    let active = req.query.bool("includeactive")?.unwrap_or(true);
    Ok(move |v: &Value| {
        if bool_of(v, "inactive") {
            inactive
        } else {
            active
        }
    })
}

/// `GET /api/<entity>`.
pub(crate) fn list(shared: &Shared, req: &Request, entity: Entity) -> HandlerResult {
    let q = &req.query;
    let paging = Paging::from_query(q, shared.config.max_page_size)?;
    let search = q.text("search");
    let store = lock(&shared.store);
    let (mut items, envelope, default_order): (Vec<Value>, Option<&str>, &str) = match entity {
        Entity::Client => {
            let active = active_filter(req)?;
            let toplevel = q.int("toplevel_id")?;
            let items = store
                .clients
                .values()
                .filter(|c| active(c))
                .filter(|c| search.is_none_or(|s| matches_search(c, &["name"], s)))
                .filter(|c| toplevel.is_none_or(|t| int_of(c, "toplevel_id") == Some(t)))
                .cloned()
                .collect();
            (items, Some("clients"), "name")
        }
        Entity::Site => {
            let active = active_filter(req)?;
            let client = q.int("client_id")?;
            let items = store
                .sites
                .values()
                .filter(|s| active(s))
                .filter(|s| client.is_none_or(|c| int_of(s, "client_id") == Some(c)))
                .filter(|s| search.is_none_or(|t| matches_search(s, &["name"], t)))
                .cloned()
                .collect();
            (items, Some("sites"), "name")
        }
        Entity::Users => {
            let active = active_filter(req)?;
            let client = q.int("client_id")?;
            let site = q.int("site_id")?;
            let items = store
                .users
                .values()
                .filter(|u| active(u))
                .filter(|u| client.is_none_or(|c| int_of(u, "client_id") == Some(c)))
                .filter(|u| site.is_none_or(|s| int_of(u, "site_id") == Some(s)))
                .filter(|u| search.is_none_or(|t| matches_search(u, &["name", "emailaddress"], t)))
                .cloned()
                .collect();
            (items, Some("users"), "name")
        }
        Entity::Agent => {
            let disabled = q.bool("includedisabled")?.unwrap_or(false);
            let api = q.bool("includeapiagents")?.unwrap_or(false);
            let items = store
                .agents
                .values()
                .filter(|a| disabled || !bool_of(a, "isdisabled"))
                .filter(|a| api || !bool_of(a, "isapiagent"))
                .filter(|a| search.is_none_or(|t| matches_search(a, &["name", "email"], t)))
                .cloned()
                .collect();
            (items, None, "name")
        }
        Entity::TicketType => {
            let inactive =
                q.bool("showinactive")?.unwrap_or(false) || q.bool("showall")?.unwrap_or(false);
            let create_only = q.bool("can_create_only")?.unwrap_or(false);
            let items = store
                .ticket_types
                .values()
                .filter(|t| inactive || !bool_of(t, "inactive"))
                .filter(|t| !create_only || bool_of(t, "agentscanselect"))
                .map(|t| {
                    let mut t = t.clone();
                    if let Value::Object(m) = &mut t {
                        m.remove("fields");
                    }
                    t
                })
                .collect();
            (items, None, "sequence")
        }
        Entity::Priority => {
            let sla = q.int("slaid")?;
            let items = store
                .priorities
                .iter()
                .filter(|p| sla.is_none_or(|s| int_of(p, "slaid") == Some(s)))
                .cloned()
                .collect();
            (items, None, "priorityid")
        }
        Entity::Team => {
            let items = store
                .teams
                .values()
                .filter(|t| search.is_none_or(|s| matches_search(t, &["name"], s)))
                .cloned()
                .collect();
            (items, None, "name")
        }
        Entity::Status => {
            let exclude_closed = q.bool("excludeclosed")?.unwrap_or(false);
            let closed = store.closed_status_id();
            let items = store
                .statuses
                .values()
                .filter(|s| !exclude_closed || int_of(s, "id") != Some(closed))
                .cloned()
                .collect();
            (items, None, "sequence")
        }
        Entity::Outcome => (store.outcomes.values().cloned().collect(), None, "sequence"),
        Entity::Sla => (store.slas.values().cloned().collect(), None, "id"),
        Entity::Lookup => {
            let Some(lookup) = q.int("lookupid")? else {
                return Err(Reply::bad_request("lookupid is required"));
            };
            let items = if lookup == TICKET_SOURCE_LOOKUP {
                store.sources.values().cloned().collect()
            } else {
                vec![]
            };
            (items, None, "id")
        }
        Entity::Tickets | Entity::Actions => return Err(Reply::no_route(&req.path)),
    };
    drop(store);
    order(&mut items, q, default_order)?;
    Ok(Reply::ok(&match envelope {
        Some(key) => paging.envelope(key, items, None),
        None => Value::Array(paging.apply(items)),
    }))
}

/// `GET /api/<entity>/<id>` (`/api/Agent/me` = the token's agent; Priority ids are GUIDs).
pub(crate) fn get(shared: &Shared, entity: Entity, raw_id: &str, agent: i64) -> HandlerResult {
    let store = lock(&shared.store);
    let (name, found) = if entity == Entity::Priority {
        let found = store
            .priorities
            .iter()
            .find(|p| str_of(p, "id").is_some_and(|g| g.eq_ignore_ascii_case(raw_id)))
            .cloned();
        ("Priority", found)
    } else {
        let id = if entity == Entity::Agent && raw_id.eq_ignore_ascii_case("me") {
            Some(agent)
        } else {
            raw_id.parse::<i64>().ok()
        };
        let map = match entity {
            Entity::Client => ("Client", &store.clients),
            Entity::Site => ("Site", &store.sites),
            Entity::Users => ("User", &store.users),
            Entity::Agent => ("Agent", &store.agents),
            Entity::TicketType => ("Ticket Type", &store.ticket_types),
            Entity::Status => ("Status", &store.statuses),
            Entity::Team => ("Team", &store.teams),
            Entity::Outcome => ("Outcome", &store.outcomes),
            Entity::Sla => ("SLA", &store.slas),
            _ => return Err(Reply::not_found(format!("{raw_id} not found"))),
        };
        (map.0, id.and_then(|i| map.1.get(&i)).cloned())
    };
    found
        .map(|v| Reply::ok(&v))
        .ok_or_else(|| Reply::not_found(format!("{name} {raw_id} not found")))
}
