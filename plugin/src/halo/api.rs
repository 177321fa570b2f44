//! Requests to Halo's resource server: bearer token, retries, error mapping, JSON parsing and
//! the audit journal.
//!
//! Retry rules (why: Halo rate-limits hosted instances and tokens expire mid-session):
//! - 401 from the API: drop the token, get a new one, retry once.
//! - 429: wait (`Retry-After` when sent, else exponential backoff with jitter) and retry until the
//!   retry deadline; then fail with `rate-limited`.
//! - 5xx, timeout, reset: retried only for reads. A write that may have reached Halo is never
//!   re-sent blindly; the caller decides (ticket creation looks its reference up first).

use std::cell::RefCell;
use std::time::{Duration, Instant};

use serde_json::Value;
use url::Url;

use crate::audit::Journal;
use crate::halo::auth::AuthSource;
use crate::halo::errors::{halo_message, invalid_response, status_error, transport_error};
use crate::http::{Method, Request, Response, Transport, TransportError};
use crate::settings::Settings;
use crate::types::{ConnectorError, HttpExchange};

/// Per-request timeout asked of the host.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// How long one request may keep retrying, all waits included.
pub const RETRY_DEADLINE: Duration = Duration::from_secs(20);
/// Attempts for a read that fails with 5xx or a transport error.
const MAX_ATTEMPTS: u32 = 3;
/// Attempts for a 429.
const MAX_RATE_LIMIT_ATTEMPTS: u32 = 6;
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(8);

/// A bearer token and what it may do.
#[derive(Clone)]
pub struct Token {
    pub authorization: String,
    pub expires_at: Instant,
    pub scopes: Vec<String>,
}

/// Whether a request may be sent again after it may have reached Halo.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Resend {
    /// Reads: re-sending changes nothing.
    Safe,
    /// Writes: only re-sent when Halo certainly did not process them (401, 429).
    OnlyIfRejected,
}

pub struct HaloApi {
    pub settings: Settings,
    transport: Box<dyn Transport>,
    pub(crate) token: RefCell<Option<Token>>,
    /// The token endpoint and how its authorisation server was found (see `halo::auth`).
    pub(crate) token_endpoint: RefCell<Option<(Url, AuthSource)>>,
    pub journal: Journal,
}

impl HaloApi {
    pub fn new(settings: Settings, transport: Box<dyn Transport>) -> HaloApi {
        HaloApi {
            settings,
            transport,
            token: RefCell::new(None),
            token_endpoint: RefCell::new(None),
            journal: Journal::default(),
        }
    }

    /// `GET /api/<path>` and its JSON.
    pub fn get(&self, path: &str, query: &[(&str, String)]) -> Result<Value, ConnectorError> {
        self.call(Method::Get, path, query, None)
    }

    /// `POST /api/<path>` with a JSON body (Halo writes take an array) and the saved JSON.
    pub fn post(&self, path: &str, body: &Value) -> Result<Value, ConnectorError> {
        self.call(Method::Post, path, &[], Some(body))
    }

    /// The API URL of a path, with a query.
    pub fn api_url(&self, path: &str, query: &[(&str, String)]) -> Url {
        let mut url = self.settings.resource_url.clone();
        url.set_path(&format!("{}/{}", url.path().trim_end_matches('/'), path));
        if !query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        url
    }

    fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<Value, ConnectorError> {
        let url = self.api_url(path, query);
        let label = format!("{} {}", method.as_str(), url.path());
        let body = body.map(|b| b.to_string().into_bytes());
        let resend = if method == Method::Get {
            Resend::Safe
        } else {
            Resend::OnlyIfRejected
        };
        let mut renewed = false;
        loop {
            let authorization = self.authorization()?;
            let mut headers = vec![
                ("authorization".to_string(), authorization),
                ("accept".to_string(), "application/json".to_string()),
            ];
            if body.is_some() {
                headers.push(("content-type".to_string(), "application/json".to_string()));
            }
            let request = Request {
                method,
                url: url.clone(),
                headers,
                body: body.clone(),
                timeout: REQUEST_TIMEOUT,
            };
            let response = self.send(&label, &request, resend)?;
            if response.status == 401 {
                self.token.replace(None);
                if !renewed {
                    renewed = true;
                    continue;
                }
                return Err(ConnectorError::AuthFailed(format!(
                    "Halo rejected a fresh token for {label}: {}. Check that the scopes in the settings are ticked on the API application's Permissions tab and that the application is active",
                    halo_message(&response.body)
                )));
            }
            if !(200..300).contains(&response.status) {
                return Err(status_error(response.status, &response.body, &label));
            }
            return parse_json(&label, &response);
        }
    }

    /// Sends one request, retrying as the module docs say. Returns the final response, which may
    /// be an error status for the caller to map.
    pub(crate) fn send(
        &self,
        label: &str,
        request: &Request,
        resend: Resend,
    ) -> Result<Response, ConnectorError> {
        let started = Instant::now();
        let mut backoff = FIRST_BACKOFF;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let sent_at = Instant::now();
            let result = self.transport.send(request);
            self.journal.record(HttpExchange {
                method: request.method.as_str().into(),
                path: request.url.path().into(),
                status: result.as_ref().map(|r| r.status).unwrap_or(0),
                millis: u32::try_from(sent_at.elapsed().as_millis()).unwrap_or(u32::MAX),
                attempt,
            });
            let wait = match &result {
                Ok(r) if r.status == 429 => Some(retry_after(r).unwrap_or_else(|| jitter(backoff))),
                Ok(r) if r.status >= 500 && resend == Resend::Safe && attempt < MAX_ATTEMPTS => {
                    Some(jitter(backoff))
                }
                Err(TransportError::Failed(_) | TransportError::Timeout(_))
                    if resend == Resend::Safe && attempt < MAX_ATTEMPTS =>
                {
                    Some(jitter(backoff))
                }
                _ => None,
            };
            let rate_limited = matches!(&result, Ok(r) if r.status == 429);
            if let Some(wait) = wait {
                let in_time = started.elapsed() + wait < RETRY_DEADLINE;
                if in_time && (!rate_limited || attempt < MAX_RATE_LIMIT_ATTEMPTS) {
                    self.transport.sleep(wait);
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    continue;
                }
                if rate_limited {
                    return Err(ConnectorError::RateLimited(wait.as_secs().max(1) as u32));
                }
            }
            return result.map_err(|e| transport_error(label, &e));
        }
    }
}

/// `Retry-After` in seconds (HTTP dates are not worth parsing here), capped.
fn retry_after(response: &Response) -> Option<Duration> {
    let seconds: u64 = response.header("retry-after")?.trim().parse().ok()?;
    Some(Duration::from_secs(seconds.min(60)))
}

/// Between half and all of `base`, at random, so many sessions do not retry in lockstep.
fn jitter(base: Duration) -> Duration {
    let random = crate::entropy::next_u64();
    let fraction = 0.5 + (random % 1000) as f64 / 2000.0;
    base.mul_f64(fraction)
}

/// The JSON of a successful response, or `invalid-response` naming the endpoint.
pub fn parse_json(label: &str, response: &Response) -> Result<Value, ConnectorError> {
    if response.body.iter().all(u8::is_ascii_whitespace) {
        return Err(invalid_response(
            label,
            "empty body where JSON was expected",
        ));
    }
    serde_json::from_slice(&response.body).map_err(|e| {
        let content_type = response.header("content-type").unwrap_or("none");
        let looks_html = response.body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'<');
        if looks_html || content_type.contains("html") {
            invalid_response(
                label,
                format!(
                    "expected JSON, got {content_type}: {}",
                    halo_message(&response.body)
                ),
            )
        } else {
            invalid_response(label, format!("malformed JSON ({e})"))
        }
    })
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
