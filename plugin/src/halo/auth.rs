//! Finding the token endpoint and getting a client_credentials token.
//!
//! Discovery (when no authorisation server is set): `GET <base>/api/authinfo` names it; if that
//! fails, `<base>/auth` is assumed (self-hosted layout). Token URL = `<auth>/token[?tenant=]`.
//! The token is cached for the session until a minute before `expires_in` runs out.

use std::time::{Duration, Instant};

use serde_json::Value;
use url::Url;

use crate::halo::api::{parse_json, HaloApi, Resend, Token, REQUEST_TIMEOUT};
use crate::halo::errors::{halo_message, is_host_denial, status_error};
use crate::halo::model::Obj;
use crate::http::{Method, Request};
use crate::settings::{AUTH_URL, SCOPE, TENANT};
use crate::types::{ConnectorError, SettingProblem};

const DEFAULT_TOKEN_LIFETIME: u64 = 3600;

fn setting_problem(key: &str, message: String) -> ConnectorError {
    ConnectorError::InvalidSettings(SettingProblem {
        key: Some(key.into()),
        message,
    })
}

impl HaloApi {
    /// `Authorization` header value for the API, getting a token when needed.
    pub fn authorization(&self) -> Result<String, ConnectorError> {
        Ok(self.token()?.authorization)
    }

    /// The current token (fetched when missing or about to expire).
    pub fn token(&self) -> Result<Token, ConnectorError> {
        if let Some(token) = self.token.borrow().as_ref() {
            if Instant::now() < token.expires_at {
                return Ok(token.clone());
            }
        }
        let token = self.fetch_token()?;
        self.token.replace(Some(token.clone()));
        Ok(token)
    }

    /// The token endpoint, discovered once per session.
    pub fn token_endpoint(&self) -> Result<Url, ConnectorError> {
        if let Some(url) = self.token_endpoint.borrow().as_ref() {
            return Ok(url.clone());
        }
        let (auth_url, discovered_tenant) = match &self.settings.auth_url {
            Some(url) => (url.clone(), None),
            None => self
                .discover()
                .unwrap_or_else(|| (self.default_auth_url(), None)),
        };
        let mut token_url = auth_url;
        token_url.set_path(&format!("{}/token", token_url.path().trim_end_matches('/')));
        if let Some(tenant) = self.settings.tenant.clone().or(discovered_tenant) {
            token_url.query_pairs_mut().append_pair("tenant", &tenant);
        }
        self.token_endpoint.replace(Some(token_url.clone()));
        Ok(token_url)
    }

    fn default_auth_url(&self) -> Url {
        let mut url = self.settings.base_url.clone();
        url.set_path(&format!("{}/auth", url.path().trim_end_matches('/')));
        url
    }

    /// `GET /api/authinfo` → (authorisation server, tenant). None when it does not answer usefully.
    fn discover(&self) -> Option<(Url, Option<String>)> {
        let url = self.api_url("authinfo", &[]);
        let request = Request {
            method: Method::Get,
            url: url.clone(),
            headers: vec![("accept".into(), "application/json".into())],
            body: None,
            timeout: REQUEST_TIMEOUT,
        };
        let response = self
            .send(&format!("GET {}", url.path()), &request, Resend::Safe)
            .ok()?;
        if response.status != 200 {
            return None;
        }
        let json = parse_json("GET /api/authinfo", &response).ok()?;
        let obj = Obj(&json);
        let auth = obj.text("auth_url").and_then(|u| Url::parse(&u).ok())?;
        if auth.scheme() != "https" && auth.scheme() != "http" {
            return None;
        }
        Some((auth, obj.text("tenant_id")))
    }

    fn fetch_token(&self) -> Result<Token, ConnectorError> {
        let endpoint = self.token_endpoint()?;
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
        let response = match self.send(&label, &request, Resend::Safe) {
            Err(error) if is_host_denial(&error) => {
                let mut auth = endpoint.clone();
                auth.set_query(None);
                let auth = auth.as_str().trim_end_matches("/token").to_string();
                return Err(setting_problem(
                    AUTH_URL,
                    format!("Halo names the authorisation server {auth}, which this connection is not allowed to reach. Fill in the Authorisation server setting with {auth} (from Configuration > Integrations > HaloPSA API > API Details)"),
                ));
            }
            other => other?,
        };
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

fn token_from_json(
    label: &str,
    json: &Value,
    requested_scope: &str,
) -> Result<Token, ConnectorError> {
    let obj = Obj(json);
    let access_token = obj.text("access_token").ok_or_else(|| {
        crate::halo::errors::invalid_response(label, "token answer without 'access_token'")
    })?;
    let token_type = obj.text("token_type").unwrap_or_else(|| "Bearer".into());
    let lifetime = obj
        .int("expires_in")
        .and_then(|s| u64::try_from(s).ok())
        .filter(|s| *s > 0)
        .unwrap_or(DEFAULT_TOKEN_LIFETIME);
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
        expires_at: Instant::now() + Duration::from_secs(usable),
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
