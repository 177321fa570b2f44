//! `psa-harness demo [--psa halo|connectwise]`: the seed flow against an embedded mock PSA
//! (HaloPSA or ConnectWise PSA) and the matching bundled connector.
//!
//! Each step is a method of [`Demo`] that prints its part of the summary and keeps what later
//! steps need (the session, the organizations, the mapping suggestions, the profile, the
//! ticket). [`run_demo`] runs them in order; add a step by adding a method and a line there.
//! Nothing PSA-specific is hard-coded beyond [`Psa`]'s few names: the profile is built from what
//! the connector reports (the alert ticket type, e.g. Halo's "Security Alert" or ConnectWise's
//! "Security Alerts" board, is looked up by name, its priorities by severity words).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

pub use crate::psa::{Psa, PsaMock};
use crate::{describe_connector_error, load, wit_case, EXIT_CONNECTOR_ERROR, EXIT_HOST_ERROR};
use psa_host::types::*;
use psa_host::{ConnectorHost, ConnectorSession, HostConfig, HostError, LoadedConnector, OpResult};

/// Arguments of `demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// The connector component (.wasm); default: the bundled connector of `--psa`.
    #[arg(long)]
    pub component: Option<PathBuf>,
    /// Which PSA the embedded mock plays (and which bundled connector is the default).
    #[arg(long, value_enum, default_value_t = Psa::Halo)]
    pub psa: Psa,
}

/// Why a demo step failed.
#[derive(Debug)]
pub enum DemoError {
    /// The connector answered with its typed error.
    Connector {
        /// The step.
        step: &'static str,
        /// The connector's error.
        error: ConnectorError,
    },
    /// The host failed (load, trap, timeout...).
    Host {
        /// The step.
        step: &'static str,
        /// The host's error.
        error: HostError,
    },
    /// The flow could not go on (for example a lookup the profile needs is missing).
    Flow {
        /// The step.
        step: &'static str,
        /// What is missing.
        message: String,
    },
}

impl DemoError {
    fn exit_code(&self) -> ExitCode {
        match self {
            DemoError::Connector { .. } | DemoError::Flow { .. } => {
                ExitCode::from(EXIT_CONNECTOR_ERROR)
            }
            DemoError::Host { .. } => ExitCode::from(EXIT_HOST_ERROR),
        }
    }
}

impl std::fmt::Display for DemoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DemoError::Connector { step, error } => {
                write!(
                    f,
                    "{step}: connector error {}",
                    describe_connector_error(error)
                )
            }
            DemoError::Host { step, error } => write!(f, "{step}: host error: {error}"),
            DemoError::Flow { step, message } => write!(f, "{step}: {message}"),
        }
    }
}

/// Unwraps an operation's double result, naming the step on failure.
pub(super) fn op<T>(step: &'static str, result: OpResult<T>) -> Result<T, DemoError> {
    match result {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => Err(DemoError::Connector { step, error }),
        Err(error) => Err(DemoError::Host { step, error }),
    }
}

pub(super) fn flow(step: &'static str, message: impl Into<String>) -> DemoError {
    DemoError::Flow {
        step,
        message: message.into(),
    }
}

/// What the demo has so far; each step adds to it.
pub struct Demo {
    /// Which PSA the demo plays.
    pub psa: Psa,
    /// The embedded mock.
    pub mock: PsaMock,
    /// The host.
    pub host: ConnectorHost,
    /// The loaded component.
    pub connector: LoadedConnector,
    /// The connector's description.
    pub info: Option<ConnectorInfo>,
    /// The open session.
    pub session: Option<ConnectorSession>,
    /// Every organization.
    pub organizations: Vec<Organization>,
    /// The sample host tenants.
    pub tenants: Vec<HostTenant>,
    /// The connector's suggestions for them.
    pub suggestions: Vec<MappingSuggestion>,
    /// The profile built from suggestions and lookups.
    pub profile: Option<MappingProfile>,
    /// The ticket created from the sample alert.
    pub ticket: Option<Ticket>,
}

/// Runs `demo` and prints the summary.
pub(crate) async fn run(args: DemoArgs) -> ExitCode {
    match run_demo(args).await {
        Ok(demo) => {
            demo.finish().await;
            println!("\ndemo completed");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("\ndemo failed: {error}");
            error.exit_code()
        }
    }
}

/// The seed flow, step by step.
pub async fn run_demo(args: DemoArgs) -> Result<Demo, DemoError> {
    let mut demo = Demo::start(args.psa, args.component).await?;
    demo.show_info().await?;
    demo.open().await?;
    demo.test_connection().await?;
    demo.list_organizations().await?;
    demo.suggest_mapping().await?;
    demo.build_profile().await?;
    demo.validate_profile().await?;
    demo.create_ticket().await?;
    demo.get_ticket().await?;
    demo.list_own_tickets().await?;
    demo.alert_lifecycle().await?;
    demo.placement_and_people().await?;
    Ok(demo)
}

pub(super) fn heading(title: &str) {
    println!("\n== {title}");
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

/// The sample host tenants: one per matching rule, one ambiguous, one unmatched.
pub fn sample_tenants() -> Vec<HostTenant> {
    let tenant = |id: &str, name: &str, external_ids: &[&str], domains: &[&str]| HostTenant {
        id: id.into(),
        name: name.into(),
        external_ids: external_ids.iter().map(|s| s.to_string()).collect(),
        domains: domains.iter().map(|s| s.to_string()).collect(),
    };
    vec![
        tenant(
            "t-contoso",
            "Contoso (Microsoft 365)",
            &["CONTOSO-001"],
            &["contoso.com"],
        ),
        tenant("t-fabrikam", "Fabrikam Group", &[], &["fabrikam.com"]),
        tenant("t-northwind", "Northwind Traders GmbH", &[], &[]),
        tenant("t-smith", "Smith and Sons Ltd", &[], &[]),
        tenant("t-adatum", "Adatum", &[], &[]),
        tenant("t-globex", "Globex Industries", &[], &["globex.example"]),
    ]
}

/// The sample alert's ticket request, for the first sample tenant.
pub fn sample_ticket_request() -> TicketRequest {
    TicketRequest {
        tenant_id: "t-contoso".into(),
        severity: Severity::High,
        summary: "Impossible travel: sign-ins for alex.johnson@contoso.com from two countries"
            .into(),
        details: "Two successful sign-ins 12 minutes apart from Seattle, US and Lagos, NG.\n\
                  Recommended: revoke sessions, reset the password, review MFA methods."
            .into(),
        contact: Some(Contact {
            name: Some("Alex Johnson".into()),
            email: Some("alex.johnson@contoso.com".into()),
        }),
    }
}

impl Demo {
    /// Starts the mock on a free loopback port and loads the component.
    pub async fn start(psa: Psa, component: Option<PathBuf>) -> Result<Self, DemoError> {
        const STEP: &str = "start";
        heading(&format!("Mock {}", psa.title()));
        let mock = PsaMock::start(psa, None)
            .await
            .map_err(|e| flow(STEP, format!("cannot start the mock: {e:#}")))?;
        println!("listening on {}", mock.server().base_url());
        let path = psa
            .component_path(component)
            .map_err(|error| DemoError::Host { step: STEP, error })?;
        println!("loading {}", path.display());
        let (host, connector) = load(HostConfig::default(), path)
            .await
            .map_err(|error| DemoError::Host { step: STEP, error })?;
        Ok(Self {
            psa,
            mock,
            host,
            connector,
            info: None,
            session: None,
            organizations: Vec::new(),
            tenants: Vec::new(),
            suggestions: Vec::new(),
            profile: None,
            ticket: None,
        })
    }

    pub(super) fn session_mut(
        &mut self,
        step: &'static str,
    ) -> Result<&mut ConnectorSession, DemoError> {
        self.session
            .as_mut()
            .ok_or_else(|| flow(step, "no session"))
    }

    /// Step: the connector's description and settings form.
    pub async fn show_info(&mut self) -> Result<(), DemoError> {
        const STEP: &str = "info";
        heading("Connector");
        let info = self
            .connector
            .info()
            .await
            .map_err(|error| DemoError::Host { step: STEP, error })?;
        println!(
            "{} {} for {} (contract {})",
            info.name, info.version, info.psa_name, info.contract_version
        );
        println!("capabilities: {}", info.capabilities.len());
        println!("settings form:");
        for field in &info.settings_form {
            let kind = match field.kind {
                FieldKind::Text => "text",
                FieldKind::Url => "url",
                FieldKind::Secret => "secret",
            };
            let required = if field.required { ", required" } else { "" };
            println!("  {:<16} {} ({kind}{required})", field.key, field.label);
        }
        self.info = Some(info);
        Ok(())
    }

    /// Step: open a session with the mock's demo credentials.
    pub async fn open(&mut self) -> Result<(), DemoError> {
        const STEP: &str = "open";
        let settings = self.mock.connector_settings();
        let session = match self.connector.open(settings).await {
            Ok(Ok(session)) => session,
            Ok(Err(error)) => return Err(DemoError::Connector { step: STEP, error }),
            Err(error) => return Err(DemoError::Host { step: STEP, error }),
        };
        let origins: Vec<String> = session
            .egress()
            .origins()
            .iter()
            .map(ToString::to_string)
            .collect();
        println!("session open; egress allowed to: {}", origins.join(", "));
        self.session = Some(session);
        Ok(())
    }

    /// Step: token, agent and permission checks.
    pub async fn test_connection(&mut self) -> Result<(), DemoError> {
        const STEP: &str = "test-connection";
        heading("Test connection");
        let report = op(STEP, self.session_mut(STEP)?.test_connection().await)?;
        println!("ok: {}", yes_no(report.ok));
        println!("token endpoint: {}", report.token_endpoint);
        println!("api: {}", report.resource_url);
        println!("scopes: {}", report.granted_scopes.join(" "));
        if let Some(agent) = &report.agent {
            let email = agent
                .email
                .as_deref()
                .map(|e| format!(" <{e}>"))
                .unwrap_or_default();
            println!("agent: {} (id {}){email}", agent.name, agent.id);
        }
        for check in &report.checks {
            let mark = if check.passed { "pass" } else { "FAIL" };
            let hint = check
                .hint
                .as_deref()
                .map(|h| format!(" - {h}"))
                .unwrap_or_default();
            println!("  [{mark}] {}{hint}", check.label);
        }
        if report.ok {
            Ok(())
        } else {
            Err(flow(STEP, "a permission check failed"))
        }
    }

    /// Step: every active organization.
    pub async fn list_organizations(&mut self) -> Result<(), DemoError> {
        const STEP: &str = "list-organizations";
        heading("Organizations");
        let query = OrganizationQuery {
            search: None,
            include_inactive: false,
            page: None,
            page_size: None,
        };
        let page = op(
            STEP,
            self.session_mut(STEP)?.list_organizations(&query).await,
        )?;
        println!("{} organizations (total {})", page.items.len(), page.total);
        for org in page.items.iter().take(5) {
            let domains = if org.domains.is_empty() {
                String::new()
            } else {
                format!(" [{}]", org.domains.join(", "))
            };
            println!("  {:>6}  {}{domains}", org.id, org.name);
        }
        if page.items.len() > 5 {
            println!("  ...");
        }
        self.organizations = page.items;
        Ok(())
    }

    /// Step: suggestions for the sample tenants.
    pub async fn suggest_mapping(&mut self) -> Result<(), DemoError> {
        const STEP: &str = "suggest-mapping";
        heading("Mapping suggestions");
        let tenants = sample_tenants();
        let suggestions = op(
            STEP,
            self.session_mut(STEP)?.suggest_mapping(&tenants).await,
        )?;
        for s in &suggestions {
            let tenant = tenants
                .iter()
                .find(|t| t.id == s.tenant_id)
                .map_or("?", |t| t.name.as_str());
            let target = s.organization.as_ref().map_or_else(
                || "(none)".to_string(),
                |o| format!("{} ({})", o.name, o.id),
            );
            println!(
                "  {tenant:<26} -> {target:<32} {} {}%",
                wit_case(&s.basis),
                s.confidence
            );
            println!("  {:<26}    {}", "", s.reason);
            if !s.alternatives.is_empty() {
                let alts: Vec<String> = s
                    .alternatives
                    .iter()
                    .map(|o| format!("{} ({})", o.name, o.id))
                    .collect();
                println!("  {:<26}    candidates: {}", "", alts.join(", "));
            }
        }
        self.tenants = tenants;
        self.suggestions = suggestions;
        Ok(())
    }

    /// Step: a profile from the suggestions and the lookups (the alert ticket type, its
    /// priorities by severity words, the type's closed status, the type's default team).
    /// Statuses and teams named `<type>: <name>` (ConnectWise's, per board) are those of the
    /// chosen type.
    pub async fn build_profile(&mut self) -> Result<(), DemoError> {
        const STEP: &str = "lookups";
        heading("Lookups and mapping profile");
        let psa = self.psa;
        let wanted_type = psa.alert_ticket_type();
        let session = self.session_mut(STEP)?;
        let types = op(STEP, session.list_ticket_types().await)?;
        let ticket_type = types
            .iter()
            .find(|t| t.name.eq_ignore_ascii_case(wanted_type) && t.active)
            .ok_or_else(|| {
                flow(
                    STEP,
                    format!("the PSA has no active ticket type named \"{wanted_type}\""),
                )
            })?
            .clone();
        println!("ticket type: {} ({})", ticket_type.name, ticket_type.id);
        let priorities = op(STEP, session.list_priorities(Some(&ticket_type.id)).await)?;
        let statuses = op(STEP, session.list_statuses().await)?;
        let teams = op(STEP, session.list_teams().await)?;

        let by_name = |name: &str| {
            priorities
                .iter()
                .find(|p| p.name.eq_ignore_ascii_case(name))
                .or_else(|| {
                    let word = name.to_lowercase();
                    priorities
                        .iter()
                        .find(|p| p.name.to_lowercase().contains(&word))
                })
        };
        // Statuses and teams of the chosen type, when the PSA names them per type.
        let of_type = format!("{}: ", ticket_type.name);
        let statuses: Vec<Status> = if statuses.iter().any(|s| s.name.starts_with(&of_type)) {
            statuses
                .into_iter()
                .filter(|s| s.name.starts_with(&of_type))
                .collect()
        } else {
            statuses
        };
        let mut priority_map = Vec::new();
        for (severity, name) in psa.priority_words() {
            if let Some(p) = by_name(name) {
                println!(
                    "  severity {:<8} -> priority {} ({})",
                    wit_case(&severity),
                    p.name,
                    p.id
                );
                priority_map.push(PriorityMapping {
                    severity,
                    priority_id: p.id.clone(),
                });
            }
        }
        if priority_map.is_empty() {
            return Err(flow(
                STEP,
                "no priority of the ticket type is named Critical/High/Medium/Low",
            ));
        }
        let close_status = statuses.iter().find(|s| s.closed);
        if let Some(s) = close_status {
            println!("  close status: {} ({})", s.name, s.id);
        }
        let team = match ticket_type.default_team.as_deref() {
            Some(wanted) => teams
                .iter()
                .find(|t| t.id == wanted || t.name.eq_ignore_ascii_case(wanted)),
            None => teams.iter().find(|t| t.name.starts_with(&of_type)),
        };
        if let Some(t) = team {
            println!("  team: {} ({})", t.name, t.id);
        }
        let tenants: Vec<TenantMapping> = self
            .suggestions
            .iter()
            .filter_map(|s| {
                s.organization.as_ref().map(|o| TenantMapping {
                    tenant_id: s.tenant_id.clone(),
                    organization_id: o.id.clone(),
                    site_id: None,
                })
            })
            .collect();
        println!(
            "  {} of {} tenants mapped",
            tenants.len(),
            self.suggestions.len()
        );
        self.profile = Some(MappingProfile {
            tenants,
            fallback_organization_id: None,
            priorities: priority_map,
            default_status_id: None,
            ticket_type_id: Some(ticket_type.id.clone()),
            team_id: team.map(|t| t.id.clone()),
            category: None,
            strategy: SyncStrategy::CreateUpdateClose,
            reopen_window_hours: 24,
            reopen_status_id: None,
            close_status_id: close_status.map(|s| s.id.clone()),
            rules: vec![],
            source_id: None,
        });
        Ok(())
    }

    pub(super) fn profile(&self, step: &'static str) -> Result<MappingProfile, DemoError> {
        self.profile
            .clone()
            .ok_or_else(|| flow(step, "no mapping profile"))
    }

    /// Step: pre-flight check of the profile.
    pub async fn validate_profile(&mut self) -> Result<(), DemoError> {
        const STEP: &str = "validate-mapping";
        heading("Validate profile");
        let profile = self.profile(STEP)?;
        let report = op(
            STEP,
            self.session_mut(STEP)?.validate_mapping(&profile).await,
        )?;
        println!("ok: {}", yes_no(report.ok));
        for f in &report.findings {
            println!(
                "  [{}] {} {}: {}",
                wit_case(&f.severity),
                f.code,
                f.subject,
                f.message
            );
        }
        if report.ok {
            Ok(())
        } else {
            Err(flow(STEP, "the profile has errors"))
        }
    }

    /// Step: a ticket from the sample alert.
    pub async fn create_ticket(&mut self) -> Result<(), DemoError> {
        const STEP: &str = "create-ticket";
        heading("Create ticket");
        let profile = self.profile(STEP)?;
        let request = sample_ticket_request();
        println!(
            "alert: [{}] {} (tenant {})",
            wit_case(&request.severity),
            request.summary,
            request.tenant_id
        );
        let change = op(
            STEP,
            self.session_mut(STEP)?
                .create_ticket(&profile, &request)
                .await,
        )?;
        print_ticket(&change.ticket);
        let audit = &change.audit;
        println!(
            "audit: {} - {} requests, {} retries",
            audit.decision,
            audit.requests.len(),
            audit.retries
        );
        for r in &audit.requests {
            println!(
                "  {} {} -> {} ({} ms, attempt {})",
                r.method, r.path, r.status, r.millis, r.attempt
            );
        }
        self.ticket = Some(change.ticket);
        Ok(())
    }

    /// Step: read the ticket back.
    pub async fn get_ticket(&mut self) -> Result<(), DemoError> {
        const STEP: &str = "get-ticket";
        heading("Get ticket");
        let id = self
            .ticket
            .as_ref()
            .map(|t| t.id.clone())
            .ok_or_else(|| flow(STEP, "no ticket"))?;
        let ticket = op(STEP, self.session_mut(STEP)?.get_ticket(&id).await)?;
        print_ticket(&ticket);
        println!(
            "created by connector: {}",
            yes_no(ticket.created_by_connector)
        );
        self.ticket = Some(ticket);
        Ok(())
    }

    /// Step: the connector's own open tickets.
    pub async fn list_own_tickets(&mut self) -> Result<(), DemoError> {
        const STEP: &str = "list-tickets";
        heading("Own open tickets");
        let query = TicketQuery {
            organization_id: None,
            scope: TicketScope::Own,
            open_only: true,
            page: None,
            page_size: None,
        };
        let page = op(STEP, self.session_mut(STEP)?.list_tickets(&query).await)?;
        println!("{} tickets (total {})", page.items.len(), page.total);
        for t in &page.items {
            println!(
                "  #{:<6} {:<24} {}",
                t.number,
                t.organization_name.as_deref().unwrap_or("-"),
                t.summary
            );
        }
        Ok(())
    }

    /// Prints the request statistics and rate budgets, then stops the mock.
    pub async fn finish(self) {
        heading("Host");
        if let Some(session) = &self.session {
            let s = session.requests();
            println!(
                "requests: {} (2xx {}, 4xx {}, 5xx {}, failed {}, denied {})",
                s.total, s.success, s.client_error, s.server_error, s.failed, s.denied
            );
        }
        for (instance, b) in self.host.rate_budgets().await.unwrap_or_default() {
            println!(
                "rate budget {instance}: {} used, {} remaining of {} per {:?}",
                b.used, b.remaining, b.max_requests, b.window
            );
        }
        println!(
            "mock served {} requests",
            self.mock.server().total_requests()
        );
        if let Some(session) = self.session {
            let _ = session.close().await;
        }
        self.mock.shutdown().await;
    }
}

fn print_ticket(t: &Ticket) {
    println!("ticket {} (#{}): {}", t.id, t.number, t.summary);
    println!(
        "  organization: {}  status: {}{}  priority: {}  type: {}  team: {}",
        t.organization_name
            .as_deref()
            .or(t.organization_id.as_deref())
            .unwrap_or("-"),
        t.status_name.as_deref().unwrap_or(&t.status_id),
        if t.closed { " (closed)" } else { "" },
        t.priority_id.as_deref().unwrap_or("-"),
        t.ticket_type_id.as_deref().unwrap_or("-"),
        t.team.as_deref().unwrap_or("-"),
    );
    if let Some(url) = &t.url {
        println!("  {url}");
    }
    if let Some(key) = &t.alert_key {
        println!("  alert key: {key}");
    }
}
