//! Embeddable wasmtime host for `psa:connector` components (see `wit/`), a mock HaloPSA and the
//! `psa-harness` CLI.

pub mod mock_halo;
