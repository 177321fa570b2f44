//! Reading Halo's JSON leniently: ids arrive as numbers or strings, lists as an envelope or a
//! plain array, optional fields may be missing or null. What the connector cannot do without
//! (an object's id, a list where a list belongs) is an error naming the field.

use serde_json::Value;

/// A field reader over one Halo object.
#[derive(Clone, Copy)]
pub struct Obj<'a>(pub &'a Value);

impl<'a> Obj<'a> {
    fn field(&self, key: &str) -> Option<&'a Value> {
        let map = self.0.as_object()?;
        map.get(key)
            .or_else(|| {
                map.iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(key))
                    .map(|(_, v)| v)
            })
            .filter(|v| !v.is_null())
    }

    /// A text field (numbers are rendered as text).
    pub fn str(&self, key: &str) -> Option<String> {
        match self.field(key)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// A non-empty text field.
    pub fn text(&self, key: &str) -> Option<String> {
        self.str(key)
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    }

    /// An integer id (Halo ids are integers; "12" and 12.0 are accepted too).
    pub fn int(&self, key: &str) -> Option<i64> {
        match self.field(key)? {
            Value::Number(n) => n
                .as_i64()
                .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// An id that is set (Halo uses 0 and -1 for "none").
    pub fn id(&self, key: &str) -> Option<i64> {
        self.int(key).filter(|id| *id > 0)
    }

    pub fn bool(&self, key: &str) -> Option<bool> {
        match self.field(key)? {
            Value::Bool(b) => Some(*b),
            Value::Number(n) => Some(n.as_i64() != Some(0)),
            Value::String(s) => match s.to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" => Some(true),
                "false" | "0" | "no" => Some(false),
                _ => None,
            },
            _ => None,
        }
    }

    pub fn array(&self, key: &str) -> Option<&'a Vec<Value>> {
        self.field(key)?.as_array()
    }

    /// The object's own id, required.
    pub fn require_id(&self, what: &str) -> Result<i64, String> {
        self.int("id")
            .ok_or_else(|| format!("{what} without a valid 'id': {}", preview(self.0)))
    }
}

/// A short rendering of a value for error messages.
pub fn preview(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 120 {
        format!("{}…", text.chars().take(120).collect::<String>())
    } else {
        text
    }
}

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
