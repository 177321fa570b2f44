//! Routing: endpoint keys, path matching (case-insensitive) and the method/scope table.

use bytes::Bytes;
use http::{HeaderMap, Method};

use super::auth::{self, Need};
use super::lookups;
use super::query::Query;
use super::reply::{HandlerResult, Reply};
use super::tickets;
use super::Shared;
use crate::server::RawRequest;

/// A fully read request.
#[derive(Debug)]
pub(crate) struct Request {
    pub method: Method,
    /// The path as sent.
    pub path: String,
    /// Lowercased, non-empty path segments.
    pub segments: Vec<String>,
    pub query: Query,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Request {
    /// Parses a request as read by the server.
    pub fn new(raw: &RawRequest) -> Request {
        let path = raw.path.as_str();
        Request {
            method: raw.method.clone(),
            path: path.to_string(),
            segments: path
                .split('/')
                .filter(|s| !s.is_empty())
                .map(str::to_ascii_lowercase)
                .collect(),
            query: Query::parse(&raw.query),
            headers: raw.headers.clone(),
            body: raw.body.clone(),
        }
    }
}

/// The `/api` resources the mock serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Entity {
    Client,
    Site,
    Users,
    Agent,
    Tickets,
    Actions,
    TicketType,
    Status,
    Team,
    Outcome,
    Priority,
    Sla,
    /// `/api/Lookup?lookupid=N`: Halo's lookup tables (ticket sources are `TICKET_SOURCE_LOOKUP`).
    Lookup,
}

impl Entity {
    fn parse(segment: &str) -> Option<Entity> {
        Some(match segment {
            "client" => Entity::Client,
            "site" => Entity::Site,
            "users" => Entity::Users,
            "agent" => Entity::Agent,
            "tickets" => Entity::Tickets,
            "actions" => Entity::Actions,
            "tickettype" => Entity::TicketType,
            "status" => Entity::Status,
            "team" => Entity::Team,
            "outcome" => Entity::Outcome,
            "priority" => Entity::Priority,
            "sla" => Entity::Sla,
            "lookup" => Entity::Lookup,
            _ => return None,
        })
    }

    fn writable(self) -> bool {
        matches!(self, Entity::Client | Entity::Tickets | Entity::Actions)
    }

    fn need(self, write: bool) -> Need {
        match (self, write) {
            (Entity::Client | Entity::Site | Entity::Users, false) => Need::ReadCustomers,
            (Entity::Client | Entity::Site | Entity::Users, true) => Need::EditCustomers,
            (_, false) => Need::ReadTickets,
            (_, true) => Need::EditTickets,
        }
    }
}

/// Answers a request (after counting, rate limiting and faults).
pub(crate) fn dispatch(shared: &Shared, raw: &RawRequest) -> Reply {
    let req = &Request::new(raw);
    match route(shared, req) {
        Ok(r) | Err(r) => r,
    }
}

fn route(shared: &Shared, req: &Request) -> HandlerResult {
    let segs: Vec<&str> = req.segments.iter().map(String::as_str).collect();
    let only = |method: Method| -> Result<(), Reply> {
        if req.method == method {
            Ok(())
        } else {
            Err(Reply::method_not_allowed(req.method.as_str()))
        }
    };
    match segs.as_slice() {
        ["auth", "token"] | ["token"] => {
            only(Method::POST)?;
            auth::token(shared, req)
        }
        ["auth", ".well-known", "openid-configuration"]
        | [".well-known", "openid-configuration"] => {
            only(Method::GET)?;
            auth::discovery(shared, req)
        }
        ["api", "authinfo"] => {
            only(Method::GET)?;
            auth::authinfo(shared, req)
        }
        ["api", entity, rest @ ..] => {
            let entity = Entity::parse(entity).ok_or_else(|| Reply::no_route(&req.path))?;
            api(shared, req, entity, rest)
        }
        _ => Err(Reply::no_route(&req.path)),
    }
}

fn api(shared: &Shared, req: &Request, entity: Entity, rest: &[&str]) -> HandlerResult {
    let write = match (&req.method, rest) {
        (&Method::GET, [] | [_]) => false,
        (&Method::POST, []) if entity.writable() => true,
        (_, [] | [_]) => return Err(Reply::method_not_allowed(req.method.as_str())),
        _ => return Err(Reply::no_route(&req.path)),
    };
    let agent = auth::authorize(shared, req, entity.need(write))?;
    match (write, rest) {
        (true, _) => tickets::post(shared, req, entity, agent),
        (false, []) => match entity {
            Entity::Tickets | Entity::Actions => tickets::list(shared, req, entity),
            _ => lookups::list(shared, req, entity),
        },
        (false, [id]) => {
            // Ids are matched on the original spelling (GUIDs keep their case).
            let raw = req.path.split('/').rfind(|s| !s.is_empty()).unwrap_or(id);
            match entity {
                Entity::Tickets | Entity::Actions => tickets::get(shared, req, entity, raw),
                _ => lookups::get(shared, entity, raw, agent),
            }
        }
        _ => Err(Reply::no_route(&req.path)),
    }
}
