//! Call-count expectations, wiremock-style: "this endpoint receives `n` requests from now on",
//! checked when the mock is dropped (or on [`verify`](crate::MockServer::verify)), so a test
//! states what it expects instead of reading counters by hand.

use std::fmt;
use std::ops::{Range, RangeFrom, RangeInclusive};
use std::sync::Mutex;

/// How many requests an expectation allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Times {
    min: u64,
    max: Option<u64>,
}

impl Times {
    fn allows(self, n: u64) -> bool {
        n >= self.min && self.max.is_none_or(|max| n <= max)
    }
}

impl fmt::Display for Times {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.max {
            Some(max) if max == self.min => write!(f, "exactly {max}"),
            Some(max) => write!(f, "{}..={max}", self.min),
            None => write!(f, "at least {}", self.min),
        }
    }
}

impl From<u64> for Times {
    fn from(n: u64) -> Self {
        Times {
            min: n,
            max: Some(n),
        }
    }
}

impl From<RangeInclusive<u64>> for Times {
    fn from(r: RangeInclusive<u64>) -> Self {
        Times {
            min: *r.start(),
            max: Some(*r.end()),
        }
    }
}

impl From<Range<u64>> for Times {
    fn from(r: Range<u64>) -> Self {
        Times {
            min: r.start,
            max: Some(r.end.saturating_sub(1)),
        }
    }
}

impl From<RangeFrom<u64>> for Times {
    fn from(r: RangeFrom<u64>) -> Self {
        Times {
            min: r.start,
            max: None,
        }
    }
}

#[derive(Debug)]
struct Expectation {
    key: String,
    times: Times,
    /// The endpoint's count when the expectation was made.
    baseline: u64,
}

/// The expectations of one mock.
#[derive(Debug, Default)]
pub(crate) struct Expectations {
    list: Mutex<Vec<Expectation>>,
}

impl Expectations {
    /// Expects `times` more requests under `key`, counting from `current` (its count now).
    pub(crate) fn add(&self, key: &str, times: Times, current: u64) {
        lock(&self.list).push(Expectation {
            key: key.to_string(),
            times,
            baseline: current,
        });
    }

    /// Every unmet expectation, one line each, given the endpoints' counts now; `Ok` when all
    /// are met. Checked expectations are kept (a later check sees them again).
    pub(crate) fn check(&self, count: impl Fn(&str) -> u64) -> Result<(), String> {
        let failures: Vec<String> = lock(&self.list)
            .iter()
            .filter_map(|e| {
                let seen = count(&e.key).saturating_sub(e.baseline);
                (!e.times.allows(seen))
                    .then(|| format!("- `{}`: expected {}, received {seen}", e.key, e.times))
            })
            .collect();
        if failures.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "mock expectations not met:\n{}",
                failures.join("\n")
            ))
        }
    }

    /// Forgets every expectation.
    pub(crate) fn clear(&self) {
        lock(&self.list).clear();
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_from_the_baseline_and_reports_every_miss() {
        let e = Expectations::default();
        e.add("GET /a", 2.into(), 5);
        e.add("POST /b", (1..).into(), 0);
        e.add("GET /c", (0..=1).into(), 0);
        assert!(e.check(|k| if k == "GET /a" { 7 } else { 1 }).is_ok());
        let err = e
            .check(|k| match k {
                "GET /a" => 6,
                "GET /c" => 3,
                _ => 0,
            })
            .unwrap_err();
        assert!(
            err.contains("`GET /a`: expected exactly 2, received 1"),
            "{err}"
        );
        assert!(
            err.contains("`POST /b`: expected at least 1, received 0"),
            "{err}"
        );
        assert!(
            err.contains("`GET /c`: expected 0..=1, received 3"),
            "{err}"
        );
    }
}
