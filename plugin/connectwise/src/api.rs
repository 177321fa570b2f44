//! Talking to ConnectWise: Basic credentials with the `clientId` header ([`CwAuth`]), error
//! bodies `{code, message, errors}` with hints naming ConnectWise's security roles
//! ([`CwErrors`]), codebase discovery, `conditions` quoting and `page`/`pageSize` paging that
//! follows the `Link` header ([`CwApi`]). Retries (429, 5xx on reads) are the SDK client's.

use std::cell::RefCell;

use psa_connector_sdk::client::{
    parse_json, Auth, Client, ErrorMap, Http, Resend, REQUEST_TIMEOUT,
};
use psa_connector_sdk::errors::error_message;
use psa_connector_sdk::http::{Method, Request, Response, Transport};
use psa_connector_sdk::settings::problem;
use psa_connector_sdk::types::{ConnectorError, RemoteError};
use serde_json::Value;

use crate::settings::CwSettings;

/// The codebase when discovery does not answer (on-premise and older cloud instances).
pub const DEFAULT_CODEBASE: &str = "v4_6_release/";
/// ConnectWise's largest page.
pub const MAX_PAGE_SIZE: u32 = 1000;
/// Pages read at most by one "all pages" listing.
const MAX_PAGES: u32 = 200;

/// Basic `company+public:private` and `clientId`, on every request. Fixed credentials: a 401
/// is never retried.
pub struct CwAuth {
    authorization: String,
    client_id: String,
}

impl CwAuth {
    pub fn new(settings: &CwSettings) -> CwAuth {
        let user = format!(
            "{}+{}:{}",
            settings.company_id,
            settings.public_key,
            settings.private_key.expose()
        );
        CwAuth {
            authorization: format!("Basic {}", base64(user.as_bytes())),
            client_id: settings.client_id.clone(),
        }
    }
}

impl Auth for CwAuth {
    fn headers(&self, _: &Http) -> Result<Vec<(String, String)>, ConnectorError> {
        Ok(vec![
            ("authorization".into(), self.authorization.clone()),
            ("clientId".into(), self.client_id.clone()),
        ])
    }
    fn rejected(&self, label: &str, response: &Response) -> ConnectorError {
        ConnectorError::AuthFailed(format!(
            "{label}: ConnectWise rejected the API keys ({}). Check the company id, public key and private key (System > Members > API Members > API Keys) and that the API member is active.",
            cw_message(&response.body)
        ))
    }
}

/// ConnectWise's error statuses in contract terms.
pub struct CwErrors;

impl ErrorMap for CwErrors {
    fn status_error(&self, status: u16, body: &[u8], endpoint: &str) -> ConnectorError {
        let message = cw_message(body);
        let code = serde_json::from_slice::<Value>(body)
            .ok()
            .and_then(|v| v["code"].as_str().map(str::to_string))
            .unwrap_or_default();
        if status == 400
            && (code.eq_ignore_ascii_case("InvalidClientId")
                || message.to_ascii_lowercase().contains("clientid"))
        {
            return problem(
                "client_id",
                format!("ConnectWise refused the client id ({message}). Use the integration's clientId GUID from developer.connectwise.com/ClientID."),
            );
        }
        match status {
            403 => ConnectorError::PermissionDenied(format!(
                "{endpoint}: {message}. Give the API member's security role {}.",
                role_for(endpoint)
            )),
            404 => ConnectorError::NotFound(format!("{endpoint}: {message}")),
            _ => ConnectorError::Remote(RemoteError {
                status,
                message,
                endpoint: endpoint.into(),
            }),
        }
    }
}

/// The security-role setting an endpoint needs (System > Security Roles).
pub fn role_for(endpoint: &str) -> &'static str {
    if endpoint.contains("/notes") {
        "Service Desk > Service Tickets (Add, Edit, Inquire: All) for notes"
    } else if endpoint.contains("/service/tickets") {
        "Service Desk > Service Tickets (Add, Edit, Inquire: All)"
    } else if endpoint.contains("/company/") {
        "Companies > Company Maintenance (Inquire: All) and Contacts (Inquire: All)"
    } else if endpoint.contains("/system/members") {
        "System > Member Maintenance (Inquire: All)"
    } else {
        "System > Table Setup (Inquire: All)"
    }
}

/// The message of a ConnectWise error body: `message` plus each `errors[]` entry's field and
/// message; any other body as the SDK reads it.
pub fn cw_message(body: &[u8]) -> String {
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return error_message(body);
    };
    let mut message = error_message(body);
    if let Some(errors) = value.get("errors").and_then(Value::as_array) {
        for e in errors {
            let text = e["message"].as_str().unwrap_or_default();
            match e["field"].as_str() {
                Some(field) if !field.is_empty() => message.push_str(&format!("; {field}: {text}")),
                _ if !text.is_empty() => message.push_str(&format!("; {text}")),
                _ => {}
            }
        }
    }
    message
}

/// A `conditions` string literal: in double quotes with `"` and `\` escaped, so user text is
/// always one value (`x" or id>0 or x="` cannot widen a lookup).
pub fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        if matches!(c, '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// Standard base64 (with padding), for the Basic credentials.
fn base64(input: &[u8]) -> String {
    const TABLE: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    let (mut bits, mut held) = (0u32, 0u32);
    for byte in input {
        bits = (bits << 8) | u32::from(*byte);
        held += 8;
        while held >= 6 {
            held -= 6;
            out.push(TABLE[((bits >> held) & 0x3f) as usize] as char);
        }
    }
    if held > 0 {
        out.push(TABLE[((bits << (6 - held)) & 0x3f) as usize] as char);
    }
    while !out.len().is_multiple_of(4) {
        out.push('=');
    }
    out
}

/// One page of a list.
pub struct Page {
    pub items: Vec<Value>,
    /// The `Link` header names a next page (or, without a `Link` header, the page was full).
    pub has_next: bool,
}

/// The ConnectWise REST API of one session.
pub struct CwApi {
    pub client: Client<CwAuth, CwErrors>,
    company_id: String,
    codebase: RefCell<Option<String>>,
}

impl CwApi {
    pub fn new(settings: &CwSettings, transport: Box<dyn Transport>) -> CwApi {
        let client = Client::new(
            settings.site.clone(),
            transport,
            CwAuth::new(settings),
            CwErrors,
        );
        CwApi {
            client,
            company_id: settings.company_id.clone(),
            codebase: RefCell::new(settings.codebase.clone()),
        }
    }

    /// The codebase (`v4_6_release/`): from the site URL, else `/login/companyinfo/{company}`
    /// (asked once), else the default. Only a transport failure is an error.
    pub fn codebase(&self) -> Result<String, ConnectorError> {
        if let Some(known) = self.codebase.borrow().clone() {
            return Ok(known);
        }
        let path = format!("login/companyinfo/{}", self.company_id);
        let found = match self.client.get(&path, &[]) {
            Ok(info) => info
                .get("Codebase")
                .and_then(Value::as_str)
                .map(|c| format!("{}/", c.trim_matches('/')))
                .filter(|c| c.len() > 1),
            Err(e @ ConnectorError::Transport(_)) => return Err(e),
            Err(_) => None,
        };
        let codebase = found.unwrap_or_else(|| DEFAULT_CODEBASE.to_string());
        *self.codebase.borrow_mut() = Some(codebase.clone());
        Ok(codebase)
    }

    fn path(&self, path: &str) -> Result<String, ConnectorError> {
        Ok(format!("{}apis/3.0/{path}", self.codebase()?))
    }

    /// The API root URL (for reports).
    pub fn api_url(&self) -> Result<String, ConnectorError> {
        Ok(self
            .client
            .url(&self.path("")?, &[])
            .to_string()
            .trim_end_matches('/')
            .to_string())
    }

    /// The site URL of a path outside the API (e.g. the ticket's page).
    pub fn site_url(&self, path: &str, query: &[(&str, String)]) -> Result<String, ConnectorError> {
        Ok(self
            .client
            .url(&format!("{}{path}", self.codebase()?), query)
            .to_string())
    }

    pub fn get(&self, path: &str, query: &[(&str, String)]) -> Result<Value, ConnectorError> {
        self.client.get(&self.path(path)?, query)
    }

    pub fn post(&self, path: &str, body: &Value) -> Result<Value, ConnectorError> {
        self.client.post(&self.path(path)?, body)
    }

    pub fn patch(&self, path: &str, body: &Value) -> Result<Value, ConnectorError> {
        self.client.patch(&self.path(path)?, body)
    }

    /// `GET <path>/count` with these conditions.
    pub fn count(&self, path: &str, conditions: &str) -> Result<u32, ConnectorError> {
        let query = conditions_query(conditions);
        let answer = self.get(&format!("{path}/count"), &query)?;
        Ok(answer["count"].as_u64().unwrap_or(0) as u32)
    }

    /// One page (1-based) of a list, with whether there is a next one.
    pub fn page(
        &self,
        path: &str,
        conditions: &str,
        extra: &[(&str, String)],
        page: u32,
        page_size: u32,
    ) -> Result<Page, ConnectorError> {
        let mut query = conditions_query(conditions);
        query.extend_from_slice(extra);
        query.push(("page", page.max(1).to_string()));
        query.push(("pageSize", page_size.clamp(1, MAX_PAGE_SIZE).to_string()));
        let url = self.client.url(&self.path(path)?, &query);
        let label = format!("GET {}", url.path());
        let mut headers = self.client.auth.headers(&self.client.http)?;
        headers.push(("accept".into(), self.client.accept.clone()));
        let request = Request {
            method: Method::Get,
            url,
            headers,
            body: None,
            timeout: REQUEST_TIMEOUT,
        };
        let response = self.client.http.send(&label, &request, Resend::Safe)?;
        if response.status == 401 {
            return Err(self.client.auth.rejected(&label, &response));
        }
        if !(200..300).contains(&response.status) {
            return Err(self
                .client
                .errors
                .status_error(response.status, &response.body, &label));
        }
        let json = parse_json(&label, &response)?;
        let Value::Array(items) = json else {
            return Err(psa_connector_sdk::errors::invalid_response(
                &label,
                "expected a JSON array",
            ));
        };
        let has_next = match response.header("link") {
            Some(link) => link
                .split(',')
                .any(|part| part.replace(' ', "").contains("rel=\"next\"")),
            None => items.len() as u32 >= page_size.clamp(1, MAX_PAGE_SIZE),
        };
        Ok(Page { items, has_next })
    }

    /// Every page of a list, following `next`.
    pub fn all(
        &self,
        path: &str,
        conditions: &str,
        extra: &[(&str, String)],
    ) -> Result<Vec<Value>, ConnectorError> {
        let mut items = Vec::new();
        for page in 1..=MAX_PAGES {
            let got = self.page(path, conditions, extra, page, MAX_PAGE_SIZE)?;
            let done = !got.has_next || got.items.is_empty();
            items.extend(got.items);
            if done {
                break;
            }
        }
        Ok(items)
    }
}

fn conditions_query(conditions: &str) -> Vec<(&'static str, String)> {
    if conditions.is_empty() {
        vec![]
    } else {
        vec![("conditions", conditions.to_string())]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_known_values() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"acme+pub:priv"), "YWNtZStwdWI6cHJpdg==");
    }

    #[test]
    fn quoting_keeps_hostile_text_one_value() {
        assert_eq!(quote(r#"x" or id>0 or x=""#), r#""x\" or id>0 or x=\"""#);
        assert_eq!(quote(r"a\b"), r#""a\\b""#);
    }

    #[test]
    fn client_id_errors_name_the_setting() {
        let e = CwErrors.status_error(
            400,
            br#"{"code":"InvalidClientId","message":"The clientId header is required"}"#,
            "GET /x",
        );
        assert!(
            matches!(e, ConnectorError::InvalidSettings(p) if p.key.as_deref() == Some("client_id"))
        );
        let e = CwErrors.status_error(
            403,
            br#"{"code":"Forbidden","message":"no"}"#,
            "GET /v4_6_release/apis/3.0/company/companies",
        );
        assert!(
            matches!(e, ConnectorError::PermissionDenied(m) if m.contains("Company Maintenance"))
        );
    }
}
