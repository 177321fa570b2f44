//! Host behaviour with the real (bundled) connector against the mock HaloPSA: time budgets and
//! poisoning, egress denial, the rate budget, memory cap, concurrency and the JSON API.

use std::time::{Duration, Instant};

use psa_host::json::connector_error_json;
use psa_host::{
    ConnectorHost, ConnectorSession, HostConfig, HostError, LoadedConnector, PoolingConfig,
    RateBudgetConfig,
};
use psa_mock::halo::{MockConfig, MockHalo};

/// The bundled connector on a host with `config`. A missing component fails the test.
fn loaded(config: HostConfig) -> (ConnectorHost, LoadedConnector) {
    let host = ConnectorHost::new(config).unwrap();
    let loaded = host
        .load(psa_harness::bundled_halo_connector())
        .expect("the bundled connector loads");
    (host, loaded)
}

/// The connector on a default host, compiled once for all tests that need no special limits.
fn default_loaded() -> (ConnectorHost, LoadedConnector) {
    static LOADED: std::sync::OnceLock<(ConnectorHost, LoadedConnector)> =
        std::sync::OnceLock::new();
    LOADED.get_or_init(|| loaded(HostConfig::default())).clone()
}

async fn open(connector: &LoadedConnector, mock: &MockHalo) -> ConnectorSession {
    connector
        .open(mock.connector_settings())
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_over_its_time_budget_times_out_and_poisons_the_session() {
    let config = HostConfig {
        call_timeout: Duration::from_secs(1),
        ..HostConfig::default()
    };
    let (_host, connector) = loaded(config);
    let mock = MockHalo::start(MockConfig::default()).await.unwrap();
    // The answer would come after an hour: a call that comes back at all was cut by its budget
    // (no wall-clock upper bound needed; the guard only turns a hang into a failure).
    mock.add_fault(
        "kind=slow,secs=3600,endpoint=GET /api/status"
            .parse()
            .unwrap(),
    );
    let mut session = open(&connector, &mock).await;

    let started = Instant::now();
    let err = tokio::time::timeout(Duration::from_secs(120), session.list_statuses())
        .await
        .expect("the call's time budget did not cut it")
        .err()
        .unwrap();
    assert!(
        matches!(&err, HostError::Timeout { op, .. } if op == "list-statuses"),
        "{err}"
    );
    assert!(
        matches!(&err, HostError::Timeout { after, .. } if *after == Duration::from_secs(1)),
        "{err:?}"
    );
    // Not before the budget ran out either (a lower bound holds on any machine).
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(mock.count("GET /api/status"), 1, "{:?}", mock.counts());
    assert!(session.is_poisoned());
    assert!(matches!(
        session.list_teams().await,
        Err(HostError::Poisoned)
    ));
    assert!(matches!(
        session.call_json("list-teams", vec![]).await,
        Err(HostError::Poisoned)
    ));

    // A new session works.
    mock.clear_faults();
    let mut fresh = open(&connector, &mock).await;
    assert!(fresh.list_statuses().await.unwrap().is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_responses_are_cut_by_the_request_timeout_not_the_call() {
    let config = HostConfig {
        request_timeout: Duration::from_millis(300),
        call_timeout: Duration::from_secs(20),
        ..HostConfig::default()
    };
    let (_host, connector) = loaded(config);
    let mock = MockHalo::start(MockConfig::default()).await.unwrap();
    mock.add_fault(
        "kind=slow,ms=5000,endpoint=GET /api/status"
            .parse()
            .unwrap(),
    );
    let mut session = open(&connector, &mock).await;
    let result = session.list_statuses().await;
    assert!(
        matches!(result, Ok(Err(_))),
        "expected a connector error, got {result:?}"
    );
    assert!(!session.is_poisoned());
    assert!(session.requests().failed >= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_outside_the_allow_list_are_denied_and_counted() {
    let (_host, connector) = default_loaded();
    // The mock sends the connector to an authorisation server on a host not in the settings.
    let config = MockConfig {
        auth_url_override: Some("http://127.0.0.2:9/auth".into()),
        ..MockConfig::default()
    };
    let mock = MockHalo::start(config).await.unwrap();
    let mut session = open(&connector, &mock).await;
    assert_eq!(session.egress().origins().len(), 1);
    let result = session.test_connection().await;
    assert!(
        matches!(result, Ok(Err(_))),
        "expected a connector error, got {result:?}"
    );
    assert!(session.requests().denied >= 1, "{:?}", session.requests());
    assert!(!session.is_poisoned());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rate_budget_queues_requests_instead_of_failing_them() {
    let config = HostConfig {
        rate_budget: Some(RateBudgetConfig {
            max_requests: 3,
            window: Duration::from_secs(1),
        }),
        ..HostConfig::default()
    };
    let (host, connector) = loaded(config);
    let mock = MockHalo::start(MockConfig::default()).await.unwrap();
    let mut session = open(&connector, &mock).await;
    let started = Instant::now();
    for i in 0..6 {
        let query = psa_host::types::OrganizationQuery {
            search: Some(format!("no-such-org-{i}")),
            include_inactive: false,
            page: None,
            page_size: None,
        };
        assert!(session.list_organizations(&query).await.unwrap().is_ok());
    }
    let total = session.requests().total;
    assert!(total >= 6, "{total} requests");
    // More than 3 requests need at least one more window.
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
    let origin = session.egress().origins()[0].to_string();
    let state = host.rate_budget(&origin).await.unwrap().unwrap();
    assert!(state.used <= 3 && state.queued == 0, "{state:?}");
    assert_eq!(session.rate_budgets().await.unwrap()[0].0, origin);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_over_the_memory_cap_fails_without_a_panic() {
    let config = HostConfig {
        memory_limit_bytes: 64 << 10,
        ..HostConfig::default()
    };
    let (_host, connector) = loaded(config);
    let err = connector.info().await.err().unwrap();
    assert!(
        matches!(err, HostError::Instantiate(_) | HostError::Trap { .. }),
        "{err}"
    );
}

/// The memory cap with the pooling allocator: the pool's slots are capped at the limit too. A
/// component whose initial memory exceeds it is refused at load time, naming the limit; one
/// that fits but grows past it traps without a panic (here: the connector's initial 19 pages
/// as the whole cap, so its first growth fails).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_pooling_the_memory_cap_holds() {
    let pooled = |memory_limit_bytes| HostConfig {
        memory_limit_bytes,
        pooling: Some(PoolingConfig::default()),
        ..HostConfig::default()
    };
    let host = ConnectorHost::new(pooled(64 << 10)).unwrap();
    let err = host
        .load(psa_harness::bundled_halo_connector())
        .err()
        .expect("a component larger than the slots is refused");
    assert!(
        matches!(&err, HostError::Load { message, .. } if message.contains("exceeds the limit")),
        "{err}"
    );

    let (_host, connector) = loaded(pooled(19 << 16));
    let mock = MockHalo::start(MockConfig::default()).await.unwrap();
    let err = match connector.info().await {
        Err(err) => err,
        Ok(_) => match connector.open(mock.connector_settings()).await {
            Err(err) => err,
            Ok(session) => {
                let query = psa_host::types::OrganizationQuery {
                    search: None,
                    include_inactive: false,
                    page: None,
                    page_size: None,
                };
                session
                    .unwrap()
                    .list_organizations(&query)
                    .await
                    .expect_err("no call grows past the initial memory")
            }
        },
    };
    assert!(matches!(err, HostError::Trap { .. }), "{err}");
}

/// Sessions open and call from the pool's slots; a full pool refuses one more session with an
/// error (never a panic or a wait) and takes it again once a session is gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pooled_sessions_open_call_and_are_bounded_by_the_pool() {
    let config = HostConfig {
        pooling: Some(PoolingConfig {
            max_instances: 2,
            ..PoolingConfig::default()
        }),
        ..HostConfig::default()
    };
    let (_host, connector) = loaded(config);
    let mock = MockHalo::start(MockConfig::default()).await.unwrap();
    let mut first = open(&connector, &mock).await;
    let mut second = open(&connector, &mock).await;
    for session in [&mut first, &mut second] {
        assert!(!session.list_statuses().await.unwrap().unwrap().is_empty());
    }
    let err = connector
        .open(mock.connector_settings())
        .await
        .err()
        .expect("a third instance does not fit a pool of two");
    assert!(matches!(err, HostError::Instantiate(_)), "{err}");
    drop(first);
    let mut third = open(&connector, &mock).await;
    assert!(!third.list_statuses().await.unwrap().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_sessions_run_concurrently() {
    let (_host, connector) = default_loaded();
    let mock = std::sync::Arc::new(MockHalo::start(MockConfig::default()).await.unwrap());
    let tasks: Vec<_> = (0..12)
        .map(|_| {
            let (connector, mock) = (connector.clone(), mock.clone());
            tokio::spawn(async move {
                let mut session = open(&connector, &mock).await;
                session.list_statuses().await.unwrap().unwrap().len()
            })
        })
        .collect();
    for task in tasks {
        assert!(task.await.unwrap() > 0);
    }
}

/// A platform keeps a session per tenant: its requests must not use up the instance's resource
/// table (4,096 entries), as they did while wasmtime-wasi-http 48 kept every request's
/// `request-options`, which the guest hands over with `handle`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_session_makes_more_requests_than_its_resource_table_holds() {
    let (_host, connector) = loaded(HostConfig {
        rate_budget: None,
        ..HostConfig::default()
    });
    let mock = MockHalo::start(MockConfig::default()).await.unwrap();
    let mut session = open(&connector, &mock).await;
    let query = psa_host::types::OrganizationQuery {
        search: None,
        include_inactive: false,
        page: None,
        page_size: None,
    };
    let id = session
        .list_organizations(&query)
        .await
        .unwrap()
        .unwrap()
        .items[0]
        .id
        .clone();
    mock.reset_counts();
    let calls = 4_500;
    for call in 0..calls {
        let result = session.get_organization(&id).await;
        assert!(
            matches!(result, Ok(Ok(_))),
            "call {call} of {calls} failed: {result:?}"
        );
    }
    assert!(
        mock.total_requests() >= calls,
        "the mock saw {} requests",
        mock.total_requests()
    );
    assert!(!session.is_poisoned());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_json_api_matches_the_typed_api() {
    let (_host, connector) = default_loaded();
    let mock = MockHalo::start(MockConfig::default()).await.unwrap();
    let mut session = open(&connector, &mock).await;

    let typed = session.list_statuses().await.unwrap().unwrap();
    let json = session
        .call_json("list-statuses", vec![])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(json.as_array().unwrap().len(), typed.len());
    assert_eq!(json[0]["name"], typed[0].name.as_str());

    let missing = session
        .call_json("get_ticket", vec!["999999".into()])
        .await
        .unwrap();
    let typed_missing = session.get_ticket("999999").await.unwrap().unwrap_err();
    // One JSON convention for connector errors, whichever API produced them.
    assert_eq!(missing.unwrap_err(), connector_error_json(&typed_missing));

    let err = session
        .call_json("launch-rockets", vec![])
        .await
        .err()
        .unwrap();
    assert!(matches!(err, HostError::UnknownOperation(_)), "{err}");
    let err = session
        .call_json("get-ticket", vec![42.into()])
        .await
        .err()
        .unwrap();
    assert!(matches!(err, HostError::InvalidArguments { .. }), "{err}");
    // Argument errors happen before the call: the session is still usable.
    assert!(!session.is_poisoned());
    assert!(session
        .call_json("list-priorities", vec![])
        .await
        .unwrap()
        .is_ok());

    let refused = connector.open(vec![]).await.unwrap().err().unwrap();
    assert!(connector_error_json(&refused)
        .get("invalid-settings")
        .is_some());
    let info = connector.info_json().await.unwrap();
    assert_eq!(info["name"], connector.info().await.unwrap().name.as_str());
    session.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn url_settings_the_policy_refuses_fail_at_open() {
    let (_host, connector) = default_loaded();
    let settings = vec![
        (
            "base_url".to_string(),
            "http://acme.example.com".to_string(),
        ),
        ("client_id".to_string(), "id".to_string()),
        ("client_secret".to_string(), "s3cr3t".to_string()),
    ];
    let err = connector
        .open(settings.clone())
        .await
        .unwrap()
        .err()
        .unwrap();
    let psa_host::types::ConnectorError::InvalidSettings(problem) = err else {
        panic!("{err:?}")
    };
    assert_eq!(problem.key.as_deref(), Some("base_url"));
    assert!(
        problem.message.contains("plain http"),
        "{}",
        problem.message
    );
    let json = connector_error_json(&connector.open(settings).await.unwrap().err().unwrap());
    assert_eq!(json["invalid-settings"]["key"], "base_url");
    assert!(!json.to_string().contains("s3cr3t"));
}

/// The connector imports exactly what the `psa-connector` world declares (plus the interfaces
/// those use: wasi:http/types, wasi:io/*), so a host that provides the world runs it — and a
/// new import shows up here before it reaches a platform.
#[test]
fn the_connector_imports_exactly_the_world() {
    let (_host, connector) = default_loaded();
    let unversioned = |name: &str| name.split('@').next().unwrap_or(name).to_string();
    // The contract's own `psa:connector/types` is imported for its type definitions only.
    let imported: std::collections::BTreeSet<String> = connector
        .imports()
        .iter()
        .filter(|n| !n.starts_with("psa:connector/"))
        .map(|n| unversioned(n))
        .collect();
    let world =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../wit/world.wit")).unwrap();
    let body = world
        .split("world psa-connector {")
        .nth(1)
        .and_then(|rest| rest.split('}').next())
        .unwrap();
    let mut declared: std::collections::BTreeSet<String> = body
        .lines()
        .filter_map(|l| l.trim().strip_prefix("import "))
        .map(|i| unversioned(i.trim_end_matches(';')))
        .collect();
    declared.extend(
        [
            "wasi:http/types",
            "wasi:io/error",
            "wasi:io/poll",
            "wasi:io/streams",
        ]
        .map(String::from),
    );
    assert_eq!(imported, declared);
}

/// A vendor swaps a connector by replacing its file: the running host loads the new component
/// from the same path without a restart, and what was loaded before keeps working.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_component_replaced_on_disk_loads_without_a_restart() {
    let dir = std::env::temp_dir().join(format!("psa-swap-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("connector.wasm");
    let host = ConnectorHost::new(HostConfig::default()).unwrap();

    std::fs::copy(env!("HOSTILE_CONNECTOR_WASM"), &path).unwrap();
    let before = host.load(&path).unwrap();
    assert_eq!(before.info().await.unwrap().name, "hostile");

    std::fs::copy(psa_harness::bundled_halo_connector(), &path).unwrap();
    let after = host.load(&path).unwrap();
    assert_eq!(after.info().await.unwrap().name, "halopsa");

    let mock = MockHalo::start(MockConfig::default()).await.unwrap();
    let mut session = open(&after, &mock).await;
    assert!(!session.list_statuses().await.unwrap().unwrap().is_empty());
    assert_eq!(
        before.info().await.unwrap().name,
        "hostile",
        "the old load is untouched"
    );
    session.close().await.unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}
