//! Property tests ("fuzzing") of everything the connector does with Halo's answers: any status,
//! any bytes, any JSON shape, truncated bodies — every operation must end in a value or a typed
//! `connector-error`, never a panic (a panic would trap the component).
//!
//! `cargo test -p halo-connector fuzz` runs a short budget; `PROPTEST_CASES=20000` a long one.

use proptest::prelude::*;
use serde_json::Value;

use psa_connector_sdk::http::{Response, TransportError};
use psa_connector_sdk::Connector;

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
    }
}

/// Runs one operation against a Halo that answers every API request from `answers`, in turn.
fn run(op: u8, answers: Vec<Answer>) {
    let (transport, _log) = Scripted::new(move |req, n| {
        if req.url.path().ends_with("/token") {
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
    let all = OrganizationQuery {
        search: None,
        include_inactive: false,
        page: None,
        page_size: None,
    };
    let alert = SyncRequest {
        alert: Alert {
            key: "k".into(),
            occurrence_id: Some("o".into()),
            tenant_id: "t".into(),
            severity: Severity::High,
            summary: "s".into(),
            details: "d".into(),
            contact: None,
        },
        link: Some("7".into()),
    };
    // Each arm may succeed or fail; it must simply return.
    let _ = match op % 10 {
        0 => session.test_connection().map(|_| ()),
        1 => session.list_organizations(all).map(|_| ()),
        2 => session.list_statuses().map(|_| ()),
        3 => session.get_ticket("7").map(|_| ()),
        4 => session
            .create_ticket(
                &profile(),
                &TicketRequest {
                    tenant_id: "t".into(),
                    severity: Severity::High,
                    summary: "s".into(),
                    details: "d".into(),
                    contact: None,
                },
            )
            .map(|_| ()),
        5 => session.sync_alert(&profile(), &alert).map(|_| ()),
        6 => session
            .resolve_alert(
                &profile(),
                &ResolveRequest {
                    key: "k".into(),
                    link: None,
                },
            )
            .map(|_| ()),
        7 => session.ticket_states(&["7".into(), "8".into()]).map(|_| ()),
        8 => session.validate_mapping(&profile()).map(|_| ()),
        _ => session.list_priorities(Some("21")).map(|_| ()),
    };
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_answer_to_any_operation_is_a_value_or_a_typed_error(op in any::<u8>(), answers in prop::collection::vec(answer(), 1..6)) {
        run(op, answers);
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
