//! One alert, one ticket: every sync and resolve decision, for each strategy — the decisions
//! once for every PSA (each test below `for_each_psa!` runs on HaloPSA and on ConnectWise, with
//! what differs between them stated per PSA), then what only HaloPSA's tests check.

use psa_host::types::*;
use psa_mock::connectwise::seed_ids as cw_ids;
use psa_mock::halo::seed_ids as ids;

use crate::common::*;

for_each_psa!(
    repeat_adds_a_note_with_the_occurrence_and_raises_priority,
    a_host_that_lost_its_link_finds_the_ticket_by_its_key,
    create_only_opens_a_ticket_per_alert_and_never_closes,
    create_and_update_notes_the_resolution_but_leaves_the_ticket_open,
    resolve_closes_untouched_tickets_and_reports_every_case,
    a_ticket_a_technician_touched_is_left_open_and_read_back_as_touched,
    recurrence_reopens_within_the_window_and_opens_a_new_ticket_after_it,
    ticket_states_read_many_tickets_in_few_requests,
    ticket_states_agree_with_resolve_on_touched,
);

/// The notes on a ticket in the mock (Halo actions, ConnectWise notes).
fn notes_on(mock: &PsaMock, ticket: &Ticket) -> usize {
    match mock {
        PsaMock::Halo(m) => m.actions(id(ticket)).len(),
        PsaMock::ConnectWise(m) => m.notes(id(ticket)).len(),
    }
}

async fn repeat_adds_a_note_with_the_occurrence_and_raises_priority(psa: Psa) {
    let (mock, mut session) = start_on(psa).await;
    let profile = profile_on(psa, SyncStrategy::CreateAndUpdate);
    let first = ok(session
        .sync_alert(
            &profile,
            &alert("mfa-off/alice", Severity::Medium, Some("e1")),
        )
        .await);
    assert_eq!(first.decision, SyncDecision::Created);
    assert_eq!(first.occurrence, 1);
    assert_eq!(first.ticket.alert_key.as_deref(), Some("mfa-off/alice"));

    let mut repeat = alert("mfa-off/alice", Severity::High, Some("e2"));
    repeat.link = Some(first.ticket.id.clone());
    let second = ok(session.sync_alert(&profile, &repeat).await);
    assert_eq!(second.decision, SyncDecision::Noted);
    assert_eq!(second.ticket.id, first.ticket.id);
    assert_eq!(second.occurrence, 2);
    assert!(second.priority_raised);
    match &mock {
        PsaMock::Halo(m) => {
            assert_eq!(
                second.ticket.priority_id.as_deref(),
                Some(ids::PRIORITY_SECURITY_HIGH.to_string().as_str())
            );
            let note = m
                .actions(id(&first.ticket))
                .into_iter()
                .rev()
                .find(|a| a["note"].as_str().unwrap_or("").contains("occurrence 2"))
                .expect("occurrence note");
            assert_eq!(note["hiddenfromuser"], true);
            assert!(
                note["outcome_id"].as_i64().unwrap() > 0,
                "an outcome was looked up"
            );
        }
        PsaMock::ConnectWise(m) => {
            assert_eq!(
                m.ticket(id(&first.ticket)).unwrap()["priority"]["id"],
                cw_ids::PRIORITY_QUICK
            );
            let internal = m
                .notes(id(&first.ticket))
                .into_iter()
                .find(|n| n["text"].as_str().unwrap_or("").contains("occurrence 2"))
                .expect("occurrence note");
            assert_eq!(internal["internalAnalysisFlag"], true);
        }
    }
    let notes = notes_on(&mock, &first.ticket);

    // The same occurrence again changes nothing.
    let same = ok(session.sync_alert(&profile, &repeat).await);
    assert_eq!(same.decision, SyncDecision::Unchanged);
    assert_eq!(notes_on(&mock, &first.ticket), notes);

    // A lower severity notes but never lowers the priority.
    let lower = ok(session
        .sync_alert(&profile, &alert("mfa-off/alice", Severity::Low, Some("e3")))
        .await);
    assert_eq!(lower.occurrence, 3);
    assert!(!lower.priority_raised);
    assert_eq!(tickets_with_key(&mock, "mfa-off/alice"), 1);
}

async fn a_host_that_lost_its_link_finds_the_ticket_by_its_key(psa: Psa) {
    let (mock, mut session) = start_on(psa).await;
    let profile = profile_on(psa, SyncStrategy::CreateUpdateClose);
    let first = ok(session
        .sync_alert(&profile, &alert("edr/host-7", Severity::High, None))
        .await);
    // New session (the host restarted), no link, and a stale link to someone else's ticket.
    let mut session = open_on(psa, mock.connector_settings()).await.unwrap();
    let again = ok(session
        .sync_alert(&profile, &alert("edr/host-7", Severity::High, None))
        .await);
    assert_eq!(again.decision, SyncDecision::Noted);
    assert_eq!(again.ticket.id, first.ticket.id);
    // Halo's seeded open ticket carries no key; ConnectWise's seeded alert ticket's xref names
    // another key: a stale link to either is not followed.
    let mut stale = alert("edr/host-7", Severity::High, None);
    stale.link = Some(match psa {
        Psa::Halo => ids::SEED_TICKET_OPEN_ID.to_string(),
        Psa::Connectwise => cw_ids::TICKET_ALERT.to_string(),
    });
    let third = ok(session.sync_alert(&profile, &stale).await);
    assert_eq!(
        third.ticket.id, first.ticket.id,
        "a link to a ticket without the key is ignored"
    );
    assert_eq!(third.occurrence, 3);
    assert_eq!(tickets_with_key(&mock, "edr/host-7"), 1);
    let resolved = ok(session
        .resolve_alert(&profile, &resolve("edr/host-7", None))
        .await);
    assert_eq!(resolved.decision, ResolveDecision::Closed);
    if psa == Psa::Connectwise {
        // The seeded alert ticket is found by its key too.
        let seeded = ok(session
            .sync_alert(&profile, &alert("seed-alert-1", Severity::High, None))
            .await);
        assert_eq!(seeded.ticket.id, cw_ids::TICKET_ALERT.to_string());
    }
}

async fn create_only_opens_a_ticket_per_alert_and_never_closes(psa: Psa) {
    let (mock, mut session) = start_on(psa).await;
    let profile = profile_on(psa, SyncStrategy::CreateOnly);
    let a = ok(session
        .sync_alert(&profile, &alert("scan/weekly", Severity::Low, None))
        .await);
    let b = ok(session
        .sync_alert(&profile, &alert("scan/weekly", Severity::Low, None))
        .await);
    assert_eq!(
        (a.decision, b.decision),
        (SyncDecision::Created, SyncDecision::Created)
    );
    assert_ne!(a.ticket.id, b.ticket.id);
    assert_eq!(tickets_with_key(&mock, "scan/weekly"), 2);
    let resolved = ok(session
        .resolve_alert(&profile, &resolve("scan/weekly", None))
        .await);
    assert_eq!(resolved.decision, ResolveDecision::LeftOpenStrategy);
    assert!(!ok(session.get_ticket(&b.ticket.id).await).closed);
}

async fn create_and_update_notes_the_resolution_but_leaves_the_ticket_open(psa: Psa) {
    let (mock, mut session) = start_on(psa).await;
    let profile = profile_on(psa, SyncStrategy::CreateAndUpdate);
    let created = ok(session
        .sync_alert(&profile, &alert("dlp/1", Severity::Low, None))
        .await);
    let before = notes_on(&mock, &created.ticket);
    let resolved = ok(session
        .resolve_alert(&profile, &resolve("dlp/1", Some(&created.ticket.id)))
        .await);
    assert_eq!(resolved.decision, ResolveDecision::LeftOpenStrategy);
    assert_eq!(notes_on(&mock, &created.ticket), before + 1);
    assert!(!ok(session.get_ticket(&created.ticket.id).await).closed);
}

async fn resolve_closes_untouched_tickets_and_reports_every_case(psa: Psa) {
    let (mock, mut session) = start_on(psa).await;
    let profile = profile_on(psa, SyncStrategy::CreateUpdateClose);
    let created = ok(session
        .sync_alert(&profile, &alert("av/eicar", Severity::Critical, None))
        .await);
    let request = resolve("av/eicar", Some(&created.ticket.id));
    let resolved = ok(session.resolve_alert(&profile, &request).await);
    assert_eq!(resolved.decision, ResolveDecision::Closed);
    assert_closed_in_mock(&mock, id(&created.ticket));
    assert!(resolved
        .audit
        .changed
        .iter()
        .any(|o| o.kind == "ticket" && o.id == created.ticket.id));
    let again = ok(session.resolve_alert(&profile, &request).await);
    assert_eq!(again.decision, ResolveDecision::AlreadyClosed);
    let unknown = ok(session
        .resolve_alert(&profile, &resolve("never-seen", None))
        .await);
    assert_eq!(unknown.decision, ResolveDecision::NotFound);
}

/// A technician's note (and, on its own, an assignment) leaves the ticket open with a note, and
/// `ticket-states` reads it back as touched.
async fn a_ticket_a_technician_touched_is_left_open_and_read_back_as_touched(psa: Psa) {
    let (mock, mut session) = start_on(psa).await;
    let profile = profile_on(psa, SyncStrategy::TwoWay);
    let noted = ok(session
        .sync_alert(&profile, &alert("phish/bob", Severity::High, None))
        .await);
    let untouched = ok(session
        .sync_alert(&profile, &alert("phish/dave", Severity::Low, None))
        .await);
    let states = ok(session
        .ticket_states(&[
            noted.ticket.id.clone(),
            untouched.ticket.id.clone(),
            "999999".into(),
        ])
        .await);
    assert!(states.iter().all(|s| !s.touched_by_person), "{states:?}");
    assert!(!states[2].found);

    mock.technician_note(id(&noted.ticket), "Looking into this with Bob.");
    let resolved = ok(session
        .resolve_alert(&profile, &resolve("phish/bob", None))
        .await);
    assert_eq!(resolved.decision, ResolveDecision::LeftOpenTouched);
    assert_eq!(resolved.touched_by.as_deref(), Some(technician_name(psa)));
    match &mock {
        PsaMock::Halo(m) => {
            let stored = m.ticket(id(&noted.ticket)).unwrap();
            assert_ne!(stored["status_id"], ids::STATUS_CLOSED);
            let last = m.actions(id(&noted.ticket)).last().cloned().unwrap();
            assert!(last["note"].as_str().unwrap().contains("resolved upstream"));
        }
        PsaMock::ConnectWise(m) => {
            assert_eq!(m.ticket(id(&noted.ticket)).unwrap()["closedFlag"], false);
        }
    }
    let states = ok(session
        .ticket_states(&[noted.ticket.id.clone(), untouched.ticket.id.clone()])
        .await);
    assert!(states[0].touched_by_person);
    assert!(!states[1].touched_by_person);
    assert!(!states[0].closed);

    // An assignment alone also counts as touched.
    let other = ok(session
        .sync_alert(&profile, &alert("phish/carol", Severity::High, None))
        .await);
    mock.technician_assign(id(&other.ticket));
    let resolved = ok(session
        .resolve_alert(&profile, &resolve("phish/carol", None))
        .await);
    assert_eq!(resolved.decision, ResolveDecision::LeftOpenTouched);
}

async fn recurrence_reopens_within_the_window_and_opens_a_new_ticket_after_it(psa: Psa) {
    let (mock, mut session) = start_on(psa).await;
    let profile = profile_on(psa, SyncStrategy::CreateUpdateClose);
    let first = ok(session
        .sync_alert(&profile, &alert("malware/pc-9", Severity::High, None))
        .await);
    ok(session
        .resolve_alert(&profile, &resolve("malware/pc-9", None))
        .await);

    let reopened = ok(session
        .sync_alert(&profile, &alert("malware/pc-9", Severity::High, None))
        .await);
    assert_eq!(reopened.decision, SyncDecision::Reopened);
    assert_eq!(reopened.ticket.id, first.ticket.id);
    assert!(!reopened.ticket.closed);
    let reopen_status = match psa {
        Psa::Halo => ids::STATUS_IN_PROGRESS,
        Psa::Connectwise => cw_ids::ALERTS_STATUS_IN_PROGRESS,
    };
    assert_eq!(
        reopened.ticket.status_id,
        reopen_status.to_string(),
        "the profile's re-open status"
    );
    if let PsaMock::ConnectWise(m) = &mock {
        let stored = m.ticket(id(&first.ticket)).unwrap();
        assert_eq!(stored["status"]["id"], cw_ids::ALERTS_STATUS_IN_PROGRESS);
        assert_eq!(stored["closedFlag"], false);
    }
    assert_eq!(reopened.occurrence, 2);

    // Close again, long ago: the next recurrence opens a new ticket that points at the old one.
    ok(session
        .resolve_alert(&profile, &resolve("malware/pc-9", None))
        .await);
    closed_long_ago(&mock, id(&first.ticket));
    let fresh = ok(session
        .sync_alert(&profile, &alert("malware/pc-9", Severity::High, None))
        .await);
    assert_eq!(fresh.decision, SyncDecision::NewAfterWindow);
    assert_ne!(fresh.ticket.id, first.ticket.id);
    assert_eq!(
        fresh.previous_ticket_id.as_deref(),
        Some(first.ticket.id.as_str())
    );
    assert_eq!(tickets_with_key(&mock, "malware/pc-9"), 2);
    if let PsaMock::Halo(m) = &mock {
        let details = m.ticket(id(&fresh.ticket)).unwrap()["details"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(
            details.contains(&format!("#{}", first.ticket.id)),
            "{details}"
        );
    }
    // Later repeats go to the new ticket.
    let next = ok(session
        .sync_alert(&profile, &alert("malware/pc-9", Severity::High, None))
        .await);
    assert_eq!(
        (next.decision, next.ticket.id.clone()),
        (SyncDecision::Noted, fresh.ticket.id.clone())
    );
}

/// One list request reads every ticket's state (Halo `GET /api/tickets`, ConnectWise
/// `GET /service/tickets` with `id in (…)`).
async fn ticket_states_read_many_tickets_in_few_requests(psa: Psa) {
    let (mock, mut session) = start_on(psa).await;
    let profile = profile_on(psa, SyncStrategy::TwoWay);
    let mut links = Vec::new();
    for n in 0..5 {
        links.push(
            ok(session
                .sync_alert(&profile, &alert(&format!("bulk/{n}"), Severity::Low, None))
                .await)
            .ticket
            .id,
        );
    }
    ok(session
        .resolve_alert(&profile, &resolve("bulk/0", None))
        .await);
    mock.technician_assign(links[1].parse().unwrap());
    links.push("424242".into());
    let server = mock.server();
    server.reset_counts();
    let states = ok(session.ticket_states(&links).await);
    assert_eq!(states.len(), 6);
    assert!(states[0].closed && states[0].found);
    assert!(states[1].touched_by_person && !states[1].closed);
    assert!(!states[2].touched_by_person);
    assert!(!states[5].found);
    let list = match psa {
        Psa::Halo => "GET /api/tickets",
        Psa::Connectwise => "GET /service/tickets",
    };
    assert_eq!(server.count(list), 1, "{:?}", server.counts());
    assert!(matches!(
        err(session.ticket_states(&["abc".to_string()]).await),
        ConnectorError::InvalidInput(_)
    ));
}

/// `ticket-states` and `resolve-alert` agree on "touched": a technician's note alone (no
/// assignment) counts. The read-back costs one list request plus, per ticket not already known
/// touched by its assignment, one notes read (Halo `GET /api/actions`; ConnectWise
/// `GET /service/tickets/{id}/notes`), plus, once per session, who counts as the connector (Halo
/// its agent, `GET /api/agent/me`; ConnectWise the API members, `GET /system/members`).
async fn ticket_states_agree_with_resolve_on_touched(psa: Psa) {
    let (mock, mut session) = start_on(psa).await;
    let profile = profile_on(psa, SyncStrategy::TwoWay);
    let mut links = Vec::new();
    for key in ["agree/noted", "agree/untouched", "agree/assigned"] {
        links.push(
            ok(session
                .sync_alert(&profile, &alert(key, Severity::Medium, None))
                .await)
            .ticket
            .id,
        );
    }
    let noted: i64 = links[0].parse().unwrap();
    mock.technician_note(noted, "Checked with the user, leave it with me.");
    match &mock {
        PsaMock::Halo(m) => assert!(
            m.ticket(noted).unwrap()["agent_id"].as_i64().unwrap_or(0) <= 0,
            "the note alone, no assignment"
        ),
        PsaMock::ConnectWise(m) => assert_ne!(
            m.ticket(noted).unwrap()["owner"]["id"],
            cw_ids::TECHNICIAN_MEMBER_ID,
            "the note alone, no assignment"
        ),
    }
    mock.technician_assign(links[2].parse().unwrap());

    let server = mock.server();
    server.reset_counts();
    let states = ok(session.ticket_states(&links).await);
    let touched: Vec<bool> = states.iter().map(|s| s.touched_by_person).collect();
    assert_eq!(touched, [true, false, true], "{states:?}");
    let (list, notes, me) = match psa {
        Psa::Halo => ("GET /api/tickets", "GET /api/actions", "GET /api/agent/me"),
        Psa::Connectwise => (
            "GET /service/tickets",
            "GET /service/tickets/{id}/notes",
            "GET /system/members",
        ),
    };
    assert_eq!(server.count(list), 1, "{:?}", server.counts());
    assert_eq!(
        server.count(notes),
        2,
        "one notes read per ticket not assigned to a person: {:?}",
        server.counts()
    );
    // Plus the lookup of who counts as the connector, once per session.
    assert_eq!(server.count(me), 1, "{:?}", server.counts());
    assert_eq!(server.total_requests(), 4, "{:?}", server.counts());

    // resolve-alert decides the same for each ticket.
    for (key, state) in ["agree/noted", "agree/untouched", "agree/assigned"]
        .iter()
        .zip(&states)
    {
        let resolved = ok(session
            .resolve_alert(&profile, &resolve(key, Some(&state.ticket_id)))
            .await);
        let left_open_touched = resolved.decision == ResolveDecision::LeftOpenTouched;
        assert_eq!(
            left_open_touched, state.touched_by_person,
            "{key}: {resolved:?} vs {state:?}"
        );
    }
}

// ---- HaloPSA only -------------------------------------------------------------------------------
//
// Halo's closed status can be renamed away from "Closed" (`MockHalo::rename_status`); a
// ConnectWise board status says it is closed with a flag, and its mock has no renaming.

/// With Halo's closed status renamed, the profile's close status still marks tickets closed:
/// resolve closes, a repeat re-opens instead of noting a closed ticket.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_profiles_close_status_counts_as_closed() {
    let (mock, mut session) = start().await;
    mock.rename_status(ids::STATUS_CLOSED, "Done");
    let mut profile = profile(SyncStrategy::CreateUpdateClose);
    profile.close_status_id = Some(ids::STATUS_CLOSED.to_string());
    ok(session
        .sync_alert(&profile, &alert("renamed/1", Severity::Low, None))
        .await);
    let request = ResolveRequest {
        key: "renamed/1".into(),
        link: None,
    };
    assert_eq!(
        ok(session.resolve_alert(&profile, &request).await).decision,
        ResolveDecision::Closed
    );
    assert_eq!(
        ok(session.resolve_alert(&profile, &request).await).decision,
        ResolveDecision::AlreadyClosed
    );
    let again = ok(session
        .sync_alert(&profile, &alert("renamed/1", Severity::Low, None))
        .await);
    assert_eq!(again.decision, SyncDecision::Reopened);
}
