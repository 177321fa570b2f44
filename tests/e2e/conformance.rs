//! The conformance suite (`psa-conformance`) on real components in the real host: both bundled
//! connectors pass against their mocks, and the broken fixture (`fixtures/broken-connector`)
//! fails exactly the check each of its defects breaks, with the reason.

use std::path::PathBuf;

use psa_conformance::psa::MockKind;
use psa_conformance::{run, Config, ConformanceReport};

use crate::common::Psa;

async fn suite(component: PathBuf, kind: MockKind, defect: Option<&str>) -> ConformanceReport {
    let mock = kind.start().await.expect("mock starts");
    let mut config = Config::mock(component, mock);
    if let Some(defect) = defect {
        config = config.with_setting("defect", defect);
    }
    run(config).await
}

fn broken() -> PathBuf {
    PathBuf::from(env!("BROKEN_CONNECTOR_WASM"))
}

async fn bundled_connector_passes(psa: Psa) {
    let (component, kind) = match psa {
        Psa::Halo => (psa_harness::bundled_halo_connector(), MockKind::Halo),
        Psa::Connectwise => (
            psa_harness::bundled_connectwise_connector(),
            MockKind::ConnectWise,
        ),
    };
    let report = suite(component, kind, None).await;
    assert!(report.passed(), "{}", report.lines().join("\n"));
    assert_eq!(report.checks.len(), 11);
    assert!(
        report.checks.iter().all(|c| c.outcome.word() == "PASS"),
        "every check applies against the mock: {}",
        report.lines().join("\n")
    );
}

crate::common::for_each_psa!(bundled_connector_passes);

/// The fixture without a defect is the Halo connector: it passes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_broken_fixture_without_a_defect_passes() {
    let report = suite(broken(), MockKind::Halo, None).await;
    assert!(report.passed(), "{}", report.lines().join("\n"));
}

/// Each defect fails exactly its check, with a reason naming what went wrong.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_defect_fails_exactly_its_check() {
    let cases = [
        (
            "unsupported-capability",
            "info-complete",
            "info lists `ticket-states` but it answers unsupported",
        ),
        (
            "wrong-error-for-bad-settings",
            "invalid-settings",
            "invalid-settings names no field instead of `base_url`",
        ),
        (
            "wrong-error-for-bad-secret",
            "auth-failed",
            "a wrong `client_secret` gave permission-denied",
        ),
        (
            "contact-other-host",
            "own-hosts-only",
            "telemetry.example.net",
        ),
        (
            "trap-on-garbage",
            "typed-errors",
            "garbage: list-organizations trapped",
        ),
        (
            "duplicate-on-repeat",
            "one-ticket-per-alert",
            "with the link to #",
        ),
        (
            "lose-link",
            "lost-link",
            "without the link, a recurrence of a",
        ),
        (
            "close-touched",
            "touched-stays-open",
            "resolve-alert answered closed and the mock shows",
        ),
        (
            "audit-mismatch",
            "audit-matches",
            "create-ticket: the audit record lists",
        ),
        (
            "leak-secret-in-error",
            "no-secrets",
            "secret setting `client_secret` appears in what get-ticket returned",
        ),
    ];
    for (defect, check, reason) in cases {
        let report = suite(broken(), MockKind::Halo, Some(defect)).await;
        assert_eq!(
            report.failed(),
            vec![check],
            "{defect}:\n{}",
            report.lines().join("\n")
        );
        let detail = report.check(check).unwrap().outcome.detail();
        assert!(detail.contains(reason), "{defect}: {detail}");
        assert!(
            !detail.contains(psa_mock::MockConfig::DEMO_CLIENT_SECRET),
            "reasons never show a secret: {detail}"
        );
    }
}

/// `info` takes no settings: its defects are patched into a copy of the built file (the
/// fixture's 16-byte `info-mode:normal` marker).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn info_defects_fail_info_complete_and_contract_version() {
    let original = std::fs::read(broken()).expect("the fixture is built");
    let marker = b"info-mode:normal";
    let at = original
        .windows(marker.len())
        .position(|w| w == marker)
        .expect("the marker is in the file");
    for (mode, check, reason) in [
        (
            b"info-mode:nohelp",
            "info-complete",
            "settings field `base_url` has no help",
        ),
        (
            b"info-mode:badver",
            "contract-version",
            "`not-a-version` is not a semver version",
        ),
    ] {
        let mut patched = original.clone();
        patched[at..at + marker.len()].copy_from_slice(mode);
        let path = std::env::temp_dir().join(format!(
            "broken-{}-{}.wasm",
            std::process::id(),
            String::from_utf8_lossy(mode).replace(':', "-")
        ));
        std::fs::write(&path, &patched).unwrap();
        let report = suite(path.clone(), MockKind::Halo, None).await;
        let _ = std::fs::remove_file(&path);
        assert_eq!(
            report.failed(),
            vec![check],
            "{}",
            report.lines().join("\n")
        );
        let detail = report.check(check).unwrap().outcome.detail();
        assert!(detail.contains(reason), "{detail}");
    }
}
