//! The host's egress allow-list, seen from the connector.

use psa_host::types::*;
use psa_mock::halo::{MockConfig, MockHalo};

use crate::common::*;

/// authinfo names an authorisation server on another port: the host denies it, the connector
/// asks for the field to be filled in, and nothing reaches that address.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovered_auth_server_outside_the_allow_list_is_denied() {
    let elsewhere = MockHalo::start(MockConfig::default()).await.unwrap();
    let config = MockConfig {
        auth_url_override: Some(format!("{}/auth", elsewhere.base_url())),
        ..MockConfig::default()
    };
    let mock = MockHalo::start(config).await.unwrap();
    let mut session = open(mock.connector_settings()).await.unwrap();
    match err(session.test_connection().await) {
        ConnectorError::InvalidSettings(problem) => {
            assert_eq!(problem.key.as_deref(), Some("auth_url"));
            assert!(
                problem.message.contains(&elsewhere.base_url()),
                "{}",
                problem.message
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        elsewhere.total_requests(),
        0,
        "the denied host received nothing"
    );
    assert!(session.requests().denied >= 1);

    // Filling in the field adds that origin to the allow-list: the request now goes through
    // (the other mock's token is then, rightly, unknown to the first one).
    let settings = with(
        mock.connector_settings(),
        "auth_url",
        &format!("{}/auth", elsewhere.base_url()),
    );
    let mut session = open(settings).await.unwrap();
    let _ = session.test_connection().await.unwrap();
    assert!(elsewhere.count("POST /auth/token") >= 1);
    assert_eq!(session.requests().denied, 0);
}
