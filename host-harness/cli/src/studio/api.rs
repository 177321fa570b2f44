//! The studio's JSON API. Every answer is JSON and goes through the studio's redaction; every
//! failure is a typed error document `{"error": {"kind", "message", ...}}` with a 4xx/5xx
//! status, never a panic.

use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use psa_host::HostError;
use serde_json::{json, Value};

use super::state::Studio;

/// A failed API request.
#[derive(Debug)]
pub(crate) enum ApiError {
    /// The request itself is wrong (not JSON, a wrong shape, an unknown setting).
    BadRequest(String),
    /// No session is open: the settings were not saved, or opening failed.
    NoSession,
    /// No such route, ticket or mock.
    NotFound(String),
    /// The connector answered with its typed error (JSON, as `psa-harness call --json`).
    Connector(Value),
    /// The host failed (unknown operation, arguments that do not fit, a trap, a timeout).
    Host(StatusCode, String),
    /// The request came through another host name than the loopback address (DNS rebinding).
    Forbidden(String),
    /// A POST whose body is not declared as JSON (a cross-site form or `text/plain` request).
    UnsupportedMediaType,
}

impl From<HostError> for ApiError {
    fn from(error: HostError) -> Self {
        let status = match error {
            HostError::UnknownOperation(_) | HostError::InvalidArguments { .. } => {
                StatusCode::BAD_REQUEST
            }
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        ApiError::Host(status, error.to_string())
    }
}

impl ApiError {
    fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::NoSession => StatusCode::CONFLICT,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Connector(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Host(status, _) => *status,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) => "bad-request",
            ApiError::NoSession => "no-session",
            ApiError::NotFound(_) => "not-found",
            ApiError::Connector(_) => "connector",
            ApiError::Host(..) => "host",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::UnsupportedMediaType => "unsupported-media-type",
        }
    }

    /// The error in one line, for the page.
    pub(crate) fn message(&self) -> String {
        match self {
            ApiError::BadRequest(m)
            | ApiError::NotFound(m)
            | ApiError::Host(_, m)
            | ApiError::Forbidden(m) => m.clone(),
            ApiError::UnsupportedMediaType => {
                "send the request body as JSON (content-type: application/json)".into()
            }
            ApiError::NoSession => {
                "no session: save the settings first (the connector must accept them)".into()
            }
            ApiError::Connector(error) => describe_error_json(error),
        }
    }

    fn document(&self) -> Value {
        let mut error = json!({"kind": self.kind(), "message": self.message()});
        if let ApiError::Connector(connector_error) = self {
            error["connector_error"] = connector_error.clone();
        }
        json!({ "error": error })
    }
}

/// A connector error's JSON (`{"auth-failed": "..."}`) in one line: `<case>: <message>`, as
/// `psa-harness call` prints the typed error.
pub(crate) fn describe_error_json(error: &Value) -> String {
    let Some((case, payload)) = error.as_object().and_then(|m| m.iter().next()) else {
        return error.to_string();
    };
    let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or_default().to_string();
    match payload {
        Value::String(m) => format!("{case}: {m}"),
        Value::Number(n) if case == "rate-limited" => format!("{case}: retry after {n} s"),
        Value::Object(p) if case == "remote" => format!(
            "{case}: {} {} ({})",
            p.get("status").map(Value::to_string).unwrap_or_default(),
            text(p.get("message")),
            text(p.get("endpoint"))
        ),
        Value::Object(p) if case == "invalid-response" => format!(
            "{case}: {} ({})",
            text(p.get("message")),
            text(p.get("endpoint"))
        ),
        Value::Object(p) => match p.get("key").and_then(Value::as_str) {
            Some(key) => format!("{case} ({key}): {}", text(p.get("message"))),
            None => format!("{case}: {}", text(p.get("message"))),
        },
        Value::Null => case.clone(),
        other => format!("{case}: {other}"),
    }
}

/// The answer: the document or the error, with every secret masked.
fn finish(studio: &Studio, result: Result<Value, ApiError>) -> Response {
    match result {
        Ok(value) => Json(studio.redact(value)).into_response(),
        Err(error) => (error.status(), Json(studio.redact(error.document()))).into_response(),
    }
}

/// Only pages served by this studio may use it: the `Host` header must name the loopback
/// address (a DNS-rebinding page names its own host), and a POST must declare a JSON body (which
/// a cross-site page cannot send without a CORS preflight, which the studio never grants).
pub(crate) async fn guard(State(studio): State<Studio>, request: Request, next: Next) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    let name = host.rsplit_once(':').map_or(host, |(name, _)| name);
    if !matches!(name, "127.0.0.1" | "localhost" | "[::1]") {
        return finish(
            &studio,
            Err(ApiError::Forbidden(format!(
                "the studio answers on 127.0.0.1 only, not through the host name `{host}`"
            ))),
        );
    }
    if request.method() == Method::POST {
        let json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim_start().starts_with("application/json"));
        if !json {
            return finish(&studio, Err(ApiError::UnsupportedMediaType));
        }
    }
    next.run(request).await
}

/// A JSON request body; an empty body is `null`.
fn body_json(body: &Bytes) -> Result<Value, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    serde_json::from_slice(body)
        .map_err(|e| ApiError::BadRequest(format!("the request body is not valid JSON: {e}")))
}

/// `GET /api/state`.
pub(crate) async fn state(State(studio): State<Studio>) -> Response {
    let state = studio.state().await;
    finish(&studio, Ok(state))
}

/// `POST /api/settings` `{"values": {"key": "text", ...}}`: saves and opens a session.
pub(crate) async fn save_settings(State(studio): State<Studio>, body: Bytes) -> Response {
    let result = async {
        let body = body_json(&body)?;
        let values = body.get("values").ok_or_else(|| {
            ApiError::BadRequest("expected {\"values\": {\"<setting key>\": \"<text>\"}}".into())
        })?;
        studio.save_settings(values).await?;
        Ok(studio.state().await)
    }
    .await;
    finish(&studio, result)
}

/// `POST /api/call/{op}` `{"args": [...]}`: one operation with JSON arguments (the
/// convention of `psa_host::json`), answered with `{"op", "result", "stats"}`.
pub(crate) async fn call(
    State(studio): State<Studio>,
    Path(op): Path<String>,
    body: Bytes,
) -> Response {
    let result = async {
        let args = match body_json(&body)? {
            Value::Null => Vec::new(),
            Value::Array(args) => args,
            Value::Object(mut map) => match map.remove("args") {
                Some(Value::Array(args)) => args,
                None | Some(Value::Null) => Vec::new(),
                Some(_) => return Err(ApiError::BadRequest("`args` must be an array".into())),
            },
            _ => {
                return Err(ApiError::BadRequest(
                    "expected {\"args\": [...]} or an array of arguments".into(),
                ))
            }
        };
        studio.call(&op, args).await
    }
    .await;
    finish(&studio, result)
}

/// `GET /api/log`: every operation so far with its audit record.
pub(crate) async fn log(State(studio): State<Studio>) -> Response {
    let log = studio.log();
    finish(&studio, Ok(log))
}

/// `GET /api/stats`: the session's request counts and rate budgets.
pub(crate) async fn stats(State(studio): State<Studio>) -> Response {
    let stats = studio.stats().await;
    finish(&studio, stats)
}

/// `GET /api/mock`: the embedded mock's request counts.
pub(crate) async fn mock_counts(State(studio): State<Studio>) -> Response {
    let counts = studio.mock_counts();
    finish(&studio, counts)
}

/// `GET /api/mock/tickets/{id}`: a ticket as the embedded mock stores it, with its notes.
pub(crate) async fn mock_ticket(State(studio): State<Studio>, Path(id): Path<String>) -> Response {
    let ticket = studio.mock_ticket(&id);
    finish(&studio, ticket)
}

/// Any other path.
pub(crate) async fn not_found(State(studio): State<Studio>, uri: axum::http::Uri) -> Response {
    finish(
        &studio,
        Err(ApiError::NotFound(format!(
            "no such page or API: {}",
            uri.path()
        ))),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connector_errors_read_as_one_line() {
        assert_eq!(
            describe_error_json(&json!({"auth-failed": "bad secret"})),
            "auth-failed: bad secret"
        );
        assert_eq!(
            describe_error_json(&json!({"invalid-settings": {"key": "base_url", "message": "m"}})),
            "invalid-settings (base_url): m"
        );
        assert_eq!(
            describe_error_json(
                &json!({"remote": {"status": 500, "message": "x", "endpoint": "GET /a"}})
            ),
            "remote: 500 x (GET /a)"
        );
        assert_eq!(
            describe_error_json(&json!({"rate-limited": 30})),
            "rate-limited: retry after 30 s"
        );
    }
}
