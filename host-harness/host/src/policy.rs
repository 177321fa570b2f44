//! [`EgressPolicy`]: where a connector session may send HTTP requests.
//!
//! The allow-list is derived from the session's settings, not from the component: every field
//! of the connector's settings form whose kind is `url` contributes exactly the scheme, host and
//! port of its value (the port defaulting by scheme). Everything else is denied. Hosts are
//! compared exactly (after lower-casing and IP normalisation), so `127.1`, `evil.com.` or
//! `user@host` forms never match an allowed origin. Plain `http` can be restricted to loopback
//! hosts ([`HostConfig::allow_plain_http_to_loopback_only`](crate::HostConfig)).

use std::fmt;
use std::net::IpAddr;

use crate::types::{ConnectorInfo, FieldKind};

/// URL scheme of an allowed origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// Plain `http`.
    Http,
    /// `https`.
    Https,
}

impl Scheme {
    fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "http" => Some(Self::Http),
            "https" => Some(Self::Https),
            _ => None,
        }
    }

    fn default_port(self) -> u16 {
        match self {
            Self::Http => 80,
            Self::Https => 443,
        }
    }

    /// The scheme's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Http => "http",
            Self::Https => "https",
        }
    }
}

/// One allowed (or requested) origin: scheme, normalised host and port.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    /// The scheme.
    pub scheme: Scheme,
    /// Lower-case host name, or an IP address in canonical form (IPv6 without brackets).
    pub host: String,
    /// The port, the scheme's default when the URL has none.
    pub port: u16,
}

impl Origin {
    /// Whether the host is a loopback address or `localhost`.
    pub fn is_loopback(&self) -> bool {
        match self.host.parse::<IpAddr>() {
            Ok(ip) => ip.is_loopback(),
            Err(_) => self.host == "localhost",
        }
    }
}

impl fmt::Display for Origin {
    /// `scheme://host:port`, with IPv6 hosts in brackets. This is also the key of the rate
    /// budget of a PSA instance.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(
                f,
                "{}://[{}]:{}",
                self.scheme.as_str(),
                self.host,
                self.port
            )
        } else {
            write!(f, "{}://{}:{}", self.scheme.as_str(), self.host, self.port)
        }
    }
}

/// Why a request (or an allow-list entry) was refused. Never contains a query string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denied {
    /// The URL has no host.
    MissingHost,
    /// The URL carries user information (`user:pass@host`).
    UserInfo,
    /// A scheme other than `http` and `https`.
    UnsupportedScheme(String),
    /// Plain `http` to a host that is not loopback, while the host requires `https` for those.
    PlainHttpToRemote(String),
    /// The origin is not in the allow-list.
    NotAllowed(String),
    /// The value is not a URL.
    InvalidUrl(String),
}

impl fmt::Display for Denied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingHost => f.write_str("the URL has no host"),
            Self::UserInfo => f.write_str("URLs with user information are not allowed"),
            Self::UnsupportedScheme(s) => write!(f, "scheme `{s}` is not allowed"),
            Self::PlainHttpToRemote(h) => {
                write!(
                    f,
                    "plain http is allowed only to loopback hosts, not to `{h}`; use https"
                )
            }
            Self::NotAllowed(o) => write!(f, "{o} is not in the connector's allow-list"),
            Self::InvalidUrl(m) => write!(f, "not a valid URL: {m}"),
        }
    }
}

impl std::error::Error for Denied {}

/// The allow-list of one connector session.
#[derive(Debug, Clone, Default)]
pub struct EgressPolicy {
    allowed: Vec<Origin>,
    refused: Vec<(String, Denied)>,
    plain_http_loopback_only: bool,
}

impl EgressPolicy {
    /// An empty policy (denies everything).
    pub fn new(plain_http_loopback_only: bool) -> Self {
        Self {
            allowed: Vec::new(),
            refused: Vec::new(),
            plain_http_loopback_only,
        }
    }

    /// The policy of a session: the origins of the values of the `url` fields of `info`'s
    /// settings form (a field's default value when the setting is absent or empty).
    /// Values that are not acceptable URLs are left out and listed by [`Self::refused`].
    pub fn from_settings(
        info: &ConnectorInfo,
        settings: &[(String, String)],
        plain_http_loopback_only: bool,
    ) -> Self {
        let mut policy = Self::new(plain_http_loopback_only);
        for field in info
            .settings_form
            .iter()
            .filter(|f| f.kind == FieldKind::Url)
        {
            let value = settings
                .iter()
                .rev()
                .find(|(k, v)| *k == field.key && !v.trim().is_empty())
                .map(|(_, v)| v.trim().to_string())
                .or_else(|| field.default_value.clone().filter(|v| !v.trim().is_empty()));
            if let Some(value) = value {
                if let Err(denied) = policy.allow(&value) {
                    policy.refused.push((field.key.clone(), denied));
                }
            }
        }
        policy
    }

    /// Adds the origin of `url` to the allow-list and returns it.
    pub fn allow(&mut self, url: &str) -> Result<Origin, Denied> {
        let parsed = url::Url::parse(url).map_err(|e| Denied::InvalidUrl(e.to_string()))?;
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(Denied::UserInfo);
        }
        let scheme = Scheme::parse(parsed.scheme())
            .ok_or_else(|| Denied::UnsupportedScheme(parsed.scheme().to_string()))?;
        let host = match parsed.host().ok_or(Denied::MissingHost)? {
            url::Host::Domain(d) => d.to_ascii_lowercase(),
            url::Host::Ipv4(ip) => ip.to_string(),
            url::Host::Ipv6(ip) => ip.to_string(),
        };
        let port = parsed.port().unwrap_or(scheme.default_port());
        let origin = Origin { scheme, host, port };
        self.check_plain_http(&origin)?;
        if !self.allowed.contains(&origin) {
            self.allowed.push(origin.clone());
        }
        Ok(origin)
    }

    /// The allowed origins.
    pub fn origins(&self) -> &[Origin] {
        &self.allowed
    }

    /// Settings keys whose values were not added, and why.
    pub fn refused(&self) -> &[(String, Denied)] {
        &self.refused
    }

    /// Checks an outgoing request's URI. Returns the request's origin when it is allowed.
    pub fn check(&self, uri: &http::Uri) -> Result<Origin, Denied> {
        let origin = request_origin(uri)?;
        self.check_plain_http(&origin)?;
        if self.allowed.contains(&origin) {
            Ok(origin)
        } else {
            Err(Denied::NotAllowed(origin.to_string()))
        }
    }

    fn check_plain_http(&self, origin: &Origin) -> Result<(), Denied> {
        if self.plain_http_loopback_only && origin.scheme == Scheme::Http && !origin.is_loopback() {
            return Err(Denied::PlainHttpToRemote(origin.host.clone()));
        }
        Ok(())
    }
}

/// The origin a request URI addresses, normalised the same way as allow-list entries but
/// without any lenient parsing: the host must already be in canonical form to match.
pub fn request_origin(uri: &http::Uri) -> Result<Origin, Denied> {
    let scheme_str = uri
        .scheme_str()
        .ok_or(Denied::UnsupportedScheme(String::new()))?;
    let scheme =
        Scheme::parse(scheme_str).ok_or_else(|| Denied::UnsupportedScheme(scheme_str.into()))?;
    let authority = uri.authority().ok_or(Denied::MissingHost)?;
    if authority.as_str().contains('@') {
        return Err(Denied::UserInfo);
    }
    let raw_host = authority.host();
    if raw_host.is_empty() {
        return Err(Denied::MissingHost);
    }
    let unbracketed = raw_host.trim_start_matches('[').trim_end_matches(']');
    let host = match unbracketed.parse::<IpAddr>() {
        Ok(ip) => ip.to_string(),
        Err(_) => unbracketed.to_ascii_lowercase(),
    };
    let port = authority.port_u16().unwrap_or(scheme.default_port());
    Ok(Origin { scheme, host, port })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{ConnectorInfo, FieldKind, SettingField};

    fn policy(urls: &[&str]) -> EgressPolicy {
        let mut p = EgressPolicy::new(true);
        for u in urls {
            p.allow(u).unwrap();
        }
        p
    }

    fn check(p: &EgressPolicy, uri: &str) -> Result<Origin, Denied> {
        p.check(&uri.parse::<http::Uri>().unwrap())
    }

    fn field(key: &str, kind: FieldKind, default_value: Option<&str>) -> SettingField {
        SettingField {
            key: key.into(),
            label: key.into(),
            kind,
            required: false,
            default_value: default_value.map(Into::into),
            help: String::new(),
        }
    }

    fn info(fields: Vec<SettingField>) -> ConnectorInfo {
        ConnectorInfo {
            name: "t".into(),
            psa_name: "T".into(),
            version: "0.1.0".into(),
            contract_version: "0.2.0".into(),
            capabilities: vec![],
            settings_form: fields,
        }
    }

    #[test]
    fn allowed_origin_passes_with_any_path_and_query() {
        let p = policy(&["https://acme.halopsa.com/"]);
        assert!(check(&p, "https://acme.halopsa.com/api/Tickets?x=1").is_ok());
        assert!(check(&p, "https://acme.halopsa.com:443/auth/token").is_ok());
    }

    #[test]
    fn other_host_is_denied() {
        let p = policy(&["https://acme.halopsa.com"]);
        assert_eq!(
            check(&p, "https://evil.com/api").unwrap_err(),
            Denied::NotAllowed("https://evil.com:443".into())
        );
        assert!(check(&p, "https://acme.halopsa.com.evil.com/").is_err());
        assert!(check(&p, "https://sub.acme.halopsa.com/").is_err());
    }

    #[test]
    fn other_port_is_denied() {
        let p = policy(&["https://acme.halopsa.com"]);
        assert!(check(&p, "https://acme.halopsa.com:8443/").is_err());
        let p = policy(&["http://127.0.0.1:8080"]);
        assert!(check(&p, "http://127.0.0.1:8080/").is_ok());
        assert!(check(&p, "http://127.0.0.1:8081/").is_err());
        assert!(check(&p, "http://127.0.0.1/").is_err());
    }

    #[test]
    fn scheme_must_match() {
        let p = policy(&["https://127.0.0.1:9000"]);
        assert!(check(&p, "http://127.0.0.1:9000/").is_err());
        let p = policy(&["http://127.0.0.1:9000"]);
        assert!(check(&p, "https://127.0.0.1:9000/").is_err());
        assert!(matches!(
            check(&p, "ftp://127.0.0.1:9000/"),
            Err(Denied::UnsupportedScheme(_))
        ));
    }

    #[test]
    fn default_ports_by_scheme() {
        let p = policy(&["https://a.example", "http://localhost"]);
        assert_eq!(p.origins()[0].port, 443);
        assert_eq!(p.origins()[1].port, 80);
        assert!(check(&p, "https://a.example:443/").is_ok());
        assert!(check(&p, "http://localhost:80/").is_ok());
    }

    #[test]
    fn plain_http_only_to_loopback() {
        let mut p = EgressPolicy::new(true);
        assert_eq!(
            p.allow("http://acme.halopsa.com").unwrap_err(),
            Denied::PlainHttpToRemote("acme.halopsa.com".into())
        );
        assert!(p.allow("http://127.0.0.1:1234").is_ok());
        assert!(p.allow("http://127.8.9.10:1234").is_ok());
        assert!(p.allow("http://[::1]:1234").is_ok());
        assert!(p.allow("http://localhost:1234").is_ok());
        assert!(p.allow("http://10.0.0.1").is_err());
        assert!(p.allow("http://[::ffff:127.0.0.1]").is_err());
        assert!(matches!(
            check(&p, "http://acme.halopsa.com/"),
            Err(Denied::PlainHttpToRemote(_))
        ));

        let mut lax = EgressPolicy::new(false);
        assert!(lax.allow("http://acme.halopsa.com").is_ok());
        assert!(check(&lax, "http://acme.halopsa.com/api").is_ok());
    }

    #[test]
    fn ip_literals_are_normalised_but_not_reinterpreted() {
        let p = policy(&["http://127.0.0.1:8080", "https://[2001:db8::1]"]);
        assert!(check(&p, "https://[2001:0db8:0:0:0:0:0:1]/").is_ok());
        assert_eq!(p.origins()[1].to_string(), "https://[2001:db8::1]:443");
        // Alternative IPv4 spellings never match the canonical entry.
        assert!(check(&p, "http://127.1:8080/").is_err());
        assert!(check(&p, "http://2130706433:8080/").is_err());
        assert!(check(&p, "http://0x7f.0.0.1:8080/").is_err());
    }

    #[test]
    fn host_case_is_ignored_but_trailing_dot_is_not() {
        let p = policy(&["https://ACME.HaloPSA.com"]);
        assert!(check(&p, "https://acme.halopsa.com/").is_ok());
        assert!(check(&p, "https://Acme.HALOPSA.COM/").is_ok());
        assert!(check(&p, "https://acme.halopsa.com./").is_err());
    }

    #[test]
    fn userinfo_tricks_are_denied() {
        let p = policy(&["http://127.0.0.1:80"]);
        assert_eq!(
            check(&p, "http://127.0.0.1:80@evil.com/").unwrap_err(),
            Denied::UserInfo
        );
        assert_eq!(
            check(&p, "http://user:pw@127.0.0.1/").unwrap_err(),
            Denied::UserInfo
        );
        let mut p = EgressPolicy::new(true);
        assert_eq!(
            p.allow("https://u:p@acme.halopsa.com").unwrap_err(),
            Denied::UserInfo
        );
    }

    #[test]
    fn empty_policy_denies_everything() {
        let p = EgressPolicy::new(true);
        assert!(check(&p, "http://127.0.0.1/").is_err());
        assert!(check(&p, "https://example.com/").is_err());
    }

    #[test]
    fn from_settings_uses_url_fields_only_with_defaults() {
        let info = info(vec![
            field("base_url", FieldKind::Url, None),
            field("auth_url", FieldKind::Url, Some("https://auth.example.com")),
            field("tenant", FieldKind::Text, None),
            field("client_secret", FieldKind::Secret, None),
        ]);
        let settings = vec![
            (
                "base_url".to_string(),
                "https://acme.halopsa.com/".to_string(),
            ),
            ("auth_url".to_string(), "  ".to_string()),
            (
                "tenant".to_string(),
                "https://text-field.example.com".to_string(),
            ),
            (
                "client_secret".to_string(),
                "https://secret.example.com".to_string(),
            ),
            (
                "unknown".to_string(),
                "https://unknown.example.com".to_string(),
            ),
        ];
        let p = EgressPolicy::from_settings(&info, &settings, true);
        let origins: Vec<String> = p.origins().iter().map(ToString::to_string).collect();
        assert_eq!(
            origins,
            [
                "https://acme.halopsa.com:443",
                "https://auth.example.com:443"
            ]
        );
        assert!(check(&p, "https://text-field.example.com/").is_err());
        assert!(check(&p, "https://secret.example.com/").is_err());
    }

    #[test]
    fn from_settings_records_refused_values() {
        let info = info(vec![field("base_url", FieldKind::Url, None)]);
        let settings = vec![(
            "base_url".to_string(),
            "http://acme.halopsa.com".to_string(),
        )];
        let p = EgressPolicy::from_settings(&info, &settings, true);
        assert!(p.origins().is_empty());
        assert_eq!(p.refused()[0].0, "base_url");
        let settings = vec![("base_url".to_string(), "not a url".to_string())];
        let p = EgressPolicy::from_settings(&info, &settings, true);
        assert!(matches!(p.refused()[0].1, Denied::InvalidUrl(_)));
    }
}
