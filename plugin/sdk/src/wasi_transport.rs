//! [`Transport`] over `wasi:http/outgoing-handler`, the host's HTTP. Also compiled natively
//! (where wasi's imports are stubs that are never called), so the export compiles there too.
//!
//! WASI resources have parent/child rules (a body stream must be dropped before its body, the
//! headers before their response), so every child is dropped explicitly before its parent.

use std::time::Duration;

use wasi::http::outgoing_handler;
use wasi::http::types::{
    ErrorCode, Fields, IncomingBody, Method as WasiMethod, OutgoingBody, OutgoingRequest,
    RequestOptions, Scheme, TlsAlertReceivedPayload,
};
use wasi::io::streams::StreamError;

use crate::http::{Method, Request, Response, Transport, TransportError, MAX_BODY_BYTES};

/// The component's transport: every request goes through the host.
pub struct WasiTransport;

impl Transport for WasiTransport {
    fn send(&self, request: &Request) -> Result<Response, TransportError> {
        send(request)
    }

    fn sleep(&self, duration: Duration) {
        std::thread::sleep(duration);
    }
}

fn failed(what: &str) -> impl Fn(()) -> TransportError + '_ {
    move |()| TransportError::Failed(format!("could not {what}"))
}

fn send(request: &Request) -> Result<Response, TransportError> {
    let mut header_list: Vec<(String, Vec<u8>)> = request
        .headers
        .iter()
        .filter(|(name, _)| !name.eq_ignore_ascii_case("content-length"))
        .map(|(name, value)| (name.clone(), value.as_bytes().to_vec()))
        .collect();
    // A known body goes out with its length, not chunked: servers and proxies that read only
    // Content-Length (Python's http.server, some WAFs) would otherwise see an empty body. The
    // host checks that exactly this many bytes are written.
    if let Some(body) = &request.body {
        header_list.push(("content-length".into(), body.len().to_string().into_bytes()));
    }
    let headers = Fields::from_list(&header_list)
        .map_err(|e| TransportError::Failed(format!("invalid request header: {e:?}")))?;
    let outgoing = OutgoingRequest::new(headers);
    let method = match request.method {
        Method::Get => WasiMethod::Get,
        Method::Post => WasiMethod::Post,
        Method::Patch => WasiMethod::Patch,
    };
    outgoing.set_method(&method).map_err(failed("set method"))?;
    let scheme = match request.url.scheme() {
        "http" => Scheme::Http,
        "https" => Scheme::Https,
        other => Scheme::Other(other.to_string()),
    };
    outgoing
        .set_scheme(Some(&scheme))
        .map_err(failed("set scheme"))?;
    let host = request.url.host_str().unwrap_or_default();
    let authority = match request.url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    };
    outgoing
        .set_authority(Some(&authority))
        .map_err(failed("set authority"))?;
    let path_with_query = match request.url.query() {
        Some(query) => format!("{}?{query}", request.url.path()),
        None => request.url.path().to_string(),
    };
    outgoing
        .set_path_with_query(Some(&path_with_query))
        .map_err(failed("set path"))?;

    let options = RequestOptions::new();
    let nanos = u64::try_from(request.timeout.as_nanos()).unwrap_or(u64::MAX);
    // A host may not support some timeouts; it then applies its own, which is fine.
    let _ = options.set_connect_timeout(Some(nanos));
    let _ = options.set_first_byte_timeout(Some(nanos));
    let _ = options.set_between_bytes_timeout(Some(nanos));

    let body = outgoing.body().map_err(failed("open request body"))?;
    let future = outgoing_handler::handle(outgoing, Some(options)).map_err(map_error_code)?;
    if let Err(body_error) = write_body(body, request.body.as_deref()) {
        // A host that refuses the request (egress policy) closes the body stream: the reason
        // is in the response future, not in the write error.
        let pollable = future.subscribe();
        pollable.block();
        drop(pollable);
        return Err(match future.get() {
            Some(Ok(Err(code))) => map_error_code(code),
            _ => body_error,
        });
    }

    let pollable = future.subscribe();
    pollable.block();
    drop(pollable);
    let incoming = match future.get() {
        Some(Ok(Ok(response))) => response,
        Some(Ok(Err(code))) => return Err(map_error_code(code)),
        Some(Err(())) => return Err(TransportError::Failed("response taken twice".into())),
        None => return Err(TransportError::Failed("no response".into())),
    };
    drop(future);

    let status = incoming.status();
    let header_fields = incoming.headers();
    let headers = header_fields
        .entries()
        .into_iter()
        .map(|(name, value)| {
            (
                name.to_ascii_lowercase(),
                String::from_utf8_lossy(&value).into_owned(),
            )
        })
        .collect();
    drop(header_fields);

    let incoming_body = incoming.consume().map_err(failed("read response body"))?;
    let stream = incoming_body
        .stream()
        .map_err(failed("open response stream"))?;
    let mut buffer = Vec::new();
    let outcome = loop {
        match stream.blocking_read(64 * 1024) {
            Ok(chunk) => {
                if buffer.len() + chunk.len() > MAX_BODY_BYTES {
                    break Err(TransportError::TooLarge(MAX_BODY_BYTES));
                }
                buffer.extend_from_slice(&chunk);
            }
            Err(StreamError::Closed) => break Ok(()),
            Err(StreamError::LastOperationFailed(error)) => {
                break Err(TransportError::Failed(format!(
                    "response body broken off: {}",
                    error.to_debug_string()
                )))
            }
        }
    };
    drop(stream);
    drop(IncomingBody::finish(incoming_body));
    drop(incoming);
    outcome?;
    Ok(Response {
        status,
        headers,
        body: buffer,
    })
}

fn write_body(body: OutgoingBody, bytes: Option<&[u8]>) -> Result<(), TransportError> {
    if let Some(bytes) = bytes {
        let stream = body.write().map_err(failed("open request stream"))?;
        for chunk in bytes.chunks(4096) {
            stream
                .blocking_write_and_flush(chunk)
                .map_err(|e| TransportError::Failed(format!("request body write failed: {e:?}")))?;
        }
        drop(stream);
    }
    OutgoingBody::finish(body, None).map_err(map_error_code)
}

fn map_error_code(code: ErrorCode) -> TransportError {
    match code {
        ErrorCode::HttpRequestDenied => {
            TransportError::Denied("the host's egress policy does not allow this address".into())
        }
        ErrorCode::ConnectionTimeout
        | ErrorCode::ConnectionReadTimeout
        | ErrorCode::ConnectionWriteTimeout => TransportError::Timeout(format!("{code:?}")),
        ErrorCode::HttpResponseBodySize(_) | ErrorCode::HttpResponseHeaderSize(_) => {
            TransportError::TooLarge(MAX_BODY_BYTES)
        }
        // A host explains some failures in words (psa-host: a TLS certificate problem, naming
        // the PSA, the reason and the remedy): pass them on as they are.
        ErrorCode::InternalError(Some(message))
        | ErrorCode::TlsAlertReceived(TlsAlertReceivedPayload {
            alert_message: Some(message),
            ..
        }) => TransportError::Failed(message),
        other => TransportError::Failed(format!("{other:?}")),
    }
}
