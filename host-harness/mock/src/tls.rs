//! TLS for the mocks: a test CA made at start-up ([`TestCa`]) and the server certificates it
//! issues ([`ServerCert`]): valid for `localhost` and `127.0.0.1`, and on purpose expired, for
//! another name, or self-signed, so that a host's certificate errors can be tested.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use psa_mock::tls::TestCa;
//! use psa_mock::{MockConfig, MockHalo};
//!
//! let ca = TestCa::generate()?;
//! let halo = MockHalo::start_tls(MockConfig::default(), &ca).await?;
//! assert!(halo.base_url().starts_with("https://127.0.0.1:"));
//! let trust_this = ca.ca_pem(); // e.g. psa_host::HostConfig::extra_ca_pem
//! # Ok(()) }
//! ```
//!
//! Nothing here is secret: the keys live in memory for a test's or a demo's lifetime.

use std::sync::Arc;

use anyhow::Context as _;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use time::{Duration, OffsetDateTime};

/// A certificate authority for tests: its certificate ([`TestCa::ca_pem`]) is what a client
/// must add to its trust store.
pub struct TestCa {
    cert: rcgen::Certificate,
    issuer: Issuer<'static, KeyPair>,
}

impl std::fmt::Debug for TestCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestCa").finish_non_exhaustive()
    }
}

/// A server certificate with its chain and key, ready to serve
/// ([`crate::MockHalo::start_tls_with`] and the ConnectWise twin).
#[derive(Clone)]
pub struct ServerCert {
    chain: Vec<CertificateDer<'static>>,
    key_pkcs8: Vec<u8>,
}

impl std::fmt::Debug for ServerCert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key.
        f.debug_struct("ServerCert")
            .field("chain_len", &self.chain.len())
            .finish_non_exhaustive()
    }
}

/// The names every certificate for the mocks is valid for.
const LOCAL_NAMES: [&str; 2] = ["localhost", "127.0.0.1"];

fn validity(from_days: i64, to_days: i64) -> (OffsetDateTime, OffsetDateTime) {
    let now = OffsetDateTime::now_utc();
    (
        now + Duration::days(from_days),
        now + Duration::days(to_days),
    )
}

fn leaf_params(names: &[&str]) -> anyhow::Result<CertificateParams> {
    let mut params = CertificateParams::new(Vec::new())?;
    for name in names {
        params.subject_alt_names.push(match name.parse() {
            Ok(ip) => SanType::IpAddress(ip),
            Err(_) => SanType::DnsName((*name).try_into()?),
        });
    }
    params
        .distinguished_name
        .push(DnType::CommonName, names.first().copied().unwrap_or("mock"));
    params.use_authority_key_identifier_extension = true;
    params.key_usages.push(KeyUsagePurpose::DigitalSignature);
    params
        .extended_key_usages
        .push(ExtendedKeyUsagePurpose::ServerAuth);
    let (from, to) = validity(-1, 30);
    params.not_before = from;
    params.not_after = to;
    Ok(params)
}

impl TestCa {
    /// A new CA ("psa-mock test CA"), valid from yesterday for a year.
    pub fn generate() -> anyhow::Result<TestCa> {
        let mut params = CertificateParams::new(Vec::new())?;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "psa-mock test CA");
        params
            .distinguished_name
            .push(DnType::OrganizationName, "psa-mock");
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
        ];
        let (from, to) = validity(-1, 365);
        params.not_before = from;
        params.not_after = to;
        let key = KeyPair::generate().context("test CA key")?;
        let cert = params.self_signed(&key).context("test CA certificate")?;
        Ok(TestCa {
            cert,
            issuer: Issuer::new(params, key),
        })
    }

    /// The CA's certificate as PEM: what a client adds to its trust store.
    pub fn ca_pem(&self) -> String {
        self.cert.pem()
    }

    /// A certificate for `localhost` and `127.0.0.1`, valid from yesterday for 30 days.
    pub fn issue_for_localhost(&self) -> anyhow::Result<ServerCert> {
        self.issue(leaf_params(&LOCAL_NAMES)?)
    }

    /// A certificate for `names` only (DNS names or IP addresses): served on loopback under
    /// another name, a client sees a name mismatch.
    pub fn issue_for(&self, names: &[&str]) -> anyhow::Result<ServerCert> {
        self.issue(leaf_params(names)?)
    }

    /// A certificate for `localhost` and `127.0.0.1` that expired yesterday.
    pub fn issue_expired(&self) -> anyhow::Result<ServerCert> {
        let mut params = leaf_params(&LOCAL_NAMES)?;
        let (from, to) = validity(-30, -1);
        params.not_before = from;
        params.not_after = to;
        self.issue(params)
    }

    fn issue(&self, params: CertificateParams) -> anyhow::Result<ServerCert> {
        let key = KeyPair::generate().context("server key")?;
        let cert = params
            .signed_by(&key, &self.issuer)
            .context("server certificate")?;
        Ok(ServerCert {
            chain: vec![cert.der().clone(), self.cert.der().clone()],
            key_pkcs8: key.serialize_der(),
        })
    }
}

impl ServerCert {
    /// A self-signed certificate for `localhost` and `127.0.0.1` (no CA at all).
    pub fn self_signed() -> anyhow::Result<ServerCert> {
        let key = KeyPair::generate().context("server key")?;
        let cert = leaf_params(&LOCAL_NAMES)?
            .self_signed(&key)
            .context("self-signed certificate")?;
        Ok(ServerCert {
            chain: vec![cert.der().clone()],
            key_pkcs8: key.serialize_der(),
        })
    }

    /// The rustls server configuration serving this certificate (HTTP/1.1).
    pub(crate) fn acceptor(&self) -> anyhow::Result<tokio_rustls::TlsAcceptor> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key_pkcs8.clone()));
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(self.chain.clone(), key)
            .context("server TLS configuration")?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ca_pem_is_one_certificate() {
        let ca = TestCa::generate().unwrap();
        let pem = ca.ca_pem();
        assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
        assert_eq!(pem.matches("BEGIN CERTIFICATE").count(), 1);
    }

    #[test]
    fn certificates_make_a_server_config() {
        let ca = TestCa::generate().unwrap();
        for cert in [
            ca.issue_for_localhost().unwrap(),
            ca.issue_expired().unwrap(),
            ca.issue_for(&["halo.example.com"]).unwrap(),
            ServerCert::self_signed().unwrap(),
        ] {
            cert.acceptor().unwrap();
        }
    }
}
