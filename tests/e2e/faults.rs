//! The fault matrix: every fault the mock can inject × every kind of operation → the documented
//! outcome (recovered, or a typed error), for each connector. One matrix: the faults, the
//! operations, the cell runner and the checks are PSA-generic; [`Psa`] holds the per-PSA parts
//! (endpoint keys, where a ticket keeps its alert key and notes, the few outcomes where a PSA
//! legitimately differs). The README's fault tables are this test's tables.

use std::ops::Deref;
use std::time::Duration;

use psa_host::error::connector_error_case;
use psa_host::types::*;
use psa_host::ConnectorSession;
use psa_mock::connectwise::{seed_ids as cw_ids, MockConnectWise};
use psa_mock::halo::{Fault, FaultRule, FaultTrigger, MockConfig, MockHalo};
use psa_mock::MockServer;

use crate::common::*;

/// The PSA a matrix runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Psa {
    Halo,
    ConnectWise,
}

/// A running mock of either PSA.
enum Mock {
    Halo(MockHalo),
    ConnectWise(MockConnectWise),
}

impl Deref for Mock {
    type Target = MockServer;
    fn deref(&self) -> &MockServer {
        match self {
            Mock::Halo(m) => m,
            Mock::ConnectWise(m) => m,
        }
    }
}

impl Psa {
    /// A fresh mock with default seed data and a session on it.
    async fn start(self) -> (Mock, ConnectorSession) {
        match self {
            Psa::Halo => {
                let (mock, session) = start_with(MockConfig::default()).await;
                (Mock::Halo(mock), session)
            }
            Psa::ConnectWise => {
                let (mock, session) = cw_start().await;
                (Mock::ConnectWise(mock), session)
            }
        }
    }

    /// The profile the matrix syncs with.
    fn profile(self) -> MappingProfile {
        match self {
            Psa::Halo => profile(SyncStrategy::TwoWay),
            Psa::ConnectWise => cw_profile(SyncStrategy::TwoWay),
        }
    }

    /// The endpoint key the fault is injected on.
    fn endpoint(self, op: Op) -> &'static str {
        match self {
            Psa::Halo => match op {
                Op::ListOrganizations => "GET /api/client",
                Op::GetTicket => "GET /api/tickets/{id}",
                Op::ListTickets | Op::TicketStates => "GET /api/tickets",
                Op::ValidateMapping => "GET /api/tickettype/{id}",
                Op::CreateTicket | Op::SyncAlertCreate => "POST /api/tickets",
                Op::SyncAlertNote | Op::ResolveAlert | Op::AddNote => "POST /api/actions",
                Op::ResolveAlertStatus => unreachable!("not in Halo's operations"),
                Op::TestConnection => "POST /auth/token",
            },
            Psa::ConnectWise => match op {
                Op::ListOrganizations => "GET /company/companies",
                Op::GetTicket => "GET /service/tickets/{id}",
                Op::ListTickets | Op::TicketStates => "GET /service/tickets",
                // The profile's board.
                Op::ValidateMapping => "GET /service/boards/{id}",
                Op::CreateTicket | Op::SyncAlertCreate => "POST /service/tickets",
                // Resolving posts the closing note first, then PATCHes the status.
                Op::SyncAlertNote | Op::ResolveAlert | Op::AddNote => {
                    "POST /service/tickets/{id}/notes"
                }
                Op::ResolveAlertStatus => "PATCH /service/tickets/{id}",
                // No token request (Basic credentials on every request): the connection
                // test's first request, which checks codebase, clientId and credentials.
                Op::TestConnection => "GET /system/info",
            },
        }
    }

    /// The setting a 404 on the connection test's first request names (Halo: no token
    /// endpoint at the authorisation server; ConnectWise: no API at the site URL).
    fn unreachable_setting(self) -> &'static str {
        match self {
            Psa::Halo => "auth_url",
            Psa::ConnectWise => "site",
        }
    }

    /// The operations of its matrix: the common eleven, and for ConnectWise a resolve whose
    /// status PATCH (its second write) is faulted.
    fn ops(self) -> Vec<Op> {
        let mut ops = Op::ALL.to_vec();
        if self == Psa::ConnectWise {
            ops.insert(9, Op::ResolveAlertStatus);
        }
        ops
    }

    /// The validate-mapping finding for the profile's ticket type (board) answered 404.
    fn type_not_found_code(self) -> &'static str {
        match self {
            Psa::Halo => "ticket-type-not-found",
            Psa::ConnectWise => "board-not-found",
        }
    }
}

impl Mock {
    fn tickets(&self) -> Vec<serde_json::Value> {
        match self {
            Mock::Halo(m) => m.tickets(),
            Mock::ConnectWise(m) => m.tickets(),
        }
    }

    fn ticket(&self, id: i64) -> Option<serde_json::Value> {
        match self {
            Mock::Halo(m) => m.ticket(id),
            Mock::ConnectWise(m) => m.ticket(id),
        }
    }

    /// Ids of the tickets carrying this alert key (Halo: `supplier_reference`; ConnectWise:
    /// `externalXRef`).
    fn tickets_with_key(&self, key: &str) -> Vec<i64> {
        let (field, reference) = match self {
            Mock::Halo(_) => ("supplier_reference", format!("psa-connector#{key}")),
            Mock::ConnectWise(_) => ("externalXRef", format!("psa-connector#{key}")),
        };
        self.tickets()
            .iter()
            .filter(|t| t[field] == reference.as_str())
            .filter_map(|t| t["id"].as_i64())
            .collect()
    }

    fn tickets_for(&self, key: &str) -> usize {
        match self {
            Mock::Halo(m) => tickets_for(m, key),
            Mock::ConnectWise(m) => cw_tickets_for(m, key),
        }
    }

    /// Notes (Halo: actions; ConnectWise: notes) on `ticket` whose text contains `needle`.
    fn notes_containing(&self, ticket: i64, needle: &str) -> Vec<serde_json::Value> {
        let (notes, field) = match self {
            Mock::Halo(m) => (m.actions(ticket), "note"),
            Mock::ConnectWise(m) => (m.notes(ticket), "text"),
        };
        notes
            .into_iter()
            .filter(|a| a[field].as_str().is_some_and(|n| n.contains(needle)))
            .collect()
    }

    /// Whether the stored ticket is closed (Halo: the closed status; ConnectWise: the board's
    /// closed status and `closedFlag`).
    fn is_closed(&self, stored: &serde_json::Value) -> bool {
        match self {
            Mock::Halo(m) => stored["status_id"] == m.closed_status_id(),
            Mock::ConnectWise(_) => {
                stored["status"]["id"] == cw_ids::ALERTS_STATUS_CLOSED
                    && stored["closedFlag"] == true
            }
        }
    }

    fn settings(&self) -> Vec<(String, String)> {
        match self {
            Mock::Halo(m) => m.connector_settings(),
            Mock::ConnectWise(m) => m.connector_settings(),
        }
    }

    /// A new session on this mock, with nothing cached.
    async fn fresh_session(&self) -> ConnectorSession {
        match self {
            Mock::Halo(_) => open(self.settings()).await,
            Mock::ConnectWise(_) => cw_open(self.settings()).await,
        }
        .expect("a fresh session opens")
    }
}

/// What an operation does with the faulted request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A GET: safe to retry.
    Read,
    /// A ticket create: looked up by reference before any re-send.
    Create,
    /// A note (action) post: never re-sent blindly.
    Note,
    /// The token request (ConnectWise: the connection test's first request).
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
    /// ConnectWise only: resolve-alert with the fault on its second write, the status PATCH
    /// after the closing note (Halo closes with the note's one action).
    ResolveAlertStatus,
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

    fn kind(self) -> Kind {
        match self {
            Op::CreateTicket | Op::SyncAlertCreate => Kind::Create,
            // A status PATCH is a write too: re-sent only when it was certainly not processed.
            Op::SyncAlertNote | Op::ResolveAlert | Op::ResolveAlertStatus | Op::AddNote => {
                Kind::Note
            }
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
fn expected(psa: Psa, fault: &str, op: Op) -> &'static str {
    if psa == Psa::ConnectWise {
        if let Some(want) = connectwise_expected(fault, op) {
            return want;
        }
    }
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

/// Where the ConnectWise connector legitimately ends otherwise than Halo's (`None`: as Halo).
///
/// Every other cell is Halo's, and means the same: the "token request" column is, for
/// ConnectWise, the connection test's first request (`GET /system/info`; there is no token
/// request, Basic credentials go on every request), so a 404 there is `invalid-settings`
/// naming `site` (no API at that address), and 5xx, resets and dropped answers on it are
/// retried as any read. A resolve posts its closing note before it PATCHes the status, so the
/// notes column's fault hits the resolve's first write, as Halo's closing action does; the
/// PATCH ([`Op::ResolveAlertStatus`]) is a write as a note is, with the notes column's outcomes.
fn connectwise_expected(fault: &str, _op: Op) -> Option<&'static str> {
    match fault {
        // Fixed Basic credentials: there is no token to renew, so a 401 is never retried; it is
        // `auth-failed` on every request (Halo's recovery is a new token). A write answered 401
        // was not processed, so it was sent once and the platform may retry it.
        "401" => Some("auth-failed"),
        _ => None,
    }
}

/// What an operation returned, kept to be checked (never discarded).
#[derive(Debug)]
enum Value {
    Organizations(OrganizationPage),
    Ticket(Ticket),
    Tickets(TicketPage),
    States(Vec<TicketState>),
    Validation(ValidationReport),
    Created(TicketChange),
    Synced(SyncOutcome),
    Resolved(ResolveOutcome),
    Noted(NoteAdded),
    Connection(ConnectionReport),
}

fn organization_query() -> OrganizationQuery {
    OrganizationQuery {
        search: None,
        include_inactive: false,
        page: Some(1),
        page_size: Some(10),
    }
}

/// Runs a read operation; `None` for the operations that write.
async fn read(
    session: &mut ConnectorSession,
    op: Op,
    existing: &Ticket,
    profile: &MappingProfile,
) -> Option<Result<Value, ConnectorError>> {
    let value = |r: psa_host::OpResult<Value>| r.expect("no host error");
    Some(match op {
        Op::ListOrganizations => value(
            session
                .list_organizations(&organization_query())
                .await
                .map(|r| r.map(Value::Organizations)),
        ),
        Op::GetTicket => value(
            session
                .get_ticket(&existing.id)
                .await
                .map(|r| r.map(Value::Ticket)),
        ),
        Op::ListTickets => value(
            session
                .list_tickets(&own_open_tickets())
                .await
                .map(|r| r.map(Value::Tickets)),
        ),
        Op::TicketStates => value(
            session
                .ticket_states(std::slice::from_ref(&existing.id))
                .await
                .map(|r| r.map(Value::States)),
        ),
        Op::ValidateMapping => value(
            session
                .validate_mapping(profile)
                .await
                .map(|r| r.map(Value::Validation)),
        ),
        _ => return None,
    })
}

/// Prepares state the operation needs (a ticket to read or note), then injects the fault, states
/// the request counts the documented outcome `want` implies, and runs the operation. Returns
/// the ticket the operation works on and what it returned.
async fn run(
    psa: Psa,
    mock: &Mock,
    session: &mut ConnectorSession,
    op: Op,
    fault: Fault,
    want: &str,
) -> (Ticket, Result<Value, ConnectorError>) {
    let profile = psa.profile();
    let existing = ok(session
        .sync_alert(
            &profile,
            &alert("matrix/existing", Severity::Low, Some("o1")),
        )
        .await)
    .ticket;
    ok(session.list_statuses().await);
    assert_eq!(mock.faults_fired(), 0, "no fault before the operation");
    mock.add_fault(FaultRule {
        endpoint: Some(psa.endpoint(op).to_string()),
        trigger: FaultTrigger::Nth(1),
        fault,
    });
    // Expectations count from when they are made: after the set-up's own requests.
    expect_requests(psa, mock, want, op);
    if let Some(result) = read(session, op, &existing, &profile).await {
        return (existing, result);
    }
    let value = |r: psa_host::OpResult<Value>| r.expect("no host error");
    let result = match op {
        Op::CreateTicket => value(
            session
                .create_ticket(&profile, &ticket_request("matrix create", Severity::Low))
                .await
                .map(|r| r.map(Value::Created)),
        ),
        Op::SyncAlertCreate => value(
            session
                .sync_alert(&profile, &alert("matrix/new", Severity::Low, Some("n1")))
                .await
                .map(|r| r.map(Value::Synced)),
        ),
        Op::SyncAlertNote => value(
            session
                .sync_alert(
                    &profile,
                    &alert("matrix/existing", Severity::Low, Some("o2")),
                )
                .await
                .map(|r| r.map(Value::Synced)),
        ),
        Op::ResolveAlert | Op::ResolveAlertStatus => value(
            session
                .resolve_alert(
                    &profile,
                    &ResolveRequest {
                        key: "matrix/existing".into(),
                        link: None,
                    },
                )
                .await
                .map(|r| r.map(Value::Resolved)),
        ),
        Op::AddNote => value(
            session
                .add_note(
                    &existing.id,
                    &Note {
                        text: "matrix note".into(),
                        private: true,
                    },
                )
                .await
                .map(|r| r.map(Value::Noted)),
        ),
        Op::TestConnection => value(
            session
                .test_connection()
                .await
                .map(|r| r.map(Value::Connection)),
        ),
        _ => unreachable!("reads are run by `read`"),
    };
    (existing, result)
}

/// Checks what a recovered operation returned against the mock's state and against the same
/// operation run without a fault in a fresh session: the full value, not just "some Ok".
/// Returns every problem found.
async fn check_recovered(
    psa: Psa,
    mock: &Mock,
    fault: &str,
    op: Op,
    existing: &Ticket,
    value: &Value,
) -> Vec<String> {
    let mut problems = Vec::new();
    let mut problem = |p: String| problems.push(p);
    let existing_id = id(existing);
    let profile = psa.profile();
    // The same read, without a fault, in a session that has cached nothing.
    let clean = match op {
        Op::ListOrganizations
        | Op::GetTicket
        | Op::ListTickets
        | Op::TicketStates
        | Op::ValidateMapping => {
            let mut fresh = mock.fresh_session().await;
            match read(&mut fresh, op, existing, &profile).await {
                Some(Ok(value)) => Some(value),
                other => panic!("{fault} × {op:?}: the clean read failed: {other:?}"),
            }
        }
        _ => None,
    };
    match (op, value, clean) {
        (Op::ListOrganizations, Value::Organizations(page), Some(Value::Organizations(want))) => {
            if page.items.len() != 10 {
                problem(format!("a page of 10 expected, got {}", page.items.len()));
            }
            if *page != want {
                problem(format!(
                    "the list differs from a clean read: {page:?} vs {want:?}"
                ));
            }
        }
        (Op::GetTicket, Value::Ticket(ticket), Some(Value::Ticket(want))) => {
            if ticket.id != existing.id || *ticket != want {
                problem(format!(
                    "the ticket differs from a clean read: {ticket:?} vs {want:?}"
                ));
            }
        }
        (Op::ListTickets, Value::Tickets(page), Some(Value::Tickets(want))) => {
            if !page.items.iter().any(|t| t.id == existing.id) {
                problem(format!("#{} is missing from the list", existing.id));
            }
            if *page != want {
                problem(format!(
                    "the list differs from a clean read: {page:?} vs {want:?}"
                ));
            }
        }
        (Op::TicketStates, Value::States(states), Some(Value::States(want))) => {
            if states.len() != 1 || states[0].ticket_id != existing.id || !states[0].found {
                problem(format!(
                    "one found state of #{} expected: {states:?}",
                    existing.id
                ));
            }
            if *states != want {
                problem(format!(
                    "the states differ from a clean read: {states:?} vs {want:?}"
                ));
            }
        }
        (Op::ValidateMapping, Value::Validation(report), Some(Value::Validation(want))) => {
            if fault == "404" {
                // The PSA said the ticket type (board) does not exist: that is the finding,
                // not an error.
                let code = psa.type_not_found_code();
                let finding = report.findings.iter().find(|f| f.code == code);
                if report.ok || finding.is_none_or(|f| f.severity != FindingSeverity::Error) {
                    problem(format!("a {code} error finding expected: {report:?}"));
                }
                if want.findings.iter().any(|f| f.code == code) {
                    problem(format!("the clean report has the finding too: {want:?}"));
                }
            } else if *report != want {
                problem(format!(
                    "the report differs from a clean one: {report:?} vs {want:?}"
                ));
            }
        }
        (Op::CreateTicket, Value::Created(TicketChange { ticket, .. }), _) => {
            let created: Vec<i64> = mock
                .tickets()
                .iter()
                .filter(|t| t["summary"] == "matrix create")
                .filter_map(|t| t["id"].as_i64())
                .collect();
            if created != [id(ticket)] {
                problem(format!("returned #{}, {psa:?} has {created:?}", ticket.id));
            }
            if ticket.summary != "matrix create" {
                problem(format!("wrong summary: {ticket:?}"));
            }
        }
        (Op::SyncAlertCreate, Value::Synced(outcome), _) => {
            let found = mock.tickets_with_key("matrix/new");
            if outcome.decision != SyncDecision::Created
                || outcome.occurrence != 1
                || found != [id(&outcome.ticket)]
            {
                problem(format!(
                    "created, occurrence 1, one ticket expected: {outcome:?}, {psa:?} has {found:?}"
                ));
            }
        }
        (Op::SyncAlertNote, Value::Synced(outcome), _) => {
            let notes = mock.notes_containing(existing_id, "occurrence-id=o2]");
            if outcome.decision != SyncDecision::Noted
                || outcome.occurrence != 2
                || outcome.ticket.id != existing.id
                || notes.len() != 1
            {
                problem(format!(
                    "noted once on #{} as occurrence 2 expected: {outcome:?}, {} notes",
                    existing.id,
                    notes.len()
                ));
            }
        }
        (Op::ResolveAlert | Op::ResolveAlertStatus, Value::Resolved(outcome), _) => {
            let stored = mock.ticket(existing_id).expect("the ticket exists");
            if outcome.decision != ResolveDecision::Closed
                || outcome.ticket_id.as_deref() != Some(existing.id.as_str())
                || !mock.is_closed(&stored)
            {
                problem(format!(
                    "#{} closed expected: {outcome:?}, {psa:?} has {stored}",
                    existing.id
                ));
            }
        }
        (Op::AddNote, Value::Noted(added), _) => {
            let notes = mock.notes_containing(existing_id, "matrix note");
            let note_ids: Vec<String> = notes.iter().map(|a| a["id"].to_string()).collect();
            if added.ticket_id != existing.id || note_ids != [added.note_id.clone()] {
                problem(format!(
                    "one note, the one returned, expected: {added:?}, {psa:?} has {note_ids:?}"
                ));
            }
        }
        (Op::TestConnection, Value::Connection(report), _) => {
            if !report.ok || report.agent.is_none() || report.checks.iter().any(|c| !c.passed) {
                problem(format!("a passing report expected: {report:?}"));
            }
        }
        (op, value, clean) => {
            problem(format!("{op:?} returned {value:?} (clean: {clean:?})"));
        }
    }
    problems
        .into_iter()
        .map(|p| format!("{psa:?}: {fault} × {op:?}: {p}"))
        .collect()
}

/// After a resolve failed on its status change (its closing note posted): resolving again
/// closes the ticket, so the resolution is not lost.
async fn retry_closes(
    psa: Psa,
    mock: &Mock,
    session: &mut ConnectorSession,
    fault: &str,
    existing: &Ticket,
) -> Vec<String> {
    let request = ResolveRequest {
        key: "matrix/existing".into(),
        link: None,
    };
    let notes_before = mock.notes_containing(id(existing), "").len();
    let again = ok(session.resolve_alert(&psa.profile(), &request).await);
    let notes_after = mock.notes_containing(id(existing), "").len();
    let stored = mock.ticket(id(existing)).expect("the ticket exists");
    let mut problems = Vec::new();
    match again.decision {
        // The first PATCH was processed (its answer lost): already closed, nothing re-sent.
        ResolveDecision::AlreadyClosed if notes_after == notes_before => {}
        // It was not: the retry posts its closing note again (one more, never more) and closes.
        ResolveDecision::Closed if notes_after <= notes_before + 1 => {}
        _ => problems.push(format!(
            "the retry: {again:?}, notes {notes_before} -> {notes_after}"
        )),
    }
    if !mock.is_closed(&stored) {
        problems.push(format!("the retry left #{} open: {stored}", existing.id));
    }
    problems
        .into_iter()
        .map(|p| format!("{psa:?}: {fault} × ResolveAlertStatus: {p}"))
        .collect()
}

/// Request counts the documented outcome implies, stated as mock expectations before the
/// operation runs: a write that failed was sent once (never blindly re-sent); a recovered
/// create was re-sent at most once.
fn expect_requests(psa: Psa, mock: &Mock, want: &str, op: Op) {
    let endpoint = psa.endpoint(op);
    match (op.kind(), want) {
        (Kind::Note | Kind::Create, "recovered") => mock.expect(endpoint, 1..=2),
        (Kind::Note | Kind::Create, _) => mock.expect(endpoint, 1),
        _ => {}
    }
    if op == Op::ResolveAlertStatus {
        // The closing note before the faulted PATCH: sent once, whatever the PATCH got.
        mock.expect(psa.endpoint(Op::ResolveAlert), 1);
    }
}

/// Runs every cell of the matrix against `psa`; panics with every mismatch.
async fn matrix(psa: Psa) {
    let mut mismatches = Vec::new();
    let mut table = String::new();
    for (name, fault) in faults() {
        for op in psa.ops() {
            let (mock, mut session) = psa.start().await;
            let want = expected(psa, name, op);
            let (existing, result) = run(psa, &mock, &mut session, op, fault.clone(), want).await;
            let outcome = match &result {
                Ok(_) => "recovered",
                Err(error) => connector_error_case(error),
            };
            table.push_str(&format!("{name:<24} {op:<18?} {outcome}\n"));
            if outcome != want {
                mismatches.push(format!("{name} × {op:?}: got {outcome}, documented {want}"));
            }
            // The fault really hit the operation's request, exactly once.
            let fired = mock.faults_fired();
            if fired != 1 {
                mismatches.push(format!(
                    "{name} × {op:?}: the fault fired {fired} times, not once"
                ));
            }
            if let Ok(value) = &result {
                mismatches.extend(check_recovered(psa, &mock, name, op, &existing, value).await);
            }
            // A settings error names the setting to fix.
            if let Err(ConnectorError::InvalidSettings(problem)) = &result {
                if problem.key.as_deref() != Some(psa.unreachable_setting()) {
                    mismatches.push(format!(
                        "{name} × {op:?}: setting {} named, not {}: {problem:?}",
                        problem.key.as_deref().unwrap_or("none"),
                        psa.unreachable_setting()
                    ));
                }
            }
            if let Err(report) = mock.verify() {
                mismatches.push(format!("{name} × {op:?}: {report}"));
            }
            mock.clear_expectations();
            // Whatever happened, no alert has two tickets; the set-up's alert has exactly one.
            for key in ["matrix/existing", "matrix/new"] {
                let n = mock.tickets_for(key);
                assert!(n <= 1, "{name} × {op:?}: {n} tickets for {key}");
            }
            assert_eq!(mock.tickets_for("matrix/existing"), 1, "{name} × {op:?}");
            if op == Op::CreateTicket && outcome == "recovered" {
                let created = mock
                    .tickets()
                    .iter()
                    .filter(|t| t["summary"] == "matrix create")
                    .count();
                assert_eq!(created, 1, "{name} × create-ticket made {created} tickets");
            }
            if op == Op::SyncAlertCreate && outcome == "recovered" {
                let created = mock.tickets_for("matrix/new");
                assert_eq!(created, 1, "{name} × sync-alert made {created} tickets");
            }
            if op == Op::ResolveAlertStatus && outcome != "recovered" {
                // The closing note is on the ticket, the status may not be: the platform's
                // retry closes it (the alert's resolution is not lost).
                mismatches.extend(retry_closes(psa, &mock, &mut session, name, &existing).await);
            }
        }
    }
    println!("{table}");
    assert!(
        mismatches.is_empty(),
        "{psa:?}: {} mismatches:\n{}\n\nobserved:\n{table}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_on_every_operation_ends_as_documented() {
    matrix(Psa::Halo).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_on_every_connectwise_operation_ends_as_documented() {
    matrix(Psa::ConnectWise).await;
}
