//! The connector's only door to the network: a small blocking HTTP trait.
//!
//! The connector's logic is written against [`Transport`] and never knows it runs in wasm. In the
//! component the transport is `wasi:http/outgoing-handler` (see `transport_wasi.rs`); native unit
//! tests use a scripted fake. Sleeping goes through the same trait so tests need no real time.

use std::time::Duration;

/// HTTP method. Halo only needs these two: every write is a POST of a JSON array.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// A request with an absolute URL.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: Method,
    pub url: url::Url,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
    /// Give up waiting for the first byte after this long.
    pub timeout: Duration,
}

/// A response: status, lower-cased header names, the whole body.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
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

/// How a host's refusal reads in a `transport` error (see `halo::errors::is_host_denial`).
pub const HOST_DENIAL: &str = "request denied by the host";

/// Largest response body the connector reads (Halo list pages are far smaller).
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// Blocking HTTP plus a clock to sleep on.
pub trait Transport {
    fn send(&self, request: &Request) -> Result<Response, TransportError>;
    fn sleep(&self, duration: Duration);
}
