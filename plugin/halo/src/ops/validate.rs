//! `validate-mapping`: the pre-flight check a host runs before saving a profile, so that a wrong
//! ticket type, priority or status shows up now and not when the first alert fails to ticket.

use std::collections::{BTreeMap, BTreeSet};

use psa_connector_sdk::placement::check_rules;

use crate::model::Obj;
use crate::ops::fetch_list;
use crate::ops::organizations::organization_from_json;
use crate::session::HaloSession;
use crate::settings::Settings;
use crate::types::{
    ConnectorError, FindingSeverity, MappingProfile, Organization, SyncStrategy, ValidationFinding,
    ValidationReport,
};

/// Above this many mapped organizations, one paged list is cheaper than one read each.
const INDIVIDUAL_READS: usize = 25;

struct Findings(Vec<ValidationFinding>);

impl Findings {
    fn add(
        &mut self,
        severity: FindingSeverity,
        code: &str,
        subject: String,
        message: String,
        hint: &str,
    ) {
        self.0.push(ValidationFinding {
            severity,
            code: code.into(),
            subject,
            message,
            hint: hint.into(),
        });
    }
    fn error(&mut self, code: &str, subject: String, message: String, hint: &str) {
        self.add(FindingSeverity::Error, code, subject, message, hint);
    }
}

impl HaloSession {
    pub fn validate_mapping(
        &self,
        profile: &MappingProfile,
    ) -> Result<ValidationReport, ConnectorError> {
        let mut findings = Findings(Vec::new());
        self.check_permissions(&mut findings)?;
        self.check_organizations(profile, &mut findings)?;
        self.check_ticket_type_and_priorities(profile, &mut findings)?;
        self.check_statuses(profile, &mut findings)?;
        self.check_team(profile, &mut findings)?;
        self.check_source(profile, &mut findings)?;
        findings.0.extend(check_rules(profile, |placed, rule| {
            let mut found = Findings(Vec::new());
            if rule.ticket_type_id.is_some() || rule.priority_id.is_some() {
                self.check_ticket_type_and_priorities(placed, &mut found)?;
            }
            if let Some(status) = &rule.status_id {
                self.check_status(&self.list_statuses()?, "status", status, &mut found);
            }
            if rule.team_id.is_some() {
                self.check_team(placed, &mut found)?;
            }
            Ok::<_, ConnectorError>(found.0)
        })?);
        if profile.strategy != SyncStrategy::CreateOnly {
            if let Err(error) = self.note_outcome() {
                findings.error("note-outcome-missing", "outcomes".into(), crate::ops::connection::short(&error),
                    "Create a private-note outcome in Halo (Configuration > Tickets > Actions) or set the 'Note outcome' setting to an existing one");
            }
        }
        let ok = !findings
            .0
            .iter()
            .any(|f| f.severity == FindingSeverity::Error);
        Ok(ValidationReport {
            ok,
            findings: findings.0,
        })
    }

    fn check_permissions(&self, findings: &mut Findings) -> Result<(), ConnectorError> {
        let token = self.token()?;
        if !Settings::scope_grants(&token.scopes, "edit:tickets") {
            findings.error("missing-edit-permission", "api application".into(),
                format!("the token's scopes ({}) do not allow creating or editing tickets", token.scopes.join(" ")),
                "Tick edit:tickets on the API application's Permissions tab and add it to the Scopes setting");
        }
        if !Settings::scope_grants(&token.scopes, "read:customers") {
            findings.error(
                "missing-customer-permission",
                "api application".into(),
                "the token's scopes do not allow reading customers".into(),
                "Tick read:customers on the API application's Permissions tab",
            );
        }
        Ok(())
    }

    fn check_organizations(
        &self,
        profile: &MappingProfile,
        findings: &mut Findings,
    ) -> Result<(), ConnectorError> {
        let mut seen_tenants = BTreeSet::new();
        for mapping in &profile.tenants {
            if !seen_tenants.insert(mapping.tenant_id.as_str()) {
                findings.add(
                    FindingSeverity::Warning,
                    "duplicate-tenant",
                    format!("tenant {}", mapping.tenant_id),
                    "the tenant is mapped more than once; the first mapping wins".into(),
                    "Remove the extra mappings",
                );
            }
        }
        let wanted: BTreeSet<&str> = profile
            .tenants
            .iter()
            .map(|m| m.organization_id.as_str())
            .chain(profile.fallback_organization_id.as_deref())
            .collect();
        let known = match self.organizations_by_id(&wanted) {
            Ok(known) => known,
            // The permission finding says why; without client reads nothing more can be checked.
            Err(ConnectorError::PermissionDenied(message)) => {
                if !findings
                    .0
                    .iter()
                    .any(|f| f.code == "missing-customer-permission")
                {
                    findings.error("organizations-unreadable", "organizations".into(), message,
                        "Give the API agent's role access to customers and tick read:customers on the API application");
                }
                return Ok(());
            }
            Err(error) => return Err(error),
        };
        for id in &wanted {
            match known.get(*id) {
                None => findings.error("organization-not-found", format!("organization {id}"),
                    format!("Halo has no client {id} that the API agent can see"),
                    "Pick the client again; if it exists, give the API agent's role access to all customers"),
                Some(org) if !org.active => findings.error("organization-inactive", format!("organization {id}"),
                    format!("Halo client '{}' is inactive; tickets for it are refused", org.name),
                    "Re-activate the client in Halo or map the tenant to another client"),
                Some(_) => {}
            }
        }
        for mapping in &profile.tenants {
            let Some(site) = &mapping.site_id else {
                continue;
            };
            let Ok(site_id) = crate::ops::parse_id("site", site) else {
                findings.error(
                    "site-not-found",
                    format!("site {site}"),
                    format!("'{site}' is not a Halo site id"),
                    "Pick the site again",
                );
                continue;
            };
            match self.api.get(&format!("Site/{site_id}"), &[]) {
                Ok(json)
                    if Obj(&json)
                        .int("client_id")
                        .map(|c| c.to_string())
                        .as_deref()
                        == Some(mapping.organization_id.trim()) => {}
                Ok(_) => findings.error(
                    "site-not-in-organization",
                    format!("site {site}"),
                    format!(
                        "site {site} does not belong to client {}",
                        mapping.organization_id
                    ),
                    "Pick a site of the mapped client, or none for its main site",
                ),
                Err(ConnectorError::NotFound(_)) => findings.error(
                    "site-not-found",
                    format!("site {site}"),
                    format!("Halo has no site {site}"),
                    "Pick the site again",
                ),
                Err(error) => return Err(error),
            }
        }
        Ok(())
    }

    fn organizations_by_id(
        &self,
        wanted: &BTreeSet<&str>,
    ) -> Result<BTreeMap<String, Organization>, ConnectorError> {
        let mut known = BTreeMap::new();
        if wanted.len() <= INDIVIDUAL_READS {
            for id in wanted {
                if crate::ops::parse_id("organization", id).is_err() {
                    continue;
                }
                match self.get_organization(id) {
                    Ok(org) => {
                        known.insert(org.id.clone(), org);
                    }
                    Err(ConnectorError::NotFound(_)) => {}
                    Err(error) => return Err(error),
                }
            }
        } else {
            let (items, _) = fetch_list(
                &self.api,
                "Client",
                "clients",
                &[("includeinactive", "true".into())],
                None,
                None,
            )?;
            for item in &items {
                if let Ok(org) = organization_from_json(item) {
                    known.insert(org.id.clone(), org);
                }
            }
        }
        Ok(known)
    }

    fn check_ticket_type_and_priorities(
        &self,
        profile: &MappingProfile,
        findings: &mut Findings,
    ) -> Result<(), ConnectorError> {
        let Some(type_id) = &profile.ticket_type_id else {
            findings.add(FindingSeverity::Warning, "no-ticket-type", "ticket type".into(),
                "no ticket type is chosen: Halo's default type is used and priorities cannot be checked".into(),
                "Choose the ticket type alerts should create");
            return Ok(());
        };
        let subject = format!("ticket type {type_id}");
        let Ok(id) = crate::ops::parse_id("ticket type", type_id) else {
            findings.error(
                "ticket-type-not-found",
                subject,
                format!("'{type_id}' is not a Halo ticket type id"),
                "Choose the ticket type again",
            );
            return Ok(());
        };
        let ticket_type = match self.ticket_type(id) {
            Ok(t) => t,
            Err(ConnectorError::NotFound(_)) => {
                findings.error(
                    "ticket-type-not-found",
                    subject,
                    format!("Halo has no ticket type {type_id}"),
                    "Choose the ticket type again",
                );
                return Ok(());
            }
            Err(error) => return Err(error),
        };
        let o = Obj(&ticket_type);
        let name = o.text("name").unwrap_or_else(|| type_id.clone());
        if o.bool("inactive").unwrap_or(false) {
            findings.error(
                "ticket-type-inactive",
                subject.clone(),
                format!("ticket type '{name}' is inactive"),
                "Re-activate it in Halo or choose another type",
            );
        }
        if !o.bool("agentscanselect").unwrap_or(true) {
            findings.error(
                "ticket-type-not-agent-selectable",
                subject.clone(),
                format!("agents (and so the API agent) may not create tickets of type '{name}'"),
                "Tick 'Agents can select' on the ticket type, or choose another type",
            );
        }
        for field in Self::required_fields(&ticket_type) {
            let supplied = field.name.eq_ignore_ascii_case("category_1")
                && profile
                    .category
                    .as_deref()
                    .is_some_and(|c| !c.trim().is_empty());
            if field.default_value.is_none() && !supplied {
                findings.error("required-field-without-default", subject.clone(),
                    format!("ticket type '{name}' requires '{}' and has no default for it", field.name),
                    "Give the field a default on the ticket type in Halo, or set it in the profile (category)");
            }
        }
        let sla = o.id("default_sla");
        let priorities = self.list_priorities(Some(type_id))?;
        for mapping in &profile.priorities {
            if !priorities
                .iter()
                .any(|p| p.id == mapping.priority_id.trim())
            {
                findings.error("priority-not-in-sla", format!("priority {}", mapping.priority_id),
                    format!("priority {} is not a priority of ticket type '{name}' (SLA {}); Halo would reject the ticket",
                        mapping.priority_id, sla.map(|s| s.to_string()).unwrap_or_else(|| "none".into())),
                    "Pick priorities from list-priorities for this ticket type");
            }
        }
        Ok(())
    }

    fn check_statuses(
        &self,
        profile: &MappingProfile,
        findings: &mut Findings,
    ) -> Result<(), ConnectorError> {
        let statuses = self.list_statuses()?;
        for (what, id) in [
            ("default status", &profile.default_status_id),
            ("re-open status", &profile.reopen_status_id),
        ] {
            let Some(id) = id else { continue };
            self.check_status(&statuses, what, id, findings);
        }
        match &profile.close_status_id {
            Some(id) => match statuses.iter().find(|s| s.id == id.trim()) {
                None => findings.error("status-not-found", format!("close status {id}"), format!("Halo has no status {id}"), "Pick the status again"),
                Some(s) if !s.closed => findings.add(FindingSeverity::Warning, "close-status-not-closed", format!("close status {id}"),
                    format!("'{}' is not Halo's closed status; resolved alerts will leave tickets open in that status", s.name),
                    "Use the Closed status unless this is intended"),
                Some(_) => {}
            },
            None if matches!(profile.strategy, SyncStrategy::CreateUpdateClose | SyncStrategy::TwoWay) && !statuses.iter().any(|s| s.closed) => {
                findings.error("no-closed-status", "statuses".into(), "Halo has no status named Closed to close tickets with".into(), "Set a close status in the profile");
            }
            None => {}
        }
        Ok(())
    }

    /// An open status a ticket is created or re-opened in.
    fn check_status(
        &self,
        statuses: &[crate::types::Status],
        what: &str,
        id: &str,
        findings: &mut Findings,
    ) {
        match statuses.iter().find(|s| s.id == id.trim()) {
            None => findings.error("status-not-found", format!("{what} {id}"), format!("Halo has no status {id}"), "Pick the status again"),
            Some(s) if s.closed => findings.error("status-is-closed", format!("{what} {id}"),
                format!("the {what} '{}' is a closed status: tickets would be created or re-opened closed", s.name),
                "Pick an open status such as New"),
            Some(_) => {}
        }
    }

    /// The profile's request source is one of Halo's ticket sources.
    fn check_source(
        &self,
        profile: &MappingProfile,
        findings: &mut Findings,
    ) -> Result<(), ConnectorError> {
        let Some(id) = &profile.source_id else {
            findings.add(FindingSeverity::Info, "no-source", "ticket source".into(),
                "no ticket source is chosen: Halo records its default source, and reports cannot tell integration tickets apart".into(),
                "Choose a ticket source for this integration (Configuration > Tickets > Ticket Sources in Halo)");
            return Ok(());
        };
        if !self
            .ticket_sources()?
            .iter()
            .any(|(sid, _)| sid.to_string() == id.trim())
        {
            findings.error(
                "source-not-found",
                format!("ticket source {id}"),
                format!("Halo has no ticket source {id}"),
                "Pick one of Halo's ticket sources (Configuration > Tickets > Ticket Sources)",
            );
        }
        Ok(())
    }

    fn check_team(
        &self,
        profile: &MappingProfile,
        findings: &mut Findings,
    ) -> Result<(), ConnectorError> {
        let Some(id) = &profile.team_id else {
            return Ok(());
        };
        match self.list_teams()?.into_iter().find(|t| t.id == id.trim()) {
            None => findings.error(
                "team-not-found",
                format!("team {id}"),
                format!("Halo has no team {id}"),
                "Pick the team again",
            ),
            Some(team) if !team.active => findings.error(
                "team-inactive",
                format!("team {id}"),
                format!("team '{}' is inactive", team.name),
                "Pick an active team",
            ),
            Some(_) => {}
        }
        Ok(())
    }
}
