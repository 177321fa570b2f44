//! Connection test, organizations (companies), lookups (boards, statuses, priorities, teams)
//! and pre-flight validation.

use psa_connector_sdk::json::Obj;
use psa_connector_sdk::mapping::domain_of;
use psa_connector_sdk::placement::check_rules;
use psa_connector_sdk::types::*;
use serde_json::{json, Value};

use crate::api::{quote, role_for};
use crate::session::{invalid, parse_id, CwSession};

const SECURITY_ROLES: &str = "System > Security Roles";

fn organization(value: &Value) -> Result<Organization, ConnectorError> {
    let o = Obj(value);
    let id = o
        .require_id("company")
        .map_err(|m| invalid("GET /company/companies", m))?;
    Ok(Organization {
        id: id.to_string(),
        name: o.text("name").unwrap_or_default(),
        active: !o.bool("deletedFlag").unwrap_or(false),
        external_ids: o.text("identifier").into_iter().collect(),
        domains: o
            .text("website")
            .and_then(|w| domain_of(&w))
            .into_iter()
            .collect(),
        main_site: o.object("site").and_then(|s| {
            Some(Site {
                id: s.id("id")?.to_string(),
                name: s.text("name").unwrap_or_default(),
            })
        }),
    })
}

fn is_active_board(board: &Value) -> bool {
    board["inactiveFlag"] != true && board["projectFlag"] != true
}

impl CwSession {
    pub fn test_connection(&self) -> Result<ConnectionReport, ConnectorError> {
        // Codebase, clientId and credentials: an error here is the answer. A 404 here means
        // there is no ConnectWise API at the site (and codebase) the settings give: that is
        // the site setting to fix, not a missing record.
        self.api.get("system/info", &[]).map_err(|e| match e {
            ConnectorError::NotFound(m) => {
                ConnectorError::InvalidSettings(SettingProblem {
                    key: Some("site".into()),
                    message: format!(
                        "no ConnectWise PSA API at the site URL ({m}): check the site URL (e.g. https://api-na.myconnectwise.net) and, if the URL names one, its codebase"
                    ),
                })
            }
            other => other,
        })?;
        let members = self.api_members().unwrap_or_default();
        let agent = if members.len() == 1 {
            let identifier = members.iter().next().cloned().unwrap_or_default();
            let found = self
                .api
                .page(
                    "system/members",
                    &format!("identifier={}", quote(&identifier)),
                    &[],
                    1,
                    1,
                )
                .ok()
                .and_then(|p| p.items.into_iter().next());
            found.map(|m| {
                let o = Obj(&m);
                AgentIdentity {
                    id: o
                        .id("id")
                        .map(|i| i.to_string())
                        .unwrap_or(identifier.clone()),
                    name: format!(
                        "{} ({})",
                        o.text("name").unwrap_or_default(),
                        o.text("identifier").unwrap_or(identifier)
                    ),
                    email: o.text("officeEmail"),
                }
            })
        } else {
            None
        };
        let mut checks = Vec::new();
        let mut check =
            |name: &str, label: &str, endpoint: &str, result: Result<(), ConnectorError>| {
                let hint = match &result {
                    Ok(()) => None,
                    Err(ConnectorError::PermissionDenied(_)) => Some(format!(
                        "In ConnectWise, {SECURITY_ROLES}: give the API member's role {}.",
                        role_for(endpoint)
                    )),
                    Err(e) => Some(psa_connector_sdk::errors::short(e)),
                };
                checks.push(PermissionCheck {
                    name: name.into(),
                    label: label.into(),
                    passed: result.is_ok(),
                    hint,
                });
            };
        let read = |path: &str| self.api.page(path, "", &[], 1, 1).map(|_| ());
        // A write probe that cannot change anything: an invalid body or a ticket that does not
        // exist. Validation (400) or not-found (404) means the role let the request through.
        let probe = |result: Result<Value, ConnectorError>| match result {
            Ok(_) | Err(ConnectorError::NotFound(_)) | Err(ConnectorError::InvalidInput(_)) => {
                Ok(())
            }
            Err(ConnectorError::Remote(r)) if r.status == 400 => Ok(()),
            Err(e) => Err(e),
        };
        check(
            "companies-read",
            "Read companies",
            "/company/companies",
            read("company/companies"),
        );
        check(
            "boards-read",
            "Read boards, statuses and priorities",
            "/service/boards",
            read("service/boards"),
        );
        check(
            "tickets-read",
            "Read service tickets",
            "/service/tickets",
            read("service/tickets"),
        );
        check(
            "tickets-create",
            "Create service tickets (probed with an empty ticket ConnectWise refuses)",
            "/service/tickets",
            probe(self.api.post("service/tickets", &json!({}))),
        );
        check(
            "tickets-update",
            "Update service tickets (probed on ticket 0, which does not exist)",
            "/service/tickets",
            probe(self.api.patch("service/tickets/0", &json!([]))),
        );
        check(
            "notes",
            "Add ticket notes (probed on ticket 0)",
            "/service/tickets/notes",
            probe(self.api.post("service/tickets/0/notes", &json!({}))),
        );
        Ok(ConnectionReport {
            ok: checks.iter().all(|c| c.passed),
            token_endpoint: String::new(),
            resource_url: self.api.api_url()?,
            granted_scopes: vec![],
            agent,
            checks,
        })
    }

    fn company_conditions(&self, query: &OrganizationQuery) -> String {
        let mut parts = Vec::new();
        if !query.include_inactive {
            parts.push("deletedFlag=false".to_string());
        }
        if let Some(search) = query
            .search
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            parts.push(format!(
                "(name contains {q} or identifier contains {q})",
                q = quote(search)
            ));
        }
        parts.join(" and ")
    }

    pub fn list_organizations(
        &self,
        query: OrganizationQuery,
    ) -> Result<OrganizationPage, ConnectorError> {
        let conditions = self.company_conditions(&query);
        let order = [("orderBy", "name asc".to_string())];
        let items = match query.page {
            Some(page) => {
                let size = query.page_size.unwrap_or(50).max(1);
                let got = self
                    .api
                    .page("company/companies", &conditions, &order, page, size)?;
                let total = self.api.count("company/companies", &conditions)?;
                let items = got
                    .items
                    .iter()
                    .map(organization)
                    .collect::<Result<_, _>>()?;
                return Ok(OrganizationPage { items, total });
            }
            None => self.api.all("company/companies", &conditions, &order)?,
        };
        let items: Vec<Organization> = items.iter().map(organization).collect::<Result<_, _>>()?;
        Ok(OrganizationPage {
            total: items.len() as u32,
            items,
        })
    }

    pub fn get_organization(&self, id: &str) -> Result<Organization, ConnectorError> {
        let id = parse_id("organization", id)?;
        organization(&self.api.get(&format!("company/companies/{id}"), &[])?)
    }

    pub fn list_priorities(&self) -> Result<Vec<Priority>, ConnectorError> {
        let items = self.api.all(
            "service/priorities",
            "",
            &[("orderBy", "sortOrder asc".into())],
        )?;
        Ok(items
            .iter()
            .filter_map(|p| {
                let o = Obj(p);
                Some(Priority {
                    id: o.id("id")?.to_string(),
                    name: o.text("name").unwrap_or_default(),
                    scope_id: None,
                })
            })
            .collect())
    }

    fn boards(&self) -> Result<Vec<Value>, ConnectorError> {
        self.api.all("service/boards", "", &[])
    }

    /// Boards are the ticket types a profile picks; project boards cannot hold service tickets.
    pub fn list_ticket_types(&self) -> Result<Vec<TicketType>, ConnectorError> {
        Ok(self
            .boards()?
            .iter()
            .filter_map(|b| {
                let o = Obj(b);
                Some(TicketType {
                    id: o.id("id")?.to_string(),
                    name: o.text("name").unwrap_or_default(),
                    active: is_active_board(b),
                    agents_can_select: b["projectFlag"] != true,
                    priority_scope_id: None,
                    default_priority_id: None,
                    default_status_id: None,
                    default_team: None,
                })
            })
            .collect())
    }

    /// Statuses of every active service board, named `<board>: <status>` (a status belongs to
    /// one board).
    pub fn list_statuses(&self) -> Result<Vec<Status>, ConnectorError> {
        let mut out = Vec::new();
        for board in self.boards()?.iter().filter(|b| is_active_board(b)) {
            let (Some(id), name) = (board["id"].as_i64(), board["name"].as_str().unwrap_or(""))
            else {
                continue;
            };
            for s in self.board_statuses(id)? {
                if s["inactive"] == true {
                    continue;
                }
                let Some(status_id) = s["id"].as_i64() else {
                    continue;
                };
                out.push(Status {
                    id: status_id.to_string(),
                    name: format!("{name}: {}", s["name"].as_str().unwrap_or("")),
                    closed: s["closedStatus"] == true,
                });
            }
        }
        Ok(out)
    }

    /// Teams of every active service board, named `<board>: <team>`.
    pub fn list_teams(&self) -> Result<Vec<Team>, ConnectorError> {
        let mut out = Vec::new();
        for board in self.boards()?.iter().filter(|b| is_active_board(b)) {
            let (Some(id), name) = (board["id"].as_i64(), board["name"].as_str().unwrap_or(""))
            else {
                continue;
            };
            for t in self
                .api
                .all(&format!("service/boards/{id}/teams"), "", &[])?
            {
                let Some(team_id) = t["id"].as_i64() else {
                    continue;
                };
                out.push(Team {
                    id: team_id.to_string(),
                    name: format!("{name}: {}", t["name"].as_str().unwrap_or("")),
                    active: true,
                });
            }
        }
        Ok(out)
    }

    pub fn validate_mapping(
        &self,
        profile: &MappingProfile,
    ) -> Result<ValidationReport, ConnectorError> {
        let mut findings = Vec::new();
        let mut add = |severity, code: &str, subject: String, message: String, hint: &str| {
            findings.push(finding(severity, code, subject, message, hint))
        };
        use FindingSeverity::{Error, Warning};

        // Companies of the mapping, in one request.
        let mut org_ids = Vec::new();
        for m in &profile.tenants {
            match parse_id("organization", &m.organization_id) {
                Ok(id) => org_ids.push((m.tenant_id.clone(), id)),
                Err(e) => add(
                    Error,
                    "organization-invalid",
                    m.tenant_id.clone(),
                    psa_connector_sdk::errors::short(&e),
                    "Pick the company from the list.",
                ),
            }
        }
        if let Some(fallback) = &profile.fallback_organization_id {
            match parse_id("organization", fallback) {
                Ok(id) => org_ids.push(("(fallback)".into(), id)),
                Err(e) => add(
                    Error,
                    "organization-invalid",
                    "(fallback)".into(),
                    psa_connector_sdk::errors::short(&e),
                    "Pick the company from the list.",
                ),
            }
        }
        if !org_ids.is_empty() {
            let list: Vec<String> = org_ids.iter().map(|(_, id)| id.to_string()).collect();
            let mut found = Vec::new();
            for chunk in list.chunks(100) {
                found.extend(self.api.all(
                    "company/companies",
                    &format!("id in ({})", chunk.join(",")),
                    &[("fields", "id,name,deletedFlag".into())],
                )?);
            }
            for (tenant, id) in &org_ids {
                match found.iter().find(|c| c["id"].as_i64() == Some(*id)) {
                    None => add(
                        Error,
                        "organization-not-found",
                        tenant.clone(),
                        format!("company {id} does not exist"),
                        "Map the tenant to an existing company.",
                    ),
                    Some(c) if c["deletedFlag"] == true => add(
                        Error,
                        "organization-deleted",
                        tenant.clone(),
                        format!("company {id} is deleted"),
                        "Map the tenant to an active company.",
                    ),
                    _ => {}
                }
            }
        }

        if profile.category.is_some() {
            add(
                Warning,
                "category-ignored",
                "category".into(),
                "ConnectWise has no ticket category; it is ignored".into(),
                "Leave the category empty.",
            );
        }
        findings.extend(self.check_placement(profile)?);
        findings.extend(check_rules(profile, |placed, _| {
            self.check_placement(placed)
        })?);
        findings.extend(self.check_source(profile)?);
        Ok(ValidationReport {
            ok: !findings
                .iter()
                .any(|f| f.severity == FindingSeverity::Error),
            findings,
        })
    }

    /// The profile's board and what must be on it (statuses, team), and its priorities.
    fn check_placement(
        &self,
        profile: &MappingProfile,
    ) -> Result<Vec<ValidationFinding>, ConnectorError> {
        let mut findings = Vec::new();
        let mut add = |severity, code: &str, subject: String, message: String, hint: &str| {
            findings.push(finding(severity, code, subject, message, hint))
        };
        use FindingSeverity::{Error, Warning};
        // The board and what must be on it.
        let board = match profile.ticket_type_id.as_deref() {
            None => {
                add(
                    Warning,
                    "board-missing",
                    "ticket-type".into(),
                    "no board chosen: tickets go to the API member's default board".into(),
                    "Choose the service board (ticket type) for alert tickets.",
                );
                None
            }
            Some(raw) => match parse_id("board", raw) {
                Err(e) => {
                    add(
                        Error,
                        "board-invalid",
                        "ticket-type".into(),
                        psa_connector_sdk::errors::short(&e),
                        "Pick the board from the list.",
                    );
                    None
                }
                Ok(id) => match self.api.get(&format!("service/boards/{id}"), &[]) {
                    Err(ConnectorError::NotFound(_)) => {
                        add(
                            Error,
                            "board-not-found",
                            format!("board {id}"),
                            format!("board {id} does not exist"),
                            "Pick the board from the list.",
                        );
                        None
                    }
                    Err(e) => return Err(e),
                    Ok(b) => {
                        let name = b["name"].as_str().unwrap_or("").to_string();
                        if b["inactiveFlag"] == true {
                            add(Error, "board-inactive", name.clone(), format!("board '{name}' is inactive"), "Activate the board (Setup Tables > Service Board) or choose another.");
                        }
                        if b["projectFlag"] == true {
                            add(Error, "board-project", name.clone(), format!("board '{name}' is a project board; service tickets cannot use it"), "Choose a service board.");
                        }
                        Some((id, name))
                    }
                },
            },
        };
        if let Some((board_id, board_name)) = &board {
            let statuses = self.board_statuses(*board_id)?;
            let on_board = |id: i64| statuses.iter().find(|s| s["id"].as_i64() == Some(id));
            for (what, value) in [
                ("default-status", &profile.default_status_id),
                ("reopen-status", &profile.reopen_status_id),
                ("close-status", &profile.close_status_id),
            ] {
                let Some(raw) = value else { continue };
                match parse_id("status", raw) {
                    Err(e) => add(Error, "status-invalid", what.into(), psa_connector_sdk::errors::short(&e), "Pick a status from the board's list."),
                    Ok(id) => match on_board(id) {
                        None => add(Error, "status-not-on-board", what.into(), format!("status {id} is not a status of board '{board_name}'"), "ConnectWise statuses belong to one board: pick one of this board's statuses."),
                        Some(s) if s["inactive"] == true => add(Warning, "status-inactive", what.into(), format!("status '{}' is inactive", s["name"].as_str().unwrap_or("")), "Pick an active status."),
                        Some(s) if what == "close-status" && s["closedStatus"] != true => add(Warning, "close-status-not-closed", what.into(), format!("status '{}' is not a closed status: tickets set to it stay open in ConnectWise", s["name"].as_str().unwrap_or("")), "Pick a status with 'Closed' ticked, or leave it empty to use the board's."),
                        Some(_) => {}
                    },
                }
            }
            let has_closed = statuses
                .iter()
                .any(|s| s["closedStatus"] == true && s["inactive"] != true);
            if !has_closed {
                let severity = if psa_connector_sdk::lifecycle::strategy_closes(profile.strategy) {
                    Error
                } else {
                    Warning
                };
                add(severity, "no-closed-status", board_name.clone(), format!("board '{board_name}' has no active closed status"), "Tick 'Closed' on one of the board's statuses (Setup Tables > Service Board > Statuses).");
            }
            if let Some(raw) = &profile.team_id {
                match parse_id("team", raw) {
                    Err(e) => add(
                        Error,
                        "team-invalid",
                        "team".into(),
                        psa_connector_sdk::errors::short(&e),
                        "Pick a team from the board's list.",
                    ),
                    Ok(id) => {
                        let teams =
                            self.api
                                .all(&format!("service/boards/{board_id}/teams"), "", &[])?;
                        if !teams.iter().any(|t| t["id"].as_i64() == Some(id)) {
                            add(
                                Error,
                                "team-not-found",
                                "team".into(),
                                format!("team {id} is not a team of board '{board_name}'"),
                                "Pick one of the board's teams.",
                            );
                        }
                    }
                }
            }
        }
        if !profile.priorities.is_empty() {
            let priorities = self.list_priorities()?;
            for p in &profile.priorities {
                if !priorities
                    .iter()
                    .any(|known| known.id == p.priority_id.trim())
                {
                    add(
                        Error,
                        "priority-not-found",
                        psa_connector_sdk::lifecycle::severity_name(p.severity).into(),
                        format!("priority {} does not exist", p.priority_id),
                        "Pick a priority from the list.",
                    );
                }
            }
        }
        Ok(findings)
    }

    /// The profile's request source is one of ConnectWise's service sources.
    fn check_source(
        &self,
        profile: &MappingProfile,
    ) -> Result<Vec<ValidationFinding>, ConnectorError> {
        let Some(raw) = &profile.source_id else {
            return Ok(vec![finding(
                FindingSeverity::Info,
                "no-source",
                "source".into(),
                "no source is chosen: ConnectWise records its default source, and reports cannot tell integration tickets apart".into(),
                "Choose a service source for this integration (Setup Tables > Service > Source).",
            )]);
        };
        let known = match parse_id("source", raw) {
            Ok(id) => self
                .api
                .all("service/sources", &format!("id={id}"), &[])?
                .iter()
                .any(|s| s["id"].as_i64() == Some(id)),
            Err(_) => false,
        };
        Ok(if known {
            vec![]
        } else {
            vec![finding(
                FindingSeverity::Error,
                "source-not-found",
                format!("source {raw}"),
                format!("ConnectWise has no service source {raw}"),
                "Pick one of the service sources (Setup Tables > Service > Source).",
            )]
        })
    }
}

/// One `validate-mapping` finding.
fn finding(
    severity: FindingSeverity,
    code: &str,
    subject: String,
    message: String,
    hint: &str,
) -> ValidationFinding {
    ValidationFinding {
        severity,
        code: code.into(),
        subject,
        message,
        hint: hint.into(),
    }
}
