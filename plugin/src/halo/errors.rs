//! The one place where HTTP statuses and Halo error bodies become `connector-error`s.

use serde_json::Value;

use crate::http::TransportError;
use crate::types::{ConnectorError, InvalidResponse, RemoteError};

/// Longest Halo message passed on (Halo sometimes answers with whole HTML pages).
const MAX_MESSAGE_CHARS: usize = 300;

/// Halo's message from an error body, whatever its shape: a JSON string, `{"message"}`,
/// `{"Message"}`, `{"error","error_description"}`, `{"errorMessage"}`, an ASP.NET
/// `{"field":["msg"]}` dictionary, or plain text / HTML.
pub fn halo_message(body: &[u8]) -> String {
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

/// Maps a non-success status (other than 401/429, which the client handles) to an error.
pub fn status_error(status: u16, body: &[u8], endpoint: &str) -> ConnectorError {
    let message = halo_message(body);
    match status {
        403 => ConnectorError::PermissionDenied(format!(
            "Halo refused {endpoint} (403): {message}. Tick the needed permission on the API application's Permissions tab and check the agent's role"
        )),
        404 => ConnectorError::NotFound(format!("{endpoint}: {message}")),
        _ => ConnectorError::Remote(RemoteError {
            status,
            message,
            endpoint: endpoint.to_string(),
        }),
    }
}

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
            halo_message(br#""An Outcome must be entered""#),
            "An Outcome must be entered"
        );
        assert_eq!(halo_message(br#"{"message":"nope"}"#), "nope");
        assert_eq!(halo_message(br#"{"Message":"nope"}"#), "nope");
        assert_eq!(
            halo_message(br#"{"error":"invalid_client","error_description":"bad"}"#),
            "invalid_client: bad"
        );
        assert_eq!(
            halo_message(br#"{"[0].id":["must be int"]}"#),
            "[0].id: must be int"
        );
        assert_eq!(
            halo_message(b"<html><head><title>502 Bad Gateway</title></head><body>x</body></html>"),
            "HTML page: 502 Bad Gateway"
        );
        assert_eq!(halo_message(b""), "(no message)");
        assert!(halo_message(&[b'x'; 5000]).chars().count() <= MAX_MESSAGE_CHARS + 1);
    }
}
