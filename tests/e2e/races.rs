//! Calls that race on one alert key: one host (the test binary's shared `ConnectorHost` and
//! `LoadedConnector` of each PSA), eight sessions on one mock, all eight calling `sync-alert`
//! (or `resolve-alert`) for the same key at the same moment through a barrier, each in its own
//! task on a multi-thread runtime. Whatever order the host lets them run in, the PSA must end
//! up as if they had run one after another: one ticket per key, one `created` and the rest
//! `noted` / `unchanged` naming it; one `closed` and the rest `already-closed`.
//!
//! Every round is checked from the mock's own state (the tickets carrying the key, the closing
//! notes on them), not only from what the connector answered. A round's problems are collected
//! and reported together at the end, so a failure shows every round's numbers.

use std::sync::Arc;

use psa_host::types::*;
use psa_host::ConnectorSession;
use tokio::sync::Barrier;

use crate::common::*;

/// Sessions firing at once.
const SESSIONS: usize = 8;
/// Rounds per test, each with a new alert key.
const ROUNDS: usize = 5;

for_each_psa!(
    same_key_syncs_at_the_same_moment_make_one_ticket,
    same_key_resolves_at_the_same_moment_close_the_ticket_once,
);

/// `SESSIONS` sessions of `psa`'s bundled connector (one host) on `mock`.
async fn sessions(psa: Psa, mock: &PsaMock) -> Vec<ConnectorSession> {
    let mut sessions = Vec::with_capacity(SESSIONS);
    for _ in 0..SESSIONS {
        sessions.push(
            open_on(psa, mock.connector_settings())
                .await
                .expect("session opens"),
        );
    }
    sessions
}

/// Runs `call` on every session at the same moment (each in its own task, released together
/// by a barrier); returns the sessions and their results in session order.
async fn all_at_once<T, F, Fut>(
    sessions: Vec<ConnectorSession>,
    call: F,
) -> (Vec<ConnectorSession>, Vec<T>)
where
    T: Send + 'static,
    F: Fn(ConnectorSession) -> Fut,
    Fut: std::future::Future<Output = (ConnectorSession, T)> + Send + 'static,
{
    let barrier = Arc::new(Barrier::new(sessions.len()));
    let tasks: Vec<_> = sessions
        .into_iter()
        .map(|session| {
            let barrier = barrier.clone();
            let call = call(session);
            tokio::spawn(async move {
                barrier.wait().await;
                call.await
            })
        })
        .collect();
    let mut sessions = Vec::with_capacity(tasks.len());
    let mut results = Vec::with_capacity(tasks.len());
    for task in tasks {
        let (session, result) = task.await.expect("a racing call panicked");
        sessions.push(session);
        results.push(result);
    }
    (sessions, results)
}

/// The ids of the tickets in the mock that carry `key` (Halo `supplier_reference`,
/// ConnectWise `externalXRef`, with the connector's default prefix), ascending.
fn ticket_ids_with_key(mock: &PsaMock, key: &str) -> Vec<String> {
    let (tickets, field) = match mock {
        PsaMock::Halo(m) => (m.tickets(), "supplier_reference"),
        PsaMock::ConnectWise(m) => (m.tickets(), "externalXRef"),
    };
    let reference = format!("psa-connector#{key}");
    let mut ids: Vec<i64> = tickets
        .iter()
        .filter(|t| t[field] == reference.as_str())
        .map(|t| t["id"].as_i64().expect("numeric ticket id in the mock"))
        .collect();
    ids.sort_unstable();
    ids.into_iter().map(|i| i.to_string()).collect()
}

/// Whether the mock holds the ticket as closed.
fn closed_in_mock(mock: &PsaMock, ticket_id: &str) -> bool {
    let id: i64 = ticket_id.parse().expect("numeric ticket id");
    match mock {
        PsaMock::Halo(m) => {
            m.ticket(id).expect("ticket in the mock")["status_id"]
                == psa_mock::halo::seed_ids::STATUS_CLOSED
        }
        PsaMock::ConnectWise(m) => m.ticket(id).expect("ticket in the mock")["closedFlag"] == true,
    }
}

/// The notes on the ticket in the mock that close it for a resolved alert (the SDK's
/// "Alert resolved upstream: closing the ticket."; Halo actions, ConnectWise notes).
fn closing_notes(mock: &PsaMock, ticket_id: &str) -> usize {
    let id: i64 = ticket_id.parse().expect("numeric ticket id");
    let (notes, field) = match mock {
        PsaMock::Halo(m) => (m.actions(id), "note"),
        PsaMock::ConnectWise(m) => (m.notes(id), "text"),
    };
    notes
        .iter()
        .filter(|n| {
            n[field]
                .as_str()
                .unwrap_or("")
                .contains("closing the ticket")
        })
        .count()
}

/// Eight sessions sync one key at the same moment, for `ROUNDS` new keys: one ticket per key in
/// the mock, one `created`, the rest `noted` (a new occurrence each: the occurrences are 1 to 8,
/// as if the calls had run one after another) or, when all eight carry the same occurrence id,
/// `unchanged`; every outcome names the mock's one ticket.
async fn same_key_syncs_at_the_same_moment_make_one_ticket(psa: Psa) {
    let mock = PsaMock::start(psa, None).await.expect("mock starts");
    let profile = Arc::new(profile_on(psa, SyncStrategy::CreateUpdateClose));
    let mut sessions = sessions(psa, &mock).await;
    let mut problems = Vec::new();
    for round in 1..=ROUNDS {
        let key = format!("race/sync-{round}");
        // Even rounds: all eight carry one occurrence id (a retried delivery of one event);
        // odd rounds: none (eight occurrences of the alert).
        let same_occurrence = round % 2 == 0;
        let request = Arc::new(alert(
            &key,
            Severity::High,
            same_occurrence.then_some("burst-1"),
        ));
        let (back, results) = all_at_once(sessions, |mut session| {
            let (profile, request) = (profile.clone(), request.clone());
            async move {
                let result = session.sync_alert(&profile, &request).await;
                (session, result)
            }
        })
        .await;
        sessions = back;
        let outcomes: Vec<SyncOutcome> = results.into_iter().map(ok).collect();

        let in_mock = ticket_ids_with_key(&mock, &key);
        let created = outcomes
            .iter()
            .filter(|o| o.decision == SyncDecision::Created)
            .count();
        let repeat = if same_occurrence {
            SyncDecision::Unchanged
        } else {
            SyncDecision::Noted
        };
        let repeats = outcomes.iter().filter(|o| o.decision == repeat).count();
        let named: Vec<&str> = outcomes.iter().map(|o| o.ticket.id.as_str()).collect();
        let mut occurrences: Vec<u32> = outcomes.iter().map(|o| o.occurrence).collect();
        occurrences.sort_unstable();
        let expected_occurrences: Vec<u32> = if same_occurrence {
            vec![1; SESSIONS]
        } else {
            (1..=SESSIONS as u32).collect()
        };
        let one_ticket_named = in_mock.len() == 1 && named.iter().all(|n| *n == in_mock[0]);
        if in_mock.len() != 1
            || created != 1
            || repeats != SESSIONS - 1
            || !one_ticket_named
            || occurrences != expected_occurrences
        {
            let decisions: Vec<SyncDecision> = outcomes.iter().map(|o| o.decision).collect();
            problems.push(format!(
                "round {round} ({}): {} tickets in the mock with the key {in_mock:?}; \
                 {created} created, {repeats} {repeat:?} (want 1 and {}); decisions \
                 {decisions:?}; tickets named {named:?}; occurrences {occurrences:?} (want \
                 {expected_occurrences:?})",
                if same_occurrence {
                    "one occurrence id"
                } else {
                    "no occurrence id"
                },
                in_mock.len(),
                SESSIONS - 1,
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "{psa:?}: {SESSIONS} sessions of one host syncing one key at the same moment:\n{}",
        problems.join("\n")
    );
}

/// After one sync, eight sessions resolve the key at the same moment, for `ROUNDS` new keys:
/// one `closed`, the rest `already-closed`, all naming the ticket; the mock holds it closed with
/// exactly one closing note, and still one ticket with the key.
async fn same_key_resolves_at_the_same_moment_close_the_ticket_once(psa: Psa) {
    let mock = PsaMock::start(psa, None).await.expect("mock starts");
    let profile = Arc::new(profile_on(psa, SyncStrategy::CreateUpdateClose));
    let mut sessions = sessions(psa, &mock).await;
    let mut problems = Vec::new();
    for round in 1..=ROUNDS {
        let key = format!("race/resolve-{round}");
        let synced = ok(sessions[0]
            .sync_alert(&profile, &alert(&key, Severity::High, None))
            .await);
        assert_eq!(synced.decision, SyncDecision::Created, "round {round}");
        let ticket = synced.ticket.id;
        // Odd rounds: the platform passes its stored link; even rounds: the key alone.
        let request = Arc::new(resolve(&key, (round % 2 == 1).then_some(ticket.as_str())));
        let (back, results) = all_at_once(sessions, |mut session| {
            let (profile, request) = (profile.clone(), request.clone());
            async move {
                let result = session.resolve_alert(&profile, &request).await;
                (session, result)
            }
        })
        .await;
        sessions = back;
        let outcomes: Vec<ResolveOutcome> = results.into_iter().map(ok).collect();

        let closed = outcomes
            .iter()
            .filter(|o| o.decision == ResolveDecision::Closed)
            .count();
        let already = outcomes
            .iter()
            .filter(|o| o.decision == ResolveDecision::AlreadyClosed)
            .count();
        let named: Vec<Option<&str>> = outcomes.iter().map(|o| o.ticket_id.as_deref()).collect();
        let in_mock = ticket_ids_with_key(&mock, &key);
        let closing = closing_notes(&mock, &ticket);
        let is_closed = closed_in_mock(&mock, &ticket);
        if closed != 1
            || already != SESSIONS - 1
            || named.iter().any(|n| *n != Some(ticket.as_str()))
            || in_mock != [ticket.clone()]
            || closing != 1
            || !is_closed
        {
            let decisions: Vec<ResolveDecision> = outcomes.iter().map(|o| o.decision).collect();
            problems.push(format!(
                "round {round} (ticket {ticket}): {closed} closed, {already} already-closed \
                 (want 1 and {}); decisions {decisions:?}; tickets named {named:?}; in the \
                 mock: {closing} closing notes (want 1), closed {is_closed}, tickets with the \
                 key {in_mock:?}",
                SESSIONS - 1,
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "{psa:?}: {SESSIONS} sessions of one host resolving one key at the same moment:\n{}",
        problems.join("\n")
    );
}
