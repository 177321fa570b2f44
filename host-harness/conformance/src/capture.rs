//! The log lines of a run: a `tracing` subscriber the suite installs for its own futures
//! (`WithSubscriber`), writing into memory, so the `no-secrets` check can read every line the
//! host and the guest (its stdout and stderr, forwarded by the host) logged meanwhile.

use std::io::Write;
use std::sync::{Arc, Mutex};

use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

/// What is captured: the host and the guest at trace level, the HTTP stack at debug, the rest
/// (the compiler) at info.
const FILTER: &str = "info,psa_host=trace,psa_connector=trace,psa_conformance=trace,wasmtime_wasi=debug,wasmtime_wasi_http=debug";

/// The captured bytes, shared by the subscriber's writers.
#[derive(Clone, Default)]
pub(crate) struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    /// Every line so far.
    pub(crate) fn lines(&self) -> Vec<String> {
        let bytes = self.0.lock().unwrap_or_else(|e| e.into_inner());
        String::from_utf8_lossy(&bytes)
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// A subscriber writing into this capture.
    pub(crate) fn subscriber(&self) -> impl tracing::Subscriber + Send + Sync {
        tracing_subscriber::fmt()
            .with_env_filter(EnvFilter::new(FILTER))
            .with_ansi(false)
            .with_writer(self.clone())
            .finish()
    }
}

/// One writer of [`Captured`].
pub(crate) struct CapturedWriter(Arc<Mutex<Vec<u8>>>);

impl Write for CapturedWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = CapturedWriter;

    fn make_writer(&'a self) -> CapturedWriter {
        CapturedWriter(self.0.clone())
    }
}
