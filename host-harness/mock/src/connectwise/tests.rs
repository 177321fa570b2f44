//! End-to-end tests of the ConnectWise mock over real HTTP/1.1 (the crate's raw TcpStream
//! client).

use std::time::Duration;

use serde_json::{json, Value};

use super::seed_ids as ids;
use super::*;
use crate::test_client::{send, Resp};
use crate::FaultRule;

const API: &str = "/v4_6_release/apis/3.0";

async fn start() -> MockConnectWise {
    MockConnectWise::start(ConnectWiseConfig::default())
        .await
        .unwrap()
}

/// A request with the configured credentials and clientId.
async fn call(cw: &MockConnectWise, method: &str, target: &str, body: Option<&Value>) -> Resp {
    let auth = cw.authorization();
    let body = body.map(Value::to_string).unwrap_or_default();
    send(
        cw,
        method,
        &format!("{API}{target}"),
        &[
            ("Authorization", &auth),
            ("clientId", ids::CLIENT_ID),
            ("Content-Type", "application/json"),
        ],
        body.as_bytes(),
    )
    .await
    .expect("response")
}

async fn get(cw: &MockConnectWise, target: &str) -> Resp {
    call(cw, "GET", target, None).await
}

/// `conditions=<c>` URL-encoded.
fn cond(c: &str) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .append_pair("conditions", c)
        .finish()
}

fn ids_of(r: &Resp) -> Vec<i64> {
    r.json()
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {}", r.text()))
        .iter()
        .map(|v| v["id"].as_i64().unwrap())
        .collect()
}

fn assert_error(r: &Resp, status: u16, code: &str, needle: &str) {
    assert_eq!(r.status, status, "{}", r.text());
    let body = r.json();
    let text = body.to_string();
    assert_eq!(body["code"], code, "{text}");
    assert!(text.contains(needle), "`{needle}` not in {text}");
}

#[tokio::test]
async fn companyinfo_auth_and_client_id() {
    let cw = MockConnectWise::start(ConnectWiseConfig {
        public_key: "pub+lic".into(),
        private_key: "pri:v+ate".into(),
        ..ConnectWiseConfig::default()
    })
    .await
    .unwrap();

    // Discovery needs no auth; an unknown company is a 200 `null`.
    let r = send(&cw, "GET", "/login/companyinfo/PSADEMO", &[], b"")
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["Codebase"], "v4_6_release/");
    assert_eq!(r.json()["CompanyID"], ids::COMPANY_ID);
    assert_eq!(r.header("api-current-version"), Some(ids::API_VERSION));
    let r = send(&cw, "GET", "/login/companyinfo/nobody", &[], b"")
        .await
        .unwrap();
    assert_eq!((r.status, r.json()), (200, Value::Null));

    // Good credentials: the keys hold `+` and `:`, split on the first of each.
    let r = get(&cw, "/system/info").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["version"], ids::SERVER_VERSION);
    assert_eq!(r.json()["isCloud"], false);
    assert_eq!(r.header("api-current-version"), Some(ids::API_VERSION));
    // A versioned codebase works too; an unknown mount does not.
    let auth = cw.authorization();
    let good = [
        ("Authorization", auth.as_str()),
        ("clientId", ids::CLIENT_ID),
    ];
    let r = send(&cw, "GET", "/v2025_1/apis/3.0/system/info", &good, b"")
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    let r = send(&cw, "GET", "/v9/apis/3.0/system/info", &good, b"")
        .await
        .unwrap();
    assert_eq!(r.status, 404);

    // Missing or unknown clientId: 400 naming clientId, before the credentials are checked.
    let r = send(&cw, "GET", &format!("{API}/system/info"), &good[..1], b"")
        .await
        .unwrap();
    assert_error(&r, 400, "InvalidClientId", "clientId header is required");
    let r = send(
        &cw,
        "GET",
        &format!("{API}/system/info"),
        &[("clientId", "nope")],
        b"",
    )
    .await
    .unwrap();
    assert_error(&r, 400, "InvalidClientId", "clientId 'nope'");

    // Wrong private key, wrong split, no auth: 401 Unauthorized.
    for creds in [
        "psademo+pub+lic:wrong",
        "psademo:pub+lic:pri:v+ate",
        "psademo+pub:lic",
    ] {
        let header = format!("Basic {}", encode_base64(creds.as_bytes()));
        let r = send(
            &cw,
            "GET",
            &format!("{API}/system/info"),
            &[("Authorization", &header), ("clientId", ids::CLIENT_ID)],
            b"",
        )
        .await
        .unwrap();
        assert_error(&r, 401, "Unauthorized", "Authentication failed");
        assert_eq!(r.header("api-current-version"), Some(ids::API_VERSION));
    }
    let r = send(&cw, "GET", &format!("{API}/system/info"), &good[1..], b"")
        .await
        .unwrap();
    assert_error(&r, 401, "Unauthorized", "");

    // The API member can be found.
    let r = get(
        &cw,
        &format!("/system/members?{}", cond("identifier=\"PsaIntegration\"")),
    )
    .await;
    assert_eq!(ids_of(&r), [ids::API_MEMBER_ID]);
    assert_eq!(cw.count("GET /system/info"), 8);
    assert_eq!(cw.count("GET /login/companyinfo/{id}"), 2);
}

#[tokio::test]
async fn paging_link_headers_and_count() {
    let cw = start().await;
    assert_eq!(
        get(&cw, "/company/companies/count").await.json(),
        json!({ "count": 300 })
    );
    let live = get(
        &cw,
        &format!("/company/companies/count?{}", cond("deletedFlag=false")),
    )
    .await;
    assert_eq!(live.json()["count"], 299);

    // Default page size 25, 1-based.
    let r = get(&cw, "/company/companies").await;
    assert_eq!(ids_of(&r).len(), 25);
    let link = r.header("link").unwrap().to_string();
    assert!(
        link.contains("page=1&pageSize=25>; rel=\"first\""),
        "{link}"
    );
    assert!(link.contains("page=2&pageSize=25>; rel=\"next\""), "{link}");
    assert!(
        link.contains("page=12&pageSize=25>; rel=\"last\""),
        "{link}"
    );
    assert!(!link.contains("rel=\"prev\""), "{link}");
    assert!(
        link.starts_with(&format!("<{}{API}/company/companies?", cw.base_url())),
        "{link}"
    );

    // A middle page, the last page, past the end.
    let r = get(&cw, "/company/companies?page=2&pageSize=100").await;
    let page2 = ids_of(&r);
    assert_eq!(page2.len(), 100);
    let link = r.header("link").unwrap();
    for rel in ["first", "prev", "next", "last"] {
        assert!(link.contains(&format!("rel=\"{rel}\"")), "{rel}: {link}");
    }
    let r = get(&cw, "/company/companies?page=3&pageSize=100").await;
    assert_eq!(ids_of(&r).len(), 100);
    assert!(!r.header("link").unwrap().contains("rel=\"next\""));
    let r = get(&cw, "/company/companies?page=4&pageSize=100").await;
    assert_eq!((r.status, r.json()), (200, json!([])));

    // pageSize is clamped to 1000; conditions survive in the Link.
    let r = get(&cw, "/company/companies?pageSize=5000").await;
    assert_eq!(ids_of(&r).len(), 300);
    let r = get(
        &cw,
        &format!(
            "/company/companies?pageSize=2&{}",
            cond("name like \"Adatum%\"")
        ),
    )
    .await;
    assert_eq!(
        ids_of(&r),
        [
            ids::COMPANY_ADATUM_CORPORATION_ID,
            ids::COMPANY_ADATUM_CORP_ID
        ]
    );
    assert!(r.header("link").unwrap().contains("conditions=name+like"));

    // Forward-only: id > pageId, next pageId in the Link while more remain; orderBy refused.
    let fwd = [("pagination-type", "forward-only")];
    let auth = cw.authorization();
    let mut h: Vec<(&str, &str)> = vec![("Authorization", &auth), ("clientId", ids::CLIENT_ID)];
    h.extend(fwd);
    let r = send(
        &cw,
        "GET",
        &format!("{API}/company/companies?pageSize=200&pageId=250"),
        &h,
        b"",
    )
    .await
    .unwrap();
    let got = ids_of(&r);
    assert_eq!(got.len(), 200);
    assert!(got.iter().all(|id| *id > 250));
    let link = r.header("link").unwrap();
    assert!(
        link.contains(&format!("pageId={}", got[199])) && link.contains("rel=\"next\""),
        "{link}"
    );
    let r = send(
        &cw,
        "GET",
        &format!("{API}/company/companies?orderBy=name&pageId=1"),
        &h,
        b"",
    )
    .await
    .unwrap();
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn conditions_quoting_order_and_fields() {
    let cw = start().await;
    let find = |c: &str| format!("/company/companies?pageSize=1000&{}", cond(c));

    assert_eq!(
        ids_of(&get(&cw, &find("name=\"Smith & Sons Limited\"")).await),
        [ids::COMPANY_SMITH_AND_SONS_ID]
    );
    assert_eq!(
        ids_of(&get(&cw, &find("name='O\\'Brien Plumbing'")).await),
        [ids::COMPANY_OBRIEN_ID]
    );
    // Case-insensitive equality finds both spellings.
    assert_eq!(
        ids_of(&get(&cw, &find("name = \"northwind traders gmbh\"")).await),
        [ids::COMPANY_NORTHWIND_ID, ids::COMPANY_NORTHWIND_UPPER_ID]
    );
    assert_eq!(
        ids_of(
            &get(
                &cw,
                &find("identifier in (\"Contoso\", \"Fabrikam\") and not deletedFlag = true")
            )
            .await
        ),
        [ids::COMPANY_CONTOSO_ID, ids::COMPANY_FABRIKAM_ID]
    );
    assert_eq!(
        ids_of(
            &get(
                &cw,
                &find("name contains \"tailspin\" and deletedFlag=false")
            )
            .await
        ),
        Vec::<i64>::new()
    );
    let quoted = get(&cw, &find("name = \"Quote \\\"Marks\\\" Inc\"")).await;
    assert_eq!(ids_of(&quoted).len(), 1, "{}", quoted.text());

    // An injection attempt, escaped, is one literal: no match, no error.
    let r = get(&cw, &find(r#"name = "x\" or id>0 or name=\"""#)).await;
    assert_eq!((r.status, r.json()), (200, json!([])));
    // Unescaped, it is parsed as conditions and `x` is refused.
    let r = get(&cw, &find(r#"name = "x" or id>0 or x="""#)).await;
    assert_error(&r, 400, "ApiFindCondition", "x is not a recognized name.");
    let r = get(
        &cw,
        &format!("/service/tickets?{}", cond("board/nam = \"Help Desk\"")),
    )
    .await;
    assert_error(
        &r,
        400,
        "ApiFindCondition",
        "board/nam is not a recognized name.",
    );
    let r = get(&cw, &format!("/service/tickets?{}", cond("closedFlag = 1"))).await;
    assert_error(&r, 400, "ApiFindCondition", "Expected a boolean value");

    // Slash paths, datetimes, externalXRef.
    let tickets = |c: &str| format!("/service/tickets?{}", cond(c));
    assert_eq!(
        ids_of(
            &get(
                &cw,
                &tickets("company/id=19 and closedFlag=false and board/name=\"Help Desk\"")
            )
            .await
        ),
        [ids::TICKET_CONTOSO_OPEN]
    );
    assert_eq!(
        ids_of(
            &get(
                &cw,
                &tickets(&format!("externalXRef=\"{}\"", ids::TICKET_ALERT_XREF))
            )
            .await
        ),
        [ids::TICKET_ALERT]
    );
    assert_eq!(
        ids_of(&get(&cw, &tickets("status/name = \">Closed\"")).await),
        [ids::TICKET_FABRIKAM_CLOSED]
    );
    assert_eq!(
        ids_of(&get(&cw, &tickets("lastUpdated > [2025-01-07T00:00:00Z]")).await),
        [ids::TICKET_FABRIKAM_CLOSED]
    );

    // orderBy and fields.
    let r = get(
        &cw,
        &format!(
            "/company/companies?orderBy=name%20desc&fields=id,name,status/name&{}",
            cond("name like 'Adatum%'")
        ),
    )
    .await;
    assert_eq!(
        r.json(),
        json!([{ "id": ids::COMPANY_ADATUM_CORPORATION_ID, "name": "Adatum Corporation", "status": { "name": "Active" } },
               { "id": ids::COMPANY_ADATUM_CORP_ID, "name": "Adatum Corp", "status": { "name": "Active" } }])
    );
    let r = get(&cw, "/company/companies?orderBy=colour").await;
    assert_error(
        &r,
        400,
        "ApiFindCondition",
        "colour is not a recognized name.",
    );
}

#[tokio::test]
async fn boards_statuses_and_lookups() {
    let cw = start().await;
    let boards = get(&cw, "/service/boards?pageSize=100").await.json();
    assert_eq!(boards.as_array().unwrap().len(), 5);
    let r = get(
        &cw,
        &format!(
            "/service/boards?{}",
            cond("inactiveFlag=false and projectFlag=false")
        ),
    )
    .await;
    assert_eq!(
        ids_of(&r),
        [
            ids::BOARD_HELP_DESK,
            ids::BOARD_ALERTS,
            ids::BOARD_NO_CLOSED_STATUS
        ]
    );
    let r = get(
        &cw,
        &format!(
            "/service/boards/{}/statuses?{}",
            ids::BOARD_ALERTS,
            cond("closedStatus=true and inactive=false")
        ),
    )
    .await;
    assert_eq!(ids_of(&r), [ids::ALERTS_STATUS_CLOSED]);
    let r = get(
        &cw,
        &format!(
            "/service/boards/{}/statuses/count",
            ids::BOARD_NO_CLOSED_STATUS
        ),
    )
    .await;
    assert_eq!(r.json()["count"], 2);
    let r = get(&cw, &format!("/service/boards/{}/teams", ids::BOARD_ALERTS)).await;
    assert_eq!(
        ids_of(&r),
        [ids::ALERTS_TEAM_SECOPS, ids::ALERTS_TEAM_TIER2]
    );
    let r = get(
        &cw,
        &format!(
            "/service/boards/{}/types/{}",
            ids::BOARD_ALERTS,
            ids::ALERTS_TYPE_ALERT
        ),
    )
    .await;
    assert_eq!(r.json()["defaultFlag"], true);
    let r = get(
        &cw,
        &format!("/service/boards/{}/subtypes", ids::BOARD_ALERTS),
    )
    .await;
    assert_eq!(ids_of(&r).len(), 2);
    let r = get(&cw, "/service/priorities?orderBy=sortOrder").await;
    assert_eq!(
        ids_of(&r),
        [
            ids::PRIORITY_EMERGENCY,
            ids::PRIORITY_QUICK,
            ids::PRIORITY_NORMAL,
            ids::PRIORITY_SCHEDULE
        ]
    );
    assert_error(
        &get(&cw, "/service/boards/999/statuses").await,
        404,
        "NotFound",
        "Service Board 999 not found",
    );
    assert_error(
        &get(&cw, "/company/companies/77777").await,
        404,
        "NotFound",
        "Company 77777 not found",
    );
    let r = call(&cw, "POST", "/company/companies", Some(&json!({}))).await;
    assert_eq!(r.status, 405);
}

#[tokio::test]
async fn contacts_by_email_and_on_tickets() {
    let cw = start().await;
    let child = url::form_urlencoded::Serializer::new(String::new())
        .append_pair(
            "childConditions",
            &format!(
                "communicationItems/value = \"{}\"",
                ids::CONTACT_CONTOSO_EMAIL
            ),
        )
        .finish();
    let r = get(
        &cw,
        &format!("/company/contacts?{child}&{}", cond("inactiveFlag = false")),
    )
    .await;
    assert_eq!(ids_of(&r), [ids::CONTACT_CONTOSO_ID]);
    let r = get(
        &cw,
        &format!("/company/contacts/count?{}", cond("company/id = 19")),
    )
    .await;
    assert_eq!(r.json()["count"], 3);

    let body = json!({ "summary": "s", "company": { "id": ids::COMPANY_CONTOSO_ID },
                       "contact": { "id": ids::CONTACT_CONTOSO_ID } });
    let r = call(&cw, "POST", "/service/tickets", Some(&body)).await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(
        r.json()["contact"],
        json!({ "id": ids::CONTACT_CONTOSO_ID, "name": "Alex Johnson" })
    );
    let body = json!({ "summary": "s", "company": { "id": ids::COMPANY_CONTOSO_ID },
                       "contact": { "id": ids::CONTACT_CONTOSO_INACTIVE_ID } });
    let r = call(&cw, "POST", "/service/tickets", Some(&body)).await;
    assert_error(&r, 400, "InvalidObject", "contact/id");
}

#[tokio::test]
async fn ticket_create_rules() {
    let cw = start().await;
    let create = |body: Value| {
        let cw = &cw;
        async move { call(cw, "POST", "/service/tickets", Some(&body)).await }
    };
    let contoso = json!({ "id": ids::COMPANY_CONTOSO_ID });
    let cases = [
        (
            json!({ "company": contoso }),
            "MissingRequiredField",
            "The field summary is required.",
        ),
        (
            json!({ "summary": "x".repeat(101), "company": contoso }),
            "MaxLengthField",
            "maximum length of 100",
        ),
        (
            json!({ "summary": "s" }),
            "MissingRequiredField",
            "The field company is required.",
        ),
        (
            json!({ "summary": "s", "company": "Contoso" }),
            "InvalidObject",
            "must be an object",
        ),
        (
            json!({ "summary": "s", "company": { "id": 999999 } }),
            "NotFound",
            "Company 999999 not found",
        ),
        (
            json!({ "summary": "s", "company": { "id": ids::COMPANY_DELETED_ID } }),
            "NotFound",
            "company/id",
        ),
        (
            json!({ "summary": "s", "company": { "identifier": "NoSuchCo" } }),
            "NotFound",
            "company/identifier",
        ),
        (
            json!({ "summary": "s", "company": contoso, "board": { "id": ids::BOARD_INACTIVE } }),
            "InvalidObject",
            "is inactive",
        ),
        (
            json!({ "summary": "s", "company": contoso, "board": { "id": ids::BOARD_PROJECT } }),
            "InvalidObject",
            "project board",
        ),
        (
            json!({ "summary": "s", "company": contoso, "board": { "name": "Nope" } }),
            "NotFound",
            "Service Board 'Nope' not found",
        ),
        (
            json!({ "summary": "s", "company": contoso, "status": { "id": ids::HELP_DESK_STATUS_NEW } }),
            "NotFound",
            "Service Status 1 not found for Service Board 21",
        ),
        (
            json!({ "summary": "s", "company": contoso, "team": { "id": ids::HELP_DESK_TEAM } }),
            "NotFound",
            "team/id",
        ),
        (
            json!({ "summary": "s", "company": contoso, "priority": 17 }),
            "InvalidObject",
            "priority must be an object",
        ),
        (
            json!({ "summary": "s", "company": contoso, "externalXRef": "k".repeat(101) }),
            "MaxLengthField",
            "externalXRef",
        ),
    ];
    for (body, nested, needle) in cases {
        let r = create(body.clone()).await;
        assert_error(&r, 400, "InvalidObject", needle);
        let text = r.text();
        assert!(
            text.contains(&format!("\"code\":\"{nested}\"")),
            "{body}: {text}"
        );
    }
    assert!(call(&cw, "POST", "/service/tickets", None).await.status == 400);

    // Defaults from the API member's board; initialDescription becomes the first note.
    let r = create(json!({ "summary": "Malware on WS-1", "company": { "identifier": "contoso" },
                          "initialDescription": "Details of the alert", "externalXRef": "k".repeat(100) }))
    .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let t = r.json();
    assert_eq!(t["id"], ids::FIRST_NEW_TICKET_ID);
    assert_eq!(
        t["board"],
        json!({ "id": ids::BOARD_ALERTS, "name": ids::BOARD_ALERTS_NAME })
    );
    assert_eq!(t["status"]["id"], ids::ALERTS_STATUS_NEW);
    assert_eq!(t["type"]["id"], ids::ALERTS_TYPE_ALERT);
    assert_eq!(t["priority"]["id"], ids::PRIORITY_NORMAL);
    assert_eq!(t["company"]["id"], ids::COMPANY_CONTOSO_ID);
    assert_eq!(t["closedFlag"], false);
    assert_eq!(t["_info"]["updatedBy"], ids::API_MEMBER_IDENTIFIER);
    assert!(t["_info"]["dateEntered"].as_str().unwrap().ends_with('Z'));
    assert!(t.get("initialDescription").is_none());
    let notes = cw.notes(ids::FIRST_NEW_TICKET_ID);
    assert_eq!(notes.len(), 1);
    assert_eq!(
        (
            notes[0]["text"].clone(),
            notes[0]["detailDescriptionFlag"].clone()
        ),
        (json!("Details of the alert"), json!(true))
    );
    assert_eq!(
        get(
            &cw,
            &format!("/service/tickets/{}", ids::FIRST_NEW_TICKET_ID)
        )
        .await
        .json(),
        t
    );

    // Board by name, status/priority/team by name or id.
    let r = create(json!({ "summary": "Printer", "company": contoso, "board": { "name": "help desk" },
                          "status": { "name": "In Progress" }, "priority": { "id": ids::PRIORITY_QUICK },
                          "team": { "id": ids::HELP_DESK_TEAM } }))
    .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let t = r.json();
    assert_eq!(
        (t["board"]["id"].clone(), t["status"]["id"].clone()),
        (
            json!(ids::BOARD_HELP_DESK),
            json!(ids::HELP_DESK_STATUS_IN_PROGRESS)
        )
    );
    assert_eq!(t["team"]["name"], "Service Desk");
    assert_eq!(cw.count("POST /service/tickets"), 17);
}

#[tokio::test]
async fn patch_closes_and_reopens() {
    let cw = start().await;
    let id = ids::TICKET_ALERT;
    let patch = |ops: Value| {
        let cw = &cw;
        async move { call(cw, "PATCH", &format!("/service/tickets/{id}"), Some(&ops)).await }
    };
    let r = patch(json!([{ "op": "replace", "path": "/status", "value": { "id": ids::ALERTS_STATUS_CLOSED } },
                         { "op": "replace", "path": "summary", "value": "Closed by the platform" }]))
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let t = r.json();
    assert_eq!(t["closedFlag"], true);
    assert_eq!(t["closedBy"], ids::API_MEMBER_IDENTIFIER);
    assert!(t["closedDate"].is_string());
    assert_eq!(t["summary"], "Closed by the platform");

    // "Resolved" is not a closed status: the ticket re-opens.
    let r = patch(json!([{ "op": "replace", "path": "status", "value": { "name": "Resolved" } }]))
        .await;
    let t = r.json();
    assert_eq!(
        (t["closedFlag"].clone(), t["status"]["id"].clone()),
        (json!(false), json!(ids::ALERTS_STATUS_RESOLVED))
    );
    assert!(t.get("closedDate").is_none() && t.get("closedBy").is_none());

    // A sub-path answers 200 and changes nothing (as ConnectWise does).
    let r = patch(
        json!([{ "op": "replace", "path": "status/id", "value": ids::ALERTS_STATUS_CLOSED }]),
    )
    .await;
    assert_eq!(
        (r.status, r.json()["closedFlag"].clone()),
        (200, json!(false))
    );
    // closedFlag directly; remove an optional field; add a team.
    let r = patch(
        json!([{ "op": "replace", "path": "closedFlag", "value": true },
                         { "op": "add", "path": "team", "value": { "id": ids::ALERTS_TEAM_TIER2 } },
                         { "op": "remove", "path": "externalXRef" }]),
    )
    .await;
    let t = r.json();
    assert_eq!(
        (t["closedFlag"].clone(), t["team"]["id"].clone()),
        (json!(true), json!(ids::ALERTS_TEAM_TIER2))
    );
    assert!(t["closedDate"].is_string() && t.get("externalXRef").is_none());

    // Errors.
    assert_error(
        &patch(json!({ "op": "replace" })).await,
        400,
        "InvalidObject",
        "JSON array",
    );
    assert_error(
        &patch(json!([{ "op": "replace", "path": "status", "value": 5 }])).await,
        400,
        "InvalidObject",
        "must be an object",
    );
    assert_error(
        &patch(json!([{ "op": "replace", "path": "status", "value": { "id": ids::HELP_DESK_STATUS_CLOSED } }])).await,
        400,
        "InvalidObject",
        "Service Status 6 not found for Service Board 21",
    );
    assert_error(
        &patch(json!([{ "op": "remove", "path": "summary" }])).await,
        400,
        "InvalidObject",
        "MissingRequiredField",
    );
    assert_error(
        &patch(json!([{ "op": "replace", "path": "Summary", "value": "x" }])).await,
        400,
        "InvalidObject",
        "case-sensitive",
    );
    assert_error(
        &patch(json!([{ "op": "move", "path": "summary" }])).await,
        400,
        "InvalidObject",
        "Unsupported patch op",
    );
    let r = call(&cw, "PATCH", "/service/tickets/999999", Some(&json!([]))).await;
    assert_eq!(
        r.json(),
        json!({ "code": "NotFound", "message": "Ticket 999999 not found", "errors": null })
    );
    assert_eq!(r.status, 404);
    assert_eq!(
        call(
            &cw,
            "PUT",
            &format!("/service/tickets/{id}"),
            Some(&json!({}))
        )
        .await
        .status,
        405
    );
    assert_eq!(
        call(&cw, "DELETE", &format!("/service/tickets/{id}"), None)
            .await
            .status,
        405
    );
}

#[tokio::test]
async fn notes_need_a_display_flag() {
    let cw = start().await;
    let id = ids::TICKET_CONTOSO_OPEN;
    let r = call(
        &cw,
        "POST",
        &format!("/service/tickets/{id}/notes"),
        Some(&json!({ "text": "hello" })),
    )
    .await;
    assert_error(&r, 400, "InvalidObject", "serviceNote object is invalid");
    assert!(r
        .text()
        .contains("Please choose where to display the notes"));
    let r = call(
        &cw,
        "POST",
        &format!("/service/tickets/{id}/notes"),
        Some(&json!({ "internalAnalysisFlag": true })),
    )
    .await;
    assert_error(&r, 400, "InvalidObject", "The field text is required.");

    let r = call(
        &cw,
        "POST",
        &format!("/service/tickets/{id}/notes"),
        Some(&json!({ "text": "Alert seen again", "internalAnalysisFlag": true })),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let note = r.json();
    assert_eq!(
        (note["ticketId"].clone(), note["internalFlag"].clone()),
        (json!(id), json!(true))
    );
    assert_eq!(note["createdBy"], ids::API_MEMBER_IDENTIFIER);
    let list = get(
        &cw,
        &format!(
            "/service/tickets/{id}/notes?{}",
            cond("internalAnalysisFlag=true")
        ),
    )
    .await;
    assert_eq!(ids_of(&list).len(), 2);
    assert_eq!(
        get(&cw, &format!("/service/tickets/{id}/notes/count"))
            .await
            .json()["count"],
        3
    );
    let one = get(&cw, &format!("/service/tickets/{id}/notes/{}", note["id"])).await;
    assert_eq!(one.json(), note);
    let all = get(&cw, &format!("/service/tickets/{id}/allNotes"))
        .await
        .json();
    assert_eq!(all.as_array().unwrap().len(), 3);
    assert_eq!(all[0]["noteType"], "TicketNote");
    assert_error(
        &get(&cw, "/service/tickets/424242/notes").await,
        404,
        "NotFound",
        "Ticket 424242 not found",
    );

    // search with the conditions in the body.
    let r = call(
        &cw,
        "POST",
        "/service/tickets/search",
        Some(&json!({ "conditions": "company/identifier = \"Contoso\"" })),
    )
    .await;
    assert_eq!(ids_of(&r), [ids::TICKET_CONTOSO_OPEN, ids::TICKET_ALERT]);
}

#[tokio::test]
async fn faults_expectations_and_counts() {
    let cw = start().await;
    cw.expect("GET /company/companies", 2);
    cw.expect("POST /service/tickets", 2);
    cw.add_fault(
        "kind=429,retry-after=2,endpoint=GET /company/companies,nth=1"
            .parse::<FaultRule>()
            .unwrap(),
    );
    cw.add_fault(
        "kind=500,endpoint=POST /service/tickets,first=1"
            .parse()
            .unwrap(),
    );
    cw.add_fault(
        "kind=403,endpoint=GET /v2025_1/apis/3.0/service/boards"
            .parse()
            .unwrap(),
    );

    let r = get(&cw, "/company/companies").await;
    assert_eq!(r.status, 429);
    assert_eq!(r.header("retry-after"), Some("2"));
    assert_eq!(r.json()["error"], "ConnectWiseAPI");
    assert_eq!(r.header("api-current-version"), Some(ids::API_VERSION));
    assert_eq!(get(&cw, "/company/companies").await.status, 200);

    let body = json!({ "summary": "s", "company": { "id": ids::COMPANY_CONTOSO_ID } });
    assert_eq!(
        call(&cw, "POST", "/service/tickets", Some(&body))
            .await
            .status,
        500
    );
    assert_eq!(
        call(&cw, "POST", "/service/tickets", Some(&body))
            .await
            .status,
        201
    );
    assert_error(
        &get(&cw, "/service/boards").await,
        403,
        "Security",
        "security permission",
    );
    assert_eq!(cw.faults_fired(), 3);
    assert_eq!(
        cw.tickets().len(),
        4,
        "the faulted create was not processed"
    );
    assert!(cw.verify().is_ok(), "{:?}", cw.verify());
    assert_eq!(cw.counts().get("GET /service/boards"), Some(&1));

    // An unmet expectation is reported.
    cw.expect("GET /system/info", 1);
    let report = cw.verify().unwrap_err();
    assert!(
        report.contains("`GET /system/info`: expected exactly 1, received 0"),
        "{report}"
    );
    cw.clear_expectations();
    cw.clear_faults();

    // Even a streamed fault body carries the version header.
    cw.add_fault(
        "kind=huge,bytes=64,endpoint=GET /system/info"
            .parse()
            .unwrap(),
    );
    let r = get(&cw, "/system/info").await;
    assert_eq!((r.status, r.body.len()), (200, 64));
    assert_eq!(r.header("api-current-version"), Some(ids::API_VERSION));
    assert_eq!(
        cw.received().last().unwrap().header("clientid"),
        Some(ids::CLIENT_ID)
    );
}

#[tokio::test]
async fn rate_limit_answers_429_with_retry_after() {
    let cw = MockConnectWise::start(ConnectWiseConfig {
        rate_limit: Some(RateLimit {
            max_requests: 2,
            window: Duration::from_secs(60),
        }),
        ..ConnectWiseConfig::default()
    })
    .await
    .unwrap();
    assert_eq!(get(&cw, "/system/info").await.status, 200);
    assert_eq!(get(&cw, "/system/info").await.status, 200);
    let r = get(&cw, "/system/info").await;
    assert_eq!(r.status, 429);
    assert_eq!(r.header("retry-after"), Some("60"));
    assert!(r.json()["message"]
        .as_str()
        .unwrap()
        .contains("Too many requests"));
}

#[tokio::test]
async fn a_member_acting_on_a_ticket() {
    let cw = start().await;
    let id = ids::TICKET_CONTOSO_OPEN;
    cw.member_note(id, "Called the user");
    cw.member_assign(id);
    let t = cw.ticket(id).unwrap();
    assert_eq!(t["owner"]["identifier"], ids::TECHNICIAN_MEMBER_IDENTIFIER);
    assert_eq!(t["_info"]["updatedBy"], ids::TECHNICIAN_MEMBER_IDENTIFIER);
    let last = cw.notes(id).pop().unwrap();
    assert_eq!(
        (last["text"].clone(), last["member"]["id"].clone()),
        (json!("Called the user"), json!(ids::TECHNICIAN_MEMBER_ID))
    );
    cw.member_set_status(id, ids::HELP_DESK_STATUS_COMPLETED);
    let t = cw.ticket(id).unwrap();
    assert_eq!(
        (t["closedFlag"].clone(), t["closedBy"].clone()),
        (json!(true), json!(ids::TECHNICIAN_MEMBER_IDENTIFIER))
    );
    cw.set_ticket_closed_at(id, "2025-02-01T00:00:00Z");
    assert_eq!(cw.ticket(id).unwrap()["closedDate"], "2025-02-01T00:00:00Z");
    assert_eq!(
        cw.company_by_name("Adatum Corp").unwrap()["id"],
        ids::COMPANY_ADATUM_CORP_ID
    );
    assert_eq!(cw.board_statuses(ids::BOARD_HELP_DESK).len(), 4);
    assert_eq!(cw.total_requests(), 0, "helpers make no requests");
    let settings = cw.connector_settings();
    assert_eq!(settings[0], ("site".to_string(), cw.base_url()));
    assert_eq!(settings.len(), 5);
}
