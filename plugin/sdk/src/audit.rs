//! The audit journal: every HTTP exchange of the current operation, and what it created or
//! changed. Paths are recorded without query strings, so no secret or search text ends up here
//! (a token request carries its secret in the body, never in the URL).
//!
//! ```
//! use psa_connector_sdk::audit::{object, Journal};
//! use psa_connector_sdk::types::HttpExchange;
//!
//! let journal = Journal::default();
//! journal.record(HttpExchange {
//!     method: "POST".into(),
//!     path: "/api/Tickets".into(),
//!     status: 201,
//!     millis: 12,
//!     attempt: 1,
//! });
//! let record = journal.record_for("create-ticket", "created", vec![object("ticket", 7)], vec![]);
//! assert_eq!((record.requests.len(), record.retries), (1, 0));
//! journal.begin(); // the next operation
//! assert_eq!(journal.held(), 0);
//! ```

use std::cell::RefCell;

use crate::types::{AuditRecord, HttpExchange, ObjectRef};

/// The requests of the current operation (cleared by [`Journal::begin`]).
#[derive(Default)]
pub struct Journal {
    exchanges: RefCell<Vec<HttpExchange>>,
}

impl Journal {
    /// Starts a new operation: forgets the previous one's exchanges.
    pub fn begin(&self) {
        self.exchanges.borrow_mut().clear();
    }

    /// Exchanges held now (tests check that the journal stays bounded).
    pub fn held(&self) -> usize {
        self.exchanges.borrow().len()
    }

    /// Records one HTTP exchange (every attempt, retries included).
    pub fn record(&self, exchange: HttpExchange) {
        self.exchanges.borrow_mut().push(exchange);
    }

    /// The audit record of the operation so far.
    pub fn record_for(
        &self,
        operation: &str,
        decision: impl Into<String>,
        created: Vec<ObjectRef>,
        changed: Vec<ObjectRef>,
    ) -> AuditRecord {
        let requests = self.exchanges.borrow().clone();
        let retries = requests.iter().filter(|r| r.attempt > 1).count() as u32;
        AuditRecord {
            operation: operation.into(),
            decision: decision.into(),
            requests,
            retries,
            created,
            changed,
        }
    }
}

/// A reference to a PSA object created or changed, e.g. `object("ticket", 7)`.
pub fn object(kind: &str, id: impl ToString) -> ObjectRef {
    ObjectRef {
        kind: kind.into(),
        id: id.to_string(),
    }
}
