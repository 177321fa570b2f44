//! Ids and names of the mock's seed data that tests may rely on.
//!
//! These records are the same for every [`MockConfig`](super::MockConfig) (any `seed`, any
//! `clients` count); only the generated clients after the well-known ones, their sites, users and
//! tickets depend on the seed. Ids are deliberately not sequential from 1, so code that hard-codes
//! "Closed = 9" style ids is caught only where Halo really uses that id.

// ---- Agents -------------------------------------------------------------------------------

/// The API-only agent every token acts as (`isapiagent: true`). Actions posted through the API
/// are recorded with `who_agentid` = this id and `who` = [`API_AGENT_NAME`].
pub const API_AGENT_ID: i64 = 1;
/// Name of the API agent.
pub const API_AGENT_NAME: &str = "PSA Integration";
/// The technician used by `MockHalo::technician_*` helpers.
pub const TECHNICIAN_AGENT_ID: i64 = 4;
/// Name of [`TECHNICIAN_AGENT_ID`].
pub const TECHNICIAN_AGENT_NAME: &str = "Alice Turner";
/// A second enabled technician.
pub const TECHNICIAN_2_AGENT_ID: i64 = 5;
/// A third enabled technician (Security Operations).
pub const TECHNICIAN_3_AGENT_ID: i64 = 6;
/// A disabled agent (`isdisabled: true`), hidden from `GET /api/Agent` unless `includedisabled=true`.
pub const DISABLED_AGENT_ID: i64 = 7;

// ---- Statuses -----------------------------------------------------------------------------

/// Status "New".
pub const STATUS_NEW: i64 = 1;
/// Status "In Progress".
pub const STATUS_IN_PROGRESS: i64 = 2;
/// Status "Action Required".
pub const STATUS_ACTION_REQUIRED: i64 = 3;
/// Status "Waiting on Customer".
pub const STATUS_WAITING_ON_CUSTOMER: i64 = 4;
/// Status "With Supplier".
pub const STATUS_WITH_SUPPLIER: i64 = 8;
/// Status "Closed": the only closed status (the one named `Closed`).
pub const STATUS_CLOSED: i64 = 9;
/// Status "Resolved": looks final but is NOT the closed status.
pub const STATUS_RESOLVED: i64 = 21;
/// Name of the closed status.
pub const CLOSED_STATUS_NAME: &str = "Closed";

// ---- SLAs and priorities ------------------------------------------------------------------

/// SLA "Standard SLA": priorities [`PRIORITY_STANDARD_CRITICAL`]..=[`PRIORITY_STANDARD_LOW`].
pub const SLA_STANDARD: i64 = 1;
/// SLA "Security SLA": priorities [`PRIORITY_SECURITY_CRITICAL`]..=[`PRIORITY_SECURITY_LOW`].
pub const SLA_SECURITY: i64 = 2;
/// `priorityid` of "Critical" in the Standard SLA.
pub const PRIORITY_STANDARD_CRITICAL: i64 = 1;
/// `priorityid` of "High" in the Standard SLA.
pub const PRIORITY_STANDARD_HIGH: i64 = 2;
/// `priorityid` of "Medium" in the Standard SLA.
pub const PRIORITY_STANDARD_MEDIUM: i64 = 3;
/// `priorityid` of "Low" in the Standard SLA.
pub const PRIORITY_STANDARD_LOW: i64 = 4;
/// `priorityid` of "Critical" in the Security SLA.
pub const PRIORITY_SECURITY_CRITICAL: i64 = 5;
/// `priorityid` of "High" in the Security SLA.
pub const PRIORITY_SECURITY_HIGH: i64 = 6;
/// `priorityid` of "Medium" in the Security SLA.
pub const PRIORITY_SECURITY_MEDIUM: i64 = 7;
/// `priorityid` of "Low" in the Security SLA.
pub const PRIORITY_SECURITY_LOW: i64 = 8;
/// Priority names, most urgent first, shared by both SLAs.
pub const PRIORITY_NAMES: [&str; 4] = ["Critical", "High", "Medium", "Low"];

// ---- Ticket types -------------------------------------------------------------------------

/// "Incident": Standard SLA, default priority Medium, team 1st Line, no mandatory field.
/// Also the type used when a create request has no `tickettype_id`.
pub const TICKET_TYPE_INCIDENT: i64 = 1;
/// "Service Request": Standard SLA, default priority Low.
pub const TICKET_TYPE_SERVICE_REQUEST: i64 = 3;
/// "Problem": Standard SLA; `category_1` is mandatory and has NO default.
pub const TICKET_TYPE_PROBLEM: i64 = 4;
/// "Change Request": `agentscanselect: false`, so API creates are refused.
pub const TICKET_TYPE_CHANGE_REQUEST: i64 = 5;
/// "Security Alert": Security SLA (priorities 5..=8), default priority High, team Security
/// Operations, `category_1` mandatory with default "Security".
pub const TICKET_TYPE_SECURITY_ALERT: i64 = 21;
/// "Legacy Hardware Fault": inactive.
pub const TICKET_TYPE_INACTIVE: i64 = 30;
/// Default value of `category_1` on Security Alert tickets.
pub const SECURITY_ALERT_DEFAULT_CATEGORY: &str = "Security";

// ---- Teams --------------------------------------------------------------------------------

/// Team "1st Line Support".
pub const TEAM_FIRST_LINE: i64 = 1;
/// Name of [`TEAM_FIRST_LINE`].
pub const TEAM_FIRST_LINE_NAME: &str = "1st Line Support";
/// Team "2nd Line Support".
pub const TEAM_SECOND_LINE: i64 = 2;
/// Name of [`TEAM_SECOND_LINE`].
pub const TEAM_SECOND_LINE_NAME: &str = "2nd Line Support";
/// Team "Security Operations".
pub const TEAM_SECURITY_OPERATIONS: i64 = 5;
/// Name of [`TEAM_SECURITY_OPERATIONS`].
pub const TEAM_SECURITY_OPERATIONS_NAME: &str = "Security Operations";
/// Team "Legacy Team" (`inactive: true`).
pub const TEAM_LEGACY: i64 = 7;
/// Name of [`TEAM_LEGACY`].
pub const TEAM_LEGACY_NAME: &str = "Legacy Team";

// ---- Outcomes -----------------------------------------------------------------------------

/// Outcome "Email User" (visible to the end user).
pub const OUTCOME_EMAIL_USER: i64 = 1;
/// Outcome "Private Note" (`hiddenfromuser` by default).
pub const OUTCOME_PRIVATE_NOTE: i64 = 2;
/// Outcome "Close Ticket" (does not change the status by itself; send `new_status`).
pub const OUTCOME_CLOSE_TICKET: i64 = 3;
/// Outcome "Re-open".
pub const OUTCOME_REOPEN: i64 = 4;
/// Outcome "Internal Note" (hidden; id 7 as in CIPP's comment about Halo's built-in).
pub const OUTCOME_INTERNAL_NOTE: i64 = 7;
/// Outcome "Reassign" (used by `MockHalo::technician_assign`).
pub const OUTCOME_REASSIGN: i64 = 8;
/// `lookupid` of Halo's ticket-source lookup table (`GET /api/Lookup?lookupid=41`).
pub const TICKET_SOURCE_LOOKUP: i64 = 41;
/// Ticket source "Email".
pub const SOURCE_EMAIL_ID: i64 = 1;
/// Ticket source "Security Platform" (for integration tickets).
pub const SOURCE_INTEGRATION_ID: i64 = 7;
/// Name of [`OUTCOME_PRIVATE_NOTE`].
pub const OUTCOME_PRIVATE_NOTE_NAME: &str = "Private Note";

// ---- Clients ------------------------------------------------------------------------------

/// "Contoso Ltd": website `https://www.contoso.com`, ref `CONTOSO-001`, two sites.
pub const CLIENT_CONTOSO: &str = "Contoso Ltd";
/// Id of [`CLIENT_CONTOSO`].
pub const CLIENT_CONTOSO_ID: i64 = 12;
/// Main site ("Head Office") of Contoso.
pub const CONTOSO_MAIN_SITE_ID: i64 = 101;
/// Second site ("Seattle Branch") of Contoso.
pub const CONTOSO_SECOND_SITE_ID: i64 = 102;
/// An active Contoso end user (Alex Johnson, alex.johnson@contoso.com).
pub const CONTOSO_USER_ID: i64 = 501;
/// "Fabrikam, Inc." (website `fabrikam.com`; the comma tests CSV/URL handling).
pub const CLIENT_FABRIKAM: &str = "Fabrikam, Inc.";
/// Id of [`CLIENT_FABRIKAM`].
pub const CLIENT_FABRIKAM_ID: i64 = 13;
/// "Smith & Sons Limited".
pub const CLIENT_SMITH_AND_SONS: &str = "Smith & Sons Limited";
/// Id of [`CLIENT_SMITH_AND_SONS`].
pub const CLIENT_SMITH_AND_SONS_ID: i64 = 14;
/// "Northwind Traders GmbH" (three sites, one inactive).
pub const CLIENT_NORTHWIND: &str = "Northwind Traders GmbH";
/// Id of [`CLIENT_NORTHWIND`].
pub const CLIENT_NORTHWIND_ID: i64 = 15;
/// "Tailspin Toys LLC".
pub const CLIENT_TAILSPIN: &str = "Tailspin Toys LLC";
/// Id of [`CLIENT_TAILSPIN`].
pub const CLIENT_TAILSPIN_ID: i64 = 16;
/// "O'Brien Plumbing".
pub const CLIENT_OBRIEN: &str = "O'Brien Plumbing";
/// Id of [`CLIENT_OBRIEN`].
pub const CLIENT_OBRIEN_ID: i64 = 17;
/// "Adatum Corporation".
pub const CLIENT_ADATUM_CORPORATION: &str = "Adatum Corporation";
/// Id of [`CLIENT_ADATUM_CORPORATION`].
pub const CLIENT_ADATUM_CORPORATION_ID: i64 = 18;
/// "Adatum Corp": a deliberate near-duplicate of [`CLIENT_ADATUM_CORPORATION`] (a `search=Adatum`
/// finds both).
pub const CLIENT_ADATUM_CORP: &str = "Adatum Corp";
/// Id of [`CLIENT_ADATUM_CORP`].
pub const CLIENT_ADATUM_CORP_ID: i64 = 19;
/// "Müller Bau GmbH" (non-ASCII).
pub const CLIENT_MULLER: &str = "Müller Bau GmbH";
/// Id of [`CLIENT_MULLER`].
pub const CLIENT_MULLER_ID: i64 = 20;
/// "Wide World Importers".
pub const CLIENT_WIDE_WORLD: &str = "Wide World Importers";
/// Id of [`CLIENT_WIDE_WORLD`].
pub const CLIENT_WIDE_WORLD_ID: i64 = 21;
/// "Old Client Ltd": `inactive: true` (hidden from lists unless `includeinactive=true`; ticket
/// creates are refused).
pub const CLIENT_OLD: &str = "Old Client Ltd";
/// Id of [`CLIENT_OLD`].
pub const CLIENT_OLD_ID: i64 = 22;
/// Every well-known client name, in id order.
pub const WELL_KNOWN_CLIENTS: [&str; 11] = [
    CLIENT_CONTOSO,
    CLIENT_FABRIKAM,
    CLIENT_SMITH_AND_SONS,
    CLIENT_NORTHWIND,
    CLIENT_TAILSPIN,
    CLIENT_OBRIEN,
    CLIENT_ADATUM_CORPORATION,
    CLIENT_ADATUM_CORP,
    CLIENT_MULLER,
    CLIENT_WIDE_WORLD,
    CLIENT_OLD,
];

// ---- Tickets ------------------------------------------------------------------------------

/// A pre-existing open Contoso ticket (In Progress, assigned to [`TECHNICIAN_AGENT_ID`]), not
/// created by the connector.
pub const SEED_TICKET_OPEN_ID: i64 = 1001;
/// A pre-existing closed Contoso ticket.
pub const SEED_TICKET_CLOSED_ID: i64 = 1003;
/// First id given to tickets created through the API (seeded tickets use lower ids).
pub const FIRST_NEW_TICKET_ID: i64 = 2001;
