//! End-to-end tests live in `e2e/` (one integration binary). They build the real HaloPSA
//! component (psa-harness's `bundled-connector` feature), load it in wasmtime through the host
//! library and talk real HTTP to the mock HaloPSA on loopback.
