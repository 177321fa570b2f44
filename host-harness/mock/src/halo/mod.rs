//! A mock HaloPSA instance: a real HTTP/1.1 server on loopback with in-memory, deterministic
//! seed data, implementing exactly the wire contract in `docs/halo-wire.md`.
//!
//! Besides counting ([`MockServer::count`](crate::MockServer::count)), a test can state what it expects:
//! [`MockServer::expect`](crate::MockServer::expect) is checked when the mock is dropped, and fails the test with a report.
//!
//! # Usage
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use psa_mock::halo::{seed_ids, FaultRule, MockConfig, MockHalo};
//!
//! let halo = MockHalo::start(MockConfig::default()).await?;
//! // Point the connector at halo.base_url() with MockConfig::DEMO_CLIENT_ID / _SECRET ...
//! halo.add_fault("kind=500,endpoint=POST /api/tickets,nth=1".parse::<FaultRule>()?);
//! // ... run it, then inspect what happened:
//! assert_eq!(halo.count("POST /api/tickets"), 2);
//! let ticket = halo.tickets().into_iter().find(|t| t["client_id"] == seed_ids::CLIENT_CONTOSO_ID);
//! halo.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! # Architecture
//!
//! - The PSA-neutral machinery is the crate's, shared with the ConnectWise mock: `crate::server`
//!   (accept loop, one hyper `http1` connection task per socket, all owned by one task, so
//!   dropping [`MockHalo`] stops everything; per request: read the body, count and log it, apply
//!   the rate limit, pick a fault, then route) and [`MockServer`](crate::MockServer)
//!   (counters, request log, expectations, fault rules), which [`MockHalo`] dereferences to.
//! - Halo's own words for them: `faults` (status bodies), `limiter` (the 429 text).
//! - `routes`: case-insensitive path matching, method and scope table.
//! - `auth`: token endpoint, `/api/authinfo`, bearer/scope checks.
//! - `lookups` and `tickets`: the handlers; `query`: paging, filters, ordering; `reply`: Halo's
//!   response and error shapes.
//! - `state`: the in-memory records (kept as the JSON Halo returns) and the write rules
//!   (validation, defaults, closing/re-opening); `seed` + [`seed_ids`]: the initial data.
//!
//! Everything is behind `std::sync::Mutex`es that are never held across an `.await`.

mod auth;
mod config;
mod faults;
mod limiter;
mod lookups;
mod query;
mod reply;
mod routes;
mod seed;
pub mod seed_ids;
mod state;
mod tickets;

#[cfg(test)]
mod tests;

use std::sync::Mutex;
use std::time::Duration;

use serde_json::{json, Value};

pub use crate::counters::ReceivedRequest;
pub use config::{MockConfig, RateLimit};
pub use faults::{Fault, FaultRule, FaultTrigger, ParseFaultError};

use crate::clock;
use crate::lock;
use crate::server::{self as http_server, Psa, RawRequest};
use state::{int_of, str_of, Actor};

/// The Halo state shared by the server's connection tasks and the [`MockHalo`] handle.
#[derive(Debug)]
pub(crate) struct Shared {
    pub config: MockConfig,
    /// `http://127.0.0.1:PORT` (`https://` with TLS).
    pub base_url: String,
    pub store: Mutex<state::Store>,
    pub tokens: Mutex<auth::Tokens>,
}

impl Psa for Shared {
    const LOG_NAME: &'static str = "mock_halo";

    fn endpoint_key(method: &str, path: &str) -> String {
        http_server::endpoint_key(method, path)
    }

    fn dispatch(&self, req: &RawRequest) -> reply::Reply {
        routes::dispatch(self, req)
    }

    fn fault_reply(&self, fault: &Fault) -> Option<reply::Reply> {
        faults::canned_reply(fault)
    }

    fn rate_limited(&self, limit: &RateLimit) -> reply::Reply {
        limiter::rate_limited_reply(limit)
    }
}

mock_handle!(
    /// A running mock Halo server. The API is at `<base_url>/api`, the token endpoint at
    /// `<base_url>/auth/token` (and `<base_url>/token`).
    MockHalo,
    Shared,
    MockConfig,
    "mock Halo"
);

impl Shared {
    fn new(config: MockConfig, base_url: String) -> Shared {
        Shared {
            base_url,
            store: Mutex::new(seed::build(&config)),
            tokens: Mutex::new(auth::Tokens::new(config.seed)),
            config,
        }
    }
}

impl MockHalo {
    /// Connector settings for this mock: its URL and credentials only, as an admin pasting the
    /// Halo URL would give them (the tenant and authorisation server are discovered).
    pub fn connector_settings(&self) -> Vec<(String, String)> {
        let config = self.config();
        vec![
            ("base_url".to_string(), self.base_url()),
            ("client_id".to_string(), config.client_id.clone()),
            ("client_secret".to_string(), config.client_secret.clone()),
        ]
    }

    /// Makes every token issued so far answer 401 (tokens issued later work).
    pub fn expire_tokens(&self) {
        lock(&self.shared.tokens).expire_all();
    }

    /// Issues a token directly (no HTTP request, not counted), e.g. for tests that call `/api`
    /// themselves. `scope` is space-separated, like the token endpoint's.
    pub fn issue_token(&self, scope: &str) -> String {
        let scopes = scope.split_whitespace().map(str::to_string).collect();
        let ttl = Duration::from_secs(self.shared.config.token_ttl_secs);
        lock(&self.shared.tokens).issue(scopes, ttl)
    }

    // ---- state inspection ----------------------------------------------------------------

    /// The stored ticket, as `GET /api/Tickets/{id}` returns it.
    pub fn ticket(&self, id: i64) -> Option<Value> {
        lock(&self.shared.store).tickets.get(&id).cloned()
    }

    /// Every ticket (seeded and created), by id.
    pub fn tickets(&self) -> Vec<Value> {
        lock(&self.shared.store).tickets.values().cloned().collect()
    }

    /// The actions of a ticket, oldest first.
    pub fn actions(&self, ticket_id: i64) -> Vec<Value> {
        lock(&self.shared.store)
            .actions
            .values()
            .filter(|a| int_of(a, "ticket_id") == Some(ticket_id))
            .cloned()
            .collect()
    }

    /// Id of the status named "Closed".
    pub fn closed_status_id(&self) -> i64 {
        lock(&self.shared.store).closed_status_id()
    }

    /// The client with exactly this name (active or not).
    pub fn client_by_name(&self, name: &str) -> Option<Value> {
        lock(&self.shared.store)
            .clients
            .values()
            .find(|c| str_of(c, "name") == Some(name))
            .cloned()
    }

    // ---- acting as a person ----------------------------------------------------------------

    /// Adds a private note by technician [`seed_ids::TECHNICIAN_AGENT_ID`] (`who_type` 1).
    ///
    /// # Panics
    /// If the ticket does not exist (a test bug).
    pub fn technician_note(&self, ticket_id: i64, note: &str) {
        self.technician_action(
            ticket_id,
            json!({ "outcome": seed_ids::OUTCOME_PRIVATE_NOTE_NAME,
                    "outcome_id": seed_ids::OUTCOME_PRIVATE_NOTE,
                    "note": note, "hiddenfromuser": true }),
        );
    }

    /// Assigns the ticket to technician [`seed_ids::TECHNICIAN_AGENT_ID`] (`agent_id`) and
    /// records a "Reassign" action by them.
    ///
    /// # Panics
    /// If the ticket does not exist (a test bug).
    pub fn technician_assign(&self, ticket_id: i64) {
        {
            let mut store = lock(&self.shared.store);
            match store.tickets.get_mut(&ticket_id) {
                Some(Value::Object(t)) => {
                    t.insert("agent_id".into(), json!(seed_ids::TECHNICIAN_AGENT_ID));
                }
                _ => panic!("technician_assign: ticket {ticket_id} does not exist"),
            }
        }
        self.technician_action(
            ticket_id,
            json!({ "outcome": "Reassign", "outcome_id": seed_ids::OUTCOME_REASSIGN,
                    "note": format!("Assigned to {}", seed_ids::TECHNICIAN_AGENT_NAME),
                    "hiddenfromuser": true }),
        );
    }

    /// A status change by technician [`seed_ids::TECHNICIAN_AGENT_ID`]; the closed status sets
    /// `dateclosed`/`hasbeenclosed`, leaving it clears them.
    ///
    /// # Panics
    /// If the ticket or the status does not exist (a test bug).
    pub fn technician_set_status(&self, ticket_id: i64, status_id: i64) {
        let closed = self.closed_status_id();
        assert!(
            lock(&self.shared.store).statuses.contains_key(&status_id),
            "technician_set_status: status {status_id} does not exist"
        );
        let (outcome, outcome_id) = if status_id == closed {
            ("Close Ticket", seed_ids::OUTCOME_CLOSE_TICKET)
        } else {
            (
                seed_ids::OUTCOME_PRIVATE_NOTE_NAME,
                seed_ids::OUTCOME_PRIVATE_NOTE,
            )
        };
        self.technician_action(
            ticket_id,
            json!({ "outcome": outcome, "outcome_id": outcome_id, "note": "Status changed",
                    "hiddenfromuser": outcome_id == seed_ids::OUTCOME_PRIVATE_NOTE,
                    "new_status": status_id }),
        );
    }

    fn technician_action(&self, ticket_id: i64, fields: Value) {
        let mut store = lock(&self.shared.store);
        assert!(
            store.tickets.contains_key(&ticket_id),
            "technician action: ticket {ticket_id} does not exist"
        );
        let now = clock::now_utc();
        store.record_action(
            ticket_id,
            Actor::agent(seed_ids::TECHNICIAN_AGENT_ID),
            fields,
            &now,
        );
    }

    /// Backdates a ticket's `dateclosed` (format `YYYY-MM-DDTHH:MM:SS`, UTC), e.g. to test a
    /// re-open window. Only `dateclosed` changes.
    ///
    /// # Panics
    /// If the ticket does not exist or `when_utc` is not in that format (a test bug).
    pub fn set_ticket_closed_at(&self, ticket_id: i64, when_utc: &str) {
        assert!(
            clock::is_timestamp(when_utc),
            "set_ticket_closed_at: '{when_utc}' is not YYYY-MM-DDTHH:MM:SS"
        );
        let mut store = lock(&self.shared.store);
        match store.tickets.get_mut(&ticket_id) {
            Some(Value::Object(t)) => {
                t.insert("dateclosed".into(), json!(when_utc));
            }
            _ => panic!("set_ticket_closed_at: ticket {ticket_id} does not exist"),
        }
    }

    /// Marks a client active or inactive.
    ///
    /// # Panics
    /// If the client does not exist (a test bug).
    pub fn set_client_inactive(&self, client_id: i64, inactive: bool) {
        let mut store = lock(&self.shared.store);
        match store.clients.get_mut(&client_id) {
            Some(Value::Object(c)) => {
                c.insert("inactive".into(), json!(inactive));
            }
            _ => panic!("set_client_inactive: client {client_id} does not exist"),
        }
    }

    /// Renames a status, as a Halo admin can (e.g. "Closed" → "Done": the system closed status
    /// keeps closing tickets, but is no longer found by its name).
    ///
    /// # Panics
    /// If the status does not exist (a test bug).
    pub fn rename_status(&self, status_id: i64, name: &str) {
        let mut store = lock(&self.shared.store);
        match store.statuses.get_mut(&status_id) {
            Some(Value::Object(s)) => {
                s.insert("name".into(), json!(name));
            }
            _ => panic!("rename_status: status {status_id} does not exist"),
        }
    }
}
