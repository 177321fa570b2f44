//! Native unit tests over the SDK's scripted transport.

use std::cell::RefCell;
use std::rc::Rc;

use psa_connector_sdk::__export::GuestSession;
use psa_connector_sdk::testing::{json, Scripted};
use psa_connector_sdk::Connector;

use crate::session::CwSession;
use crate::types::*;

const API: &str = "/v2025_1/apis/3.0";

fn settings() -> Vec<(String, String)> {
    vec![
        ("site".into(), "https://cw.example.com".into()),
        ("company_id".into(), "acme".into()),
        ("public_key".into(), "pub".into()),
        ("private_key".into(), "priv".into()),
        (
            "client_id".into(),
            "6b3e2f8c-1d4a-4c9e-9f57-2a8b5c0d7e91".into(),
        ),
    ]
}

fn profile() -> MappingProfile {
    MappingProfile {
        tenants: vec![TenantMapping {
            tenant_id: "t".into(),
            organization_id: "19".into(),
            site_id: None,
        }],
        fallback_organization_id: None,
        priorities: vec![],
        default_status_id: None,
        ticket_type_id: Some("21".into()),
        team_id: None,
        category: None,
        strategy: SyncStrategy::CreateUpdateClose,
        reopen_window_hours: 24,
        reopen_status_id: None,
        close_status_id: None,
        rules: vec![],
        source_id: None,
    }
}

const TICKET: &str = r#"{"id":5001,"summary":"s","company":{"id":19},"board":{"id":21},"status":{"id":170},"closedFlag":false}"#;

#[test]
fn every_request_carries_basic_auth_and_the_client_id_and_401_is_not_retried() {
    let seen = Rc::new(RefCell::new(Vec::new()));
    let s = seen.clone();
    let (transport, log) = Scripted::new(move |req, _| {
        let header = |name: &str| {
            req.headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
        };
        s.borrow_mut()
            .push((header("authorization"), header("clientid")));
        match req.url.path() {
            "/login/companyinfo/acme" => json(200, r#"{"Codebase":"v2025_1/"}"#),
            _ => json(
                401,
                r#"{"code":"Unauthorized","message":"bad keys","errors":null}"#,
            ),
        }
    });
    let session = CwSession::open(&settings(), transport).unwrap();
    let error = session.test_connection().unwrap_err();
    assert!(
        matches!(&error, ConnectorError::AuthFailed(m) if m.contains("bad keys") && !m.contains("YWNtZStwdWI6")),
        "{error:?}"
    );
    assert_eq!(
        log.count(&format!("GET {API}/system/info")),
        1,
        "a 401 is not retried"
    );
    for (auth, client_id) in seen.borrow().iter() {
        // base64("acme+pub:priv")
        assert_eq!(auth.as_deref(), Some("Basic YWNtZStwdWI6cHJpdg=="));
        assert_eq!(
            client_id.as_deref(),
            Some("6b3e2f8c-1d4a-4c9e-9f57-2a8b5c0d7e91")
        );
    }
}

#[test]
fn a_wrong_client_id_is_a_settings_error_naming_it() {
    let (transport, _) = Scripted::new(|req, _| match req.url.path() {
        "/login/companyinfo/acme" => json(200, "null"),
        _ => json(
            400,
            r#"{"code":"InvalidClientId","message":"The clientId header is required"}"#,
        ),
    });
    let session = CwSession::open(&settings(), transport).unwrap();
    match session.list_ticket_types() {
        Err(ConnectorError::InvalidSettings(p)) => assert_eq!(p.key.as_deref(), Some("client_id")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn creates_cut_the_summary_hash_long_keys_and_never_duplicate_a_lost_answer() {
    let body = Rc::new(RefCell::new(serde_json::Value::Null));
    let b = body.clone();
    let (transport, log) =
        Scripted::new(move |req, n| match (req.method.as_str(), req.url.path()) {
            (_, "/login/companyinfo/acme") => json(200, r#"{"Codebase":"v2025_1/"}"#),
            ("POST", p) if p.ends_with("/service/tickets") => {
                *b.borrow_mut() = serde_json::from_slice(req.body.as_deref().unwrap()).unwrap();
                json(502, "bad gateway")
            }
            ("GET", p) if p.ends_with("/service/tickets") => {
                // The lookup by key: nothing before the create, the created ticket after.
                let xref = b.borrow()["externalXRef"]
                    .as_str()
                    .unwrap_or("")
                    .to_string();
                if n == 0 || xref.is_empty() {
                    json(200, "[]")
                } else {
                    json(
                        200,
                        &format!(
                            r#"[{}]"#,
                            TICKET.replace(
                                "\"closedFlag\"",
                                &format!("\"externalXRef\":\"{xref}\",\"closedFlag\"")
                            )
                        ),
                    )
                }
            }
            ("GET", p) if p.ends_with("/notes") => json(200, "[]"),
            ("GET", p) if p.contains("/system/members") => json(200, "[]"),
            _ => json(404, r#"{"code":"NotFound","message":"no"}"#),
        });
    let session = CwSession::open(&settings(), transport).unwrap();
    let key = "k".repeat(300);
    let request = SyncRequest {
        alert: Alert {
            key: key.clone(),
            occurrence_id: None,
            tenant_id: "t".into(),
            severity: Severity::High,
            summary: "S".repeat(180),
            details: "d".into(),
            contact: None,
            category: None,
            link_url: None,
            evidence: vec![],
        },
        link: None,
    };
    let outcome = GuestSession::sync_alert(&session, profile(), request).unwrap();
    assert_eq!(outcome.decision, SyncDecision::Created);
    assert_eq!(outcome.ticket.id, "5001");
    assert_eq!(
        log.count(&format!("POST {API}/service/tickets")),
        1,
        "not re-sent"
    );
    let sent = body.borrow();
    let summary = sent["summary"].as_str().unwrap();
    assert!(
        summary.chars().count() <= 100 && summary.ends_with("[...]"),
        "{summary}"
    );
    let xref = sent["externalXRef"].as_str().unwrap();
    assert!(
        xref.len() <= 100 && xref.starts_with("psa-connector#h:"),
        "{xref}"
    );
    assert_eq!(
        sent["initialDescription"]
            .as_str()
            .map(|d| d.starts_with('d')),
        Some(true)
    );
    assert_eq!(sent["company"]["id"], 19);
    assert_eq!(sent["board"]["id"], 21);
}

#[test]
fn search_text_stays_one_conditions_value_and_paging_follows_link() {
    let queries = Rc::new(RefCell::new(Vec::new()));
    let q = queries.clone();
    let (transport, _) = Scripted::new(move |req, n| match req.url.path() {
        "/login/companyinfo/acme" => json(200, r#"{"Codebase":"v2025_1/"}"#),
        _ => {
            q.borrow_mut().push(
                req.url
                    .query_pairs()
                    .find(|(k, _)| k == "conditions")
                    .map(|(_, v)| v.into_owned()),
            );
            let mut response =
                json(200, &format!(r#"[{{"id":{},"name":"C{n}"}}]"#, 100 + n)).unwrap();
            if n == 0 {
                response.headers.push(("link".into(), r#"<https://cw.example.com/x?page=2>; rel="next", <https://cw.example.com/x?page=2>; rel="last""#.into()));
            }
            Ok(response)
        }
    });
    let session = CwSession::open(&settings(), transport).unwrap();
    let page = Connector::list_organizations(
        &session,
        OrganizationQuery {
            search: Some(r#"x" or id>0 or x=""#.into()),
            include_inactive: false,
            page: None,
            page_size: None,
        },
    )
    .unwrap();
    assert_eq!(page.total, 2, "two pages read");
    let conditions = queries.borrow()[0].clone().unwrap();
    assert_eq!(
        conditions,
        r#"deletedFlag=false and (name contains "x\" or id>0 or x=\"" or identifier contains "x\" or id>0 or x=\"")"#
    );
}

#[test]
fn info_declares_the_form_and_every_operation() {
    let info = CwSession::info();
    let keys: Vec<&str> = info.settings_form.iter().map(|f| f.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "site",
            "company_id",
            "public_key",
            "private_key",
            "client_id"
        ]
    );
    assert_eq!(info.capabilities.len(), 14);
}

#[test]
fn a_role_without_company_access_fails_one_check_with_the_role_to_grant() {
    let (transport, log) = Scripted::new(|req, _| match (req.method.as_str(), req.url.path()) {
        (_, "/login/companyinfo/acme") => json(200, r#"{"Codebase":"v2025_1/"}"#),
        (_, p) if p.ends_with("/system/info") => json(200, r#"{"version":"v2025.1"}"#),
        (_, p) if p.ends_with("/system/members") => json(
            200,
            r#"[{"id":176,"identifier":"PsaIntegration","name":"PSA Integration"}]"#,
        ),
        (_, p) if p.ends_with("/company/companies") => {
            json(403, r#"{"code":"Forbidden","message":"not allowed"}"#)
        }
        ("GET", _) => json(200, "[]"),
        ("POST", p) if p.ends_with("/service/tickets") => json(
            400,
            r#"{"code":"InvalidObject","message":"ticket object is invalid","errors":[{"code":"NullValue","field":"summary","message":"summary is required"}]}"#,
        ),
        _ => json(404, r#"{"code":"NotFound","message":"Ticket 0 not found"}"#),
    });
    let session = CwSession::open(&settings(), transport).unwrap();
    let report = session.test_connection().unwrap();
    assert!(!report.ok);
    assert_eq!(report.agent.as_ref().map(|a| a.id.as_str()), Some("176"));
    let failed: Vec<_> = report.checks.iter().filter(|c| !c.passed).collect();
    assert_eq!(failed.len(), 1, "{:?}", report.checks);
    assert_eq!(failed[0].name, "companies-read");
    let hint = failed[0].hint.as_deref().unwrap();
    assert!(
        hint.contains("Security Roles") && hint.contains("Company Maintenance"),
        "{hint}"
    );
    let creates = format!("POST {API}/service/tickets");
    let sent = log
        .requests
        .borrow()
        .iter()
        .filter(|r| **r == creates)
        .count();
    assert_eq!(sent, 1, "probes are not retried: {:?}", log.requests);
}

#[test]
fn no_api_at_the_site_is_a_settings_error_naming_the_site_not_a_missing_record() {
    // The fault matrix's 404 on the connection test's first request: no API at that address.
    let (transport, _) = Scripted::new(|req, _| match req.url.path() {
        "/login/companyinfo/acme" => json(200, r#"{"Codebase":"v2025_1/"}"#),
        _ => json(
            404,
            r#"{"code":"NotFound","message":"The record was not found."}"#,
        ),
    });
    let session = CwSession::open(&settings(), transport).unwrap();
    match session.test_connection() {
        Err(ConnectorError::InvalidSettings(p)) => {
            assert_eq!(p.key.as_deref(), Some("site"));
            assert!(p.message.contains("site URL"), "{}", p.message);
        }
        other => panic!("{other:?}"),
    }
    // Elsewhere a 404 is still a missing record.
    assert!(matches!(
        session.get_ticket("5"),
        Err(ConnectorError::NotFound(_))
    ));
}

#[test]
fn ticket_states_read_tickets_in_batches_of_a_hundred() {
    let conditions = Rc::new(RefCell::new(Vec::new()));
    let c = conditions.clone();
    let (transport, _) = Scripted::new(move |req, _| match req.url.path() {
        "/login/companyinfo/acme" => json(200, r#"{"Codebase":"v2025_1/"}"#),
        p if p.ends_with("/service/tickets") => {
            let cond = req
                .url
                .query_pairs()
                .find(|(k, _)| k == "conditions")
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default();
            c.borrow_mut().push(cond);
            json(200, &format!("[{TICKET}]"))
        }
        p if p.contains("/system/members") => json(200, r#"[{"identifier":"PsaIntegration"}]"#),
        _ => json(200, "[]"),
    });
    let session = CwSession::open(&settings(), transport).unwrap();
    let ids: Vec<String> = (4901..=5050).map(|i| i.to_string()).collect();
    let states = GuestSession::ticket_states(&session, ids).unwrap();
    assert_eq!(states.len(), 150);
    assert_eq!(states.iter().filter(|s| s.found).count(), 1);
    let batches = conditions.borrow();
    assert_eq!(batches.len(), 2, "{batches:?}");
    assert!(batches[0].starts_with("id in (4901,4902,"));
    assert!(batches[1].starts_with("id in (5001,"));
}
