//! The one `bindgen!` site: typed bindings for the `host` world of `psa:connector@0.2.0`.
//!
//! The `host` world only exports `psa:connector/connector`; the host links WASI and wasi:http
//! itself (see [`crate::engine`]), so nothing is imported here.

#[expect(missing_docs, reason = "bindgen-generated code")]
mod generated {
    wasmtime::component::bindgen!({
        world: "host",
        path: "../../wit",
        exports: { default: async },
        additional_derives: [PartialEq, serde::Serialize, serde::Deserialize],
    });
}

pub(crate) use generated::{Host_ as HostBindings, Host_Indices as HostIndices};

/// The data types of the `psa:connector/types` interface (records, enums and variants).
pub mod types {
    pub use super::generated::psa::connector::types::*;

    impl PlacementRule {
        /// A rule with this name that matches every alert and changes nothing: set the
        /// conditions and targets wanted (`PlacementRule { skip: true, ..PlacementRule::named("x") }`).
        pub fn named(name: &str) -> PlacementRule {
            PlacementRule {
                name: name.into(),
                category: None,
                min_severity: None,
                tenants: vec![],
                skip: false,
                ticket_type_id: None,
                team_id: None,
                priority_id: None,
                status_id: None,
            }
        }
    }
}
