//! Rolling-window rate limit, as Halo's "N Requests per rolling M minute window".

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use http::StatusCode;

use super::config::RateLimit;
use super::reply::Reply;

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

    /// Admits a request at `now`, or returns the 429 answer. Rejected requests are not recorded.
    pub fn admit(&mut self, now: Instant) -> Result<(), Reply> {
        while let Some(first) = self.admitted.front() {
            if now.duration_since(*first) >= self.limit.window {
                self.admitted.pop_front();
            } else {
                break;
            }
        }
        if self.admitted.len() < self.limit.max_requests as usize {
            self.admitted.push_back(now);
            Ok(())
        } else {
            Err(rate_limited_reply(&self.limit))
        }
    }
}

/// Halo's 429 text for `limit`, without `Retry-After`.
pub(crate) fn rate_limited_reply(limit: &RateLimit) -> Reply {
    Reply::text(
        StatusCode::TOO_MANY_REQUESTS,
        format!(
            "Rate Limit Reached - {} Requests per rolling {} window",
            limit.max_requests,
            describe_window(limit.window)
        ),
    )
}

/// "5 minute", "90 second", "250 millisecond".
fn describe_window(window: Duration) -> String {
    let secs = window.as_secs();
    if window.subsec_nanos() != 0 || secs == 0 {
        format!("{} millisecond", window.as_millis())
    } else if secs.is_multiple_of(3600) {
        format!("{} hour", secs / 3600)
    } else if secs.is_multiple_of(60) {
        format!("{} minute", secs / 60)
    } else {
        format!("{secs} second")
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
        assert!(l.admit(t0).is_ok());
        assert!(l.admit(t0 + Duration::from_secs(10)).is_ok());
        let denied = l.admit(t0 + Duration::from_secs(20)).unwrap_err();
        assert_eq!(denied.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(
            &denied.body[..],
            b"Rate Limit Reached - 2 Requests per rolling 5 minute window"
        );
        // The first request leaves the window after 300 s; the second one is still in it.
        assert!(l.admit(t0 + Duration::from_secs(300)).is_ok());
        assert!(l.admit(t0 + Duration::from_secs(301)).is_err());
        assert_eq!(describe_window(Duration::from_secs(90)), "90 second");
        assert_eq!(
            describe_window(Duration::from_millis(250)),
            "250 millisecond"
        );
    }
}
