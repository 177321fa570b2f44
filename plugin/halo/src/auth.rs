//! Finding the token endpoint and getting a client_credentials token.
//!
//! Discovery (when no authorisation server is set): `GET <base>/api/authinfo` names it; if that
//! fails, `<base>/auth` is assumed (self-hosted layout). Token URL = `<auth>/token[?tenant=]`.
//! How the server was found is kept, so an error about reaching it says what really happened.
//! The token is cached for the session until a minute before `expires_in` runs out.

use std::time::{Duration, Instant};

use serde_json::Value;
use url::Url;

use psa_connector_sdk::client::Http;
use psa_connector_sdk::http::{Method, Request, HOST_DENIAL};

use crate::api::{parse_json, HaloAuth, Resend, Token, REQUEST_TIMEOUT};
use crate::errors::{halo_message, is_host_denial, short, status_error};
use crate::model::Obj;
use crate::settings::{AUTH_URL, SCOPE, TENANT};
use crate::types::{ConnectorError, SettingProblem};

const DEFAULT_TOKEN_LIFETIME: u64 = 3600;
/// Longest token lifetime believed (a day); longer answers are cut to it.
const MAX_TOKEN_LIFETIME: u64 = 24 * 3600;

/// Where the authorisation server came from.
#[derive(Debug, Clone)]
pub(crate) enum AuthSource {
    /// The Authorisation server setting.
    Setting,
    /// Named by Halo's `/api/authinfo`.
    Discovered,
    /// Assumed at `<base>/auth`: `/api/authinfo` answered without naming one (`None`), or the
    /// request got no answer (the host denied it, or it failed: the error).
    Assumed(Option<ConnectorError>),
}

fn setting_problem(key: &str, message: String) -> ConnectorError {
    ConnectorError::InvalidSettings(SettingProblem {
        key: Some(key.into()),
        message,
    })
}

impl HaloAuth {
    /// `Authorization` header value for the API, getting a token when needed.
    pub fn authorization(&self, http: &Http) -> Result<String, ConnectorError> {
        Ok(self.token(http)?.authorization)
    }

    /// The current token (fetched when missing or about to expire).
    pub fn token(&self, http: &Http) -> Result<Token, ConnectorError> {
        if let Some(token) = self.token.borrow().as_ref() {
            if Instant::now() < token.expires_at {
                return Ok(token.clone());
            }
        }
        let token = self.fetch_token(http)?;
        self.token.replace(Some(token.clone()));
        Ok(token)
    }

    /// The token endpoint, discovered once per session.
    pub fn token_endpoint(&self, http: &Http) -> Result<Url, ConnectorError> {
        Ok(self.token_endpoint_and_source(http)?.0)
    }

    /// `<resource server>/authinfo`.
    fn authinfo_url(&self) -> Url {
        let mut url = self.settings.resource_url.clone();
        url.set_path(&format!("{}/authinfo", url.path().trim_end_matches('/')));
        url
    }

    fn token_endpoint_and_source(&self, http: &Http) -> Result<(Url, AuthSource), ConnectorError> {
        if let Some(found) = self.token_endpoint.borrow().as_ref() {
            return Ok(found.clone());
        }
        let (auth_url, discovered_tenant, source) = match &self.settings.auth_url {
            Some(url) => (url.clone(), None, AuthSource::Setting),
            None => match self.discover(http) {
                Ok(Some((url, tenant))) => (url, tenant, AuthSource::Discovered),
                Ok(None) => (self.default_auth_url(), None, AuthSource::Assumed(None)),
                Err(error) => (
                    self.default_auth_url(),
                    None,
                    AuthSource::Assumed(Some(error)),
                ),
            },
        };
        let mut token_url = auth_url;
        token_url.set_path(&format!("{}/token", token_url.path().trim_end_matches('/')));
        if let Some(tenant) = self.settings.tenant.clone().or(discovered_tenant) {
            token_url.query_pairs_mut().append_pair("tenant", &tenant);
        }
        self.token_endpoint
            .replace(Some((token_url.clone(), source.clone())));
        Ok((token_url, source))
    }

    fn default_auth_url(&self) -> Url {
        let mut url = self.settings.base_url.clone();
        url.set_path(&format!("{}/auth", url.path().trim_end_matches('/')));
        url
    }

    /// `GET /api/authinfo` → (authorisation server, tenant); `None` when Halo's answer names
    /// none; the error when no answer came (denied by the host, or the request failed).
    fn discover(&self, http: &Http) -> Result<Option<(Url, Option<String>)>, ConnectorError> {
        let url = self.authinfo_url();
        let request = Request {
            method: Method::Get,
            url: url.clone(),
            headers: vec![("accept".into(), "application/json".into())],
            body: None,
            timeout: REQUEST_TIMEOUT,
        };
        let response = http.send(&format!("GET {}", url.path()), &request, Resend::Safe)?;
        if response.status != 200 {
            return Ok(None);
        }
        let Ok(json) = parse_json("GET /api/authinfo", &response) else {
            return Ok(None);
        };
        let obj = Obj(&json);
        let named = obj
            .text("auth_url")
            .and_then(|u| Url::parse(&u).ok())
            .filter(|auth| auth.scheme() == "https" || auth.scheme() == "http");
        Ok(named.map(|auth| (auth, obj.text("tenant_id"))))
    }

    fn fetch_token(&self, http: &Http) -> Result<Token, ConnectorError> {
        let (endpoint, source) = self.token_endpoint_and_source(http)?;
        let label = format!("POST {}", endpoint.path());
        let form = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "client_credentials")
            .append_pair("client_id", &self.settings.client_id)
            .append_pair("client_secret", self.settings.client_secret.expose())
            .append_pair("scope", &self.settings.scope)
            .finish();
        let request = Request {
            method: Method::Post,
            url: endpoint.clone(),
            headers: vec![
                (
                    "content-type".into(),
                    "application/x-www-form-urlencoded".into(),
                ),
                ("accept".into(), "application/json".into()),
            ],
            body: Some(form.into_bytes()),
            timeout: REQUEST_TIMEOUT,
        };
        // A token request changes nothing in Halo, so it is safe to re-send.
        let response = http
            .send(&label, &request, Resend::Safe)
            .map_err(|error| self.unreachable_token_endpoint(&endpoint, &source, error))?;
        if response.status == 200 {
            let json = parse_json(&label, &response)?;
            return token_from_json(&label, &json, &self.settings.scope);
        }
        Err(token_error(
            &label,
            &endpoint,
            response.status,
            &response.body,
        ))
    }
}

impl HaloAuth {
    /// The token request got no answer: say what happened, from how the authorisation server
    /// was found (only a server Halo named is "named by Halo").
    fn unreachable_token_endpoint(
        &self,
        endpoint: &Url,
        source: &AuthSource,
        error: ConnectorError,
    ) -> ConnectorError {
        let ConnectorError::Transport(token_failure) = &error else {
            return error;
        };
        let denied = is_host_denial(&error);
        let mut token_url = endpoint.clone();
        token_url.set_query(None);
        let auth = token_url.as_str().trim_end_matches("/token").to_string();
        let origin = endpoint.origin().ascii_serialization();
        let api_details = "Configuration > Integrations > HaloPSA API > API Details";
        match source {
            AuthSource::Discovered if denied => setting_problem(
                AUTH_URL,
                format!("Halo names the authorisation server {auth}, which this connection is not allowed to reach. Fill in the Authorisation server setting with {auth} (from {api_details})"),
            ),
            AuthSource::Setting if denied => setting_problem(
                AUTH_URL,
                format!("The host denied the token request to {token_url}: this connection may not reach {origin}. Ask the platform's administrator to allow {origin}, or correct the Authorisation server setting (from {api_details})"),
            ),
            AuthSource::Assumed(None) if denied => setting_problem(
                AUTH_URL,
                format!("Halo's /api/authinfo named no authorisation server, so {auth} was assumed, and the host denied the token request to {token_url}. Fill in the Authorisation server setting (from {api_details}), or ask the platform's administrator to allow {origin}"),
            ),
            AuthSource::Assumed(Some(discovery)) => {
                let authinfo = self.authinfo_url();
                let discovery_denied = is_host_denial(discovery);
                let discovery = if discovery_denied {
                    format!("GET {authinfo}: {HOST_DENIAL}")
                } else {
                    format!("GET {authinfo} got no answer: {}", short(discovery))
                };
                let token = if denied {
                    format!("the host denied the token request to {token_url} as well")
                } else {
                    format!("the token request failed too ({token_failure})")
                };
                let advice = if denied || discovery_denied {
                    format!("This connection may not reach {origin}: ask the platform's administrator to allow {origin}, or check the Halo URL setting")
                } else {
                    format!("Check that {origin} is reachable from the platform, or fill in the Authorisation server setting (from {api_details})")
                };
                ConnectorError::Transport(format!(
                    "No token: finding Halo's authorisation server failed ({discovery}), so {auth} was assumed, and {token}. {advice}"
                ))
            }
            _ => error,
        }
    }
}

fn token_from_json(
    label: &str,
    json: &Value,
    requested_scope: &str,
) -> Result<Token, ConnectorError> {
    let obj = Obj(json);
    let access_token = obj.text("access_token").ok_or_else(|| {
        crate::errors::invalid_response(label, "token answer without 'access_token'")
    })?;
    let token_type = obj.text("token_type").unwrap_or_else(|| "Bearer".into());
    let lifetime = obj
        .int("expires_in")
        .and_then(|s| u64::try_from(s).ok())
        .filter(|s| *s > 0)
        .unwrap_or(DEFAULT_TOKEN_LIFETIME)
        // A lifetime beyond what the clock can add (Halo would never say so, but a proxy or a
        // bug might) is treated as a day: `Instant + Duration` must not overflow.
        .min(MAX_TOKEN_LIFETIME);
    // Renew a minute early (or halfway, for short-lived tokens).
    let usable = lifetime.saturating_sub(60).max(lifetime / 2);
    let scopes = obj
        .text("scope")
        .unwrap_or_else(|| requested_scope.to_string())
        .split_whitespace()
        .map(str::to_string)
        .collect();
    Ok(Token {
        authorization: format!("{token_type} {access_token}"),
        expires_at: Instant::now()
            .checked_add(Duration::from_secs(usable))
            .unwrap_or_else(Instant::now),
        scopes,
    })
}

fn token_error(label: &str, endpoint: &Url, status: u16, body: &[u8]) -> ConnectorError {
    let message = halo_message(body);
    let code = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| Obj(&v).text("error"))
        .unwrap_or_default();
    let mentions_tenant = message.to_ascii_lowercase().contains("tenant");
    match (status, code.as_str()) {
        (_, "invalid_client") | (401, _) => ConnectorError::AuthFailed(format!(
            "Halo refused the client ID or secret ({message}). Copy the Client ID again after saving the API application (Halo can change it on first save), check the secret, and that the application uses 'Client ID and Secret (Services)' with Login Type 'Agent'"
        )),
        (_, "invalid_scope") => setting_problem(
            SCOPE,
            format!("Halo does not accept the requested scopes ({message}). Use scopes ticked on the application's Permissions tab, e.g. 'all' or 'read:tickets edit:tickets read:customers'"),
        ),
        _ if mentions_tenant => setting_problem(
            TENANT,
            format!("Halo does not know this tenant ({message}). Copy the tenant from API Details; leave it empty for self-hosted Halo"),
        ),
        (404, _) => setting_problem(
            AUTH_URL,
            format!("There is no token endpoint at {}{} (404). Check the Authorisation server setting (API Details)", endpoint.origin().ascii_serialization(), endpoint.path()),
        ),
        _ => status_error(status, body, label),
    }
}

#[cfg(test)]
mod tests {
    use psa_connector_sdk::http::TransportError;

    use crate::session::HaloSession;
    use crate::testing::{json, settings, Scripted, TOKEN};
    use crate::types::ConnectorError;

    fn denied() -> Result<psa_connector_sdk::http::Response, TransportError> {
        Err(TransportError::Denied(
            "the host's egress policy does not allow this address".into(),
        ))
    }

    /// The `transport` error of a read in a session on `transport`, which must not claim that
    /// Halo named an authorisation server.
    fn transport_error_of_a_read(transport: Box<Scripted>) -> String {
        let session = HaloSession::open(&settings(), transport).unwrap();
        let message = match session.list_statuses() {
            Err(ConnectorError::Transport(m)) => m,
            other => panic!("{other:?}"),
        };
        assert!(!message.contains("Halo names"), "{message}");
        message
    }

    /// The host denies discovery (and the assumed token endpoint on the same origin): the error
    /// says so, names the origin and what to do, and does not claim Halo named anything.
    #[test]
    fn a_denied_discovery_says_what_happened() {
        let (transport, log) = Scripted::new(|req, _| match req.url.path() {
            "/api/authinfo" | "/auth/token" => denied(),
            _ => json(200, "[]"),
        });
        let message = transport_error_of_a_read(transport);
        assert!(message.contains("denied"), "{message}");
        assert!(
            message.contains("https://acme.halopsa.com/api/authinfo"),
            "{message}"
        );
        assert!(
            message.contains("allow https://acme.halopsa.com"),
            "{message}"
        );
        assert!(!message.contains("secret"), "{message}");
        assert_eq!(log.count("GET /api/authinfo"), 1, "a denial is not retried");
        assert_eq!(log.count("GET /api/Status"), 0);
    }

    /// Discovery got no answer (a transport failure): a failing token request says so too.
    #[test]
    fn a_failed_discovery_is_named_when_the_token_request_fails() {
        let (transport, _) = Scripted::new(|req, _| match req.url.path() {
            "/api/authinfo" => Err(TransportError::Failed("connection refused".into())),
            "/auth/token" => denied(),
            _ => json(200, "[]"),
        });
        let message = transport_error_of_a_read(transport);
        assert!(message.contains("connection refused"), "{message}");
        assert!(
            message.contains("https://acme.halopsa.com/api/authinfo"),
            "{message}"
        );
    }

    /// A denied discovery with a reachable `<base>/auth` is no error: the assumed server works.
    #[test]
    fn a_denied_discovery_falls_back_to_the_base_auth_server() {
        let (transport, log) = Scripted::new(|req, _| match req.url.path() {
            "/api/authinfo" => denied(),
            "/auth/token" => json(200, TOKEN),
            _ => json(200, r#"[{"id":1,"name":"New"}]"#),
        });
        let session = HaloSession::open(&settings(), transport).unwrap();
        assert_eq!(session.list_statuses().unwrap().len(), 1);
        assert_eq!(log.count("POST /auth/token"), 1);
    }

    /// Halo's authinfo names a server the host will not reach: that message stays.
    #[test]
    fn a_named_server_the_host_denies_asks_for_the_setting() {
        let (transport, _) = Scripted::new(|req, _| match req.url.path() {
            "/api/authinfo" => json(
                200,
                r#"{"auth_url":"https://login.example.net/auth","tenant_id":""}"#,
            ),
            "/auth/token" => denied(),
            _ => json(200, "[]"),
        });
        let session = HaloSession::open(&settings(), transport).unwrap();
        match session.list_statuses() {
            Err(ConnectorError::InvalidSettings(problem)) => {
                assert_eq!(problem.key.as_deref(), Some("auth_url"));
                assert!(
                    problem.message.contains(
                        "Halo names the authorisation server https://login.example.net/auth"
                    ),
                    "{}",
                    problem.message
                );
            }
            other => panic!("{other:?}"),
        }
    }
}
