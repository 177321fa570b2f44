//! The connection form (what `info` shows) and the parsing of its values.
//!
//! A Halo admin either pastes the Halo URL alone (the resource server is `<url>/api` and the
//! authorisation server is discovered from `/api/authinfo`) or fills in the tenant and both
//! servers as Halo's *API Details* page shows them. A URL pasted with `/api` or a trailing slash
//! works either way.

pub use psa_connector_sdk::settings::Secret;
use psa_connector_sdk::settings::{field, parse_server_url, problem, Values};
use url::Url;

use crate::types::{ConnectorError, FieldKind, SettingField};

pub const BASE_URL: &str = "base_url";
pub const AUTH_URL: &str = "auth_url";
pub const TENANT: &str = "tenant";
pub const CLIENT_ID: &str = "client_id";
pub const CLIENT_SECRET: &str = "client_secret";
pub const SCOPE: &str = "scope";
pub const REFERENCE_PREFIX: &str = "reference_prefix";
pub const NOTE_OUTCOME: &str = "note_outcome";

pub const DEFAULT_SCOPE: &str = "all";
pub const DEFAULT_REFERENCE_PREFIX: &str = "psa-connector";

/// The settings form, in display order.
pub fn form() -> Vec<SettingField> {
    vec![
        field(BASE_URL, "Halo URL (resource server)", FieldKind::Url, true, None,
            "The address you open Halo at, e.g. https://yourcompany.halopsa.com. Halo shows it as the Resource Server under Configuration > Integrations > HaloPSA API > API Details; a trailing /api is fine."),
        field(AUTH_URL, "Authorisation server", FieldKind::Url, false, None,
            "Leave empty to discover it. Otherwise copy the Authorisation Server from API Details, e.g. https://yourcompany.halopsa.com/auth."),
        field(TENANT, "Tenant", FieldKind::Text, false, None,
            "Hosted Halo only: the tenant name from API Details. Leave empty for self-hosted Halo."),
        field(CLIENT_ID, "Client ID", FieldKind::Text, true, None,
            "From the API application (Authentication Method: Client ID and Secret (Services), Login Type: Agent). Copy it after saving the application: Halo may change it on first save."),
        field(CLIENT_SECRET, "Client secret", FieldKind::Secret, true, None,
            "Shown once when the API application is created."),
        field(SCOPE, "Scopes", FieldKind::Text, false, Some(DEFAULT_SCOPE),
            "Space-separated permissions to request; they must be ticked on the application's Permissions tab. Least privilege: read:tickets edit:tickets read:customers."),
        field(REFERENCE_PREFIX, "Reference prefix", FieldKind::Text, false, Some(DEFAULT_REFERENCE_PREFIX),
            "Written into each ticket's supplier reference so this platform finds its own tickets again. Use a different prefix per platform sharing one Halo."),
        field(NOTE_OUTCOME, "Note outcome", FieldKind::Text, false, None,
            "Halo outcome used for the connector's private notes. Empty picks 'Private Note', then 'Internal Note'."),
    ]
}

/// Validated settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The Halo web app, without `/api` and without a trailing slash.
    pub base_url: Url,
    /// `<base>/api`.
    pub resource_url: Url,
    /// The authorisation server, when given; otherwise discovered.
    pub auth_url: Option<Url>,
    pub tenant: Option<String>,
    pub client_id: String,
    pub client_secret: Secret,
    pub scope: String,
    pub reference_prefix: String,
    pub note_outcome: Option<String>,
}

impl Settings {
    pub fn parse(pairs: &[(String, String)]) -> Result<Settings, ConnectorError> {
        let values = Values::new(&form(), pairs)?;
        let get = |key: &str| values.get(key);
        let required = |key: &str, label: &str| values.required(key, label);

        let base_url = parse_base_url(&required(BASE_URL, "The Halo URL")?)?;
        let mut resource_url = base_url.clone();
        resource_url.set_path(&format!("{}/api", base_url.path().trim_end_matches('/')));
        let auth_url = get(AUTH_URL)
            .map(|raw| parse_server_url(AUTH_URL, "The authorisation server", &raw, EXAMPLE_URL))
            .transpose()?;
        let tenant = get(TENANT);
        if let Some(tenant) = &tenant {
            if tenant
                .chars()
                .any(|c| c.is_whitespace() || c == '/' || c == '?' || c == '&')
            {
                return Err(problem(
                    TENANT,
                    "The tenant is a single word such as 'yourcompany', as shown under API Details",
                ));
            }
        }
        let client_id = required(CLIENT_ID, "The client ID")?;
        if client_id.chars().any(char::is_whitespace) {
            return Err(problem(
                CLIENT_ID,
                "The client ID contains spaces; copy it again from the API application",
            ));
        }
        let client_secret = values.secret(CLIENT_SECRET, "The client secret")?;
        let scope = get(SCOPE).unwrap_or_else(|| DEFAULT_SCOPE.into());
        let scope = scope.split_whitespace().collect::<Vec<_>>().join(" ");
        let reference_prefix =
            get(REFERENCE_PREFIX).unwrap_or_else(|| DEFAULT_REFERENCE_PREFIX.into());
        if reference_prefix.contains('#') || reference_prefix.len() > 40 {
            return Err(problem(
                REFERENCE_PREFIX,
                "The reference prefix must be at most 40 characters and contain no '#'",
            ));
        }
        Ok(Settings {
            base_url,
            resource_url,
            auth_url,
            tenant,
            client_id,
            client_secret,
            scope,
            reference_prefix,
            note_outcome: get(NOTE_OUTCOME),
        })
    }

    /// Whether the granted scope string covers a permission such as `edit:tickets`.
    pub fn scope_grants(granted: &[String], permission: &str) -> bool {
        let (verb, area) = permission.split_once(':').unwrap_or(("", permission));
        granted.iter().any(|scope| {
            scope == "all"
                || scope == "admin"
                || scope == permission
                || (verb == "read" && scope == &format!("edit:{area}"))
        })
    }
}

/// What a Halo URL looks like, for error messages.
const EXAMPLE_URL: &str = "https://yourcompany.halopsa.com";

/// The Halo URL as pasted: `https://x.halopsa.com`, `…/`, `…/api`, `…/api/` all mean the same.
fn parse_base_url(raw: &str) -> Result<Url, ConnectorError> {
    let mut url = parse_server_url(BASE_URL, "The Halo URL", raw, EXAMPLE_URL)?;
    let path = url.path().to_string();
    let without_api = if path.to_ascii_lowercase().ends_with("/api") {
        &path[..path.len() - 4]
    } else {
        &path[..]
    };
    url.set_path(without_api);
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(extra: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut pairs = vec![
            (BASE_URL.to_string(), "https://acme.halopsa.com".to_string()),
            (CLIENT_ID.to_string(), "id".to_string()),
            (CLIENT_SECRET.to_string(), "s3cret".to_string()),
        ];
        for (k, v) in extra {
            pairs.retain(|(key, _)| key != k);
            pairs.push((k.to_string(), v.to_string()));
        }
        pairs
    }

    fn error_key(result: Result<Settings, ConnectorError>) -> String {
        match result {
            Err(ConnectorError::InvalidSettings(p)) => p.key.unwrap_or_default(),
            other => panic!("expected invalid-settings, got {other:?}"),
        }
    }

    #[test]
    fn api_suffix_and_trailing_slash_are_accepted() {
        for raw in [
            "https://acme.halopsa.com",
            "https://acme.halopsa.com/",
            "https://acme.halopsa.com/api",
            "https://acme.halopsa.com/API/",
        ] {
            let parsed = Settings::parse(&settings(&[(BASE_URL, raw)])).unwrap();
            assert_eq!(
                parsed.resource_url.as_str(),
                "https://acme.halopsa.com/api",
                "{raw}"
            );
            assert_eq!(
                parsed.base_url.as_str(),
                "https://acme.halopsa.com/",
                "{raw}"
            );
        }
    }

    #[test]
    fn path_prefix_is_kept() {
        let parsed = Settings::parse(&settings(&[(
            BASE_URL,
            "https://halo.example.com/halo/api",
        )]))
        .unwrap();
        assert_eq!(
            parsed.resource_url.as_str(),
            "https://halo.example.com/halo/api"
        );
    }

    #[test]
    fn malformed_values_name_their_key() {
        assert_eq!(
            error_key(Settings::parse(&settings(&[(BASE_URL, "not a url")]))),
            BASE_URL
        );
        assert_eq!(
            error_key(Settings::parse(&settings(&[(BASE_URL, "ftp://x")]))),
            BASE_URL
        );
        assert_eq!(
            error_key(Settings::parse(&settings(&[(
                BASE_URL,
                "https://u:p@x.com"
            )]))),
            BASE_URL
        );
        assert_eq!(
            error_key(Settings::parse(&settings(&[(AUTH_URL, "::")]))),
            AUTH_URL
        );
        assert_eq!(
            error_key(Settings::parse(&settings(&[(TENANT, "two words")]))),
            TENANT
        );
        assert_eq!(
            error_key(Settings::parse(&settings(&[(CLIENT_SECRET, "  ")]))),
            CLIENT_SECRET
        );
        assert_eq!(
            error_key(Settings::parse(&settings(&[("clientid", "x")]))),
            "clientid"
        );
    }

    #[test]
    fn internationalised_host_names_work_in_every_form() {
        // The ASCII (xn--) form, the Unicode form and an upper-case one reach the same host
        // (url's IDNA processing with its Unicode tables; they stay in the component).
        for raw in [
            "https://xn--mnchen-3ya.example",
            "https://münchen.example",
            "https://MÜNCHEN.example",
        ] {
            let parsed = Settings::parse(&settings(&[(BASE_URL, raw)])).unwrap();
            assert_eq!(parsed.base_url.host_str(), Some("xn--mnchen-3ya.example"));
        }
    }

    #[test]
    fn secret_never_prints() {
        let parsed = Settings::parse(&settings(&[])).unwrap();
        assert!(!format!("{parsed:?}").contains("s3cret"));
    }

    #[test]
    fn scope_grants_follow_halo_rules() {
        let granted = vec!["edit:tickets".to_string(), "read:customers".to_string()];
        assert!(Settings::scope_grants(&granted, "read:tickets"));
        assert!(Settings::scope_grants(&granted, "edit:tickets"));
        assert!(!Settings::scope_grants(&granted, "edit:customers"));
        assert!(Settings::scope_grants(
            &["all".to_string()],
            "edit:customers"
        ));
    }
}
