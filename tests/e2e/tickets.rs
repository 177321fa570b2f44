//! Creating, viewing, updating, noting and closing tickets.

use psa_host::types::*;
use psa_mock::halo::seed_ids as ids;

use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_applies_the_profile_and_reads_back() {
    let (mock, mut session) = start().await;
    let mut request = ticket_request("Suspicious sign-in for alice", Severity::High);
    request.contact = Some(Contact {
        name: Some("Alice Example".into()),
        email: None,
    });
    let change = ok(session
        .create_ticket(&profile(SyncStrategy::CreateOnly), &request)
        .await);
    let ticket = change.ticket;
    assert_eq!(
        ticket.organization_id.as_deref(),
        Some(ids::CLIENT_CONTOSO_ID.to_string().as_str())
    );
    assert_eq!(
        ticket.priority_id.as_deref(),
        Some(ids::PRIORITY_SECURITY_HIGH.to_string().as_str())
    );
    assert_eq!(ticket.status_id, ids::STATUS_NEW.to_string());
    assert_eq!(ticket.status_name.as_deref(), Some("New"));
    assert!(!ticket.closed);
    assert!(ticket.created_by_connector);
    assert!(ticket
        .url
        .as_deref()
        .unwrap()
        .ends_with(&format!("/tickets?id={}", ticket.id)));

    // What Halo stored: the team by name, the type, and the connector's reference.
    let stored = mock.ticket(id(&ticket)).unwrap();
    assert_eq!(stored["team"], ids::TEAM_SECURITY_OPERATIONS_NAME);
    assert_eq!(stored["tickettype_id"], ids::TICKET_TYPE_SECURITY_ALERT);
    assert_eq!(stored["category_1"], ids::SECURITY_ALERT_DEFAULT_CATEGORY);
    assert!(stored["supplier_reference"]
        .as_str()
        .unwrap()
        .starts_with("psa-connector#"));

    // The audit record lists the requests and the created ticket, without secrets.
    assert_eq!(
        change.audit.created,
        vec![ObjectRef {
            kind: "ticket".into(),
            id: ticket.id.clone()
        }]
    );
    assert!(change
        .audit
        .requests
        .iter()
        .any(|r| r.method == "POST" && r.path == "/api/Tickets" && r.status == 200));
    let audit_text = format!("{:?}", change.audit);
    assert!(!audit_text.contains(psa_mock::halo::MockConfig::DEMO_CLIENT_SECRET));

    let read = ok(session.get_ticket(&ticket.id).await);
    assert_eq!(read.summary, "Suspicious sign-in for alice");
    assert!(matches!(
        err(session.get_ticket("987654").await),
        ConnectorError::NotFound(_)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unmapped_tenant_is_refused_unless_there_is_a_fallback() {
    let (mock, mut session) = start().await;
    let mut request = ticket_request("x", Severity::Low);
    request.tenant_id = "tenant-unknown".into();
    let before = mock.tickets().len();
    assert!(matches!(
        err(session
            .create_ticket(&profile(SyncStrategy::CreateOnly), &request)
            .await),
        ConnectorError::UnmappedTenant(_)
    ));
    assert_eq!(mock.tickets().len(), before, "nothing was created");
    let mut with_fallback = profile(SyncStrategy::CreateOnly);
    with_fallback.fallback_organization_id = Some(ids::CLIENT_FABRIKAM_ID.to_string());
    let ticket = ok(session.create_ticket(&with_fallback, &request).await).ticket;
    assert_eq!(
        ticket.organization_id.as_deref(),
        Some(ids::CLIENT_FABRIKAM_ID.to_string().as_str())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn halo_validation_errors_come_back_typed() {
    let (_mock, mut session) = start().await;
    let mut bad = profile(SyncStrategy::CreateOnly);
    bad.priorities = vec![PriorityMapping {
        severity: Severity::High,
        priority_id: ids::PRIORITY_STANDARD_HIGH.to_string(),
    }];
    match err(session
        .create_ticket(&bad, &ticket_request("x", Severity::High))
        .await)
    {
        ConnectorError::Remote(remote) => {
            assert_eq!(remote.status, 400);
            assert_eq!(remote.endpoint, "POST /api/Tickets");
        }
        other => panic!("{other:?}"),
    }
    let empty = ticket_request("   ", Severity::High);
    assert!(matches!(
        err(session
            .create_ticket(&profile(SyncStrategy::CreateOnly), &empty)
            .await),
        ConnectorError::InvalidInput(_)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn own_tickets_versus_show_all() {
    let (_mock, mut session) = start().await;
    let created = ok(session
        .create_ticket(
            &profile(SyncStrategy::CreateOnly),
            &ticket_request("mine", Severity::Low),
        )
        .await)
    .ticket;
    let query = |scope, open_only| TicketQuery {
        organization_id: Some(ids::CLIENT_CONTOSO_ID.to_string()),
        scope,
        open_only,
        page: None,
        page_size: None,
    };
    let own = ok(session.list_tickets(&query(TicketScope::Own, false)).await);
    assert_eq!(
        own.items.iter().map(|t| t.id.clone()).collect::<Vec<_>>(),
        vec![created.id.clone()]
    );
    let all = ok(session.list_tickets(&query(TicketScope::All, false)).await);
    assert!(all.items.len() > own.items.len());
    assert!(all
        .items
        .iter()
        .any(|t| t.id == ids::SEED_TICKET_CLOSED_ID.to_string() && t.closed));
    let open = ok(session.list_tickets(&query(TicketScope::All, true)).await);
    assert!(open.items.iter().all(|t| !t.closed));
    assert!(open.items.iter().any(|t| t.id == created.id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_note_and_close() {
    let (mock, mut session) = start().await;
    let ticket = ok(session
        .create_ticket(
            &profile(SyncStrategy::CreateOnly),
            &ticket_request("to work on", Severity::Low),
        )
        .await)
    .ticket;
    let update = TicketUpdate {
        priority_id: Some(ids::PRIORITY_SECURITY_CRITICAL.to_string()),
        status_id: Some(ids::STATUS_IN_PROGRESS.to_string()),
        summary: Some("to work on (escalated)".into()),
        team_id: Some(ids::TEAM_SECOND_LINE.to_string()),
        fields: vec![("category_1".into(), "Malware".into())],
    };
    let updated = ok(session.update_ticket(&ticket.id, &update).await);
    assert_eq!(
        updated.ticket.priority_id.as_deref(),
        Some(ids::PRIORITY_SECURITY_CRITICAL.to_string().as_str())
    );
    assert_eq!(
        updated.ticket.team.as_deref(),
        Some(ids::TEAM_SECOND_LINE_NAME)
    );
    assert_eq!(mock.ticket(id(&ticket)).unwrap()["category_1"], "Malware");

    let note = ok(session
        .add_note(
            &ticket.id,
            &Note {
                text: "Checked the logs.".into(),
                private: true,
            },
        )
        .await);
    let actions = mock.actions(id(&ticket));
    let stored = actions
        .iter()
        .find(|a| a["id"].as_i64().map(|i| i.to_string()).as_deref() == Some(note.note_id.as_str()))
        .unwrap();
    assert_eq!(stored["hiddenfromuser"], true);
    assert_eq!(stored["outcome_id"], ids::OUTCOME_PRIVATE_NOTE);

    let closed = ok(session
        .close_ticket(
            &profile(SyncStrategy::CreateOnly),
            &ticket.id,
            Some("Done."),
        )
        .await);
    assert!(closed.ticket.closed);
    assert!(closed.ticket.closed_at.is_some());
    assert_eq!(
        mock.ticket(id(&ticket)).unwrap()["status_id"],
        ids::STATUS_CLOSED
    );
    let again = ok(session
        .close_ticket(&profile(SyncStrategy::CreateOnly), &ticket.id, None)
        .await);
    assert_eq!(again.audit.decision, "already closed");
}
