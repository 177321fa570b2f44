//! Handlers for Tickets and Actions (reads and writes) and Client writes.

use serde_json::{json, Value};

use super::query::{order, Paging};
use super::reply::{HandlerResult, Reply};
use super::routes::{Entity, Request};
use super::state::{bool_of, int_of, str_of, Actor, Obj};
use super::Shared;
use crate::lock;

/// `GET /api/Tickets` and `GET /api/Actions?ticket_id=`.
pub(crate) fn list(shared: &Shared, req: &Request, entity: Entity) -> HandlerResult {
    let q = &req.query;
    let paging = Paging::from_query(q, shared.config.max_page_size)?;
    let store = lock(&shared.store);
    if entity == Entity::Actions {
        let ticket_id = q
            .int("ticket_id")?
            .ok_or_else(|| Reply::bad_request("Please specify a ticket_id"))?;
        let excludesys = q.bool("excludesys")?.unwrap_or(false);
        let excludeprivate = q.bool("excludeprivate")?.unwrap_or(false);
        let agentonly = q.bool("agentonly")?.unwrap_or(false);
        let mut items: Vec<Value> = store
            .actions
            .values()
            .filter(|a| int_of(a, "ticket_id") == Some(ticket_id))
            .filter(|a| !excludesys || int_of(a, "who_type") != Some(0))
            .filter(|a| !excludeprivate || !bool_of(a, "hiddenfromuser"))
            .filter(|a| !agentonly || int_of(a, "who_type") == Some(1))
            .cloned()
            .collect();
        drop(store);
        order(&mut items, q, "id")?;
        return Ok(Reply::ok(&paging.envelope(
            "actions",
            items,
            Some(("ticket_id", json!(ticket_id))),
        )));
    }

    let closed = store.closed_status_id();
    let is_closed = |t: &Value| int_of(t, "status_id") == Some(closed);
    let open_only = q.bool("open_only")?.unwrap_or(false);
    let closed_only = q.bool("closed_only")?.unwrap_or(false);
    let ticketids = q.int_list("ticketids")?;
    let supplier_ref = q.text("search_supplier_reference").map(str::to_lowercase);
    let search = q
        .text("search")
        .or_else(|| q.text("search_summary"))
        .map(str::to_lowercase);
    let int_filters = [
        ("client_id", q.int("client_id")?),
        ("site_id", q.int("site_id")?),
        ("user_id", q.int("user_id")?),
        ("agent_id", q.int("agent_id")?),
        ("status_id", q.int("status_id")?),
        (
            "tickettype_id",
            q.int("requesttype_id")?.or(q.int("tickettype_id")?),
        ),
    ];
    let mut items: Vec<Value> = store
        .tickets
        .values()
        .filter(|t| !open_only || !is_closed(t))
        .filter(|t| !closed_only || is_closed(t))
        .filter(|t| {
            ticketids
                .as_ref()
                .is_none_or(|ids| int_of(t, "id").is_some_and(|id| ids.contains(&id)))
        })
        .filter(|t| {
            supplier_ref.as_ref().is_none_or(|needle| {
                str_of(t, "supplier_reference").is_some_and(|r| r.to_lowercase().contains(needle))
            })
        })
        .filter(|t| {
            search.as_ref().is_none_or(|needle| {
                str_of(t, "summary").is_some_and(|s| s.to_lowercase().contains(needle))
            })
        })
        .filter(|t| {
            int_filters
                .iter()
                .all(|(field, want)| want.is_none_or(|w| int_of(t, field) == Some(w)))
        })
        .cloned()
        .collect();
    drop(store);
    order(&mut items, q, "id")?;
    Ok(Reply::ok(&paging.envelope("tickets", items, None)))
}

/// `GET /api/Tickets/{id}` and `GET /api/Actions/{id}`.
pub(crate) fn get(shared: &Shared, req: &Request, entity: Entity, raw_id: &str) -> HandlerResult {
    let id = raw_id.parse::<i64>().ok();
    let store = lock(&shared.store);
    let (name, found) = match entity {
        Entity::Tickets => ("Ticket", id.and_then(|i| store.tickets.get(&i))),
        _ => {
            let ticket = req.query.int("ticket_id")?;
            let action = id
                .and_then(|i| store.actions.get(&i))
                .filter(|a| ticket.is_none_or(|t| int_of(a, "ticket_id") == Some(t)));
            ("Action", action)
        }
    };
    found
        .map(Reply::ok)
        .ok_or_else(|| Reply::not_found(format!("{name} {raw_id} not found")))
}

/// `POST /api/Tickets`, `/api/Actions`, `/api/Client`: a JSON array of records to upsert, in
/// order. Returns the last saved record, or all of them with `returnall=true`. Records saved
/// before a failing one stay saved (Halo is not transactional either).
pub(crate) fn post(shared: &Shared, req: &Request, entity: Entity, agent: i64) -> HandlerResult {
    let records = parse_array(&req.body)?;
    let return_all = req.query.bool("returnall")?.unwrap_or(false);
    let mut store = lock(&shared.store);
    let mut saved = Vec::with_capacity(records.len());
    for (idx, record) in records.iter().enumerate() {
        let result = match entity {
            Entity::Tickets => store.upsert_ticket(record, idx, Actor::agent(agent)),
            Entity::Actions => store.upsert_action(record, idx, Actor::agent(agent)),
            Entity::Client => store.upsert_client(record, idx),
            _ => Err(Reply::method_not_allowed("POST")),
        }?;
        saved.push(result);
    }
    drop(store);
    if return_all {
        Ok(Reply::ok(&Value::Array(saved)))
    } else {
        Ok(Reply::ok(saved.last().unwrap_or(&Value::Null)))
    }
}

/// The body as a non-empty JSON array of objects, or ASP.NET-style 400s.
fn parse_array(body: &[u8]) -> Result<Vec<Obj>, Reply> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| Reply::model_state("", format!("Invalid JSON in the request body: {e}")))?;
    let Value::Array(items) = value else {
        return Err(Reply::model_state(
            "",
            "Cannot deserialize the current JSON value into type 'List`1' because the type requires a JSON array (e.g. [1,2,3]) to deserialize correctly.",
        ));
    };
    if items.is_empty() {
        return Err(Reply::bad_request("No records were supplied"));
    }
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| match item {
            Value::Object(m) => Ok(m),
            other => Err(Reply::model_state(
                &format!("[{i}]"),
                format!("Error converting value {other} to an object. Path '[{i}]'."),
            )),
        })
        .collect()
}
