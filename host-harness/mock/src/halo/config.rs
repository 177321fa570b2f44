//! Configuration of a [`MockHalo`](super::MockHalo) instance.

use std::time::Duration;

pub use crate::limiter::RateLimit;

/// How a mock Halo instance behaves: credentials, tenant, seed data size and limits.
///
/// `MockConfig::default()` is a self-hosted instance with the demo credentials, 300 seeded
/// clients, seed 7, one-hour tokens and no rate limit.
#[derive(Debug, Clone, PartialEq)]
pub struct MockConfig {
    /// The only client id the token endpoint accepts.
    pub client_id: String,
    /// The secret that goes with [`MockConfig::client_id`].
    pub client_secret: String,
    /// `None`: a self-hosted instance, the token endpoint expects no (or an empty) `tenant`.
    /// `Some(t)`: a hosted instance, `?tenant=t` (or a `tenant` form field) is required and must
    /// match (case-insensitively); anything else is answered with 400 `invalid_request`
    /// "Unknown tenant '`<t>`'".
    pub tenant: Option<String>,
    /// Number of seeded clients, including the well-known ones of
    /// [`seed_ids`](super::seed_ids) (which are always present, so the real number is at least
    /// their count).
    pub clients: usize,
    /// Seed of every pseudo-random choice (generated names, fault probabilities).
    pub seed: u64,
    /// Lifetime of issued tokens (`expires_in`), in seconds.
    pub token_ttl_secs: u64,
    /// Rolling-window request limit over every request the mock receives; `None` = unlimited.
    /// Requests over it get 429 with the text body
    /// `Rate Limit Reached - {max_requests} Requests per rolling {window} window` and no
    /// `Retry-After`.
    pub rate_limit: Option<RateLimit>,
    /// What `GET /api/authinfo` reports as `auth_url`; `None` = `<base>/auth`.
    pub auth_url_override: Option<String>,
    /// Largest `page_size` honoured for paginated lists (bigger requests are capped);
    /// `None` = any size.
    pub max_page_size: Option<u32>,
}

impl MockConfig {
    /// The client id of the default configuration.
    pub const DEMO_CLIENT_ID: &'static str = "psa-demo-client";
    /// The client secret of the default configuration.
    pub const DEMO_CLIENT_SECRET: &'static str = "psa-demo-secret-0123456789";
}

impl Default for MockConfig {
    fn default() -> Self {
        MockConfig {
            client_id: Self::DEMO_CLIENT_ID.to_string(),
            client_secret: Self::DEMO_CLIENT_SECRET.to_string(),
            tenant: None,
            clients: 300,
            seed: 7,
            token_ttl_secs: 3600,
            rate_limit: None,
            auth_url_override: None,
            max_page_size: None,
        }
    }
}

impl RateLimit {
    /// Halo's documented hosted limit: 300 requests per rolling 5 minutes.
    pub const HALO_DEFAULT: RateLimit = RateLimit {
        max_requests: 300,
        window: Duration::from_secs(300),
    };
}
