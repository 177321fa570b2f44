//! Organizations (Halo clients) and mapping suggestions.

use serde_json::Value;

use crate::halo::errors::invalid_response;
use crate::halo::model::Obj;
use crate::mapping;
use crate::ops::{fetch_list, parse_id};
use crate::session::HaloSession;
use crate::types::{
    ConnectorError, HostTenant, MappingSuggestion, Organization, OrganizationPage,
    OrganizationQuery, Site,
};

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

    pub fn suggest_mapping(
        &self,
        tenants: &[HostTenant],
    ) -> Result<Vec<MappingSuggestion>, ConnectorError> {
        let all = self.list_organizations(OrganizationQuery {
            search: None,
            include_inactive: false,
            page: None,
            page_size: None,
        })?;
        Ok(tenants
            .iter()
            .map(|t| mapping::suggest(t, &all.items))
            .collect())
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
