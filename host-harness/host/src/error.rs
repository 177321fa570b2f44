//! [`HostError`]: everything that can go wrong on the host side of a connector call.
//!
//! A connector's own, typed failures are not `HostError`s: operations return
//! `Result<Result<T, ConnectorError>, HostError>`, the outer layer for the host and the runtime,
//! the inner one for the connector. Messages never contain settings values.

use std::path::PathBuf;
use std::time::Duration;

/// A failure of the host or the runtime, as opposed to the connector's typed
/// [`ConnectorError`](crate::types::ConnectorError).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HostError {
    /// The component file could not be read or compiled.
    #[error("cannot load connector component {}: {message}", path.display())]
    Load {
        /// The file that was given.
        path: PathBuf,
        /// Why it failed.
        message: String,
    },
    /// The component does not fit this host: it imports something the host does not provide or
    /// does not export `psa:connector/connector@0.2.0` with the expected types.
    #[error("connector component is incompatible with this host: {0}")]
    Incompatible(String),
    /// Creating an instance of the component failed (for example its start function trapped).
    #[error("cannot instantiate the connector: {0}")]
    Instantiate(String),
    /// The guest trapped (panic, `unreachable`, out of memory...). The session is poisoned.
    #[error("connector trapped in `{op}`: {message}")]
    Trap {
        /// The operation that was running (WIT name, for example `list-tickets`).
        op: String,
        /// The trap, as wasmtime describes it.
        message: String,
    },
    /// The call ran out of its time budget ([`HostConfig::call_timeout`](crate::HostConfig)).
    /// The session is poisoned.
    #[error("connector call `{op}` timed out after {after:?}")]
    Timeout {
        /// The operation that was running.
        op: String,
        /// The budget that was spent.
        after: Duration,
    },
    /// An earlier call of this session trapped or timed out; open a new session.
    #[error("the connector session is poisoned by an earlier trap or timeout; open a new session")]
    Poisoned,
    /// The operation name given to the JSON API is not an operation of the contract.
    #[error("unknown connector operation `{0}`")]
    UnknownOperation(String),
    /// The JSON arguments given to the JSON API do not fit the operation's parameter types.
    #[error("invalid arguments for `{op}`: {message}")]
    InvalidArguments {
        /// The operation.
        op: String,
        /// What did not fit.
        message: String,
    },
    /// The engine could not be created.
    #[error("cannot set up the wasmtime engine: {0}")]
    Engine(String),
    /// Coordinating the call failed: the shared backend is unavailable, the alert's lock stayed
    /// busy, or the call lost its lease. Nothing was lost: retry the call.
    #[error(transparent)]
    Coordination(#[from] crate::coordination::CoordinationError),
    /// An entry of [`HostConfig::extra_ca_pem`](crate::HostConfig::extra_ca_pem) is not PEM
    /// text holding usable CA certificates.
    #[error("HostConfig::extra_ca_pem[{index}]: {message}")]
    InvalidCaCertificate {
        /// Position of the entry in `extra_ca_pem`.
        index: usize,
        /// What is wrong with it.
        message: String,
    },
    /// An I/O error of the host.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Formats a wasmtime error with its causes, on one line.
pub(crate) fn describe(err: &wasmtime::Error) -> String {
    format!("{err:#}")
}

/// The WIT case name of a connector error (`"auth-failed"`, `"rate-limited"`...), for logs,
/// metrics and reports.
pub fn connector_error_case(error: &crate::types::ConnectorError) -> &'static str {
    use crate::types::ConnectorError as E;
    match error {
        E::InvalidSettings(_) => "invalid-settings",
        E::AuthFailed(_) => "auth-failed",
        E::PermissionDenied(_) => "permission-denied",
        E::NotFound(_) => "not-found",
        E::UnmappedTenant(_) => "unmapped-tenant",
        E::RateLimited(_) => "rate-limited",
        E::Remote(_) => "remote",
        E::InvalidResponse(_) => "invalid-response",
        E::Transport(_) => "transport",
        E::Unsupported(_) => "unsupported",
        E::InvalidInput(_) => "invalid-input",
    }
}
