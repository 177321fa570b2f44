//! ConnectWise's answers: `{"code","message","errors"}` error bodies, the 429 body, and the
//! bodies of injected status faults.

use http::StatusCode;
use serde_json::{json, Value};

pub(crate) use crate::reply::{HandlerResult, Reply, JSON};

use crate::faults::{html_error, Fault};

/// `{"code": code, "message": message, "errors": null}` with `status`.
pub(crate) fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Reply {
    Reply::json(
        status,
        &json!({ "code": code, "message": message.into(), "errors": null }),
    )
}

/// One nested error of a 400 InvalidObject.
pub(crate) fn field_error(
    code: &str,
    message: impl Into<String>,
    resource: &str,
    field: &str,
) -> Value {
    json!({ "code": code, "message": message.into(), "resource": resource, "field": field })
}

/// 400 `{"code":"InvalidObject","message":"<resource> object is invalid","errors":[…]}`.
pub(crate) fn invalid_object(resource: &str, errors: Vec<Value>) -> Reply {
    Reply::json(
        StatusCode::BAD_REQUEST,
        &json!({ "code": "InvalidObject", "message": format!("{resource} object is invalid"),
                 "errors": errors }),
    )
}

/// 400 InvalidObject with one nested error.
pub(crate) fn invalid_field(
    resource: &str,
    code: &str,
    field: &str,
    message: impl Into<String>,
) -> Reply {
    invalid_object(resource, vec![field_error(code, message, resource, field)])
}

/// 400 MissingRequiredField "The field <f> is required.".
pub(crate) fn missing_field(resource: &str, field: &str) -> Reply {
    invalid_field(
        resource,
        "MissingRequiredField",
        field,
        format!("The field {field} is required."),
    )
}

/// 400 MaxLengthField "The field <f> must be a string with a maximum length of <n>.".
pub(crate) fn too_long(resource: &str, field: &str, max: usize) -> Reply {
    invalid_field(
        resource,
        "MaxLengthField",
        field,
        format!("The field {field} must be a string with a maximum length of {max}."),
    )
}

/// 400 ApiFindCondition (a `conditions`/`orderBy`/`fields` problem).
pub(crate) fn find_condition(message: impl Into<String>) -> Reply {
    error(StatusCode::BAD_REQUEST, "ApiFindCondition", message)
}

/// 400 for a body that is not the JSON expected.
pub(crate) fn bad_body(message: impl Into<String>) -> Reply {
    error(StatusCode::BAD_REQUEST, "InvalidObject", message)
}

/// 404 `{"code":"NotFound","message":"<what> <id> not found"}`.
pub(crate) fn not_found(what: &str, id: impl std::fmt::Display) -> Reply {
    error(
        StatusCode::NOT_FOUND,
        "NotFound",
        format!("{what} {id} not found"),
    )
}

/// 404 for a path no route matches.
pub(crate) fn no_route(path: &str) -> Reply {
    error(
        StatusCode::NOT_FOUND,
        "NotFound",
        format!("The resource '{path}' was not found."),
    )
}

/// 405 for a known path used with the wrong method.
pub(crate) fn method_not_allowed(method: &str) -> Reply {
    error(
        StatusCode::METHOD_NOT_ALLOWED,
        "MethodNotAllowed",
        format!("The requested resource does not support http method '{method}'."),
    )
}

/// 401 for missing or wrong credentials.
pub(crate) fn unauthorized() -> Reply {
    error(
        StatusCode::UNAUTHORIZED,
        "Unauthorized",
        "Authentication failed: check the company id, public key and private key.",
    )
}

/// ConnectWise's 429 body (note `error`, not `code`), with `Retry-After` when given.
pub(crate) fn rate_limited(retry_after: Option<u32>) -> Reply {
    let secs = retry_after.unwrap_or(30);
    let reply = Reply::json(
        StatusCode::TOO_MANY_REQUESTS,
        &json!({ "error": "ConnectWiseAPI",
                 "message": format!("Too many requests. Please try again in {secs} seconds.") }),
    );
    match retry_after {
        Some(s) => reply.with_header(http::header::RETRY_AFTER, &s.to_string()),
        None => reply,
    }
}

/// The canned answer of a fault that does not involve the handler.
pub(crate) fn fault_reply(fault: &Fault) -> Option<Reply> {
    match fault {
        Fault::Status(code) => Some(status_reply(*code)),
        Fault::RateLimited { retry_after } => Some(rate_limited(*retry_after)),
        Fault::BadGatewayHtml => Some(html_error(StatusCode::BAD_GATEWAY)),
        Fault::MalformedJson => Some(Reply::new(
            StatusCode::OK,
            JSON,
            r#"[{"id": 12, "summary": "broken" "status": }"#,
        )),
        _ => None,
    }
}

/// A ConnectWise-like body for an arbitrary status.
fn status_reply(code: u16) -> Reply {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    match status.as_u16() {
        400 => error(status, "InvalidObject", "The request is invalid."),
        401 => unauthorized(),
        403 => error(
            status,
            "Security",
            "You do not have security permission to perform this action.",
        ),
        404 => error(status, "NotFound", "The record was not found."),
        409 => error(status, "Conflict", "The record is in use."),
        429 => rate_limited(Some(30)),
        502 | 504 => html_error(status),
        _ => error(
            status,
            "ConnectWiseApi",
            format!(
                "{} {}",
                status.as_u16(),
                status.canonical_reason().unwrap_or("Error")
            ),
        ),
    }
}
