//! Host limits and policy knobs: [`HostConfig`] and [`RateBudgetConfig`].

use std::path::PathBuf;
use std::time::Duration;

/// Limits and policy a [`ConnectorHost`](crate::ConnectorHost) applies to every connector it
/// loads. `HostConfig::default()` is a sane production setting; override single fields with
/// struct update syntax:
///
/// ```
/// use std::time::Duration;
/// use psa_host::HostConfig;
///
/// let config = HostConfig { call_timeout: Duration::from_secs(30), ..HostConfig::default() };
/// assert_eq!(config.memory_limit_bytes, 64 << 20);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostConfig {
    /// Wall-clock budget of one connector call (an operation, `info` or `session.open`),
    /// including the HTTP requests it makes. A call that runs out traps with a timeout and
    /// poisons its session. Default: 60 s.
    pub call_timeout: Duration,
    /// Maximum linear memory of one connector instance. Growing past it traps. Default: 64 MiB.
    pub memory_limit_bytes: usize,
    /// Upper bound for each of the guest's HTTP timeouts (connect, first byte, between bytes);
    /// a guest asking for more, or for none, gets this. Default: 30 s.
    pub request_timeout: Duration,
    /// Maximum size of one HTTP response body the guest may read; a longer body fails the
    /// read rather than being buffered. Default: 16 MiB.
    pub max_response_bytes: u64,
    /// Limit for the in-memory size of the header fields of one request or response.
    /// Default: 64 KiB.
    pub max_header_bytes: usize,
    /// When true (the default), plain `http` is allowed only to loopback hosts (`127.0.0.0/8`,
    /// `::1`, `localhost`); every other host must be reached over `https`.
    pub allow_plain_http_to_loopback_only: bool,
    /// Client-side rate budget per PSA instance (`scheme://host:port`), shared by all sessions
    /// of this host and, with [`Coordination::Redis`], by every host using that Redis. Requests
    /// beyond the budget wait for a slot. `None` disables it.
    /// Default: 300 requests per rolling 300 s (HaloPSA's documented limit).
    pub rate_budget: Option<RateBudgetConfig>,
    /// Where the rate budgets and the per-alert locks live: this process (the default) or a
    /// Redis shared by every host of a fleet (with the `redis` feature). See
    /// [`crate::coordination`].
    pub coordination: Coordination,
    /// How long a host holds an alert's lock in a shared backend without renewing it. A
    /// running call renews it every third of this; a host that dies holding it blocks the
    /// alert for at most this long. Default: 30 s.
    pub alert_lease: Duration,
    /// A directory where [`ConnectorHost::load`](crate::ConnectorHost::load) keeps the
    /// compiled form of each component it loads, keyed by the component's SHA-256 and the
    /// engine's compatibility hash (wasmtime version, compiler settings, CPU features), so a
    /// later process loads it in milliseconds instead of compiling it again. The directory
    /// must belong to the host: whoever can write into it can run native code in the host's
    /// process (see [`crate::cache`]). `None` (the default) compiles on every load.
    pub compile_cache: Option<PathBuf>,
    /// wasmtime's pooling instance allocator: slots for instances, memories, tables and
    /// stacks reserved once when the host starts, so opening a session reuses a slot instead
    /// of mapping fresh memory. `None` (the default) allocates on demand; see [`PoolingConfig`]
    /// for what the pool costs and when it pays.
    pub pooling: Option<PoolingConfig>,
    /// CA certificates the host trusts in addition to the Mozilla root program
    /// (`webpki-roots`, compiled in; the system's store is not read): each entry is PEM text
    /// holding one or more `-----BEGIN CERTIFICATE-----` blocks. For a self-hosted HaloPSA or
    /// an on-premise ConnectWise behind an internal CA. An entry that is not valid PEM or
    /// holds no usable certificate fails [`ConnectorHost::new`](crate::ConnectorHost::new)
    /// with [`HostError::InvalidCaCertificate`](crate::HostError::InvalidCaCertificate)
    /// naming its index. Default: none.
    ///
    /// ```no_run
    /// use psa_host::{ConnectorHost, HostConfig};
    ///
    /// # fn run() -> anyhow::Result<()> {
    /// let internal_ca = std::fs::read_to_string("/etc/acme/internal-ca.pem")?;
    /// let host = ConnectorHost::new(HostConfig {
    ///     extra_ca_pem: vec![internal_ca],
    ///     ..HostConfig::default()
    /// })?;
    /// # Ok(())
    /// # }
    /// ```
    pub extra_ca_pem: Vec<String>,
    /// Idle keep-alive connections the host keeps per PSA instance (`scheme://host:port`)
    /// for later requests of any of its sessions. Connections in use are bounded by the
    /// requests in flight (sessions calling at once, the rate budget), not by this; see
    /// [`crate::http_client`]. Zero disables reuse. Default: 32.
    pub max_idle_connections_per_instance: usize,
    /// How long an idle connection is kept before it is closed. Default: 60 s.
    pub idle_connection_timeout: Duration,
}

/// Limits of the pooling allocator ([`HostConfig::pooling`]). Each slot's linear memory is
/// capped at [`HostConfig::memory_limit_bytes`]; the pool reserves address space (not
/// memory) for `max_instances` instances up front: about 4 GiB of virtual address space per
/// linear memory (wasmtime's default reservation, which lets it elide bounds checks), so
/// 1,000 instances reserve some 8 TiB of the 128 TiB a 64-bit process has. Resident memory
/// grows only with what the guests touch.
///
/// With the pool full, opening another session fails with
/// [`HostError::Instantiate`](crate::HostError::Instantiate) instead of waiting: size `max_instances` for the sessions a host keeps
/// open at once (the platform's own concurrency bound).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolingConfig {
    /// Connector instances (sessions, plus the one `info` runs in) alive at the same time.
    /// Default: 1,000.
    pub max_instances: u32,
    /// Core wasm instances one component may contain (a Rust connector has a handful:
    /// its module and the component model's shims). Default: 16.
    pub max_core_instances_per_component: u32,
    /// Linear memories one component may contain. Default: 2.
    pub max_memories_per_component: u32,
    /// Tables one component may contain. Default: 4.
    pub max_tables_per_component: u32,
    /// Slots a host keeps warm for reuse after their instance is gone (wasmtime's
    /// `max_unused_warm_slots`). Default: 100.
    pub max_unused_warm_slots: u32,
}

impl Default for PoolingConfig {
    fn default() -> Self {
        Self {
            max_instances: 1000,
            max_core_instances_per_component: 16,
            max_memories_per_component: 2,
            max_tables_per_component: 4,
            max_unused_warm_slots: 100,
        }
    }
}

impl Default for HostConfig {
    fn default() -> Self {
        Self {
            call_timeout: Duration::from_secs(60),
            memory_limit_bytes: 64 << 20,
            request_timeout: Duration::from_secs(30),
            max_response_bytes: 16 << 20,
            max_header_bytes: 64 << 10,
            allow_plain_http_to_loopback_only: true,
            rate_budget: Some(RateBudgetConfig::default()),
            coordination: Coordination::InProcess,
            alert_lease: Duration::from_secs(30),
            compile_cache: None,
            pooling: None,
            extra_ca_pem: Vec::new(),
            max_idle_connections_per_instance: 32,
            idle_connection_timeout: Duration::from_secs(60),
        }
    }
}

/// A rolling-window request budget: at most `max_requests` requests start within any `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateBudgetConfig {
    /// Requests allowed per window. Zero is treated as one.
    pub max_requests: u32,
    /// Length of the rolling window.
    pub window: Duration,
}

impl Default for RateBudgetConfig {
    fn default() -> Self {
        Self {
            max_requests: 300,
            window: Duration::from_secs(300),
        }
    }
}

/// Which coordination backend a host uses ([`HostConfig::coordination`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Coordination {
    /// Budgets and locks in this process: every session of the host shares them; other
    /// processes do not. Nothing to install.
    #[default]
    InProcess,
    /// Budgets and leases in a Redis server shared by every host of a fleet (needs the
    /// `redis` feature).
    Redis(RedisCoordination),
}

/// Where and how to reach the Redis of [`Coordination::Redis`].
#[derive(Clone, PartialEq, Eq)]
pub struct RedisCoordination {
    /// `redis://[:password@]host:port[/db]` (or `rediss://` for TLS). Never logged.
    pub url: String,
    /// Prefix of every key the host writes, so that several fleets can share one Redis.
    /// Default: `psa:`.
    pub key_prefix: String,
    /// How long a step keeps retrying while Redis is unreachable before the call fails with
    /// [`CoordinationError::Unavailable`](crate::coordination::CoordinationError). Default: 10 s.
    pub unavailable_wait: Duration,
}

impl RedisCoordination {
    /// The defaults for a Redis at `url`.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            key_prefix: "psa:".to_string(),
            unavailable_wait: Duration::from_secs(10),
        }
    }
}

impl std::fmt::Debug for RedisCoordination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may carry a password.
        let url = url::Url::parse(&self.url).map_or_else(
            |_| "<unparseable>".to_string(),
            |mut url| {
                if url.password().is_some() {
                    let _ = url.set_password(Some("***"));
                }
                url.to_string()
            },
        );
        f.debug_struct("RedisCoordination")
            .field("url", &url)
            .field("key_prefix", &self.key_prefix)
            .field("unavailable_wait", &self.unavailable_wait)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_redis_password_never_shows_in_debug() {
        let config = HostConfig {
            coordination: Coordination::Redis(RedisCoordination::new(
                "redis://:hunter2@10.0.0.5:6379/0",
            )),
            ..HostConfig::default()
        };
        let shown = format!("{config:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("10.0.0.5:6379"), "{shown}");
    }
}
