//! The connector's operations, one module per group. Each is an `impl HaloSession` block.

pub mod connection;
pub mod lifecycle;
pub mod lookups;
pub mod organizations;
pub mod tickets;
pub mod validate;

use serde_json::Value;

use crate::api::HaloApi;
use crate::errors::invalid_response;
use crate::model::list_items;
use crate::types::ConnectorError;

/// Largest page the connector asks Halo for (Halo documents 100 as the ticket maximum).
pub const MAX_PAGE_SIZE: u32 = 100;

/// A Halo id given by the host: Halo ids are positive integers.
pub fn parse_id(kind: &str, id: &str) -> Result<i64, ConnectorError> {
    id.trim()
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| {
            ConnectorError::InvalidInput(format!(
                "{kind} id '{id}' is not a Halo id (a positive whole number)"
            ))
        })
}

/// Reads a list endpoint: one page when `page` is set, else every page until `record_count`.
pub fn fetch_list(
    api: &HaloApi,
    path: &str,
    envelope: &str,
    query: &[(&str, String)],
    page: Option<u32>,
    page_size: Option<u32>,
) -> Result<(Vec<Value>, u32), ConnectorError> {
    let label = format!("GET /api/{path}");
    let size = page_size.unwrap_or(MAX_PAGE_SIZE).clamp(1, MAX_PAGE_SIZE);
    let mut items = Vec::new();
    let mut page_no = page.unwrap_or(1).max(1);
    loop {
        let mut paged: Vec<(&str, String)> = query.to_vec();
        paged.push(("pageinate", "true".into()));
        paged.push(("page_size", size.to_string()));
        paged.push(("page_no", page_no.to_string()));
        let json = api.get(path, &paged)?;
        let (batch, total) =
            list_items(&json, envelope).map_err(|m| invalid_response(&label, m))?;
        let batch_len = batch.len();
        items.extend(batch.iter().cloned());
        let total = total.map(|t| t as u32);
        let done = page.is_some()
            || total.is_none() // a plain array: Halo ignored paging and sent everything
            || batch_len == 0
            || batch_len < size as usize
            || items.len() as u32 >= total.unwrap_or(0)
            || page_no >= 10_000;
        if done {
            let total = total.unwrap_or(items.len() as u32);
            return Ok((items, total));
        }
        page_no += 1;
    }
}

/// Reads a plain-array (or envelope) lookup endpoint without paging.
pub fn fetch_all(
    api: &HaloApi,
    path: &str,
    envelope: &str,
    query: &[(&str, String)],
) -> Result<Vec<Value>, ConnectorError> {
    let json = api.get(path, query)?;
    let (items, _) = list_items(&json, envelope)
        .map_err(|m| invalid_response(&format!("GET /api/{path}"), m))?;
    Ok(items.clone())
}
