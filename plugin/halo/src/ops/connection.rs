//! `test-connection`: a token, the agent it acts as, and one line per permission.

use crate::model::Obj;
use crate::session::HaloSession;
use crate::settings::Settings;
use crate::types::{AgentIdentity, ConnectionReport, ConnectorError, PermissionCheck};

impl HaloSession {
    pub fn test_connection(&self) -> Result<ConnectionReport, ConnectorError> {
        // Always a fresh token: the admin may just have fixed the application.
        self.api.auth.token.replace(None);
        let token = self.token()?;
        let mut token_endpoint = self.token_endpoint()?;
        token_endpoint.set_query(None);

        self.lookups.me.clear();
        let agent = self.me().ok().flatten();
        let mut checks = Vec::new();
        let mut probe = |name: &str, label: &str, path: &str, hint: &str| {
            let query = [
                ("pageinate", "true".to_string()),
                ("page_size", "1".to_string()),
                ("page_no", "1".to_string()),
            ];
            let outcome = self.api.get(path, &query);
            checks.push(PermissionCheck {
                name: name.into(),
                label: label.into(),
                passed: outcome.is_ok(),
                hint: outcome.err().map(|e| format!("{hint} ({})", short(&e))),
            });
        };
        probe("read-organizations", "Read customers", "Client",
            "Tick read:customers (or all) on the API application's Permissions tab and give the agent's role Customers access");
        probe("read-tickets", "Read tickets", "Tickets",
            "Tick read:tickets on the Permissions tab; the agent's role must see all tickets, not only its own");
        probe(
            "read-lookups",
            "Read ticket types and statuses",
            "TicketType",
            "Tick read:tickets on the Permissions tab and allow the agent all ticket types",
        );
        for (name, label) in [
            ("create-tickets", "Create tickets"),
            ("edit-tickets", "Edit tickets and add notes"),
        ] {
            let passed = Settings::scope_grants(&token.scopes, "edit:tickets");
            checks.push(PermissionCheck {
                name: name.into(),
                label: label.into(),
                passed,
                hint: (!passed).then(|| "Tick edit:tickets on the API application's Permissions tab (and add it to the Scopes setting); the agent's role needs ticket create and modify rights".to_string()),
            });
        }
        Ok(ConnectionReport {
            ok: checks.iter().all(|c| c.passed),
            token_endpoint: token_endpoint.to_string(),
            resource_url: self.settings().resource_url.to_string(),
            granted_scopes: token.scopes.clone(),
            agent,
            checks,
        })
    }

    /// The agent the token acts as (`GET /api/Agent/me`), cached.
    pub(crate) fn me(&self) -> Result<Option<AgentIdentity>, ConnectorError> {
        self.lookups.me.get_or_load(|| {
            let json = self.api.get("Agent/me", &[])?;
            let o = Obj(&json);
            Ok(o.id("id").map(|id| AgentIdentity {
                id: id.to_string(),
                name: o.text("name").unwrap_or_default(),
                email: o.text("email"),
            }))
        })
    }

    /// The Halo id of the agent the token acts as, to tell its own actions from a person's.
    pub(crate) fn my_agent_id(&self) -> Result<Option<i64>, ConnectorError> {
        Ok(self.me()?.and_then(|agent| agent.id.parse().ok()))
    }
}

/// A one-line rendering of an error for report hints (lives with the other error mapping).
pub use crate::errors::short;
