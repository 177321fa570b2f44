//! The pooled keep-alive HTTP(S) client every session of one [`ConnectorHost`] shares.
//!
//! hyper-util's pooled client (`hyper_util::client::legacy::Client`) over a rustls connector
//! (`hyper-rustls`, the `ring` provider), HTTP/1.1 with keep-alive: a request to a PSA instance
//! (`scheme://host:port`) reuses an idle connection to it when one is there, so a TLS handshake
//! is paid once per connection instead of once per request.
//!
//! **Bounds.** At most [`HostConfig::max_idle_connections_per_instance`] idle connections are
//! kept per PSA instance, each for at most [`HostConfig::idle_connection_timeout`]. The number
//! of connections *in use* at once is not capped here: it is bounded by the requests in flight,
//! that is by the sessions calling at once and by the instance's rate budget
//! ([`HostConfig::rate_budget`]); one connection serves one request at a time (HTTP/1.1).
//!
//! **Trust.** The host trusts the Mozilla root program as shipped by `webpki-roots` (compiled
//! in: the same set on every machine, no dependency on the system's store) plus the CAs of
//! [`HostConfig::extra_ca_pem`] (a self-hosted HaloPSA or an on-premise ConnectWise behind an
//! internal CA). A bad PEM there fails [`ConnectorHost::new`] with
//! [`HostError::InvalidCaCertificate`].
//!
//! **Connection counts** ([`RequestStats`]'s `connections_*`) are per host (every session of it):
//! connections opened (TCP connected and, over `https`, TLS handshake done), connections that
//! failed to open (refused, DNS, timeout, certificate...), and requests answered on a
//! connection an earlier request had already used (reused). Each connection is tagged through
//! hyper-util's `Connected::extra`, and the tag comes back in the response's extensions.
//!
//! **Certificate errors** become a message naming the PSA instance, the reason and the remedy
//! ([`describe_tls_error`]), carried to the guest as `ErrorCode::InternalError(Some(..))` (the
//! only code whose text a guest sees; the SDK renders it as the connector's `transport` error).
//!
//! [`ConnectorHost`]: crate::ConnectorHost
//! [`ConnectorHost::new`]: crate::ConnectorHost::new
//! [`HostError::InvalidCaCertificate`]: crate::HostError::InvalidCaCertificate
//! [`HostConfig::max_idle_connections_per_instance`]: crate::HostConfig::max_idle_connections_per_instance
//! [`HostConfig::idle_connection_timeout`]: crate::HostConfig::idle_connection_timeout
//! [`HostConfig::rate_budget`]: crate::HostConfig::rate_budget
//! [`HostConfig::extra_ca_pem`]: crate::HostConfig::extra_ca_pem
//! [`RequestStats`]: crate::RequestStats

use std::error::Error as StdError;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::Uri;
use http_body::Frame;
use hyper::rt::{Read, ReadBufCursor, Write};
use hyper_rustls::{HttpsConnector, MaybeHttpsStream};
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody};

use crate::config::HostConfig;
use crate::error::HostError;

type BoxError = Box<dyn StdError + Send + Sync>;
type Inner = HttpsConnector<HttpConnector>;

/// Where the remedy for an untrusted certificate is, in every certificate error's text.
pub const CA_REMEDY: &str =
    "add the issuing CA to HostConfig::extra_ca_pem (psa-harness: --ca-file FILE)";

/// Connection counts of one host: see the [module docs](self).
#[derive(Debug, Default)]
pub(crate) struct ConnectionCounters {
    pub(crate) opened: AtomicU64,
    pub(crate) reused: AtomicU64,
    pub(crate) failed: AtomicU64,
}

/// The shared client of one host.
pub(crate) struct HttpClient {
    client: Client<CountingConnector, WasiBody>,
    pub(crate) counters: Arc<ConnectionCounters>,
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClient")
            .field("counters", &self.counters)
            .finish_non_exhaustive()
    }
}

/// The roots a host trusts: webpki-roots plus `extra_ca_pem`, each entry PEM text holding
/// one or more certificates.
pub(crate) fn root_store(extra_ca_pem: &[String]) -> Result<rustls::RootCertStore, HostError> {
    let mut roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    for (index, pem) in extra_ca_pem.iter().enumerate() {
        let invalid = |message: String| HostError::InvalidCaCertificate { index, message };
        let mut found = 0;
        for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
            let cert = cert.map_err(|e| invalid(format!("not valid PEM: {e}")))?;
            roots
                .add(cert)
                .map_err(|e| invalid(format!("not a usable CA certificate: {e}")))?;
            found += 1;
        }
        if found == 0 {
            return Err(invalid(
                "no certificate in it (expected one or more `-----BEGIN CERTIFICATE-----` blocks)"
                    .to_string(),
            ));
        }
    }
    Ok(roots)
}

impl HttpClient {
    /// The client of a host with `config` (its trust store and pool bounds).
    pub(crate) fn new(config: &HostConfig) -> Result<Self, HostError> {
        let roots = root_store(&config.extra_ca_pem)?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| HostError::Engine(format!("TLS set-up: {e}")))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let counters = Arc::new(ConnectionCounters::default());
        let connector = CountingConnector {
            inner: https,
            counters: counters.clone(),
            default_connect_timeout: config.request_timeout,
        };
        let client = Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .timer(TokioTimer::new())
            .pool_max_idle_per_host(config.max_idle_connections_per_instance)
            .pool_idle_timeout(config.idle_connection_timeout)
            .build(connector);
        Ok(Self { client, counters })
    }

    /// Sends `request` on a pooled connection (opening one if none is idle), with the
    /// timeouts of `options` (already clamped by the caller; `None` is 600 s, as in
    /// `wasmtime_wasi_http::default_send_request`):
    ///
    /// - connect (TCP and TLS handshake of a new connection): `connect_timeout`,
    ///   `ErrorCode::ConnectionTimeout`;
    /// - the response head: `first_byte_timeout` once the connection is there (from the start
    ///   on a reused connection, from the end of the handshake on a new one),
    ///   `ErrorCode::ConnectionReadTimeout`;
    /// - between two frames of the body: `between_bytes_timeout`,
    ///   `ErrorCode::ConnectionReadTimeout`.
    ///
    /// `origin` (`scheme://host:port`) only words the errors.
    pub(crate) async fn send(
        &self,
        mut request: http::Request<WasiBody>,
        options: RequestOptions,
        origin: &str,
    ) -> Result<http::Response<WasiBody>, Error> {
        let default = Duration::from_secs(600);
        let connect_timeout = options.connect_timeout.unwrap_or(default);
        let first_byte_timeout = options.first_byte_timeout.unwrap_or(default);
        let between_bytes_timeout = options
            .between_bytes_timeout
            .unwrap_or(default)
            .max(Duration::from_nanos(1));
        if request.uri().authority().is_none() {
            return Err(Error::HttpRequestUriInvalid);
        }
        // The pool sets `Host` from the URI; the guest's forbidden-header rules already ran.
        request.headers_mut().remove(http::header::HOST);
        let timing = Arc::new(Timing {
            connect_timeout,
            phase: std::sync::Mutex::new(Phase::Waiting),
        });
        let response = CONNECTING.scope(timing.clone(), self.client.request(request));
        let mut response = std::pin::pin!(response);
        let mut deadline = tokio::time::Instant::now() + first_byte_timeout;
        let response = loop {
            match tokio::time::timeout_at(deadline, response.as_mut()).await {
                Ok(result) => break result,
                // The first-byte clock starts once the connection is there.
                Err(_elapsed) => match timing.phase() {
                    Phase::Connected(at) if at + first_byte_timeout > deadline => {
                        deadline = at + first_byte_timeout;
                    }
                    // The connector's own timeout ends this; look again then.
                    Phase::Connecting(since) => {
                        deadline =
                            (since + connect_timeout).max(deadline) + Duration::from_millis(10);
                    }
                    _ => return Err(Error::ConnectionReadTimeout),
                },
            }
        };
        let response = match response {
            Err(err) => {
                if err.is_connect() {
                    self.counters.failed.fetch_add(1, Ordering::Relaxed);
                }
                return Err(map_client_error(&err, origin));
            }
            Ok(response) => response,
        };
        if let Some(tag) = response.extensions().get::<ConnectionTag>() {
            if tag.0.swap(true, Ordering::Relaxed) {
                self.counters.reused.fetch_add(1, Ordering::Relaxed);
            }
        }
        let mut timeout = tokio::time::interval(between_bytes_timeout);
        timeout.reset();
        Ok(response.map(|incoming| {
            use http_body_util::BodyExt;
            IncomingBody { incoming, timeout }.boxed_unsync()
        }))
    }
}

tokio::task_local! {
    /// The request being sent: its connect timeout, and where its connection stands. Read by
    /// [`CountingConnector::call`], which the pool calls while polling that request's future.
    static CONNECTING: Arc<Timing>;
}

/// What [`CONNECTING`] holds.
struct Timing {
    connect_timeout: Duration,
    phase: std::sync::Mutex<Phase>,
}

#[derive(Clone, Copy)]
enum Phase {
    /// No new connection started for the request (an idle one may serve it).
    Waiting,
    /// A new connection is being opened since then.
    Connecting(tokio::time::Instant),
    /// The new connection was there at that instant.
    Connected(tokio::time::Instant),
}

impl Timing {
    fn phase(&self) -> Phase {
        *self.phase.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn set(&self, phase: Phase) {
        *self.phase.lock().unwrap_or_else(|e| e.into_inner()) = phase;
    }
}

/// Marks a connection as used once: the second response on it counts as reused.
#[derive(Clone, Debug)]
struct ConnectionTag(Arc<AtomicBool>);

/// Opening a connection took longer than its connect timeout.
#[derive(Debug, thiserror::Error)]
#[error("connect timed out after {0:?}")]
struct ConnectTimedOut(Duration);

/// The rustls connector, counting the connections it opens and fails to open, with a connect
/// timeout covering TCP and the TLS handshake.
#[derive(Clone)]
struct CountingConnector {
    inner: Inner,
    counters: Arc<ConnectionCounters>,
    default_connect_timeout: Duration,
}

impl tower_service::Service<Uri> for CountingConnector {
    type Response = TaggedStream;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<TaggedStream, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, dst: Uri) -> Self::Future {
        let timing = CONNECTING.try_with(Arc::clone).ok();
        if let Some(timing) = &timing {
            timing.set(Phase::Connecting(tokio::time::Instant::now()));
        }
        let timeout = timing
            .as_ref()
            .map_or(self.default_connect_timeout, |t| t.connect_timeout);
        let connecting = self.inner.call(dst);
        let counters = self.counters.clone();
        Box::pin(async move {
            let stream = match tokio::time::timeout(timeout, connecting).await {
                Ok(Ok(stream)) => stream,
                Ok(Err(err)) => return Err(err),
                Err(_) => return Err(Box::new(ConnectTimedOut(timeout)) as BoxError),
            };
            if let Some(timing) = &timing {
                timing.set(Phase::Connected(tokio::time::Instant::now()));
            }
            counters.opened.fetch_add(1, Ordering::Relaxed);
            Ok(TaggedStream {
                inner: stream,
                tag: ConnectionTag(Arc::new(AtomicBool::new(false))),
            })
        })
    }
}

/// A connection with its [`ConnectionTag`].
struct TaggedStream {
    inner: MaybeHttpsStream<TokioIo<tokio::net::TcpStream>>,
    tag: ConnectionTag,
}

impl Connection for TaggedStream {
    fn connected(&self) -> Connected {
        self.inner.connected().extra(self.tag.clone())
    }
}

impl Read for TaggedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl Write for TaggedStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }
}

/// A response body with the between-bytes timeout of `default_send_request`.
struct IncomingBody {
    incoming: hyper::body::Incoming,
    timeout: tokio::time::Interval,
}

impl http_body::Body for IncomingBody {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        match Pin::new(&mut self.incoming).poll_frame(cx) {
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Ready(Some(Err(err))) => Poll::Ready(Some(Err(if err.is_timeout() {
                Error::HttpResponseTimeout
            } else {
                Error::from(err)
            }))),
            Poll::Ready(Some(Ok(frame))) => {
                self.timeout.reset();
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Pending => {
                ready!(self.timeout.poll_tick(cx));
                Poll::Ready(Some(Err(Error::ConnectionReadTimeout)))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.incoming.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.incoming.size_hint()
    }
}

/// The first error of type `T` in `err`'s chain, looking inside `std::io::Error`s too (whose
/// `source()` skips the error they wrap).
fn find<'a, T: StdError + 'static>(err: &'a (dyn StdError + 'static)) -> Option<&'a T> {
    let mut next = Some(err);
    while let Some(err) = next {
        if let Some(found) = err.downcast_ref::<T>() {
            return Some(found);
        }
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            if let Some(found) = io.get_ref().and_then(|inner| find::<T>(inner)) {
                return Some(found);
            }
        }
        next = err.source();
    }
    None
}

/// Whether `err`'s chain has an error whose text starts with `prefix`.
fn chain_mentions(err: &(dyn StdError + 'static), prefix: &str) -> bool {
    let mut next = Some(err);
    while let Some(err) = next {
        if err.to_string().starts_with(prefix) {
            return true;
        }
        next = err.source();
    }
    false
}

/// The `wasi:http` error of a failed request, as `default_send_request` would give it; a TLS
/// certificate problem as a message for the admin (see [`describe_tls_error`]).
fn map_client_error(err: &hyper_util::client::legacy::Error, origin: &str) -> Error {
    let chain: &(dyn StdError + 'static) = err;
    if let Some(tls) = find::<rustls::Error>(chain) {
        let message = describe_tls_error(tls, origin);
        tracing::warn!(%origin, error = %message, "TLS connection to the PSA failed");
        return match tls {
            rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented => {
                Error::InternalError(Some(message))
            }
            rustls::Error::AlertReceived(alert) => Error::TlsAlertReceived {
                alert_id: Some(u8::from(*alert)),
                alert_message: Some(message),
            },
            _ => Error::InternalError(Some(message)),
        };
    }
    if find::<ConnectTimedOut>(chain).is_some() {
        return Error::ConnectionTimeout;
    }
    if err.is_connect() {
        if chain_mentions(chain, "dns error") {
            return Error::DnsError {
                rcode: Some("address not available".to_string()),
                info_code: None,
            };
        }
        if let Some(io) = find::<std::io::Error>(chain) {
            return match io.kind() {
                std::io::ErrorKind::ConnectionRefused => Error::ConnectionRefused,
                std::io::ErrorKind::TimedOut => Error::ConnectionTimeout,
                kind => Error::Connect(std::io::Error::new(kind, io.to_string())),
            };
        }
        if let Some(dns) = find::<rustls::pki_types::InvalidDnsNameError>(chain) {
            return Error::DnsError {
                rcode: Some(format!("invalid dns name: {dns}")),
                info_code: None,
            };
        }
        return Error::ConnectionRefused;
    }
    // The guest's own request body failed (for example a wrong content-length).
    if let Some(body) = find::<Error>(chain) {
        return match body {
            Error::HttpRequestBodySize(size) => Error::HttpRequestBodySize(*size),
            other => Error::InternalError(Some(other.to_string())),
        };
    }
    if let Some(hyper) = find::<hyper::Error>(chain) {
        if hyper.is_timeout() {
            return Error::HttpResponseTimeout;
        }
        if hyper.is_incomplete_message() || hyper.is_closed() {
            return Error::HttpResponseIncomplete;
        }
        tracing::warn!(%origin, error = %hyper, "HTTP protocol error");
        return Error::HttpProtocolError;
    }
    Error::InternalError(Some(format!("{origin}: {err}")))
}

/// What an admin reads when a PSA's TLS fails: the instance, why, and what to do.
pub fn describe_tls_error(err: &rustls::Error, origin: &str) -> String {
    use rustls::CertificateError as C;
    let remedy_ca = format!(
        "if {origin} uses a certificate from an internal or private CA, {CA_REMEDY}; otherwise \
         the PSA's certificate must be fixed"
    );
    match err {
        rustls::Error::InvalidCertificate(cert) => {
            let (reason, remedy) = match cert {
                C::UnknownIssuer => (
                    "unknown issuer: the certificate is self-signed or issued by a CA this \
                     host does not trust"
                        .to_string(),
                    remedy_ca,
                ),
                C::Expired | C::ExpiredContext { .. } => (
                    format!("the certificate has expired ({cert})"),
                    "renew the PSA's certificate (or correct the clock of this host)".to_string(),
                ),
                C::NotValidYet | C::NotValidYetContext { .. } => (
                    format!("the certificate is not valid yet ({cert})"),
                    "check the clock of this host and of the PSA".to_string(),
                ),
                C::NotValidForName | C::NotValidForNameContext { .. } => (
                    format!("name mismatch: {cert}"),
                    "use the host name the certificate names in the connector's URL, or fix \
                     the PSA's certificate"
                        .to_string(),
                ),
                C::Revoked => (
                    "the certificate has been revoked".to_string(),
                    "the PSA needs a new certificate".to_string(),
                ),
                C::BadSignature => (format!("bad signature ({cert})"), remedy_ca),
                other => (format!("{other}"), remedy_ca),
            };
            format!("TLS certificate of {origin} rejected: {reason}; {remedy}")
        }
        rustls::Error::NoCertificatesPresented => {
            format!("TLS: {origin} presented no certificate; the PSA's TLS set-up must be fixed")
        }
        rustls::Error::AlertReceived(alert) => {
            format!("TLS: {origin} ended the handshake with the alert {alert:?}")
        }
        other => format!("TLS with {origin} failed: {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOT_A_CERT: &str = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";

    fn client() -> HttpClient {
        HttpClient::new(&HostConfig::default()).unwrap()
    }

    fn get(uri: &str) -> http::Request<WasiBody> {
        use http_body_util::BodyExt;
        let body = http_body_util::Empty::<Bytes>::new()
            .map_err(|never| match never {})
            .boxed_unsync();
        http::Request::get(uri).body(body).unwrap()
    }

    fn timeouts(connect: u64, first_byte: u64, between_bytes: u64) -> RequestOptions {
        RequestOptions {
            connect_timeout: Some(Duration::from_millis(connect)),
            first_byte_timeout: Some(Duration::from_millis(first_byte)),
            between_bytes_timeout: Some(Duration::from_millis(between_bytes)),
        }
    }

    /// A loopback listener that accepts connections, reads, and never answers (kept open).
    async fn silent_server() -> std::net::SocketAddr {
        use tokio::io::AsyncReadExt;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let mut open = Vec::new();
            while let Ok((mut sock, _)) = listener.accept().await {
                let mut buf = [0u8; 1024];
                let _ = sock.read(&mut buf).await;
                open.push(sock);
            }
        });
        addr
    }

    #[tokio::test]
    async fn a_refused_connection_is_connection_refused_and_counted() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let client = client();
        let origin = format!("http://{addr}");
        let err = client
            .send(
                get(&format!("{origin}/")),
                timeouts(2000, 2000, 2000),
                &origin,
            )
            .await
            .unwrap_err();
        assert!(matches!(err, Error::ConnectionRefused), "{err:?}");
        assert_eq!(client.counters.failed.load(Ordering::Relaxed), 1);
        assert_eq!(client.counters.opened.load(Ordering::Relaxed), 0);
    }

    #[tokio::test]
    async fn a_tls_handshake_that_never_ends_is_a_connect_timeout() {
        // The request's own connect timeout (not the host's 30 s) bounds TCP and TLS: the
        // first-byte budget is far longer, so reaching it would be a read timeout instead.
        let addr = silent_server().await;
        let client = client();
        let origin = format!("https://{addr}");
        let err = client
            .send(
                get(&format!("{origin}/")),
                timeouts(200, 60_000, 60_000),
                &origin,
            )
            .await
            .unwrap_err();
        assert!(matches!(err, Error::ConnectionTimeout), "{err:?}");
        assert_eq!(client.counters.failed.load(Ordering::Relaxed), 1);
    }

    #[tokio::test]
    async fn no_response_head_is_a_read_timeout() {
        let addr = silent_server().await;
        let client = client();
        let origin = format!("http://{addr}");
        let err = client
            .send(
                get(&format!("{origin}/")),
                timeouts(60_000, 200, 60_000),
                &origin,
            )
            .await
            .unwrap_err();
        assert!(matches!(err, Error::ConnectionReadTimeout), "{err:?}");
        assert_eq!(client.counters.opened.load(Ordering::Relaxed), 1);
        assert_eq!(client.counters.failed.load(Ordering::Relaxed), 0);
    }

    #[tokio::test]
    async fn a_stalled_body_is_a_read_timeout() {
        use http_body_util::BodyExt;
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut sock, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 1024];
            let _ = sock.read(&mut buf).await;
            let _ = sock
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nab")
                .await;
            // Keep the connection open, the body unfinished.
            tokio::time::sleep(Duration::from_secs(600)).await;
        });
        let client = client();
        let origin = format!("http://{addr}");
        let response = client
            .send(
                get(&format!("{origin}/")),
                timeouts(2000, 2000, 200),
                &origin,
            )
            .await
            .unwrap();
        let err = response.into_body().collect().await.unwrap_err();
        assert!(matches!(err, Error::ConnectionReadTimeout), "{err:?}");
    }

    #[tokio::test]
    async fn an_unknown_host_name_is_a_dns_error() {
        let client = client();
        let origin = "http://psa-host-test.invalid";
        let err = client
            .send(
                get(&format!("{origin}/")),
                timeouts(5000, 5000, 5000),
                origin,
            )
            .await
            .unwrap_err();
        assert!(matches!(err, Error::DnsError { .. }), "{err:?}");
    }

    #[test]
    fn no_extra_ca_is_the_webpki_roots() {
        let roots = root_store(&[]).unwrap();
        assert_eq!(roots.len(), webpki_roots::TLS_SERVER_ROOTS.len());
    }

    #[test]
    fn text_without_a_certificate_is_refused_by_index() {
        let err = root_store(&["hello".to_string()]).unwrap_err();
        let HostError::InvalidCaCertificate { index, message } = &err else {
            panic!("{err:?}");
        };
        assert_eq!(*index, 0);
        assert!(message.contains("no certificate"), "{message}");
        assert!(err.to_string().contains("extra_ca_pem[0]"), "{err}");
    }

    #[test]
    fn garbage_inside_a_certificate_block_is_refused() {
        let err = root_store(&[NOT_A_CERT.to_string()]).unwrap_err();
        assert!(
            matches!(&err, HostError::InvalidCaCertificate { index: 0, message } if message.contains("not a usable CA")),
            "{err:?}"
        );
    }

    #[test]
    fn an_unterminated_block_is_invalid_pem() {
        let pem = "-----BEGIN CERTIFICATE-----\nMIIB\n".to_string();
        let err = root_store(&[pem]).unwrap_err();
        assert!(
            matches!(&err, HostError::InvalidCaCertificate { message, .. } if message.contains("not valid PEM")),
            "{err:?}"
        );
    }

    #[test]
    fn the_bad_entry_is_named() {
        let err = root_store(&[String::new(), NOT_A_CERT.to_string()]).unwrap_err();
        // The first entry (empty) is already refused.
        assert!(matches!(
            err,
            HostError::InvalidCaCertificate { index: 0, .. }
        ));
    }

    #[test]
    fn certificate_errors_name_host_reason_and_remedy() {
        let origin = "https://halo.internal:8443";
        let unknown = describe_tls_error(
            &rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer),
            origin,
        );
        assert!(unknown.contains(origin), "{unknown}");
        assert!(unknown.contains("unknown issuer"), "{unknown}");
        assert!(unknown.contains("extra_ca_pem"), "{unknown}");
        assert!(unknown.contains("--ca-file"), "{unknown}");
        let expired = describe_tls_error(
            &rustls::Error::InvalidCertificate(rustls::CertificateError::Expired),
            origin,
        );
        assert!(
            expired.contains("expired") && expired.contains(origin),
            "{expired}"
        );
        let name = describe_tls_error(
            &rustls::Error::InvalidCertificate(rustls::CertificateError::NotValidForName),
            origin,
        );
        assert!(name.contains("name mismatch"), "{name}");
    }
}
