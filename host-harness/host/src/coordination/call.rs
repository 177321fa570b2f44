//! How a host uses its [`Coordinator`]: [`HostCoordination`] (one per host), [`AlertLock`] (one
//! per locked call, renewing its lease) and [`CallCoordination`] (one per store: what the HTTP
//! hooks check before each request of the running call).

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::{CoordinationError, Coordinator, InProcessCoordinator, Lease, RequestSlot};
use crate::config::RateBudgetConfig;
use crate::rate::RateBudgetState;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A host's coordination: its own in-process coordinator, which always serialises the calls of
/// its sessions on one alert, and the shared backend, if one is configured, which serialises
/// them across hosts and holds the request budgets.
pub(crate) struct HostCoordination {
    local: Arc<InProcessCoordinator>,
    shared: Option<Arc<dyn Coordinator>>,
    budget: Option<RateBudgetConfig>,
    lease_for: Duration,
    /// How long a request slot counts as in flight if it is never finished.
    hold: Duration,
    /// Instances whose budget this host used, for [`Self::budget_states`].
    instances: Mutex<BTreeSet<String>>,
}

impl HostCoordination {
    pub(crate) fn new(
        shared: Option<Arc<dyn Coordinator>>,
        budget: Option<RateBudgetConfig>,
        lease_for: Duration,
        request_timeout: Duration,
    ) -> Self {
        Self {
            local: Arc::new(InProcessCoordinator::new()),
            shared,
            budget,
            lease_for,
            // Connect and first byte may each take the request timeout.
            hold: request_timeout * 2 + Duration::from_secs(1),
            instances: Mutex::default(),
        }
    }

    /// The backend that holds the budgets: the shared one if any.
    fn budgets(&self) -> &dyn Coordinator {
        match &self.shared {
            Some(shared) => shared.as_ref(),
            None => self.local.as_ref(),
        }
    }

    /// The name of the backend that coordinates across hosts (`in-process` when none does).
    pub(crate) fn backend_name(&self) -> &'static str {
        self.budgets().name()
    }

    /// Before a request to `instance`: checks the call's lease (fencing) and takes a budget
    /// slot. `None` when budgets are disabled.
    async fn before_request(
        &self,
        instance: &str,
        lease: Option<&Lease>,
    ) -> Result<Option<RequestSlot>, CoordinationError> {
        let Some(budget) = self.budget else {
            if let (Some(shared), Some(lease)) = (&self.shared, lease) {
                if !shared.renew(lease, self.lease_for).await? {
                    return Err(CoordinationError::LeaseLost {
                        key: lease.key.clone(),
                    });
                }
            }
            return Ok(None);
        };
        {
            let mut instances = lock(&self.instances);
            // Every request passes here: allocate the key only the first time.
            if !instances.contains(instance) {
                instances.insert(instance.to_string());
            }
        }
        self.budgets()
            .take_request_slot(instance, budget, self.hold, lease)
            .await
            .map(Some)
    }

    /// After a request to `instance` got its response or failed.
    async fn after_request(&self, instance: &str, slot: RequestSlot) {
        if let Err(err) = self.budgets().finish_request_slot(instance, slot).await {
            // The slot then counts as in flight for `hold`: conservative, never over budget.
            tracing::warn!(%instance, error = %err, "could not date a finished request slot");
        }
    }

    /// The state of `instance`'s budget.
    pub(crate) async fn budget_state(
        &self,
        instance: &str,
    ) -> Result<Option<RateBudgetState>, CoordinationError> {
        match self.budget {
            Some(budget) => self.budgets().budget_state(instance, budget).await,
            None => Ok(None),
        }
    }

    /// Every budget this host used, by instance.
    pub(crate) async fn budget_states(
        &self,
    ) -> Result<Vec<(String, RateBudgetState)>, CoordinationError> {
        let instances: Vec<String> = lock(&self.instances).iter().cloned().collect();
        let mut states = Vec::new();
        for instance in instances {
            if let Some(state) = self.budget_state(&instance).await? {
                states.push((instance, state));
            }
        }
        Ok(states)
    }

    /// Locks `key` for one call: in this process, then in the shared backend (renewing the
    /// lease until the lock is released).
    pub(crate) async fn lock_alert(
        self: &Arc<Self>,
        key: &str,
    ) -> Result<AlertLock, CoordinationError> {
        let local = self.local.lock(key, self.lease_for).await?;
        let mut alert_lock = AlertLock {
            host: self.clone(),
            local: Some(local),
            shared: None,
            lost: Arc::new(AtomicBool::new(false)),
            heartbeat: None,
        };
        if let Some(shared) = &self.shared {
            // On failure `alert_lock` drops here and gives the local lock back.
            let lease = shared.lock(key, self.lease_for).await?;
            alert_lock.heartbeat = Some(spawn_heartbeat(
                shared.clone(),
                lease.clone(),
                self.lease_for,
                alert_lock.lost.clone(),
            ));
            alert_lock.shared = Some(lease);
        }
        Ok(alert_lock)
    }
}

/// Renews `lease` every third of its length until aborted; marks it lost when a renewal finds
/// it gone or cannot reach the backend before it would have expired.
fn spawn_heartbeat(
    shared: Arc<dyn Coordinator>,
    lease: Lease,
    lease_for: Duration,
    lost: Arc<AtomicBool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let every = lease_for / 3;
        let mut expires = tokio::time::Instant::now() + lease_for;
        loop {
            tokio::time::sleep(every).await;
            let attempt = tokio::time::Instant::now();
            match tokio::time::timeout_at(expires, shared.renew(&lease, lease_for)).await {
                Ok(Ok(true)) => expires = attempt + lease_for,
                Ok(Ok(false)) => {
                    tracing::warn!(key = %lease.key, "alert lease lost: another holder has it");
                    lost.store(true, Ordering::SeqCst);
                    return;
                }
                Ok(Err(err)) if attempt + every < expires => {
                    tracing::warn!(key = %lease.key, error = %err, "could not renew the alert lease; retrying");
                }
                Ok(Err(_)) | Err(_) => {
                    tracing::warn!(key = %lease.key, "could not renew the alert lease before it expired");
                    lost.store(true, Ordering::SeqCst);
                    return;
                }
            }
        }
    })
}

/// The lock of one alert held for one call. Give it back with [`Self::release`]; dropped
/// without that (the call's future was cancelled), it releases in the background.
pub(crate) struct AlertLock {
    host: Arc<HostCoordination>,
    local: Option<Lease>,
    shared: Option<Lease>,
    lost: Arc<AtomicBool>,
    heartbeat: Option<tokio::task::JoinHandle<()>>,
}

impl AlertLock {
    /// The shared lease and its lost flag, for the hooks' fencing check.
    fn fence(&self) -> Option<(Lease, Arc<AtomicBool>)> {
        self.shared.clone().map(|l| (l, self.lost.clone()))
    }

    /// Gives the lock back: the shared lease first, then the local one.
    pub(crate) async fn release(mut self) {
        if let Some(heartbeat) = self.heartbeat.take() {
            heartbeat.abort();
        }
        if let (Some(shared), Some(lease)) = (&self.host.shared, self.shared.take()) {
            if let Err(err) = shared.release(lease).await {
                // It expires by itself after the lease time.
                tracing::warn!(error = %err, "could not release an alert lease");
            }
        }
        if let Some(local) = self.local.take() {
            let _ = self.host.local.release(local).await;
        }
    }
}

impl Drop for AlertLock {
    fn drop(&mut self) {
        if let Some(heartbeat) = self.heartbeat.take() {
            heartbeat.abort();
        }
        if let (Some(shared), Some(lease)) = (self.host.shared.clone(), self.shared.take()) {
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                runtime.spawn(async move {
                    let _ = shared.release(lease).await;
                });
            }
        }
        if let Some(local) = self.local.take() {
            // The in-process release is done before its future is first polled.
            drop(self.host.local.release(local));
        }
    }
}

/// What the HTTP hooks of one store check and record for the running call: the lease it holds
/// (if it is a locked call) and the first coordination failure it met.
pub(crate) struct CallCoordination {
    host: Arc<HostCoordination>,
    fence: Mutex<Option<(Lease, Arc<AtomicBool>)>>,
    failure: Mutex<Option<CoordinationError>>,
}

impl CallCoordination {
    pub(crate) fn new(host: Arc<HostCoordination>) -> Self {
        Self {
            host,
            fence: Mutex::default(),
            failure: Mutex::default(),
        }
    }

    /// A call starts: under `alert_lock`, if it is a locked call.
    pub(crate) fn begin(&self, alert_lock: Option<&AlertLock>) {
        *lock(&self.fence) = alert_lock.and_then(AlertLock::fence);
        *lock(&self.failure) = None;
    }

    /// The call ended: the first coordination failure it met, if any.
    pub(crate) fn end(&self) -> Option<CoordinationError> {
        *lock(&self.fence) = None;
        lock(&self.failure).take()
    }

    /// Before each request: fencing and the budget slot. A failure is recorded for
    /// [`Self::end`] and the request is not sent.
    pub(crate) async fn before_request(
        &self,
        instance: &str,
    ) -> Result<Option<RequestSlot>, CoordinationError> {
        let fence = lock(&self.fence).clone();
        let result = match &fence {
            Some((lease, lost)) if lost.load(Ordering::SeqCst) => {
                Err(CoordinationError::LeaseLost {
                    key: lease.key.clone(),
                })
            }
            _ => {
                self.host
                    .before_request(instance, fence.as_ref().map(|(l, _)| l))
                    .await
            }
        };
        if let Err(err) = &result {
            if let Some((_, lost)) = &fence {
                if matches!(err, CoordinationError::LeaseLost { .. }) {
                    lost.store(true, Ordering::SeqCst);
                }
            }
            lock(&self.failure).get_or_insert_with(|| err.clone());
        }
        result
    }

    /// After each request that took a slot.
    pub(crate) async fn after_request(&self, instance: &str, slot: Option<RequestSlot>) {
        if let Some(slot) = slot {
            self.host.after_request(instance, slot).await;
        }
    }
}
