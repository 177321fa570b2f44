//! The settings form and its validation (no request is made here).

use psa_connector_sdk::settings::{field, parse_server_url, Secret, Values};
use psa_connector_sdk::types::{ConnectorError, FieldKind, SettingField};
use url::Url;

/// What marks this platform's tickets in `externalXRef` (`<prefix>#<alert key>`).
pub const REFERENCE_PREFIX: &str = "psa-connector";
const SITE_EXAMPLE: &str = "https://api-na.myconnectwise.net";

/// The settings form `info` shows.
pub fn form() -> Vec<SettingField> {
    vec![
        field(
            "site",
            "Site URL",
            FieldKind::Url,
            true,
            None,
            "Your ConnectWise PSA API site, e.g. https://api-na.myconnectwise.net (cloud: the api- host of your region) or your on-premise URL. The codebase (e.g. v4_6_release/) is discovered; a full …/apis/3.0 URL is accepted too.",
        ),
        field(
            "company_id",
            "Company id",
            FieldKind::Text,
            true,
            None,
            "The company id typed at the ConnectWise login (not the display name).",
        ),
        field(
            "public_key",
            "Public key",
            FieldKind::Text,
            true,
            None,
            "System > Members > API Members > (member) > API Keys.",
        ),
        field(
            "private_key",
            "Private key",
            FieldKind::Secret,
            true,
            None,
            "Shown once when the API key is created.",
        ),
        field(
            "client_id",
            "Client id",
            FieldKind::Text,
            true,
            None,
            "The integration's clientId (a GUID from developer.connectwise.com/ClientID), sent on every request.",
        ),
    ]
}

/// Validated settings.
pub struct CwSettings {
    /// The site root (no path), or with the on-premise path prefix.
    pub site: Url,
    /// The codebase given in the URL (`v4_6_release/`), else discovered.
    pub codebase: Option<String>,
    pub company_id: String,
    pub public_key: String,
    pub private_key: Secret,
    pub client_id: String,
}

impl CwSettings {
    /// Reads and checks the form's values.
    pub fn parse(pairs: &[(String, String)]) -> Result<CwSettings, ConnectorError> {
        let form = form();
        let values = Values::new(&form, pairs)?;
        let raw = values.required("site", "The site URL")?;
        let mut site = parse_server_url("site", "The site URL", &raw, SITE_EXAMPLE)?;
        let mut codebase = None;
        let path = site.path().trim_matches('/').to_string();
        if let Some(before) = path.strip_suffix("apis/3.0") {
            let before = before.trim_matches('/');
            let (prefix, code) = match before.rsplit_once('/') {
                Some((prefix, code)) => (format!("/{prefix}"), code.to_string()),
                None => (String::new(), before.to_string()),
            };
            if !code.is_empty() {
                codebase = Some(format!("{code}/"));
            }
            site.set_path(&prefix);
        }
        let company_id = values.required("company_id", "The company id")?;
        let public_key = values.required("public_key", "The public key")?;
        let private_key = values.secret("private_key", "The private key")?;
        let client_id = values.required("client_id", "The client id")?;
        for (key, label, value) in [
            ("company_id", "The company id", &company_id),
            ("public_key", "The public key", &public_key),
        ] {
            if value.contains([':', '+']) || value.chars().any(char::is_whitespace) {
                return Err(psa_connector_sdk::settings::problem(
                    key,
                    format!("{label} must not contain spaces, '+' or ':'"),
                ));
            }
        }
        if client_id
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(psa_connector_sdk::settings::problem(
                "client_id",
                "The client id must not contain spaces",
            ));
        }
        Ok(CwSettings {
            site,
            codebase,
            company_id,
            public_key,
            private_key,
            client_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(site: &str) -> Vec<(String, String)> {
        vec![
            ("site".into(), site.into()),
            ("company_id".into(), "acme".into()),
            ("public_key".into(), "pub".into()),
            ("private_key".into(), "priv".into()),
            (
                "client_id".into(),
                "6b3e2f8c-1d4a-4c9e-9f57-2a8b5c0d7e91".into(),
            ),
        ]
    }

    #[test]
    fn a_full_api_url_gives_the_codebase() {
        let s = CwSettings::parse(&pairs("https://cw.example.com/v2025_1/apis/3.0/")).unwrap();
        assert_eq!(s.site.as_str(), "https://cw.example.com/");
        assert_eq!(s.codebase.as_deref(), Some("v2025_1/"));
        let s = CwSettings::parse(&pairs("https://api-na.myconnectwise.net")).unwrap();
        assert_eq!(s.codebase, None);
    }

    #[test]
    fn missing_fields_are_named() {
        let mut p = pairs("https://x.example.com");
        p.retain(|(k, _)| k != "client_id");
        match CwSettings::parse(&p) {
            Err(ConnectorError::InvalidSettings(problem)) => {
                assert_eq!(problem.key.as_deref(), Some("client_id"))
            }
            _ => panic!("expected invalid-settings"),
        }
    }
}
