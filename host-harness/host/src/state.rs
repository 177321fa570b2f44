//! [`SessionState`]: the data of one connector `Store`.
//!
//! What the world's imports (linked in [`crate::imports`]) give the guest: no environment
//! variables, no arguments, no working directory, an empty stdin, no terminal; its stdout and
//! stderr go to `tracing::debug!` (target `psa_connector::guest`), at most
//! [`MAX_GUEST_OUTPUT`] bytes per session, never to the host's own stdio. Files and sockets are
//! not linked at all. HTTP goes only through wasi-http and [`OutboundHooks`].

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
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
        let output_budget = Arc::new(OutputBudget {
            left: AtomicUsize::new(MAX_GUEST_OUTPUT),
            dropped: AtomicBool::new(false),
        });
        let wasi = WasiCtxBuilder::new()
            .stdout(GuestOutput("stdout", output_budget.clone()))
            .stderr(GuestOutput("stderr", output_budget))
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

/// Bytes of stdout and stderr together a session may log; the rest is dropped (a guest
/// printing in a loop must not fill the host's logs).
pub(crate) const MAX_GUEST_OUTPUT: usize = 64 << 10;

/// Guest stdout or stderr, forwarded line by line to `tracing::debug!`, sharing one budget of
/// bytes per session.
struct GuestOutput(&'static str, Arc<OutputBudget>);

/// What is left of a session's [`MAX_GUEST_OUTPUT`].
struct OutputBudget {
    left: AtomicUsize,
    dropped: AtomicBool,
}

impl OutputBudget {
    /// Takes up to `wanted` bytes of the budget; returns how many may be logged.
    fn take(&self, wanted: usize) -> usize {
        let before = self
            .left
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
                Some(left.saturating_sub(wanted))
            })
            .unwrap_or(0);
        before.min(wanted)
    }

    /// Logs, once per session, that output was dropped.
    fn note_dropped(&self, stream: &str) {
        if !self.dropped.swap(true, Ordering::Relaxed) {
            tracing::debug!(target: "psa_connector::guest", stream, "guest output beyond {MAX_GUEST_OUTPUT} bytes per session dropped");
        }
    }
}

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
            budget: self.1.clone(),
        })
    }
}

/// Longest line kept before it is logged in pieces.
const MAX_LINE: usize = 4096;

struct LineLogger {
    stream: &'static str,
    line: Vec<u8>,
    budget: Arc<OutputBudget>,
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
        let allowed = self.budget.take(buf.len());
        for &byte in &buf[..allowed] {
            if byte == b'\n' {
                self.emit();
            } else {
                self.line.push(byte);
                if self.line.len() >= MAX_LINE {
                    self.emit();
                }
            }
        }
        if allowed < buf.len() {
            self.emit();
            self.budget.note_dropped(self.stream);
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
