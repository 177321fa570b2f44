//! `/service/tickets`: list, count, search, create, get, patch, and the notes endpoints.

use http::{Method, StatusCode};
use serde_json::{json, Value};

use super::query;
use super::reply::{bad_body, method_not_allowed, no_route, not_found, HandlerResult, Reply};
use super::routes::{collection, only, Request, NOTES, TICKETS};
use super::seed_ids as ids;
use super::Shared;
use crate::lock;
use crate::query::Query;

fn body_json(req: &Request) -> Result<Value, Reply> {
    serde_json::from_slice(&req.body)
        .map_err(|e| bad_body(format!("The request body is not valid JSON: {e}.")))
}

fn created(value: &Value) -> Reply {
    Reply::json(StatusCode::CREATED, value)
}

/// Routes `…/service/tickets/<tail>`.
pub(crate) fn route(shared: &Shared, req: &Request, tail: &[&str]) -> HandlerResult {
    let tickets = || {
        lock(&shared.store)
            .tickets
            .values()
            .cloned()
            .collect::<Vec<_>>()
    };
    match tail {
        [] if req.method == Method::POST => {
            let body = body_json(req)?;
            let ticket = lock(&shared.store).create_ticket(&body, ids::API_MEMBER_ID)?;
            Ok(created(&ticket))
        }
        [] | ["count"] => collection(req, tickets(), TICKETS, "Ticket", tail),
        ["search"] => {
            only(&req.method, Method::POST)?;
            let body = body_json(req)?;
            let conditions = body
                .get("conditions")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let mut raw: String = req
                .query
                .pairs()
                .fold(
                    url::form_urlencoded::Serializer::new(String::new()),
                    |mut s, (k, v)| {
                        s.append_pair(k, v);
                        s
                    },
                )
                .finish();
            raw.push('&');
            raw.push_str(
                &url::form_urlencoded::Serializer::new(String::new())
                    .append_pair("conditions", conditions)
                    .finish(),
            );
            let search = Request {
                method: Method::GET,
                path: req.path.clone(),
                query: Query::parse(&raw),
                headers: req.headers.clone(),
                body: req.body.clone(),
                base_url: req.base_url.clone(),
            };
            query::list(&search, tickets(), TICKETS)
        }
        [id, rest @ ..] => {
            let id: i64 = id.parse().map_err(|_| not_found("Ticket", id))?;
            one_ticket(shared, req, id, rest)
        }
    }
}

fn one_ticket(shared: &Shared, req: &Request, id: i64, rest: &[&str]) -> HandlerResult {
    let exists = lock(&shared.store).tickets.contains_key(&id);
    match rest {
        [] => match req.method {
            Method::GET => {
                let ticket = lock(&shared.store).tickets.get(&id).cloned();
                query::one(req, ticket.ok_or_else(|| not_found("Ticket", id))?, TICKETS)
            }
            Method::PATCH => {
                let body = body_json(req)?;
                let ticket = lock(&shared.store).patch_ticket(id, &body, ids::API_MEMBER_ID)?;
                Ok(Reply::ok(&ticket))
            }
            _ => Err(method_not_allowed(req.method.as_str())),
        },
        ["notes", tail @ ..] => {
            if !exists {
                return Err(not_found("Ticket", id));
            }
            if tail.is_empty() && req.method == Method::POST {
                let body = body_json(req)?;
                let note = lock(&shared.store).add_note(id, &body, ids::API_MEMBER_ID)?;
                return Ok(created(&note));
            }
            let notes = lock(&shared.store).notes_of(id);
            collection(req, notes, NOTES, "Note", tail)
        }
        ["allnotes"] => {
            if !exists {
                return Err(not_found("Ticket", id));
            }
            let notes = lock(&shared.store)
                .notes_of(id)
                .into_iter()
                .map(|mut n| {
                    n["noteType"] = json!("TicketNote");
                    n
                })
                .collect();
            collection(req, notes, NOTES, "Note", &[])
        }
        _ => Err(no_route(&req.path)),
    }
}
