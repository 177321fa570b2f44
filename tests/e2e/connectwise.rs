//! The ConnectWise PSA component against the mock ConnectWise: the seed flow, `conditions`
//! quoting, summary truncation, and both connectors in one host. Every lifecycle decision is
//! tested for ConnectWise with HaloPSA's, in `lifecycle.rs` (`for_each_psa!`).

use psa_host::types::*;
use psa_mock::connectwise::seed_ids as ids;
use psa_mock::halo::MockHalo;

use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_flow_connection_companies_lookups_validation_and_a_ticket() {
    let (mock, mut session) = cw_start().await;
    let report = ok(session.test_connection().await);
    assert!(report.ok, "{report:?}");
    let agent = report.agent.expect("the API member");
    assert_eq!(agent.id, ids::API_MEMBER_ID.to_string());
    assert!(agent.name.contains(ids::API_MEMBER_IDENTIFIER), "{agent:?}");
    let names: Vec<&str> = report.checks.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "companies-read",
            "boards-read",
            "tickets-read",
            "tickets-create",
            "tickets-update",
            "notes"
        ]
    );
    assert!(report.resource_url.ends_with("/v4_6_release/apis/3.0"));

    let all = ok(session
        .list_organizations(&OrganizationQuery {
            search: None,
            include_inactive: false,
            page: None,
            page_size: None,
        })
        .await);
    assert!(all
        .items
        .iter()
        .any(|o| o.id == ids::COMPANY_CONTOSO_ID.to_string()));
    assert!(
        !all.items
            .iter()
            .any(|o| o.id == ids::COMPANY_DELETED_ID.to_string()),
        "deleted companies are left out"
    );
    assert_eq!(all.total as usize, all.items.len());
    let page = ok(session
        .list_organizations(&OrganizationQuery {
            search: None,
            include_inactive: false,
            page: Some(2),
            page_size: Some(10),
        })
        .await);
    assert_eq!(page.items.len(), 10);
    assert_eq!(page.total, all.total);

    let tenants = vec![HostTenant {
        id: TENANT.into(),
        name: "Contoso Ltd".into(),
        external_ids: vec![],
        domains: vec!["contoso.com".into()],
    }];
    let suggestions = ok(session.suggest_mapping(&tenants).await);
    assert_eq!(
        suggestions[0].organization.as_ref().map(|o| o.id.clone()),
        Some(ids::COMPANY_CONTOSO_ID.to_string())
    );

    let boards = ok(session.list_ticket_types().await);
    let alerts = boards
        .iter()
        .find(|b| b.name == ids::BOARD_ALERTS_NAME)
        .expect("board");
    assert!(alerts.active);
    assert!(boards
        .iter()
        .any(|b| b.id == ids::BOARD_PROJECT.to_string() && !b.active));
    let statuses = ok(session.list_statuses().await);
    let closed = statuses
        .iter()
        .find(|s| s.id == ids::ALERTS_STATUS_CLOSED.to_string())
        .expect("closed status");
    assert!(closed.closed);
    assert!(
        !statuses
            .iter()
            .find(|s| s.id == ids::ALERTS_STATUS_RESOLVED.to_string())
            .unwrap()
            .closed
    );
    let priorities = ok(session.list_priorities(Some(&alerts.id)).await);
    assert!(priorities
        .iter()
        .any(|p| p.id == ids::PRIORITY_QUICK.to_string()));
    let teams = ok(session.list_teams().await);
    assert!(teams
        .iter()
        .any(|t| t.id == ids::ALERTS_TEAM_SECOPS.to_string()));

    let profile = cw_profile(SyncStrategy::CreateUpdateClose);
    let report = ok(session.validate_mapping(&profile).await);
    assert!(report.ok, "{report:?}");

    let mut request = ticket_request("Suspicious sign-in for alice", Severity::High);
    request.contact = Some(Contact {
        name: None,
        email: Some(ids::CONTACT_CONTOSO_EMAIL.into()),
    });
    let change = ok(session.create_ticket(&profile, &request).await);
    let id: i64 = change.ticket.id.parse().unwrap();
    assert!(change.ticket.created_by_connector);
    let stored = mock.ticket(id).expect("ticket in the mock");
    assert_eq!(stored["company"]["id"], ids::COMPANY_CONTOSO_ID);
    assert_eq!(stored["board"]["id"], ids::BOARD_ALERTS);
    assert_eq!(stored["priority"]["id"], ids::PRIORITY_QUICK);
    assert_eq!(stored["team"]["id"], ids::ALERTS_TEAM_SECOPS);
    assert_eq!(stored["contact"]["id"], ids::CONTACT_CONTOSO_ID);
    assert!(stored["externalXRef"]
        .as_str()
        .unwrap()
        .starts_with("psa-connector#"));
    let notes = mock.notes(id);
    assert_eq!(notes[0]["text"], "Detected by the test platform.");

    let read = ok(session.get_ticket(&change.ticket.id).await);
    assert_eq!(read.summary, "Suspicious sign-in for alice");
    let own = ok(session.list_tickets(&own_open_tickets()).await);
    let own_ids: Vec<&str> = own.items.iter().map(|t| t.id.as_str()).collect();
    assert!(own_ids.contains(&change.ticket.id.as_str()), "{own_ids:?}");
    assert!(
        own_ids.contains(&ids::TICKET_ALERT.to_string().as_str()),
        "the seeded alert ticket carries our prefix"
    );
    assert!(
        !own_ids.contains(&ids::TICKET_CONTOSO_OPEN.to_string().as_str()),
        "{own_ids:?}"
    );
    assert_eq!(own.total as usize, own.items.len());

    let added = ok(session
        .add_note(
            &change.ticket.id,
            &Note {
                text: "public words".into(),
                private: false,
            },
        )
        .await);
    let note = mock
        .notes(id)
        .into_iter()
        .find(|n| n["text"] == "public words")
        .unwrap();
    assert_eq!(note["detailDescriptionFlag"], true);
    assert_eq!(note["internalAnalysisFlag"], false);
    assert!(!added.note_id.is_empty());

    let updated = ok(session
        .update_ticket(
            &change.ticket.id,
            &TicketUpdate {
                priority_id: Some(ids::PRIORITY_EMERGENCY.to_string()),
                status_id: Some(ids::ALERTS_STATUS_IN_PROGRESS.to_string()),
                summary: None,
                team_id: None,
                fields: vec![],
            },
        )
        .await);
    assert_eq!(
        updated.ticket.status_id,
        ids::ALERTS_STATUS_IN_PROGRESS.to_string()
    );
    assert_eq!(
        mock.ticket(id).unwrap()["priority"]["id"],
        ids::PRIORITY_EMERGENCY
    );

    let closed = ok(session
        .close_ticket(&profile, &change.ticket.id, Some("done"))
        .await);
    assert!(closed.ticket.closed);
    assert_eq!(
        mock.ticket(id).unwrap()["status"]["id"],
        ids::ALERTS_STATUS_CLOSED
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_text_never_widens_a_lookup_and_long_text_never_fails() {
    let (mock, mut session) = cw_start().await;
    let hostile = ok(session
        .list_organizations(&OrganizationQuery {
            search: Some(r#"x" or id>0 or x=""#.into()),
            include_inactive: true,
            page: None,
            page_size: None,
        })
        .await);
    assert_eq!(hostile.total, 0, "{hostile:?}");
    let quoted = ok(session
        .list_organizations(&OrganizationQuery {
            search: Some("O'Brien".into()),
            include_inactive: false,
            page: None,
            page_size: None,
        })
        .await);
    assert_eq!(quoted.items.len(), 1);

    let profile = cw_profile(SyncStrategy::CreateUpdateClose);
    // A hostile key is one value too: it does not find the seeded ticket.
    let key = r#"k" or id>0 or externalXRef=""#;
    let created = ok(session
        .sync_alert(&profile, &alert(key, Severity::High, None))
        .await);
    assert_eq!(created.decision, SyncDecision::Created);

    let long_key = "k".repeat(400);
    let mut request = alert(&long_key, Severity::High, None);
    request.alert.summary = "S".repeat(250);
    let first = ok(session.sync_alert(&profile, &request).await);
    let stored = mock.ticket(first.ticket.id.parse().unwrap()).unwrap();
    let summary = stored["summary"].as_str().unwrap();
    assert!(
        summary.chars().count() <= 100 && summary.ends_with("[...]"),
        "{summary}"
    );
    assert!(stored["externalXRef"].as_str().unwrap().len() <= 100);
    let second = ok(session.sync_alert(&profile, &request).await);
    assert_eq!(
        second.decision,
        SyncDecision::Noted,
        "a long key still dedups"
    );
    assert_eq!(second.ticket.id, first.ticket.id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_keys_and_a_wrong_client_id_are_clear_errors() {
    let (mock, _) = cw_start().await;
    let mut session = cw_open(with(mock.connector_settings(), "private_key", "nope"))
        .await
        .unwrap();
    let error = err(session.test_connection().await);
    assert!(
        matches!(&error, ConnectorError::AuthFailed(m) if !m.contains("nope")),
        "{error:?}"
    );
    let mut session = cw_open(with(mock.connector_settings(), "client_id", "not-ours"))
        .await
        .unwrap();
    match err(session.test_connection().await) {
        ConnectorError::InvalidSettings(p) => assert_eq!(p.key.as_deref(), Some("client_id")),
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validation_names_connectwise_problems() {
    let (_mock, mut session) = cw_start().await;
    let mut profile = cw_profile(SyncStrategy::CreateUpdateClose);
    profile.ticket_type_id = Some(ids::BOARD_NO_CLOSED_STATUS.to_string());
    profile.priorities[0].priority_id = "99999".into();
    let report = ok(session.validate_mapping(&profile).await);
    let codes: Vec<&str> = report.findings.iter().map(|f| f.code.as_str()).collect();
    assert!(!report.ok);
    for code in [
        "status-not-on-board",
        "no-closed-status",
        "team-not-found",
        "priority-not-found",
    ] {
        assert!(codes.contains(&code), "{code} in {codes:?}");
    }
    for (board, code) in [
        (ids::BOARD_PROJECT, "board-project"),
        (ids::BOARD_INACTIVE, "board-inactive"),
    ] {
        profile.ticket_type_id = Some(board.to_string());
        let report = ok(session.validate_mapping(&profile).await);
        assert!(
            report.findings.iter().any(|f| f.code == code),
            "{code}: {report:?}"
        );
    }
}

/// Connection test, an alert's ticket, its resolution: on any connector.
async fn seed_flow(
    component: &psa_host::LoadedConnector,
    settings: Vec<(String, String)>,
    profile: MappingProfile,
) -> (SyncDecision, ResolveDecision) {
    let mut session = component.open(settings).await.unwrap().unwrap();
    assert!(ok(session.test_connection().await).ok);
    let key = "both/1";
    let created = ok(session
        .sync_alert(&profile, &alert(key, Severity::High, None))
        .await);
    let resolved = ok(session.resolve_alert(&profile, &resolve(key, None)).await);
    (created.decision, resolved.decision)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_host_runs_both_connectors_concurrently() {
    let host = psa_host::ConnectorHost::new(psa_host::HostConfig::default()).unwrap();
    let halo_component = host.load(psa_harness::bundled_halo_connector()).unwrap();
    let cw_component = host
        .load(psa_harness::bundled_connectwise_connector())
        .unwrap();
    let halo_mock = MockHalo::start(psa_mock::halo::MockConfig::default())
        .await
        .unwrap();
    let (cw_mock, _) = cw_start().await;

    let halo = seed_flow(
        &halo_component,
        halo_mock.connector_settings(),
        profile(SyncStrategy::CreateUpdateClose),
    );
    let cw = seed_flow(
        &cw_component,
        cw_mock.connector_settings(),
        cw_profile(SyncStrategy::CreateUpdateClose),
    );
    let (h, c) = tokio::join!(halo, cw);
    assert_eq!(h, (SyncDecision::Created, ResolveDecision::Closed));
    assert_eq!(c, (SyncDecision::Created, ResolveDecision::Closed));
    assert_eq!(tickets_for(&halo_mock, "both/1"), 1);
    assert_eq!(cw_tickets_for(&cw_mock, "both/1"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_server_errors_and_lost_creates_are_survived_without_duplicates() {
    let (mock, mut session) = cw_start().await;
    let rule = |text: &str| text.parse::<psa_mock::FaultRule>().expect("fault rule");
    mock.add_fault(rule(
        "kind=429,retry-after=1,endpoint=GET /company/companies,first=1",
    ));
    mock.add_fault(rule("kind=503,endpoint=GET /service/boards,first=1"));
    let orgs = ok(session
        .list_organizations(&OrganizationQuery {
            search: Some("Contoso".into()),
            include_inactive: false,
            page: None,
            page_size: None,
        })
        .await);
    assert_eq!(orgs.items.len(), 1);
    assert!(!ok(session.list_ticket_types().await).is_empty());

    mock.add_fault(rule(
        "kind=created-then-drop,endpoint=POST /service/tickets,first=1",
    ));
    let profile = cw_profile(SyncStrategy::CreateUpdateClose);
    let created = ok(session
        .sync_alert(&profile, &alert("lost/answer", Severity::High, None))
        .await);
    assert_eq!(created.decision, SyncDecision::Created);
    assert_eq!(
        cw_tickets_for(&mock, "lost/answer"),
        1,
        "found, not re-sent"
    );

    mock.add_fault(rule("kind=403,endpoint=GET /company/companies/19,first=1"));
    match err(session
        .get_organization(&ids::COMPANY_CONTOSO_ID.to_string())
        .await)
    {
        ConnectorError::PermissionDenied(m) => assert!(m.contains("Company Maintenance"), "{m}"),
        other => panic!("{other:?}"),
    }
}
