//! Halo test fixtures on top of the SDK's scripted transport.

pub use psa_connector_sdk::testing::{json, text, Scripted};

pub const TOKEN: &str =
    r#"{"access_token":"tok","token_type":"Bearer","expires_in":3600,"scope":"all"}"#;

pub fn settings() -> Vec<(String, String)> {
    vec![
        ("base_url".into(), "https://acme.halopsa.com".into()),
        ("client_id".into(), "id".into()),
        ("client_secret".into(), "secret".into()),
    ]
}
