//! [`SessionState`]: the data of one connector `Store`.
//!
//! The guest gets no preopened directories, no environment variables, no arguments and no
//! sockets (TCP, UDP and name lookup are all off); its stdout and stderr go to
//! `tracing::debug!` (target `psa_connector::guest`), never to the host's own stdio. HTTP goes
//! only through wasi-http and [`OutboundHooks`].

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use tokio::io::AsyncWrite;
use wasmtime::component::ResourceTable;
use wasmtime::StoreLimits;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::outbound::OutboundHooks;

/// Maximum number of resources (HTTP requests, streams, pollables...) a guest may hold at once.
const MAX_RESOURCES: usize = 4096;

/// Store data of one connector instance.
pub(crate) struct SessionState {
    pub(crate) wasi: WasiCtx,
    pub(crate) table: ResourceTable,
    pub(crate) http: WasiHttpCtx,
    pub(crate) hooks: OutboundHooks,
    pub(crate) limits: StoreLimits,
    /// End of the running call's time budget, read by the epoch callback.
    pub(crate) deadline: Option<Instant>,
}

impl SessionState {
    pub(crate) fn new(hooks: OutboundHooks, limits: StoreLimits, max_header_bytes: usize) -> Self {
        let wasi = WasiCtxBuilder::new()
            .stdout(GuestOutput("stdout"))
            .stderr(GuestOutput("stderr"))
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        let mut table = ResourceTable::new();
        table.set_max_capacity(MAX_RESOURCES);
        let mut http = WasiHttpCtx::new();
        http.set_field_size_limit(max_header_bytes);
        Self {
            wasi,
            table,
            http,
            hooks,
            limits,
            deadline: None,
        }
    }
}

impl WasiView for SessionState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for SessionState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.hooks,
        }
    }
}

/// Guest stdout or stderr, forwarded line by line to `tracing::debug!`.
struct GuestOutput(&'static str);

impl IsTerminal for GuestOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for GuestOutput {
    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(LineLogger {
            stream: self.0,
            line: Vec::new(),
        })
    }
}

/// Longest line kept before it is logged in pieces.
const MAX_LINE: usize = 4096;

struct LineLogger {
    stream: &'static str,
    line: Vec<u8>,
}

impl LineLogger {
    fn emit(&mut self) {
        if !self.line.is_empty() {
            let text = String::from_utf8_lossy(&self.line);
            tracing::debug!(target: "psa_connector::guest", stream = self.stream, "{}", text.trim_end());
            self.line.clear();
        }
    }
}

impl AsyncWrite for LineLogger {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        for &byte in buf {
            if byte == b'\n' {
                self.emit();
            } else {
                self.line.push(byte);
                if self.line.len() >= MAX_LINE {
                    self.emit();
                }
            }
        }
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        self.emit();
        Poll::Ready(Ok(()))
    }
}

impl Drop for LineLogger {
    fn drop(&mut self) {
        self.emit();
    }
}
