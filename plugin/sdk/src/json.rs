//! Reading PSA JSON leniently: ids arrive as numbers or strings, optional fields may be missing
//! or null, key case may vary. What a connector cannot do without (an object's id) is an error
//! naming the object.
//!
//! ```
//! use psa_connector_sdk::json::Obj;
//!
//! let value = serde_json::json!({"ID": "12", "name": " Contoso ", "inactive": 0, "site": null});
//! let o = Obj(&value);
//! assert_eq!(o.int("id"), Some(12));
//! assert_eq!(o.text("name").as_deref(), Some("Contoso"));
//! assert_eq!(o.bool("inactive"), Some(false));
//! assert_eq!(o.str("site"), None);
//! ```

use serde_json::Value;

/// A field reader over one JSON object: keys matched exactly, then ignoring case; `null` is
/// missing.
#[derive(Clone, Copy)]
pub struct Obj<'a>(
    /// The object read (any other value reads as having no fields).
    pub &'a Value,
);

impl<'a> Obj<'a> {
    /// A field by name (exact, else case-insensitive), not `null`.
    pub fn field(&self, key: &str) -> Option<&'a Value> {
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

    /// An integer (ids are integers in Halo and ConnectWise; "12" and 12.0 are accepted too).
    pub fn int(&self, key: &str) -> Option<i64> {
        match self.field(key)? {
            Value::Number(n) => n
                .as_i64()
                .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// An id that is set (PSAs use 0 and -1 for "none").
    pub fn id(&self, key: &str) -> Option<i64> {
        self.int(key).filter(|id| *id > 0)
    }

    /// A boolean (also `1`/`0`, `"true"`/`"yes"`/`"1"` and their opposites).
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

    /// An array field.
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

impl<'a> Obj<'a> {
    /// A nested object field (a reference such as ConnectWise's `status: {id, name}`).
    pub fn object(&self, key: &str) -> Option<Obj<'a>> {
        self.field(key).filter(|v| v.is_object()).map(Obj)
    }
}
