//! Lookups read from Halo, never hard-coded.

use psa_mock::halo::seed_ids as ids;

use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statuses_types_priorities_and_teams() {
    let (_mock, mut session) = start().await;
    let statuses = ok(session.list_statuses().await);
    let closed: Vec<_> = statuses.iter().filter(|s| s.closed).collect();
    assert_eq!(closed.len(), 1);
    assert_eq!(closed[0].id, ids::STATUS_CLOSED.to_string());
    assert!(
        !statuses
            .iter()
            .find(|s| s.id == ids::STATUS_RESOLVED.to_string())
            .unwrap()
            .closed
    );

    let types = ok(session.list_ticket_types().await);
    let security = types
        .iter()
        .find(|t| t.id == ids::TICKET_TYPE_SECURITY_ALERT.to_string())
        .unwrap();
    assert_eq!(
        security.priority_scope_id.as_deref(),
        Some(ids::SLA_SECURITY.to_string().as_str())
    );
    assert!(
        !types
            .iter()
            .find(|t| t.id == ids::TICKET_TYPE_CHANGE_REQUEST.to_string())
            .unwrap()
            .agents_can_select
    );

    let priorities = ok(session
        .list_priorities(Some(&ids::TICKET_TYPE_SECURITY_ALERT.to_string()))
        .await);
    let mut priority_ids: Vec<String> = priorities.iter().map(|p| p.id.clone()).collect();
    priority_ids.sort();
    let expected: Vec<String> = (ids::PRIORITY_SECURITY_CRITICAL..=ids::PRIORITY_SECURITY_LOW)
        .map(|p| p.to_string())
        .collect();
    assert_eq!(
        priority_ids, expected,
        "the Security SLA's priorityid values"
    );
    let incident = ok(session
        .list_priorities(Some(&ids::TICKET_TYPE_INCIDENT.to_string()))
        .await);
    assert!(incident
        .iter()
        .all(|p| p.scope_id.as_deref() == Some(ids::SLA_STANDARD.to_string().as_str())));

    let teams = ok(session.list_teams().await);
    assert!(teams
        .iter()
        .any(|t| t.name == ids::TEAM_SECURITY_OPERATIONS_NAME && t.active));
    assert!(teams
        .iter()
        .any(|t| t.id == ids::TEAM_LEGACY.to_string() && !t.active));
}
