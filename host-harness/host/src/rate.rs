//! [`RateBudget`]: a client-side rolling-window request budget per PSA instance.
//!
//! PSAs throttle per instance (HaloPSA: 300 requests per rolling 5 minutes), and every session
//! talking to one instance shares that allowance. The host keeps one budget per instance key
//! (`scheme://host:port` of the request) and makes requests that would exceed it **wait** for a
//! slot instead of failing; the waiting time counts against the call's own timeout.
//!
//! Time is tokio's clock ([`tokio::time::Instant`]): the same as the system's monotonic clock in
//! a normal runtime, and a clock the tests can pause and advance.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use crate::config::RateBudgetConfig;

/// A point-in-time view of a [`RateBudget`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateBudgetState {
    /// Requests started within the current window.
    pub used: u32,
    /// Requests that may start now without waiting.
    pub remaining: u32,
    /// Requests waiting for a slot.
    pub queued: u32,
    /// The budget's size.
    pub max_requests: u32,
    /// The rolling window.
    pub window: Duration,
}

/// A rolling-window limiter shared by all sessions that talk to one PSA instance.
#[derive(Debug)]
pub struct RateBudget {
    max_requests: u32,
    window: Duration,
    /// Start times of the requests within the window, oldest first.
    starts: Mutex<VecDeque<Instant>>,
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
            starts: Mutex::new(VecDeque::new()),
            gate: tokio::sync::Mutex::new(()),
            queued: AtomicU32::new(0),
        }
    }

    /// Takes a slot, waiting until one is free. Cancel-safe: dropping the future gives up the
    /// place in the queue.
    pub async fn acquire(&self) {
        // Fast path, unless others are already waiting: a newcomer does not jump the queue.
        if self.queued.load(Ordering::Relaxed) == 0 && self.try_take(Instant::now()).is_ok() {
            return;
        }
        self.queued.fetch_add(1, Ordering::Relaxed);
        let _queued = QueuedGuard(&self.queued);
        let _turn = self.gate.lock().await;
        loop {
            match self.try_take(Instant::now()) {
                Ok(()) => return,
                Err(free_at) => tokio::time::sleep_until(free_at).await,
            }
        }
    }

    /// The budget's current state.
    pub fn snapshot(&self) -> RateBudgetState {
        let mut starts = self.lock();
        prune(&mut starts, Instant::now(), self.window);
        let used = u32::try_from(starts.len()).unwrap_or(u32::MAX);
        RateBudgetState {
            used,
            remaining: self.max_requests.saturating_sub(used),
            queued: self.queued.load(Ordering::Relaxed),
            max_requests: self.max_requests,
            window: self.window,
        }
    }

    /// Records a start at `now` if a slot is free; otherwise tells when the next one frees up.
    fn try_take(&self, now: Instant) -> Result<(), Instant> {
        let mut starts = self.lock();
        prune(&mut starts, now, self.window);
        if starts.len() < self.max_requests as usize {
            starts.push_back(now);
            Ok(())
        } else {
            Err(starts.front().map_or(now, |oldest| *oldest + self.window))
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Instant>> {
        self.starts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn prune(starts: &mut VecDeque<Instant>, now: Instant, window: Duration) {
    while starts
        .front()
        .is_some_and(|t| now.duration_since(*t) >= window)
    {
        starts.pop_front();
    }
}

struct QueuedGuard<'a>(&'a AtomicU32);

impl Drop for QueuedGuard<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The budgets of one host, keyed by instance (`scheme://host:port`).
#[derive(Debug, Default)]
pub(crate) struct RateBudgets {
    config: Option<RateBudgetConfig>,
    budgets: Mutex<HashMap<String, Arc<RateBudget>>>,
}

impl RateBudgets {
    pub(crate) fn new(config: Option<RateBudgetConfig>) -> Self {
        Self {
            config,
            budgets: Mutex::default(),
        }
    }

    /// The budget for `instance`, created on first use; `None` when budgets are disabled.
    pub(crate) fn budget_for(&self, instance: &str) -> Option<Arc<RateBudget>> {
        let config = self.config?;
        let mut budgets = self.budgets.lock().unwrap_or_else(|p| p.into_inner());
        Some(
            budgets
                .entry(instance.to_string())
                .or_insert_with(|| Arc::new(RateBudget::new(config)))
                .clone(),
        )
    }

    /// The state of the budget for `instance`, if it has been used.
    pub(crate) fn state(&self, instance: &str) -> Option<RateBudgetState> {
        let budgets = self.budgets.lock().unwrap_or_else(|p| p.into_inner());
        budgets.get(instance).map(|b| b.snapshot())
    }

    /// Every budget that has been used, sorted by instance.
    pub(crate) fn all(&self) -> Vec<(String, RateBudgetState)> {
        let budgets = self.budgets.lock().unwrap_or_else(|p| p.into_inner());
        let mut all: Vec<_> = budgets
            .iter()
            .map(|(k, b)| (k.clone(), b.snapshot()))
            .collect();
        all.sort_by(|a, b| a.0.cmp(&b.0));
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Every timed test runs on tokio's paused clock: time advances only when every task is
    // waiting (auto-advance) or when the test advances it, so the assertions are exact and
    // no loaded machine can break them.

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
            b.acquire().await;
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
            b.acquire().await;
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
        b.acquire().await;
        let waiter = {
            let b = b.clone();
            tokio::spawn(async move { b.acquire().await })
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
        b.acquire().await;
        let (queued_tx, queued_rx) = tokio::sync::oneshot::channel();
        let waiter = {
            let b = b.clone();
            tokio::spawn(async move {
                let acquire = b.acquire();
                tokio::pin!(acquire);
                // Poll once: the waiter is now in the queue; tell the test, then keep waiting.
                assert!(futures_poll_once(acquire.as_mut()).await.is_none());
                queued_tx.send(()).expect("the test listens");
                acquire.await
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
        b.acquire().await;
        b.acquire().await;
        assert_eq!(b.snapshot().remaining, 0);
        tokio::time::advance(Duration::from_millis(199)).await;
        assert_eq!(b.snapshot().remaining, 0);
        tokio::time::sleep(Duration::from_millis(51)).await;
        assert_eq!(b.snapshot().remaining, 2);
    }

    #[test]
    fn registry_shares_one_budget_per_instance() {
        let reg = RateBudgets::new(Some(RateBudgetConfig::default()));
        let a = reg.budget_for("https://a:443").unwrap();
        let a2 = reg.budget_for("https://a:443").unwrap();
        assert!(Arc::ptr_eq(&a, &a2));
        assert!(!Arc::ptr_eq(&a, &reg.budget_for("https://b:443").unwrap()));
        assert!(reg.state("https://c:443").is_none());
        assert_eq!(reg.all().len(), 2);
        assert!(RateBudgets::new(None).budget_for("https://a:443").is_none());
    }
}
