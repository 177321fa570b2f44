//! Halo's bodies for injected faults (the rules and triggers are PSA-neutral: `crate::faults`).

use http::StatusCode;
use serde_json::json;

pub use crate::faults::{Fault, FaultRule, FaultTrigger, ParseFaultError};

use super::config::RateLimit;
use super::limiter::rate_limited_reply;
use super::reply::{Reply, JSON};
use crate::faults::html_error;

/// The canned answer of a fault that does not involve the real handler.
pub(crate) fn canned_reply(fault: &Fault) -> Option<Reply> {
    match fault {
        Fault::Status(code) => Some(status_reply(*code)),
        Fault::RateLimited { retry_after } => {
            let reply = rate_limited_reply(&RateLimit::HALO_DEFAULT);
            Some(match retry_after {
                Some(s) => reply.with_header(http::header::RETRY_AFTER, &s.to_string()),
                None => reply,
            })
        }
        Fault::BadGatewayHtml => Some(html_error(StatusCode::BAD_GATEWAY)),
        Fault::MalformedJson => Some(Reply::new(
            StatusCode::OK,
            JSON,
            r#"{"record_count": 1, "tickets": [{"id": 12, "summary": "broken" "status_id": }]"#,
        )),
        _ => None,
    }
}

/// A small Halo/IIS-like body for an arbitrary status.
fn status_reply(code: u16) -> Reply {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    match status.as_u16() {
        400 => Reply::bad_request("The request is invalid."),
        401 => Reply::unauthorized(),
        403 => Reply::json(
            status,
            &json!({ "message": "You do not have permission to access this resource" }),
        ),
        404 => Reply::not_found("Not found"),
        429 => rate_limited_reply(&RateLimit::HALO_DEFAULT),
        500 => Reply::json(status, &json!({ "Message": "An error has occurred." })),
        502 | 504 => html_error(status),
        503 => Reply::text(status, "The service is unavailable."),
        _ => Reply::text(
            status,
            format!(
                "{} {}",
                status.as_u16(),
                status.canonical_reason().unwrap_or("Error")
            ),
        ),
    }
}
