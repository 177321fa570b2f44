//! The demo's alert-lifecycle section: one alert, one ticket, through every decision.
//!
//! alert → ticket → repeat → note (occurrence 2) → resolve → closed → repeat within the re-open
//! window → re-opened; a second alert whose ticket a technician touched → resolve leaves it open;
//! then both tickets' states read back in one call (two-way sync).

use super::demo::{Demo, DemoError};
use crate::wit_case;
use psa_host::types::*;

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
