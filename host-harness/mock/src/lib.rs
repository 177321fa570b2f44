//! Mock PSA servers for tests and the `psa-harness` CLI: real HTTP/1.1 on loopback, seeded
//! in-memory state, fault injection, request counters and wiremock-style expectations.
//!
//! - [`halo`]: a mock HaloPSA ([`MockHalo`]), implementing the wire contract in
//!   `docs/halo-wire.md`.
//! - [`connectwise`]: a mock ConnectWise PSA (Manage) REST API ([`MockConnectWise`]).
//!
//! Both run on the same PSA-neutral machinery and dereference to [`MockServer`]: counters and
//! the request log, expectations, fault rules ([`FaultRule`], one syntax for both), the rolling
//! rate limit ([`RateLimit`]).
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use psa_mock::{MockConfig, MockHalo};
//!
//! let halo = MockHalo::start(MockConfig::default()).await?;
//! halo.expect("POST /auth/token", 1); // checked when `halo` is dropped
//! // ... point a connector at halo.base_url() with halo.connector_settings() ...
//! # Ok(()) }
//! ```

#![deny(missing_docs)]

mod clock;
mod counters;
mod expect;
mod faults;
mod limiter;
mod names;
mod query;
mod reply;
#[macro_use]
mod server;
#[cfg(test)]
mod test_client;

pub mod connectwise;
pub mod halo;
pub mod tls;

pub use connectwise::{ConnectWiseConfig, MockConnectWise};
pub use expect::Times;
pub use halo::{
    seed_ids, Fault, FaultRule, FaultTrigger, MockConfig, MockHalo, ParseFaultError, RateLimit,
    ReceivedRequest,
};
pub use server::MockServer;

/// Locks a mutex, ignoring poisoning (a panicking test thread must not wedge a mock).
pub(crate) fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
