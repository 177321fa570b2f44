//! Settings-form helpers: declaring the form `info` shows, and reading the values `open` gets
//! (unknown keys refused, blanks treated as missing, errors naming the field, secrets that never
//! print).
//!
//! ```
//! use psa_connector_sdk::settings::{field, Values};
//! use psa_connector_sdk::types::FieldKind;
//!
//! let form = vec![
//!     field("site", "Site", FieldKind::Url, true, None, "e.g. https://api-na.myconnectwise.net"),
//!     field("private_key", "Private key", FieldKind::Secret, true, None, "Shown once."),
//! ];
//! let pairs = vec![
//!     ("site".to_string(), " https://api-na.example.net/ ".to_string()),
//!     ("private_key".to_string(), "p".to_string()),
//! ];
//! let values = Values::new(&form, &pairs).unwrap();
//! let site = values.url("site", "The site", "https://api-na.myconnectwise.net").unwrap();
//! assert_eq!(site.as_str(), "https://api-na.example.net/");
//! let key = values.secret("private_key", "The private key").unwrap();
//! assert_eq!(format!("{key:?}"), "Secret(***)");
//! ```

use url::Url;

use crate::types::{ConnectorError, FieldKind, SettingField, SettingProblem};

/// One field of the settings form.
pub fn field(
    key: &str,
    label: &str,
    kind: FieldKind,
    required: bool,
    default: Option<&str>,
    help: &str,
) -> SettingField {
    SettingField {
        key: key.into(),
        label: label.into(),
        kind,
        required,
        default_value: default.map(Into::into),
        help: help.into(),
    }
}

/// `invalid-settings` naming the field.
pub fn problem(key: &str, message: impl Into<String>) -> ConnectorError {
    ConnectorError::InvalidSettings(SettingProblem {
        key: Some(key.into()),
        message: message.into(),
    })
}

/// A secret that never prints.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    /// A secret value.
    pub fn new(value: String) -> Secret {
        Secret(value)
    }

    /// The value, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// The values `open` got, checked against the form.
pub struct Values<'a> {
    pairs: &'a [(String, String)],
}

impl<'a> Values<'a> {
    /// Refuses a key the form does not have (naming the known ones).
    pub fn new(
        form: &[SettingField],
        pairs: &'a [(String, String)],
    ) -> Result<Values<'a>, ConnectorError> {
        let known: Vec<&str> = form.iter().map(|f| f.key.as_str()).collect();
        for (key, _) in pairs {
            if !known.contains(&key.as_str()) {
                return Err(problem(
                    key,
                    format!(
                        "unknown setting '{key}'; known settings: {}",
                        known.join(", ")
                    ),
                ));
            }
        }
        Ok(Values { pairs })
    }

    /// A value, trimmed; blank is missing; the last one given wins.
    pub fn get(&self, key: &str) -> Option<String> {
        self.pairs
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.trim().to_string())
            .filter(|v| !v.is_empty())
    }

    /// A value that must be given: else "`<label>` is required".
    pub fn required(&self, key: &str, label: &str) -> Result<String, ConnectorError> {
        self.get(key)
            .ok_or_else(|| problem(key, format!("{label} is required")))
    }

    /// A required secret.
    pub fn secret(&self, key: &str, label: &str) -> Result<Secret, ConnectorError> {
        self.required(key, label).map(Secret)
    }

    /// A required server URL (see [`parse_server_url`]).
    pub fn url(&self, key: &str, label: &str, example: &str) -> Result<Url, ConnectorError> {
        parse_server_url(key, label, &self.required(key, label)?, example)
    }
}

/// A server URL as an admin pastes it: `http(s)`, a host, no user name, password, query or
/// fragment; a trailing `/` dropped from the path. `example` shows what one looks like.
pub fn parse_server_url(
    key: &str,
    label: &str,
    raw: &str,
    example: &str,
) -> Result<Url, ConnectorError> {
    let url = Url::parse(raw).map_err(|e| {
        problem(
            key,
            format!("{label} '{raw}' is not a valid URL ({e}); it looks like {example}"),
        )
    })?;
    if url.scheme() != "https" && url.scheme() != "http" {
        return Err(problem(key, format!("{label} must start with https://")));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(problem(key, format!("{label} '{raw}' has no host name")));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(problem(
            key,
            format!("{label} must not contain a user name or password"),
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(problem(key, format!("{label} must not contain '?' or '#'")));
    }
    let mut url = url;
    let trimmed = url.path().trim_end_matches('/').to_string();
    url.set_path(&trimmed);
    Ok(url)
}
