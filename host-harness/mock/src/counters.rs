//! Request counters per endpoint key, the log of every received request, and the arrival
//! instant of each request (for the peak within a rolling window).

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::lock;

/// Oldest entries are dropped beyond this many logged requests (bounds memory in long CLI runs).
const MAX_LOGGED: usize = 100_000;

/// Oldest arrival instants are dropped beyond this many (16 bytes each: 1.6 MB at most).
const MAX_ARRIVALS: usize = 100_000;

/// One request as the mock received it (see [`MockHalo::received`](crate::MockServer::received)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedRequest {
    /// HTTP method, e.g. `POST`.
    pub method: String,
    /// Path as sent (original case, without the query).
    pub path: String,
    /// Raw query string without `?` (empty when none).
    pub query: String,
    /// Every header as `(lowercase name, value)`, values decoded lossily.
    pub headers: Vec<(String, String)>,
    /// The body, decoded lossily as UTF-8.
    pub body: String,
}

impl ReceivedRequest {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Default)]
struct Inner {
    by_key: BTreeMap<String, u64>,
    total: u64,
    log: VecDeque<ReceivedRequest>,
    /// When each request arrived, oldest first (taken under the lock, so in order).
    arrivals: VecDeque<Instant>,
}

/// Thread-safe counters and request log.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    inner: Mutex<Inner>,
}

impl Counters {
    /// Counts one request under `key`, logs it and notes when it arrived (now).
    pub fn record(&self, key: &str, request: ReceivedRequest) {
        let mut inner = lock(&self.inner);
        *inner.by_key.entry(key.to_string()).or_default() += 1;
        inner.total += 1;
        if inner.arrivals.len() >= MAX_ARRIVALS {
            inner.arrivals.pop_front();
        }
        inner.arrivals.push_back(Instant::now());
        if inner.log.len() >= MAX_LOGGED {
            inner.log.pop_front();
        }
        inner.log.push_back(request);
    }

    /// Requests counted under `key`.
    pub fn count(&self, key: &str) -> u64 {
        lock(&self.inner).by_key.get(key).copied().unwrap_or(0)
    }

    /// All counts.
    pub fn counts(&self) -> BTreeMap<String, u64> {
        lock(&self.inner).by_key.clone()
    }

    /// Requests counted since start or the last reset.
    pub fn total(&self) -> u64 {
        lock(&self.inner).total
    }

    /// Zeroes the counts and forgets the arrival instants (the request log is kept).
    pub fn reset(&self) {
        let mut inner = lock(&self.inner);
        inner.by_key.clear();
        inner.total = 0;
        inner.arrivals.clear();
    }

    /// The arrival instants since start or the last reset (the last 100 000), oldest first.
    pub fn arrivals(&self) -> Vec<Instant> {
        lock(&self.inner).arrivals.iter().copied().collect()
    }

    /// How many arrival instants are kept.
    pub fn arrival_count(&self) -> usize {
        lock(&self.inner).arrivals.len()
    }

    /// The request log, oldest first.
    pub fn received(&self) -> Vec<ReceivedRequest> {
        lock(&self.inner).log.iter().cloned().collect()
    }

    /// Empties the request log.
    pub fn clear_received(&self) {
        lock(&self.inner).log.clear();
    }
}

/// The most requests that arrived within any rolling `window`: for each arrival, the arrivals
/// from it back to (but not including) those `window` or more before it, as
/// [`Limiter`](crate::limiter::Limiter) counts them (`now - first >= window` is out of the
/// window). So a request at `t` and one at `t + window` are never in one window, and a zero
/// `window` holds none. `arrivals` may be in any order (a sorted copy is scanned with two
/// pointers, O(n log n)).
pub(crate) fn peak_in_window(arrivals: &[Instant], window: Duration) -> u64 {
    let mut sorted = arrivals.to_vec();
    sorted.sort_unstable();
    let mut first = 0;
    let mut peak = 0;
    for (last, &now) in sorted.iter().enumerate() {
        while first <= last && now.duration_since(sorted[first]) >= window {
            first += 1;
        }
        peak = peak.max(last + 1 - first);
    }
    peak as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(t0: Instant, secs: &[u64]) -> Vec<Instant> {
        secs.iter().map(|s| t0 + Duration::from_secs(*s)).collect()
    }

    #[test]
    fn peak_counts_the_busiest_rolling_window() {
        let t0 = Instant::now();
        let window = Duration::from_secs(300);
        assert_eq!(peak_in_window(&[], window), 0);
        assert_eq!(peak_in_window(&at(t0, &[7]), window), 1);
        // 0, 10, 20 in one window; at 300 the request at 0 has left it (300 - 0 >= 300), so
        // 10, 20, 300, 301 are the busiest window: 4.
        assert_eq!(peak_in_window(&at(t0, &[0, 10, 20, 300, 301]), window), 4);
        // A request at t and one at t + window are not in one window.
        assert_eq!(peak_in_window(&at(t0, &[0, 300, 600]), window), 1);
        // Just inside: t and t + window - 1 ms are.
        let edge = [t0, t0 + window - Duration::from_millis(1)];
        assert_eq!(peak_in_window(&edge, window), 2);
        // Simultaneous arrivals all count; order does not matter.
        assert_eq!(
            peak_in_window(&at(t0, &[900, 5, 5, 5, 1000, 5, 1100]), window),
            4
        );
        assert_eq!(
            peak_in_window(
                &at(t0, &[900, 5, 5, 5, 1000, 5, 1100]),
                Duration::from_secs(201)
            ),
            4
        );
        assert_eq!(
            peak_in_window(&at(t0, &[900, 1000, 1100, 1150]), Duration::from_secs(251)),
            4,
            "900..1150 is 250 s, inside a 251 s window"
        );
        assert_eq!(
            peak_in_window(&at(t0, &[900, 1000, 1100, 1150]), Duration::from_secs(250)),
            3
        );
        // A zero window holds nothing.
        assert_eq!(peak_in_window(&at(t0, &[1, 1, 1]), Duration::ZERO), 0);
    }

    #[test]
    fn peak_agrees_with_the_limiter_on_what_is_in_the_window() {
        use crate::limiter::{Limiter, RateLimit};
        // Arrivals the limiter admits at 3 per 10 s never peak above 3 in a 10 s window, and a
        // refused one would have made 4.
        let t0 = Instant::now();
        let window = Duration::from_secs(10);
        let mut limiter = Limiter::new(RateLimit {
            max_requests: 3,
            window,
        });
        let mut admitted = Vec::new();
        let mut refused = Vec::new();
        for ms in (0..60_000).step_by(700) {
            let now = t0 + Duration::from_millis(ms);
            if limiter.admit(now) {
                admitted.push(now);
            } else {
                refused.push(now);
            }
        }
        assert!(!refused.is_empty());
        assert_eq!(peak_in_window(&admitted, window), 3);
        let mut with_one_refused = admitted.clone();
        with_one_refused.push(refused[0]);
        assert_eq!(peak_in_window(&with_one_refused, window), 4);
    }

    #[test]
    fn reset_forgets_arrivals_and_the_log_is_bounded() {
        let counters = Counters::default();
        let request = ReceivedRequest {
            method: "GET".into(),
            path: "/".into(),
            query: String::new(),
            headers: vec![],
            body: String::new(),
        };
        for _ in 0..3 {
            counters.record("GET /", request.clone());
        }
        assert_eq!(counters.arrival_count(), 3);
        let arrivals = counters.arrivals();
        assert!(arrivals.windows(2).all(|w| w[0] <= w[1]), "oldest first");
        assert_eq!(peak_in_window(&arrivals, Duration::from_secs(3600)), 3);
        counters.reset();
        assert_eq!(counters.arrival_count(), 0);
        assert_eq!(counters.received().len(), 3, "the request log is kept");
    }
}
