//! Halo's words for the rolling-window rate limit (the limiter itself is PSA-neutral:
//! `crate::limiter`).

use std::time::Duration;

use http::StatusCode;

use super::config::RateLimit;
use super::reply::Reply;

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
    fn halo_words_the_window() {
        let denied = rate_limited_reply(&RateLimit {
            max_requests: 2,
            window: Duration::from_secs(300),
        });
        assert_eq!(denied.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(
            &denied.body[..],
            b"Rate Limit Reached - 2 Requests per rolling 5 minute window"
        );
        assert_eq!(describe_window(Duration::from_secs(90)), "90 second");
        assert_eq!(
            describe_window(Duration::from_millis(250)),
            "250 millisecond"
        );
    }
}
