//! One module per `psa-harness` subcommand: its arguments and its output.

pub(crate) mod bench;
pub(crate) mod call;
pub(crate) mod compile_cache;
pub(crate) mod conformance;
pub mod demo;
mod demo_lifecycle;
pub(crate) mod fleet_worker;
pub(crate) mod mock_connectwise;
pub(crate) mod mock_halo;
pub(crate) mod new;
mod settings;
pub(crate) mod soak;
pub(crate) mod studio;
