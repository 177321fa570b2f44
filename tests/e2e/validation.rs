//! Pre-flight validation of a mapping profile: one test per finding.

use psa_host::types::*;
use psa_mock::halo::{seed_ids as ids, MockConfig, MockHalo};

use crate::common::*;

fn codes(report: &ValidationReport) -> Vec<String> {
    report
        .findings
        .iter()
        .filter(|f| f.severity == FindingSeverity::Error)
        .map(|f| f.code.clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_good_profile_passes() {
    let (_mock, mut session) = start().await;
    let report = ok(session
        .validate_mapping(&profile(SyncStrategy::TwoWay))
        .await);
    assert!(report.ok, "{:?}", report.findings);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_problem_is_found_with_a_hint() {
    let (_mock, mut session) = start().await;
    type BreakIt = Box<dyn Fn(&mut MappingProfile)>;
    let cases: Vec<(&str, BreakIt)> = vec![
        (
            "organization-not-found",
            Box::new(|p| p.tenants[0].organization_id = "999999".into()),
        ),
        (
            "organization-inactive",
            Box::new(|p| p.tenants[0].organization_id = ids::CLIENT_OLD_ID.to_string()),
        ),
        (
            "site-not-in-organization",
            Box::new(|p| {
                p.tenants[0].organization_id = ids::CLIENT_FABRIKAM_ID.to_string();
                p.tenants[0].site_id = Some(ids::CONTOSO_SECOND_SITE_ID.to_string());
            }),
        ),
        (
            "ticket-type-not-found",
            Box::new(|p| p.ticket_type_id = Some("31337".into())),
        ),
        (
            "ticket-type-inactive",
            Box::new(|p| {
                p.ticket_type_id = Some(ids::TICKET_TYPE_INACTIVE.to_string());
                p.priorities.clear();
            }),
        ),
        (
            "ticket-type-not-agent-selectable",
            Box::new(|p| {
                p.ticket_type_id = Some(ids::TICKET_TYPE_CHANGE_REQUEST.to_string());
                p.priorities.clear();
            }),
        ),
        (
            "required-field-without-default",
            Box::new(|p| {
                p.ticket_type_id = Some(ids::TICKET_TYPE_PROBLEM.to_string());
                p.priorities.clear();
            }),
        ),
        (
            "priority-not-in-sla",
            Box::new(|p| p.priorities[0].priority_id = ids::PRIORITY_STANDARD_CRITICAL.to_string()),
        ),
        (
            "status-not-found",
            Box::new(|p| p.default_status_id = Some("4040".into())),
        ),
        (
            "status-is-closed",
            Box::new(|p| p.reopen_status_id = Some(ids::STATUS_CLOSED.to_string())),
        ),
        (
            "team-not-found",
            Box::new(|p| p.team_id = Some("4040".into())),
        ),
        (
            "team-inactive",
            Box::new(|p| p.team_id = Some(ids::TEAM_LEGACY.to_string())),
        ),
    ];
    for (code, break_it) in cases {
        let mut profile = profile(SyncStrategy::CreateUpdateClose);
        break_it(&mut profile);
        let report = ok(session.validate_mapping(&profile).await);
        assert!(!report.ok, "{code}");
        assert_eq!(
            codes(&report),
            vec![code.to_string()],
            "{code}: {:?}",
            report.findings
        );
        assert!(report
            .findings
            .iter()
            .all(|f| !f.hint.is_empty() && !f.message.is_empty()));
    }
    // A category supplies the Problem type's mandatory field.
    let mut fixed = profile(SyncStrategy::CreateOnly);
    fixed.ticket_type_id = Some(ids::TICKET_TYPE_PROBLEM.to_string());
    fixed.priorities.clear();
    fixed.category = Some("Security".into());
    assert!(ok(session.validate_mapping(&fixed).await).ok);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_outcome_and_permissions_are_findings() {
    let mock = MockHalo::start(MockConfig::default()).await.unwrap();
    let mut session = open(with(
        mock.connector_settings(),
        "note_outcome",
        "No Such Outcome",
    ))
    .await
    .unwrap();
    let report = ok(session
        .validate_mapping(&profile(SyncStrategy::CreateAndUpdate))
        .await);
    assert_eq!(codes(&report), vec!["note-outcome-missing".to_string()]);

    let mut session = open(with(
        mock.connector_settings(),
        "scope",
        "read:tickets read:customers",
    ))
    .await
    .unwrap();
    let report = ok(session
        .validate_mapping(&crate::common::profile(SyncStrategy::CreateOnly))
        .await);
    assert_eq!(codes(&report), vec!["missing-edit-permission".to_string()]);
}

fn warnings(report: &ValidationReport) -> Vec<String> {
    report
        .findings
        .iter()
        .filter(|f| f.severity == FindingSeverity::Warning)
        .map(|f| f.code.clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_sites_and_missing_customer_permission_are_errors() {
    let (mock, mut session) = start().await;
    let mut profile = profile(SyncStrategy::CreateOnly);
    profile.tenants[0].site_id = Some("987654".into());
    let report = ok(session.validate_mapping(&profile).await);
    assert_eq!(codes(&report), vec!["site-not-found".to_string()]);
    profile.tenants[0].site_id = Some(ids::CONTOSO_SECOND_SITE_ID.to_string());
    assert!(
        ok(session.validate_mapping(&profile).await).ok,
        "a site of the mapped client is fine"
    );

    let mut session = open(with(
        mock.connector_settings(),
        "scope",
        "read:tickets edit:tickets",
    ))
    .await
    .unwrap();
    let report = ok(session
        .validate_mapping(&crate::common::profile(SyncStrategy::CreateOnly))
        .await);
    // Without read:customers the client lookups fail too; the permission finding says why.
    assert!(
        codes(&report).contains(&"missing-customer-permission".to_string()),
        "{:?}",
        report.findings
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doubtful_choices_are_warnings_that_still_pass() {
    let (_mock, mut session) = start().await;
    let mut profile = profile(SyncStrategy::CreateUpdateClose);
    profile.tenants.push(profile.tenants[0].clone());
    profile.close_status_id = Some(ids::STATUS_RESOLVED.to_string());
    let report = ok(session.validate_mapping(&profile).await);
    assert!(report.ok, "{:?}", report.findings);
    assert_eq!(
        warnings(&report),
        vec![
            "duplicate-tenant".to_string(),
            "close-status-not-closed".to_string()
        ]
    );

    let mut no_type = crate::common::profile(SyncStrategy::CreateOnly);
    no_type.ticket_type_id = None;
    let report = ok(session.validate_mapping(&no_type).await);
    assert!(report.ok);
    assert_eq!(warnings(&report), vec!["no-ticket-type".to_string()]);
}

/// An admin renamed Halo's "Closed" status: closing strategies need the close status set.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_renamed_closed_status_must_be_set_explicitly() {
    let (mock, mut session) = start().await;
    mock.rename_status(ids::STATUS_CLOSED, "Done");
    let report = ok(session
        .validate_mapping(&profile(SyncStrategy::CreateUpdateClose))
        .await);
    assert_eq!(codes(&report), vec!["no-closed-status".to_string()]);
    let mut fixed = profile(SyncStrategy::CreateUpdateClose);
    fixed.close_status_id = Some(ids::STATUS_CLOSED.to_string());
    let report = ok(session.validate_mapping(&fixed).await);
    assert!(report.ok, "{:?}", report.findings);
}
