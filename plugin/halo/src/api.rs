//! Halo's side of the SDK's retrying client: bearer tokens (`auth`) renewed once on a 401, and
//! Halo's error mapping (`errors`). The retry rules themselves (429 with `Retry-After` or backoff
//! within a deadline, reads retried, writes never re-sent blindly) are the SDK's
//! (`psa_connector_sdk::client`).

use std::cell::RefCell;
use std::time::Instant;

use psa_connector_sdk::client::{Auth, Client, Http};
use psa_connector_sdk::http::Response;
use url::Url;

use crate::auth::AuthSource;
use crate::errors::{halo_message, HaloErrors};
use crate::settings::Settings;
use crate::types::ConnectorError;

pub use psa_connector_sdk::client::{parse_json, Resend, REQUEST_TIMEOUT};

/// The client of one Halo session.
pub type HaloApi = Client<HaloAuth, HaloErrors>;

/// A client for the settings' resource server.
pub fn new_api(settings: Settings, transport: Box<dyn psa_connector_sdk::Transport>) -> HaloApi {
    Client::new(
        settings.resource_url.clone(),
        transport,
        HaloAuth::new(settings),
        HaloErrors,
    )
}

/// A bearer token and what it may do.
#[derive(Clone)]
pub struct Token {
    pub authorization: String,
    pub expires_at: Instant,
    pub scopes: Vec<String>,
}

/// Halo's client-credentials authentication, with the settings it is built from.
pub struct HaloAuth {
    pub settings: Settings,
    pub(crate) token: RefCell<Option<Token>>,
    /// The token endpoint and how its authorisation server was found (see `auth`).
    pub(crate) token_endpoint: RefCell<Option<(Url, AuthSource)>>,
}

impl HaloAuth {
    pub fn new(settings: Settings) -> HaloAuth {
        HaloAuth {
            settings,
            token: RefCell::new(None),
            token_endpoint: RefCell::new(None),
        }
    }
}

impl Auth for HaloAuth {
    fn headers(&self, http: &Http) -> Result<Vec<(String, String)>, ConnectorError> {
        Ok(vec![(
            "authorization".to_string(),
            self.authorization(http)?,
        )])
    }

    /// Drop the token; one retry with a new one.
    fn renew(&self) -> bool {
        self.token.replace(None);
        true
    }

    fn rejected(&self, label: &str, response: &Response) -> ConnectorError {
        ConnectorError::AuthFailed(format!(
            "Halo rejected a fresh token for {label}: {}. Check that the scopes in the settings are ticked on the API application's Permissions tab and that the application is active",
            halo_message(&response.body)
        ))
    }
}

#[cfg(test)]
mod tests {
    use crate::session::HaloSession;
    use crate::testing::{json, settings, text, Scripted, TOKEN};
    use crate::types::{ConnectorError, OrganizationQuery};

    const CLIENTS: &str = r#"{"record_count":1,"clients":[{"id":3,"name":"Contoso"}]}"#;

    fn all() -> OrganizationQuery {
        OrganizationQuery {
            search: None,
            include_inactive: false,
            page: None,
            page_size: None,
        }
    }

    #[test]
    fn token_is_fetched_once_and_renewed_once_on_401() {
        let (transport, log) = Scripted::new(|req, n| match req.url.path() {
            "/api/authinfo" => json(404, "{}"),
            "/auth/token" => json(200, TOKEN),
            "/api/Client" if n == 1 => json(401, "{}"),
            "/api/Client" => json(200, CLIENTS),
            _ => json(404, "{}"),
        });
        let session = HaloSession::open(&settings(), transport).unwrap();
        session.list_organizations(all()).unwrap();
        assert_eq!(log.count("POST /auth/token"), 1);
        session.list_organizations(all()).unwrap(); // 401, new token, retry
        assert_eq!(log.count("POST /auth/token"), 2);
        assert_eq!(log.count("GET /api/Client"), 3);
        assert_eq!(
            log.count("GET /api/authinfo"),
            1,
            "discovery happens once per session"
        );
    }

    #[test]
    fn rate_limit_backs_off_then_gives_up_with_retry_after() {
        let (transport, log) = Scripted::new(|req, n| match req.url.path() {
            "/api/authinfo" => json(
                200,
                r#"{"auth_url":"https://acme.halopsa.com/auth","tenant_id":"acme"}"#,
            ),
            "/auth/token" => {
                assert_eq!(req.url.query(), Some("tenant=acme"));
                json(200, TOKEN)
            }
            "/api/Client" if n < 2 => text(
                429,
                "text/plain",
                "Rate Limit Reached - 300 Requests per rolling 5 minute window",
            ),
            "/api/Client" if n == 2 => json(200, CLIENTS),
            _ => {
                let mut r = text(429, "text/plain", "Rate Limit Reached")?;
                r.headers.push(("retry-after".into(), "7".into()));
                Ok(r)
            }
        });
        let session = HaloSession::open(&settings(), transport).unwrap();
        assert_eq!(session.list_organizations(all()).unwrap().items.len(), 1);
        assert_eq!(log.sleeps.borrow().len(), 2, "two back-offs before success");
        assert!(matches!(
            session.list_statuses(),
            Err(ConnectorError::RateLimited(7))
        ));
    }

    #[test]
    fn server_errors_are_retried_for_reads_only() {
        let (transport, log) = Scripted::new(|req, _| match req.url.path() {
            "/auth/token" => json(200, TOKEN),
            "/api/Client" => text(
                502,
                "text/html",
                "<html><title>502 Bad Gateway</title></html>",
            ),
            "/api/Actions" => json(500, r#"{"message":"boom"}"#),
            _ => json(404, "{}"),
        });
        let session = HaloSession::open(&settings(), transport).unwrap();
        match session.list_organizations(all()) {
            Err(ConnectorError::Remote(r)) => {
                assert_eq!(r.status, 502);
                assert_eq!(r.message, "HTML page: 502 Bad Gateway");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(log.count("GET /api/Client"), 3);
    }

    #[test]
    fn html_and_malformed_bodies_are_invalid_responses_naming_the_endpoint() {
        let (transport, _) = Scripted::new(|req, _| match req.url.path() {
            "/auth/token" => json(200, TOKEN),
            "/api/Client" => text(200, "text/html", "<html>login</html>"),
            "/api/Status" => json(200, r#"[{"id":1,"name":"New"#),
            "/api/Team" => json(200, r#"{"unexpected":true}"#),
            _ => json(404, "{}"),
        });
        let session = HaloSession::open(&settings(), transport).unwrap();
        for result in [
            session.list_organizations(all()).map(|_| ()),
            session.list_statuses().map(|_| ()),
            session.list_teams().map(|_| ()),
        ] {
            match result {
                Err(ConnectorError::InvalidResponse(r)) => {
                    assert!(r.endpoint.starts_with("GET /api/"), "{r:?}")
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn wrong_secret_is_auth_failed_with_halos_words() {
        let (transport, _) = Scripted::new(|req, _| match req.url.path() {
            "/auth/token" => json(
                401,
                r#"{"error":"invalid_client","error_description":"client secret mismatch"}"#,
            ),
            _ => json(404, "{}"),
        });
        let session = HaloSession::open(&settings(), transport).unwrap();
        match session.test_connection() {
            Err(ConnectorError::AuthFailed(m)) => {
                assert!(m.contains("invalid_client: client secret mismatch"), "{m}");
                assert!(!m.contains("secret\""), "{m}");
            }
            other => panic!("{other:?}"),
        }
    }
}
