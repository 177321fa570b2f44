//! [`RedisCoordinator`]: budgets and alert leases shared by every host using one Redis.
//!
//! Keys (all under the configured prefix, default `psa:`):
//! - `{prefix}budget:{instance}`: a sorted set of request slots scored by the microsecond
//!   they count from (finish time, or start + hold while in flight); expires when idle.
//! - `{prefix}lock:{key}`: the holder's lease token, with the lease as its TTL.
//!
//! Every step is one Lua script, so it is atomic across hosts; time is Redis's own clock
//! (`TIME`), so hosts with skewed clocks still share one window. Scripts are sent by hash and
//! reloaded after a Redis restart (the `redis` crate's `Script`).
//!
//! When Redis cannot be reached, each step is retried with a short backoff for up to
//! [`RedisCoordination::unavailable_wait`]; then it fails with
//! [`CoordinationError::Unavailable`], which the host returns as
//! [`HostError::Coordination`](crate::HostError::Coordination). Give Redis persistence
//! (`appendonly yes`) so that a restart keeps the budgets' windows: a Redis that loses its data
//! forgets the requests of the current window (the leases stay safe: a lost lease fails the
//! fencing check).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Client, Script};

use super::{unique_token, BoxFuture, CoordinationError, Coordinator, Lease, RequestSlot};
use crate::config::{RateBudgetConfig, RedisCoordination};
use crate::rate::RateBudgetState;

/// Takes a slot if the window has room. KEYS: budget, [lock]. ARGV: max, window µs, hold µs,
/// member, [token]. Returns 0 (taken), -1 (lease lost) or the µs to wait.
const TAKE_SLOT: &str = r"
if #KEYS > 1 and redis.call('GET', KEYS[2]) ~= ARGV[5] then return -1 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[4])
  redis.call('PEXPIRE', KEYS[1], math.ceil((window + tonumber(ARGV[3])) / 1000) + 1000)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local wait = tonumber(oldest[2]) + window - now
if wait < 1 then wait = 1 end
return wait
";

/// Dates a slot now. KEYS: budget. ARGV: member.
const FINISH_SLOT: &str = r"
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  local t = redis.call('TIME')
  redis.call('ZADD', KEYS[1], 'XX', tonumber(t[1]) * 1000000 + tonumber(t[2]), ARGV[1])
end
return 0
";

/// Slots within the window. KEYS: budget. ARGV: window µs.
const COUNT_SLOTS: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[1]))
return redis.call('ZCARD', KEYS[1])
";

/// Takes a lease (again, if a retry follows a lost reply). KEYS: lock. ARGV: token, lease ms.
/// Returns 0 (taken) or the holder's ms left.
const LOCK: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 0
end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 0 end
local left = redis.call('PTTL', KEYS[1])
if left < 1 then left = 1 end
return left
";

/// Extends a lease still held. KEYS: lock. ARGV: token, lease ms. Returns 1 or 0.
const RENEW: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
";

/// Gives a lease back if still held. KEYS: lock. ARGV: token.
const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0
";

/// Longest pause between two polls of a busy budget or lock: waiters poll rather than
/// subscribe, so that a lost notification can never strand one.
const MAX_POLL: Duration = Duration::from_millis(50);

/// A [`Coordinator`] on a Redis server (the `redis` crate, async, one multiplexed connection
/// that reconnects by itself). Build it from a [`RedisCoordination`] with
/// [`Self::connect`]; it connects lazily, so a host starts even while Redis is down.
pub struct RedisCoordinator {
    connection: ConnectionManager,
    prefix: String,
    unavailable_wait: Duration,
    /// This host's waiters per budget (the `queued` of [`RateBudgetState`]).
    queued: Mutex<HashMap<String, Arc<AtomicU32>>>,
    take_slot: Script,
    finish_slot: Script,
    count_slots: Script,
    lock: Script,
    renew: Script,
    release: Script,
}

impl std::fmt::Debug for RedisCoordinator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisCoordinator")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisCoordinator {
    /// A coordinator for `config.url`. Fails only on a malformed URL; the connection is made
    /// on first use and remade after failures.
    pub fn connect(config: &RedisCoordination) -> Result<Self, CoordinationError> {
        let client = Client::open(config.url.as_str()).map_err(|e| unavailable(&e))?;
        let manager_config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(1)))
            .set_response_timeout(Some(Duration::from_secs(2)))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(200));
        let connection = ConnectionManager::new_lazy_with_config(client, manager_config)
            .map_err(|e| unavailable(&e))?;
        Ok(Self {
            connection,
            prefix: config.key_prefix.clone(),
            unavailable_wait: config.unavailable_wait,
            queued: Mutex::default(),
            take_slot: Script::new(TAKE_SLOT),
            finish_slot: Script::new(FINISH_SLOT),
            count_slots: Script::new(COUNT_SLOTS),
            lock: Script::new(LOCK),
            renew: Script::new(RENEW),
            release: Script::new(RELEASE),
        })
    }

    fn budget_key(&self, instance: &str) -> String {
        format!("{}budget:{instance}", self.prefix)
    }

    fn lock_key(&self, key: &str) -> String {
        format!("{}lock:{key}", self.prefix)
    }

    /// Runs `script`, retrying while Redis is unreachable for up to `unavailable_wait`.
    async fn run(
        &self,
        script: &Script,
        keys: &[&str],
        args: &[String],
    ) -> Result<i64, CoordinationError> {
        let give_up = tokio::time::Instant::now() + self.unavailable_wait;
        let mut pause = Duration::from_millis(10);
        loop {
            let mut invocation = script.prepare_invoke();
            for key in keys {
                invocation.key(*key);
            }
            for arg in args {
                invocation.arg(arg);
            }
            let mut connection = self.connection.clone();
            match invocation.invoke_async::<i64>(&mut connection).await {
                Ok(value) => return Ok(value),
                Err(err) if tokio::time::Instant::now() + pause < give_up => {
                    tracing::debug!(error = %err, "redis unavailable; retrying");
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_millis(250));
                }
                Err(err) => return Err(unavailable(&err)),
            }
        }
    }

    fn queued_counter(&self, instance: &str) -> Arc<AtomicU32> {
        let mut queued = self.queued.lock().unwrap_or_else(|p| p.into_inner());
        queued.entry(instance.to_string()).or_default().clone()
    }
}

/// A Redis error as [`CoordinationError::Unavailable`]. The `redis` crate's messages name
/// the server's address, never its password.
fn unavailable(err: &redis::RedisError) -> CoordinationError {
    CoordinationError::Unavailable {
        backend: "redis",
        message: err.to_string(),
    }
}

fn micros(d: Duration) -> String {
    d.as_micros().max(1).to_string()
}

fn millis(d: Duration) -> String {
    d.as_millis().max(1).to_string()
}

/// How long to sleep before polling again, given the wait the script computed (µs or ms).
fn poll_pause(wait: Duration) -> Duration {
    wait.clamp(Duration::from_millis(1), MAX_POLL)
}

impl Coordinator for RedisCoordinator {
    fn name(&self) -> &'static str {
        "redis"
    }

    fn take_request_slot<'a>(
        &'a self,
        instance: &'a str,
        budget: RateBudgetConfig,
        hold: Duration,
        lease: Option<&'a Lease>,
    ) -> BoxFuture<'a, Result<RequestSlot, CoordinationError>> {
        Box::pin(async move {
            let budget_key = self.budget_key(instance);
            let lock_key = lease.map(|l| self.lock_key(&l.key));
            let mut keys = vec![budget_key.as_str()];
            keys.extend(lock_key.as_deref());
            let member = unique_token();
            let mut args = vec![
                budget.max_requests.max(1).to_string(),
                micros(budget.window),
                micros(hold),
                member.clone(),
            ];
            args.extend(lease.map(|l| l.token.clone()));
            let counter = self.queued_counter(instance);
            let mut queued = None;
            loop {
                match self.run(&self.take_slot, &keys, &args).await? {
                    0 => return Ok(RequestSlot { id: member }),
                    -1 => {
                        return Err(CoordinationError::LeaseLost {
                            key: lease.map_or_else(String::new, |l| l.key.clone()),
                        })
                    }
                    wait => {
                        queued.get_or_insert_with(|| QueuedGuard::new(counter.clone()));
                        let wait = Duration::from_micros(u64::try_from(wait).unwrap_or(1));
                        tokio::time::sleep(poll_pause(wait)).await;
                    }
                }
            }
        })
    }

    fn finish_request_slot<'a>(
        &'a self,
        instance: &'a str,
        slot: RequestSlot,
    ) -> BoxFuture<'a, Result<(), CoordinationError>> {
        Box::pin(async move {
            let key = self.budget_key(instance);
            self.run(&self.finish_slot, &[&key], &[slot.id]).await?;
            Ok(())
        })
    }

    fn budget_state<'a>(
        &'a self,
        instance: &'a str,
        budget: RateBudgetConfig,
    ) -> BoxFuture<'a, Result<Option<RateBudgetState>, CoordinationError>> {
        Box::pin(async move {
            let key = self.budget_key(instance);
            let used = self
                .run(&self.count_slots, &[&key], &[micros(budget.window)])
                .await?;
            let used = u32::try_from(used).unwrap_or(u32::MAX);
            let max_requests = budget.max_requests.max(1);
            Ok(Some(RateBudgetState {
                used,
                remaining: max_requests.saturating_sub(used),
                queued: self.queued_counter(instance).load(Ordering::Relaxed),
                max_requests,
                window: budget.window,
            }))
        })
    }

    fn lock<'a>(
        &'a self,
        key: &'a str,
        lease_for: Duration,
    ) -> BoxFuture<'a, Result<Lease, CoordinationError>> {
        Box::pin(async move {
            let lock_key = self.lock_key(key);
            let token = unique_token();
            let args = [token.clone(), millis(lease_for)];
            loop {
                match self.run(&self.lock, &[&lock_key], &args).await? {
                    0 => {
                        return Ok(Lease {
                            key: key.to_string(),
                            token,
                        })
                    }
                    left => {
                        let left = Duration::from_millis(u64::try_from(left).unwrap_or(1));
                        tokio::time::sleep(poll_pause(left)).await;
                    }
                }
            }
        })
    }

    fn renew<'a>(
        &'a self,
        lease: &'a Lease,
        lease_for: Duration,
    ) -> BoxFuture<'a, Result<bool, CoordinationError>> {
        Box::pin(async move {
            let lock_key = self.lock_key(&lease.key);
            let held = self
                .run(
                    &self.renew,
                    &[&lock_key],
                    &[lease.token.clone(), millis(lease_for)],
                )
                .await?;
            Ok(held == 1)
        })
    }

    fn release(&self, lease: Lease) -> BoxFuture<'_, Result<(), CoordinationError>> {
        Box::pin(async move {
            let lock_key = self.lock_key(&lease.key);
            self.run(&self.release, &[&lock_key], &[lease.token])
                .await?;
            Ok(())
        })
    }
}

/// Counts one waiter of this host while it polls.
struct QueuedGuard(Arc<AtomicU32>);

impl QueuedGuard {
    fn new(counter: Arc<AtomicU32>) -> Self {
        counter.fetch_add(1, Ordering::Relaxed);
        Self(counter)
    }
}

impl Drop for QueuedGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}
