//! A rolling-window rate limit over every request a mock receives ("N requests per rolling M
//! window"); each mock words its own 429 answer.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// A rolling-window request limit, like Halo's "300 Requests per rolling 5 minute window".
///
/// Requests over the limit get 429 (each mock answers in its PSA's words: see
/// [`MockConfig::rate_limit`](crate::MockConfig::rate_limit) and
/// [`ConnectWiseConfig::rate_limit`](crate::connectwise::ConnectWiseConfig::rate_limit)).
/// Rejected requests do not use up the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests allowed within any `window`.
    pub max_requests: u32,
    /// Length of the rolling window.
    pub window: Duration,
}

/// Admitted requests within the last window.
#[derive(Debug)]
pub(crate) struct Limiter {
    limit: RateLimit,
    admitted: VecDeque<Instant>,
}

impl Limiter {
    /// A limiter with nothing admitted yet.
    pub fn new(limit: RateLimit) -> Limiter {
        Limiter {
            limit,
            admitted: VecDeque::new(),
        }
    }

    /// The limit it enforces.
    pub fn limit(&self) -> &RateLimit {
        &self.limit
    }

    /// Admits a request at `now` (`true`), or refuses it (`false`). Refused requests are not
    /// recorded.
    pub fn admit(&mut self, now: Instant) -> bool {
        while let Some(first) = self.admitted.front() {
            if now.duration_since(*first) >= self.limit.window {
                self.admitted.pop_front();
            } else {
                break;
            }
        }
        if self.admitted.len() < self.limit.max_requests as usize {
            self.admitted.push_back(now);
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rolling_window() {
        let mut l = Limiter::new(RateLimit {
            max_requests: 2,
            window: Duration::from_secs(300),
        });
        let t0 = Instant::now();
        assert!(l.admit(t0));
        assert!(l.admit(t0 + Duration::from_secs(10)));
        assert!(!l.admit(t0 + Duration::from_secs(20)));
        // The first request leaves the window after 300 s; the second one is still in it.
        assert!(l.admit(t0 + Duration::from_secs(300)));
        assert!(!l.admit(t0 + Duration::from_secs(301)));
    }
}
