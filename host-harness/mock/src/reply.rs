//! A buffered HTTP answer (`Reply`), shared by every mock; each PSA adds its own error bodies
//! (`halo::reply`, `connectwise::reply`).
//!
//! Handlers return `Result<Reply, Reply>`: the error side is an already rendered PSA-style
//! error, so `?` works on every validation step. Faults may rewrite a `Reply` before it is sent.

use bytes::Bytes;
use http::{HeaderName, HeaderValue, StatusCode};
use serde_json::Value;

/// Result type of every handler: both sides are ready to send.
pub(crate) type HandlerResult = Result<Reply, Reply>;

/// A fully buffered response.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub status: StatusCode,
    pub content_type: &'static str,
    pub body: Bytes,
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

pub(crate) const JSON: &str = "application/json; charset=utf-8";
pub(crate) const TEXT: &str = "text/plain; charset=utf-8";
pub(crate) const HTML: &str = "text/html; charset=utf-8";

impl Reply {
    /// A response with the given parts and no extra headers.
    pub fn new(status: StatusCode, content_type: &'static str, body: impl Into<Bytes>) -> Reply {
        Reply {
            status,
            content_type,
            body: body.into(),
            headers: Vec::new(),
        }
    }

    /// A JSON response.
    pub fn json(status: StatusCode, value: &Value) -> Reply {
        // Serialising a `Value` cannot fail.
        let body = serde_json::to_vec(value).unwrap_or_default();
        Reply::new(status, JSON, body)
    }

    /// 200 with a JSON body.
    pub fn ok(value: &Value) -> Reply {
        Reply::json(StatusCode::OK, value)
    }

    /// A text/plain response.
    pub fn text(status: StatusCode, text: impl Into<String>) -> Reply {
        Reply::new(status, TEXT, text.into())
    }

    /// Adds a header (ignored when the value is not a valid header value).
    pub fn with_header(mut self, name: HeaderName, value: &str) -> Reply {
        if let Ok(v) = HeaderValue::from_str(value) {
            self.headers.push((name, v));
        }
        self
    }
}
