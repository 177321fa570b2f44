//! Runs a connector's logic natively, for the benchmark's baseline.
//!
//! The HaloPSA and ConnectWise connectors are plain Rust libraries on the SDK's blocking
//! [`Transport`] seam; in the component that seam is `wasi:http` through the host. Here it is
//! [`NativeTransport`]: a blocking call into a shared tokio runtime and one hyper-util pooled
//! keep-alive client ([`NativeClient`]), which counts the connections it opens, so that the
//! bench measures the same logic with and without the WebAssembly boundary in the same run.
//!
//! [`NativeTransport::send`] blocks its thread on the runtime (`Handle::block_on`): call the
//! connector from a plain thread or `spawn_blocking`, never from inside an async task.
//!
//! ```no_run
//! # async fn demo(settings: Vec<(String, String)>) {
//! use psa_native::{NativeClient, NativePsa, NativeSession};
//!
//! let client = NativeClient::new(tokio::runtime::Handle::current());
//! let organization = tokio::task::spawn_blocking(move || {
//!     let session = NativeSession::open(NativePsa::Halo, &settings, client.transport())?;
//!     session.get_organization("12")
//! })
//! .await
//! .unwrap();
//! # }
//! ```
#![deny(missing_docs)]

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use connectwise_connector::session::CwSession;
use halo_connector::session::HaloSession;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper_rustls::{HttpsConnector, MaybeHttpsStream};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use psa_connector_sdk::http::{Method, Request, Response, Transport, TransportError};
use psa_connector_sdk::{operation, Connector};

pub use psa_connector_sdk::http::MAX_BODY_BYTES;
/// The contract's types as the connectors see them (the SDK's, not the host's).
pub use psa_connector_sdk::types;

use types::{
    ConnectorError, MappingProfile, Organization, Status, SyncOutcome, SyncRequest, TicketChange,
    TicketRequest,
};

/// How long an idle pooled connection is kept (hyper-util's default).
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(90);

/// Why a [`NativeClient`] could not be made.
#[derive(Debug, thiserror::Error)]
pub enum NativeError {
    /// An entry of the CA list is not PEM certificates (its index, why).
    #[error("ca_pem[{0}] is not a PEM certificate: {1}")]
    Ca(usize, String),
}

/// What a [`NativeClient`] did, counted since it was made.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NativeStats {
    /// Requests sent (each got a response or an error).
    pub requests: u64,
    /// Requests that got no response (connection refused, reset, timeout, body too large).
    pub failed: u64,
    /// TCP connections opened (the rest of the requests reused a pooled connection).
    pub connections_opened: u64,
    /// Connection attempts that failed.
    pub connections_failed: u64,
}

#[derive(Debug, Default)]
struct Counters {
    requests: AtomicU64,
    failed: AtomicU64,
    connections_opened: AtomicU64,
    connections_failed: AtomicU64,
}

fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

/// hyper-rustls over hyper-util's [`HttpConnector`] (plain `http` or `https`), counting the
/// connections it opens (connected and, over `https`, the handshake done).
#[derive(Clone)]
struct CountingConnector {
    inner: HttpsConnector<HttpConnector>,
    counters: Arc<Counters>,
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type Stream = MaybeHttpsStream<TokioIo<tokio::net::TcpStream>>;
type ConnectFuture = Pin<Box<dyn Future<Output = Result<Stream, BoxError>> + Send>>;

impl tower_service::Service<http::Uri> for CountingConnector {
    type Response = Stream;
    type Error = BoxError;
    type Future = ConnectFuture;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, uri: http::Uri) -> Self::Future {
        let connecting = self.inner.call(uri);
        let counters = self.counters.clone();
        Box::pin(async move {
            let connected = connecting.await;
            match &connected {
                Ok(_) => bump(&counters.connections_opened),
                Err(_) => bump(&counters.connections_failed),
            }
            connected
        })
    }
}

struct Inner {
    runtime: tokio::runtime::Handle,
    client: Client<CountingConnector, Full<Bytes>>,
    counters: Arc<Counters>,
}

/// One pooled keep-alive HTTP/1.1 client (hyper-util's legacy `Client`) on a tokio runtime,
/// shared by every [`NativeTransport`] made from it, as a host shares its client between
/// sessions. Plain `http` only: the baseline talks to the loopback mock.
#[derive(Clone)]
pub struct NativeClient {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for NativeClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NativeClient")
            .field("stats", &self.stats())
            .finish()
    }
}

impl NativeClient {
    /// A client whose connections run on `runtime` (which must have I/O and time enabled),
    /// plain `http` only.
    pub fn new(runtime: tokio::runtime::Handle) -> NativeClient {
        Self::with_roots(runtime, rustls::RootCertStore::empty())
    }

    /// A client that also speaks `https` to servers whose certificate one of `ca_pem` (PEM
    /// text, one or more certificates each) issued: a test CA, as the host's
    /// `HostConfig::extra_ca_pem`. No other root is trusted.
    pub fn with_ca(
        runtime: tokio::runtime::Handle,
        ca_pem: &[String],
    ) -> Result<NativeClient, NativeError> {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::CertificateDer;
        let mut roots = rustls::RootCertStore::empty();
        for (index, pem) in ca_pem.iter().enumerate() {
            for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
                let cert = cert.map_err(|e| NativeError::Ca(index, e.to_string()))?;
                roots
                    .add(cert)
                    .map_err(|e| NativeError::Ca(index, e.to_string()))?;
            }
        }
        Ok(Self::with_roots(runtime, roots))
    }

    fn with_roots(runtime: tokio::runtime::Handle, roots: rustls::RootCertStore) -> NativeClient {
        let counters = Arc::new(Counters::default());
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("ring supports the default protocol versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let connector = CountingConnector {
            inner: https,
            counters: counters.clone(),
        };
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(POOL_IDLE_TIMEOUT)
            .build(connector);
        NativeClient {
            inner: Arc::new(Inner {
                runtime,
                client,
                counters,
            }),
        }
    }

    /// A transport for one connector session, sending through this client.
    pub fn transport(&self) -> NativeTransport {
        NativeTransport {
            client: self.clone(),
        }
    }

    /// What the client did so far.
    pub fn stats(&self) -> NativeStats {
        let c = &self.inner.counters;
        NativeStats {
            requests: c.requests.load(Ordering::Relaxed),
            failed: c.failed.load(Ordering::Relaxed),
            connections_opened: c.connections_opened.load(Ordering::Relaxed),
            connections_failed: c.connections_failed.load(Ordering::Relaxed),
        }
    }

    async fn send(&self, request: &Request) -> Result<Response, TransportError> {
        let method = match request.method {
            Method::Get => http::Method::GET,
            Method::Post => http::Method::POST,
            Method::Patch => http::Method::PATCH,
        };
        let mut builder = http::Request::builder()
            .method(method)
            .uri(request.url.as_str());
        for (name, value) in &request.headers {
            if !name.eq_ignore_ascii_case("content-length") {
                builder = builder.header(name.as_str(), value.as_str());
            }
        }
        let body = Bytes::from(request.body.clone().unwrap_or_default());
        if request.body.is_some() {
            builder = builder.header(http::header::CONTENT_LENGTH, body.len());
        }
        let outgoing = builder
            .body(Full::new(body))
            .map_err(|e| TransportError::Failed(format!("invalid request: {e}")))?;
        let response = tokio::time::timeout(request.timeout, self.inner.client.request(outgoing))
            .await
            .map_err(|_| TransportError::Timeout("no response in time".into()))?
            .map_err(|e| TransportError::Failed(chain(&e)))?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_string(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect();
        let body = tokio::time::timeout(
            request.timeout,
            Limited::new(response.into_body(), MAX_BODY_BYTES).collect(),
        )
        .await
        .map_err(|_| TransportError::Timeout("response body not read in time".into()))?
        .map_err(|e| {
            if e.downcast_ref::<LengthLimitError>().is_some() {
                TransportError::TooLarge(MAX_BODY_BYTES)
            } else {
                TransportError::Failed(format!("response body broken off: {e}"))
            }
        })?
        .to_bytes();
        Ok(Response {
            status,
            headers,
            body: body.to_vec(),
        })
    }
}

/// An error and its sources on one line.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The SDK's [`Transport`] over a [`NativeClient`]: each `send` blocks the calling thread on
/// the client's runtime until the whole response is read.
#[derive(Clone, Debug)]
pub struct NativeTransport {
    client: NativeClient,
}

impl Transport for NativeTransport {
    fn send(&self, request: &Request) -> Result<Response, TransportError> {
        let counters = &self.client.inner.counters;
        bump(&counters.requests);
        let answer = self
            .client
            .inner
            .runtime
            .block_on(self.client.send(request));
        if answer.is_err() {
            bump(&counters.failed);
        }
        answer
    }

    fn sleep(&self, duration: Duration) {
        std::thread::sleep(duration);
    }
}

/// The connectors this crate runs natively.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NativePsa {
    /// `halo-connector` (plugin/halo).
    Halo,
    /// `connectwise-connector` (plugin/connectwise).
    ConnectWise,
}

/// A connector session opened natively (`Connector::open` with a [`NativeTransport`]). Each
/// operation runs as the component's export runs it ([`operation`]: a fresh audit journal
/// first). Not `Send`: a session stays on the thread that opened it.
pub enum NativeSession {
    /// A HaloPSA session.
    Halo(Box<HaloSession>),
    /// A ConnectWise PSA session.
    ConnectWise(Box<CwSession>),
}

impl std::fmt::Debug for NativeSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            NativeSession::Halo(_) => "NativeSession::Halo",
            NativeSession::ConnectWise(_) => "NativeSession::ConnectWise",
        })
    }
}

/// Runs `$op` on the session's connector through [`operation`].
macro_rules! dispatch {
    ($session:expr, |$c:ident| $op:expr) => {
        match $session {
            NativeSession::Halo(s) => operation(&**s, |$c| $op),
            NativeSession::ConnectWise(s) => operation(&**s, |$c| $op),
        }
    };
}

impl NativeSession {
    /// `session.open` of `psa`'s connector with these settings (the same an admin types for
    /// the component), sending through `transport`. Makes no request.
    pub fn open(
        psa: NativePsa,
        settings: &[(String, String)],
        transport: NativeTransport,
    ) -> Result<NativeSession, ConnectorError> {
        Ok(match psa {
            NativePsa::Halo => NativeSession::Halo(Box::new(<HaloSession as Connector>::open(
                settings,
                Box::new(transport),
            )?)),
            NativePsa::ConnectWise => NativeSession::ConnectWise(Box::new(
                <CwSession as Connector>::open(settings, Box::new(transport))?,
            )),
        })
    }

    /// `get-organization`.
    pub fn get_organization(&self, id: &str) -> Result<Organization, ConnectorError> {
        dispatch!(self, |c| c.get_organization(id))
    }

    /// `list-statuses`.
    pub fn list_statuses(&self) -> Result<Vec<Status>, ConnectorError> {
        dispatch!(self, |c| c.list_statuses())
    }

    /// `create-ticket`.
    pub fn create_ticket(
        &self,
        profile: &MappingProfile,
        request: &TicketRequest,
    ) -> Result<TicketChange, ConnectorError> {
        dispatch!(self, |c| c.create_ticket(profile, request))
    }

    /// `sync-alert`.
    pub fn sync_alert(
        &self,
        profile: &MappingProfile,
        request: &SyncRequest,
    ) -> Result<SyncOutcome, ConnectorError> {
        dispatch!(self, |c| c.sync_alert(profile, request))
    }
}
