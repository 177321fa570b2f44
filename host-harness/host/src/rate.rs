//! [`RateBudget`]: the in-process rolling-window request budget of one PSA instance.
//!
//! PSAs throttle per instance (HaloPSA: 300 requests per rolling 5 minutes), and every session
//! talking to one instance shares that allowance. Requests that would exceed it **wait** for a
//! slot instead of failing; the waiting time counts against the call's own timeout.
//!
//! A request holds its slot while it is in flight and is dated when it finishes (its response
//! arrived): it leaves the window one window after that. A PSA counting arrivals therefore
//! never sees more than the budget in any window. A slot never finished (its request was
//! dropped) counts as in flight for its `hold` and then as finished.
//!
//! Time is tokio's clock ([`tokio::time::Instant`]): the same as the system's monotonic clock in
//! a normal runtime, and a clock the tests can pause and advance.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use crate::config::RateBudgetConfig;

/// A point-in-time view of a rate budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateBudgetState {
    /// Requests in flight or finished within the current window.
    pub used: u32,
    /// Requests that may start now without waiting.
    pub remaining: u32,
    /// Requests of this host waiting for a slot.
    pub queued: u32,
    /// The budget's size.
    pub max_requests: u32,
    /// The rolling window.
    pub window: Duration,
}

/// A rolling-window limiter shared by all sessions of one host that talk to one PSA instance.
#[derive(Debug)]
pub struct RateBudget {
    max_requests: u32,
    window: Duration,
    /// Slot id → when it counts from: its finish time, or (in flight) start + hold.
    slots: Mutex<HashMap<u64, Instant>>,
    next_id: AtomicU64,
    /// Wakes waiters when a slot finishes early.
    finished: Notify,
    /// Serialises waiters so that they get slots in arrival order (tokio's mutex is fair).
    gate: tokio::sync::Mutex<()>,
    queued: AtomicU32,
}

impl RateBudget {
    /// A budget of `config.max_requests` per `config.window`.
    pub fn new(config: RateBudgetConfig) -> Self {
        Self {
            max_requests: config.max_requests.max(1),
            window: config.window,
            slots: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(0),
            finished: Notify::new(),
            gate: tokio::sync::Mutex::new(()),
            queued: AtomicU32::new(0),
        }
    }

    /// Takes a slot, waiting until one is free, and returns its id for [`Self::finish`]. A
    /// slot never finished counts as in flight for `hold`. Cancel-safe: dropping the future
    /// gives up the place in the queue.
    pub async fn acquire(&self, hold: Duration) -> u64 {
        // Fast path, unless others are already waiting: a newcomer does not jump the queue.
        if self.queued.load(Ordering::Relaxed) == 0 {
            if let Ok(id) = self.try_take(Instant::now(), hold) {
                return id;
            }
        }
        self.queued.fetch_add(1, Ordering::Relaxed);
        let _queued = QueuedGuard(&self.queued);
        let _turn = self.gate.lock().await;
        loop {
            let finished = self.finished.notified();
            match self.try_take(Instant::now(), hold) {
                Ok(id) => return id,
                Err(free_at) => {
                    tokio::select! {
                        () = tokio::time::sleep_until(free_at) => {}
                        () = finished => {}
                    }
                }
            }
        }
    }

    /// The slot's request finished: it counts from now and leaves the window one window later.
    pub fn finish(&self, id: u64) {
        let now = Instant::now();
        if let Some(at) = self.lock().get_mut(&id) {
            *at = now;
        }
        self.finished.notify_waiters();
    }

    /// The budget's current state.
    pub fn snapshot(&self) -> RateBudgetState {
        let mut slots = self.lock();
        prune(&mut slots, Instant::now(), self.window);
        let used = u32::try_from(slots.len()).unwrap_or(u32::MAX);
        RateBudgetState {
            used,
            remaining: self.max_requests.saturating_sub(used),
            queued: self.queued.load(Ordering::Relaxed),
            max_requests: self.max_requests,
            window: self.window,
        }
    }

    /// Takes a slot at `now` if one is free; otherwise tells when the next one frees up.
    fn try_take(&self, now: Instant, hold: Duration) -> Result<u64, Instant> {
        let mut slots = self.lock();
        prune(&mut slots, now, self.window);
        if slots.len() < self.max_requests as usize {
            let id = self.next_id.fetch_add(1, Ordering::Relaxed);
            slots.insert(id, now + hold);
            Ok(id)
        } else {
            let oldest = slots.values().min().copied().unwrap_or(now);
            Err(oldest + self.window)
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Instant>> {
        self.slots
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Drops the slots that left the window: dated at least one window ago.
fn prune(slots: &mut HashMap<u64, Instant>, now: Instant, window: Duration) {
    slots.retain(|_, at| {
        now.checked_duration_since(*at)
            .is_none_or(|age| age < window)
    });
}

struct QueuedGuard<'a>(&'a AtomicU32);

impl Drop for QueuedGuard<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The in-process budgets of one host, keyed by instance (`scheme://host:port`).
#[derive(Debug, Default)]
pub(crate) struct RateBudgets {
    budgets: Mutex<HashMap<String, Arc<RateBudget>>>,
}

impl RateBudgets {
    /// The budget for `instance`, created with `config` on first use.
    pub(crate) fn budget_for(&self, instance: &str, config: RateBudgetConfig) -> Arc<RateBudget> {
        let mut budgets = self.budgets.lock().unwrap_or_else(|p| p.into_inner());
        budgets
            .entry(instance.to_string())
            .or_insert_with(|| Arc::new(RateBudget::new(config)))
            .clone()
    }

    /// The budget for `instance`, if it has been used.
    pub(crate) fn get(&self, instance: &str) -> Option<Arc<RateBudget>> {
        let budgets = self.budgets.lock().unwrap_or_else(|p| p.into_inner());
        budgets.get(instance).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Every timed test runs on tokio's paused clock: time advances only when every task is
    // waiting (auto-advance) or when the test advances it, so the assertions are exact and
    // no loaded machine can break them.

    const HOLD: Duration = Duration::from_secs(3600);

    /// A request that finishes the moment it starts.
    async fn take(b: &RateBudget) {
        let slot = b.acquire(HOLD).await;
        b.finish(slot);
    }

    fn budget(max_requests: u32, millis: u64) -> Arc<RateBudget> {
        Arc::new(RateBudget::new(RateBudgetConfig {
            max_requests,
            window: Duration::from_millis(millis),
        }))
    }

    #[tokio::test(start_paused = true)]
    async fn within_budget_does_not_wait() {
        let b = budget(3, 60_000);
        let started = Instant::now();
        for _ in 0..3 {
            take(&b).await;
        }
        // Not one tick of (paused) time passed: nothing waited.
        assert_eq!(started.elapsed(), Duration::ZERO);
        let s = b.snapshot();
        assert_eq!(
            (s.used, s.remaining, s.queued, s.max_requests),
            (3, 0, 0, 3)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn over_budget_waits_for_the_window() {
        let b = budget(2, 300);
        let started = Instant::now();
        for _ in 0..3 {
            take(&b).await;
        }
        let waited = started.elapsed();
        assert!(
            waited >= Duration::from_millis(290),
            "waited only {waited:?}"
        );
        // Exactly one window: the third request starts when the first one leaves it.
        assert_eq!(waited, Duration::from_millis(300), "waited {waited:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_waiter_gets_its_slot_exactly_when_the_window_rolls() {
        let b = budget(1, 1_000);
        take(&b).await;
        let waiter = {
            let b = b.clone();
            tokio::spawn(async move { take(&b).await })
        };
        // Until the window has rolled, the waiter is queued, not served.
        tokio::time::advance(Duration::from_millis(999)).await;
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        assert_eq!(b.snapshot().queued, 1);
        tokio::time::advance(Duration::from_millis(1)).await;
        waiter.await.expect("the waiter is served");
        assert_eq!(b.snapshot().queued, 0);
        assert_eq!(b.snapshot().used, 1);
    }

    #[tokio::test(start_paused = true)]
    async fn waiters_are_counted_as_queued_and_cancel_cleanly() {
        let b = budget(1, 60_000);
        take(&b).await;
        let (queued_tx, queued_rx) = tokio::sync::oneshot::channel();
        let waiter = {
            let b = b.clone();
            tokio::spawn(async move {
                let acquire = b.acquire(HOLD);
                tokio::pin!(acquire);
                // Poll once: the waiter is now in the queue; tell the test, then keep waiting.
                assert!(futures_poll_once(acquire.as_mut()).await.is_none());
                queued_tx.send(()).expect("the test listens");
                b.finish(acquire.await);
            })
        };
        queued_rx.await.expect("the waiter queued");
        assert_eq!(b.snapshot().queued, 1);
        waiter.abort();
        let _ = waiter.await;
        assert_eq!(b.snapshot().queued, 0);
        assert_eq!(b.snapshot().used, 1);
    }

    /// Polls a future once: `Some(output)` if it completed, `None` if it is pending.
    async fn futures_poll_once<F: std::future::Future + Unpin>(fut: F) -> Option<F::Output> {
        let mut fut = fut;
        std::future::poll_fn(|cx| {
            std::task::Poll::Ready(match std::pin::Pin::new(&mut fut).poll(cx) {
                std::task::Poll::Ready(v) => Some(v),
                std::task::Poll::Pending => None,
            })
        })
        .await
    }

    #[tokio::test(start_paused = true)]
    async fn slots_free_up_as_the_window_rolls() {
        let b = budget(2, 200);
        take(&b).await;
        take(&b).await;
        assert_eq!(b.snapshot().remaining, 0);
        tokio::time::advance(Duration::from_millis(199)).await;
        assert_eq!(b.snapshot().remaining, 0);
        tokio::time::sleep(Duration::from_millis(51)).await;
        assert_eq!(b.snapshot().remaining, 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_slot_in_flight_counts_until_it_finishes_then_one_window_more() {
        let b = budget(1, 1_000);
        let slow = b.acquire(HOLD).await;
        // The request is in flight for 5 windows: nobody else may start.
        tokio::time::advance(Duration::from_millis(5_000)).await;
        assert_eq!(b.snapshot().remaining, 0);
        let waiter = {
            let b = b.clone();
            tokio::spawn(async move { take(&b).await })
        };
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        // It finishes now: it leaves the window one window later, not at once.
        b.finish(slow);
        tokio::time::advance(Duration::from_millis(999)).await;
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        tokio::time::advance(Duration::from_millis(1)).await;
        waiter.await.expect("the waiter is served");
    }

    #[tokio::test(start_paused = true)]
    async fn a_slot_never_finished_counts_for_its_hold() {
        let b = budget(1, 1_000);
        let _dropped_request = b.acquire(Duration::from_millis(2_000)).await;
        let started = Instant::now();
        take(&b).await;
        // Hold (2 s) and then one window (1 s).
        assert_eq!(started.elapsed(), Duration::from_millis(3_000));
    }

    #[test]
    fn registry_shares_one_budget_per_instance() {
        let reg = RateBudgets::default();
        let config = RateBudgetConfig::default();
        let a = reg.budget_for("https://a:443", config);
        let a2 = reg.budget_for("https://a:443", config);
        assert!(Arc::ptr_eq(&a, &a2));
        assert!(!Arc::ptr_eq(&a, &reg.budget_for("https://b:443", config)));
        assert!(reg.get("https://c:443").is_none());
        assert!(reg.get("https://b:443").is_some());
    }
}
