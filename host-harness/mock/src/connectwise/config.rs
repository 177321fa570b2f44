//! Configuration of a [`MockConnectWise`](super::MockConnectWise) instance.

use super::seed_ids as ids;
use crate::limiter::RateLimit;

/// How a mock ConnectWise instance behaves: credentials, seed data size and limits.
///
/// `ConnectWiseConfig::default()` has the credentials of [`seed_ids`](super::seed_ids)
/// ([`COMPANY_ID`](ids::COMPANY_ID), [`PUBLIC_KEY`](ids::PUBLIC_KEY),
/// [`PRIVATE_KEY`](ids::PRIVATE_KEY), [`CLIENT_ID`](ids::CLIENT_ID)), 300 companies, seed 7 and
/// no rate limit.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectWiseConfig {
    /// The company id of Basic auth and `/login/companyinfo/{id}` (matched case-insensitively).
    pub company_id: String,
    /// The API member's public key.
    pub public_key: String,
    /// The API member's private key.
    pub private_key: String,
    /// The only `clientId` header value accepted (any other, or none, is a 400).
    pub client_id: String,
    /// Number of companies, including the well-known ones of [`seed_ids`](super::seed_ids)
    /// (always present, so the real number is at least their count).
    pub companies: usize,
    /// Seed of every pseudo-random choice (generated names, fault probabilities).
    pub seed: u64,
    /// Rolling-window request limit over every request; `None` = unlimited. Requests over it
    /// get 429 with `Retry-After` (the window in seconds) and ConnectWise's
    /// `{"error":"ConnectWiseAPI","message":"Too many requests…"}` body.
    pub rate_limit: Option<RateLimit>,
}

impl Default for ConnectWiseConfig {
    fn default() -> Self {
        ConnectWiseConfig {
            company_id: ids::COMPANY_ID.to_string(),
            public_key: ids::PUBLIC_KEY.to_string(),
            private_key: ids::PRIVATE_KEY.to_string(),
            client_id: ids::CLIENT_ID.to_string(),
            companies: 300,
            seed: 7,
            rate_limit: None,
        }
    }
}
