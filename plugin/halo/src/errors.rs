//! Where HTTP statuses and Halo error bodies become `connector-error`s, with Halo's hints. (The
//! PSA-independent parts, such as reading a message from any error body, are in the SDK's
//! `errors` module.)

pub use psa_connector_sdk::errors::{
    error_message as halo_message, invalid_response, is_host_denial, short, transport_error,
};
use psa_connector_sdk::types::{ConnectorError, RemoteError};

/// Maps a non-success status (other than 401/429, which the client handles) to an error.
pub fn status_error(status: u16, body: &[u8], endpoint: &str) -> ConnectorError {
    let message = halo_message(body);
    match status {
        403 => ConnectorError::PermissionDenied(format!(
            "Halo refused {endpoint} (403): {message}. Tick the needed permission on the API application's Permissions tab and check the agent's role"
        )),
        404 => ConnectorError::NotFound(format!("{endpoint}: {message}")),
        _ => ConnectorError::Remote(RemoteError {
            status,
            message,
            endpoint: endpoint.to_string(),
        }),
    }
}

/// Halo's status mapping for the retrying client.
pub struct HaloErrors;

impl psa_connector_sdk::client::ErrorMap for HaloErrors {
    fn status_error(&self, status: u16, body: &[u8], endpoint: &str) -> ConnectorError {
        status_error(status, body, endpoint)
    }
}
