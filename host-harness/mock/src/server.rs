//! The HTTP/1.1 server every mock runs on: accept loop, one hyper connection task per socket,
//! the per-request pipeline (read body → count/log → rate limit → faults → the PSA's routes),
//! and [`MockServer`], the PSA-neutral handle (address, counters, request log, expectations,
//! fault rules) that [`MockHalo`](crate::MockHalo) and
//! [`MockConnectWise`](crate::MockConnectWise) dereference to.
//!
//! Each connection is served with `hyper::server::conn::http1` so a fault can end it without any
//! response: the service returns an error (hyper then drops the connection unanswered), and for
//! [`Fault::ConnectionReset`] the socket is closed with `SO_LINGER=0`, which sends a TCP RST.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderValue, Response, StatusCode};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

use anyhow::Context as _;
use http::{HeaderMap, Method};
use tokio::task::JoinHandle;

use crate::counters::{Counters, ReceivedRequest};
use crate::expect::{Expectations, Times};
use crate::faults::{self, Fault, FaultRule, FaultSet, HugeBody, KeyFn};
use crate::limiter::{Limiter, RateLimit};
use crate::lock;
use crate::reply::{Reply, JSON};

/// Largest request body accepted (bigger ones get 413).
const MAX_REQUEST_BODY: usize = 16 * 1024 * 1024;

/// Response body type of the server.
pub(crate) type ResBody = BoxBody<Bytes, Infallible>;

/// One PSA's side of a mock: how requests are keyed and answered, and how it words the
/// answers the pipeline makes up (rate limit, canned faults).
pub(crate) trait Psa: Send + Sync + 'static {
    /// Name in log lines, e.g. `mock_halo`.
    const LOG_NAME: &'static str;

    /// The endpoint key requests are counted under and fault rules match.
    fn endpoint_key(method: &str, path: &str) -> String;

    /// Answers a request (after counting, rate limiting and faults).
    fn dispatch(&self, req: &RawRequest) -> Reply;

    /// The answer of a fault that does not involve the handler ([`Fault::Status`],
    /// [`Fault::RateLimited`], [`Fault::BadGatewayHtml`], [`Fault::MalformedJson`]); `None` for
    /// the others.
    fn fault_reply(&self, fault: &Fault) -> Option<Reply>;

    /// The 429 answer when the configured rate limit is exceeded.
    fn rate_limited(&self, limit: &RateLimit) -> Reply;

    /// Last touch on every answer the pipeline sends (e.g. a version header).
    fn finish(&self, reply: Reply) -> Reply {
        reply
    }
}

/// A fully read request, before any PSA-specific parsing.
#[derive(Debug)]
pub(crate) struct RawRequest {
    pub method: Method,
    /// The path as sent, without the query.
    pub path: String,
    /// The raw query string without `?` (empty when none).
    pub query: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// `"<METHOD> <lowercased path, numeric and GUID segments replaced by {id}>"`, without a trailing
/// slash, e.g. `GET /api/tickets/{id}`.
pub(crate) fn endpoint_key(method: &str, path: &str) -> String {
    let path = path.split('?').next().unwrap_or_default();
    let segments: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            if is_id_segment(s) {
                "{id}".to_string()
            } else {
                s.to_ascii_lowercase()
            }
        })
        .collect();
    format!("{} /{}", method.to_ascii_uppercase(), segments.join("/"))
}

fn is_id_segment(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())) || is_guid(s)
}

fn is_guid(s: &str) -> bool {
    s.len() == 36
        && s.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// The PSA-neutral state of the pipeline, shared by the server task and the [`MockServer`].
#[derive(Debug)]
struct Pipeline {
    counters: Counters,
    /// TCP connections accepted (before any TLS handshake).
    connections_accepted: AtomicU64,
    faults: Mutex<FaultSet>,
    limiter: Option<Mutex<Limiter>>,
}

/// The PSA-neutral part of a running mock: its address, request counters and log, expectations
/// and fault rules. [`MockHalo`](crate::MockHalo) and
/// [`MockConnectWise`](crate::MockConnectWise) dereference to it, so every method here is
/// theirs. Dropping it stops the server and every open connection, then checks the
/// expectations (failing the test with a report).
#[derive(Debug)]
pub struct MockServer {
    pipeline: Arc<Pipeline>,
    addr: SocketAddr,
    /// `http` or `https`.
    scheme: &'static str,
    task: Option<JoinHandle<()>>,
    expectations: Expectations,
}

/// Declares a mock's public handle `$name` over its PSA state `$shared` (which has a
/// `config: $config` field and `fn new($config, base_url: String) -> $shared`): the struct,
/// [`Deref`](std::ops::Deref) to [`MockServer`], `start`, `start_on`, `shutdown` and `config`.
macro_rules! mock_handle {
    ($(#[$meta:meta])* $name:ident, $shared:ty, $config:ty, $what:literal) => {
        $(#[$meta])*
        ///
        /// It dereferences to [`MockServer`](crate::MockServer):
        /// [`count`](crate::MockServer::count), [`expect`](crate::MockServer::expect),
        /// [`add_fault`](crate::MockServer::add_fault),
        /// [`received`](crate::MockServer::received),
        /// [`base_url`](crate::MockServer::base_url) and the rest. Dropping it (or `shutdown`)
        /// stops the server and every open connection, and checks the expectations.
        #[derive(Debug)]
        pub struct $name {
            shared: std::sync::Arc<$shared>,
            server: crate::MockServer,
        }

        impl std::ops::Deref for $name {
            type Target = crate::MockServer;

            fn deref(&self) -> &crate::MockServer {
                &self.server
            }
        }

        impl $name {
            /// Starts a server on `127.0.0.1` with a free port.
            pub async fn start(config: $config) -> anyhow::Result<$name> {
                let loopback = std::net::SocketAddr::from((std::net::Ipv4Addr::LOCALHOST, 0));
                Self::start_on(loopback, config).await
            }

            /// Starts a server on `addr` (port 0 = a free port). Must be called inside a Tokio
            /// runtime.
            pub async fn start_on(
                addr: std::net::SocketAddr,
                config: $config,
            ) -> anyhow::Result<$name> {
                Self::start_with(addr, config, None).await
            }

            /// Starts a server on `127.0.0.1` with a free port serving HTTPS with a
            /// certificate `ca` issues for `localhost` and `127.0.0.1`;
            /// [`base_url`](crate::MockServer::base_url) is `https://127.0.0.1:PORT`. A client
            /// trusts it with [`TestCa::ca_pem`](crate::tls::TestCa::ca_pem).
            pub async fn start_tls(
                config: $config,
                ca: &crate::tls::TestCa,
            ) -> anyhow::Result<$name> {
                Self::start_tls_with(config, ca.issue_for_localhost()?).await
            }

            /// Like `start_tls`, serving `cert` (an expired, wrong-name or self-signed one,
            /// see [`crate::tls`]).
            pub async fn start_tls_with(
                config: $config,
                cert: crate::tls::ServerCert,
            ) -> anyhow::Result<$name> {
                let loopback = std::net::SocketAddr::from((std::net::Ipv4Addr::LOCALHOST, 0));
                Self::start_tls_on(loopback, config, cert).await
            }

            /// Like `start_tls_with`, on `addr` (port 0 = a free port).
            pub async fn start_tls_on(
                addr: std::net::SocketAddr,
                config: $config,
                cert: crate::tls::ServerCert,
            ) -> anyhow::Result<$name> {
                Self::start_with(addr, config, Some(cert.acceptor()?)).await
            }

            async fn start_with(
                addr: std::net::SocketAddr,
                config: $config,
                tls: Option<tokio_rustls::TlsAcceptor>,
            ) -> anyhow::Result<$name> {
                let (listener, addr) = crate::server::bind(addr, $what).await?;
                let (seed, rate_limit) = (config.seed, config.rate_limit);
                let scheme = if tls.is_some() { "https" } else { "http" };
                let shared =
                    std::sync::Arc::new(<$shared>::new(config, format!("{scheme}://{addr}")));
                let server =
                    crate::MockServer::spawn(listener, addr, shared.clone(), seed, rate_limit, tls);
                Ok($name { shared, server })
            }

            /// Stops the server and waits until its tasks (and open connections) are gone.
            pub async fn shutdown(self) {
                self.server.shutdown().await;
            }

            /// The configuration it was started with.
            pub fn config(&self) -> &$config {
                &self.shared.config
            }
        }
    };
}

/// Binds `addr` (port 0 = a free port); returns the listener and the address clients use (a
/// wildcard bind is reached through loopback).
pub(crate) async fn bind(
    addr: SocketAddr,
    what: &str,
) -> anyhow::Result<(TcpListener, SocketAddr)> {
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("{what}: cannot bind {addr}"))?;
    let mut addr = listener.local_addr()?;
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr.ip() {
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
        });
    }
    Ok((listener, addr))
}

impl MockServer {
    /// Serves `psa` on `listener` (bound to `addr`); random faults draw from `seed`.
    pub(crate) fn spawn<P: Psa>(
        listener: TcpListener,
        addr: SocketAddr,
        psa: Arc<P>,
        seed: u64,
        rate_limit: Option<RateLimit>,
        tls: Option<tokio_rustls::TlsAcceptor>,
    ) -> MockServer {
        let scheme = if tls.is_some() { "https" } else { "http" };
        let pipeline = Arc::new(Pipeline {
            counters: Counters::default(),
            connections_accepted: AtomicU64::new(0),
            faults: Mutex::new(FaultSet::new(seed, P::endpoint_key as KeyFn)),
            limiter: rate_limit.map(|l| Mutex::new(Limiter::new(l))),
        });
        let task = tokio::spawn(serve(listener, pipeline.clone(), psa, tls));
        MockServer {
            pipeline,
            addr,
            scheme,
            task: Some(task),
            expectations: Expectations::default(),
        }
    }

    /// `http://127.0.0.1:PORT`, or `https://...` for a mock started with TLS (no trailing
    /// slash).
    pub fn base_url(&self) -> String {
        format!("{}://{}", self.scheme, self.addr)
    }

    /// TCP connections accepted since start (each counted before any TLS handshake, so a
    /// client that rejects the certificate still counts): with a keep-alive client, fewer
    /// than the requests.
    pub fn connections_accepted(&self) -> u64 {
        self.pipeline.connections_accepted.load(Ordering::Relaxed)
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Requests seen under an endpoint key: `"<METHOD> <lowercased path with numeric (and GUID)
    /// segments replaced by {id}>"`. Halo: e.g. `"POST /auth/token"`, `"GET /api/client"`,
    /// `"GET /api/tickets/{id}"`, `"POST /api/actions"`. ConnectWise (without the
    /// `/{codebase}apis/3.0` prefix): e.g. `"GET /company/companies"`,
    /// `"POST /service/tickets"`, `"PATCH /service/tickets/{id}"`,
    /// `"GET /login/companyinfo/{id}"`. Every request counts, including rejected and faulted
    /// ones.
    pub fn count(&self, key: &str) -> u64 {
        self.pipeline.counters.count(key)
    }

    /// All counts by endpoint key.
    pub fn counts(&self) -> BTreeMap<String, u64> {
        self.pipeline.counters.counts()
    }

    /// Requests seen in total (since start or [`MockServer::reset_counts`]).
    pub fn total_requests(&self) -> u64 {
        self.pipeline.counters.total()
    }

    /// Zeroes all counts and forgets the arrival instants behind
    /// [`MockServer::peak_requests_in_window`] (the [`MockServer::received`] log is kept).
    pub fn reset_counts(&self) {
        self.pipeline.counters.reset();
    }

    /// The most requests that arrived within any rolling `window` since start or
    /// [`MockServer::reset_counts`] (over the last 100 000 arrivals): the mock's own measure of
    /// a client's rate, to compare with a budget such as Halo's 300 per rolling 5 minutes.
    /// Every request counts, including rejected and faulted ones, as in
    /// [`MockServer::count`]. The window is the one [`RateLimit`] enforces: a request at `t`
    /// and one at `t + window` are not in the same window (a zero `window` holds none).
    pub fn peak_requests_in_window(&self, window: Duration) -> u64 {
        crate::counters::peak_in_window(&self.pipeline.counters.arrivals(), window)
    }

    /// How many arrival instants [`MockServer::peak_requests_in_window`] scans: every request
    /// since start or [`MockServer::reset_counts`], up to the last 100 000.
    pub fn arrivals(&self) -> usize {
        self.pipeline.counters.arrival_count()
    }

    /// Every request received, oldest first (the last 100 000).
    pub fn received(&self) -> Vec<ReceivedRequest> {
        self.pipeline.counters.received()
    }

    /// Empties the [`MockServer::received`] log.
    pub fn clear_received(&self) {
        self.pipeline.counters.clear_received();
    }

    // ---- expectations -----------------------------------------------------------------

    /// Expects `times` requests under the endpoint key `key` (as in [`MockServer::count`]) from
    /// now on: a number (`1`), or a range (`1..=3`, `2..`). Checked by [`MockServer::verify`]
    /// and when the mock is dropped, which then fails the test with every unmet expectation.
    pub fn expect(&self, key: &str, times: impl Into<Times>) {
        self.expectations.add(key, times.into(), self.count(key));
    }

    /// Checks the expectations now: `Err` lists each unmet one (expected vs received).
    pub fn verify(&self) -> Result<(), String> {
        self.expectations.check(|key| self.count(key))
    }

    /// Forgets every expectation (a test that checked them itself).
    pub fn clear_expectations(&self) {
        self.expectations.clear();
    }

    // ---- fault injection -----------------------------------------------------------------

    /// Adds a fault rule (rules are checked in the order added; see [`FaultRule`]).
    pub fn add_fault(&self, rule: FaultRule) {
        lock(&self.pipeline.faults).add(rule);
    }

    /// Removes every fault rule (the count of [`MockServer::faults_fired`] is kept).
    pub fn clear_faults(&self) {
        lock(&self.pipeline.faults).clear();
    }

    /// Faults actually injected since start (by every rule, including cleared ones): a test
    /// proves with it that the fault it set up really hit a request.
    pub fn faults_fired(&self) -> u64 {
        lock(&self.pipeline.faults).fired_total()
    }

    /// The active fault rules, in the order added, each with the number of faults it injected
    /// (a request hit by several rules gets the first one's fault, counted for that rule only).
    pub fn faults_fired_by_rule(&self) -> Vec<(FaultRule, u64)> {
        lock(&self.pipeline.faults).fired_by_rule()
    }

    /// Stops the server and waits until its tasks (and open connections) are gone.
    pub async fn shutdown(mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
        // A test that is already failing keeps its own message.
        if !std::thread::panicking() {
            if let Err(report) = self.verify() {
                panic!("{report}");
            }
        }
    }
}

/// Marker error: end the connection without answering.
#[derive(Debug)]
struct DropConnection;

impl std::fmt::Display for DropConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by fault injection")
    }
}

impl std::error::Error for DropConnection {}

/// Accepts connections until the task is aborted; connection tasks live in a `JoinSet`, so
/// aborting this task aborts them all.
async fn serve<P: Psa>(
    listener: TcpListener,
    pipeline: Arc<Pipeline>,
    psa: Arc<P>,
    tls: Option<tokio_rustls::TlsAcceptor>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    pipeline.connections_accepted.fetch_add(1, Ordering::Relaxed);
                    connections.spawn(serve_connection(stream, pipeline.clone(), psa.clone(), tls.clone()));
                }
                Err(e) => {
                    tracing::warn!("{}: accept failed: {e}", P::LOG_NAME);
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

async fn serve_connection<P: Psa>(
    stream: TcpStream,
    pipeline: Arc<Pipeline>,
    psa: Arc<P>,
    tls: Option<tokio_rustls::TlsAcceptor>,
) {
    let reset = Arc::new(AtomicBool::new(false));
    let conn = ConnIo {
        stream,
        reset: reset.clone(),
    };
    let service = service_fn(move |req| handle(pipeline.clone(), psa.clone(), reset.clone(), req));
    let http = hyper::server::conn::http1::Builder::new();
    let result = match tls {
        None => http.serve_connection(TokioIo::new(conn), service).await,
        Some(acceptor) => match acceptor.accept(conn).await {
            Ok(tls) => http.serve_connection(TokioIo::new(tls), service).await,
            Err(e) => {
                tracing::debug!("{}: TLS handshake failed: {e}", P::LOG_NAME);
                return;
            }
        },
    };
    if let Err(e) = result {
        tracing::debug!("{}: connection ended: {e}", P::LOG_NAME);
    }
}

async fn handle<P: Psa>(
    pipeline: Arc<Pipeline>,
    psa: Arc<P>,
    reset: Arc<AtomicBool>,
    req: http::Request<Incoming>,
) -> Result<Response<ResBody>, DropConnection> {
    let (parts, body) = req.into_parts();
    let body = match Limited::new(body, MAX_REQUEST_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e)
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            return Ok(to_response(psa.finish(Reply::text(
                StatusCode::PAYLOAD_TOO_LARGE,
                "Request Entity Too Large",
            ))))
        }
        Err(_) => return Err(DropConnection),
    };
    let request = RawRequest {
        method: parts.method,
        path: parts.uri.path().to_string(),
        query: parts.uri.query().unwrap_or_default().to_string(),
        headers: parts.headers,
        body,
    };
    let key = P::endpoint_key(request.method.as_str(), &request.path);
    pipeline.counters.record(&key, received(&request));
    let reply = |r: Reply| Ok(to_response(psa.finish(r)));

    if let Some(limiter) = &pipeline.limiter {
        let mut limiter = lock(limiter);
        if !limiter.admit(Instant::now()) {
            let refused = psa.rate_limited(limiter.limit());
            drop(limiter);
            return reply(refused);
        }
    }

    let fault = lock(&pipeline.faults).pick(&key);
    let Some(fault) = fault else {
        return reply(psa.dispatch(&request));
    };
    tracing::debug!("{}: injecting {fault:?} into {key}", P::LOG_NAME);
    if let Some(canned) = psa.fault_reply(&fault) {
        return reply(canned);
    }
    match fault {
        Fault::HugeBody { bytes } => {
            let mut response = Response::new(HugeBody::new(bytes).boxed());
            let headers = response.headers_mut();
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(JSON));
            // The PSA's own headers (e.g. a version header), as on every other answer.
            for (name, value) in psa
                .finish(Reply::new(StatusCode::OK, JSON, Bytes::new()))
                .headers
            {
                headers.append(name, value);
            }
            Ok(response)
        }
        Fault::SlowFirstByte { delay } => {
            tokio::time::sleep(delay).await;
            reply(psa.dispatch(&request))
        }
        Fault::ConnectionReset => {
            reset.store(true, Ordering::SeqCst);
            Err(DropConnection)
        }
        Fault::ProcessThenDrop => {
            let _ = psa.dispatch(&request);
            Err(DropConnection)
        }
        other => reply(faults::mangle(&other, psa.dispatch(&request))),
    }
}

fn received(req: &RawRequest) -> ReceivedRequest {
    ReceivedRequest {
        method: req.method.to_string(),
        path: req.path.clone(),
        query: req.query.clone(),
        headers: req
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: String::from_utf8_lossy(&req.body).into_owned(),
    }
}

/// Turns a buffered [`Reply`] into a response (hyper adds `Content-Length` and `Date`).
fn to_response(reply: Reply) -> Response<ResBody> {
    let mut response = Response::new(Full::new(reply.body).boxed());
    *response.status_mut() = reply.status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(reply.content_type));
    for (name, value) in reply.headers {
        headers.append(name, value);
    }
    response
}

/// A TCP stream that is reset (RST instead of FIN) on drop when its flag is set.
struct ConnIo {
    stream: TcpStream,
    reset: Arc<AtomicBool>,
}

impl Drop for ConnIo {
    fn drop(&mut self) {
        if self.reset.load(Ordering::SeqCst) {
            let _ = self.stream.set_zero_linger();
        }
    }
}

impl AsyncRead for ConnIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for ConnIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_keys() {
        assert_eq!(endpoint_key("post", "/auth/token"), "POST /auth/token");
        assert_eq!(
            endpoint_key("GET", "/api/Tickets/123/"),
            "GET /api/tickets/{id}"
        );
        assert_eq!(endpoint_key("GET", "/API/Agent/me"), "GET /api/agent/me");
        assert_eq!(
            endpoint_key("GET", "/api/Priority/5c1e0001-0001-4a7b-9c2d-0000000003e9"),
            "GET /api/priority/{id}"
        );
        assert_eq!(endpoint_key("GET", "/"), "GET /");
    }
}
