//! Reading Halo's JSON leniently: ids arrive as numbers or strings, lists as an envelope or a
//! plain array, optional fields may be missing or null. What the connector cannot do without
//! (an object's id, a list where a list belongs) is an error naming the field.

pub use psa_connector_sdk::json::{preview, Obj};
use serde_json::Value;

/// The items of a list answer and its `record_count`, from either shape.
pub fn list_items<'a>(
    value: &'a Value,
    envelope: &str,
) -> Result<(&'a Vec<Value>, Option<u64>), String> {
    match value {
        Value::Array(items) => Ok((items, None)),
        Value::Object(_) => {
            let obj = Obj(value);
            let items = obj.array(envelope).ok_or_else(|| {
                format!(
                    "expected a list or an object with '{envelope}', got {}",
                    preview(value)
                )
            })?;
            let total = obj.int("record_count").and_then(|n| u64::try_from(n).ok());
            Ok((items, total))
        }
        _ => Err(format!("expected a list, got {}", preview(value))),
    }
}

/// The saved object of a POST (an object, or a one-element array).
pub fn saved_object(value: &Value) -> Result<&Value, String> {
    match value {
        Value::Object(_) => Ok(value),
        Value::Array(items) => items
            .last()
            .ok_or_else(|| "empty answer to a save".to_string()),
        _ => Err(format!("expected the saved object, got {}", preview(value))),
    }
}

/// A Halo ticket, with what the connector reads.
#[derive(Debug, Clone, PartialEq)]
pub struct HaloTicket {
    pub id: i64,
    pub summary: String,
    pub details: Option<String>,
    pub status_id: i64,
    pub client_id: Option<i64>,
    pub client_name: Option<String>,
    pub priority_id: Option<i64>,
    pub tickettype_id: Option<i64>,
    pub team: Option<String>,
    pub agent_id: Option<i64>,
    pub dateoccurred: Option<String>,
    pub lastactiondate: Option<String>,
    pub dateclosed: Option<String>,
    pub supplier_reference: Option<String>,
}

impl HaloTicket {
    pub fn from_json(value: &Value) -> Result<HaloTicket, String> {
        let o = Obj(value);
        Ok(HaloTicket {
            id: o.require_id("ticket")?,
            summary: o.str("summary").unwrap_or_default(),
            details: o.str("details"),
            status_id: o
                .int("status_id")
                .ok_or_else(|| format!("ticket without a 'status_id': {}", preview(value)))?,
            client_id: o.id("client_id"),
            client_name: o.text("client_name"),
            priority_id: o.id("priority_id"),
            tickettype_id: o.id("tickettype_id"),
            team: o.text("team"),
            agent_id: o.id("agent_id"),
            dateoccurred: o.text("dateoccurred"),
            lastactiondate: o.text("lastactiondate"),
            dateclosed: o.text("dateclosed"),
            supplier_reference: o.text("supplier_reference"),
        })
    }
}

/// A Halo action (note, status change...).
#[derive(Debug, Clone, PartialEq)]
pub struct HaloAction {
    pub id: i64,
    pub who: Option<String>,
    /// 0 system, 1 agent, 2 end user.
    pub who_type: Option<i64>,
    pub who_agentid: Option<i64>,
    pub note: String,
    pub datetime: Option<String>,
}

impl HaloAction {
    pub fn from_json(value: &Value) -> Result<HaloAction, String> {
        let o = Obj(value);
        Ok(HaloAction {
            id: o.require_id("action")?,
            who: o.text("who"),
            who_type: o.int("who_type"),
            who_agentid: o.id("who_agentid").or_else(|| o.id("actionby_agent_id")),
            note: o.str("note").unwrap_or_default(),
            datetime: o.text("datetime").or_else(|| o.text("actiondatecreated")),
        })
    }
}
