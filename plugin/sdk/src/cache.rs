//! Values read from the PSA and reused for a while (statuses, teams, the API user...): long
//! enough to save requests during bursts, short enough to notice an admin's change.
//!
//! ```
//! use psa_connector_sdk::cache::Cached;
//!
//! let statuses: Cached<Vec<String>> = Cached::default();
//! let first = statuses.get_or_load(|| Ok(vec!["New".to_string()])).unwrap();
//! let again = statuses.get_or_load(|| unreachable!("reused")).unwrap();
//! assert_eq!(first, again);
//! ```

use std::cell::RefCell;
use std::time::{Duration, Instant};

use crate::types::ConnectorError;

/// How long a cached lookup is reused before it is read again.
pub const LOOKUP_TTL: Duration = Duration::from_secs(300);

/// A value read from the PSA and reused for [`LOOKUP_TTL`].
pub struct Cached<T> {
    slot: RefCell<Option<(Instant, T)>>,
}

impl<T: Clone> Default for Cached<T> {
    fn default() -> Self {
        Cached {
            slot: RefCell::new(None),
        }
    }
}

impl<T: Clone> Cached<T> {
    /// Forgets the value: the next read loads it again.
    pub fn clear(&self) {
        self.slot.replace(None);
    }

    /// The value, loading it when missing or older than [`LOOKUP_TTL`]. A failed load keeps
    /// nothing.
    pub fn get_or_load(
        &self,
        load: impl FnOnce() -> Result<T, ConnectorError>,
    ) -> Result<T, ConnectorError> {
        if let Some((at, value)) = self.slot.borrow().as_ref() {
            if at.elapsed() < LOOKUP_TTL {
                return Ok(value.clone());
            }
        }
        let value = load()?;
        self.slot.replace(Some((Instant::now(), value.clone())));
        Ok(value)
    }
}
