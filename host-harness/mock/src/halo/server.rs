//! The HTTP/1.1 server: accept loop, one hyper connection task per socket, and the per-request
//! pipeline (read body → count/log → rate limit → faults → route).
//!
//! Each connection is served with `hyper::server::conn::http1` so a fault can end it without any
//! response: the service returns an error (hyper then drops the connection unanswered), and for
//! [`Fault::ConnectionReset`] the socket is closed with `SO_LINGER=0`, which sends a TCP RST.

use std::convert::Infallible;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Instant;

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

use super::auth::Tokens;
use super::config::MockConfig;
use super::counters::{Counters, ReceivedRequest};
use super::faults::{self, Fault, FaultSet, HugeBody};
use super::limiter::Limiter;
use super::reply::{Reply, JSON};
use super::routes::{dispatch, Request};
use super::state::Store;

/// Largest request body accepted (bigger ones get 413).
const MAX_REQUEST_BODY: usize = 16 * 1024 * 1024;

/// Response body type of the server.
pub(crate) type ResBody = BoxBody<Bytes, Infallible>;

/// Locks a mutex, ignoring poisoning (a panicking test thread must not wedge the mock).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// State shared by the accept loop, every connection and the `MockHalo` handle.
#[derive(Debug)]
pub(crate) struct Shared {
    pub config: MockConfig,
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    pub store: Mutex<Store>,
    pub tokens: Mutex<Tokens>,
    pub counters: Counters,
    pub faults: Mutex<FaultSet>,
    pub limiter: Option<Mutex<Limiter>>,
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
pub(crate) async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    connections.spawn(serve_connection(stream, shared.clone()));
                }
                Err(e) => {
                    tracing::warn!("mock_halo: accept failed: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

async fn serve_connection(stream: TcpStream, shared: Arc<Shared>) {
    let reset = Arc::new(AtomicBool::new(false));
    let io = TokioIo::new(ConnIo {
        stream,
        reset: reset.clone(),
    });
    let service = service_fn(move |req| handle(shared.clone(), reset.clone(), req));
    let result = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .serve_connection(io, service)
        .await;
    if let Err(e) = result {
        tracing::debug!("mock_halo: connection ended: {e}");
    }
}

async fn handle(
    shared: Arc<Shared>,
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
            return Ok(to_response(Reply::text(
                StatusCode::PAYLOAD_TOO_LARGE,
                "Request Entity Too Large",
            )))
        }
        Err(_) => return Err(DropConnection),
    };
    let path = parts.uri.path().to_string();
    let raw_query = parts.uri.query().unwrap_or_default().to_string();
    let request = Request::new(parts.method, &path, &raw_query, parts.headers, body);
    let key = request.key();
    shared.counters.record(&key, received(&request, &raw_query));

    if let Some(limiter) = &shared.limiter {
        if let Err(reply) = lock(limiter).admit(Instant::now()) {
            return Ok(to_response(reply));
        }
    }

    let fault = lock(&shared.faults).pick(&key);
    let Some(fault) = fault else {
        return Ok(to_response(dispatch(&shared, &request)));
    };
    tracing::debug!("mock_halo: injecting {fault:?} into {key}");
    if let Some(reply) = faults::canned_reply(&fault) {
        return Ok(to_response(reply));
    }
    match fault {
        Fault::HugeBody { bytes } => {
            let mut response = Response::new(HugeBody::new(bytes).boxed());
            response
                .headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static(JSON));
            Ok(response)
        }
        Fault::SlowFirstByte { delay } => {
            tokio::time::sleep(delay).await;
            Ok(to_response(dispatch(&shared, &request)))
        }
        Fault::ConnectionReset => {
            reset.store(true, Ordering::SeqCst);
            Err(DropConnection)
        }
        Fault::ProcessThenDrop => {
            let _ = dispatch(&shared, &request);
            Err(DropConnection)
        }
        other => Ok(to_response(faults::mangle(
            &other,
            dispatch(&shared, &request),
        ))),
    }
}

fn received(req: &Request, raw_query: &str) -> ReceivedRequest {
    ReceivedRequest {
        method: req.method.to_string(),
        path: req.path.clone(),
        query: raw_query.to_string(),
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
