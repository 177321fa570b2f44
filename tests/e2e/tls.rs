//! HTTPS for real: the mocks serve TLS with a certificate from a test CA made at start-up, the
//! host trusts that CA through `HostConfig::extra_ca_pem`, and the pooled client keeps one
//! connection alive across a session's requests. A certificate the host cannot trust is a
//! `transport` error naming the PSA instance, the reason and the remedy, and nothing is
//! created.

use std::sync::OnceLock;

use psa_host::types::*;
use psa_host::{ConnectorHost, HostConfig, HostError, LoadedConnector};
use psa_mock::connectwise::{ConnectWiseConfig, MockConnectWise};
use psa_mock::halo::{MockConfig, MockHalo};
use psa_mock::tls::{ServerCert, TestCa};

use crate::common::*;

/// The test CA every trusted mock certificate of this module comes from.
fn ca() -> &'static TestCa {
    static CA: OnceLock<TestCa> = OnceLock::new();
    CA.get_or_init(|| TestCa::generate().expect("test CA"))
}

fn component(psa: Psa) -> std::path::PathBuf {
    match psa {
        Psa::Halo => psa_harness::bundled_halo_connector(),
        Psa::Connectwise => psa_harness::bundled_connectwise_connector(),
    }
}

/// A new host trusting [`ca`], with `psa`'s bundled connector loaded (its own connection
/// counters: a test that counts connections uses one of its own).
fn trusting_host(psa: Psa) -> LoadedConnector {
    let host = ConnectorHost::new(HostConfig {
        extra_ca_pem: vec![ca().ca_pem()],
        ..HostConfig::default()
    })
    .expect("host with the test CA");
    host.load(component(psa)).expect("connector loads")
}

/// One host per PSA trusting [`ca`], shared by the tests that do not count connections.
fn trusting(psa: Psa) -> LoadedConnector {
    static HALO: OnceLock<LoadedConnector> = OnceLock::new();
    static CONNECTWISE: OnceLock<LoadedConnector> = OnceLock::new();
    let cell = match psa {
        Psa::Halo => &HALO,
        Psa::Connectwise => &CONNECTWISE,
    };
    cell.get_or_init(|| trusting_host(psa)).clone()
}

/// `psa`'s mock (default seed data) over HTTPS with `cert`.
async fn mock_with(psa: Psa, cert: ServerCert) -> PsaMock {
    match psa {
        Psa::Halo => PsaMock::Halo(
            MockHalo::start_tls_with(MockConfig::default(), cert)
                .await
                .expect("mock starts"),
        ),
        Psa::Connectwise => PsaMock::ConnectWise(
            MockConnectWise::start_tls_with(ConnectWiseConfig::default(), cert)
                .await
                .expect("mock starts"),
        ),
    }
}

async fn session(connector: &LoadedConnector, mock: &PsaMock) -> psa_host::ConnectorSession {
    connector
        .open(mock.connector_settings())
        .await
        .expect("no host error")
        .expect("settings accepted")
}

/// The `transport` error's text; fails the test on anything else.
#[track_caller]
fn transport(error: ConnectorError) -> String {
    match error {
        ConnectorError::Transport(message) => message,
        other => panic!("expected a transport error, got {other:?}"),
    }
}

for_each_psa!(
    the_seed_flow_runs_over_tls,
    sequential_requests_share_one_connection,
    an_untrusted_ca_names_the_host_the_reason_and_the_remedy,
    a_certificate_for_another_name_is_a_name_mismatch,
    an_expired_certificate_says_so,
    a_self_signed_certificate_is_an_unknown_issuer,
);

/// test connection → organizations → look-ups → sync-alert created → noted → resolve closed,
/// every request over TLS, checked in the mock's state.
async fn the_seed_flow_runs_over_tls(psa: Psa) {
    let mock = PsaMock::start_tls(psa, ca()).await.expect("mock starts");
    assert!(
        mock.server().base_url().starts_with("https://127.0.0.1:"),
        "{}",
        mock.server().base_url()
    );
    let mut session = session(&trusting(psa), &mock).await;

    let report = ok(session.test_connection().await);
    assert!(report.ok, "{report:?}");
    let query = OrganizationQuery {
        search: None,
        include_inactive: false,
        page: None,
        page_size: None,
    };
    let organizations = ok(session.list_organizations(&query).await);
    let contoso = profile_on(psa, SyncStrategy::CreateUpdateClose).tenants[0]
        .organization_id
        .clone();
    assert!(
        organizations.items.iter().any(|o| o.id == contoso),
        "{organizations:?}"
    );
    assert!(!ok(session.list_priorities(None).await).is_empty());
    assert!(!ok(session.list_statuses().await).is_empty());
    assert!(!ok(session.list_ticket_types().await).is_empty());
    assert!(!ok(session.list_teams().await).is_empty());

    let profile = profile_on(psa, SyncStrategy::CreateUpdateClose);
    let created = ok(session
        .sync_alert(&profile, &alert("tls/edr-1", Severity::High, Some("e1")))
        .await);
    assert_eq!(created.decision, SyncDecision::Created);
    assert_eq!(tickets_with_key(&mock, "tls/edr-1"), 1);
    let notes_before = notes_on(&mock, id(&created.ticket));

    let mut repeat = alert("tls/edr-1", Severity::High, Some("e2"));
    repeat.link = Some(created.ticket.id.clone());
    let noted = ok(session.sync_alert(&profile, &repeat).await);
    assert_eq!(noted.decision, SyncDecision::Noted);
    assert_eq!(noted.ticket.id, created.ticket.id);
    assert_eq!(notes_on(&mock, id(&created.ticket)), notes_before + 1);
    assert_eq!(tickets_with_key(&mock, "tls/edr-1"), 1);

    let resolved = ok(session
        .resolve_alert(&profile, &resolve("tls/edr-1", Some(&created.ticket.id)))
        .await);
    assert_eq!(resolved.decision, ResolveDecision::Closed);
    assert_closed_in_mock(&mock, id(&created.ticket));
    let stats = session.requests();
    assert_eq!(stats.failed, 0, "{stats:?}");
    assert!(stats.success >= 8, "{stats:?}");
}

/// The notes on a ticket in the mock (Halo actions, ConnectWise notes).
fn notes_on(mock: &PsaMock, ticket_id: i64) -> usize {
    match mock {
        PsaMock::Halo(m) => m.actions(ticket_id).len(),
        PsaMock::ConnectWise(m) => m.notes(ticket_id).len(),
    }
}

/// N sequential calls of one session over HTTPS: one connection opened (one TLS handshake),
/// by the host's count and by the mock's count of accepted TCP connections; every later
/// request reused it.
async fn sequential_requests_share_one_connection(psa: Psa) {
    const CALLS: u64 = 10;
    let connector = trusting_host(psa);
    let mock = PsaMock::start_tls(psa, ca()).await.expect("mock starts");
    let mut session = session(&connector, &mock).await;
    for i in 0..CALLS {
        // A different search each time: nothing a connector could answer from a cache.
        let query = OrganizationQuery {
            search: Some(format!("search-{i}")),
            include_inactive: false,
            page: None,
            page_size: None,
        };
        ok(session.list_organizations(&query).await);
    }
    let stats = session.requests();
    let requests = mock.server().total_requests();
    assert!(requests >= CALLS, "{requests} requests");
    assert_eq!(stats.total, requests, "{stats:?}");
    assert_eq!(stats.connections_opened, 1, "{stats:?}");
    assert_eq!(stats.connections_reused, requests - 1, "{stats:?}");
    assert_eq!(stats.connections_failed, 0, "{stats:?}");
    assert_eq!(mock.server().connections_accepted(), 1);

    // A second session of the same host reuses the same idle connection.
    let mut other = self::session(&connector, &mock).await;
    ok(other.list_statuses().await);
    assert_eq!(mock.server().connections_accepted(), 1);
    assert_eq!(other.requests().connections_opened, 1);
}

/// The host of `common` trusts only the public roots: the test CA's certificate is refused,
/// the admin reads which instance, why and what to do, and nothing reaches the mock.
async fn an_untrusted_ca_names_the_host_the_reason_and_the_remedy(psa: Psa) {
    let mock = PsaMock::start_tls(psa, ca()).await.expect("mock starts");
    let origin = mock.server().base_url();
    let mut session = session(&connector_of(psa), &mock).await;

    let message = transport(err(session.test_connection().await));
    assert!(message.contains(&origin), "{message}");
    assert!(message.contains("unknown issuer"), "{message}");
    assert!(message.contains("extra_ca_pem"), "{message}");
    assert!(message.contains("--ca-file"), "{message}");

    let profile = profile_on(psa, SyncStrategy::CreateUpdateClose);
    let message = transport(err(session
        .sync_alert(&profile, &alert("tls/untrusted", Severity::High, None))
        .await));
    assert!(message.contains("unknown issuer"), "{message}");
    assert_eq!(tickets_with_key(&mock, "tls/untrusted"), 0);
    assert_eq!(mock.server().total_requests(), 0, "no request got through");
    assert!(mock.server().connections_accepted() >= 1);
    let stats = session.requests();
    assert!(stats.failed >= 2, "{stats:?}");
    assert!(stats.connections_failed >= 2, "{stats:?}");

    // The same mock, the CA added: it works.
    let mut trusted = self::session(&trusting(psa), &mock).await;
    assert!(ok(trusted.test_connection().await).ok);
}

async fn a_certificate_for_another_name_is_a_name_mismatch(psa: Psa) {
    let cert = ca().issue_for(&["psa.example.com"]).unwrap();
    let mock = mock_with(psa, cert).await;
    let mut session = session(&trusting(psa), &mock).await;
    let message = transport(err(session.test_connection().await));
    assert!(message.contains(&mock.server().base_url()), "{message}");
    assert!(message.contains("name mismatch"), "{message}");
    assert!(message.contains("psa.example.com"), "{message}");
    assert_eq!(mock.server().total_requests(), 0);
}

async fn an_expired_certificate_says_so(psa: Psa) {
    let mock = mock_with(psa, ca().issue_expired().unwrap()).await;
    let mut session = session(&trusting(psa), &mock).await;
    let message = transport(err(session.test_connection().await));
    assert!(message.contains(&mock.server().base_url()), "{message}");
    assert!(message.contains("expired"), "{message}");
    assert!(message.contains("renew"), "{message}");
    assert_eq!(mock.server().total_requests(), 0);
}

async fn a_self_signed_certificate_is_an_unknown_issuer(psa: Psa) {
    let mock = mock_with(psa, ServerCert::self_signed().unwrap()).await;
    let mut session = session(&trusting(psa), &mock).await;
    let message = transport(err(session.test_connection().await));
    assert!(message.contains("unknown issuer"), "{message}");
    assert!(message.contains("self-signed"), "{message}");
    assert_eq!(mock.server().total_requests(), 0);
}

#[test]
fn a_malformed_extra_ca_fails_host_creation() {
    let config = |pem: &str| HostConfig {
        extra_ca_pem: vec![ca().ca_pem(), pem.to_string()],
        ..HostConfig::default()
    };
    for bad in [
        "not a certificate",
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    ] {
        match ConnectorHost::new(config(bad)) {
            Err(HostError::InvalidCaCertificate { index, .. }) => assert_eq!(index, 1),
            Err(other) => panic!("{other}"),
            Ok(_) => panic!("{bad:?} accepted"),
        }
    }
}

/// `max_idle_connections_per_instance: 0` keeps no connection: every request opens its own
/// (and pays its own TLS handshake), by the host's count and the mock's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_idle_connections_means_one_connection_per_request() {
    let host = ConnectorHost::new(HostConfig {
        extra_ca_pem: vec![ca().ca_pem()],
        max_idle_connections_per_instance: 0,
        ..HostConfig::default()
    })
    .unwrap();
    let connector = host.load(component(Psa::Halo)).unwrap();
    let mock = PsaMock::start_tls(Psa::Halo, ca()).await.unwrap();
    let mut session = session(&connector, &mock).await;
    ok(session.test_connection().await);
    let stats = session.requests();
    let requests = mock.server().total_requests();
    assert!(requests >= 3, "{requests}");
    assert_eq!(stats.connections_opened, requests, "{stats:?}");
    assert_eq!(stats.connections_reused, 0, "{stats:?}");
    assert_eq!(mock.server().connections_accepted(), requests);
}
