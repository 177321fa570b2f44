//! End-to-end tests of the mock over real HTTP/1.1 (a hand-written client on a raw TcpStream, so
//! "no response at all" can be observed exactly).

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::seed_ids as ids;
use super::*;
use crate::test_client::{send, Resp};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const FORM: (&str, &str) = ("Content-Type", "application/x-www-form-urlencoded");

async fn token_request(halo: &MockHalo, target: &str, form: &str) -> Resp {
    send(halo, "POST", target, &[FORM], form.as_bytes())
        .await
        .expect("response")
}

fn demo_form(scope: &str) -> String {
    format!(
        "grant_type=client_credentials&client_id={}&client_secret={}&scope={scope}",
        MockConfig::DEMO_CLIENT_ID,
        MockConfig::DEMO_CLIENT_SECRET
    )
}

async fn token(halo: &MockHalo, scope: &str) -> String {
    let r = token_request(halo, "/auth/token", &demo_form(scope)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["access_token"].as_str().unwrap().to_string()
}

async fn get(halo: &MockHalo, target: &str, token: &str) -> Resp {
    let auth = format!("Bearer {token}");
    send(halo, "GET", target, &[("Authorization", &auth)], b"")
        .await
        .expect("response")
}

async fn post(halo: &MockHalo, target: &str, token: &str, body: &Value) -> Resp {
    let auth = format!("Bearer {token}");
    send(
        halo,
        "POST",
        target,
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        body.to_string().as_bytes(),
    )
    .await
    .expect("response")
}

async fn start() -> MockHalo {
    MockHalo::start(MockConfig::default()).await.unwrap()
}

#[tokio::test]
async fn token_endpoint_success_and_errors() {
    let halo = start().await;

    // Success, on both token paths.
    for path in ["/auth/token", "/token"] {
        let r = token_request(&halo, path, &demo_form("all")).await;
        assert_eq!(r.status, 200);
        let body = r.json();
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(body["expires_in"], 3600);
        assert_eq!(body["scope"], "all");
        assert!(body["access_token"].as_str().unwrap().len() >= 32);
        assert_eq!(body["id_token"].as_str().unwrap().split('.').count(), 3);
    }

    // Wrong secret.
    let r = token_request(
        &halo,
        "/auth/token",
        "grant_type=client_credentials&client_id=psa-demo-client&client_secret=nope&scope=all",
    )
    .await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["error"], "invalid_client");
    assert!(r.json()["error_description"].is_string());

    // Unknown scope.
    let r = token_request(&halo, "/auth/token", &demo_form("read:actions")).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"], "invalid_scope");

    // No scope: a token that 401s everywhere.
    let scopeless = token(&halo, "").await;
    assert_eq!(get(&halo, "/api/Status", &scopeless).await.status, 401);

    // Self-hosted: a tenant is unknown.
    let r = token_request(&halo, "/auth/token?tenant=acme", &demo_form("all")).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error_description"], "Unknown tenant 'acme'");

    // Form body required.
    let r = send(
        &halo,
        "POST",
        "/auth/token",
        &[],
        demo_form("all").as_bytes(),
    )
    .await
    .unwrap();
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"], "invalid_request");
}

#[tokio::test]
async fn hosted_tenant_and_authinfo() {
    let halo = MockHalo::start(MockConfig {
        tenant: Some("acme".into()),
        ..MockConfig::default()
    })
    .await
    .unwrap();
    let info = send(&halo, "GET", "/api/authinfo", &[], b"").await.unwrap();
    assert_eq!(info.status, 200);
    assert_eq!(info.json()["tenant_id"], "acme");
    assert_eq!(info.json()["auth_url"], format!("{}/auth", halo.base_url()));

    let missing = token_request(&halo, "/auth/token", &demo_form("all")).await;
    assert_eq!(missing.status, 400);
    let wrong = token_request(&halo, "/token?tenant=other", &demo_form("all")).await;
    assert_eq!(wrong.status, 400);
    assert_eq!(wrong.json()["error"], "invalid_request");
    assert_eq!(wrong.json()["error_description"], "Unknown tenant 'other'");
    let ok = token_request(&halo, "/token?tenant=ACME", &demo_form("all")).await;
    assert_eq!(ok.status, 200);
}

#[tokio::test]
async fn bearer_tokens_scopes_and_expiry() {
    let halo = start().await;
    let r = send(&halo, "GET", "/api/Tickets", &[], b"").await.unwrap();
    assert_eq!(r.status, 401);
    assert_eq!(get(&halo, "/api/Tickets", "bogus").await.status, 401);

    let customers = token(&halo, "read:customers").await;
    assert_eq!(get(&halo, "/api/Client", &customers).await.status, 200);
    let denied = get(&halo, "/api/Tickets", &customers).await;
    assert_eq!(denied.status, 403);
    assert_eq!(
        denied.json()["message"],
        "The API application does not have the 'read:tickets' permission"
    );

    let tickets = token(&halo, "edit:tickets read:customers").await;
    assert_eq!(get(&halo, "/api/Tickets", &tickets).await.status, 200);
    assert_eq!(
        post(&halo, "/api/Client", &tickets, &json!([{ "name": "X" }]))
            .await
            .status,
        403
    );

    halo.expire_tokens();
    assert_eq!(get(&halo, "/api/Tickets", &tickets).await.status, 401);
    let fresh = token(&halo, "all").await;
    assert_eq!(get(&halo, "/api/Tickets", &fresh).await.status, 200);

    let short = MockHalo::start(MockConfig {
        token_ttl_secs: 0,
        ..MockConfig::default()
    })
    .await
    .unwrap();
    let t = token(&short, "all").await;
    assert_eq!(get(&short, "/api/Status", &t).await.status, 401);
}

#[tokio::test]
async fn paths_are_case_insensitive_and_counted() {
    let halo = start().await;
    let t = token(&halo, "all").await;
    assert_eq!(
        get(&halo, "/API/CLIENT/12", &t).await.json()["name"],
        "Contoso Ltd"
    );
    assert_eq!(get(&halo, "/api/client/12/", &t).await.status, 200);
    assert_eq!(get(&halo, "/api/Client?count=1", &t).await.status, 200);
    let missing = get(&halo, "/api/Tickets/999999", &t).await;
    assert_eq!(missing.status, 404);
    assert!(missing.json()["message"]
        .as_str()
        .unwrap()
        .contains("not found"));
    assert_eq!(get(&halo, "/api/Tickets/1001", &t).await.status, 200);
    assert_eq!(
        get(&halo, "/api/agent/ME", &t).await.json()["id"],
        ids::API_AGENT_ID
    );
    assert_eq!(get(&halo, "/api/nothing", &t).await.status, 404);

    assert_eq!(halo.count("POST /auth/token"), 1);
    assert_eq!(halo.count("GET /api/client/{id}"), 2);
    assert_eq!(halo.count("GET /api/client"), 1);
    assert_eq!(halo.count("GET /api/tickets/{id}"), 2);
    assert_eq!(halo.count("GET /api/agent/me"), 1);
    assert_eq!(halo.total_requests(), 8);
    let log = halo.received();
    assert_eq!(log.len(), 8);
    assert_eq!(log[1].path, "/API/CLIENT/12");
    assert_eq!(log[3].query, "count=1");
    assert_eq!(
        log[1].header("authorization"),
        Some(format!("Bearer {t}").as_str())
    );
    assert!(log[0].body.contains("client_secret="));
    // Every request's arrival is noted: all 8 within an hour, none in a zero window.
    assert_eq!(halo.arrivals(), 8);
    assert_eq!(halo.peak_requests_in_window(Duration::from_secs(3600)), 8);
    assert_eq!(halo.peak_requests_in_window(Duration::ZERO), 0);

    halo.reset_counts();
    assert_eq!(halo.total_requests(), 0);
    assert!(halo.counts().is_empty());
    assert_eq!(halo.arrivals(), 0);
    assert_eq!(halo.peak_requests_in_window(Duration::from_secs(3600)), 0);
}

#[tokio::test]
async fn lists_page_filter_and_use_envelopes() {
    let halo = start().await;
    let t = token(&halo, "all").await;

    // 300 clients, one inactive (Old Client Ltd).
    let mut seen = std::collections::BTreeSet::new();
    for page in 1..=7 {
        let r = get(
            &halo,
            &format!("/api/Client?pageinate=true&page_size=50&page_no={page}"),
            &t,
        )
        .await;
        let body = r.json();
        assert_eq!(body["record_count"], 299);
        assert_eq!(body["page_no"], page);
        for c in body["clients"].as_array().unwrap() {
            assert!(seen.insert(c["id"].as_i64().unwrap()));
        }
    }
    assert_eq!(seen.len(), 299);
    assert!(!seen.contains(&ids::CLIENT_OLD_ID));
    let all = get(&halo, "/api/Client?includeinactive=true", &t)
        .await
        .json();
    assert_eq!(all["record_count"], 300);
    assert_eq!(all["clients"].as_array().unwrap().len(), 300);
    let adatum = get(&halo, "/api/Client?search=ADATUM", &t).await.json();
    assert_eq!(adatum["record_count"], 2);
    let limited = get(&halo, "/api/Client?count=5", &t).await.json();
    assert_eq!(limited["clients"].as_array().unwrap().len(), 5);
    let encoded = get(&halo, "/api/Client?search=Smith%20%26%20Sons", &t)
        .await
        .json();
    assert_eq!(encoded["clients"][0]["id"], ids::CLIENT_SMITH_AND_SONS_ID);
    assert_eq!(
        get(&halo, "/api/Client?pageinate=maybe", &t).await.status,
        400
    );

    let sites = get(&halo, "/api/Site?client_id=15", &t).await.json();
    assert_eq!(sites["record_count"], 2, "the inactive site is hidden");
    let users = get(&halo, "/api/Users?client_id=12&search=alex", &t)
        .await
        .json();
    assert_eq!(
        users["users"][0]["emailaddress"],
        "alex.johnson@contoso.com"
    );

    let prios = get(&halo, "/api/Priority?slaid=2", &t).await.json();
    let ids_: Vec<i64> = prios
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["priorityid"].as_i64().unwrap())
        .collect();
    assert_eq!(ids_, vec![5, 6, 7, 8]);
    assert!(prios[0]["id"].as_str().unwrap().len() == 36);
    assert!(get(&halo, "/api/Status", &t).await.json().is_array());
    assert!(get(&halo, "/api/Team", &t).await.json().is_array());
    assert!(get(&halo, "/api/Outcome", &t).await.json().is_array());
    let tt = get(&halo, "/api/TicketType/21", &t).await.json();
    assert_eq!(tt["name"], "Security Alert");
    assert_eq!(tt["fields"][0]["default_value"], "Security");
    let types = get(&halo, "/api/TicketType", &t).await.json();
    assert!(types
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t.get("fields").is_none()));

    let tickets = get(&halo, "/api/Tickets?client_id=12&open_only=true", &t)
        .await
        .json();
    assert_eq!(tickets["record_count"], 2);
    let some = get(&halo, "/api/Tickets?ticketids=1001,1003", &t)
        .await
        .json();
    assert_eq!(some["record_count"], 2);
    let no_id = get(&halo, "/api/Actions", &t).await;
    assert_eq!(no_id.status, 400);
    let actions = get(&halo, "/api/Actions?ticket_id=1003", &t).await.json();
    assert_eq!(actions["ticket_id"], 1003);
    assert!(actions["record_count"].as_u64().unwrap() >= 2);

    let capped = MockHalo::start(MockConfig {
        clients: 20,
        max_page_size: Some(10),
        ..MockConfig::default()
    })
    .await
    .unwrap();
    let t2 = token(&capped, "all").await;
    let page = get(&capped, "/api/Client?pageinate=true&page_size=100", &t2)
        .await
        .json();
    assert_eq!(page["page_size"], 10);
    assert_eq!(page["clients"].as_array().unwrap().len(), 10);
    assert_eq!(page["record_count"], 19);
}

#[tokio::test]
async fn ticket_create_validation_and_defaults() {
    let halo = start().await;
    let t = token(&halo, "all").await;
    let bad = |body: Value| {
        let halo = &halo;
        let t = &t;
        async move {
            let r = post(halo, "/api/Tickets", t, &body).await;
            assert_eq!(r.status, 400, "{body}: {}", r.text());
            r.json()
        }
    };
    bad(json!([{ "client_id": 12 }])).await;
    bad(json!([{ "summary": "x" }])).await;
    bad(json!({ "summary": "x", "client_id": 12 })).await;
    bad(json!([{ "summary": "x", "client_id": 999_999 }])).await;
    let inactive = bad(json!([{ "summary": "x", "client_id": ids::CLIENT_OLD_ID }])).await;
    assert!(inactive.as_str().unwrap().contains("inactive"));
    bad(json!([{ "summary": "x", "client_id": 12, "tickettype_id": ids::TICKET_TYPE_CHANGE_REQUEST }])).await;
    bad(json!([{ "summary": "x", "client_id": 12, "tickettype_id": ids::TICKET_TYPE_INACTIVE }]))
        .await;
    let prio = bad(json!([{ "summary": "x", "client_id": 12,
        "tickettype_id": ids::TICKET_TYPE_SECURITY_ALERT, "priority_id": ids::PRIORITY_STANDARD_HIGH }]))
    .await;
    assert!(prio.as_str().unwrap().contains("Priority 2"), "{prio}");
    bad(json!([{ "summary": "x", "client_id": 12, "tickettype_id": ids::TICKET_TYPE_PROBLEM }]))
        .await;
    bad(json!([{ "summary": "x", "client_id": 12, "team": "Nope" }])).await;
    bad(json!([{ "summary": "x", "client_id": 12, "status_id": 77 }])).await;
    let float = bad(json!([{ "summary": "x", "client_id": 12.0 }])).await;
    assert!(float["[0].client_id"].is_array(), "{float}");
    bad(json!([{ "summary": "x", "client_id": 12, "site_id": 103 }])).await;
    assert_eq!(halo.count("POST /api/tickets"), 13);
    assert!(halo
        .tickets()
        .iter()
        .all(|t| t["id"].as_i64().unwrap() < ids::FIRST_NEW_TICKET_ID));

    // A Security Alert with defaults.
    let r = post(
        &halo,
        "/api/Tickets",
        &t,
        &json!([{ "summary": "Malware on HOST-1", "details": "EDR alert", "client_id": 12,
                  "tickettype_id": ids::TICKET_TYPE_SECURITY_ALERT,
                  "supplier_reference": "psa-connector#alert:ABC", "dont_do_rules": true,
                  "_novalidate": true, "custom_thing": [1, 2] }]),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let created = r.json();
    let id = created["id"].as_i64().unwrap();
    assert_eq!(id, ids::FIRST_NEW_TICKET_ID);
    assert_eq!(created["priority_id"], ids::PRIORITY_SECURITY_HIGH);
    assert_eq!(created["sla_id"], ids::SLA_SECURITY);
    assert_eq!(created["status_id"], ids::STATUS_NEW);
    assert_eq!(created["category_1"], "Security");
    assert_eq!(created["team"], "Security Operations");
    assert_eq!(created["site_id"], ids::CONTOSO_MAIN_SITE_ID);
    assert_eq!(created["client_name"], "Contoso Ltd");
    assert_eq!(created["hasbeenclosed"], false);
    assert_eq!(created["agent_id"], 0);
    assert_eq!(created["custom_thing"], json!([1, 2]));
    assert!(created.get("dont_do_rules").is_none() && created.get("_novalidate").is_none());
    assert_eq!(halo.ticket(id).unwrap(), created);
    let actions = halo.actions(id);
    assert_eq!(actions.len(), 1);
    assert_eq!(actions[0]["who_type"], 0);

    // Found by supplier reference (case-insensitive contains), and a Problem with a category.
    let found = get(
        &halo,
        "/api/Tickets?search_supplier_reference=ALERT:abc",
        &t,
    )
    .await
    .json();
    assert_eq!(found["record_count"], 1);
    assert_eq!(found["tickets"][0]["id"], id);
    let r = post(
        &halo,
        "/api/Tickets?returnall=true",
        &t,
        &json!([{ "summary": "p", "client_id": 13, "tickettype_id": ids::TICKET_TYPE_PROBLEM,
                  "category_1": "Network", "priority_id": 1, "team": "2nd line support" }]),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()[0]["team"], "2nd Line Support");
}

#[tokio::test]
async fn actions_and_closing() {
    let halo = start().await;
    let t = token(&halo, "all").await;
    let id = post(
        &halo,
        "/api/Tickets",
        &t,
        &json!([{ "summary": "s", "client_id": 14 }]),
    )
    .await
    .json()["id"]
        .as_i64()
        .unwrap();

    let r = post(
        &halo,
        "/api/Actions",
        &t,
        &json!([{ "ticket_id": id, "note": "hi" }]),
    )
    .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json(),
        json!("An Outcome must be entered for this Action")
    );
    let r = post(
        &halo,
        "/api/Actions",
        &t,
        &json!([{ "ticket_id": 999_999, "outcome_id": 2 }]),
    )
    .await;
    assert_eq!(r.status, 404);

    let r = post(
        &halo,
        "/api/Actions",
        &t,
        &json!([{ "ticket_id": id, "outcome": "private note", "note": "n", "sendemail": false }]),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let a = r.json();
    assert_eq!(a["outcome_id"], ids::OUTCOME_PRIVATE_NOTE);
    assert_eq!(a["who_type"], 1);
    assert_eq!(a["who_agentid"], ids::API_AGENT_ID);
    assert_eq!(a["who"], ids::API_AGENT_NAME);
    assert_eq!(a["hiddenfromuser"], true);
    assert_eq!(halo.ticket(id).unwrap()["lastactiondate"], a["datetime"]);

    // Close with an action, re-open with a ticket update, close with a ticket update.
    let closed = halo.closed_status_id();
    let r = post(
        &halo,
        "/api/Actions",
        &t,
        &json!([{ "ticket_id": id, "outcome_id": ids::OUTCOME_CLOSE_TICKET, "new_status": closed }]),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let ticket = halo.ticket(id).unwrap();
    assert_eq!(ticket["status_id"], closed);
    assert_eq!(ticket["hasbeenclosed"], true);
    assert!(ticket["dateclosed"].is_string());
    let closed_list = get(&halo, "/api/Tickets?closed_only=true&client_id=14", &t)
        .await
        .json();
    assert_eq!(closed_list["tickets"][0]["id"], id);

    let r = post(
        &halo,
        "/api/Tickets",
        &t,
        &json!([{ "id": id, "status_id": ids::STATUS_IN_PROGRESS }]),
    )
    .await;
    assert_eq!(r.status, 200);
    assert!(r.json()["dateclosed"].is_null());
    assert_eq!(r.json()["hasbeenclosed"], false);
    let r = post(
        &halo,
        "/api/Tickets",
        &t,
        &json!([{ "id": id, "status_id": closed, "priority_id": 1 }]),
    )
    .await;
    assert!(r.json()["dateclosed"].is_string());
    assert_eq!(r.json()["priority_id"], 1);
    let r = post(
        &halo,
        "/api/Tickets",
        &t,
        &json!([{ "id": id, "priority_id": 6 }]),
    )
    .await;
    assert_eq!(r.status, 400, "priority of another SLA");
    let r = post(
        &halo,
        "/api/Tickets",
        &t,
        &json!([{ "id": 987_654, "summary": "x" }]),
    )
    .await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn technician_helpers() {
    let halo = start().await;
    let id = ids::SEED_TICKET_OPEN_ID;
    let before = halo.actions(id).len();
    halo.technician_note(id, "called the user");
    halo.technician_assign(id);
    halo.technician_set_status(id, halo.closed_status_id());
    let actions = halo.actions(id);
    assert_eq!(actions.len(), before + 3);
    for a in &actions[before..] {
        assert_eq!(a["who_type"], 1);
        assert_eq!(a["who_agentid"], ids::TECHNICIAN_AGENT_ID);
    }
    let ticket = halo.ticket(id).unwrap();
    assert_eq!(ticket["agent_id"], ids::TECHNICIAN_AGENT_ID);
    assert_eq!(ticket["hasbeenclosed"], true);
    halo.set_ticket_closed_at(id, "2024-01-02T03:04:05");
    assert_eq!(
        halo.ticket(id).unwrap()["dateclosed"],
        "2024-01-02T03:04:05"
    );
    halo.set_client_inactive(ids::CLIENT_CONTOSO_ID, true);
    assert_eq!(
        halo.client_by_name("Contoso Ltd").unwrap()["inactive"],
        true
    );
    // Seeded tickets were not created by the connector.
    assert!(halo
        .tickets()
        .iter()
        .all(|t| t.get("supplier_reference").is_none()));
}

#[tokio::test]
async fn status_rate_limit_html_and_malformed_faults() {
    let halo = start().await;
    let t = token(&halo, "all").await;
    halo.add_fault("kind=500,endpoint=GET /api/status,nth=2".parse().unwrap());
    assert_eq!(get(&halo, "/api/Status", &t).await.status, 200);
    let r = get(&halo, "/api/Status", &t).await;
    assert_eq!(r.status, 500);
    assert!(r.json().is_object());
    assert_eq!(get(&halo, "/api/Status", &t).await.status, 200);
    assert_eq!(halo.count("GET /api/status"), 3);
    halo.clear_faults();

    halo.add_fault("kind=429,retry-after=2,first=1".parse().unwrap());
    let r = get(&halo, "/api/Team", &t).await;
    assert_eq!(r.status, 429);
    assert_eq!(r.header("retry-after"), Some("2"));
    assert!(r.text().starts_with("Rate Limit Reached"));
    assert_eq!(get(&halo, "/api/Team", &t).await.status, 200);
    halo.clear_faults();

    halo.add_fault(FaultRule {
        endpoint: None,
        trigger: FaultTrigger::FirstN(1),
        fault: Fault::RateLimited { retry_after: None },
    });
    let r = get(&halo, "/api/Team", &t).await;
    assert_eq!(r.status, 429);
    assert_eq!(r.header("retry-after"), None);

    halo.add_fault("kind=bad-gateway,first=1".parse().unwrap());
    let r = get(&halo, "/api/Team", &t).await;
    assert_eq!(r.status, 502);
    assert!(r.header("content-type").unwrap().starts_with("text/html"));
    assert!(r.text().contains("<html>"));

    halo.add_fault("kind=malformed,first=1".parse().unwrap());
    let r = get(&halo, "/api/Team", &t).await;
    assert_eq!(r.status, 200);
    assert!(r
        .header("content-type")
        .unwrap()
        .starts_with("application/json"));
    assert!(serde_json::from_slice::<Value>(&r.body).is_err());

    halo.add_fault("kind=401,endpoint=/api/team,first=1".parse().unwrap());
    assert_eq!(get(&halo, "/api/Team", &t).await.status, 401);
}

#[tokio::test]
async fn truncated_wrong_type_huge_and_slow_faults() {
    let halo = start().await;
    let t = token(&halo, "all").await;
    let full = get(&halo, "/api/Outcome", &t).await;

    halo.add_fault("kind=truncated,first=1".parse().unwrap());
    let r = get(&halo, "/api/Outcome", &t).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body.len(), full.body.len() / 2);
    assert_eq!(
        r.header("content-length"),
        Some(r.body.len().to_string().as_str())
    );
    assert_eq!(&r.body[..], &full.body[..r.body.len()]);

    halo.add_fault("kind=html,first=1".parse().unwrap());
    let r = get(&halo, "/api/Outcome", &t).await;
    assert!(r.header("content-type").unwrap().starts_with("text/html"));
    assert_eq!(r.body, full.body);

    halo.add_fault("kind=huge,bytes=5000000,first=1".parse().unwrap());
    let r = get(&halo, "/api/Outcome", &t).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body.len(), 5_000_000);
    assert_eq!(r.header("content-length"), Some("5000000"));

    halo.add_fault("kind=slow,ms=80,first=1".parse().unwrap());
    let started = Instant::now();
    let r = get(&halo, "/api/Outcome", &t).await;
    assert!(started.elapsed() >= Duration::from_millis(80));
    assert_eq!(r.body, full.body);
}

#[tokio::test]
async fn reset_and_process_then_drop_send_no_response() {
    let halo = start().await;
    let t = token(&halo, "all").await;

    halo.add_fault(
        "kind=reset,endpoint=GET /api/status,first=1"
            .parse()
            .unwrap(),
    );
    let auth = format!("Bearer {t}");
    let r = send(
        &halo,
        "GET",
        "/api/Status",
        &[("Authorization", &auth)],
        b"",
    )
    .await;
    assert!(r.is_none(), "got a response: {r:?}");
    assert_eq!(get(&halo, "/api/Status", &t).await.status, 200);

    // It is a real TCP reset, not a clean close.
    halo.add_fault("kind=reset,first=1".parse().unwrap());
    let mut stream = TcpStream::connect(halo.addr()).await.unwrap();
    stream
        .write_all(b"GET /api/Status HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 64];
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf))
        .await
        .expect("no answer within 5 s");
    assert_eq!(
        read.map_err(|e| e.kind()).err(),
        Some(std::io::ErrorKind::ConnectionReset)
    );

    halo.add_fault(
        "kind=created-then-drop,endpoint=POST /api/tickets,every"
            .parse()
            .unwrap(),
    );
    let before = halo.tickets().len();
    let body = json!([{ "summary": "dropped", "client_id": 12 }]).to_string();
    let r = send(
        &halo,
        "POST",
        "/api/Tickets",
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        body.as_bytes(),
    )
    .await;
    assert!(r.is_none(), "got a response: {r:?}");
    assert_eq!(halo.tickets().len(), before + 1, "the ticket was created");
    assert_eq!(halo.count("POST /api/tickets"), 1);
}

#[tokio::test]
async fn rate_limit_answers_429_text() {
    let halo = MockHalo::start(MockConfig {
        rate_limit: Some(RateLimit {
            max_requests: 3,
            window: Duration::from_secs(60),
        }),
        ..MockConfig::default()
    })
    .await
    .unwrap();
    let t = token(&halo, "all").await;
    assert_eq!(get(&halo, "/api/Status", &t).await.status, 200);
    assert_eq!(get(&halo, "/api/Status", &t).await.status, 200);
    let r = get(&halo, "/api/Status", &t).await;
    assert_eq!(r.status, 429);
    assert_eq!(
        r.text(),
        "Rate Limit Reached - 3 Requests per rolling 1 minute window"
    );
    assert!(r.header("content-type").unwrap().starts_with("text/plain"));
    assert_eq!(r.header("retry-after"), None);
    assert_eq!(halo.count("GET /api/status"), 3);
}

#[tokio::test]
async fn shutdown_closes_the_port() {
    let halo = start().await;
    let addr = halo.addr();
    assert!(halo.base_url().starts_with("http://127.0.0.1:"));
    halo.shutdown().await;
    assert!(TcpStream::connect(addr).await.is_err());
}

#[test]
fn seed_is_deterministic_and_keeps_well_known_clients() {
    let names = |config: &MockConfig| -> Vec<String> {
        seed::build(config)
            .clients
            .values()
            .map(|c| c["name"].as_str().unwrap().to_string())
            .collect()
    };
    let a = names(&MockConfig::default());
    assert_eq!(a.len(), 300);
    assert_eq!(a, names(&MockConfig::default()));
    assert_ne!(
        a,
        names(&MockConfig {
            seed: 8,
            ..MockConfig::default()
        })
    );
    for w in ids::WELL_KNOWN_CLIENTS {
        assert!(a.iter().any(|n| n == w), "{w}");
    }
    let small = names(&MockConfig {
        clients: 3,
        ..MockConfig::default()
    });
    assert_eq!(small.len(), ids::WELL_KNOWN_CLIENTS.len());
    let store = seed::build(&MockConfig::default());
    let contoso = &store.clients[&ids::CLIENT_CONTOSO_ID];
    assert_eq!(contoso["website"], "https://www.contoso.com");
    assert_eq!(contoso["ref"], "CONTOSO-001");
    assert_eq!(contoso["main_site_id"], ids::CONTOSO_MAIN_SITE_ID);
    assert_eq!(store.closed_status_id(), ids::STATUS_CLOSED);
    let closed = &store.tickets[&ids::SEED_TICKET_CLOSED_ID];
    assert_eq!(closed["hasbeenclosed"], true);
    assert!(closed["dateclosed"].is_string());
    // Every client has a main site that belongs to it.
    for c in store.clients.values() {
        let site = &store.sites[&c["main_site_id"].as_i64().unwrap()];
        assert_eq!(site["client_id"], c["id"]);
    }
}

#[test]
fn handle_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<MockHalo>();
    assert_send_sync::<FaultRule>();
}
