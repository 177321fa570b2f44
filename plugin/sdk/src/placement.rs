//! Placement rules: which of a profile's ordered rules places an alert, and the profile as that
//! rule makes it (its ticket type, team, priority and status over the default placement's).
//!
//! ```
//! use psa_connector_sdk::placement::category_matches;
//!
//! assert!(category_matches("identity/*", "Identity/impossible-travel"));
//! assert!(category_matches("endpoint/malware", "endpoint/malware"));
//! assert!(!category_matches("identity/*", "identityx/foo"));
//! ```

use crate::lifecycle::severity_rank;
use crate::types::{
    Alert, FindingSeverity, MappingProfile, PlacementRule, PriorityMapping, Severity,
    ValidationFinding,
};

/// Where an alert goes.
#[derive(Debug, Clone)]
pub enum Placed {
    /// A rule with `skip` matched: no ticket. Carries the rule's name.
    Skip(String),
    /// A ticket: the profile as the matching rule makes it, and the rule's name (`None`: the
    /// default placement).
    Ticket {
        /// The profile with the rule's targets in place of the default's.
        profile: Box<MappingProfile>,
        /// The rule that matched, if any.
        rule: Option<String>,
    },
}

/// Whether a rule's category pattern matches an alert's category (ignoring case): equal, or a
/// `<prefix>/*` pattern and a category under that prefix.
pub fn category_matches(pattern: &str, category: &str) -> bool {
    let pattern = pattern.trim().to_lowercase();
    let category = category.trim().to_lowercase();
    match pattern.strip_suffix('*') {
        Some(prefix) if prefix.ends_with('/') => category.starts_with(prefix),
        Some("") => true,
        _ => pattern == category,
    }
}

/// Whether the rule matches an alert of this category, severity and tenant.
pub fn rule_matches(
    rule: &PlacementRule,
    category: Option<&str>,
    severity: Severity,
    tenant: &str,
) -> bool {
    let category_ok = match (rule.category.as_deref().map(str::trim), category) {
        (None | Some(""), _) => true,
        (Some(pattern), Some(category)) => category_matches(pattern, category),
        (Some(_), None) => false,
    };
    let severity_ok = rule
        .min_severity
        .is_none_or(|min| severity_rank(severity) >= severity_rank(min));
    let tenant_ok = rule.tenants.is_empty() || rule.tenants.iter().any(|t| t == tenant);
    category_ok && severity_ok && tenant_ok
}

/// The profile with a rule's targets over the default placement's (skip aside).
pub fn apply_rule(profile: &MappingProfile, rule: &PlacementRule) -> MappingProfile {
    let mut placed = profile.clone();
    if rule.ticket_type_id.is_some() {
        placed.ticket_type_id = rule.ticket_type_id.clone();
    }
    if rule.team_id.is_some() {
        placed.team_id = rule.team_id.clone();
    }
    if rule.status_id.is_some() {
        placed.default_status_id = rule.status_id.clone();
    }
    if let Some(priority) = &rule.priority_id {
        placed.priorities = [
            Severity::Critical,
            Severity::High,
            Severity::Medium,
            Severity::Low,
            Severity::Info,
        ]
        .into_iter()
        .map(|severity| PriorityMapping {
            severity,
            priority_id: priority.clone(),
        })
        .collect();
    }
    placed.rules = vec![];
    placed
}

/// Places an alert: the first matching rule, else the default placement.
pub fn place(profile: &MappingProfile, alert: &Alert) -> Placed {
    for rule in &profile.rules {
        if rule_matches(
            rule,
            alert.category.as_deref(),
            alert.severity,
            &alert.tenant_id,
        ) {
            if rule.skip {
                return Placed::Skip(rule.name.clone());
            }
            return Placed::Ticket {
                profile: Box::new(apply_rule(profile, rule)),
                rule: Some(rule.name.clone()),
            };
        }
    }
    Placed::Ticket {
        profile: Box::new(profile.clone()),
        rule: None,
    }
}

/// `validate-mapping` for the rules: a rule without a name or with another rule's name is an
/// error; each other rule's targets are checked by `check` (given the profile as the rule makes
/// it, and the rule, to check what the rule sets) and its findings name the rule in their
/// subject (`rule 'vip': team 7`).
pub fn check_rules<E>(
    profile: &MappingProfile,
    mut check: impl FnMut(&MappingProfile, &PlacementRule) -> Result<Vec<ValidationFinding>, E>,
) -> Result<Vec<ValidationFinding>, E> {
    let mut findings = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for rule in &profile.rules {
        let name = rule.name.trim();
        if name.is_empty() || !seen.insert(name.to_string()) {
            findings.push(ValidationFinding {
                severity: FindingSeverity::Error,
                code: "rule-name-invalid".into(),
                subject: format!("rule '{name}'"),
                message: "every placement rule needs a name no other rule has: outcomes name the rule that placed or skipped an alert".into(),
                hint: "Name the rule".into(),
            });
        }
        if rule.skip {
            continue;
        }
        for mut finding in check(&apply_rule(profile, rule), rule)? {
            finding.subject = format!("rule '{name}': {}", finding.subject);
            findings.push(finding);
        }
    }
    Ok(findings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::SyncStrategy;

    pub(crate) fn rule(name: &str) -> PlacementRule {
        PlacementRule {
            name: name.into(),
            category: None,
            min_severity: None,
            tenants: vec![],
            skip: false,
            ticket_type_id: None,
            team_id: None,
            priority_id: None,
            status_id: None,
        }
    }

    fn profile(rules: Vec<PlacementRule>) -> MappingProfile {
        MappingProfile {
            tenants: vec![],
            fallback_organization_id: None,
            priorities: vec![],
            default_status_id: Some("1".into()),
            ticket_type_id: Some("10".into()),
            team_id: Some("t".into()),
            category: None,
            strategy: SyncStrategy::CreateAndUpdate,
            reopen_window_hours: 0,
            reopen_status_id: None,
            close_status_id: None,
            rules,
            source_id: None,
        }
    }

    fn alert(category: Option<&str>, severity: Severity, tenant: &str) -> Alert {
        Alert {
            key: "k".into(),
            occurrence_id: None,
            tenant_id: tenant.into(),
            severity,
            summary: "s".into(),
            details: "d".into(),
            contact: None,
            category: category.map(Into::into),
            link_url: None,
            evidence: vec![],
        }
    }

    #[test]
    fn first_matching_rule_wins_and_the_default_applies_otherwise() {
        let mut noise = rule("drop info");
        noise.min_severity = None;
        noise.category = Some("endpoint/pua".into());
        noise.skip = true;
        let mut identity = rule("identity to security board");
        identity.category = Some("identity/*".into());
        identity.ticket_type_id = Some("20".into());
        identity.priority_id = Some("1".into());
        let mut vip = rule("vip tenant");
        vip.tenants = vec!["vip".into()];
        vip.min_severity = Some(Severity::High);
        vip.team_id = Some("vip-team".into());
        let p = profile(vec![noise, identity, vip]);

        assert!(
            matches!(place(&p, &alert(Some("endpoint/PUA"), Severity::Critical, "x")), Placed::Skip(r) if r == "drop info")
        );
        let Placed::Ticket {
            profile: placed,
            rule,
        } = place(
            &p,
            &alert(Some("identity/impossible-travel"), Severity::Low, "vip"),
        )
        else {
            panic!("placed")
        };
        assert_eq!(rule.as_deref(), Some("identity to security board"));
        assert_eq!(placed.ticket_type_id.as_deref(), Some("20"));
        assert_eq!(placed.team_id.as_deref(), Some("t"));
        assert!(placed.priorities.iter().all(|m| m.priority_id == "1"));
        assert_eq!(placed.priorities.len(), 5);

        let Placed::Ticket {
            profile: placed,
            rule,
        } = place(&p, &alert(None, Severity::Critical, "vip"))
        else {
            panic!("placed")
        };
        assert_eq!(rule.as_deref(), Some("vip tenant"));
        assert_eq!(placed.team_id.as_deref(), Some("vip-team"));

        let Placed::Ticket {
            profile: placed,
            rule,
        } = place(&p, &alert(None, Severity::Medium, "vip"))
        else {
            panic!("placed")
        };
        assert_eq!(rule, None);
        assert_eq!(placed.ticket_type_id.as_deref(), Some("10"));
    }
}
