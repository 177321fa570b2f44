//! The fault matrix: every fault the mock can inject × every kind of operation → the documented
//! outcome (recovered, or a typed error). The README's fault table is this test's table.

use std::time::Duration;

use psa_host::error::connector_error_case;
use psa_host::types::*;
use psa_host::ConnectorSession;
use psa_mock::halo::{Fault, FaultRule, FaultTrigger, MockHalo};

use crate::common::*;

/// What an operation does with the faulted request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A GET: safe to retry.
    Read,
    /// A ticket create: looked up by reference before any re-send.
    Create,
    /// A note (action) post: never re-sent blindly.
    Note,
    /// The token request.
    Token,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    ListOrganizations,
    GetTicket,
    ListTickets,
    TicketStates,
    ValidateMapping,
    CreateTicket,
    SyncAlertCreate,
    SyncAlertNote,
    ResolveAlert,
    AddNote,
    TestConnection,
}

impl Op {
    const ALL: [Op; 11] = [
        Op::ListOrganizations,
        Op::GetTicket,
        Op::ListTickets,
        Op::TicketStates,
        Op::ValidateMapping,
        Op::CreateTicket,
        Op::SyncAlertCreate,
        Op::SyncAlertNote,
        Op::ResolveAlert,
        Op::AddNote,
        Op::TestConnection,
    ];

    /// The endpoint the fault is injected on.
    fn endpoint(self) -> &'static str {
        match self {
            Op::ListOrganizations => "GET /api/client",
            Op::GetTicket => "GET /api/tickets/{id}",
            Op::ListTickets | Op::TicketStates => "GET /api/tickets",
            Op::ValidateMapping => "GET /api/tickettype/{id}",
            Op::CreateTicket | Op::SyncAlertCreate => "POST /api/tickets",
            Op::SyncAlertNote | Op::ResolveAlert | Op::AddNote => "POST /api/actions",
            Op::TestConnection => "POST /auth/token",
        }
    }

    fn kind(self) -> Kind {
        match self {
            Op::CreateTicket | Op::SyncAlertCreate => Kind::Create,
            Op::SyncAlertNote | Op::ResolveAlert | Op::AddNote => Kind::Note,
            Op::TestConnection => Kind::Token,
            _ => Kind::Read,
        }
    }
}

fn faults() -> Vec<(&'static str, Fault)> {
    vec![
        ("401", Fault::Status(401)),
        ("403", Fault::Status(403)),
        ("404", Fault::Status(404)),
        ("429", Fault::RateLimited { retry_after: None }),
        (
            "429+Retry-After",
            Fault::RateLimited {
                retry_after: Some(1),
            },
        ),
        ("500", Fault::Status(500)),
        ("502 HTML", Fault::BadGatewayHtml),
        ("503", Fault::Status(503)),
        ("malformed JSON", Fault::MalformedJson),
        ("truncated body", Fault::TruncatedBody),
        ("wrong content-type", Fault::WrongContentType),
        (
            "50 MB body",
            Fault::HugeBody {
                bytes: 50 * 1024 * 1024,
            },
        ),
        (
            "slow first byte",
            Fault::SlowFirstByte {
                delay: Duration::from_millis(300),
            },
        ),
        ("connection reset", Fault::ConnectionReset),
        ("processed, then dropped", Fault::ProcessThenDrop),
    ]
}

/// The documented outcome: "recovered" or the connector-error case.
fn expected(fault: &str, op: Op) -> &'static str {
    use Kind::*;
    match (fault, op.kind()) {
        // validate-mapping reports a missing ticket type as a finding, not an error.
        ("404", _) if op == Op::ValidateMapping => "recovered",
        ("401", Token) => "auth-failed",
        ("401", _) => "recovered",
        ("403", _) => "permission-denied",
        ("404", Token) => "invalid-settings",
        ("404", _) => "not-found",
        ("429" | "429+Retry-After", _) => "recovered",
        ("500" | "502 HTML" | "503", Note) => "remote",
        ("500" | "502 HTML" | "503", _) => "recovered",
        ("malformed JSON" | "truncated body", Read | Token | Note) => "invalid-response",
        ("malformed JSON" | "truncated body", Create) => "recovered",
        ("wrong content-type", _) => "recovered",
        // Over the size cap: not retried (it would come back as large); a create is looked up.
        ("50 MB body", Create) => "recovered",
        ("50 MB body", _) => "invalid-response",
        ("slow first byte", _) => "recovered",
        ("connection reset" | "processed, then dropped", Note) => "transport",
        ("connection reset" | "processed, then dropped", _) => "recovered",
        _ => "unknown",
    }
}

/// Prepares state the operation needs (a ticket to read or note), then injects the fault and runs it.
async fn run(
    mock: &MockHalo,
    session: &mut ConnectorSession,
    op: Op,
    fault: Fault,
) -> Result<(), ConnectorError> {
    let profile = profile(SyncStrategy::TwoWay);
    let existing = ok(session
        .sync_alert(
            &profile,
            &alert("matrix/existing", Severity::Low, Some("o1")),
        )
        .await)
    .ticket;
    ok(session.list_statuses().await);
    mock.add_fault(FaultRule {
        endpoint: Some(op.endpoint().to_string()),
        trigger: FaultTrigger::Nth(1),
        fault,
    });
    let unit =
        |r: Result<Result<(), ConnectorError>, psa_host::HostError>| r.expect("no host error");
    match op {
        Op::ListOrganizations => unit(
            session
                .list_organizations(&OrganizationQuery {
                    search: None,
                    include_inactive: false,
                    page: Some(1),
                    page_size: Some(10),
                })
                .await
                .map(|r| r.map(|_| ())),
        ),
        Op::GetTicket => unit(
            session
                .get_ticket(&existing.id)
                .await
                .map(|r| r.map(|_| ())),
        ),
        Op::ListTickets => unit(
            session
                .list_tickets(&TicketQuery {
                    organization_id: None,
                    scope: TicketScope::Own,
                    open_only: true,
                    page: None,
                    page_size: None,
                })
                .await
                .map(|r| r.map(|_| ())),
        ),
        Op::TicketStates => unit(
            session
                .ticket_states(std::slice::from_ref(&existing.id))
                .await
                .map(|r| r.map(|_| ())),
        ),
        Op::ValidateMapping => unit(
            session
                .validate_mapping(&profile)
                .await
                .map(|r| r.map(|_| ())),
        ),
        Op::CreateTicket => unit(
            session
                .create_ticket(&profile, &ticket_request("matrix create", Severity::Low))
                .await
                .map(|r| r.map(|_| ())),
        ),
        Op::SyncAlertCreate => unit(
            session
                .sync_alert(&profile, &alert("matrix/new", Severity::Low, Some("n1")))
                .await
                .map(|r| r.map(|_| ())),
        ),
        Op::SyncAlertNote => unit(
            session
                .sync_alert(
                    &profile,
                    &alert("matrix/existing", Severity::Low, Some("o2")),
                )
                .await
                .map(|r| r.map(|_| ())),
        ),
        Op::ResolveAlert => unit(
            session
                .resolve_alert(
                    &profile,
                    &ResolveRequest {
                        key: "matrix/existing".into(),
                        link: None,
                    },
                )
                .await
                .map(|r| r.map(|_| ())),
        ),
        Op::AddNote => unit(
            session
                .add_note(
                    &existing.id,
                    &Note {
                        text: "n".into(),
                        private: true,
                    },
                )
                .await
                .map(|r| r.map(|_| ())),
        ),
        Op::TestConnection => unit(session.test_connection().await.map(|r| r.map(|_| ()))),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_on_every_operation_ends_as_documented() {
    let mut mismatches = Vec::new();
    let mut table = String::new();
    for (name, fault) in faults() {
        for op in Op::ALL {
            let (mock, mut session) = start().await;
            let outcome = match run(&mock, &mut session, op, fault.clone()).await {
                Ok(()) => "recovered",
                Err(error) => connector_error_case(&error),
            };
            let want = expected(name, op);
            table.push_str(&format!("{name:<24} {op:<18?} {outcome}\n"));
            if outcome != want {
                mismatches.push(format!("{name} × {op:?}: got {outcome}, documented {want}"));
            }
            // Whatever happened, no alert has two tickets.
            for key in ["matrix/existing", "matrix/new"] {
                let n = tickets_for(&mock, key);
                assert!(n <= 1, "{name} × {op:?}: {n} tickets for {key}");
            }
            if op == Op::CreateTicket && outcome == "recovered" {
                let created = mock
                    .tickets()
                    .iter()
                    .filter(|t| t["summary"] == "matrix create")
                    .count();
                assert_eq!(created, 1, "{name} × create-ticket made {created} tickets");
            }
        }
    }
    println!("{table}");
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}\n\nobserved:\n{table}",
        mismatches.len(),
        mismatches.join("\n")
    );
}
