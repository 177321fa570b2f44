//! A mock HaloPSA instance: a real HTTP/1.1 server on loopback with in-memory, deterministic
//! seed data, implementing exactly the wire contract in `docs/halo-wire.md`.
//!
//! Besides counting ([`MockHalo::count`]), a test can state what it expects:
//! [`MockHalo::expect`] is checked when the mock is dropped, and fails the test with a report.
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
//! - `server`: accept loop and one hyper `http1` connection task per socket (all owned by one
//!   task, so dropping [`MockHalo`] stops everything). Per request: read the body, count and log
//!   it (`counters`), apply the rate limit (`limiter`), pick a fault (`faults`), then route.
//! - `routes`: endpoint keys, case-insensitive path matching, method and scope table.
//! - `auth`: token endpoint, `/api/authinfo`, bearer/scope checks.
//! - `lookups` and `tickets`: the handlers; `query`: paging, filters, ordering; `reply`: Halo's
//!   response and error shapes.
//! - `state`: the in-memory records (kept as the JSON Halo returns) and the write rules
//!   (validation, defaults, closing/re-opening); `seed` + [`seed_ids`]: the initial data.
//!
//! Everything is behind `std::sync::Mutex`es that are never held across an `.await`.

mod auth;
mod clock;
mod config;
mod counters;
mod faults;
mod limiter;
mod lookups;
mod query;
mod reply;
mod routes;
mod seed;
pub mod seed_ids;
mod server;
mod state;
mod tickets;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context as _;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use config::{MockConfig, RateLimit};
pub use counters::ReceivedRequest;
pub use faults::{Fault, FaultRule, FaultTrigger, ParseFaultError};

use crate::expect::{Expectations, Times};
use server::{lock, Shared};
use state::{int_of, str_of, Actor};

/// A running mock Halo server. Dropping it (or [`MockHalo::shutdown`]) stops the server and
/// every open connection.
#[derive(Debug)]
pub struct MockHalo {
    shared: Arc<Shared>,
    addr: SocketAddr,
    task: Option<JoinHandle<()>>,
    expectations: Expectations,
}

impl MockHalo {
    /// Starts a server on `127.0.0.1` with a free port.
    pub async fn start(config: MockConfig) -> anyhow::Result<MockHalo> {
        Self::start_on(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), config).await
    }

    /// Starts a server on `addr` (port 0 = a free port). Must be called inside a Tokio runtime.
    pub async fn start_on(addr: SocketAddr, config: MockConfig) -> anyhow::Result<MockHalo> {
        let listener = TcpListener::bind(addr)
            .await
            .with_context(|| format!("mock Halo: cannot bind {addr}"))?;
        let mut addr = listener.local_addr()?;
        // A wildcard bind is reached through loopback.
        if addr.ip().is_unspecified() {
            addr.set_ip(match addr.ip() {
                IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
            });
        }
        let shared = Arc::new(Shared {
            base_url: format!("http://{addr}"),
            store: Mutex::new(seed::build(&config)),
            tokens: Mutex::new(auth::Tokens::new(config.seed)),
            counters: counters::Counters::default(),
            faults: Mutex::new(faults::FaultSet::new(config.seed)),
            limiter: config
                .rate_limit
                .map(|l| Mutex::new(limiter::Limiter::new(l))),
            config,
        });
        let task = tokio::spawn(server::serve(listener, shared.clone()));
        Ok(MockHalo {
            shared,
            addr,
            task: Some(task),
            expectations: Expectations::default(),
        })
    }

    /// `http://127.0.0.1:PORT` (no trailing slash). The API is at `<base_url>/api`, the token
    /// endpoint at `<base_url>/auth/token` (and `<base_url>/token`).
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

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

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The configuration it was started with.
    pub fn config(&self) -> &MockConfig {
        &self.shared.config
    }

    /// Requests seen under an endpoint key: `"<METHOD> <lowercased path with numeric (and GUID)
    /// segments replaced by {id}>"`, e.g. `"POST /auth/token"`, `"GET /api/client"`,
    /// `"GET /api/tickets/{id}"`, `"POST /api/actions"`, `"GET /api/authinfo"`,
    /// `"GET /api/agent/me"`. Every request counts, including rejected and faulted ones.
    pub fn count(&self, key: &str) -> u64 {
        self.shared.counters.count(key)
    }

    /// All counts by endpoint key.
    pub fn counts(&self) -> BTreeMap<String, u64> {
        self.shared.counters.counts()
    }

    /// Requests seen in total (since start or [`MockHalo::reset_counts`]).
    pub fn total_requests(&self) -> u64 {
        self.shared.counters.total()
    }

    /// Zeroes all counts (the [`MockHalo::received`] log is kept).
    pub fn reset_counts(&self) {
        self.shared.counters.reset();
    }

    /// Every request received, oldest first (the last 100 000).
    pub fn received(&self) -> Vec<ReceivedRequest> {
        self.shared.counters.received()
    }

    /// Empties the [`MockHalo::received`] log.
    pub fn clear_received(&self) {
        self.shared.counters.clear_received();
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

    // ---- expectations -----------------------------------------------------------------

    /// Expects `times` requests under the endpoint key `key` (as in [`MockHalo::count`]) from
    /// now on: a number (`1`), or a range (`1..=3`, `2..`). Checked by [`MockHalo::verify`]
    /// and when the mock is dropped, which then fails the test with every unmet expectation.
    pub fn expect(&self, key: &str, times: impl Into<Times>) {
        self.expectations.add(key, times.into(), self.count(key));
    }

    /// Checks the expectations now: `Err` lists each unmet one (expected vs received).
    pub fn verify(&self) -> Result<(), String> {
        self.expectations.check(|key| self.count(key))
    }

    /// Forgets every expectation (a test that checked them itself).
    pub fn clear_expectations(&self) {
        self.expectations.clear();
    }

    // ---- fault injection -----------------------------------------------------------------

    /// Adds a fault rule (rules are checked in the order added; see [`FaultRule`]).
    pub fn add_fault(&self, rule: FaultRule) {
        lock(&self.shared.faults).add(rule);
    }

    /// Removes every fault rule (the count of [`MockHalo::faults_fired`] is kept).
    pub fn clear_faults(&self) {
        lock(&self.shared.faults).clear();
    }

    /// Faults actually injected since start (by every rule, including cleared ones): a test
    /// proves with it that the fault it set up really hit a request.
    pub fn faults_fired(&self) -> u64 {
        lock(&self.shared.faults).fired_total()
    }

    /// The active fault rules, in the order added, each with the number of faults it injected
    /// (a request hit by several rules gets the first one's fault, counted for that rule only).
    pub fn faults_fired_by_rule(&self) -> Vec<(FaultRule, u64)> {
        lock(&self.shared.faults).fired_by_rule()
    }

    /// Stops the server and waits until its tasks (and open connections) are gone.
    pub async fn shutdown(mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
    }
}

impl Drop for MockHalo {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
        // A test that is already failing keeps its own message.
        if !std::thread::panicking() {
            if let Err(report) = self.verify() {
                panic!("{report}");
            }
        }
    }
}
