//! Request counters per endpoint key, and the log of every received request.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;

use crate::lock;

/// Oldest entries are dropped beyond this many logged requests (bounds memory in long CLI runs).
const MAX_LOGGED: usize = 100_000;

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
}

/// Thread-safe counters and request log.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    inner: Mutex<Inner>,
}

impl Counters {
    /// Counts one request under `key` and logs it.
    pub fn record(&self, key: &str, request: ReceivedRequest) {
        let mut inner = lock(&self.inner);
        *inner.by_key.entry(key.to_string()).or_default() += 1;
        inner.total += 1;
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

    /// Zeroes the counts (the request log is kept).
    pub fn reset(&self) {
        let mut inner = lock(&self.inner);
        inner.by_key.clear();
        inner.total = 0;
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
