//! The audit journal: every HTTP exchange of the current operation, and what it created or
//! changed. Paths are recorded without query strings, so no secret or search text ends up here
//! (the token request carries its secret in the body, never in the URL).

use std::cell::RefCell;

use crate::types::{AuditRecord, HttpExchange, ObjectRef};

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
    #[cfg(test)]
    pub fn held(&self) -> usize {
        self.exchanges.borrow().len()
    }

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

pub fn object(kind: &str, id: impl ToString) -> ObjectRef {
    ObjectRef {
        kind: kind.into(),
        id: id.to_string(),
    }
}
