//! A mock ConnectWise PSA (Manage) REST API: a real HTTP/1.1 server on loopback with in-memory,
//! deterministic seed data, following the mock checklist of the ConnectWise research notes.
//!
//! # Wire behaviour
//!
//! - `GET /login/companyinfo/{companyId}` needs no auth and answers `{CompanyName, Codebase:
//!   "v4_6_release/", VersionCode, VersionNumber, CompanyID, IsCloud, SiteUrl}`, or `null` (200)
//!   for an unknown company.
//! - The API is mounted at `/{codebase}apis/3.0/` for `v4_6_release/` and any versioned codebase
//!   (`v2025_1/`, …). Every request there needs:
//!   - a `clientId` header equal to [`ConnectWiseConfig::client_id`]. **A missing, empty or
//!     other value is a 400** `{"code":"InvalidClientId","message":"The clientId header is
//!     required: …"}` (ConnectWise's own answer is not confirmed; 400 naming `clientId` is what
//!     one vendor reports). It is checked before the credentials.
//!   - `Authorization: Basic base64(companyId+publicKey:privateKey)`, split on the first `+` and
//!     the first `:` (the company id matched case-insensitively, the keys exactly); otherwise 401
//!     `{"code":"Unauthorized","message":…,"errors":null}`.
//! - Every reply (errors and faults included) carries `api-current-version: 2025.8`.
//! - `GET /system/info`; `/system/members` (the API member is
//!   [`seed_ids::API_MEMBER_IDENTIFIER`]: `conditions=identifier="PsaIntegration"`);
//!   `/company/companies`; `/company/contacts` (`childConditions` on `communicationItems`);
//!   `/service/boards` and
//!   `/service/boards/{id}/statuses|teams|types|subtypes`; `/service/priorities`; `/service/tickets` (+ `POST /service/tickets/search`); notes and
//!   `allNotes`. Each list has `/count` (`{"count":n}`) and `/{id}`.
//! - Lists: `conditions` (see `conditions`), `orderBy`, `fields`, `page`/`pageSize` (default 25,
//!   clamped to 1000, 1-based, `[]` past the end) with an RFC 5988 `Link` header (`first`,
//!   `prev`, `next`, `last`; `prev`/`next` left out at the ends), and forward-only paging
//!   (`pagination-type: forward-only` + `pageId`; `orderBy` refused).
//! - Tickets: `POST` (summary required, ≤ 100; company required as an object by `id` or
//!   `identifier`; board by `id` or `name`, default [`seed_ids::BOARD_ALERTS`], not inactive, not
//!   a project board; status/type default from the board's `defaultFlag`, status/team/type on the
//!   board or 400 `NotFound` on `status/id`…; priority default `defaultFlag`; `externalXRef`
//!   ≤ 100; `initialDescription`/`initialInternalAnalysis`/`initialResolution` become notes),
//!   `PATCH` with a JSON-patch array (`replace`/`add`/`remove`, path with or without `/`,
//!   case-sensitive; reference values must be objects; a sub-path such as `status/id` answers 200
//!   and changes nothing, as the Developer Guide warns; a closed status sets
//!   `closedFlag`/`closedDate`/`closedBy`, leaving it clears them; `closedFlag` may be patched).
//! - Notes: at least one of `detailDescriptionFlag`, `internalAnalysisFlag`, `resolutionFlag`
//!   or 400 "serviceNote object is invalid".
//! - 404 `{"code":"NotFound","message":"Ticket N not found"}`; 405 for a wrong method; 429 (rate
//!   limit or `kind=429` fault) with `Retry-After` and `{"error":"ConnectWiseAPI",…}`.
//!
//! Endpoint keys (for [`MockServer::count`](crate::MockServer::count), expectations and fault
//! rules) leave out the mount: `GET /company/companies`, `POST /service/tickets`, `PATCH /service/tickets/{id}`,
//! `POST /service/tickets/{id}/notes`, `GET /login/companyinfo/{id}`.
//!
//! # Architecture
//!
//! The server, counters, expectations and faults are the crate's
//! ([`MockServer`](crate::MockServer)); here: `routes` (mount, keys, auth, read-only endpoints, schemas), `query` (list conventions),
//! `conditions` (the parser), `tickets` (ticket and note endpoints), `state` (records and write
//! rules), `seed` + [`seed_ids`] (the data), `reply` (ConnectWise's error and fault bodies).

mod conditions;
mod config;
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

use http::HeaderValue;
use serde_json::{json, Value};

pub use config::ConnectWiseConfig;

use crate::faults::Fault;
use crate::limiter::RateLimit;
use crate::lock;
use crate::server::{Psa, RawRequest};
use reply::Reply;

/// The ConnectWise state shared by the server's connection tasks and the handle.
#[derive(Debug)]
pub(crate) struct Shared {
    pub config: ConnectWiseConfig,
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    pub store: Mutex<state::Store>,
}

impl Psa for Shared {
    const LOG_NAME: &'static str = "mock_connectwise";

    fn endpoint_key(method: &str, path: &str) -> String {
        routes::endpoint_key(method, path)
    }

    fn dispatch(&self, req: &RawRequest) -> Reply {
        routes::dispatch(self, req)
    }

    fn fault_reply(&self, fault: &Fault) -> Option<Reply> {
        reply::fault_reply(fault)
    }

    fn rate_limited(&self, limit: &RateLimit) -> Reply {
        reply::rate_limited(Some(limit.window.as_secs().max(1) as u32))
    }

    fn finish(&self, mut reply: Reply) -> Reply {
        reply.headers.push((
            http::HeaderName::from_static("api-current-version"),
            HeaderValue::from_static(seed_ids::API_VERSION),
        ));
        reply
    }
}

mock_handle!(
    /// A running mock ConnectWise server. The API is at `<base_url>/v4_6_release/apis/3.0`
    /// (or any versioned codebase), discovery at `<base_url>/login/companyinfo/{companyId}`.
    MockConnectWise,
    Shared,
    ConnectWiseConfig,
    "mock ConnectWise"
);

impl Shared {
    fn new(config: ConnectWiseConfig, base_url: String) -> Shared {
        Shared {
            base_url,
            store: Mutex::new(seed::build(&config)),
            config,
        }
    }
}

impl MockConnectWise {
    /// The API root with the on-premise codebase: `<base_url>/v4_6_release/apis/3.0`.
    pub fn api_url(&self) -> String {
        format!("{}/v4_6_release/apis/3.0", self.base_url())
    }

    /// Connector settings for this mock, as an admin would type them: the site URL, company
    /// id, public key, private key and client id (keys `site`, `company_id`, `public_key`,
    /// `private_key`, `client_id`).
    pub fn connector_settings(&self) -> Vec<(String, String)> {
        let c = self.config();
        vec![
            ("site".to_string(), self.base_url()),
            ("company_id".to_string(), c.company_id.clone()),
            ("public_key".to_string(), c.public_key.clone()),
            ("private_key".to_string(), c.private_key.clone()),
            ("client_id".to_string(), c.client_id.clone()),
        ]
    }

    /// The `Authorization` header value of the configured credentials.
    pub fn authorization(&self) -> String {
        let c = self.config();
        format!(
            "Basic {}",
            encode_base64(
                format!("{}+{}:{}", c.company_id, c.public_key, c.private_key).as_bytes()
            )
        )
    }

    // ---- state inspection ----------------------------------------------------------------

    /// The stored ticket, as `GET /service/tickets/{id}` returns it.
    pub fn ticket(&self, id: i64) -> Option<Value> {
        lock(&self.shared.store).tickets.get(&id).cloned()
    }

    /// Every ticket (seeded and created), by id.
    pub fn tickets(&self) -> Vec<Value> {
        lock(&self.shared.store).tickets.values().cloned().collect()
    }

    /// The notes of a ticket, oldest first.
    pub fn notes(&self, ticket_id: i64) -> Vec<Value> {
        lock(&self.shared.store).notes_of(ticket_id)
    }

    /// The company with exactly this name (deleted or not).
    pub fn company_by_name(&self, name: &str) -> Option<Value> {
        lock(&self.shared.store)
            .companies
            .values()
            .find(|c| c["name"].as_str() == Some(name))
            .cloned()
    }

    /// The statuses of a board (empty for an unknown board).
    pub fn board_statuses(&self, board_id: i64) -> Vec<Value> {
        lock(&self.shared.store)
            .statuses
            .values()
            .filter(|s| s["board"]["id"].as_i64() == Some(board_id))
            .cloned()
            .collect()
    }

    /// Marks a company deleted (`deletedFlag`) or not.
    ///
    /// # Panics
    /// If the company does not exist (a test bug).
    pub fn set_company_deleted(&self, company_id: i64, deleted: bool) {
        let mut store = lock(&self.shared.store);
        let company = store
            .companies
            .get_mut(&company_id)
            .unwrap_or_else(|| panic!("set_company_deleted: company {company_id} does not exist"));
        company["deletedFlag"] = json!(deleted);
    }

    /// Backdates a ticket's `closedDate` (`YYYY-MM-DDTHH:MM:SSZ`), e.g. to test a re-open window.
    ///
    /// # Panics
    /// If the ticket does not exist or `when_utc` is not a timestamp (a test bug).
    pub fn set_ticket_closed_at(&self, ticket_id: i64, when_utc: &str) {
        assert!(
            crate::clock::is_timestamp(when_utc),
            "set_ticket_closed_at: '{when_utc}' is not YYYY-MM-DDTHH:MM:SSZ"
        );
        let mut store = lock(&self.shared.store);
        let ticket = store
            .tickets
            .get_mut(&ticket_id)
            .unwrap_or_else(|| panic!("set_ticket_closed_at: ticket {ticket_id} does not exist"));
        ticket["closedDate"] = json!(when_utc);
    }

    // ---- acting as a person ----------------------------------------------------------------

    /// Adds an internal note (`internalAnalysisFlag`) by technician
    /// [`seed_ids::TECHNICIAN_MEMBER_ID`]; the ticket's `_info.updatedBy` becomes theirs.
    ///
    /// # Panics
    /// If the ticket does not exist (a test bug).
    pub fn member_note(&self, ticket_id: i64, text: &str) {
        let mut store = lock(&self.shared.store);
        store
            .add_note(
                ticket_id,
                &json!({ "text": text, "internalAnalysisFlag": true }),
                seed_ids::TECHNICIAN_MEMBER_ID,
            )
            .unwrap_or_else(|_| panic!("member_note: ticket {ticket_id} does not exist"));
    }

    /// Changes the status as technician [`seed_ids::TECHNICIAN_MEMBER_ID`] (a closed status
    /// closes, leaving one re-opens).
    ///
    /// # Panics
    /// If the ticket does not exist or the status is not on its board (a test bug).
    pub fn member_set_status(&self, ticket_id: i64, status_id: i64) {
        self.member_patch(
            ticket_id,
            json!([{ "op": "replace", "path": "status", "value": { "id": status_id } }]),
        );
    }

    /// Assigns the ticket to technician [`seed_ids::TECHNICIAN_MEMBER_ID`] (`owner`), as them.
    ///
    /// # Panics
    /// If the ticket does not exist (a test bug).
    pub fn member_assign(&self, ticket_id: i64) {
        self.member_patch(
            ticket_id,
            json!([{ "op": "replace", "path": "owner", "value": { "id": seed_ids::TECHNICIAN_MEMBER_ID } }]),
        );
    }

    fn member_patch(&self, ticket_id: i64, ops: Value) {
        let result =
            lock(&self.shared.store).patch_ticket(ticket_id, &ops, seed_ids::TECHNICIAN_MEMBER_ID);
        if let Err(reply) = result {
            panic!(
                "technician change of ticket {ticket_id} refused: {}",
                String::from_utf8_lossy(&reply.body)
            );
        }
    }
}

/// Standard base64 with padding.
fn encode_base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}
