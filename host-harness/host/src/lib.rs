//! Embeddable wasmtime host for `psa:connector` components (the WIT contract in `wit/`).
//!
//! A security platform embeds this crate to load any PSA connector component from a path at
//! runtime and call it. The host, not the component, decides what the connector may do: it
//! gets no files, no environment, no sockets; its only way out is wasi-http, through an egress
//! allow-list derived from the session's URL settings, a per-PSA-instance rate budget, clamped
//! timeouts and a response size cap. Each call has a time budget and each instance a memory
//! cap; a trap poisons the session instead of crashing the host.
//!
//! # Usage
//!
//! 1. Create one [`ConnectorHost`] with a [`HostConfig`] (the defaults are production-sane).
//! 2. [`ConnectorHost::load`] a component file: it is compiled once and checked against the
//!    host's imports and the contract's exports, so a mismatch fails here with
//!    [`HostError::Incompatible`].
//! 3. [`LoadedConnector::info`] describes the connector and its settings form.
//! 4. [`LoadedConnector::open`] a [`ConnectorSession`] with the admin's settings; keep it per
//!    PSA connection (it caches the token) and open more concurrently as needed.
//! 5. Call the typed operations ([`ConnectorSession::test_connection`],
//!    [`ConnectorSession::sync_alert`], ...), or with the `json` feature any operation by name
//!    with JSON (`ConnectorSession::call_json`). Each returns
//!    `Result<Result<T, ConnectorError>, HostError>`: the outer error is the host's, the inner
//!    one the connector's typed answer.
//! 6. On [`HostError::Trap`] or [`HostError::Timeout`] the session is poisoned: drop it and
//!    open a new one.
//!
//! # Features
//!
//! `json` (off by default) adds `ConnectorSession::call_json` and
//! `LoadedConnector::info_json`: any operation by its WIT name with JSON arguments, for
//! tooling such as the `psa-harness` CLI (convention in `json`). The crate has no build script
//! and does not need the `wasm32-wasip2` target: it loads component files built elsewhere.
//!
//! ```no_run
//! use psa_host::{ConnectorHost, HostConfig, types::OrganizationQuery};
//!
//! # async fn run() -> anyhow::Result<()> {
//! let host = ConnectorHost::new(HostConfig::default())?;
//! let connector = host.load("halo_connector.wasm")?;
//! println!("{}", connector.info().await?.psa_name);
//!
//! let settings = vec![
//!     ("base_url".to_string(), "https://acme.halopsa.com".to_string()),
//!     ("client_id".to_string(), "…".to_string()),
//!     ("client_secret".to_string(), "…".to_string()),
//! ];
//! let mut session = match connector.open(settings).await? {
//!     Ok(session) => session,
//!     Err(connector_error) => anyhow::bail!("settings rejected: {connector_error:?}"),
//! };
//! let query = OrganizationQuery { search: None, include_inactive: false, page: None, page_size: None };
//! match session.list_organizations(&query).await? {
//!     Ok(page) => println!("{} organizations", page.total),
//!     Err(connector_error) => println!("the PSA said no: {connector_error:?}"),
//! }
//! println!("{:?}", session.requests());
//! # Ok(())
//! # }
//! ```

#![deny(missing_docs)]

mod adapter;
mod bindings;
pub mod cache;
pub mod config;
mod connector;
pub mod contract;
mod convert;
pub mod coordination;
mod engine;
pub mod error;
pub mod http_client;
mod imports;
mod instance;
#[cfg(feature = "json")]
pub mod json;
pub mod outbound;
pub mod policy;
pub mod rate;
mod session;
mod shared;
mod state;
#[cfg(test)]
mod test_support;

pub use bindings::types;
pub use cache::CompileCacheStats;
pub use config::{Coordination, HostConfig, PoolingConfig, RateBudgetConfig, RedisCoordination};
pub use connector::LoadedConnector;
pub use coordination::{CoordinationError, Coordinator};
pub use engine::ConnectorHost;
pub use error::HostError;
pub use outbound::{OutboundHooks, RequestStats};
pub use policy::{Denied, EgressPolicy, Origin};
pub use rate::{RateBudget, RateBudgetState};
pub use session::{ConnectorSession, OpResult};
