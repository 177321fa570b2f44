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
async fn halo_runs_natively_over_kept_alive_connections() {
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
    kept_alive(&stats, mock.connections_accepted());
    mock.shutdown().await;
}

/// Sequential requests reuse a connection: fewer connections than requests (hyper may open a
/// second one when a request goes out before the previous connection is back in the pool),
/// counted alike by the client and the mock.
fn kept_alive(stats: &psa_native::NativeStats, accepted: u64) {
    assert!(
        stats.connections_opened >= 1 && stats.connections_opened < stats.requests,
        "{stats:?}"
    );
    assert_eq!(stats.connections_opened, accepted, "{stats:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connectwise_runs_natively_over_kept_alive_connections() {
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
    kept_alive(&stats, mock.connections_accepted());
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn halo_runs_natively_over_https_with_the_test_ca() {
    let ca = psa_mock::tls::TestCa::generate().unwrap();
    let mock = MockHalo::start_tls(MockConfig::default(), &ca)
        .await
        .unwrap();
    assert!(
        mock.base_url().starts_with("https://"),
        "{}",
        mock.base_url()
    );
    let client = NativeClient::with_ca(tokio::runtime::Handle::current(), &[ca.ca_pem()]).unwrap();
    let transport = client.transport();
    let settings = mock.connector_settings();
    let names = tokio::task::spawn_blocking(move || {
        let session = NativeSession::open(NativePsa::Halo, &settings, transport).unwrap();
        (0..3)
            .map(|_| {
                session
                    .get_organization(&halo_ids::CLIENT_CONTOSO_ID.to_string())
                    .expect("get-organization over https")
                    .name
            })
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    assert!(names.iter().all(|n| n.contains("Contoso")), "{names:?}");
    let stats = client.stats();
    assert_eq!(stats.requests, mock.total_requests());
    // TLS connections kept alive, counted alike by the client and the mock.
    kept_alive(&stats, mock.connections_accepted());
    let accepted = mock.connections_accepted();

    // A client without the CA gets no answer: the certificate is refused, nothing is sent.
    let untrusting = NativeClient::new(tokio::runtime::Handle::current());
    let transport = untrusting.transport();
    let settings = mock.connector_settings();
    let error = tokio::task::spawn_blocking(move || {
        let session = NativeSession::open(NativePsa::Halo, &settings, transport).unwrap();
        session
            .get_organization(&halo_ids::CLIENT_CONTOSO_ID.to_string())
            .unwrap_err()
    })
    .await
    .unwrap();
    assert!(
        format!("{error:?}").to_lowercase().contains("certificate"),
        "{error:?}"
    );
    assert_eq!(untrusting.stats().connections_opened, 0);
    // The refused handshakes were accepted as TCP connections, and no request arrived.
    assert!(mock.connections_accepted() > accepted);
    assert_eq!(mock.total_requests(), stats.requests);
    mock.shutdown().await;
}

#[test]
fn a_ca_that_is_not_pem_is_refused() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let bad = "-----BEGIN CERTIFICATE-----\nMIIB\n".to_string();
    let error = NativeClient::with_ca(runtime.handle().clone(), &[bad]).unwrap_err();
    assert!(error.to_string().starts_with("ca_pem[0]"), "{error}");
}
