//! Reading the CLI's JSON input files: settings, tenants, profiles, requests.

use std::path::Path;

use serde_json::Value;

/// Reads a JSON file.
pub(crate) fn read_json(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{} is not valid JSON: {e}", path.display()))
}

/// Reads a settings file: a JSON object whose values become the session's key/value settings.
/// Strings are passed as they are, numbers and booleans as their text; `null` and empty values
/// are skipped. Error messages never contain values.
pub(crate) fn read_settings(path: &Path) -> Result<Vec<(String, String)>, String> {
    settings_from_json(read_json(path)?).map_err(|e| format!("{}: {e}", path.display()))
}

pub(crate) fn settings_from_json(json: Value) -> Result<Vec<(String, String)>, String> {
    let Value::Object(map) = json else {
        return Err("settings must be a JSON object of key/value pairs".into());
    };
    let mut settings = Vec::new();
    for (key, value) in map {
        let text = match value {
            Value::Null => continue,
            Value::String(s) => s,
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => n.to_string(),
            Value::Array(_) | Value::Object(_) => {
                return Err(format!(
                    "setting `{key}` must be a string, number or boolean"
                ));
            }
        };
        if !text.trim().is_empty() {
            settings.push((key, text));
        }
    }
    Ok(settings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn settings_skip_nulls_and_empties_and_stringify_scalars() {
        let s = settings_from_json(json!({
            "base_url": "http://127.0.0.1:1", "tenant": null, "scope": "", "port": 8080, "flag": true
        }))
        .unwrap();
        assert_eq!(
            s,
            [
                ("base_url".to_string(), "http://127.0.0.1:1".to_string()),
                ("flag".to_string(), "true".to_string()),
                ("port".to_string(), "8080".to_string()),
            ]
        );
    }

    #[test]
    fn settings_errors_never_show_values() {
        let err = settings_from_json(json!({"client_secret": {"nested": "s3cr3t"}})).unwrap_err();
        assert!(
            err.contains("client_secret") && !err.contains("s3cr3t"),
            "{err}"
        );
        assert!(settings_from_json(json!(["x"])).is_err());
    }
}
