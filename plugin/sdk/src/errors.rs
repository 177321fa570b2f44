//! PSA-independent error handling: the message of any error body, transport failures, invalid
//! responses, and one-line renderings. (Each PSA maps statuses to errors with its own hints:
//! [`crate::client::ErrorMap`].)
//!
//! ```
//! use psa_connector_sdk::errors::error_message;
//!
//! let not_found = br#"{"code":"NotFound","message":"Ticket 9 not found"}"#;
//! assert_eq!(error_message(not_found), "Ticket 9 not found");
//! let gateway = b"<html><title>502 Bad Gateway</title></html>";
//! assert_eq!(error_message(gateway), "HTML page: 502 Bad Gateway");
//! ```

use serde_json::Value;

use crate::http::TransportError;
use crate::types::{ConnectorError, InvalidResponse};

/// Longest PSA message passed on (PSAs sometimes answer with whole HTML pages).
pub const MAX_MESSAGE_CHARS: usize = 300;

/// The PSA's message from an error body, whatever its shape: a JSON string, `{"message"}`,
/// `{"Message"}`, `{"error","error_description"}`, `{"errorMessage"}`, an ASP.NET
/// `{"field":["msg"]}` dictionary, or plain text / HTML; bounded and on one line.
pub fn error_message(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let message = match serde_json::from_slice::<Value>(body) {
        Ok(Value::String(s)) => s,
        Ok(Value::Object(map)) => {
            let pick = |key: &str| {
                map.iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(key))
                    .and_then(|(_, v)| v.as_str())
                    .map(str::to_string)
            };
            if let Some(m) = pick("message").or_else(|| pick("errorMessage")) {
                m
            } else if let Some(e) = pick("error") {
                match pick("error_description") {
                    Some(d) => format!("{e}: {d}"),
                    None => e,
                }
            } else {
                // ASP.NET validation dictionary: {"field": ["problem", ...]}
                map.iter()
                    .filter_map(|(field, v)| {
                        let msgs: Vec<&str> =
                            v.as_array()?.iter().filter_map(Value::as_str).collect();
                        (!msgs.is_empty()).then(|| format!("{field}: {}", msgs.join("; ")))
                    })
                    .collect::<Vec<_>>()
                    .join("; ")
            }
        }
        _ => strip_markup(&text),
    };
    let message = message.split_whitespace().collect::<Vec<_>>().join(" ");
    if message.chars().count() > MAX_MESSAGE_CHARS {
        let cut: String = message.chars().take(MAX_MESSAGE_CHARS).collect();
        format!("{cut}…")
    } else if message.is_empty() {
        "(no message)".into()
    } else {
        message
    }
}

/// Text content of an HTML page (title first), or the text itself.
fn strip_markup(text: &str) -> String {
    if !text.trim_start().starts_with('<') {
        return text.to_string();
    }
    let lower = text.to_ascii_lowercase();
    if let (Some(start), Some(end)) = (lower.find("<title>"), lower.find("</title>")) {
        if start < end {
            return format!("HTML page: {}", text[start + 7..end].trim());
        }
    }
    let mut out = String::new();
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    format!("HTML page: {}", out.trim())
}

/// `invalid-response` naming the endpoint (e.g. `GET /api/Tickets`).
pub fn invalid_response(endpoint: &str, message: impl Into<String>) -> ConnectorError {
    ConnectorError::InvalidResponse(InvalidResponse {
        endpoint: endpoint.to_string(),
        message: message.into(),
    })
}

/// Whether a `transport` error is the host refusing the request (its egress policy): nothing
/// reached the network, so nothing is worth retrying or looking up.
pub fn is_host_denial(error: &ConnectorError) -> bool {
    matches!(error, ConnectorError::Transport(m) if m.contains(crate::http::HOST_DENIAL))
}

/// A transport failure as a `connector-error` naming the endpoint (a body over the size limit is
/// an invalid response).
pub fn transport_error(endpoint: &str, error: &TransportError) -> ConnectorError {
    match error {
        TransportError::TooLarge(limit) => {
            invalid_response(endpoint, format!("response larger than {limit} bytes"))
        }
        other => ConnectorError::Transport(format!("{endpoint}: {other}")),
    }
}

/// A one-line rendering of an error, for report hints and error messages.
pub fn short(error: &ConnectorError) -> String {
    match error {
        ConnectorError::PermissionDenied(m)
        | ConnectorError::AuthFailed(m)
        | ConnectorError::NotFound(m)
        | ConnectorError::Transport(m)
        | ConnectorError::Unsupported(m)
        | ConnectorError::InvalidInput(m)
        | ConnectorError::UnmappedTenant(m) => m.clone(),
        ConnectorError::RateLimited(s) => format!("rate limited, retry after {s} s"),
        ConnectorError::Remote(r) => format!("{} answered {}: {}", r.endpoint, r.status, r.message),
        ConnectorError::InvalidResponse(r) => format!("{}: {}", r.endpoint, r.message),
        ConnectorError::InvalidSettings(p) => p.message.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_error_shape() {
        assert_eq!(
            error_message(br#""An Outcome must be entered""#),
            "An Outcome must be entered"
        );
        assert_eq!(error_message(br#"{"message":"nope"}"#), "nope");
        assert_eq!(error_message(br#"{"Message":"nope"}"#), "nope");
        assert_eq!(
            error_message(br#"{"error":"invalid_client","error_description":"bad"}"#),
            "invalid_client: bad"
        );
        assert_eq!(
            error_message(br#"{"[0].id":["must be int"]}"#),
            "[0].id: must be int"
        );
        assert_eq!(
            error_message(
                b"<html><head><title>502 Bad Gateway</title></head><body>x</body></html>"
            ),
            "HTML page: 502 Bad Gateway"
        );
        assert_eq!(error_message(b""), "(no message)");
        assert!(error_message(&[b'x'; 5000]).chars().count() <= MAX_MESSAGE_CHARS + 1);
    }
}
