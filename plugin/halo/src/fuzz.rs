//! Property tests ("fuzzing") of everything the connector does with Halo's answers: any status,
//! any bytes, any JSON shape, truncated bodies, and any answer to the token request — fed to
//! every operation of the contract. Besides "never a panic" (a panic would trap the component),
//! the outcomes are checked where they are known: a 200 whose body is not JSON is an
//! `invalid-response` (test-connection: a report whose probes failed), empty lists are empty
//! results, a token answer without a token is never used, a usable one is sent as answered.
//!
//! `cargo test -p halo-connector fuzz` runs proptest's default 256 cases per property. The long
//! run is `PROPTEST_CASES=200000 cargo test -p halo-connector --release fuzz`: 200,000 cases
//! per property (the README records its last result and time).

use proptest::prelude::*;
use serde_json::Value;

use std::cell::RefCell;
use std::rc::Rc;

use psa_connector_sdk::http::{Request, Response, TransportError};
use psa_connector_sdk::{operation, Connector};

use crate::session::HaloSession;
use crate::testing::{settings, Scripted, TOKEN};
use crate::types::*;

/// Valid-looking Halo bodies to mutate.
const SEEDS: &[&str] = &[
    r#"{"record_count":2,"clients":[{"id":1,"name":"A","inactive":false,"website":"a.com"},{"id":"2","name":null}]}"#,
    r#"{"record_count":1,"tickets":[{"id":7,"summary":"s","status_id":1,"client_id":3,"supplier_reference":"psa-connector#k","dateclosed":"2026-01-01T00:00:00"}]}"#,
    r#"[{"id":1,"name":"New"},{"id":9,"name":"Closed"}]"#,
    r#"{"id":7,"summary":"s","status_id":9,"details":"[alert-sync occurrence=2 occurrence-id=x]"}"#,
    r#"{"ticket_id":7,"record_count":1,"actions":[{"id":1,"who_type":1,"who_agentid":4,"note":"[alert-sync occurrence=9]"}]}"#,
    r#"[{"id":"g","priorityid":5,"slaid":2,"name":"High"}]"#,
    r#"{"id":21,"name":"Security Alert","default_sla":2,"fields":[{"name":"category_1","mandatory":true}]}"#,
    r#"[{"id":2,"outcome":"Private Note"}]"#,
    r#"{"id":1,"name":"PSA Integration"}"#,
];

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f)
            .map(Value::Number)
            .unwrap_or(Value::Null)),
        "[a-z_#:0-9 -]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        let keys = prop_oneof![
            Just("id".to_string()),
            Just("name".to_string()),
            Just("record_count".to_string()),
            Just("clients".to_string()),
            Just("tickets".to_string()),
            Just("actions".to_string()),
            Just("status_id".to_string()),
            Just("priorityid".to_string()),
            Just("fields".to_string()),
            Just("supplier_reference".to_string()),
            Just("dateclosed".to_string()),
            Just("who_agentid".to_string()),
            "[a-z_]{1,8}",
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(keys, inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A body: random JSON, a truncated or bit-flipped seed, or raw bytes.
fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        json_value().prop_map(|v| v.to_string().into_bytes()),
        (prop::sample::select(SEEDS), any::<prop::sample::Index>())
            .prop_map(|(seed, cut)| seed.as_bytes()[..cut.index(seed.len() + 1)].to_vec()),
        (
            prop::sample::select(SEEDS),
            any::<prop::sample::Index>(),
            any::<u8>()
        )
            .prop_map(|(seed, at, byte)| {
                let mut bytes = seed.as_bytes().to_vec();
                let i = at.index(bytes.len());
                bytes[i] = byte;
                bytes
            }),
        prop::sample::select(SEEDS).prop_map(|s| s.as_bytes().to_vec()),
        prop::collection::vec(any::<u8>(), 0..64),
    ]
}

#[derive(Debug, Clone)]
struct Answer {
    status: u16,
    body: Vec<u8>,
    transport_error: bool,
}

fn answer() -> impl Strategy<Value = Answer> {
    (
        prop::sample::select(vec![200u16, 200, 200, 400, 401, 403, 404, 429, 500, 502]),
        body(),
        prop::bool::weighted(0.05),
    )
        .prop_map(|(status, body, transport_error)| Answer {
            status,
            body,
            transport_error,
        })
}

fn profile() -> MappingProfile {
    MappingProfile {
        tenants: vec![TenantMapping {
            tenant_id: "t".into(),
            organization_id: "3".into(),
            site_id: None,
        }],
        fallback_organization_id: None,
        priorities: vec![PriorityMapping {
            severity: Severity::High,
            priority_id: "5".into(),
        }],
        default_status_id: None,
        ticket_type_id: Some("21".into()),
        team_id: None,
        category: None,
        strategy: SyncStrategy::TwoWay,
        reopen_window_hours: 24,
        reopen_status_id: None,
        close_status_id: None,
        rules: vec![],
        source_id: None,
    }
}

/// Every operation of the contract that talks to Halo (`info` and `session.open` make no
/// request: see [`opening_any_settings_is_a_session_or_invalid_settings`] and
/// [`info_describes_the_connector`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    TestConnection,
    ListOrganizations,
    GetOrganization,
    ListPriorities,
    ListStatuses,
    ListTicketTypes,
    ListTeams,
    SuggestMapping,
    ValidateMapping,
    CreateTicket,
    GetTicket,
    ListTickets,
    UpdateTicket,
    AddNote,
    CloseTicket,
    SyncAlert,
    ResolveAlert,
    TicketStates,
}

impl Op {
    const ALL: [Op; 18] = [
        Op::TestConnection,
        Op::ListOrganizations,
        Op::GetOrganization,
        Op::ListPriorities,
        Op::ListStatuses,
        Op::ListTicketTypes,
        Op::ListTeams,
        Op::SuggestMapping,
        Op::ValidateMapping,
        Op::CreateTicket,
        Op::GetTicket,
        Op::ListTickets,
        Op::UpdateTicket,
        Op::AddNote,
        Op::CloseTicket,
        Op::SyncAlert,
        Op::ResolveAlert,
        Op::TicketStates,
    ];
}

/// What an operation returned.
#[derive(Debug)]
#[allow(dead_code, reason = "every value is printed when a property fails")]
enum Out {
    Report(ConnectionReport),
    Organizations(OrganizationPage),
    Organization(Organization),
    Priorities(Vec<Priority>),
    Statuses(Vec<Status>),
    TicketTypes(Vec<TicketType>),
    Teams(Vec<Team>),
    Suggestions(Vec<MappingSuggestion>),
    Validation(ValidationReport),
    Change(TicketChange),
    Ticket(Ticket),
    Tickets(TicketPage),
    Note(NoteAdded),
    Sync(SyncOutcome),
    Resolve(ResolveOutcome),
    States(Vec<TicketState>),
}

/// The inputs an operation is called with (the parts the properties vary).
#[derive(Debug, Clone)]
struct Inputs {
    query: OrganizationQuery,
    tickets: TicketQuery,
    ids: Vec<String>,
    tenants: Vec<HostTenant>,
}

impl Default for Inputs {
    fn default() -> Self {
        Inputs {
            query: OrganizationQuery {
                search: None,
                include_inactive: false,
                page: None,
                page_size: None,
            },
            tickets: TicketQuery {
                organization_id: None,
                scope: TicketScope::All,
                open_only: true,
                page: None,
                page_size: None,
            },
            ids: vec!["7".into(), "8".into()],
            tenants: vec![HostTenant {
                id: "t".into(),
                name: "Contoso".into(),
                external_ids: vec![],
                domains: vec!["contoso.com".into()],
            }],
        }
    }
}

fn call(session: &HaloSession, op: Op, inputs: &Inputs) -> Result<Out, ConnectorError> {
    let alert = SyncRequest {
        alert: Alert {
            key: "k".into(),
            occurrence_id: Some("o".into()),
            tenant_id: "t".into(),
            severity: Severity::High,
            summary: "s".into(),
            details: "d".into(),
            contact: None,
            category: None,
            link_url: None,
            evidence: vec![],
        },
        link: Some("7".into()),
    };
    let request = TicketRequest {
        tenant_id: "t".into(),
        severity: Severity::High,
        summary: "s".into(),
        details: "d".into(),
        contact: None,
    };
    // Through `operation`, as every exported operation is run.
    operation(session, |session| match op {
        Op::TestConnection => session.test_connection().map(Out::Report),
        Op::ListOrganizations => session
            .list_organizations(inputs.query.clone())
            .map(Out::Organizations),
        Op::GetOrganization => session.get_organization("3").map(Out::Organization),
        Op::ListPriorities => session.list_priorities(Some("21")).map(Out::Priorities),
        Op::ListStatuses => session.list_statuses().map(Out::Statuses),
        Op::ListTicketTypes => session.list_ticket_types().map(Out::TicketTypes),
        Op::ListTeams => session.list_teams().map(Out::Teams),
        Op::SuggestMapping => session
            .suggest_mapping(&inputs.tenants)
            .map(Out::Suggestions),
        Op::ValidateMapping => session.validate_mapping(&profile()).map(Out::Validation),
        Op::CreateTicket => session.create_ticket(&profile(), &request).map(Out::Change),
        Op::GetTicket => session.get_ticket("7").map(Out::Ticket),
        Op::ListTickets => session.list_tickets(&inputs.tickets).map(Out::Tickets),
        Op::UpdateTicket => session
            .update_ticket(
                "7",
                &TicketUpdate {
                    priority_id: Some("5".into()),
                    status_id: Some("2".into()),
                    summary: Some("new".into()),
                    team_id: None,
                    fields: vec![("category_1".into(), "x".into())],
                },
            )
            .map(Out::Change),
        Op::AddNote => session
            .add_note(
                "7",
                &Note {
                    text: "n".into(),
                    private: true,
                },
            )
            .map(Out::Note),
        Op::CloseTicket => session
            .close_ticket(&profile(), "7", Some("done"))
            .map(Out::Change),
        Op::SyncAlert => session.sync_alert(&profile(), &alert).map(Out::Sync),
        Op::ResolveAlert => session
            .resolve_alert(
                &profile(),
                &ResolveRequest {
                    key: "k".into(),
                    link: None,
                },
            )
            .map(Out::Resolve),
        Op::TicketStates => session.ticket_states(&inputs.ids).map(Out::States),
    })
}

fn is_token_request(request: &Request) -> bool {
    request.url.path().ends_with("/token")
}

/// Runs one operation against a Halo that answers every API request from `answers`, in turn
/// (the token request gets a good token).
fn run(op: Op, answers: Vec<Answer>) -> Result<Out, ConnectorError> {
    let (transport, _log) = Scripted::new(move |req, n| {
        if is_token_request(req) {
            return crate::testing::json(200, TOKEN);
        }
        let a = &answers[n % answers.len()];
        if a.transport_error {
            return Err(TransportError::Failed("reset".into()));
        }
        Ok(Response {
            status: a.status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: a.body.clone(),
        })
    });
    let session = HaloSession::open(&settings(), transport).expect("valid settings");
    call(&session, op, &Inputs::default())
}

fn any_op() -> impl Strategy<Value = Op> {
    prop::sample::select(Op::ALL.to_vec())
}

/// A body that is not JSON: an HTML error page, text, a cut-off JSON seed, or raw bytes.
fn non_json_body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b"<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>".to_vec()),
        "[ -~]{0,40}".prop_map(String::into_bytes),
        (prop::sample::select(SEEDS), any::<prop::sample::Index>())
            .prop_map(|(seed, cut)| seed.as_bytes()[..cut.index(seed.len())].to_vec()),
        prop::collection::vec(any::<u8>(), 0..64),
    ]
    .prop_filter("not JSON", |b| serde_json::from_slice::<Value>(b).is_err())
}

/// The documented outcome of an operation when every API answer is a 200 that is not JSON.
fn check_non_json(op: Op, result: &Result<Out, ConnectorError>) -> Result<(), TestCaseError> {
    match (op, result) {
        // test-connection reports each probe as failed instead of failing.
        (Op::TestConnection, Ok(Out::Report(report))) => {
            prop_assert!(!report.ok, "{report:?}");
            prop_assert!(report.agent.is_none(), "{report:?}");
            for probe in ["read-organizations", "read-tickets", "read-lookups"] {
                let check = report.checks.iter().find(|c| c.name == probe);
                prop_assert!(
                    check.is_some_and(|c| !c.passed && c.hint.is_some()),
                    "{probe}: {report:?}"
                );
            }
        }
        (_, Err(ConnectorError::InvalidResponse(_))) if op != Op::TestConnection => {}
        (op, other) => prop_assert!(false, "{op:?}: expected invalid-response, got {other:?}"),
    }
    Ok(())
}

/// Halo with no records: every list is empty, in a plain array or an envelope.
fn empty_halo(request: &Request, envelope: bool) -> Result<Response, TransportError> {
    let path = request.url.path().to_ascii_lowercase();
    let list = |name: &str| {
        if envelope {
            format!(r#"{{"record_count":0,"{name}":[]}}"#)
        } else {
            "[]".to_string()
        }
    };
    if path.ends_with("/tickettype/21") {
        // The ticket type whose priorities are listed (it exists; it has none).
        return crate::testing::json(200, r#"{"id":21,"name":"Security Alert","default_sla":2}"#);
    }
    let body = match path.rsplit('/').next().unwrap_or_default() {
        "token" => TOKEN.to_string(),
        "me" => r#"{"id":1,"name":"PSA Integration"}"#.to_string(),
        "client" => list("clients"),
        "tickets" => list("tickets"),
        "status" => list("statuses"),
        "tickettype" => list("tickettypes"),
        "team" => list("teams"),
        "priority" => list("priorities"),
        "outcome" => list("outcomes"),
        _ => return crate::testing::json(404, r#"{"message":"Not found"}"#),
    };
    crate::testing::json(200, &body)
}

/// Operations that list something.
const LISTING: [Op; 9] = [
    Op::ListOrganizations,
    Op::ListPriorities,
    Op::ListStatuses,
    Op::ListTicketTypes,
    Op::ListTeams,
    Op::ListTickets,
    Op::SuggestMapping,
    Op::TicketStates,
    Op::ResolveAlert,
];

fn inputs() -> impl Strategy<Value = Inputs> {
    (
        prop::option::of("[a-z ]{0,8}"),
        any::<bool>(),
        prop::option::of(0u32..5),
        prop::option::of(0u32..500),
        prop::collection::vec("[1-9][0-9]{0,3}", 0..5),
        prop::collection::vec("[a-z]{1,6}", 0..4),
    )
        .prop_map(|(search, inactive, page, page_size, ids, tenants)| Inputs {
            query: OrganizationQuery {
                search,
                include_inactive: inactive,
                page,
                page_size,
            },
            tickets: TicketQuery {
                organization_id: None,
                scope: if inactive {
                    TicketScope::Own
                } else {
                    TicketScope::All
                },
                open_only: !inactive,
                page,
                page_size,
            },
            ids,
            tenants: tenants
                .into_iter()
                .map(|name| HostTenant {
                    id: format!("tenant-{name}"),
                    name: name.clone(),
                    external_ids: vec![name.clone()],
                    domains: vec![format!("{name}.example")],
                })
                .collect(),
        })
}

/// The answer to `POST /auth/token`: any status, a token-shaped JSON object with fields of any
/// type, a cut or bit-flipped good answer, or raw bytes.
#[derive(Debug, Clone)]
struct TokenAnswer {
    status: u16,
    body: Vec<u8>,
}

fn token_field() -> impl Strategy<Value = Value> {
    prop_oneof!["[A-Za-z0-9._-]{0,16}".prop_map(Value::String), json_value(),]
}

fn token_answer() -> impl Strategy<Value = TokenAnswer> {
    let shaped = (
        prop::option::of(token_field()),
        prop::option::of(prop_oneof![
            Just(Value::from("Bearer")),
            Just(Value::from("bearer")),
            token_field()
        ]),
        prop::option::of(prop_oneof![
            (-10i64..100_000).prop_map(Value::from),
            token_field()
        ]),
        prop::option::of(prop_oneof![
            Just(Value::from("all")),
            Just(Value::from("read:tickets edit:tickets read:customers")),
            token_field()
        ]),
        prop::option::of(prop_oneof![
            Just(Value::from("invalid_client")),
            Just(Value::from("invalid_scope")),
            token_field()
        ]),
    )
        .prop_map(|(access, kind, expires, scope, error)| {
            let mut obj = serde_json::Map::new();
            for (key, value) in [
                ("access_token", access),
                ("token_type", kind),
                ("expires_in", expires),
                ("scope", scope),
                ("error", error),
            ] {
                if let Some(value) = value {
                    obj.insert(key.into(), value);
                }
            }
            Value::Object(obj).to_string().into_bytes()
        });
    let body = prop_oneof![
        4 => shaped,
        1 => Just(TOKEN.as_bytes().to_vec()),
        1 => any::<prop::sample::Index>()
            .prop_map(|cut| TOKEN.as_bytes()[..cut.index(TOKEN.len())].to_vec()),
        1 => json_value().prop_map(|v| v.to_string().into_bytes()),
        1 => prop::collection::vec(any::<u8>(), 0..48),
    ];
    (
        prop::sample::select(vec![
            200u16, 200, 200, 200, 400, 401, 403, 404, 429, 500, 502,
        ]),
        body,
    )
        .prop_map(|(status, body)| TokenAnswer { status, body })
}

/// The token a 200 answer carries, as the connector must send it: `<token_type> <access_token>`
/// when `access_token` is a non-empty string (`token_type` defaults to `Bearer`).
fn usable_token(answer: &TokenAnswer) -> Option<String> {
    if answer.status != 200 {
        return None;
    }
    let json: Value = serde_json::from_slice(&answer.body).ok()?;
    // Halo's JSON is read leniently: a scalar is text, surrounding blanks do not count.
    let text = |key: &str| {
        let text = match json.get(key)? {
            Value::String(s) => s.trim().to_string(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => return None,
        };
        (!text.is_empty()).then_some(text)
    };
    let token = text("access_token")?;
    let kind = text("token_type").unwrap_or_else(|| "Bearer".into());
    Some(format!("{kind} {token}"))
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_answer_to_any_operation_is_a_value_or_a_typed_error(op in any::<u8>(), answers in prop::collection::vec(answer(), 1..6)) {
        // Each operation may succeed or fail; it must simply return.
        let _ = run(Op::ALL[usize::from(op) % Op::ALL.len()], answers);
    }

    #[test]
    fn a_200_that_is_not_json_is_an_invalid_response(op in any_op(), body in non_json_body(), html in any::<bool>()) {
        let (transport, log) = Scripted::new(move |req, _| {
            if is_token_request(req) {
                return crate::testing::json(200, TOKEN);
            }
            let content_type = if html { "text/html" } else { "application/json" };
            Ok(Response {
                status: 200,
                headers: vec![("content-type".into(), content_type.into())],
                body: body.clone(),
            })
        });
        let session = HaloSession::open(&settings(), transport).expect("valid settings");
        let result = call(&session, op, &Inputs::default());
        check_non_json(op, &result)?;
        // A write whose answer was unreadable is not re-sent blindly.
        prop_assert!(log.count("POST /api/Actions") <= 1, "{:?}", log.requests.borrow());
    }

    #[test]
    fn empty_lists_are_empty_results(op in prop::sample::select(LISTING.to_vec()), inputs in inputs(), envelope in any::<bool>()) {
        let (transport, _log) = Scripted::new(move |req, _| empty_halo(req, envelope));
        let session = HaloSession::open(&settings(), transport).expect("valid settings");
        let result = call(&session, op, &inputs);
        match (op, result) {
            (Op::ListOrganizations, Ok(Out::Organizations(page))) => {
                prop_assert!(page.items.is_empty() && page.total == 0, "{page:?}");
            }
            (Op::ListTickets, Ok(Out::Tickets(page))) => {
                prop_assert!(page.items.is_empty() && page.total == 0, "{page:?}");
            }
            (Op::ListPriorities, Ok(Out::Priorities(items))) => prop_assert!(items.is_empty()),
            (Op::ListStatuses, Ok(Out::Statuses(items))) => prop_assert!(items.is_empty()),
            (Op::ListTicketTypes, Ok(Out::TicketTypes(items))) => prop_assert!(items.is_empty()),
            (Op::ListTeams, Ok(Out::Teams(items))) => prop_assert!(items.is_empty()),
            (Op::SuggestMapping, Ok(Out::Suggestions(suggestions))) => {
                prop_assert_eq!(suggestions.len(), inputs.tenants.len());
                for (suggestion, tenant) in suggestions.iter().zip(&inputs.tenants) {
                    prop_assert_eq!(&suggestion.tenant_id, &tenant.id);
                    prop_assert!(suggestion.organization.is_none(), "{suggestion:?}");
                    prop_assert!(suggestion.alternatives.is_empty(), "{suggestion:?}");
                }
            }
            (Op::TicketStates, Ok(Out::States(states))) => {
                prop_assert_eq!(states.len(), inputs.ids.len());
                for (state, id) in states.iter().zip(&inputs.ids) {
                    prop_assert_eq!(&state.ticket_id, id);
                    prop_assert!(!state.found && state.status_id.is_none(), "{state:?}");
                }
            }
            (Op::ResolveAlert, Ok(Out::Resolve(outcome))) => {
                prop_assert_eq!(outcome.decision, ResolveDecision::NotFound);
                prop_assert!(outcome.ticket_id.is_none(), "{outcome:?}");
            }
            (op, other) => prop_assert!(false, "{op:?}: {other:?}"),
        }
    }

    #[test]
    fn any_token_answer_is_used_only_when_it_carries_a_token(op in any_op(), answer in token_answer()) {
        let sent = Rc::new(RefCell::new(Vec::<Option<String>>::new()));
        let seen = sent.clone();
        let token = answer.clone();
        let (transport, _log) = Scripted::new(move |req, _| {
            if is_token_request(req) {
                return Ok(Response {
                    status: token.status,
                    headers: vec![("content-type".into(), "application/json".into())],
                    body: token.body.clone(),
                });
            }
            let authorization = req
                .headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
                .map(|(_, v)| v.clone());
            let discovery = req.url.path().to_ascii_lowercase().ends_with("/authinfo");
            if !discovery {
                seen.borrow_mut().push(authorization);
            }
            empty_halo(req, true)
        });
        let session = HaloSession::open(&settings(), transport).expect("valid settings");
        let result = call(&session, op, &Inputs::default());
        let sent = sent.borrow();
        match usable_token(&answer) {
            Some(expected) => {
                // Every API request carries the token exactly as Halo issued it.
                for authorization in sent.iter() {
                    prop_assert_eq!(authorization.as_deref(), Some(expected.as_str()));
                }
            }
            None => {
                // No token, no API request: the operation fails with the token's error.
                prop_assert!(sent.is_empty(), "API requests without a token: {sent:?}");
                let Err(error) = &result else {
                    return Err(TestCaseError::fail(format!(
                        "{op:?} succeeded without a token: {result:?}"
                    )));
                };
                let non_json = serde_json::from_slice::<Value>(&answer.body).is_err();
                match answer.status {
                    200 => prop_assert!(
                        matches!(error, ConnectorError::InvalidResponse(_)),
                        "a 200 without a usable token is an invalid response: {error:?}"
                    ),
                    401 => prop_assert!(matches!(error, ConnectorError::AuthFailed(_)), "{error:?}"),
                    429 => prop_assert!(matches!(error, ConnectorError::RateLimited(_)), "{error:?}"),
                    _ if non_json && answer.status >= 500 => prop_assert!(
                        matches!(error, ConnectorError::Remote(_)),
                        "{error:?}"
                    ),
                    _ => prop_assert!(
                        !matches!(error, ConnectorError::InvalidInput(_) | ConnectorError::NotFound(_)),
                        "{error:?}"
                    ),
                }
            }
        }
    }

    #[test]
    fn opening_any_settings_is_a_session_or_invalid_settings(
        pairs in prop::collection::vec(
            (
                prop_oneof![
                    Just("base_url".to_string()),
                    Just("auth_url".to_string()),
                    Just("tenant".to_string()),
                    Just("client_id".to_string()),
                    Just("client_secret".to_string()),
                    Just("scope".to_string()),
                    Just("reference_prefix".to_string()),
                    Just("note_outcome".to_string()),
                    "[a-z_]{1,10}",
                ],
                prop_oneof![
                    Just("https://acme.halopsa.com".to_string()),
                    Just("http://127.0.0.1:8080/api/".to_string()),
                    "\\PC{0,24}",
                ],
            ),
            0..8,
        )
    ) {
        let (transport, log) = Scripted::new(|_, _| Err(TransportError::Failed("no request expected".into())));
        match HaloSession::open(&pairs, transport) {
            Ok(_) | Err(ConnectorError::InvalidSettings(_)) => {}
            Err(other) => prop_assert!(false, "{other:?}"),
        }
        prop_assert!(log.requests.borrow().is_empty(), "opening makes no request");
    }

    #[test]
    fn error_bodies_always_give_a_bounded_message(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let message = crate::errors::halo_message(&bytes);
        prop_assert!(!message.is_empty() && message.chars().count() <= 301);
    }

    #[test]
    fn halo_times_never_panic(text in "\\PC{0,30}") {
        let _ = psa_connector_sdk::time::parse_utc(&text);
        let _ = psa_connector_sdk::time::normalise(&text);
    }
}

#[test]
fn info_describes_the_connector() {
    let info = crate::session::info();
    assert!(!info.name.is_empty() && !info.version.is_empty());
    assert!(info
        .settings_form
        .iter()
        .any(|f| f.key == "base_url" && f.required));
}

/// A token answer whose `expires_in` is beyond what the clock can add (found by
/// `any_token_answer_is_used_only_when_it_carries_a_token` at 200,000 cases) must still give a
/// usable token, not a panic (a trap in the component).
#[test]
fn a_token_lifetime_beyond_the_clock_is_not_a_panic() {
    for body in [
        r#"{"access_token":"0","expires_in":4.536307035117198e+281}"#,
        r#"{"access_token":"t","expires_in":9223372036854775807}"#,
    ] {
        let (transport, log) = Scripted::new(move |req, _| {
            if is_token_request(req) {
                return crate::testing::json(200, body);
            }
            crate::testing::json(200, r#"[{"id":1,"name":"New"}]"#)
        });
        let session = HaloSession::open(&settings(), transport).expect("valid settings");
        let statuses =
            operation(&session, |s| s.list_statuses()).unwrap_or_else(|e| panic!("{body}: {e:?}"));
        assert_eq!(statuses.len(), 1, "{body}");
        assert_eq!(log.count("GET /api/Status"), 1, "{body}");
    }
}
