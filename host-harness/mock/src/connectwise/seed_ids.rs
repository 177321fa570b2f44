//! Ids, names and credentials of the ConnectWise mock's seed data that tests and connector
//! authors may rely on.
//!
//! These records are the same for every [`ConnectWiseConfig`](super::ConnectWiseConfig) (any
//! `seed`, any `companies` count); only the generated companies after the well-known ones depend
//! on the seed. Ids are deliberately not sequential from 1.

// ---- Credentials of the default configuration ---------------------------------------------

/// The company id typed at login (`companyId` of Basic auth and of `/login/companyinfo/{id}`).
pub const COMPANY_ID: &str = "psademo";
/// The API member's public key.
pub const PUBLIC_KEY: &str = "psaDemoPublicKey";
/// The API member's private key.
pub const PRIVATE_KEY: &str = "psaDemoPrivateKey0123456789";
/// The integration's `clientId` header value (a GUID).
pub const CLIENT_ID: &str = "6b3e2f8c-1d4a-4c9e-9f57-2a8b5c0d7e91";
/// What `/login/companyinfo/{id}` reports as `CompanyName`.
pub const COMPANY_NAME: &str = "PSA Demo MSP";
/// The server's model version, sent as the `api-current-version` header on every reply.
pub const API_VERSION: &str = "2025.8";
/// What `/system/info` reports as `version`.
pub const SERVER_VERSION: &str = "v2025.1.10734";

// ---- Members ---------------------------------------------------------------------------------

/// The API member the keys belong to: tickets and notes written through the API are
/// `updatedBy`/`createdBy` its identifier.
pub const API_MEMBER_ID: i64 = 176;
/// Identifier of [`API_MEMBER_ID`].
pub const API_MEMBER_IDENTIFIER: &str = "PsaIntegration";
/// The technician of the `MockConnectWise::member_*` helpers.
pub const TECHNICIAN_MEMBER_ID: i64 = 181;
/// Identifier of [`TECHNICIAN_MEMBER_ID`].
pub const TECHNICIAN_MEMBER_IDENTIFIER: &str = "aturner";
/// Name of [`TECHNICIAN_MEMBER_ID`].
pub const TECHNICIAN_MEMBER_NAME: &str = "Alice Turner";
/// A second technician ("bcarter").
pub const TECHNICIAN_2_MEMBER_ID: i64 = 182;
/// An inactive member ("dformer", `inactiveFlag: true`).
pub const INACTIVE_MEMBER_ID: i64 = 190;

// ---- Boards, statuses, teams, types ----------------------------------------------------------

/// Board "Security Alerts": the API member's default board (used when a ticket has no board).
pub const BOARD_ALERTS: i64 = 21;
/// Name of [`BOARD_ALERTS`].
pub const BOARD_ALERTS_NAME: &str = "Security Alerts";
/// "New" on Security Alerts (`defaultFlag`).
pub const ALERTS_STATUS_NEW: i64 = 170;
/// "In Progress" on Security Alerts.
pub const ALERTS_STATUS_IN_PROGRESS: i64 = 171;
/// "Waiting Customer" on Security Alerts.
pub const ALERTS_STATUS_WAITING: i64 = 172;
/// "Resolved" on Security Alerts: looks final but is NOT a closed status.
pub const ALERTS_STATUS_RESOLVED: i64 = 173;
/// "Closed" on Security Alerts (`closedStatus: true`).
pub const ALERTS_STATUS_CLOSED: i64 = 174;
/// "Old Closed" on Security Alerts: `closedStatus` but `inactive`.
pub const ALERTS_STATUS_INACTIVE: i64 = 176;
/// Team "Security Operations" on Security Alerts (`defaultFlag`).
pub const ALERTS_TEAM_SECOPS: i64 = 31;
/// Team "SOC Tier 2" on Security Alerts.
pub const ALERTS_TEAM_TIER2: i64 = 32;
/// Type "Alert" on Security Alerts (`defaultFlag`).
pub const ALERTS_TYPE_ALERT: i64 = 210;
/// Type "Incident" on Security Alerts.
pub const ALERTS_TYPE_INCIDENT: i64 = 211;
/// Subtype "Malware" on Security Alerts.
pub const ALERTS_SUBTYPE_MALWARE: i64 = 220;

/// Board "Help Desk".
pub const BOARD_HELP_DESK: i64 = 1;
/// Name of [`BOARD_HELP_DESK`].
pub const BOARD_HELP_DESK_NAME: &str = "Help Desk";
/// "New" on Help Desk (`defaultFlag`).
pub const HELP_DESK_STATUS_NEW: i64 = 1;
/// "In Progress" on Help Desk.
pub const HELP_DESK_STATUS_IN_PROGRESS: i64 = 2;
/// "Completed" on Help Desk (`closedStatus: true`).
pub const HELP_DESK_STATUS_COMPLETED: i64 = 5;
/// ">Closed" on Help Desk (`closedStatus: true`).
pub const HELP_DESK_STATUS_CLOSED: i64 = 6;
/// Team "Service Desk" on Help Desk (`defaultFlag`).
pub const HELP_DESK_TEAM: i64 = 10;
/// Type "Service Request" on Help Desk (`defaultFlag`).
pub const HELP_DESK_TYPE: i64 = 200;

/// Board "Implementation": a project board (`projectFlag: true`); service tickets are refused.
pub const BOARD_PROJECT: i64 = 30;
/// Board "Legacy Support": `inactiveFlag: true`; tickets are refused.
pub const BOARD_INACTIVE: i64 = 40;
/// Board "Monitoring": active, but none of its statuses is a closed one.
pub const BOARD_NO_CLOSED_STATUS: i64 = 50;
/// "New" on Monitoring (`defaultFlag`).
pub const MONITORING_STATUS_NEW: i64 = 500;

// ---- Priorities ------------------------------------------------------------------------------

/// "Priority 1 - Emergency Response" (level Critical).
pub const PRIORITY_EMERGENCY: i64 = 15;
/// "Priority 2 - Quick Response" (level High).
pub const PRIORITY_QUICK: i64 = 16;
/// "Priority 3 - Normal Response" (level Medium, `defaultFlag`).
pub const PRIORITY_NORMAL: i64 = 17;
/// "Priority 4 - Schedule Maintenance" (level Low).
pub const PRIORITY_SCHEDULE: i64 = 18;

// ---- Companies -------------------------------------------------------------------------------

/// The MSP itself ("PSA Demo MSP", identifier `psademo`).
pub const COMPANY_OWN_ID: i64 = 2;
/// "Contoso Ltd", identifier `Contoso`, website `www.contoso.com`.
pub const COMPANY_CONTOSO_ID: i64 = 19;
/// Identifier of [`COMPANY_CONTOSO_ID`].
pub const COMPANY_CONTOSO_IDENTIFIER: &str = "Contoso";
/// "Fabrikam, Inc.", identifier `Fabrikam`.
pub const COMPANY_FABRIKAM_ID: i64 = 20;
/// "Smith & Sons Limited", identifier `SmithSons` (a tenant "Smith and Sons Ltd" should map here).
pub const COMPANY_SMITH_AND_SONS_ID: i64 = 250;
/// "Adatum Corporation", identifier `AdatumCorp`.
pub const COMPANY_ADATUM_CORPORATION_ID: i64 = 252;
/// "Adatum Corp", identifier `AdatumCo`: a near-duplicate of [`COMPANY_ADATUM_CORPORATION_ID`].
pub const COMPANY_ADATUM_CORP_ID: i64 = 253;
/// "Northwind Traders GmbH", identifier `Northwind`.
pub const COMPANY_NORTHWIND_ID: i64 = 254;
/// "NORTHWIND TRADERS GMBH", identifier `NorthwindUK`: differs from
/// [`COMPANY_NORTHWIND_ID`] only in case.
pub const COMPANY_NORTHWIND_UPPER_ID: i64 = 255;
/// "O'Brien Plumbing", identifier `OBrien`.
pub const COMPANY_OBRIEN_ID: i64 = 256;
/// "Tailspin Toys LLC", identifier `Tailspin`: `deletedFlag: true`.
pub const COMPANY_DELETED_ID: i64 = 257;
/// Names of the well-known companies (generated names never repeat them).
pub const WELL_KNOWN_COMPANIES: [&str; 10] = [
    COMPANY_NAME,
    "Contoso Ltd",
    "Fabrikam, Inc.",
    "Smith & Sons Limited",
    "Adatum Corporation",
    "Adatum Corp",
    "Northwind Traders GmbH",
    "NORTHWIND TRADERS GMBH",
    "O'Brien Plumbing",
    "Tailspin Toys LLC",
];
/// Id of the first generated company (then consecutive).
pub const FIRST_GENERATED_COMPANY_ID: i64 = 300;

// ---- Contacts --------------------------------------------------------------------------------

/// Contact "Alex Johnson" of Contoso (`alex.johnson@contoso.com`).
pub const CONTACT_CONTOSO_ID: i64 = 501;
/// Email of [`CONTACT_CONTOSO_ID`].
pub const CONTACT_CONTOSO_EMAIL: &str = "alex.johnson@contoso.com";
/// An inactive Contoso contact ("Sam Leaver", `inactiveFlag: true`).
pub const CONTACT_CONTOSO_INACTIVE_ID: i64 = 503;
/// Contact "Jordan Lee" of Fabrikam (`jordan.lee@fabrikam.com`).
pub const CONTACT_FABRIKAM_ID: i64 = 511;

// ---- Tickets ---------------------------------------------------------------------------------

/// A seeded open Help Desk ticket of Contoso, with two notes.
pub const TICKET_CONTOSO_OPEN: i64 = 1001;
/// A seeded closed Help Desk ticket of Fabrikam (status ">Closed").
pub const TICKET_FABRIKAM_CLOSED: i64 = 1002;
/// A seeded open Security Alerts ticket of Contoso with `externalXRef`
/// [`TICKET_ALERT_XREF`].
pub const TICKET_ALERT: i64 = 1003;
/// `externalXRef` of [`TICKET_ALERT`].
pub const TICKET_ALERT_XREF: &str = "psa-connector#seed-alert-1";
/// Id of the first ticket created through the API (then consecutive).
pub const FIRST_NEW_TICKET_ID: i64 = 5001;

/// Service source "Email" (the default source).
pub const SOURCE_EMAIL_ID: i64 = 1;
/// Service source "Security Platform" (for integration tickets).
pub const SOURCE_INTEGRATION_ID: i64 = 9;
