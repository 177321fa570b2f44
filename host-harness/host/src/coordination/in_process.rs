//! [`InProcessCoordinator`]: budgets and alert locks for the sessions of one process.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::OwnedMutexGuard;

use super::{unique_token, BoxFuture, CoordinationError, Coordinator, Lease, RequestSlot};
use crate::config::RateBudgetConfig;
use crate::rate::{RateBudgetState, RateBudgets};

/// The default [`Coordinator`]: the budgets and locks live in this process's memory, shared by
/// every session of the host. Leases never expire (a holder can only die with the process, and
/// with it every waiter), so renewing always succeeds. Nothing to install.
#[derive(Debug, Default)]
pub struct InProcessCoordinator {
    budgets: RateBudgets,
    /// One fair mutex per locked key; an entry lives while someone holds or waits for it.
    keys: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// The guards of the held leases, by token.
    held: Mutex<HashMap<String, (String, OwnedMutexGuard<()>)>>,
}

impl InProcessCoordinator {
    /// A coordinator with no budgets used and no locks held.
    pub fn new() -> Self {
        Self::default()
    }

    /// Alert keys locked or waited for right now (for tests and stats).
    pub fn keys_in_use(&self) -> usize {
        lock(&self.keys).len()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Removes `key`'s mutex from `keys` once nobody holds or waits for it.
struct KeyEntry<'a> {
    keys: &'a Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    key: &'a str,
}

impl Drop for KeyEntry<'_> {
    fn drop(&mut self) {
        let mut keys = lock(self.keys);
        // Only the map's own reference left: the mutex is neither held nor waited for.
        if keys
            .get(self.key)
            .is_some_and(|m| Arc::strong_count(m) == 1)
        {
            keys.remove(self.key);
        }
    }
}

impl Coordinator for InProcessCoordinator {
    fn name(&self) -> &'static str {
        "in-process"
    }

    fn take_request_slot<'a>(
        &'a self,
        instance: &'a str,
        budget: RateBudgetConfig,
        hold: Duration,
        _lease: Option<&'a Lease>,
    ) -> BoxFuture<'a, Result<RequestSlot, CoordinationError>> {
        Box::pin(async move {
            let id = self
                .budgets
                .budget_for(instance, budget)
                .acquire(hold)
                .await;
            Ok(RequestSlot { id: id.to_string() })
        })
    }

    fn finish_request_slot<'a>(
        &'a self,
        instance: &'a str,
        slot: RequestSlot,
    ) -> BoxFuture<'a, Result<(), CoordinationError>> {
        Box::pin(async move {
            if let (Some(budget), Ok(id)) = (self.budgets.get(instance), slot.id.parse()) {
                budget.finish(id);
            }
            Ok(())
        })
    }

    fn budget_state<'a>(
        &'a self,
        instance: &'a str,
        _budget: RateBudgetConfig,
    ) -> BoxFuture<'a, Result<Option<RateBudgetState>, CoordinationError>> {
        Box::pin(async move { Ok(self.budgets.get(instance).map(|b| b.snapshot())) })
    }

    fn lock<'a>(
        &'a self,
        key: &'a str,
        _lease_for: Duration,
    ) -> BoxFuture<'a, Result<Lease, CoordinationError>> {
        Box::pin(async move {
            let mutex = lock(&self.keys).entry(key.to_string()).or_default().clone();
            // Dropped (with this future, if cancelled) after the guard took its own reference.
            let _entry = KeyEntry {
                keys: &self.keys,
                key,
            };
            let guard = mutex.lock_owned().await;
            let token = unique_token();
            lock(&self.held).insert(token.clone(), (key.to_string(), guard));
            Ok(Lease {
                key: key.to_string(),
                token,
            })
        })
    }

    fn renew<'a>(
        &'a self,
        lease: &'a Lease,
        _lease_for: Duration,
    ) -> BoxFuture<'a, Result<bool, CoordinationError>> {
        Box::pin(async move { Ok(lock(&self.held).contains_key(&lease.token)) })
    }

    fn release(&self, lease: Lease) -> BoxFuture<'_, Result<(), CoordinationError>> {
        let released = lock(&self.held).remove(&lease.token);
        if let Some((key, guard)) = released {
            drop(guard);
            drop(KeyEntry {
                keys: &self.keys,
                key: &key,
            });
        }
        Box::pin(async { Ok(()) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LEASE: Duration = Duration::from_secs(30);

    #[tokio::test(start_paused = true)]
    async fn one_holder_per_key_and_other_keys_do_not_wait() {
        let c = Arc::new(InProcessCoordinator::new());
        let a = c.lock("k1", LEASE).await.unwrap();
        // Another key is free at once.
        let b = c.lock("k2", LEASE).await.unwrap();
        let waiter = {
            let c = c.clone();
            tokio::spawn(async move { c.lock("k1", LEASE).await.unwrap() })
        };
        tokio::time::sleep(Duration::from_secs(3600)).await;
        assert!(!waiter.is_finished(), "k1 is held");
        assert!(c.renew(&a, LEASE).await.unwrap());
        c.release(a.clone()).await.unwrap();
        assert!(!c.renew(&a, LEASE).await.unwrap(), "released");
        let a2 = waiter.await.unwrap();
        assert_ne!(a2.token, a.token);
        c.release(a2).await.unwrap();
        c.release(b).await.unwrap();
        assert_eq!(c.keys_in_use(), 0, "entries are cleaned up");
    }

    #[tokio::test(start_paused = true)]
    async fn a_cancelled_waiter_leaves_nothing_behind() {
        let c = Arc::new(InProcessCoordinator::new());
        let a = c.lock("k", LEASE).await.unwrap();
        let waiter = {
            let c = c.clone();
            tokio::spawn(async move { c.lock("k", LEASE).await })
        };
        tokio::task::yield_now().await;
        waiter.abort();
        let _ = waiter.await;
        c.release(a).await.unwrap();
        assert_eq!(c.keys_in_use(), 0);
    }
}
