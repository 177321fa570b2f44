//! Which version of the `psa:connector` contract a component was built against, read from its
//! exports before it is instantiated, and whether this host supports it (`wit/README.md` has
//! the compatibility policy).

use wasmtime::component::Component;
use wasmtime::Engine;

use crate::error::HostError;

/// The contract package's name.
const PACKAGE: &str = "psa:connector";

/// The interface every connector exports, without its version.
const INTERFACE: &str = "psa:connector/connector";

/// The version of the contract this host's typed API is (`wit/`).
pub const CURRENT: ContractVersion = ContractVersion::new(0, 2, 0);

/// Older versions this host still runs, through the adapter (`wit/since_v<version>/`).
pub const OLDER_SUPPORTED: &[ContractVersion] = &[ContractVersion::new(0, 1, 0)];

/// A contract version (semver).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ContractVersion {
    /// Major.
    pub major: u64,
    /// Minor.
    pub minor: u64,
    /// Patch.
    pub patch: u64,
}

impl ContractVersion {
    /// `major.minor.patch`.
    pub const fn new(major: u64, minor: u64, patch: u64) -> Self {
        Self {
            major,
            minor,
            patch,
        }
    }

    /// Parses `major.minor.patch` (no pre-release or build suffix).
    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.split('.').map(|p| p.parse::<u64>().ok());
        match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some(Some(major)), Some(Some(minor)), Some(Some(patch)), None) => {
                Some(Self::new(major, minor, patch))
            }
            _ => None,
        }
    }

    /// Whether a component built against `self` can be run as `other`: same major, and for
    /// 0.x the same minor (the policy: 0.x minors break, patches do not).
    pub fn compatible_with(self, other: ContractVersion) -> bool {
        self.major == other.major && (self.major > 0 || self.minor == other.minor)
    }

    /// The name of the exported interface at this version.
    pub fn interface_name(self) -> String {
        format!("{INTERFACE}@{self}")
    }
}

impl std::fmt::Display for ContractVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// How the host runs a component's contract version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContractSupport {
    /// The current contract: typed bindings, directly.
    Current,
    /// An older supported contract: through the adapter.
    Older(ContractVersion),
}

/// Every version this host runs, current first, for messages.
pub fn supported_versions() -> String {
    std::iter::once(CURRENT)
        .chain(OLDER_SUPPORTED.iter().copied())
        .map(|v| format!("{}.{}.x", v.major, v.minor))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The contract version `component` exports (its exact export name) and how this host runs
/// it; `HostError::Incompatible` with what to do when it exports none or an unsupported one.
pub(crate) fn contract_of(
    component: &Component,
    engine: &Engine,
) -> Result<(String, ContractVersion, ContractSupport), HostError> {
    let exported: Vec<String> = component
        .component_type()
        .exports(engine)
        .map(|(name, _)| name.to_string())
        .filter(|name| name.starts_with(INTERFACE))
        .collect();
    let Some(name) = exported.first() else {
        return Err(HostError::Incompatible(format!(
            "the component exports no `{INTERFACE}` interface: it is not a {PACKAGE} connector \
             (this host runs contract versions {}; `{}` is the current one)",
            supported_versions(),
            CURRENT.interface_name()
        )));
    };
    let version = name
        .strip_prefix(INTERFACE)
        .and_then(|rest| rest.strip_prefix('@'))
        .and_then(ContractVersion::parse)
        .ok_or_else(|| {
            HostError::Incompatible(format!(
                "the component exports `{name}`, without a version this host can read \
                 (this host runs contract versions {})",
                supported_versions()
            ))
        })?;
    if version.compatible_with(CURRENT) {
        return Ok((name.clone(), version, ContractSupport::Current));
    }
    if let Some(older) = OLDER_SUPPORTED
        .iter()
        .find(|v| version.compatible_with(**v))
    {
        return Ok((name.clone(), version, ContractSupport::Older(*older)));
    }
    let what_to_do = if version > CURRENT {
        format!(
            "it is newer than this host: upgrade the host (psa-host) to one that supports \
             {version}, or build the connector against {CURRENT} (psa-connector-sdk for \
             {CURRENT})"
        )
    } else {
        format!(
            "this host no longer runs it: rebuild the connector against {CURRENT} \
             (psa-connector-sdk for {CURRENT}; see wit/README.md for what changed)"
        )
    };
    Err(HostError::Incompatible(format!(
        "the component was built against {PACKAGE}@{version}; this host runs {}: {what_to_do}",
        supported_versions()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_and_compare_by_the_policy() {
        let v = |s| ContractVersion::parse(s).unwrap();
        assert_eq!(v("0.2.0"), CURRENT);
        assert!(v("0.2.5").compatible_with(CURRENT));
        assert!(!v("0.1.0").compatible_with(CURRENT));
        assert!(!v("0.3.0").compatible_with(CURRENT));
        assert!(v("1.4.0").compatible_with(v("1.0.0")));
        assert!(!v("2.0.0").compatible_with(v("1.0.0")));
        assert_eq!(ContractVersion::parse("0.2"), None);
        assert_eq!(ContractVersion::parse("0.2.0-rc1"), None);
        assert_eq!(supported_versions(), "0.2.x, 0.1.x");
    }
}
