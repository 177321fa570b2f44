//! Organizations (Halo clients). (Mapping suggestions are the SDK's default `suggest-mapping`
//! over `list-organizations`.)

use serde_json::Value;

use crate::errors::invalid_response;
use crate::model::Obj;
use crate::ops::{fetch_list, parse_id};
use crate::session::HaloSession;
use crate::types::{ConnectorError, Organization, OrganizationPage, OrganizationQuery, Site};
use psa_connector_sdk::mapping;

impl HaloSession {
    pub fn list_organizations(
        &self,
        query: OrganizationQuery,
    ) -> Result<OrganizationPage, ConnectorError> {
        let mut filters = Vec::new();
        if let Some(search) = query
            .search
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            filters.push(("search", search.to_string()));
        }
        if query.include_inactive {
            filters.push(("includeinactive", "true".to_string()));
        }
        let (items, total) = fetch_list(
            &self.api,
            "Client",
            "clients",
            &filters,
            query.page,
            query.page_size,
        )?;
        let items = items
            .iter()
            .map(organization_from_json)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|m| invalid_response("GET /api/Client", m))?;
        Ok(OrganizationPage { items, total })
    }

    pub fn get_organization(&self, id: &str) -> Result<Organization, ConnectorError> {
        let id = parse_id("organization", id)?;
        let json = self.api.get(&format!("Client/{id}"), &[])?;
        organization_from_json(&json).map_err(|m| invalid_response("GET /api/Client/{id}", m))
    }
}

/// A Halo client as an organization.
pub fn organization_from_json(value: &Value) -> Result<Organization, String> {
    let o = Obj(value);
    let id = o.require_id("client")?;
    let external_ids = ["ref", "accountsid", "third_party_id_string"]
        .iter()
        .filter_map(|k| o.text(k))
        .collect();
    let domains = o
        .text("website")
        .and_then(|w| mapping::domain_of(&w))
        .into_iter()
        .collect();
    let main_site = o.id("main_site_id").map(|site_id| Site {
        id: site_id.to_string(),
        name: o.text("main_site_name").unwrap_or_default(),
    });
    Ok(Organization {
        id: id.to_string(),
        name: o.text("name").unwrap_or_else(|| format!("Client {id}")),
        active: !o.bool("inactive").unwrap_or(false),
        external_ids,
        domains,
        main_site,
    })
}
