//! End-to-end tests: the real component, the real host, real HTTP to the mock HaloPSA.

mod bench;
mod common;
mod conformance;
mod connection;
mod connectwise;
mod contract_versions;
mod coordination;
mod egress;
mod faults;
mod host;
mod hostile;
mod lifecycle;
mod lookups;
mod organizations;
mod placement;
mod races;
mod redis_server;
mod soak;
mod tickets;
mod tls;
mod validation;
mod wire;
