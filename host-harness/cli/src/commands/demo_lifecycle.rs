//! The demo's alert-lifecycle section: one alert, one ticket, through every decision.
//!
//! alert → ticket → repeat → note (occurrence 2) → resolve → closed → repeat within the re-open
//! window → re-opened; a second alert whose ticket a technician touched → resolve leaves it open;
//! then both tickets' states read back in one call (two-way sync). Then placement rules (skip,
//! route with a priority override), the contact linked to the PSA's own user, the request source
//! and the link back to the alert.

use super::demo::{Demo, DemoError};
use crate::psa::{Psa, PsaMock};
use crate::wit_case;
use psa_host::types::*;
use serde_json::Value;

fn sync_request(
    key: &str,
    occurrence: &str,
    severity: Severity,
    link: Option<&str>,
) -> SyncRequest {
    SyncRequest {
        alert: Alert {
            key: key.into(),
            occurrence_id: Some(occurrence.into()),
            tenant_id: "t-contoso".into(),
            severity,
            summary: format!("Defender: {key}"),
            details: "Endpoint detection on LAPTOP-7 (Contoso). Quarantined; review the device."
                .into(),
            contact: None,
            category: None,
            link_url: None,
            evidence: vec![],
        },
        link: link.map(str::to_string),
    }
}

fn show_sync(label: &str, outcome: &SyncOutcome) {
    println!(
        "{label:<34} -> {:<16} ticket #{} occurrence {}{} [{} requests]",
        wit_case(&outcome.decision),
        outcome.ticket.id,
        outcome.occurrence,
        if outcome.priority_raised {
            ", priority raised"
        } else {
            ""
        },
        outcome.audit.requests.len(),
    );
}

fn show_resolve(label: &str, outcome: &ResolveOutcome) {
    println!(
        "{label:<34} -> {:<16} ticket #{}{} [{}]",
        wit_case(&outcome.decision),
        outcome.ticket_id.as_deref().unwrap_or("-"),
        outcome
            .touched_by
            .as_deref()
            .map(|w| format!(", touched by {w}"))
            .unwrap_or_default(),
        outcome.audit.decision,
    );
}

impl Demo {
    /// Step: the alert lifecycle under the profile's strategy (create-update-close).
    pub async fn alert_lifecycle(&mut self) -> Result<(), DemoError> {
        const STEP: &str = "alert-lifecycle";
        super::demo::heading("Alert lifecycle (strategy create-update-close, re-open window 24 h)");
        let profile = self.profile(STEP)?;
        let key = "defender/laptop-7/trojan";

        let first = self
            .sync(
                STEP,
                &profile,
                sync_request(key, "evt-1", Severity::Medium, None),
            )
            .await?;
        show_sync("alert", &first);
        let link = first.ticket.id.clone();
        let repeat = self
            .sync(
                STEP,
                &profile,
                sync_request(key, "evt-2", Severity::High, Some(&link)),
            )
            .await?;
        show_sync("same alert again, severity high", &repeat);
        let resend = self
            .sync(
                STEP,
                &profile,
                sync_request(key, "evt-2", Severity::High, Some(&link)),
            )
            .await?;
        show_sync("the same occurrence re-sent", &resend);
        let resolved = self.resolve(STEP, &profile, key, Some(&link)).await?;
        show_resolve("alert resolved", &resolved);
        let reopened = self
            .sync(
                STEP,
                &profile,
                sync_request(key, "evt-3", Severity::High, None),
            )
            .await?;
        show_sync("recurs within the window (no link)", &reopened);

        let other_key = "defender/laptop-9/phishing";
        let other = self
            .sync(
                STEP,
                &profile,
                sync_request(other_key, "evt-1", Severity::Low, None),
            )
            .await?;
        show_sync("second alert", &other);
        let other_id: i64 = other
            .ticket
            .id
            .parse()
            .map_err(|_| super::demo::flow(STEP, "non-numeric ticket id"))?;
        self.mock
            .technician_note(other_id, "Called the user; investigating.");
        println!("{:<34}    (a technician adds a note to #{other_id})", "");
        let left_open = self.resolve(STEP, &profile, other_key, None).await?;
        show_resolve("second alert resolved", &left_open);

        let ids = vec![reopened.ticket.id.clone(), other.ticket.id.clone()];
        let states = super::demo::op(STEP, self.session_mut(STEP)?.ticket_states(&ids).await)?;
        println!("two-way read-back ({} tickets, one call):", states.len());
        for s in &states {
            println!(
                "  #{:<6} {:<14} closed: {:<5} touched by a person: {}",
                s.ticket_id,
                s.status_name.as_deref().unwrap_or("-"),
                s.closed,
                s.touched_by_person
            );
        }
        Ok(())
    }

    /// Step: placement rules, the contact, the request source and the link back to the alert.
    pub async fn placement_and_people(&mut self) -> Result<(), DemoError> {
        const STEP: &str = "placement";
        super::demo::heading("Placement rules, contact, source and link");
        let mut profile = self.profile(STEP)?;
        let (source, source_name) = match self.psa {
            Psa::Halo => (
                psa_mock::halo::seed_ids::SOURCE_INTEGRATION_ID,
                "ticket source",
            ),
            Psa::Connectwise => (
                psa_mock::connectwise::seed_ids::SOURCE_INTEGRATION_ID,
                "service source",
            ),
        };
        profile.source_id = Some(source.to_string());
        let top_priority = profile
            .priorities
            .iter()
            .find(|p| p.severity == Severity::Critical)
            .map(|p| p.priority_id.clone());
        let rule = |name: &str, category: &str| PlacementRule {
            category: Some(category.into()),
            ..PlacementRule::named(name)
        };
        profile.rules = vec![
            PlacementRule {
                skip: true,
                ..rule("no tickets for unwanted apps", "endpoint/pua")
            },
            PlacementRule {
                priority_id: top_priority.clone(),
                ..rule("identity alerts at top priority", "identity/*")
            },
        ];
        let report = super::demo::op(
            STEP,
            self.session_mut(STEP)?.validate_mapping(&profile).await,
        )?;
        println!(
            "profile: 2 rules, {source_name} {source}; validate-mapping: {} ({} findings)",
            if report.ok { "ok" } else { "errors" },
            report.findings.len()
        );

        let mut pua = sync_request("defender/laptop-7/pua", "evt-1", Severity::Medium, None);
        pua.alert.category = Some("endpoint/pua".into());
        let skipped = self.sync(STEP, &profile, pua).await?;
        println!(
            "{:<34} -> {:<16} rule '{}' [{} requests]",
            "endpoint/pua alert",
            wit_case(&skipped.decision),
            skipped.rule.as_deref().unwrap_or("-"),
            skipped.audit.requests.len()
        );

        let mut travel = sync_request("entra/alex/impossible-travel", "evt-1", Severity::Low, None);
        travel.alert.category = Some("identity/impossible-travel".into());
        travel.alert.contact = Some(Contact {
            name: Some("Alex Johnson".into()),
            email: Some("alex.johnson@contoso.com".into()),
        });
        travel.alert.link_url = Some("https://platform.example/alerts/4711".into());
        travel.alert.evidence = vec![
            Fact {
                name: "User".into(),
                value: "alex.johnson@contoso.com".into(),
            },
            Fact {
                name: "Sign-ins".into(),
                value: "Seattle 09:12, Lagos 09:40 (UTC)".into(),
            },
            Fact {
                name: "IP address".into(),
                value: "203.0.113.9".into(),
            },
        ];
        let routed = self.sync(STEP, &profile, travel).await?;
        let stored = self.stored_ticket(STEP, &routed.ticket.id)?;
        let (contact_field, source_field) = match self.psa {
            Psa::Halo => (stored["user_id"].clone(), stored["source"].clone()),
            Psa::Connectwise => (
                stored["contact"]["id"].clone(),
                stored["source"]["id"].clone(),
            ),
        };
        println!(
            "{:<34} -> {:<16} ticket #{} by rule '{}', priority {} (severity low)",
            "identity/impossible-travel alert",
            wit_case(&routed.decision),
            routed.ticket.id,
            routed.rule.as_deref().unwrap_or("-"),
            routed.ticket.priority_id.as_deref().unwrap_or("-"),
        );
        println!("{:<34}    contact linked to the PSA's user {contact_field}, source {source_field}, link and evidence in the details", "");

        let mut stranger = sync_request("defender/laptop-9/malware", "evt-1", Severity::High, None);
        stranger.alert.category = Some("endpoint/malware".into());
        stranger.alert.contact = Some(Contact {
            name: Some("Eve <script>alert(1)</script>".into()),
            email: Some("eve@elsewhere.example".into()),
        });
        stranger.alert.link_url = Some("javascript:alert(1)".into());
        let plain = self.sync(STEP, &profile, stranger).await?;
        let stored = self.stored_ticket(STEP, &plain.ticket.id)?;
        let description = match self.psa {
            Psa::Halo => stored["details"].as_str().unwrap_or_default().to_string(),
            Psa::Connectwise => self.first_note(&plain.ticket.id),
        };
        let contact_line = description
            .lines()
            .find(|l| l.contains("Contact:"))
            .unwrap_or("-")
            .trim_end_matches("<br>");
        println!(
            "{:<34} -> {:<16} ticket #{} (default placement), no user: the details say {contact_line:?}; javascript: link left out",
            "endpoint/malware, unknown contact",
            wit_case(&plain.decision),
            plain.ticket.id,
        );
        Ok(())
    }

    /// The ticket as the embedded mock stored it.
    fn stored_ticket(&self, step: &'static str, id: &str) -> Result<Value, DemoError> {
        let id: i64 = id
            .parse()
            .map_err(|_| super::demo::flow(step, "non-numeric ticket id"))?;
        match &self.mock {
            PsaMock::Halo(m) => m.ticket(id),
            PsaMock::ConnectWise(m) => m.ticket(id),
        }
        .ok_or_else(|| super::demo::flow(step, "the ticket is not in the mock"))
    }

    /// A ConnectWise ticket's first note (its description) as the mock stored it.
    fn first_note(&self, id: &str) -> String {
        match (&self.mock, id.parse::<i64>()) {
            (PsaMock::ConnectWise(m), Ok(id)) => m
                .notes(id)
                .first()
                .and_then(|n| n["text"].as_str())
                .unwrap_or_default()
                .to_string(),
            _ => String::new(),
        }
    }

    async fn sync(
        &mut self,
        step: &'static str,
        profile: &MappingProfile,
        request: SyncRequest,
    ) -> Result<SyncOutcome, DemoError> {
        super::demo::op(
            step,
            self.session_mut(step)?.sync_alert(profile, &request).await,
        )
    }

    async fn resolve(
        &mut self,
        step: &'static str,
        profile: &MappingProfile,
        key: &str,
        link: Option<&str>,
    ) -> Result<ResolveOutcome, DemoError> {
        let request = ResolveRequest {
            key: key.into(),
            link: link.map(str::to_string),
        };
        super::demo::op(
            step,
            self.session_mut(step)?
                .resolve_alert(profile, &request)
                .await,
        )
    }
}
