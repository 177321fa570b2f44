//! Talking to HaloPSA: tokens and discovery (`auth`), requests with retries and the audit journal
//! (`api`), turning Halo's answers into typed errors (`errors`) and reading Halo's JSON (`model`).
//! The wire contract this follows is `docs/halo-wire.md`.

pub mod api;
pub mod auth;
pub mod errors;
pub mod model;
