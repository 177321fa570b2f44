//! The alert lifecycle engine: one alert, one ticket. `sync-alert`, `resolve-alert` and
//! `ticket-states`, decided here once for every PSA over a small [`AlertBackend`] each PSA
//! implements (find by alert key, create idempotently, read, people's activity, notes, status
//! changes, is-closed).
//!
//! The occurrence count and the last occurrence id live in the ticket itself, in a marker line
//! the engine writes at the end of the ticket's description and of each of its notes:
//! `[alert-sync occurrence=3 occurrence-id=abc]`. So the count survives a host that lost
//! everything, and re-sending the same occurrence changes nothing.
//!
//! | strategy | repeat of an open alert | resolve |
//! |---|---|---|
//! | create-only | a new ticket each time | left open (untouched) |
//! | create-and-update | private note with the occurrence (priority raised if the severity rose): `noted`; the same occurrence id again: `unchanged` | note, left open |
//! | create-update-close, two-way | as above | closed with a note, unless a person touched it (note, `left-open-touched`) |
//!
//! A recurrence of a closed ticket within the profile's re-open window re-opens it with a note;
//! later, a new ticket referencing the old one is opened (`new-after-window`).
//!
//! ```
//! use psa_connector_sdk::lifecycle::{marker, read_markers, Occurrences};
//!
//! let details = format!("Disk full on SRV-01\n\n{}", marker(1, Some("evt 1")));
//! let note = format!("Alert repeated\n\n{}", marker(2, Some("evt-2")));
//! assert_eq!(
//!     read_markers([details.as_str(), note.as_str()].into_iter()),
//!     Occurrences { count: 2, last_id: Some("evt-2".into()) }
//! );
//! ```

use std::cell::RefCell;
use std::collections::BTreeMap;

use crate::audit::{object, Journal};
use crate::placement::{place, Placed};
use crate::text::{alert_body, one_line};
use crate::time::{format_rfc3339, now_unix, parse_utc};
use crate::types::{
    Alert, ConnectorError, MappingProfile, ObjectRef, ResolveDecision, ResolveOutcome,
    ResolveRequest, Severity, SyncDecision, SyncOutcome, SyncRequest, SyncStrategy, Ticket,
    TicketState,
};

pub(crate) const MARKER: &str = "[alert-sync";
/// Most tickets `ticket-states` reads in one call.
pub const MAX_STATE_IDS: usize = 2000;

/// What the engine needs of a PSA. Ticket ids are the PSA's positive integer ids (Halo and
/// ConnectWise both number their tickets).
///
/// A connector implements it on its session (reads and writes through its
/// [`crate::client::Client`]) and answers `sync-alert`, `resolve-alert` and `ticket-states` with
/// [`sync_alert`], [`resolve_alert`] and [`ticket_states`]; the engine decides. Here, a PSA in
/// memory:
///
/// ```
/// use std::cell::RefCell;
/// use std::collections::BTreeMap;
/// use psa_connector_sdk::audit::{object, Journal};
/// use psa_connector_sdk::lifecycle::{resolve_alert, sync_alert, AlertBackend, NewAlertTicket, TouchedMemo};
/// use psa_connector_sdk::types::*;
///
/// #[derive(Clone)]
/// struct Row { id: i64, key: String, texts: Vec<String>, closed: bool, priority: Option<i64> }
///
/// #[derive(Default)]
/// struct MemoryPsa { journal: Journal, rows: RefCell<Vec<Row>>, memo: RefCell<BTreeMap<i64, TouchedMemo>> }
///
/// impl MemoryPsa {
///     fn change(&self, id: i64, f: impl FnOnce(&mut Row)) {
///         f(self.rows.borrow_mut().iter_mut().find(|r| r.id == id).unwrap())
///     }
/// }
///
/// impl AlertBackend for MemoryPsa {
///     type Ticket = Row;
///     fn journal(&self) -> &Journal { &self.journal }
///     fn parse_id(&self, kind: &str, id: &str) -> Result<i64, ConnectorError> {
///         id.parse().map_err(|_| ConnectorError::InvalidInput(format!("{kind} {id}")))
///     }
///     fn ticket_id(&self, t: &Row) -> i64 { t.id }
///     fn priority_id(&self, t: &Row) -> Option<i64> { t.priority }
///     fn closed_at(&self, _: &Row) -> Option<i64> { None }
///     fn is_closed(&self, _: &MappingProfile, t: &Row) -> Result<bool, ConnectorError> { Ok(t.closed) }
///     fn carries_alert_key(&self, t: &Row, key: &str) -> bool { t.key == key }
///     fn find_by_alert_key(&self, key: &str) -> Result<Vec<Row>, ConnectorError> {
///         Ok(self.rows.borrow().iter().rev().filter(|r| r.key == key).cloned().collect())
///     }
///     fn read_ticket(&self, id: i64) -> Result<Option<Row>, ConnectorError> {
///         Ok(self.rows.borrow().iter().find(|r| r.id == id).cloned())
///     }
///     fn read_tickets(&self, ids: &[i64]) -> Result<Vec<Row>, ConnectorError> {
///         Ok(self.rows.borrow().iter().filter(|r| ids.contains(&r.id)).cloned().collect())
///     }
///     fn create_ticket(&self, _: &MappingProfile, new: NewAlertTicket<'_>) -> Result<Row, ConnectorError> {
///         let row = Row { id: self.rows.borrow().len() as i64 + 1, key: new.alert.key.clone(),
///                         texts: vec![new.details(None)], closed: false, priority: None };
///         self.rows.borrow_mut().push(row.clone());
///         Ok(row)
///     }
///     fn marker_texts(&self, t: &Row) -> Result<Vec<String>, ConnectorError> { Ok(t.texts.clone()) }
///     fn assigned_person(&self, _: &Row) -> Result<Option<String>, ConnectorError> { Ok(None) }
///     fn touched_by(&self, _: &Row) -> Result<Option<String>, ConnectorError> { Ok(None) }
///     fn last_activity(&self, _: &Row) -> Option<String> { None }
///     fn touched_memo(&self) -> &RefCell<BTreeMap<i64, TouchedMemo>> { &self.memo }
///     fn add_note(&self, t: &Row, text: &str) -> Result<ObjectRef, ConnectorError> {
///         self.change(t.id, |r| r.texts.push(text.into()));
///         Ok(object("note", t.id))
///     }
///     fn reopen(&self, _: &MappingProfile, t: &Row, note: &str) -> Result<ObjectRef, ConnectorError> {
///         self.change(t.id, |r| r.closed = false);
///         self.add_note(t, note)
///     }
///     fn close(&self, _: &MappingProfile, t: &Row, note: &str) -> Result<ObjectRef, ConnectorError> {
///         self.change(t.id, |r| r.closed = true);
///         self.add_note(t, note)
///     }
///     fn set_priority(&self, t: &Row, priority: i64) -> Result<(), ConnectorError> {
///         self.change(t.id, |r| r.priority = Some(priority));
///         Ok(())
///     }
///     fn to_ticket(&self, t: &Row) -> Result<Ticket, ConnectorError> {
///         Ok(Ticket {
///             id: t.id.to_string(), number: t.id.to_string(), url: None, summary: String::new(),
///             organization_id: None, organization_name: None, status_id: "1".into(),
///             status_name: None, closed: t.closed, priority_id: t.priority.map(|p| p.to_string()),
///             ticket_type_id: None, team: None, created_at: None, last_action_at: None,
///             closed_at: None, created_by_connector: true, alert_key: Some(t.key.clone()),
///         })
///     }
/// }
///
/// let profile = MappingProfile {
///     tenants: vec![], fallback_organization_id: None, priorities: vec![], default_status_id: None,
///     ticket_type_id: None, team_id: None, category: None,
///     strategy: SyncStrategy::CreateUpdateClose, reopen_window_hours: 24,
///     reopen_status_id: None, close_status_id: None, rules: vec![], source_id: None,
/// };
/// let alert = |occurrence: &str| SyncRequest {
///     alert: Alert {
///         key: "tenant-7/mfa-disabled".into(), occurrence_id: Some(occurrence.into()),
///         tenant_id: "tenant-7".into(), severity: Severity::Low, summary: "MFA disabled".into(),
///         details: "for alice".into(), contact: None, category: None, link_url: None,
///         evidence: vec![],
///     },
///     link: None,
/// };
/// let psa = MemoryPsa::default();
/// let decide = |occurrence| sync_alert(&psa, &profile, &alert(occurrence)).unwrap().decision;
/// assert_eq!(decide("e1"), SyncDecision::Created);
/// assert_eq!(decide("e2"), SyncDecision::Noted); // one alert, one ticket
/// assert_eq!(decide("e2"), SyncDecision::Unchanged); // the same occurrence again
/// let resolved = resolve_alert(&psa, &profile, &ResolveRequest { key: "tenant-7/mfa-disabled".into(), link: None });
/// assert_eq!(resolved.unwrap().decision, ResolveDecision::Closed);
/// assert_eq!(psa.rows.borrow().len(), 1);
/// ```
pub trait AlertBackend {
    /// The PSA's ticket as read, with what the methods below answer from it.
    type Ticket: Clone;

    /// The journal of the current operation (for the audit records).
    fn journal(&self) -> &Journal;

    /// An id given by the host (a link, a `ticket-states` id) or the profile (a priority):
    /// `invalid-input` naming `kind` when it is not one of the PSA's ids.
    fn parse_id(&self, kind: &str, id: &str) -> Result<i64, ConnectorError>;

    /// The ticket's id.
    fn ticket_id(&self, ticket: &Self::Ticket) -> i64;

    /// The ticket's priority id, if set.
    fn priority_id(&self, ticket: &Self::Ticket) -> Option<i64>;

    /// When the ticket was closed (Unix seconds), when known.
    fn closed_at(&self, ticket: &Self::Ticket) -> Option<i64>;

    /// Whether the ticket is closed: by the PSA's closed state, or by the profile's own close
    /// status.
    fn is_closed(
        &self,
        profile: &MappingProfile,
        ticket: &Self::Ticket,
    ) -> Result<bool, ConnectorError>;

    /// Whether the ticket carries this alert key (a host's link is only followed when it does).
    fn carries_alert_key(&self, ticket: &Self::Ticket, key: &str) -> bool;

    /// Tickets carrying exactly this alert key, newest first.
    fn find_by_alert_key(&self, key: &str) -> Result<Vec<Self::Ticket>, ConnectorError>;

    /// One ticket; `None` when it does not exist.
    fn read_ticket(&self, id: i64) -> Result<Option<Self::Ticket>, ConnectorError>;

    /// Tickets by id (those that exist), for `ticket-states`, batched as the PSA allows.
    fn read_tickets(&self, ids: &[i64]) -> Result<Vec<Self::Ticket>, ConnectorError>;

    /// Creates the alert's ticket (carrying the alert key). Idempotent: when the create's outcome
    /// is unknown ([`crate::client::outcome_unknown`]), the key is looked up for a ticket newer
    /// than [`NewAlertTicket::newest_known`] before anything is re-sent
    /// ([`crate::client::create_idempotently`]).
    fn create_ticket(
        &self,
        profile: &MappingProfile,
        new: NewAlertTicket<'_>,
    ) -> Result<Self::Ticket, ConnectorError>;

    /// The texts that may carry occurrence markers, oldest first: the ticket's description and
    /// its notes.
    fn marker_texts(&self, ticket: &Self::Ticket) -> Result<Vec<String>, ConnectorError>;

    /// The person (not the connector's own API user) the ticket is assigned to, as words.
    fn assigned_person(&self, ticket: &Self::Ticket) -> Result<Option<String>, ConnectorError>;

    /// Who (a person, not the connector's own API user) worked on the ticket, if anyone: the
    /// assignment, else the first note or change by another person.
    fn touched_by(&self, ticket: &Self::Ticket) -> Result<Option<String>, ConnectorError>;

    /// When the ticket last changed, as the PSA writes it (for polling `ticket-states`).
    fn last_activity(&self, ticket: &Self::Ticket) -> Option<String>;

    /// What `ticket-states` learned per ticket in this session.
    fn touched_memo(&self) -> &RefCell<BTreeMap<i64, TouchedMemo>>;

    /// Adds a private note; the note's reference (for the audit record).
    fn add_note(&self, ticket: &Self::Ticket, text: &str) -> Result<ObjectRef, ConnectorError>;

    /// Re-opens the ticket (the profile's re-open status, else the PSA's initial one) with a
    /// private note.
    fn reopen(
        &self,
        profile: &MappingProfile,
        ticket: &Self::Ticket,
        note: &str,
    ) -> Result<ObjectRef, ConnectorError>;

    /// Closes the ticket (the profile's close status, else the PSA's closed one) with a
    /// private note.
    fn close(
        &self,
        profile: &MappingProfile,
        ticket: &Self::Ticket,
        note: &str,
    ) -> Result<ObjectRef, ConnectorError>;

    /// Sets the ticket's priority.
    fn set_priority(&self, ticket: &Self::Ticket, priority: i64) -> Result<(), ConnectorError>;

    /// The ticket in contract terms.
    fn to_ticket(&self, ticket: &Self::Ticket) -> Result<Ticket, ConnectorError>;
}

/// A ticket the engine asks a backend to create for an alert.
pub struct NewAlertTicket<'a> {
    /// The alert (key, tenant, severity, summary, contact, link, evidence).
    pub alert: &'a Alert,
    /// The description's readable part, plain text: the alert's details (or a recurrence's),
    /// its evidence and its link ([`crate::text::alert_body`]).
    pub body: String,
    /// The occurrence marker, the description's last line.
    pub marker: String,
    /// The newest ticket id known to carry the alert key (0: none), so that a lost answer is
    /// told apart from an older ticket.
    pub newest_known: i64,
}

impl NewAlertTicket<'_> {
    /// The description as plain text: the body, then `extra` lines (a contact the PSA has no
    /// user for), then the marker.
    pub fn details(&self, extra: Option<&str>) -> String {
        match extra {
            Some(extra) => format!("{}\n\n{extra}\n\n{}", self.body, self.marker),
            None => format!("{}\n\n{}", self.body, self.marker),
        }
    }
}

/// What `ticket-states` learned of the people on one ticket.
#[derive(Debug, Clone)]
pub struct TouchedMemo {
    /// The ticket's last activity when its people were read.
    pub last_action: Option<String>,
    /// The person who touched it, if anyone. A touch never goes away, so `Some` is kept.
    pub by: Option<String>,
    /// The people were read in a later second than `last_action`: no activity of that same
    /// second can have been missed (PSA timestamps have whole seconds).
    pub settled: bool,
}

/// Occurrences recorded on a ticket.
#[derive(Debug, Default, PartialEq)]
pub struct Occurrences {
    /// The highest occurrence number found (0: no marker).
    pub count: u32,
    /// The occurrence id of that marker.
    pub last_id: Option<String>,
}

/// An occurrence id as it can be stored in a marker.
fn clean_id(id: &str) -> String {
    id.trim().replace([']', ' ', '\n', '\r', '\t'], "_")
}

/// The marker line of an occurrence.
pub fn marker(occurrence: u32, occurrence_id: Option<&str>) -> String {
    match occurrence_id {
        Some(id) => format!(
            "{MARKER} occurrence={occurrence} occurrence-id={}]",
            clean_id(id)
        ),
        None => format!("{MARKER} occurrence={occurrence}]"),
    }
}

/// The highest occurrence recorded in these texts (a later marker wins a tie). A marker is
/// found anywhere in a text, not only at the start of a line: a PSA that turns newlines into
/// spaces (ConnectWise) keeps it readable. Alert text cannot forge one: [`crate::text::clean`]
/// defuses the marker's opening in everything an alert brings.
pub fn read_markers<'a>(texts: impl Iterator<Item = &'a str>) -> Occurrences {
    let mut found = Occurrences::default();
    let markers = texts.flat_map(|text| {
        text.match_indices(MARKER).map(move |(at, _)| {
            let rest = &text[at + MARKER.len()..];
            rest.split(']').next().unwrap_or(rest)
        })
    });
    for rest in markers {
        let mut count = None;
        let mut id = None;
        for part in rest.split_whitespace() {
            if let Some(n) = part.strip_prefix("occurrence=") {
                count = n.parse::<u32>().ok();
            } else if let Some(v) = part.strip_prefix("occurrence-id=") {
                id = Some(v.to_string());
            }
        }
        if let Some(count) = count {
            if count >= found.count {
                found = Occurrences { count, last_id: id };
            }
        }
    }
    found
}

/// Severities in order (critical highest).
pub fn severity_rank(severity: Severity) -> u8 {
    match severity {
        Severity::Critical => 5,
        Severity::High => 4,
        Severity::Medium => 3,
        Severity::Low => 2,
        Severity::Info => 1,
    }
}

/// A severity's WIT name.
pub fn severity_name(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "critical",
        Severity::High => "high",
        Severity::Medium => "medium",
        Severity::Low => "low",
        Severity::Info => "info",
    }
}

/// Whether a strategy closes tickets when their alert resolves.
pub fn strategy_closes(strategy: SyncStrategy) -> bool {
    matches!(
        strategy,
        SyncStrategy::CreateUpdateClose | SyncStrategy::TwoWay
    )
}

/// The priority a severity maps to, if the profile maps it (`parse` reads the PSA's id).
pub fn priority_for(
    profile: &MappingProfile,
    severity: Severity,
    parse: impl Fn(&str, &str) -> Result<i64, ConnectorError>,
) -> Result<Option<i64>, ConnectorError> {
    profile
        .priorities
        .iter()
        .find(|p| p.severity == severity)
        .map(|p| parse("priority", &p.priority_id))
        .transpose()
}

/// An alert key as a PSA field can hold it: trimmed, and when longer than `max` bytes, a stable
/// hash of it (`h:` and 16 hex digits; FNV-1a, the same in every build), so that keys of any
/// length still find their ticket (Halo's `supplier_reference`, ConnectWise's 100-character
/// `externalXRef`).
///
/// ```
/// use psa_connector_sdk::lifecycle::stored_alert_key;
///
/// assert_eq!(stored_alert_key(" disk-full ", 80), "disk-full");
/// let long = "x".repeat(200);
/// assert_eq!(stored_alert_key(&long, 80), stored_alert_key(&long, 80));
/// assert_eq!(stored_alert_key(&long, 80).len(), 18);
/// ```
pub fn stored_alert_key(key: &str, max: usize) -> String {
    let key = key.trim();
    if key.len() > max {
        format!("h:{:016x}", fnv1a(key.as_bytes()))
    } else {
        key.to_string()
    }
}

/// FNV-1a, for storing over-long keys (stable across builds, unlike std's hasher).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn empty_key() -> ConnectorError {
    ConnectorError::InvalidInput("the alert key is empty".into())
}

/// `sync-alert`: places the alert by the profile's rules (a `skip` rule answers `skipped`
/// without a request), then creates, notes, re-opens or leaves the alert's ticket as the module
/// docs say, with the matching rule's ticket type, team, priority and status.
pub fn sync_alert<B: AlertBackend>(
    backend: &B,
    profile: &MappingProfile,
    request: &SyncRequest,
) -> Result<SyncOutcome, ConnectorError> {
    if request.alert.key.trim().is_empty() {
        return Err(empty_key());
    }
    match place(profile, &request.alert) {
        Placed::Skip(rule) => Ok(skipped(backend, rule)),
        Placed::Ticket { profile, rule } => {
            let mut outcome = sync_placed(backend, &profile, request)?;
            outcome.rule = rule;
            Ok(outcome)
        }
    }
}

/// What `sync-alert` answers for an alert a rule skipped: no ticket (an empty one, id "").
fn skipped<B: AlertBackend>(backend: &B, rule: String) -> SyncOutcome {
    let words = format!("skipped by rule '{rule}': no ticket");
    SyncOutcome {
        decision: SyncDecision::Skipped,
        ticket: Ticket {
            id: String::new(),
            number: String::new(),
            url: None,
            summary: String::new(),
            organization_id: None,
            organization_name: None,
            status_id: String::new(),
            status_name: None,
            closed: false,
            priority_id: None,
            ticket_type_id: None,
            team: None,
            created_at: None,
            last_action_at: None,
            closed_at: None,
            created_by_connector: false,
            alert_key: None,
        },
        occurrence: 0,
        previous_ticket_id: None,
        priority_raised: false,
        rule: Some(rule),
        audit: backend
            .journal()
            .record_for("sync-alert", words, vec![], vec![]),
    }
}

/// `sync-alert` once the alert is placed (`profile` is the placed one).
fn sync_placed<B: AlertBackend>(
    backend: &B,
    profile: &MappingProfile,
    request: &SyncRequest,
) -> Result<SyncOutcome, ConnectorError> {
    let alert = &request.alert;
    let summary = one_line(&alert.summary, 500);
    let body = alert_body(&alert.details, alert);
    let first_details = || NewBody {
        body: body.clone(),
        marker: marker(1, alert.occurrence_id.as_deref()),
    };
    if profile.strategy == SyncStrategy::CreateOnly {
        let newest_known = backend
            .find_by_alert_key(&alert.key)?
            .first()
            .map(|t| backend.ticket_id(t))
            .unwrap_or(0);
        let ticket = create(backend, profile, alert, first_details(), newest_known)?;
        let id = backend.ticket_id(&ticket);
        return sync_outcome(
            backend,
            SyncDecision::Created,
            &ticket,
            1,
            None,
            false,
            vec![object("ticket", id)],
            vec![],
        );
    }

    let (existing, newest_known) =
        find_alert_ticket(backend, profile, &alert.key, request.link.as_deref())?;
    let Some(ticket) = existing else {
        let created = create(backend, profile, alert, first_details(), newest_known)?;
        let id = backend.ticket_id(&created);
        return sync_outcome(
            backend,
            SyncDecision::Created,
            &created,
            1,
            None,
            false,
            vec![object("ticket", id)],
            vec![],
        );
    };
    let ticket_id = backend.ticket_id(&ticket);

    let texts = backend.marker_texts(&ticket)?;
    let seen = read_markers(texts.iter().map(String::as_str));
    let count = seen.count.max(1);
    if alert
        .occurrence_id
        .as_deref()
        .map(clean_id)
        .is_some_and(|id| seen.last_id.as_deref() == Some(id.as_str()))
    {
        return sync_outcome(
            backend,
            SyncDecision::Unchanged,
            &ticket,
            count,
            None,
            false,
            vec![],
            vec![],
        );
    }
    let occurrence = count + 1;
    let closed = backend.is_closed(profile, &ticket)?;
    if !closed {
        let raised = raise_priority_if_needed(backend, profile, &ticket, alert.severity)?;
        let mut note = format!(
            "Alert repeated (occurrence {occurrence}, severity {}): {summary}\n\n{body}",
            severity_name(alert.severity),
        );
        if let Some(new_priority) = raised {
            note.push_str(&format!(
                "\n\nSeverity rose: priority raised to {new_priority}."
            ));
        }
        note.push_str(&format!(
            "\n\n{}",
            marker(occurrence, alert.occurrence_id.as_deref())
        ));
        let added = backend.add_note(&ticket, &note)?;
        let ticket = backend.read_ticket(ticket_id)?.unwrap_or(ticket);
        return sync_outcome(
            backend,
            SyncDecision::Noted,
            &ticket,
            occurrence,
            None,
            raised.is_some(),
            vec![added],
            vec![object("ticket", ticket_id)],
        );
    }

    let window_secs = i64::from(profile.reopen_window_hours) * 3600;
    let closed_at = backend.closed_at(&ticket);
    let within_window =
        window_secs > 0 && closed_at.is_some_and(|at| now_unix() - at <= window_secs);
    if within_window {
        let note = format!(
            "Alert recurred within the re-open window (occurrence {occurrence}, severity {}): ticket re-opened.\n{summary}\n\n{body}\n\n{}",
            severity_name(alert.severity),
            marker(occurrence, alert.occurrence_id.as_deref())
        );
        let added = backend.reopen(profile, &ticket, &note)?;
        raise_priority_if_needed(backend, profile, &ticket, alert.severity)?;
        let ticket = backend.read_ticket(ticket_id)?.unwrap_or(ticket);
        return sync_outcome(
            backend,
            SyncDecision::Reopened,
            &ticket,
            occurrence,
            None,
            false,
            vec![added],
            vec![object("ticket", ticket_id)],
        );
    }

    let closed_text = closed_at
        .map(format_rfc3339)
        .unwrap_or_else(|| "an unknown time".into());
    let details = NewBody {
        body: format!(
            "Recurrence of ticket #{ticket_id} (closed {closed_text}, outside the re-open window).\n\n{body}"
        ),
        marker: marker(1, alert.occurrence_id.as_deref()),
    };
    let created = create(
        backend,
        profile,
        alert,
        details,
        newest_known.max(ticket_id),
    )?;
    let id = backend.ticket_id(&created);
    sync_outcome(
        backend,
        SyncDecision::NewAfterWindow,
        &created,
        1,
        Some(ticket_id),
        false,
        vec![object("ticket", id)],
        vec![],
    )
}

/// A new ticket's description before the backend adds what only it knows (the contact line).
struct NewBody {
    body: String,
    marker: String,
}

fn create<B: AlertBackend>(
    backend: &B,
    profile: &MappingProfile,
    alert: &Alert,
    details: NewBody,
    newest_known: i64,
) -> Result<B::Ticket, ConnectorError> {
    let new = NewAlertTicket {
        alert,
        body: details.body,
        marker: details.marker,
        newest_known,
    };
    backend.create_ticket(profile, new)
}

/// `resolve-alert`: closes the alert's ticket, or leaves it open with a note, as the strategy
/// and the people on it say.
pub fn resolve_alert<B: AlertBackend>(
    backend: &B,
    profile: &MappingProfile,
    request: &ResolveRequest,
) -> Result<ResolveOutcome, ConnectorError> {
    if request.key.trim().is_empty() {
        return Err(empty_key());
    }
    let (existing, _) = find_alert_ticket(backend, profile, &request.key, request.link.as_deref())?;
    let outcome = |decision,
                   ticket_id: Option<i64>,
                   touched_by,
                   decision_text: String,
                   created: Vec<ObjectRef>,
                   changed: Vec<ObjectRef>| {
        Ok(ResolveOutcome {
            decision,
            ticket_id: ticket_id.map(|t| t.to_string()),
            touched_by,
            audit: backend
                .journal()
                .record_for("resolve-alert", decision_text, created, changed),
        })
    };
    let Some(ticket) = existing else {
        return outcome(
            ResolveDecision::NotFound,
            None,
            None,
            "not found: no ticket carries this alert key".into(),
            vec![],
            vec![],
        );
    };
    let id = backend.ticket_id(&ticket);
    if backend.is_closed(profile, &ticket)? {
        return outcome(
            ResolveDecision::AlreadyClosed,
            Some(id),
            None,
            "already closed".into(),
            vec![],
            vec![],
        );
    }
    if profile.strategy == SyncStrategy::CreateOnly {
        return outcome(
            ResolveDecision::LeftOpenStrategy,
            Some(id),
            None,
            "left open: the create-only strategy never changes tickets".into(),
            vec![],
            vec![],
        );
    }
    if !strategy_closes(profile.strategy) {
        let added = backend.add_note(
            &ticket,
            "Alert resolved upstream. This strategy does not close tickets; close it when done.",
        )?;
        return outcome(
            ResolveDecision::LeftOpenStrategy,
            Some(id),
            None,
            "left open: the strategy does not close tickets; note added".into(),
            vec![added],
            vec![object("ticket", id)],
        );
    }
    if let Some(who) = backend.touched_by(&ticket)? {
        let note =
            format!("Alert resolved upstream. Left open because {who} has worked on this ticket.");
        let added = backend.add_note(&ticket, &note)?;
        return outcome(
            ResolveDecision::LeftOpenTouched,
            Some(id),
            Some(who.clone()),
            format!("left open: touched by {who}; note added"),
            vec![added],
            vec![object("ticket", id)],
        );
    }
    let added = backend.close(
        profile,
        &ticket,
        "Alert resolved upstream: closing the ticket.",
    )?;
    outcome(
        ResolveDecision::Closed,
        Some(id),
        None,
        "closed with a note".into(),
        vec![added],
        vec![object("ticket", id)],
    )
}

/// `ticket-states`: status, closed and "touched by a person" of many tickets, reading a ticket's
/// people again only after its last activity moved (remembered per session).
pub fn ticket_states<B: AlertBackend>(
    backend: &B,
    ids: &[String],
) -> Result<Vec<TicketState>, ConnectorError> {
    if ids.len() > MAX_STATE_IDS {
        return Err(ConnectorError::InvalidInput(format!(
            "at most {MAX_STATE_IDS} tickets per call, got {}",
            ids.len()
        )));
    }
    let parsed: Vec<i64> = ids
        .iter()
        .map(|id| backend.parse_id("ticket", id))
        .collect::<Result<_, _>>()?;
    let mut unique = parsed.clone();
    unique.sort_unstable();
    unique.dedup();
    let mut found = BTreeMap::new();
    for ticket in backend.read_tickets(&unique)? {
        found.insert(backend.ticket_id(&ticket), ticket);
    }
    // "Touched" exactly as resolve-alert decides it, remembered per session so a poll reads a
    // ticket's people again only for tickets with new activity.
    let mut touched = BTreeMap::new();
    for id in &unique {
        if let Some(ticket) = found.get(id) {
            touched.insert(*id, touched_by_remembered(backend, ticket)?);
        }
    }
    parsed
        .iter()
        .map(|id| match found.get(id) {
            None => Ok(TicketState {
                ticket_id: id.to_string(),
                found: false,
                status_id: None,
                status_name: None,
                closed: false,
                last_action_at: None,
                touched_by_person: false,
            }),
            Some(t) => {
                let ticket = backend.to_ticket(t)?;
                Ok(TicketState {
                    ticket_id: ticket.id,
                    found: true,
                    status_id: Some(ticket.status_id),
                    status_name: ticket.status_name,
                    closed: ticket.closed,
                    last_action_at: ticket.last_action_at,
                    touched_by_person: touched.get(id).copied().unwrap_or(false),
                })
            }
        })
        .collect()
}

/// The alert's ticket: the host's link when it still carries the key and is open, else the
/// newest ticket with the key. Also returns the newest ticket id known to carry the key.
fn find_alert_ticket<B: AlertBackend>(
    backend: &B,
    profile: &MappingProfile,
    key: &str,
    link: Option<&str>,
) -> Result<(Option<B::Ticket>, i64), ConnectorError> {
    if let Some(link) = link.map(str::trim).filter(|l| !l.is_empty()) {
        let id = backend.parse_id("ticket", link)?;
        if let Some(ticket) = backend.read_ticket(id)? {
            if backend.carries_alert_key(&ticket, key) && !backend.is_closed(profile, &ticket)? {
                return Ok((Some(ticket), id));
            }
        }
    }
    // No usable link (missing, stale, or closed: a newer ticket may exist): ask the PSA.
    let tickets = backend.find_by_alert_key(key)?;
    let newest = tickets.first().map(|t| backend.ticket_id(t)).unwrap_or(0);
    Ok((tickets.into_iter().next(), newest))
}

/// [`AlertBackend::touched_by`] for polling: reads the ticket's people only when the session has
/// not read them since the ticket's last activity.
fn touched_by_remembered<B: AlertBackend>(
    backend: &B,
    ticket: &B::Ticket,
) -> Result<bool, ConnectorError> {
    let id = backend.ticket_id(ticket);
    let last_activity = backend.last_activity(ticket);
    let memo = backend.touched_memo().borrow().get(&id).cloned();
    if let Some(memo) = &memo {
        if memo.by.is_some() || (memo.settled && memo.last_action == last_activity) {
            return Ok(memo.by.is_some() || backend.assigned_person(ticket)?.is_some());
        }
    }
    let by = backend.touched_by(ticket)?;
    let settled = last_activity
        .as_deref()
        .and_then(parse_utc)
        .is_some_and(|at| at < now_unix());
    backend.touched_memo().borrow_mut().insert(
        id,
        TouchedMemo {
            last_action: last_activity,
            by: by.clone(),
            settled,
        },
    );
    Ok(by.is_some())
}

/// Raises the ticket's priority when the alert's severity maps above the current one.
fn raise_priority_if_needed<B: AlertBackend>(
    backend: &B,
    profile: &MappingProfile,
    ticket: &B::Ticket,
    severity: Severity,
) -> Result<Option<i64>, ConnectorError> {
    let Some(wanted) = priority_for(profile, severity, |kind, id| backend.parse_id(kind, id))?
    else {
        return Ok(None);
    };
    let current = backend.priority_id(ticket);
    let current_severity = profile
        .priorities
        .iter()
        .filter(|p| current.is_some_and(|c| p.priority_id.trim() == c.to_string()))
        .map(|p| severity_rank(p.severity))
        .max();
    let rose = match current_severity {
        Some(rank) => severity_rank(severity) > rank,
        None => current.is_none(),
    };
    if !rose || current == Some(wanted) {
        return Ok(None);
    }
    backend.set_priority(ticket, wanted)?;
    Ok(Some(wanted))
}

#[allow(clippy::too_many_arguments)]
fn sync_outcome<B: AlertBackend>(
    backend: &B,
    decision: SyncDecision,
    ticket: &B::Ticket,
    occurrence: u32,
    previous: Option<i64>,
    priority_raised: bool,
    created: Vec<ObjectRef>,
    changed: Vec<ObjectRef>,
) -> Result<SyncOutcome, ConnectorError> {
    let words = match decision {
        SyncDecision::Created => "created".to_string(),
        SyncDecision::Noted => format!(
            "noted: occurrence {occurrence}{}",
            if priority_raised {
                ", priority raised"
            } else {
                ""
            }
        ),
        SyncDecision::Reopened => format!("re-opened: occurrence {occurrence}"),
        SyncDecision::NewAfterWindow => format!(
            "new ticket after the re-open window (previous #{})",
            previous.unwrap_or_default()
        ),
        SyncDecision::Unchanged => {
            format!("unchanged: occurrence {occurrence} already recorded")
        }
        SyncDecision::Skipped => "skipped".to_string(),
    };
    Ok(SyncOutcome {
        decision,
        ticket: backend.to_ticket(ticket)?,
        occurrence,
        previous_ticket_id: previous.map(|p| p.to_string()),
        priority_raised,
        rule: None,
        audit: backend
            .journal()
            .record_for("sync-alert", words, created, changed),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{PriorityMapping, SyncStrategy};

    /// A PSA in memory: the reference backend a connector's own follows.
    #[derive(Clone, Debug)]
    struct Memo {
        id: i64,
        key: String,
        texts: Vec<String>,
        closed_at: Option<i64>,
        priority: Option<i64>,
        touched_by: Option<String>,
    }

    #[derive(Default)]
    struct Memory {
        journal: Journal,
        tickets: RefCell<Vec<Memo>>,
        memo: RefCell<BTreeMap<i64, TouchedMemo>>,
        /// Operations in order, e.g. "create", "note 1", "close 1".
        log: RefCell<Vec<String>>,
    }

    impl Memory {
        fn get(&self, id: i64) -> Option<Memo> {
            self.tickets.borrow().iter().find(|t| t.id == id).cloned()
        }
        fn with(&self, id: i64, change: impl FnOnce(&mut Memo)) {
            change(
                self.tickets
                    .borrow_mut()
                    .iter_mut()
                    .find(|t| t.id == id)
                    .unwrap(),
            );
        }
        fn note(&self, id: i64, text: &str, what: &str) -> ObjectRef {
            self.with(id, |t| t.texts.push(text.to_string()));
            self.log.borrow_mut().push(format!("{what} {id}"));
            object("note", id * 100)
        }
    }

    impl AlertBackend for Memory {
        type Ticket = Memo;
        fn journal(&self) -> &Journal {
            &self.journal
        }
        fn parse_id(&self, kind: &str, id: &str) -> Result<i64, ConnectorError> {
            id.trim()
                .parse()
                .map_err(|_| ConnectorError::InvalidInput(format!("{kind} {id}")))
        }
        fn ticket_id(&self, t: &Memo) -> i64 {
            t.id
        }
        fn priority_id(&self, t: &Memo) -> Option<i64> {
            t.priority
        }
        fn closed_at(&self, t: &Memo) -> Option<i64> {
            t.closed_at
        }
        fn is_closed(&self, _: &MappingProfile, t: &Memo) -> Result<bool, ConnectorError> {
            Ok(t.closed_at.is_some())
        }
        fn carries_alert_key(&self, t: &Memo, key: &str) -> bool {
            t.key == key
        }
        fn find_by_alert_key(&self, key: &str) -> Result<Vec<Memo>, ConnectorError> {
            let mut found: Vec<Memo> = self
                .tickets
                .borrow()
                .iter()
                .filter(|t| t.key == key)
                .cloned()
                .collect();
            found.sort_by_key(|t| std::cmp::Reverse(t.id));
            Ok(found)
        }
        fn read_ticket(&self, id: i64) -> Result<Option<Memo>, ConnectorError> {
            Ok(self.get(id))
        }
        fn read_tickets(&self, ids: &[i64]) -> Result<Vec<Memo>, ConnectorError> {
            Ok(ids.iter().filter_map(|id| self.get(*id)).collect())
        }
        fn create_ticket(
            &self,
            _: &MappingProfile,
            new: NewAlertTicket<'_>,
        ) -> Result<Memo, ConnectorError> {
            let id = self.tickets.borrow().len() as i64 + 1;
            let ticket = Memo {
                id,
                key: new.alert.key.clone(),
                texts: vec![new.details(None)],
                closed_at: None,
                priority: None,
                touched_by: None,
            };
            self.tickets.borrow_mut().push(ticket.clone());
            self.log.borrow_mut().push("create".into());
            Ok(ticket)
        }
        fn marker_texts(&self, t: &Memo) -> Result<Vec<String>, ConnectorError> {
            Ok(t.texts.clone())
        }
        fn assigned_person(&self, _: &Memo) -> Result<Option<String>, ConnectorError> {
            Ok(None)
        }
        fn touched_by(&self, t: &Memo) -> Result<Option<String>, ConnectorError> {
            Ok(t.touched_by.clone())
        }
        fn last_activity(&self, _: &Memo) -> Option<String> {
            None
        }
        fn touched_memo(&self) -> &RefCell<BTreeMap<i64, TouchedMemo>> {
            &self.memo
        }
        fn add_note(&self, t: &Memo, text: &str) -> Result<ObjectRef, ConnectorError> {
            Ok(self.note(t.id, text, "note"))
        }
        fn reopen(
            &self,
            _: &MappingProfile,
            t: &Memo,
            note: &str,
        ) -> Result<ObjectRef, ConnectorError> {
            self.with(t.id, |t| t.closed_at = None);
            Ok(self.note(t.id, note, "reopen"))
        }
        fn close(
            &self,
            _: &MappingProfile,
            t: &Memo,
            note: &str,
        ) -> Result<ObjectRef, ConnectorError> {
            self.with(t.id, |t| t.closed_at = Some(now_unix()));
            Ok(self.note(t.id, note, "close"))
        }
        fn set_priority(&self, t: &Memo, priority: i64) -> Result<(), ConnectorError> {
            self.with(t.id, |t| t.priority = Some(priority));
            Ok(())
        }
        fn to_ticket(&self, t: &Memo) -> Result<Ticket, ConnectorError> {
            Ok(Ticket {
                id: t.id.to_string(),
                number: t.id.to_string(),
                url: None,
                summary: String::new(),
                organization_id: None,
                organization_name: None,
                status_id: if t.closed_at.is_some() { "9" } else { "1" }.into(),
                status_name: None,
                closed: t.closed_at.is_some(),
                priority_id: t.priority.map(|p| p.to_string()),
                ticket_type_id: None,
                team: None,
                created_at: None,
                last_action_at: None,
                closed_at: None,
                created_by_connector: true,
                alert_key: Some(t.key.clone()),
            })
        }
    }

    fn profile(strategy: SyncStrategy) -> MappingProfile {
        MappingProfile {
            tenants: vec![],
            fallback_organization_id: None,
            priorities: vec![
                PriorityMapping {
                    severity: Severity::Low,
                    priority_id: "4".into(),
                },
                PriorityMapping {
                    severity: Severity::High,
                    priority_id: "2".into(),
                },
            ],
            default_status_id: None,
            ticket_type_id: None,
            team_id: None,
            category: None,
            strategy,
            reopen_window_hours: 24,
            reopen_status_id: None,
            close_status_id: None,
            rules: vec![],
            source_id: None,
        }
    }

    fn alert(occurrence: &str, severity: Severity) -> SyncRequest {
        SyncRequest {
            alert: Alert {
                key: "tenant-7/mfa-disabled".into(),
                occurrence_id: Some(occurrence.into()),
                tenant_id: "t".into(),
                severity,
                summary: "MFA disabled".into(),
                details: "for alice".into(),
                contact: None,
                category: None,
                link_url: None,
                evidence: vec![],
            },
            link: None,
        }
    }

    fn resolve() -> ResolveRequest {
        ResolveRequest {
            key: "tenant-7/mfa-disabled".into(),
            link: None,
        }
    }

    #[test]
    fn one_alert_one_ticket_through_its_whole_life() {
        let psa = Memory::default();
        let p = profile(SyncStrategy::CreateUpdateClose);
        let sync = |request| sync_alert(&psa, &p, &request).unwrap();

        let first = sync(alert("e1", Severity::Low));
        assert_eq!(
            (first.decision, first.occurrence),
            (SyncDecision::Created, 1)
        );
        let again = sync(alert("e2", Severity::High));
        assert_eq!((again.decision, again.occurrence), (SyncDecision::Noted, 2));
        assert!(again.priority_raised);
        assert_eq!(again.ticket.priority_id.as_deref(), Some("2"));
        assert_eq!(again.audit.decision, "noted: occurrence 2, priority raised");
        let same = sync(alert("e2", Severity::High));
        assert_eq!(
            (same.decision, same.occurrence),
            (SyncDecision::Unchanged, 2)
        );

        let closed = resolve_alert(&psa, &p, &resolve()).unwrap();
        assert_eq!(closed.decision, ResolveDecision::Closed);
        let twice = resolve_alert(&psa, &p, &resolve()).unwrap();
        assert_eq!(twice.decision, ResolveDecision::AlreadyClosed);

        let back = sync(alert("e3", Severity::Low));
        assert_eq!(
            (back.decision, back.occurrence),
            (SyncDecision::Reopened, 3)
        );
        assert_eq!(back.ticket.id, "1");

        psa.with(1, |t| t.closed_at = Some(now_unix() - 25 * 3600));
        let later = sync(alert("e4", Severity::Low));
        assert_eq!(later.decision, SyncDecision::NewAfterWindow);
        assert_eq!(later.previous_ticket_id.as_deref(), Some("1"));
        assert_eq!((later.ticket.id.as_str(), later.occurrence), ("2", 1));

        psa.with(2, |t| t.touched_by = Some("Alice Turner".into()));
        let left = resolve_alert(&psa, &p, &resolve()).unwrap();
        assert_eq!(left.decision, ResolveDecision::LeftOpenTouched);
        assert_eq!(left.touched_by.as_deref(), Some("Alice Turner"));
        assert_eq!(
            *psa.log.borrow(),
            ["create", "note 1", "close 1", "reopen 1", "create", "note 2"]
        );
        let states = ticket_states(&psa, &["2".into(), "1".into(), "3".into()]).unwrap();
        let seen: Vec<(bool, bool, bool)> = states
            .iter()
            .map(|s| (s.found, s.closed, s.touched_by_person))
            .collect();
        assert_eq!(
            seen,
            [
                (true, false, true),
                (true, true, false),
                (false, false, false)
            ]
        );
    }

    #[test]
    fn strategies_that_do_not_close_leave_tickets_open() {
        let psa = Memory::default();
        let only = profile(SyncStrategy::CreateOnly);
        for _ in 0..2 {
            let created = sync_alert(&psa, &only, &alert("e1", Severity::Low)).unwrap();
            assert_eq!(created.decision, SyncDecision::Created);
        }
        assert_eq!(
            psa.tickets.borrow().len(),
            2,
            "create-only: a ticket each time"
        );
        let left = resolve_alert(&psa, &only, &resolve()).unwrap();
        assert_eq!(left.decision, ResolveDecision::LeftOpenStrategy);
        assert!(
            left.audit.created.is_empty(),
            "create-only never changes tickets"
        );

        let update = profile(SyncStrategy::CreateAndUpdate);
        let noted = resolve_alert(&psa, &update, &resolve()).unwrap();
        assert_eq!(noted.decision, ResolveDecision::LeftOpenStrategy);
        assert_eq!(noted.audit.created.len(), 1, "a note says why");
        let missing = ResolveRequest {
            key: "nothing".into(),
            link: None,
        };
        assert_eq!(
            resolve_alert(&psa, &update, &missing).unwrap().decision,
            ResolveDecision::NotFound
        );
        let mut blank = alert("e1", Severity::Low);
        blank.alert.key = "  ".into();
        assert!(matches!(
            sync_alert(&psa, &update, &blank),
            Err(ConnectorError::InvalidInput(_))
        ));
    }

    #[test]
    fn markers_round_trip_and_take_the_highest() {
        let details = format!("text\n\n{}", marker(1, Some("a")));
        let note = format!("repeat\n{}", marker(3, Some("c d")));
        let seen = read_markers([details.as_str(), "unrelated", note.as_str()].into_iter());
        assert_eq!(
            seen,
            Occurrences {
                count: 3,
                last_id: Some("c_d".into())
            }
        );
        assert_eq!(read_markers(["nothing"].into_iter()).count, 0);
    }

    #[test]
    fn markers_survive_a_psa_that_turns_newlines_into_spaces() {
        let flattened = format!("Alert repeated.  {} ", marker(4, Some("e-4"))).replace('\n', " ");
        let seen = read_markers([flattened.as_str()].into_iter());
        assert_eq!(
            seen,
            Occurrences {
                count: 4,
                last_id: Some("e-4".into())
            }
        );
    }
}
