//! Numbers that differ from call to call, session to session and host to host, without
//! `wasi:random` (the `psa-connector` world does not import it): the wall clock's nanoseconds,
//! the monotonic clock and a counter, mixed by SipHash with fixed keys. For retry jitter and
//! request nonces; never for secrets.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

static CALLS: AtomicU64 = AtomicU64::new(0);

/// A new 64-bit number, different on every call.
pub fn next_u64() -> u64 {
    let mut hasher = DefaultHasher::new();
    CALLS.fetch_add(1, Ordering::Relaxed).hash(&mut hasher);
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
        .hash(&mut hasher);
    Instant::now().hash(&mut hasher);
    hasher.finish()
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_call_differs() {
        let values: std::collections::BTreeSet<u64> =
            (0..1000).map(|_| super::next_u64()).collect();
        assert_eq!(values.len(), 1000);
    }
}
