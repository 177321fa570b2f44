//! The native baseline against the mock PSAs: real HTTP on loopback, the mock's own counters.

use psa_mock::connectwise::{seed_ids as cw_ids, ConnectWiseConfig, MockConnectWise};
use psa_mock::halo::{seed_ids as halo_ids, MockConfig, MockHalo};
use psa_native::{NativeClient, NativePsa, NativeSession};

/// Opens a session natively and gets one organization three times; returns the names read and
/// the client's stats.
async fn three_reads(
    psa: NativePsa,
    settings: Vec<(String, String)>,
    id: i64,
) -> (Vec<String>, psa_native::NativeStats) {
    let client = NativeClient::new(tokio::runtime::Handle::current());
    let transport = client.transport();
    let names = tokio::task::spawn_blocking(move || {
        let session = NativeSession::open(psa, &settings, transport).expect("settings accepted");
        (0..3)
            .map(|_| {
                session
                    .get_organization(&id.to_string())
                    .expect("get-organization")
                    .name
            })
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    (names, client.stats())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn halo_runs_natively_over_one_kept_alive_connection() {
    let mock = MockHalo::start(MockConfig::default()).await.unwrap();
    let (names, stats) = three_reads(
        NativePsa::Halo,
        mock.connector_settings(),
        halo_ids::CLIENT_CONTOSO_ID,
    )
    .await;
    assert!(names.iter().all(|n| n.contains("Contoso")), "{names:?}");
    // Every request the client sent reached the mock, over one connection kept alive.
    assert_eq!(stats.requests, mock.total_requests(), "{:?}", mock.counts());
    assert!(stats.requests >= 4, "a token and three reads: {stats:?}");
    assert_eq!(stats.failed, 0);
    assert_eq!(stats.connections_opened, 1, "{stats:?}");
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connectwise_runs_natively_over_one_kept_alive_connection() {
    let mock = MockConnectWise::start(ConnectWiseConfig::default())
        .await
        .unwrap();
    let (names, stats) = three_reads(
        NativePsa::ConnectWise,
        mock.connector_settings(),
        cw_ids::COMPANY_CONTOSO_ID,
    )
    .await;
    assert!(names.iter().all(|n| n.contains("Contoso")), "{names:?}");
    assert_eq!(stats.requests, mock.total_requests(), "{:?}", mock.counts());
    assert!(stats.requests >= 3, "{stats:?}");
    assert_eq!(stats.connections_opened, 1, "{stats:?}");
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_connection_is_a_failed_transport_error() {
    // A port nothing listens on: bind, note it, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mock = MockHalo::start(MockConfig::default()).await.unwrap();
    let base = mock.base_url();
    let settings: Vec<(String, String)> = mock
        .connector_settings()
        .into_iter()
        .map(|(k, v)| (k, v.replace(&base, &format!("http://127.0.0.1:{port}"))))
        .collect();
    mock.shutdown().await;
    let client = NativeClient::new(tokio::runtime::Handle::current());
    let transport = client.transport();
    let error = tokio::task::spawn_blocking(move || {
        let session = NativeSession::open(NativePsa::Halo, &settings, transport).unwrap();
        session
            .get_organization(&halo_ids::CLIENT_CONTOSO_ID.to_string())
            .unwrap_err()
    })
    .await
    .unwrap();
    assert!(format!("{error:?}").contains("Transport"), "{error:?}");
    let stats = client.stats();
    assert!(
        stats.failed >= 1 && stats.connections_failed >= 1,
        "{stats:?}"
    );
    assert_eq!(stats.connections_opened, 0);
}
