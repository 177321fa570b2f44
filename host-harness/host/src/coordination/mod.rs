//! Coordination between the sessions of one host and between hosts: the per-PSA-instance
//! request budget and the per-alert locks.
//!
//! Two things break as soon as a platform runs more than one session or more than one process:
//! - **races on one alert**: `sync-alert` looks the alert's ticket up, then creates one; two
//!   calls for one key at the same moment both miss and both create. The host therefore runs
//!   the calls that decide about one alert (`sync-alert`, `resolve-alert`, for one connector,
//!   PSA instance and alert key) one at a time, holding a lock on the key for the call; calls
//!   for other keys do not wait.
//! - **a budget that is not shared**: a PSA allows so many requests per instance (HaloPSA:
//!   300 per rolling 5 minutes), whichever process sends them.
//!
//! A [`Coordinator`] provides both. The host ships two: [`InProcessCoordinator`] (the default;
//! one process, nothing to install) and, with the `redis` feature, `RedisCoordinator` (many
//! processes sharing one Redis). Choose with [`HostConfig::coordination`]; a platform with
//! another store can implement the trait and pass it to
//! [`ConnectorHost::with_coordinator`](crate::ConnectorHost::with_coordinator).
//!
//! # Leases and fencing
//! A lock held in a shared store is a **lease**: it expires after
//! [`HostConfig::alert_lease`] unless renewed, so a host that dies holding it blocks the key
//! only that long. While a call runs the host renews its lease (every third of the lease). A
//! host that could not renew in time (paused, partitioned) may find that another host took
//! the key over; so before **every** request a locked call sends, the host checks, in the same
//! atomic step that takes the request's budget slot, that the lease is still its own. If not,
//! the request is never sent and the call fails with [`CoordinationError::LeaseLost`]: a host
//! whose lease expired cannot create a ticket after another took over. (What remains is the
//! time between that check and the request reaching the PSA: microseconds on a running host,
//! against a lease of seconds.)
//!
//! # The request budget
//! A request takes a slot before it is sent and keeps it while it is in flight; when its
//! response arrives, the slot is dated then, and it leaves the rolling window one window
//! later. Dating slots by the response rather than the start means that the PSA, which counts
//! requests when they arrive, never sees more than the budget within any window.
//!
//! [`HostConfig::coordination`]: crate::HostConfig::coordination
//! [`HostConfig::alert_lease`]: crate::HostConfig::alert_lease

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use crate::config::RateBudgetConfig;
use crate::rate::RateBudgetState;

mod call;
mod in_process;
#[cfg(feature = "redis")]
mod redis;

pub(crate) use call::{AlertLock, CallCoordination, HostCoordination};
pub use in_process::InProcessCoordinator;
#[cfg(feature = "redis")]
pub use redis::RedisCoordinator;

/// A boxed, sendable future: what [`Coordinator`]'s methods return, so that the trait can be
/// used as `dyn Coordinator`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A lock on one alert key, held until released or until it expires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// The locked key (connector, PSA instance and alert key; see
    /// [`ConnectorSession`](crate::ConnectorSession)).
    pub key: String,
    /// Unique to this holding of the lock: a lease is still held exactly when the store still
    /// maps the key to this token (the fencing check).
    pub token: String,
}

/// One request slot taken from a budget, to be finished when the response arrives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestSlot {
    /// Identifies the slot within its budget.
    pub id: String,
}

/// A coordination backend failed, or a call lost what it coordinated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CoordinationError {
    /// The backend could not be reached or answered with an error for longer than the host
    /// waits ([`RedisCoordination::unavailable_wait`](crate::config::RedisCoordination)). The
    /// call was not made, or stopped before its next request: retry it later.
    #[error("the coordination backend ({backend}) is unavailable: {message}; the call was not completed, retry it later")]
    Unavailable {
        /// Which backend (`redis`, ...).
        backend: &'static str,
        /// What failed (never a password).
        message: String,
    },
    /// The call's lease on its alert expired and another holder may have taken it over, so
    /// the call stopped before sending anything more. Retry it: the next attempt finds what
    /// the other holder did.
    #[error("the lease on alert lock `{key}` was lost (it expired or another host took it over); the call stopped before its next request, retry it")]
    LeaseLost {
        /// The locked key.
        key: String,
    },
    /// Another call held the alert's lock for the whole of this call's time budget.
    #[error("alert lock `{key}` stayed busy for {waited:?}; another call for the same alert is still running")]
    LockTimeout {
        /// The locked key.
        key: String,
        /// How long this call waited.
        waited: Duration,
    },
}

/// A coordination backend: per-instance request budgets and per-key leases, shared by every
/// session of a host and, for a shared store, by every host using it.
///
/// Implementations must make each method atomic with respect to every other user of the
/// store. Waiting methods are cancel-safe: dropping the future gives up without holding
/// anything (a slot or lease that was taken is released, or expires).
pub trait Coordinator: Send + Sync + 'static {
    /// A short name for errors and logs (`in-process`, `redis`).
    fn name(&self) -> &'static str;

    /// Takes a request slot of `instance`'s budget, waiting while the budget is used up. With
    /// a `lease`, first checks in the same atomic step that the lease is still held and
    /// fails with [`CoordinationError::LeaseLost`] if not. A slot never finished counts as in
    /// flight for `hold` and then as finished.
    fn take_request_slot<'a>(
        &'a self,
        instance: &'a str,
        budget: RateBudgetConfig,
        hold: Duration,
        lease: Option<&'a Lease>,
    ) -> BoxFuture<'a, Result<RequestSlot, CoordinationError>>;

    /// The slot's request got its response (or failed): the slot is dated now.
    fn finish_request_slot<'a>(
        &'a self,
        instance: &'a str,
        slot: RequestSlot,
    ) -> BoxFuture<'a, Result<(), CoordinationError>>;

    /// The state of `instance`'s budget, `None` if this backend has no record of it.
    fn budget_state<'a>(
        &'a self,
        instance: &'a str,
        budget: RateBudgetConfig,
    ) -> BoxFuture<'a, Result<Option<RateBudgetState>, CoordinationError>>;

    /// Takes the lease on `key` for `lease_for`, waiting while someone else holds it.
    fn lock<'a>(
        &'a self,
        key: &'a str,
        lease_for: Duration,
    ) -> BoxFuture<'a, Result<Lease, CoordinationError>>;

    /// Extends a held lease to `lease_for` from now: `false` if it is no longer held.
    fn renew<'a>(
        &'a self,
        lease: &'a Lease,
        lease_for: Duration,
    ) -> BoxFuture<'a, Result<bool, CoordinationError>>;

    /// Gives a lease back (nothing happens if it is no longer held).
    fn release(&self, lease: Lease) -> BoxFuture<'_, Result<(), CoordinationError>>;
}

/// A token no other lease of this process or, practically, of any other process uses:
/// process id, start time and a counter.
pub(crate) fn unique_token() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::OnceLock;
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    static PREFIX: OnceLock<String> = OnceLock::new();
    let prefix = PREFIX.get_or_init(|| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        format!("{:x}-{:x}", std::process::id(), nanos)
    });
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}-{n:x}")
}
