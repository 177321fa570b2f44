//! Mock PSA servers for tests and the `psa-harness` CLI: real HTTP/1.1 on loopback, seeded
//! in-memory state, fault injection, request counters and wiremock-style expectations.
//!
//! - [`halo`]: a mock HaloPSA ([`MockHalo`]), implementing the wire contract in
//!   `docs/halo-wire.md`.
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

mod expect;
pub mod halo;

pub use expect::Times;
pub use halo::{
    seed_ids, Fault, FaultRule, FaultTrigger, MockConfig, MockHalo, ParseFaultError, RateLimit,
    ReceivedRequest,
};
