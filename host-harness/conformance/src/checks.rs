//! The checks themselves, over one loaded connector ([`Suite`]).

use std::collections::BTreeSet;
use std::fmt::Debug;
use std::sync::{Arc, Mutex};

use psa_host::error::connector_error_case;
use psa_host::types::*;
use psa_host::{ConnectorSession, HostError, LoadedConnector, OpResult};
use tracing::instrument::WithSubscriber;

use crate::capture::Captured;
use crate::psa::MockPsa;
use crate::report::{CheckResult, Outcome};
use crate::{Config, Target};

/// Every check, in the order they run (`no-secrets` last: it reads what the others saw).
pub(crate) const CHECKS: &[(&str, &str)] = &[
    (
        "contract-version",
        "exports a contract version this host supports",
    ),
    (
        "info-complete",
        "info is complete and every listed capability answers",
    ),
    (
        "invalid-settings",
        "bad settings give invalid-settings naming the field",
    ),
    ("auth-failed", "a wrong secret gives auth-failed"),
    (
        "own-hosts-only",
        "contacts only hosts from its url settings",
    ),
    (
        "typed-errors",
        "garbage, HTML, truncated, huge, 429 storm and reset give typed errors",
    ),
    (
        "one-ticket-per-alert",
        "sync-alert, repeated and concurrent, opens one ticket per key",
    ),
    ("lost-link", "a lost link is found again"),
    (
        "touched-stays-open",
        "resolve-alert never closes a ticket a person touched",
    ),
    (
        "audit-matches",
        "every mutation's audit record matches what the PSA received",
    ),
    (
        "no-secrets",
        "no secret in results, errors, logs or requests",
    ),
];

/// The host tenant of the suite's alerts and tickets.
const TENANT: &str = "conformance-tenant";
/// An id no PSA has: probes with it must not write anything.
const PROBE_ID: &str = "conformance-probe-not-an-id";
/// How many sessions race on one alert key.
const RACERS: usize = 4;
/// What a wrong secret is replaced with.
const WRONG_SECRET: &str = "conformance-wrong-secret-0000";

/// A check's verdict before it becomes an [`Outcome`]: pass detail or fail reason.
type Verdict = Result<String, String>;

/// One run: the loaded connector, its info and settings, and what the run has seen.
pub(crate) struct Suite {
    loaded: LoadedConnector,
    info: ConnectorInfo,
    settings: Vec<(String, String)>,
    mock: Option<Arc<dyn MockPsa>>,
    /// Live: writes allowed, and the profile they use.
    live_profile: Option<MappingProfile>,
    live_writes_refused: Option<String>,
    /// Unique per run, in every alert key and summary.
    run_id: String,
    call_timeout: std::time::Duration,
    /// Everything operations returned (results and errors), as `(operation, Debug text)`.
    seen: Mutex<Vec<(String, String)>>,
    /// Tickets created against a live instance, closed at the end.
    created: Mutex<BTreeSet<String>>,
    captured: Captured,
}

impl Suite {
    pub(crate) fn new(
        config: &Config,
        loaded: LoadedConnector,
        info: ConnectorInfo,
        captured: Captured,
    ) -> Suite {
        let mock = match &config.target {
            Target::Mock(mock) => Some(mock.clone()),
            Target::Live => None,
        };
        let mut settings = mock
            .as_ref()
            .map(|m| m.connector_settings())
            .unwrap_or_default();
        for (key, value) in &config.settings {
            settings.retain(|(k, _)| k != key);
            settings.push((key.clone(), value.clone()));
        }
        let (live_profile, live_writes_refused) = match (&mock, config.allow_writes) {
            (Some(_), _) => (None, None),
            (None, false) => (
                None,
                Some("a write check; live mode is read-only without --allow-writes".to_string()),
            ),
            (None, true) => match &config.live_organization_id {
                Some(org) => (
                    Some(MappingProfile {
                        tenants: vec![TenantMapping {
                            tenant_id: TENANT.into(),
                            organization_id: org.clone(),
                            site_id: None,
                        }],
                        ticket_type_id: config.live_ticket_type_id.clone(),
                        ..empty_profile(SyncStrategy::CreateUpdateClose)
                    }),
                    None,
                ),
                None => (
                    None,
                    Some(
                        "live writes need the organization for test tickets (conformance.organization_id)"
                            .to_string(),
                    ),
                ),
            },
        };
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        Suite {
            loaded,
            info,
            settings,
            mock,
            live_profile,
            live_writes_refused,
            run_id: format!("conformance-{:x}", nanos % 0xffff_ffff_ffff),
            call_timeout: config.host_config.call_timeout,
            seen: Mutex::default(),
            created: Mutex::default(),
            captured,
        }
    }

    /// Runs every check in order, then cleans up (live) and masks secrets in the details.
    pub(crate) async fn run_all(&self) -> Vec<CheckResult> {
        let mut results = Vec::new();
        for (id, title) in CHECKS {
            let outcome = match *id {
                "contract-version" => self.contract_version(),
                "info-complete" => self.info_complete().await,
                "invalid-settings" => self.invalid_settings().await,
                "auth-failed" => self.auth_failed().await,
                "own-hosts-only" => self.own_hosts_only().await,
                "typed-errors" => self.typed_errors().await,
                "one-ticket-per-alert" => self.one_ticket_per_alert().await,
                "lost-link" => self.lost_link().await,
                "touched-stays-open" => self.touched_stays_open().await,
                "audit-matches" => self.audit_matches().await,
                _ => self.no_secrets().await,
            };
            results.push(CheckResult { id, title, outcome });
        }
        self.clean_up().await;
        let secrets = self.secrets();
        for result in &mut results {
            let masked = mask(result.outcome.detail(), &secrets);
            match &mut result.outcome {
                Outcome::Pass(d) | Outcome::Fail(d) | Outcome::NotApplicable(d) => *d = masked,
            }
        }
        results
    }

    // ---- helpers ----------------------------------------------------------------------------

    fn has(&self, capability: Capability) -> bool {
        self.info.capabilities.contains(&capability)
    }

    /// Not applicable unless the connector declares every one of `capabilities`.
    fn needs(&self, capabilities: &[Capability]) -> Option<Outcome> {
        let missing: Vec<String> = capabilities
            .iter()
            .filter(|c| !self.has(**c))
            .map(wit_case)
            .collect();
        (!missing.is_empty()).then(|| {
            Outcome::NotApplicable(format!("capability not declared: {}", missing.join(", ")))
        })
    }

    /// Not applicable without the mock.
    fn needs_mock(&self, why: &str) -> Result<&dyn MockPsa, Outcome> {
        self.mock
            .as_deref()
            .ok_or_else(|| Outcome::NotApplicable(format!("needs the mock ({why})")))
    }

    /// The profile of the write checks, or why they do not apply.
    fn write_profile(&self, strategy: SyncStrategy) -> Result<MappingProfile, Outcome> {
        if let Some(why) = &self.live_writes_refused {
            return Err(Outcome::NotApplicable(why.clone()));
        }
        Ok(match (&self.mock, &self.live_profile) {
            (Some(mock), _) => mock.profile(TENANT, strategy),
            (None, Some(profile)) => MappingProfile {
                strategy,
                ..profile.clone()
            },
            (None, None) => return Err(Outcome::NotApplicable("no write profile".into())),
        })
    }

    /// Opens a session; a host error is a failure.
    async fn open_with(
        &self,
        settings: Vec<(String, String)>,
    ) -> Result<Result<ConnectorSession, ConnectorError>, String> {
        let opened = self.loaded.open(settings).await;
        match opened {
            Ok(Ok(session)) => Ok(Ok(session)),
            Ok(Err(e)) => {
                self.saw("session.open", &e);
                Ok(Err(e))
            }
            Err(e) => Err(format!("session.open: host error: {e}")),
        }
    }

    /// A session with the suite's settings.
    async fn session(&self) -> Result<ConnectorSession, String> {
        match self.open_with(self.settings.clone()).await? {
            Ok(session) => Ok(session),
            Err(e) => Err(format!(
                "session.open refused the settings: {}",
                describe(&e)
            )),
        }
    }

    fn saw(&self, op: &str, value: &impl Debug) {
        lock(&self.seen).push((op.to_string(), format!("{value:?}")));
    }

    /// The connector's answer (recorded); a host error is a failure.
    fn answer<T: Debug>(
        &self,
        op: &str,
        result: OpResult<T>,
    ) -> Result<Result<T, ConnectorError>, String> {
        match result {
            Ok(Ok(value)) => {
                self.saw(op, &value);
                Ok(Ok(value))
            }
            Ok(Err(e)) => {
                self.saw(op, &e);
                Ok(Err(e))
            }
            Err(e) => Err(host_failure(op, &e, self.call_timeout)),
        }
    }

    /// The value (recorded); any error is a failure.
    fn value<T: Debug>(&self, op: &str, result: OpResult<T>) -> Result<T, String> {
        self.answer(op, result)?
            .map_err(|e| format!("{op}: {}", describe(&e)))
    }

    fn key(&self, name: &str) -> String {
        format!("{}/{name}", self.run_id)
    }

    fn alert(&self, key: &str, occurrence: &str) -> SyncRequest {
        SyncRequest {
            alert: Alert {
                key: key.to_string(),
                occurrence_id: Some(occurrence.to_string()),
                tenant_id: TENANT.into(),
                severity: Severity::Medium,
                summary: format!("Conformance check {}", self.run_id),
                details: "Opened by psa-harness conformance; safe to close.".into(),
                contact: None,
                category: None,
                link_url: None,
                evidence: vec![],
            },
            link: None,
        }
    }

    /// Syncs an alert and remembers its ticket for the live clean-up.
    async fn sync(
        &self,
        session: &mut ConnectorSession,
        profile: &MappingProfile,
        request: &SyncRequest,
    ) -> Result<SyncOutcome, String> {
        let outcome = self.value("sync-alert", session.sync_alert(profile, request).await)?;
        lock(&self.created).insert(outcome.ticket.id.clone());
        Ok(outcome)
    }

    /// The mock's ticket ids (empty live).
    fn ticket_ids(&self) -> BTreeSet<i64> {
        self.mock
            .as_ref()
            .map(|m| m.ticket_ids())
            .unwrap_or_default()
    }

    /// Secrets to look for: the secret settings' values and the credentials it sent.
    fn secrets(&self) -> Vec<(String, String)> {
        let mut secrets = Vec::new();
        for field in &self.info.settings_form {
            if field.kind != FieldKind::Secret {
                continue;
            }
            if let Some((_, value)) = self.settings.iter().find(|(k, _)| *k == field.key) {
                if value.len() >= 4 {
                    secrets.push((format!("secret setting `{}`", field.key), value.clone()));
                }
            }
        }
        if let Some(mock) = &self.mock {
            let credentials: BTreeSet<String> = mock
                .server()
                .received()
                .iter()
                .filter_map(|r| r.header("authorization"))
                .filter_map(|v| v.split_once(' ').map(|(_, c)| c.trim().to_string()))
                .filter(|c| c.len() >= 8)
                .collect();
            for credential in credentials {
                secrets.push(("a credential it sent (Authorization)".into(), credential));
            }
        }
        secrets
    }

    /// Closes the tickets created against a live instance.
    async fn clean_up(&self) {
        let (Some(profile), true) = (&self.live_profile, self.mock.is_none()) else {
            return;
        };
        if !self.has(Capability::CloseTicket) {
            return;
        }
        let ids: Vec<String> = lock(&self.created).iter().cloned().collect();
        let Ok(mut session) = self.session().await else {
            return;
        };
        for id in ids.iter().filter(|id| !id.is_empty()) {
            let closed = session
                .close_ticket(profile, id, Some("Closed by psa-harness conformance."))
                .await;
            tracing::info!(ticket = %id, ok = matches!(closed, Ok(Ok(_))), "conformance clean-up");
        }
    }

    // ---- the checks -------------------------------------------------------------------------

    fn contract_version(&self) -> Outcome {
        let version = &self.info.contract_version;
        // What the component exports, read by the host before it instantiated it.
        let exported = self.loaded.contract_version();
        let current = psa_host::contract::CURRENT;
        if !is_semver(version) {
            return Outcome::Fail(format!(
                "info.contract-version `{version}` is not a semver version"
            ));
        }
        if *version != exported.to_string() {
            return Outcome::Fail(format!(
                "the component exports psa:connector@{exported} but info.contract-version says \
                 {version}: report the version it was built against"
            ));
        }
        if exported.compatible_with(current) {
            Outcome::Pass(format!(
                "exports psa:connector@{exported}, the current contract"
            ))
        } else {
            Outcome::Pass(format!(
                "exports psa:connector@{exported}, an older contract this host runs through its \
                 adapter (current: {current}); placement rules and a request source need a \
                 rebuild against {current}"
            ))
        }
    }

    async fn info_complete(&self) -> Outcome {
        let mut problems = info_problems(&self.info);
        let probed = match self.probe_capabilities().await {
            Ok((probed, unsupported)) => {
                problems.extend(unsupported);
                probed
            }
            Err(reason) => {
                problems.push(reason);
                0
            }
        };
        if problems.is_empty() {
            Outcome::Pass(format!(
                "{} settings fields complete; {probed} listed capabilities answer",
                self.info.settings_form.len()
            ))
        } else {
            Outcome::Fail(problems.join("; "))
        }
    }

    /// Calls one operation per listed capability with arguments that cannot write anything;
    /// returns how many were probed and one problem per `unsupported` answer.
    async fn probe_capabilities(&self) -> Result<(usize, Vec<String>), String> {
        let mut session = self.session().await?;
        let profile = empty_profile(SyncStrategy::CreateUpdateClose);
        let unmapped = "conformance-probe-unmapped-tenant";
        let mut problems = Vec::new();
        for capability in &self.info.capabilities {
            let name = wit_case(capability);
            let s = &mut session;
            let unsupported: Option<ConnectorError> = match capability {
                Capability::TestConnection => self.answer(&name, s.test_connection().await)?.err(),
                Capability::ListOrganizations => self
                    .answer(&name, s.list_organizations(&one_page(1)).await)?
                    .err()
                    .or(self
                        .answer("get-organization", s.get_organization(PROBE_ID).await)?
                        .err()),
                Capability::Lookups => [
                    self.answer("list-priorities", s.list_priorities(None).await)?
                        .err(),
                    self.answer("list-statuses", s.list_statuses().await)?.err(),
                    self.answer("list-ticket-types", s.list_ticket_types().await)?
                        .err(),
                    self.answer("list-teams", s.list_teams().await)?.err(),
                ]
                .into_iter()
                .flatten()
                .find(is_unsupported),
                Capability::SuggestMapping => {
                    let tenant = HostTenant {
                        id: unmapped.into(),
                        name: "Conformance Probe Ltd".into(),
                        external_ids: vec![],
                        domains: vec![],
                    };
                    self.answer(&name, s.suggest_mapping(&[tenant]).await)?
                        .err()
                }
                Capability::ValidateMapping => self
                    .answer(&name, s.validate_mapping(&profile).await)?
                    .err(),
                Capability::CreateTicket => {
                    let request = TicketRequest {
                        tenant_id: unmapped.into(),
                        severity: Severity::Low,
                        summary: "Conformance probe".into(),
                        details: "Never created: the tenant is not mapped.".into(),
                        contact: None,
                    };
                    self.answer(&name, s.create_ticket(&profile, &request).await)?
                        .err()
                }
                Capability::GetTicket => self.answer(&name, s.get_ticket(PROBE_ID).await)?.err(),
                Capability::ListTickets => {
                    let query = TicketQuery {
                        organization_id: None,
                        scope: TicketScope::Own,
                        open_only: true,
                        page: Some(1),
                        page_size: Some(1),
                    };
                    self.answer(&name, s.list_tickets(&query).await)?.err()
                }
                Capability::UpdateTicket => {
                    let update = TicketUpdate {
                        priority_id: None,
                        status_id: None,
                        summary: Some("Conformance probe".into()),
                        team_id: None,
                        fields: vec![],
                    };
                    self.answer(&name, s.update_ticket(PROBE_ID, &update).await)?
                        .err()
                }
                Capability::AddNote => {
                    let note = Note {
                        text: "Conformance probe".into(),
                        private: true,
                    };
                    self.answer(&name, s.add_note(PROBE_ID, &note).await)?.err()
                }
                Capability::CloseTicket => self
                    .answer(&name, s.close_ticket(&profile, PROBE_ID, None).await)?
                    .err(),
                Capability::SyncAlert => {
                    let mut request = self.alert(&self.key("probe"), "1");
                    request.alert.tenant_id = unmapped.into();
                    self.answer(&name, s.sync_alert(&profile, &request).await)?
                        .err()
                }
                Capability::ResolveAlert => {
                    let request = ResolveRequest {
                        key: self.key("probe-never-synced"),
                        link: None,
                    };
                    self.answer(&name, s.resolve_alert(&profile, &request).await)?
                        .err()
                }
                Capability::TicketStates => self
                    .answer(&name, s.ticket_states(&[PROBE_ID.to_string()]).await)?
                    .err(),
            };
            if let Some(e) = unsupported.filter(is_unsupported) {
                problems.push(format!(
                    "info lists `{name}` but it answers {}",
                    describe(&e)
                ));
            }
        }
        Ok((self.info.capabilities.len(), problems))
    }

    async fn invalid_settings(&self) -> Outcome {
        // (what, the settings, the key invalid-settings must name)
        type Case = (String, Vec<(String, String)>, String);
        let mut cases: Vec<Case> = Vec::new();
        for field in self.info.settings_form.iter().filter(|f| f.required) {
            let settings = self
                .settings
                .iter()
                .filter(|(k, _)| *k != field.key)
                .cloned()
                .collect();
            cases.push((
                format!("without `{}`", field.key),
                settings,
                field.key.clone(),
            ));
        }
        for field in self
            .info
            .settings_form
            .iter()
            .filter(|f| f.kind == FieldKind::Url)
        {
            let mut settings: Vec<(String, String)> = self
                .settings
                .iter()
                .filter(|(k, _)| *k != field.key)
                .cloned()
                .collect();
            settings.push((field.key.clone(), "not a url".into()));
            cases.push((
                format!("with a malformed `{}`", field.key),
                settings,
                field.key.clone(),
            ));
        }
        if cases.is_empty() {
            return Outcome::NotApplicable("no required or url settings field".into());
        }
        let mut problems = Vec::new();
        for (case, settings, key) in &cases {
            match self.expect_invalid(settings.clone(), key).await {
                Ok(()) => {}
                Err(problem) => problems.push(format!("{case}: {problem}")),
            }
        }
        verdict(
            problems,
            format!(
                "{} cases ({}) each named the field",
                cases.len(),
                cases
                    .iter()
                    .map(|c| c.0.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
    }

    /// `invalid-settings` naming `key`, from `session.open` or the first operation.
    async fn expect_invalid(
        &self,
        settings: Vec<(String, String)>,
        key: &str,
    ) -> Result<(), String> {
        let error = match self.open_with(settings).await? {
            Err(e) => e,
            Ok(mut session) => match self.first_read(&mut session).await? {
                Err(e) => e,
                Ok(op) => return Err(format!("the session opened and {op} succeeded")),
            },
        };
        match &error {
            ConnectorError::InvalidSettings(p) if p.key.as_deref() == Some(key) => Ok(()),
            ConnectorError::InvalidSettings(p) => Err(format!(
                "invalid-settings names {} instead of `{key}`",
                p.key
                    .as_deref()
                    .map_or("no field".to_string(), |k| format!("`{k}`"))
            )),
            other => Err(format!(
                "answered {} instead of invalid-settings",
                describe(other)
            )),
        }
    }

    /// `test-connection` if declared, else the first page of `list-organizations`: the
    /// operation's name on success, the connector's error otherwise.
    async fn first_read(
        &self,
        session: &mut ConnectorSession,
    ) -> Result<Result<&'static str, ConnectorError>, String> {
        if self.has(Capability::TestConnection) {
            let r = self.answer("test-connection", session.test_connection().await)?;
            return Ok(r.map(|_| "test-connection"));
        }
        let r = self.answer(
            "list-organizations",
            session.list_organizations(&one_page(1)).await,
        )?;
        Ok(r.map(|_| "list-organizations"))
    }

    async fn auth_failed(&self) -> Outcome {
        if let Some(na) =
            self.needs_any(&[Capability::TestConnection, Capability::ListOrganizations])
        {
            return na;
        }
        let secret_fields: Vec<&str> = self
            .info
            .settings_form
            .iter()
            .filter(|f| f.kind == FieldKind::Secret)
            .map(|f| f.key.as_str())
            .filter(|k| {
                self.settings
                    .iter()
                    .any(|(key, v)| key == k && !v.is_empty())
            })
            .collect();
        if secret_fields.is_empty() {
            return Outcome::NotApplicable("no secret settings field has a value".into());
        }
        let mut problems = Vec::new();
        for key in &secret_fields {
            let mut settings: Vec<(String, String)> = self
                .settings
                .iter()
                .filter(|(k, _)| k != key)
                .cloned()
                .collect();
            settings.push((key.to_string(), WRONG_SECRET.into()));
            let answer = match self.open_with(settings).await {
                Err(reason) => Err(reason),
                Ok(Err(e)) => Ok(Err(e)),
                Ok(Ok(mut session)) => self.first_read(&mut session).await,
            };
            match answer {
                Ok(Err(ConnectorError::AuthFailed(_))) => {}
                Ok(Err(other)) => problems.push(format!(
                    "a wrong `{key}` gave {} instead of auth-failed",
                    describe(&other)
                )),
                Ok(Ok(op)) => problems.push(format!("a wrong `{key}`: {op} succeeded")),
                Err(reason) => problems.push(format!("a wrong `{key}`: {reason}")),
            }
        }
        verdict(
            problems,
            format!(
                "a wrong {} gave auth-failed",
                secret_fields
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
    }

    fn needs_any(&self, capabilities: &[Capability]) -> Option<Outcome> {
        (!capabilities.iter().any(|c| self.has(*c))).then(|| {
            Outcome::NotApplicable(format!(
                "capability not declared: any of {}",
                capabilities
                    .iter()
                    .map(wit_case)
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })
    }

    async fn own_hosts_only(&self) -> Outcome {
        let logged_before = self.captured.lines().len();
        let result: Result<(u64, u64, String), String> = async {
            let mut session = self.session().await?;
            let _ = self.first_read(&mut session).await?;
            if self.has(Capability::ListOrganizations) {
                let _ = self.answer(
                    "list-organizations",
                    session.list_organizations(&one_page(1)).await,
                )?;
            }
            if self.has(Capability::Lookups) {
                let _ = self.answer("list-statuses", session.list_statuses().await)?;
                let _ = self.answer("list-ticket-types", session.list_ticket_types().await)?;
            }
            if self.has(Capability::SyncAlert) {
                if let Ok(profile) = self.write_profile(SyncStrategy::CreateUpdateClose) {
                    self.sync(
                        &mut session,
                        &profile,
                        &self.alert(&self.key("egress"), "1"),
                    )
                    .await?;
                }
            }
            let stats = session.requests();
            let origins = session
                .egress()
                .origins()
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            Ok((stats.total, stats.denied, origins))
        }
        .await;
        match result {
            Err(reason) => Outcome::Fail(reason),
            Ok((total, 0, origins)) => Outcome::Pass(format!(
                "{total} requests, all to its url settings' hosts ({origins})"
            )),
            Ok((total, denied, origins)) => {
                let targets: BTreeSet<String> = self.captured.lines()[logged_before..]
                    .iter()
                    .filter(|l| l.contains("denied by egress policy"))
                    .filter_map(|l| field_of(l, "target"))
                    .collect();
                Outcome::Fail(format!(
                    "{denied} of {total} requests went to hosts no url setting names ({}); allowed: {origins}",
                    if targets.is_empty() {
                        "see the host's log".to_string()
                    } else {
                        targets.into_iter().collect::<Vec<_>>().join(", ")
                    }
                ))
            }
        }
    }

    async fn typed_errors(&self) -> Outcome {
        let mock = match self.needs_mock("fault injection") {
            Ok(mock) => mock,
            Err(na) => return na,
        };
        if let Some(na) = self.needs(&[Capability::ListOrganizations]) {
            return na;
        }
        let endpoint = mock.organizations_endpoint();
        let faults = [
            ("garbage", "kind=malformed"),
            ("HTML", "kind=bad-gateway"),
            ("truncated", "kind=truncated"),
            ("huge", "kind=huge,bytes=20971520"),
            ("429 storm", "kind=429,retry-after=60"),
            ("reset", "kind=reset"),
        ];
        let mut seen = Vec::new();
        let mut problems = Vec::new();
        for (name, fault) in faults {
            let rule = format!("{fault},endpoint={endpoint},every");
            let rule = match rule.parse() {
                Ok(rule) => rule,
                Err(e) => return Outcome::Fail(format!("internal: {e}")),
            };
            let mut session = match self.session().await {
                Ok(s) => s,
                Err(reason) => return Outcome::Fail(reason),
            };
            let fired = mock.server().faults_fired();
            mock.server().add_fault(rule);
            let result = session.list_organizations(&one_page(5)).await;
            mock.server().clear_faults();
            if mock.server().faults_fired() == fired {
                problems.push(format!("{name}: the fault never hit {endpoint}"));
                continue;
            }
            match self.answer("list-organizations", result) {
                Err(reason) => problems.push(format!("{name}: {reason}")),
                Ok(Ok(page)) => problems.push(format!(
                    "{name}: accepted the answer as {} organizations",
                    page.items.len()
                )),
                Ok(Err(e)) => seen.push(format!("{name} → {}", connector_error_case(&e))),
            }
        }
        verdict(problems, seen.join(", "))
    }

    async fn one_ticket_per_alert(&self) -> Outcome {
        if let Some(na) = self.needs(&[Capability::SyncAlert]) {
            return na;
        }
        let profile = match self.write_profile(SyncStrategy::CreateUpdateClose) {
            Ok(p) => p,
            Err(na) => return na,
        };
        let before = self.ticket_ids();
        let result: Verdict = async {
            let mut session = self.session().await?;
            let key = self.key("repeat");
            let first = self.sync(&mut session, &profile, &self.alert(&key, "1")).await?;
            let ticket = first.ticket.id.clone();
            for (occurrence, what) in [("2", "a new occurrence"), ("2", "the same occurrence again")] {
                let mut request = self.alert(&key, occurrence);
                request.link = Some(ticket.clone());
                let again = self.sync(&mut session, &profile, &request).await?;
                if again.ticket.id != ticket {
                    return Err(format!(
                        "{what} of one alert, with the link to #{ticket}, answered ticket #{} ({})",
                        again.ticket.id,
                        wit_case(&again.decision)
                    ));
                }
            }
            let racing = self.race(&profile).await?;
            if let Some(mock) = &self.mock {
                let new: Vec<i64> = mock.ticket_ids().difference(&before).copied().collect();
                if new.len() != 2 {
                    return Err(format!(
                        "two alert keys (one repeated, one raced by {RACERS} sessions) left {} new tickets in the mock: {}",
                        new.len(),
                        new.iter().map(|id| format!("#{id}")).collect::<Vec<_>>().join(", ")
                    ));
                }
            }
            Ok(format!(
                "3 syncs of one key → ticket #{ticket}; {RACERS} concurrent sessions → ticket #{racing}"
            ))
        }
        .await;
        outcome(result)
    }

    /// `RACERS` sessions sync one new key at once (through a barrier): the one ticket's id.
    async fn race(&self, profile: &MappingProfile) -> Result<String, String> {
        let key = self.key("race");
        let barrier = Arc::new(tokio::sync::Barrier::new(RACERS));
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..RACERS {
            let mut session = self.session().await?;
            let (barrier, profile, request) =
                (barrier.clone(), profile.clone(), self.alert(&key, "1"));
            tasks.spawn(
                async move {
                    barrier.wait().await;
                    session.sync_alert(&profile, &request).await
                }
                .with_current_subscriber(),
            );
        }
        let mut tickets = BTreeSet::new();
        while let Some(joined) = tasks.join_next().await {
            let result = joined.map_err(|e| format!("a racing session panicked: {e}"))?;
            let outcome = self.value("sync-alert", result)?;
            lock(&self.created).insert(outcome.ticket.id.clone());
            tickets.insert(outcome.ticket.id);
        }
        if tickets.len() != 1 {
            return Err(format!(
                "{RACERS} sessions syncing one new alert at once answered {} tickets: {}",
                tickets.len(),
                tickets
                    .iter()
                    .map(|t| format!("#{t}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        Ok(tickets.into_iter().next().unwrap_or_default())
    }

    async fn lost_link(&self) -> Outcome {
        if let Some(na) = self.needs(&[Capability::SyncAlert]) {
            return na;
        }
        let profile = match self.write_profile(SyncStrategy::CreateUpdateClose) {
            Ok(p) => p,
            Err(na) => return na,
        };
        let before = self.ticket_ids();
        let key = self.key(&format!(
            "lost-link/{}/o'brien \"quoted\" & <b>",
            "a-long-alert-key-".repeat(5)
        ));
        let result: Verdict = async {
            let mut first = self.session().await?;
            let created = self.sync(&mut first, &profile, &self.alert(&key, "1")).await?;
            let _ = first.close().await;
            // A host that lost its link store: a new session, no link.
            let mut later = self.session().await?;
            let again = self.sync(&mut later, &profile, &self.alert(&key, "2")).await?;
            if again.ticket.id != created.ticket.id {
                return Err(format!(
                    "without the link, a recurrence of a {}-character key opened ticket #{} ({}) instead of finding #{}",
                    key.chars().count(),
                    again.ticket.id,
                    wit_case(&again.decision),
                    created.ticket.id
                ));
            }
            if let Some(mock) = &self.mock {
                let new = mock.ticket_ids().difference(&before).count();
                if new != 1 {
                    return Err(format!("{new} new tickets in the mock for one alert key"));
                }
            }
            Ok(format!(
                "a {}-character key synced again without its link → #{} ({})",
                key.chars().count(),
                again.ticket.id,
                wit_case(&again.decision)
            ))
        }
        .await;
        outcome(result)
    }

    async fn touched_stays_open(&self) -> Outcome {
        let mock = match self.needs_mock("a technician touches the ticket") {
            Ok(mock) => mock,
            Err(na) => return na,
        };
        if let Some(na) = self.needs(&[Capability::SyncAlert, Capability::ResolveAlert]) {
            return na;
        }
        let profile = mock.profile(TENANT, SyncStrategy::CreateUpdateClose);
        let result: Verdict = async {
            let mut session = self.session().await?;
            let key = self.key("touched");
            let created = self.sync(&mut session, &profile, &self.alert(&key, "1")).await?;
            let ticket = created.ticket.id.clone();
            let id: i64 = ticket
                .parse()
                .map_err(|_| format!("ticket id `{ticket}` is not the mock's number"))?;
            mock.technician_note(id, "Looking into this one myself.");
            let request = ResolveRequest {
                key: key.clone(),
                link: Some(ticket.clone()),
            };
            let resolved = self.value(
                "resolve-alert",
                session.resolve_alert(&profile, &request).await,
            )?;
            let closed = mock.ticket_closed(id).unwrap_or(false);
            if closed || resolved.decision != ResolveDecision::LeftOpenTouched {
                return Err(format!(
                    "after a technician's note, resolve-alert answered {} and the mock shows #{ticket} {}",
                    wit_case(&resolved.decision),
                    if closed { "closed" } else { "open" }
                ));
            }
            Ok(format!(
                "#{ticket} left open after a technician's note (touched by {})",
                resolved.touched_by.unwrap_or_default()
            ))
        }
        .await;
        outcome(result)
    }

    async fn audit_matches(&self) -> Outcome {
        let mock = match self.needs_mock("its request log") {
            Ok(mock) => mock,
            Err(na) => return na,
        };
        let mutations = [
            Capability::CreateTicket,
            Capability::UpdateTicket,
            Capability::AddNote,
            Capability::CloseTicket,
            Capability::SyncAlert,
            Capability::ResolveAlert,
        ];
        if let Some(na) = self.needs_any(&mutations) {
            return na;
        }
        let profile = mock.profile(TENANT, SyncStrategy::CreateUpdateClose);
        let result: Result<(usize, usize), String> = async {
            let mut s = self.session().await?;
            let _ = self.first_read(&mut s).await?;
            let mut checked = (0, 0);
            let mut check = |op: &str, audit: &AuditRecord| -> Result<(), String> {
                let problem = audit_problem(op, audit, &mock.server().received());
                mock.server().clear_received();
                checked.0 += 1;
                checked.1 += audit.requests.len();
                problem.map_or(Ok(()), Err)
            };
            mock.server().clear_received();
            let mut ticket = None;
            if self.has(Capability::CreateTicket) {
                let request = TicketRequest {
                    tenant_id: TENANT.into(),
                    severity: Severity::Low,
                    summary: format!("Conformance audit {}", self.run_id),
                    details: "Opened by psa-harness conformance.".into(),
                    contact: None,
                };
                let change =
                    self.value("create-ticket", s.create_ticket(&profile, &request).await)?;
                check("create-ticket", &change.audit)?;
                ticket = Some(change.ticket.id);
            }
            if let Some(id) = &ticket {
                if self.has(Capability::UpdateTicket) {
                    let update = TicketUpdate {
                        priority_id: None,
                        status_id: None,
                        summary: Some(format!("Conformance audit {} (updated)", self.run_id)),
                        team_id: None,
                        fields: vec![],
                    };
                    let change = self.value("update-ticket", s.update_ticket(id, &update).await)?;
                    check("update-ticket", &change.audit)?;
                }
                if self.has(Capability::AddNote) {
                    let note = Note {
                        text: "A note from the conformance suite.".into(),
                        private: true,
                    };
                    let added = self.value("add-note", s.add_note(id, &note).await)?;
                    check("add-note", &added.audit)?;
                }
                if self.has(Capability::CloseTicket) {
                    let change = self.value(
                        "close-ticket",
                        s.close_ticket(&profile, id, Some("Closed by the conformance suite."))
                            .await,
                    )?;
                    check("close-ticket", &change.audit)?;
                }
            }
            if self.has(Capability::SyncAlert) {
                let key = self.key("audit");
                let first = self.sync(&mut s, &profile, &self.alert(&key, "1")).await?;
                check("sync-alert (created)", &first.audit)?;
                let mut repeat = self.alert(&key, "2");
                repeat.link = Some(first.ticket.id.clone());
                let noted = self.sync(&mut s, &profile, &repeat).await?;
                check("sync-alert (repeat)", &noted.audit)?;
                if self.has(Capability::ResolveAlert) {
                    let request = ResolveRequest {
                        key,
                        link: Some(first.ticket.id),
                    };
                    let resolved =
                        self.value("resolve-alert", s.resolve_alert(&profile, &request).await)?;
                    check("resolve-alert", &resolved.audit)?;
                }
            }
            Ok(checked)
        }
        .await;
        match result {
            Ok((ops, requests)) => Outcome::Pass(format!(
                "{ops} mutations, {requests} requests, each audit record as the mock received them"
            )),
            Err(reason) => Outcome::Fail(reason),
        }
    }

    async fn no_secrets(&self) -> Outcome {
        // Provoke errors and results of its own first: a missing ticket, a failing read.
        let provoked: Result<(), String> = async {
            let mut session = self.session().await?;
            let _ = self.first_read(&mut session).await?;
            if self.has(Capability::GetTicket) {
                let _ = self.answer("get-ticket", session.get_ticket("999999999").await)?;
            }
            if let (Some(mock), true) = (&self.mock, self.has(Capability::ListOrganizations)) {
                for fault in ["kind=500", "kind=401"] {
                    let rule = format!("{fault},endpoint={},every", mock.organizations_endpoint());
                    if let Ok(rule) = rule.parse() {
                        mock.server().add_fault(rule);
                    }
                    let result = session.list_organizations(&one_page(1)).await;
                    mock.server().clear_faults();
                    let _ = self.answer("list-organizations", result)?;
                }
            }
            Ok(())
        }
        .await;
        if let Err(reason) = provoked {
            return Outcome::Fail(reason);
        }
        let secrets = self.secrets();
        if secrets.is_empty() {
            return Outcome::NotApplicable("no secret setting and no credential sent".into());
        }
        let mut places: Vec<(String, String)> = lock(&self.seen)
            .iter()
            .map(|(op, text)| (format!("what {op} returned"), text.clone()))
            .collect();
        let logs = self.captured.lines();
        places.extend(logs.iter().map(|l| ("a log line".to_string(), l.clone())));
        let mut requests = 0;
        if let Some(mock) = &self.mock {
            let received = mock.server().received();
            requests = received.len();
            for r in &received {
                let at = format!("a request it sent ({} {})", r.method, r.path);
                places.push((
                    format!("{at}, path or query"),
                    format!("{}?{}", r.path, r.query),
                ));
                for (name, value) in &r.headers {
                    if name != "authorization" {
                        places.push((format!("{at}, header {name}"), value.clone()));
                    }
                }
                // The PSA's token request carries the raw secret settings by design.
                let body_allows_settings = mock.secret_body_allowed(r);
                for (what, secret) in &secrets {
                    if r.body.contains(secret.as_str())
                        && !(body_allows_settings && what.starts_with("secret setting"))
                    {
                        places.push((format!("{at}, body"), r.body.clone()));
                    }
                }
            }
        }
        let mut findings = Vec::new();
        for (what, secret) in &secrets {
            if let Some((place, _)) = places
                .iter()
                .find(|(_, text)| text.contains(secret.as_str()))
            {
                findings.push(format!("{what} appears in {place}"));
            }
        }
        let results = lock(&self.seen).len();
        verdict(
            findings,
            format!(
                "{} secrets looked for in {results} results and errors, {} log lines and {requests} requests",
                secrets.len(),
                logs.len()
            ),
        )
    }
}

// ---- pure helpers -------------------------------------------------------------------------------

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn outcome(verdict: Verdict) -> Outcome {
    match verdict {
        Ok(detail) => Outcome::Pass(detail),
        Err(reason) => Outcome::Fail(reason),
    }
}

/// Pass with `detail` when there is no problem, else fail listing them.
fn verdict(problems: Vec<String>, detail: String) -> Outcome {
    if problems.is_empty() {
        Outcome::Pass(detail)
    } else {
        Outcome::Fail(problems.join("; "))
    }
}

/// A connector error in one line: its WIT case and its fields.
pub(crate) fn describe(error: &ConnectorError) -> String {
    format!("{} ({error:?})", connector_error_case(error))
}

fn is_unsupported(error: &ConnectorError) -> bool {
    matches!(error, ConnectorError::Unsupported(_))
}

/// A host error as a check failure: a trap or a timeout named as such.
fn host_failure(op: &str, error: &HostError, deadline: std::time::Duration) -> String {
    match error {
        HostError::Trap { message, .. } => format!("{op} trapped: {message}"),
        HostError::Timeout { .. } => format!("{op} hung past the {deadline:?} deadline"),
        other => format!("{op}: host error: {other}"),
    }
}

/// The WIT name of an enum case from its `Debug` form (`SyncDecision::NewAfterWindow` →
/// `new-after-window`).
fn wit_case(value: &impl Debug) -> String {
    let debug = format!("{value:?}");
    let case = debug.rsplit("::").next().unwrap_or(&debug);
    let mut out = String::new();
    for (i, c) in case.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('-');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// `major.minor.patch`, optionally with a pre-release or build suffix.
fn is_semver(version: &str) -> bool {
    let core = version.split(['-', '+']).next().unwrap_or("");
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
}

/// What is missing from `info` itself (no session needed).
pub(crate) fn info_problems(info: &ConnectorInfo) -> Vec<String> {
    let mut problems = Vec::new();
    for (what, value) in [
        ("name", &info.name),
        ("psa-name", &info.psa_name),
        ("version", &info.version),
    ] {
        if value.trim().is_empty() {
            problems.push(format!("info.{what} is empty"));
        }
    }
    if info.capabilities.is_empty() {
        problems.push("info lists no capability".into());
    }
    let mut seen = BTreeSet::new();
    for capability in &info.capabilities {
        if !seen.insert(wit_case(capability)) {
            problems.push(format!(
                "capability `{}` listed twice",
                wit_case(capability)
            ));
        }
    }
    let mut keys = BTreeSet::new();
    for (i, field) in info.settings_form.iter().enumerate() {
        let name = if field.key.trim().is_empty() {
            format!("settings field {}", i + 1)
        } else {
            format!("settings field `{}`", field.key)
        };
        for (what, value) in [
            ("key", &field.key),
            ("label", &field.label),
            ("help", &field.help),
        ] {
            if value.trim().is_empty() {
                problems.push(format!("{name} has no {what}"));
            }
        }
        if !field.key.is_empty() && !keys.insert(field.key.clone()) {
            problems.push(format!("{name} is listed twice"));
        }
    }
    if !info.settings_form.iter().any(|f| f.kind == FieldKind::Url) {
        problems.push("no url settings field: the host would let it call no host".into());
    }
    problems
}

/// Where an audit record and the requests the mock received differ (method and path, in
/// order), if they do.
fn audit_problem(
    op: &str,
    audit: &AuditRecord,
    received: &[psa_mock::ReceivedRequest],
) -> Option<String> {
    let listed: Vec<String> = audit
        .requests
        .iter()
        .map(|r| format!("{} {}", r.method.to_ascii_uppercase(), r.path))
        .collect();
    let sent: Vec<String> = received
        .iter()
        .map(|r| format!("{} {}", r.method.to_ascii_uppercase(), r.path))
        .collect();
    let same = listed.len() == sent.len()
        && listed
            .iter()
            .zip(&sent)
            .all(|(a, b)| a.eq_ignore_ascii_case(b));
    (!same).then(|| {
        format!(
            "{op}: the audit record lists {} requests [{}], the mock received {} [{}]",
            listed.len(),
            listed.join(", "),
            sent.len(),
            sent.join(", ")
        )
    })
}

/// `text` with every secret replaced by `***`.
fn mask(text: &str, secrets: &[(String, String)]) -> String {
    secrets
        .iter()
        .fold(text.to_string(), |t, (_, s)| t.replace(s.as_str(), "***"))
}

/// The value of `name=value` in a `tracing` fmt line.
fn field_of(line: &str, name: &str) -> Option<String> {
    let start = line.find(&format!("{name}="))? + name.len() + 1;
    let value = line[start..].split_whitespace().next()?;
    Some(value.trim_matches('"').to_string())
}

fn one_page(size: u32) -> OrganizationQuery {
    OrganizationQuery {
        search: None,
        include_inactive: false,
        page: Some(1),
        page_size: Some(size),
    }
}

/// A profile that maps no tenant: ticket operations with it fail before writing.
pub(crate) fn empty_profile(strategy: SyncStrategy) -> MappingProfile {
    MappingProfile::unmapped(strategy)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info() -> ConnectorInfo {
        ConnectorInfo {
            name: "x".into(),
            psa_name: "X".into(),
            version: "1.0.0".into(),
            contract_version: "0.2.0".into(),
            capabilities: vec![Capability::TestConnection],
            settings_form: vec![SettingField {
                key: "base_url".into(),
                label: "Base URL".into(),
                kind: FieldKind::Url,
                required: true,
                default_value: None,
                help: "Where it is.".into(),
            }],
        }
    }

    #[test]
    fn info_problems_name_what_is_missing() {
        assert!(info_problems(&info()).is_empty());
        let mut bad = info();
        bad.settings_form[0].help = " ".into();
        bad.settings_form.push(SettingField {
            key: "secret".into(),
            label: String::new(),
            kind: FieldKind::Secret,
            required: true,
            default_value: None,
            help: "h".into(),
        });
        bad.capabilities.push(Capability::TestConnection);
        assert_eq!(
            info_problems(&bad),
            vec![
                "capability `test-connection` listed twice",
                "settings field `base_url` has no help",
                "settings field `secret` has no label",
            ]
        );
        let mut no_url = info();
        no_url.settings_form[0].kind = FieldKind::Text;
        assert_eq!(
            info_problems(&no_url),
            vec!["no url settings field: the host would let it call no host"]
        );
    }

    #[test]
    fn versions_cases_masks_and_fields() {
        assert!(is_semver("0.2.0") && is_semver("1.10.3-rc.1"));
        assert!(!is_semver("0.2") && !is_semver("not-a-version") && !is_semver("0.x.1"));
        assert_eq!(wit_case(&SyncDecision::NewAfterWindow), "new-after-window");
        assert_eq!(
            mask("key hunter22 here", &[("s".into(), "hunter22".into())]),
            "key *** here"
        );
        assert_eq!(
            field_of(
                r#"WARN x: denied target="https://a.example:443" path=/"#,
                "target"
            ),
            Some("https://a.example:443".into())
        );
    }
}
