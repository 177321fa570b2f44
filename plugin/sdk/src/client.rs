//! Requests to a PSA's REST API: authentication, retries, error mapping, JSON parsing and the
//! audit journal.
//!
//! Retry rules (why: PSAs rate-limit hosted instances and tokens expire mid-session):
//! - 401 from the API: [`Auth::renew`] says whether fresh credentials may help (a bearer token:
//!   drop it, get a new one, retry once; fixed Basic credentials: no), else [`Auth::rejected`].
//! - 429: wait (`Retry-After` when sent, else exponential backoff with jitter) and retry until the
//!   retry deadline; then fail with `rate-limited`.
//! - 5xx, timeout, reset: retried only for reads ([`Resend::Safe`]). A write that may have
//!   reached the PSA is never re-sent blindly; the caller decides (ticket creation looks its
//!   alert key up first, see [`outcome_unknown`]).
//!
//! A connector builds one [`Client`] per session from its [`Auth`] and [`ErrorMap`]:
//!
//! ```
//! use psa_connector_sdk::client::{Auth, Client, ErrorMap, Http};
//! use psa_connector_sdk::http::Response;
//! use psa_connector_sdk::testing::{json, Scripted};
//! use psa_connector_sdk::types::{ConnectorError, RemoteError};
//!
//! /// Fixed Basic credentials plus a client-id header, as ConnectWise wants them.
//! struct Basic;
//! impl Auth for Basic {
//!     fn headers(&self, _: &Http) -> Result<Vec<(String, String)>, ConnectorError> {
//!         Ok(vec![
//!             ("authorization".into(), "Basic Y29tcGFueStwdWI6cHJpdg==".into()),
//!             ("clientid".into(), "00000000-0000-0000-0000-000000000000".into()),
//!         ])
//!     }
//!     fn rejected(&self, label: &str, _: &Response) -> ConnectorError {
//!         ConnectorError::AuthFailed(format!("{label}: check the API keys"))
//!     }
//! }
//! struct Errors;
//! impl ErrorMap for Errors {
//!     fn status_error(&self, status: u16, body: &[u8], endpoint: &str) -> ConnectorError {
//!         ConnectorError::Remote(RemoteError {
//!             status,
//!             message: psa_connector_sdk::errors::error_message(body),
//!             endpoint: endpoint.into(),
//!         })
//!     }
//! }
//!
//! let (transport, log) = Scripted::new(|_, _| json(200, r#"{"version":"v2025.1"}"#));
//! let base = url::Url::parse("https://api-na.example.net/v4_6_release/apis/3.0").unwrap();
//! let client = Client::new(base, transport, Basic, Errors);
//! let info = client.get("system/info", &[]).unwrap();
//! assert_eq!(info["version"], "v2025.1");
//! assert_eq!(log.count("GET /v4_6_release/apis/3.0/system/info"), 1);
//! assert_eq!(client.http.journal.held(), 1);
//! ```

use std::time::{Duration, Instant};

use serde_json::Value;
use url::Url;

use crate::audit::Journal;
use crate::errors::{error_message, invalid_response, is_host_denial, transport_error};
use crate::http::{Method, Request, Response, Transport, TransportError};
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

/// Whether a request may be sent again after it may have reached the PSA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resend {
    /// Reads: re-sending changes nothing.
    Safe,
    /// Writes: only re-sent when the PSA certainly did not process them (401, 429).
    OnlyIfRejected,
}

/// How a PSA authenticates API requests.
pub trait Auth {
    /// The credential headers of the next request (e.g. `authorization`), fetching a token
    /// through `http` when needed (its requests are journalled like any other).
    fn headers(&self, http: &Http) -> Result<Vec<(String, String)>, ConnectorError>;

    /// The API answered 401: forget cached credentials and say whether one retry with fresh
    /// ones may help. Default: no (fixed credentials).
    fn renew(&self) -> bool {
        false
    }

    /// The error for a 401 that renewal did not cure (or that cannot be renewed).
    fn rejected(&self, label: &str, response: &Response) -> ConnectorError;
}

/// How a PSA's error statuses (other than 401 and 429, which the client handles) become
/// `connector-error`s, with the PSA's own hints (which permission, which setting).
pub trait ErrorMap {
    /// The error for a non-success status of `endpoint` (e.g. `GET /api/Tickets`).
    fn status_error(&self, status: u16, body: &[u8], endpoint: &str) -> ConnectorError;
}

/// The transport, with retries and the journal; what [`Auth`] sends token requests through.
pub struct Http {
    transport: Box<dyn Transport>,
    /// The current operation's requests.
    pub journal: Journal,
}

impl Http {
    /// An HTTP sender over `transport` with an empty journal.
    pub fn new(transport: Box<dyn Transport>) -> Http {
        Http {
            transport,
            journal: Journal::default(),
        }
    }

    /// Sends one request, retrying as the module docs say, journalling every attempt. Returns the
    /// final response, which may be an error status for the caller to map.
    pub fn send(
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

/// A PSA's REST API: `base` plus a path, authenticated by `A`, errors mapped by `E`.
pub struct Client<A, E> {
    /// The API root every path is appended to (e.g. `https://x.halopsa.com/api`).
    pub base: Url,
    /// Sending, retries and the journal.
    pub http: Http,
    /// The PSA's authentication (and its state, such as a cached token).
    pub auth: A,
    /// The PSA's error mapping.
    pub errors: E,
    /// The `accept` header of API requests (default `application/json`).
    pub accept: String,
}

impl<A: Auth, E: ErrorMap> Client<A, E> {
    /// A client for the API at `base`.
    pub fn new(base: Url, transport: Box<dyn Transport>, auth: A, errors: E) -> Self {
        Client {
            base,
            http: Http::new(transport),
            auth,
            errors,
            accept: "application/json".into(),
        }
    }

    /// The current operation's journal.
    pub fn journal(&self) -> &Journal {
        &self.http.journal
    }

    /// `GET <base>/<path>?<query>` and its JSON.
    pub fn get(&self, path: &str, query: &[(&str, String)]) -> Result<Value, ConnectorError> {
        self.call(Method::Get, path, query, None)
    }

    /// `POST <base>/<path>` with a JSON body, and the JSON answer.
    pub fn post(&self, path: &str, body: &Value) -> Result<Value, ConnectorError> {
        self.call(Method::Post, path, &[], Some(body))
    }

    /// `PATCH <base>/<path>` with a JSON body (e.g. a JSON-patch array), and the JSON answer.
    pub fn patch(&self, path: &str, body: &Value) -> Result<Value, ConnectorError> {
        self.call(Method::Patch, path, &[], Some(body))
    }

    /// The API URL of a path, with a query.
    pub fn url(&self, path: &str, query: &[(&str, String)]) -> Url {
        let mut url = self.base.clone();
        url.set_path(&format!("{}/{}", url.path().trim_end_matches('/'), path));
        if !query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        url
    }

    /// One API request: credentials, retries, 401 handling, status mapping, JSON parsing.
    /// Reads are [`Resend::Safe`], everything else [`Resend::OnlyIfRejected`].
    pub fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<Value, ConnectorError> {
        let url = self.url(path, query);
        let label = format!("{} {}", method.as_str(), url.path());
        let body = body.map(|b| b.to_string().into_bytes());
        let resend = if method == Method::Get {
            Resend::Safe
        } else {
            Resend::OnlyIfRejected
        };
        let mut renewed = false;
        loop {
            let mut headers = self.auth.headers(&self.http)?;
            headers.push(("accept".to_string(), self.accept.clone()));
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
            let response = self.http.send(&label, &request, resend)?;
            if response.status == 401 {
                if self.auth.renew() && !renewed {
                    renewed = true;
                    continue;
                }
                return Err(self.auth.rejected(&label, &response));
            }
            if !(200..300).contains(&response.status) {
                return Err(self
                    .errors
                    .status_error(response.status, &response.body, &label));
            }
            return parse_json(&label, &response);
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
                    error_message(&response.body)
                ),
            )
        } else {
            invalid_response(label, format!("malformed JSON ({e})"))
        }
    })
}

/// Errors after which a write may or may not have been applied by the PSA: a create that ended
/// so must be looked up before it is sent again.
pub fn outcome_unknown(error: &ConnectorError) -> bool {
    match error {
        ConnectorError::Transport(_) => !is_host_denial(error),
        ConnectorError::InvalidResponse(_) => true,
        ConnectorError::Remote(r) => r.status >= 500,
        _ => false,
    }
}

/// A create that is never duplicated: `send` it; when its outcome is unknown
/// ([`outcome_unknown`]: the request may have reached the PSA), look for what it would have
/// created (`find`, e.g. by alert key and newer than the newest known ticket) before sending it
/// again, at most `attempts` times in all. `saved` reads a successful answer (its errors are
/// returned as they are: the create certainly happened).
pub fn create_idempotently<S, T>(
    attempts: u32,
    mut send: impl FnMut() -> Result<S, ConnectorError>,
    saved: impl FnOnce(S) -> Result<T, ConnectorError>,
    mut find: impl FnMut() -> Result<Option<T>, ConnectorError>,
) -> Result<T, ConnectorError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        match send() {
            Ok(answer) => return saved(answer),
            Err(error) if outcome_unknown(&error) => {
                if let Some(existing) = find()? {
                    return Ok(existing);
                }
                if attempt >= attempts {
                    return Err(error);
                }
            }
            Err(error) => return Err(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{json, Scripted};
    use crate::types::RemoteError;

    /// Fixed credentials (ConnectWise's Basic header plus `clientId`).
    struct Fixed;
    impl Auth for Fixed {
        fn headers(&self, _: &Http) -> Result<Vec<(String, String)>, ConnectorError> {
            Ok(vec![
                ("authorization".into(), "Basic x".into()),
                ("clientid".into(), "guid".into()),
            ])
        }
        fn rejected(&self, label: &str, _: &Response) -> ConnectorError {
            ConnectorError::AuthFailed(label.into())
        }
    }
    struct Remote;
    impl ErrorMap for Remote {
        fn status_error(&self, status: u16, body: &[u8], endpoint: &str) -> ConnectorError {
            ConnectorError::Remote(RemoteError {
                status,
                message: error_message(body),
                endpoint: endpoint.into(),
            })
        }
    }

    fn client(transport: Box<dyn Transport>) -> Client<Fixed, Remote> {
        Client::new(
            Url::parse("https://psa.example.com/apis/3.0").unwrap(),
            transport,
            Fixed,
            Remote,
        )
    }

    #[test]
    fn fixed_credentials_are_not_retried_on_401_and_go_on_every_request() {
        let (transport, log) = Scripted::new(|req, _| {
            assert!(req
                .headers
                .iter()
                .any(|(k, v)| k == "clientid" && v == "guid"));
            json(401, r#"{"code":"Unauthorized","message":"no"}"#)
        });
        let client = client(transport);
        match client.get("system/info", &[]) {
            Err(ConnectorError::AuthFailed(label)) => {
                assert_eq!(label, "GET /apis/3.0/system/info")
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(log.requests.borrow().len(), 1);
    }

    #[test]
    fn writes_are_not_resent_after_a_server_error_but_reads_are() {
        let (transport, log) = Scripted::new(|_, _| json(500, r#"{"message":"boom"}"#));
        let client = client(transport);
        let patch = serde_json::json!([{"op": "replace", "path": "status", "value": {"id": 3}}]);
        assert!(matches!(
            client.patch("service/tickets/7", &patch),
            Err(ConnectorError::Remote(RemoteError { status: 500, .. }))
        ));
        assert_eq!(log.count("PATCH /apis/3.0/service/tickets/7"), 1);
        assert!(client.get("service/tickets/7", &[]).is_err());
        assert_eq!(
            log.count("GET /apis/3.0/service/tickets/7"),
            MAX_ATTEMPTS as usize
        );
        assert!(outcome_unknown(&Remote.status_error(500, b"", "PATCH x")));
    }
}
