//! Contract versions: the HaloPSA connector as it was released for `psa:connector@0.1.0`
//! (built by tests/build.rs from the repository's history) loads in today's host, which runs it
//! through the contract adapter: the typed API and the JSON API work, inputs the old contract
//! has no place for are refused or left out as `wit/README.md` says.

use std::path::PathBuf;
use std::sync::OnceLock;

use psa_host::contract::{ContractVersion, CURRENT};
use psa_host::types::*;
use psa_host::{ConnectorHost, HostConfig, LoadedConnector};
use psa_mock::halo::{MockConfig, MockHalo};
use serde_json::json;

use crate::common::{alert, err, ok, profile, resolve, tickets_for};

/// The released 0.1.0 HaloPSA connector, compiled once.
fn released_halo() -> LoadedConnector {
    static LOADED: OnceLock<(ConnectorHost, LoadedConnector)> = OnceLock::new();
    LOADED
        .get_or_init(|| {
            let host = ConnectorHost::new(HostConfig::default()).expect("host");
            let path = PathBuf::from(env!("HALO_CONTRACT_0_1_0_WASM"));
            let loaded = host.load(&path).expect("the 0.1.0 connector loads");
            (host, loaded)
        })
        .1
        .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_released_0_1_0_connector_runs_in_todays_host() {
    let connector = released_halo();
    assert_eq!(connector.contract_version(), ContractVersion::new(0, 1, 0));
    assert_ne!(connector.contract_version(), CURRENT);
    let info = connector.info().await.unwrap();
    assert_eq!(info.contract_version, "0.1.0");
    assert_eq!(info.psa_name, "HaloPSA");

    let mock = MockHalo::start(MockConfig::default()).await.unwrap();
    // Bad settings are still the connector's typed answer.
    let refused = connector
        .open(vec![("base_url".into(), "not a url".into())])
        .await
        .unwrap();
    assert!(matches!(refused, Err(ConnectorError::InvalidSettings(_))));
    let mut session = connector
        .open(mock.connector_settings())
        .await
        .unwrap()
        .unwrap();
    let report = ok(session.test_connection().await);
    assert!(report.ok, "{report:?}");
    let page = ok(session
        .list_organizations(&OrganizationQuery {
            search: None,
            include_inactive: false,
            page: None,
            page_size: None,
        })
        .await);
    assert!(page.total > 0);
    assert!(!ok(session.list_statuses().await).is_empty());

    // The alert lifecycle, with the current types: created, noted, closed — in the mock.
    let strategy = SyncStrategy::CreateUpdateClose;
    let mut first = alert("contract-0.1/alert-1", Severity::High, Some("o1"));
    // New inputs that only add information are left out for the old contract.
    first.alert.category = Some("endpoint/malware".into());
    first.alert.evidence = vec![Fact {
        name: "device".into(),
        value: "LAPTOP-7".into(),
    }];
    let created = ok(session.sync_alert(&profile(strategy), &first).await);
    assert_eq!(created.decision, SyncDecision::Created);
    assert_eq!(created.rule, None, "0.1.0 has no placement rules");
    let mut repeat = first.clone();
    repeat.alert.occurrence_id = Some("o2".into());
    let noted = ok(session.sync_alert(&profile(strategy), &repeat).await);
    assert_eq!(noted.decision, SyncDecision::Noted);
    assert_eq!(noted.ticket.id, created.ticket.id);
    assert_eq!(tickets_for(&mock, "contract-0.1/alert-1"), 1);
    let resolved = ok(session
        .resolve_alert(&profile(strategy), &resolve("contract-0.1/alert-1", None))
        .await);
    assert_eq!(resolved.decision, ResolveDecision::Closed);
    let states = ok(session
        .ticket_states(std::slice::from_ref(&created.ticket.id))
        .await);
    assert!(states[0].closed);

    // The JSON API reaches it too.
    let statuses = session
        .call_json("list-statuses", vec![])
        .await
        .unwrap()
        .unwrap();
    assert!(statuses.as_array().is_some_and(|s| !s.is_empty()));
}

/// Placement rules and a request source change what a connector does: the adapter refuses
/// them for a 0.1.0 connector (typed `unsupported`, nothing sent) instead of dropping them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inputs_the_old_contract_cannot_carry_are_refused_not_dropped() {
    let connector = released_halo();
    let mock = MockHalo::start(MockConfig::default()).await.unwrap();
    let mut session = connector
        .open(mock.connector_settings())
        .await
        .unwrap()
        .unwrap();
    let mut with_rules = profile(SyncStrategy::CreateAndUpdate);
    with_rules.rules = vec![PlacementRule {
        skip: true,
        ..PlacementRule::named("skip-info")
    }];
    let before = mock.total_requests();
    let refused = err(session
        .sync_alert(
            &with_rules,
            &alert("contract-0.1/rules", Severity::Low, None),
        )
        .await);
    let ConnectorError::Unsupported(message) = &refused else {
        panic!("{refused:?}")
    };
    for part in ["placement rules", "0.1.0", "0.2.0"] {
        assert!(message.contains(part), "{message}");
    }
    assert_eq!(mock.total_requests(), before, "nothing was sent");
    assert_eq!(tickets_for(&mock, "contract-0.1/rules"), 0);

    let mut with_source = profile(SyncStrategy::CreateAndUpdate);
    with_source.source_id = Some("12".into());
    let refused = err(session.validate_mapping(&with_source).await);
    assert!(
        matches!(&refused, ConnectorError::Unsupported(m) if m.contains("request source")),
        "{refused:?}"
    );
    // Through the JSON API, the same contract: the old types refuse the unknown field.
    let result = session
        .call_json(
            "validate-mapping",
            vec![
                json!({"tenants": [], "strategy": "create-only", "reopen_window_hours": 24,
                        "priorities": [], "rules": [{"name": "x"}]}),
            ],
        )
        .await;
    assert!(
        matches!(&result, Err(psa_host::HostError::InvalidArguments { message, .. }) if message.contains("rules")),
        "{result:?}"
    );
}

/// The released 0.1.0 connector passes the conformance suite in today's host; the
/// `contract-version` line says it runs through the adapter.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_released_0_1_0_connector_passes_conformance() {
    use psa_conformance::psa::MockKind;
    let mock = MockKind::Halo.start().await.expect("mock starts");
    let config = psa_conformance::Config::mock(env!("HALO_CONTRACT_0_1_0_WASM"), mock);
    let report = psa_conformance::run(config).await;
    assert!(report.passed(), "{}", report.lines().join("\n"));
    let version = report
        .checks
        .iter()
        .find(|c| c.id == "contract-version")
        .expect("the check runs");
    assert!(
        version.outcome.detail().contains("psa:connector@0.1.0")
            && version.outcome.detail().contains("adapter"),
        "{}",
        version.outcome.detail()
    );
}

/// A component of a contract this host does not run is refused before it is instantiated:
/// conformance fails `contract-version` with both versions and what to do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unsupported_contract_version_is_refused_with_what_to_do() {
    use psa_conformance::psa::MockKind;
    // The bundled connector, its export renamed to a future contract (same length, so the
    // component stays well-formed: only the version differs).
    let bytes = std::fs::read(psa_harness::bundled_halo_connector()).unwrap();
    let (from, to) = (
        b"psa:connector/connector@0.2.0",
        b"psa:connector/connector@0.9.0",
    );
    let mut patched = bytes.clone();
    let mut replaced = 0;
    let mut i = 0;
    while i + from.len() <= patched.len() {
        if &patched[i..i + from.len()] == from {
            patched[i..i + from.len()].copy_from_slice(to);
            replaced += 1;
        }
        i += 1;
    }
    assert!(replaced > 0, "the export name is in the component");
    let path = std::env::temp_dir().join(format!("psa-contract-0.9-{}.wasm", std::process::id()));
    std::fs::write(&path, &patched).unwrap();

    let host = ConnectorHost::new(HostConfig::default()).unwrap();
    let refused = host.load(&path).err().expect("refused");
    let message = refused.to_string();
    for part in ["psa:connector@0.9.0", "0.2.x, 0.1.x", "upgrade the host"] {
        assert!(message.contains(part), "{message}");
    }
    let mock = MockKind::Halo.start().await.expect("mock starts");
    let report = psa_conformance::run(psa_conformance::Config::mock(&path, mock)).await;
    std::fs::remove_file(&path).unwrap();
    assert!(!report.passed());
    let version = report
        .checks
        .iter()
        .find(|c| c.id == "contract-version")
        .unwrap();
    assert_eq!(
        version.outcome.word(),
        "FAIL",
        "{}",
        report.lines().join("\n")
    );
    assert!(version.outcome.detail().contains("0.9.0"));
}
