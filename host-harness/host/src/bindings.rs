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

    impl MappingProfile {
        /// A profile that maps no tenant, with the `strategy` and a 24-hour re-open window and
        /// nothing else chosen: set what is wanted with struct update syntax
        /// (`MappingProfile { tenants, ..MappingProfile::unmapped(strategy) }`).
        pub fn unmapped(strategy: SyncStrategy) -> MappingProfile {
            MappingProfile {
                tenants: vec![],
                fallback_organization_id: None,
                priorities: vec![],
                default_status_id: None,
                ticket_type_id: None,
                team_id: None,
                category: None,
                strategy,
                reopen_window_hours: 24,
                reopen_status_id: None,
                close_status_id: None,
                rules: vec![],
                source_id: None,
            }
        }
    }

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
