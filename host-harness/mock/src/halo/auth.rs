//! The authorisation server (`/auth/token`, `/token`, discovery), `/api/authinfo`, and bearer
//! token and scope checks for `/api`.

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, HOST};
use http::StatusCode;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;

use super::reply::{HandlerResult, Reply};
use super::routes::Request;
use super::seed_ids as ids;
use super::state::str_of;
use super::Shared;
use crate::lock;

/// Every scope the token endpoint knows (Halo's list plus `all:teams`).
const KNOWN_SCOPES: &[&str] = &[
    "all",
    "all:standard",
    "all:teams",
    "admin",
    "read:tickets",
    "edit:tickets",
    "read:calendar",
    "edit:calendar",
    "read:customers",
    "edit:customers",
    "read:crm",
    "edit:crm",
    "editMine:timesheets",
    "read:timesheets",
    "edit:timesheets",
    "read:contracts",
    "edit:contracts",
    "read:suppliers",
    "edit:suppliers",
    "read:items",
    "edit:items",
    "read:projects",
    "edit:projects",
    "read:sales",
    "edit:sales",
    "read:quotes",
    "edit:quotes",
    "read:sos",
    "edit:sos",
    "read:pos",
    "edit:pos",
    "read:invoices",
    "edit:invoices",
    "read:reporting",
    "edit:reporting",
    "read:software",
    "edit:software",
    "read:softwarelicensing",
    "edit:softwarelicensing",
    "read:kb",
    "edit:kb",
    "read:assets",
    "edit:assets",
    "access:chat",
    "access:adpasswordreset",
    "offline_access",
    "openid",
];

/// The permission an `/api` endpoint needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Need {
    /// Client/Site/Users reads: `read:customers` or `edit:customers`.
    ReadCustomers,
    /// Client writes: `edit:customers`.
    EditCustomers,
    /// Tickets/Actions reads and lookups: `read:tickets` or `edit:tickets`.
    ReadTickets,
    /// Tickets/Actions writes: `edit:tickets`.
    EditTickets,
}

impl Need {
    /// The scope named in the 403 message.
    fn scope(self) -> &'static str {
        match self {
            Need::ReadCustomers => "read:customers",
            Need::EditCustomers => "edit:customers",
            Need::ReadTickets => "read:tickets",
            Need::EditTickets => "edit:tickets",
        }
    }

    fn covered_by(self, scopes: &[String]) -> bool {
        scopes.iter().any(|s| match s.as_str() {
            "all" | "all:standard" => true,
            "edit:customers" => matches!(self, Need::ReadCustomers | Need::EditCustomers),
            "read:customers" => self == Need::ReadCustomers,
            "edit:tickets" => matches!(self, Need::ReadTickets | Need::EditTickets),
            "read:tickets" => self == Need::ReadTickets,
            _ => false,
        })
    }
}

#[derive(Debug)]
struct TokenInfo {
    scopes: Vec<String>,
    expires_at: Instant,
    revoked: bool,
}

/// Issued tokens.
#[derive(Debug)]
pub(crate) struct Tokens {
    issued: HashMap<String, TokenInfo>,
    rng: StdRng,
}

impl Tokens {
    /// No tokens yet. Token values mix `seed` with the clock, so two instances never share one.
    pub fn new(seed: u64) -> Tokens {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        Tokens {
            issued: HashMap::new(),
            rng: StdRng::seed_from_u64(seed ^ nanos.rotate_left(17)),
        }
    }

    /// Issues a token with these scopes, valid for `ttl`.
    pub fn issue(&mut self, scopes: Vec<String>, ttl: Duration) -> String {
        let token = random_b64(&mut self.rng, 48);
        self.issued.insert(
            token.clone(),
            TokenInfo {
                scopes,
                expires_at: Instant::now() + ttl,
                revoked: false,
            },
        );
        token
    }

    /// Makes every token issued so far answer 401.
    pub fn expire_all(&mut self) {
        for t in self.issued.values_mut() {
            t.revoked = true;
        }
    }

    /// Checks a bearer token against `need`: 401 when missing, unknown, expired or scope-less;
    /// 403 when its scopes do not cover `need`. Returns the agent the token acts as.
    fn check(&self, token: Option<&str>, need: Need) -> Result<i64, Reply> {
        let info = token
            .and_then(|t| self.issued.get(t))
            .filter(|i| !i.revoked && Instant::now() < i.expires_at && !i.scopes.is_empty())
            .ok_or_else(Reply::unauthorized)?;
        if need.covered_by(&info.scopes) {
            Ok(ids::API_AGENT_ID)
        } else {
            Err(Reply::forbidden_scope(need.scope()))
        }
    }
}

/// The bearer token of a request, if it has one.
fn bearer(req: &Request) -> Option<&str> {
    let value = req.headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// Authorises an `/api` request; returns the acting agent id.
pub(crate) fn authorize(shared: &Shared, req: &Request, need: Need) -> Result<i64, Reply> {
    lock(&shared.tokens).check(bearer(req), need)
}

/// `GET /api/authinfo` (no authentication).
pub(crate) fn authinfo(shared: &Shared, req: &Request) -> HandlerResult {
    Ok(Reply::ok(&json!({
        "auth_url": auth_url(shared, req),
        "tenant_id": shared.config.tenant.clone().unwrap_or_default(),
    })))
}

/// `GET /auth/.well-known/openid-configuration`.
pub(crate) fn discovery(shared: &Shared, req: &Request) -> HandlerResult {
    let auth = auth_url(shared, req);
    Ok(Reply::ok(&json!({
        "issuer": auth,
        "token_endpoint": format!("{auth}/token"),
        "authorization_endpoint": format!("{auth}/authorize"),
        "grant_types_supported": ["client_credentials", "authorization_code", "refresh_token"],
        "scopes_supported": KNOWN_SCOPES,
    })))
}

/// `<base>/auth`, where base follows the request's `Host` (so it works behind port mappings).
fn auth_url(shared: &Shared, req: &Request) -> String {
    if let Some(url) = &shared.config.auth_url_override {
        return url.trim_end_matches('/').to_string();
    }
    let host = req.headers.get(HOST).and_then(|h| h.to_str().ok());
    match host {
        Some(h) if !h.is_empty() => {
            // `https` when the mock serves TLS.
            let scheme = shared.base_url.split("://").next().unwrap_or("http");
            format!("{scheme}://{h}/auth")
        }
        _ => format!("{}/auth", shared.base_url),
    }
}

/// `POST /auth/token` or `POST /token`: the client_credentials grant.
pub(crate) fn token(shared: &Shared, req: &Request) -> HandlerResult {
    let content_type = req
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !content_type
        .to_ascii_lowercase()
        .starts_with("application/x-www-form-urlencoded")
    {
        return Err(Reply::oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            Some("Content-Type must be application/x-www-form-urlencoded"),
        ));
    }
    let form: HashMap<String, String> = url::form_urlencoded::parse(&req.body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();

    // Tenant: query string (Halo's documented place) or form field.
    let tenant = req
        .query
        .get("tenant")
        .or_else(|| form.get("tenant").map(String::as_str))
        .map(str::trim)
        .unwrap_or_default();
    let tenant_ok = match &shared.config.tenant {
        None => tenant.is_empty(),
        Some(t) => t.eq_ignore_ascii_case(tenant),
    };
    if !tenant_ok {
        let description = if tenant.is_empty() {
            "A tenant is required for this instance".to_string()
        } else {
            format!("Unknown tenant '{tenant}'")
        };
        return Err(Reply::oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            Some(&description),
        ));
    }

    // Client authentication: form fields or HTTP Basic.
    let (client_id, client_secret) = match (form.get("client_id"), form.get("client_secret")) {
        (Some(id), Some(secret)) => (id.clone(), secret.clone()),
        _ => basic_credentials(req).unwrap_or_default(),
    };
    if client_id != shared.config.client_id || client_secret != shared.config.client_secret {
        return Err(Reply::oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            Some("Client authentication failed"),
        ));
    }

    match form.get("grant_type").map(String::as_str) {
        Some("client_credentials") => {}
        _ => {
            return Err(Reply::oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                None,
            ))
        }
    }

    let scopes: Vec<String> = form
        .get("scope")
        .map(|s| s.split_whitespace().map(str::to_string).collect())
        .unwrap_or_default();
    if let Some(bad) = scopes.iter().find(|s| !KNOWN_SCOPES.contains(&s.as_str())) {
        return Err(Reply::oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            Some(&format!("Unknown scope '{bad}'")),
        ));
    }
    let scope = scopes.join(" ");
    let ttl = shared.config.token_ttl_secs;
    let access_token = lock(&shared.tokens).issue(scopes, Duration::from_secs(ttl));
    let id_token = id_token(shared, req, ttl);
    Ok(Reply::ok(&json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": ttl,
        "scope": scope,
        "id_token": id_token,
    }))
    .with_header(CACHE_CONTROL, "no-store"))
}

/// `Authorization: Basic base64(id:secret)`.
fn basic_credentials(req: &Request) -> Option<(String, String)> {
    let value = req.headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = b64_decode(encoded.trim())?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_string(), secret.to_string()))
}

/// A JWT-shaped `id_token` naming the API agent (the signature is random, not verifiable).
fn id_token(shared: &Shared, req: &Request, ttl: u64) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let agent = lock(&shared.store)
        .agents
        .get(&ids::API_AGENT_ID)
        .cloned()
        .unwrap_or_default();
    let header = json!({ "alg": "RS256", "typ": "JWT" });
    let payload = json!({
        "iss": auth_url(shared, req),
        "sub": ids::API_AGENT_ID.to_string(),
        "id": ids::API_AGENT_ID,
        "name": str_of(&agent, "name").unwrap_or_default(),
        "email": str_of(&agent, "email").unwrap_or_default(),
        "iat": now,
        "exp": now + ttl,
    });
    let signature = random_b64(&mut lock(&shared.tokens).rng, 64);
    format!(
        "{}.{}.{}",
        b64url(header.to_string().as_bytes()),
        b64url(payload.to_string().as_bytes()),
        signature
    )
}

const B64URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const B64STD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// `len` random base64url characters.
fn random_b64(rng: &mut StdRng, len: usize) -> String {
    (0..len)
        .map(|_| B64URL[rng.random_range(0..64)] as char)
        .collect()
}

/// Unpadded base64url.
fn b64url(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(B64URL[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// Standard base64 (padding optional); `None` when malformed.
fn b64_decode(text: &str) -> Option<Vec<u8>> {
    let text = text.trim_end_matches('=');
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.bytes() {
        let v = B64STD.iter().position(|&b| b == c)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_cover_endpoints_as_documented() {
        let s = |list: &[&str]| list.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert!(Need::EditTickets.covered_by(&s(&["all"])));
        assert!(Need::ReadTickets.covered_by(&s(&["edit:tickets"])));
        assert!(!Need::EditTickets.covered_by(&s(&["read:tickets"])));
        assert!(Need::ReadCustomers.covered_by(&s(&["edit:customers"])));
        assert!(!Need::ReadCustomers.covered_by(&s(&["read:tickets", "all:teams"])));
        assert!(!Need::ReadTickets.covered_by(&s(&["admin"])));
    }

    #[test]
    fn base64_helpers() {
        assert_eq!(b64url(b"hello"), "aGVsbG8");
        assert_eq!(b64_decode("aGVsbG8=").unwrap(), b"hello");
        assert_eq!(b64_decode("dXNlcjpwYXNz").unwrap(), b"user:pass");
        assert!(b64_decode("***").is_none());
    }
}
