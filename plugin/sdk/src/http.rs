//! A connector's only door to the network: a small blocking HTTP trait.
//!
//! A connector's logic is written against [`Transport`] and never knows it runs in wasm. In the
//! component the transport is `wasi:http/outgoing-handler` ([`crate::wasi_transport`]); native
//! unit tests use a scripted fake (`psa_connector_sdk::testing`). Sleeping goes through the same
//! trait so tests need no real time.
//!
//! ```
//! use psa_connector_sdk::http::{Method, Response};
//!
//! let response = Response {
//!     status: 429,
//!     headers: vec![("retry-after".into(), "7".into())],
//!     body: vec![],
//! };
//! assert_eq!(response.header("retry-after"), Some("7"));
//! assert_eq!(Method::Patch.as_str(), "PATCH");
//! ```

use std::time::Duration;

/// HTTP method (Halo writes with POST only; ConnectWise updates with PATCH).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `GET`: a read, safe to re-send.
    Get,
    /// `POST`.
    Post,
    /// `PATCH`.
    Patch,
}

impl Method {
    /// The method's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Patch => "PATCH",
        }
    }
}

/// A request with an absolute URL.
#[derive(Debug, Clone)]
pub struct Request {
    /// The method.
    pub method: Method,
    /// The absolute URL, query included.
    pub url: url::Url,
    /// Header names and values (`content-length` is set by the transport).
    pub headers: Vec<(String, String)>,
    /// The body, if any.
    pub body: Option<Vec<u8>>,
    /// Give up waiting for the first byte after this long.
    pub timeout: Duration,
}

/// A response: status, lower-cased header names, the whole body.
#[derive(Debug, Clone)]
pub struct Response {
    /// The HTTP status.
    pub status: u16,
    /// Header names (lower case) and values.
    pub headers: Vec<(String, String)>,
    /// The whole body.
    pub body: Vec<u8>,
}

impl Response {
    /// First value of a header, by lower-case name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Why a request got no complete response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportError {
    /// The host refused the request (its egress allow-list).
    Denied(String),
    /// No answer in time.
    Timeout(String),
    /// The body was larger than the connector accepts.
    TooLarge(usize),
    /// Connection refused, reset, DNS failure, protocol error, truncated body...
    Failed(String),
}

impl std::fmt::Display for TransportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TransportError::Denied(m) => write!(f, "{HOST_DENIAL}: {m}"),
            TransportError::Timeout(m) => write!(f, "timed out: {m}"),
            TransportError::TooLarge(n) => write!(f, "response larger than {n} bytes"),
            TransportError::Failed(m) => write!(f, "{m}"),
        }
    }
}

/// How a host's refusal reads in a `transport` error (see [`crate::errors::is_host_denial`]).
pub const HOST_DENIAL: &str = "request denied by the host";

/// Largest response body the connector reads (PSA list pages are far smaller).
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// Blocking HTTP plus a clock to sleep on.
pub trait Transport {
    /// Sends one request and reads the whole response.
    fn send(&self, request: &Request) -> Result<Response, TransportError>;
    /// Waits (between retries).
    fn sleep(&self, duration: Duration);
}
