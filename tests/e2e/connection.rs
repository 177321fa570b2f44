//! Settings, discovery, tokens and the connection report.

use psa_host::types::*;
use psa_mock::halo::{seed_ids as ids, MockConfig, MockHalo};

use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn info_describes_the_settings_form_without_a_request() {
    let info = connector().info().await.unwrap();
    assert_eq!(info.psa_name, "HaloPSA");
    assert_eq!(info.contract_version, "0.2.0");
    let kind = |key: &str| {
        info.settings_form
            .iter()
            .find(|f| f.key == key)
            .map(|f| f.kind)
    };
    assert_eq!(kind("base_url"), Some(FieldKind::Url));
    assert_eq!(kind("auth_url"), Some(FieldKind::Url));
    assert_eq!(kind("client_secret"), Some(FieldKind::Secret));
    assert!(info.capabilities.contains(&Capability::SyncAlert));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_connection_reports_agent_and_every_permission() {
    let (mock, mut session) = start().await;
    let report = ok(session.test_connection().await);
    assert!(report.ok, "{report:?}");
    assert_eq!(
        report.agent.as_ref().unwrap().id,
        ids::API_AGENT_ID.to_string()
    );
    assert_eq!(report.agent.unwrap().name, ids::API_AGENT_NAME);
    let names: Vec<&str> = report.checks.iter().map(|c| c.name.as_str()).collect();
    for needed in [
        "read-organizations",
        "read-tickets",
        "create-tickets",
        "edit-tickets",
    ] {
        assert!(names.contains(&needed), "{names:?}");
    }
    assert_eq!(report.resource_url, format!("{}/api", mock.base_url()));
    assert!(
        report.token_endpoint.ends_with("/auth/token"),
        "{}",
        report.token_endpoint
    );
    assert_eq!(
        mock.count("GET /api/authinfo"),
        1,
        "the authorisation server is discovered"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limited_scopes_fail_the_matching_checks_with_hints() {
    let mock = MockHalo::start(MockConfig::default()).await.unwrap();
    let mut session = open(with(mock.connector_settings(), "scope", "read:tickets"))
        .await
        .unwrap();
    let report = ok(session.test_connection().await);
    assert!(!report.ok);
    let check = |name: &str| {
        report
            .checks
            .iter()
            .find(|c| c.name == name)
            .unwrap()
            .clone()
    };
    assert!(check("read-tickets").passed);
    assert!(!check("read-organizations").passed);
    assert!(check("read-organizations")
        .hint
        .unwrap()
        .contains("read:customers"));
    assert!(!check("create-tickets").passed);
    assert!(check("create-tickets")
        .hint
        .unwrap()
        .contains("edit:tickets"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_secret_is_auth_failed_with_halos_message() {
    let mock = MockHalo::start(MockConfig::default()).await.unwrap();
    let mut session = open(with(
        mock.connector_settings(),
        "client_secret",
        "wrong-secret",
    ))
    .await
    .unwrap();
    match err(session.test_connection().await) {
        ConnectorError::AuthFailed(message) => {
            assert!(message.contains("invalid_client"), "{message}");
            assert!(
                !message.contains("wrong-secret"),
                "the secret leaked: {message}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_client_id_is_auth_failed() {
    let mock = MockHalo::start(MockConfig::default()).await.unwrap();
    let mut session = open(with(mock.connector_settings(), "client_id", "not-the-id"))
        .await
        .unwrap();
    assert!(matches!(
        err(session.list_statuses().await),
        ConnectorError::AuthFailed(_)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hosted_tenant_is_discovered_and_a_wrong_one_is_named() {
    let config = MockConfig {
        tenant: Some("acme".into()),
        ..MockConfig::default()
    };
    let mock = MockHalo::start(config).await.unwrap();
    // Base URL alone: the tenant comes from /api/authinfo.
    let mut session = open(mock.connector_settings()).await.unwrap();
    assert!(ok(session.test_connection().await).ok);
    // An explicit wrong tenant overrides discovery and is reported against its field.
    let mut session = open(with(mock.connector_settings(), "tenant", "nope"))
        .await
        .unwrap();
    match err(session.test_connection().await) {
        ConnectorError::InvalidSettings(problem) => {
            assert_eq!(problem.key.as_deref(), Some("tenant"))
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explicit_servers_and_api_suffix_work() {
    let mock = MockHalo::start(MockConfig::default()).await.unwrap();
    let settings = with(
        mock.connector_settings(),
        "base_url",
        &format!("{}/API/", mock.base_url()),
    );
    let settings = with(settings, "auth_url", &format!("{}/auth", mock.base_url()));
    let mut session = open(settings).await.unwrap();
    assert!(ok(session.test_connection().await).ok);
    assert_eq!(
        mock.count("GET /api/authinfo"),
        0,
        "no discovery when the server is given"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_settings_fail_at_open_naming_the_field() {
    for (key, value) in [
        ("base_url", "not a url"),
        ("base_url", "ftp://halo.example.com"),
        ("auth_url", "https://"),
        ("client_id", ""),
        ("tenant", "two words"),
        ("unknown_key", "x"),
    ] {
        let settings = with(
            vec![
                ("base_url".into(), "https://acme.halopsa.com".into()),
                ("client_id".into(), "id".into()),
                ("client_secret".into(), "secret".into()),
            ],
            key,
            value,
        );
        match open(settings).await {
            Err(ConnectorError::InvalidSettings(problem)) => {
                assert_eq!(
                    problem.key.as_deref(),
                    Some(key),
                    "{key}={value}: {problem:?}"
                )
            }
            Err(other) => panic!("{key}={value}: {other:?}"),
            Ok(_) => panic!("{key}={value} was accepted"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_token_serves_every_operation_and_expiry_renews_it() {
    let (mock, mut session) = start().await;
    ok(session.list_statuses().await);
    ok(session.list_teams().await);
    ok(session.list_ticket_types().await);
    ok(session
        .get_organization(&ids::CLIENT_CONTOSO_ID.to_string())
        .await);
    ok(session
        .create_ticket(
            &profile(SyncStrategy::CreateOnly),
            &ticket_request("x", Severity::Low),
        )
        .await);
    assert_eq!(mock.count("POST /auth/token"), 1, "{:?}", mock.counts());
    mock.expire_tokens();
    ok(session
        .get_organization(&ids::CLIENT_CONTOSO_ID.to_string())
        .await);
    assert_eq!(
        mock.count("POST /auth/token"),
        2,
        "a 401 gets one new token"
    );
}
