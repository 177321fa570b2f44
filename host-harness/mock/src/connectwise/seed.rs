//! Deterministic seed data: members, boards with statuses/types/subtypes/teams, priorities,
//! well-known and generated companies, a few tickets with notes.
//!
//! Everything named in [`seed_ids`](super::seed_ids) is fixed; generated company names come from
//! a `StdRng` seeded with `ConnectWiseConfig::seed`.

use rand::rngs::StdRng;
use rand::SeedableRng;
use serde_json::{json, Value};

use super::config::ConnectWiseConfig;
use super::seed_ids as ids;
use super::state::{id_name, Store};
use crate::names::{slug, CompanyNames};

/// 2025-01-06T09:00:00Z, when the seeded records were entered.
const SEEDED_AT: &str = "2025-01-06T09:00:00Z";

fn info() -> Value {
    json!({ "dateEntered": SEEDED_AT, "lastUpdated": SEEDED_AT, "updatedBy": "admin1" })
}

/// Builds the initial database of a mock instance.
pub(crate) fn build(config: &ConnectWiseConfig) -> Store {
    let mut s = Store::default();
    members(&mut s);
    boards(&mut s);
    priorities(&mut s);
    sources(&mut s);
    companies(&mut s, config);
    contacts(&mut s);
    s.next_ticket_id = 1001;
    s.next_note_id = 3001;
    tickets(&mut s);
    s.next_ticket_id = ids::FIRST_NEW_TICKET_ID;
    s.next_note_id = 9001;
    s
}

fn members(s: &mut Store) {
    for (id, identifier, first, last, title, inactive) in [
        (
            ids::API_MEMBER_ID,
            ids::API_MEMBER_IDENTIFIER,
            "PSA",
            "Integration",
            "API Member",
            false,
        ),
        (
            ids::TECHNICIAN_MEMBER_ID,
            ids::TECHNICIAN_MEMBER_IDENTIFIER,
            "Alice",
            "Turner",
            "Technician",
            false,
        ),
        (
            ids::TECHNICIAN_2_MEMBER_ID,
            "bcarter",
            "Ben",
            "Carter",
            "Technician",
            false,
        ),
        (
            ids::INACTIVE_MEMBER_ID,
            "dformer",
            "Dave",
            "Former",
            "Technician",
            true,
        ),
    ] {
        s.members.insert(
            id,
            json!({ "id": id, "identifier": identifier, "firstName": first, "lastName": last,
                    "name": format!("{first} {last}"), "title": title,
                    "officeEmail": format!("{}@msp.example", identifier.to_ascii_lowercase()),
                    "inactiveFlag": inactive,
                    "licenseClass": if id == ids::API_MEMBER_ID { "A" } else { "F" },
                    "defaultBoard": if id == ids::API_MEMBER_ID { json!({ "id": ids::BOARD_ALERTS, "name": ids::BOARD_ALERTS_NAME }) } else { Value::Null },
                    "_info": info() }),
        );
    }
}

/// (id, name, closedStatus, inactive, defaultFlag)
type StatusSeed = (i64, &'static str, bool, bool, bool);

fn boards(s: &mut Store) {
    #[allow(clippy::type_complexity)]
    let table: [(
        i64,
        &str,
        bool,
        bool,
        &[StatusSeed],
        &[(i64, &str, bool)],
        &[(i64, &str, bool)],
    ); 5] = [
        (
            ids::BOARD_ALERTS,
            ids::BOARD_ALERTS_NAME,
            false,
            false,
            &[
                (ids::ALERTS_STATUS_NEW, "New", false, false, true),
                (
                    ids::ALERTS_STATUS_IN_PROGRESS,
                    "In Progress",
                    false,
                    false,
                    false,
                ),
                (
                    ids::ALERTS_STATUS_WAITING,
                    "Waiting Customer",
                    false,
                    false,
                    false,
                ),
                (ids::ALERTS_STATUS_RESOLVED, "Resolved", false, false, false),
                (ids::ALERTS_STATUS_CLOSED, "Closed", true, false, false),
                (ids::ALERTS_STATUS_INACTIVE, "Old Closed", true, true, false),
            ],
            &[
                (ids::ALERTS_TEAM_SECOPS, "Security Operations", true),
                (ids::ALERTS_TEAM_TIER2, "SOC Tier 2", false),
            ],
            &[
                (ids::ALERTS_TYPE_ALERT, "Alert", true),
                (ids::ALERTS_TYPE_INCIDENT, "Incident", false),
            ],
        ),
        (
            ids::BOARD_HELP_DESK,
            ids::BOARD_HELP_DESK_NAME,
            false,
            false,
            &[
                (ids::HELP_DESK_STATUS_NEW, "New", false, false, true),
                (
                    ids::HELP_DESK_STATUS_IN_PROGRESS,
                    "In Progress",
                    false,
                    false,
                    false,
                ),
                (
                    ids::HELP_DESK_STATUS_COMPLETED,
                    "Completed",
                    true,
                    false,
                    false,
                ),
                (ids::HELP_DESK_STATUS_CLOSED, ">Closed", true, false, false),
            ],
            &[
                (ids::HELP_DESK_TEAM, "Service Desk", true),
                (11, "Escalations", false),
            ],
            &[
                (ids::HELP_DESK_TYPE, "Service Request", true),
                (201, "Problem", false),
            ],
        ),
        (
            ids::BOARD_PROJECT,
            "Implementation",
            false,
            true,
            &[
                (300, "Open", false, false, true),
                (301, "Done", true, false, false),
            ],
            &[(35, "Projects", true)],
            &[(230, "Project", true)],
        ),
        (
            ids::BOARD_INACTIVE,
            "Legacy Support",
            true,
            false,
            &[
                (400, "New", false, false, true),
                (401, "Closed", true, false, false),
            ],
            &[(40, "Legacy Team", true)],
            &[(240, "Legacy", true)],
        ),
        (
            ids::BOARD_NO_CLOSED_STATUS,
            "Monitoring",
            false,
            false,
            &[
                (ids::MONITORING_STATUS_NEW, "New", false, false, true),
                (501, "Acknowledged", false, false, false),
            ],
            &[(50, "NOC", true)],
            &[(250, "Monitor", true)],
        ),
    ];
    for (board, name, inactive, project, statuses, teams, types) in table {
        s.boards.insert(
            board,
            json!({ "id": board, "name": name, "location": { "id": 2, "name": "Main" },
                    "department": { "id": 10, "name": "Services" }, "inactiveFlag": inactive,
                    "projectFlag": project, "signOffOnCloseFlag": false, "_info": info() }),
        );
        let board_ref = json!({ "id": board, "name": name });
        for (sort, (id, sname, closed, inactive, default)) in statuses.iter().enumerate() {
            s.statuses.insert(
                *id,
                json!({ "id": id, "name": sname, "board": board_ref, "sortOrder": sort,
                        "displayOnBoard": !inactive, "inactive": inactive, "closedStatus": closed,
                        "defaultFlag": default, "timeEntryNotAllowed": false,
                        "escalationStatus": "NotResponded", "_info": info() }),
            );
        }
        for (id, tname, default) in teams.iter() {
            s.teams.insert(
                *id,
                json!({ "id": id, "name": tname, "boardId": board, "defaultFlag": default,
                        "teamLeader": { "id": ids::TECHNICIAN_MEMBER_ID, "identifier": ids::TECHNICIAN_MEMBER_IDENTIFIER, "name": ids::TECHNICIAN_MEMBER_NAME },
                        "members": [ids::TECHNICIAN_MEMBER_ID, ids::TECHNICIAN_2_MEMBER_ID],
                        "locationId": 2, "businessUnitId": 10, "_info": info() }),
            );
        }
        for (id, tname, default) in types.iter() {
            s.types.insert(
                *id,
                json!({ "id": id, "name": tname, "board": board_ref, "category": "Reactive",
                        "defaultFlag": default, "inactiveFlag": false,
                        "requestForChangeFlag": false, "integrationXref": "", "_info": info() }),
            );
        }
    }
    for (id, name, type_ids) in [
        (
            ids::ALERTS_SUBTYPE_MALWARE,
            "Malware",
            vec![ids::ALERTS_TYPE_ALERT, ids::ALERTS_TYPE_INCIDENT],
        ),
        (221, "Phishing", vec![ids::ALERTS_TYPE_ALERT]),
    ] {
        s.subtypes.insert(
            id,
            json!({ "id": id, "name": name, "inactiveFlag": false, "typeAssociationIds": type_ids,
                    "board": { "id": ids::BOARD_ALERTS, "name": ids::BOARD_ALERTS_NAME }, "_info": info() }),
        );
    }
    s.subtypes.insert(
        222,
        json!({ "id": 222, "name": "Password Reset", "inactiveFlag": false, "typeAssociationIds": [ids::HELP_DESK_TYPE],
                "board": { "id": ids::BOARD_HELP_DESK, "name": ids::BOARD_HELP_DESK_NAME }, "_info": info() }),
    );
}

fn sources(s: &mut Store) {
    for (id, name, default) in [
        (ids::SOURCE_EMAIL_ID, "Email", true),
        (2, "Phone", false),
        (ids::SOURCE_INTEGRATION_ID, "Security Platform", false),
    ] {
        s.sources.insert(
            id,
            json!({ "id": id, "name": name, "defaultFlag": default,
                    "_info": { "lastUpdated": "2024-01-01T00:00:00Z" } }),
        );
    }
}

fn priorities(s: &mut Store) {
    for (sort, (id, name, level, color, default)) in [
        (
            ids::PRIORITY_EMERGENCY,
            "Priority 1 - Emergency Response",
            "Critical",
            "#FF0000",
            false,
        ),
        (
            ids::PRIORITY_QUICK,
            "Priority 2 - Quick Response",
            "High",
            "#FF9900",
            false,
        ),
        (
            ids::PRIORITY_NORMAL,
            "Priority 3 - Normal Response",
            "Medium",
            "#FFFF00",
            true,
        ),
        (
            ids::PRIORITY_SCHEDULE,
            "Priority 4 - Schedule Maintenance",
            "Low",
            "#00FF00",
            false,
        ),
    ]
    .into_iter()
    .enumerate()
    {
        s.priorities.insert(
            id,
            json!({ "id": id, "name": name, "color": color, "sortOrder": sort + 1,
                    "defaultFlag": default, "level": level, "urgencySortOrder": sort + 1,
                    "_info": info() }),
        );
    }
}

fn company(id: i64, identifier: &str, name: &str, website: &str, deleted: bool) -> Value {
    json!({ "id": id, "identifier": identifier, "name": name,
            "status": { "id": 1, "name": "Active" }, "types": [{ "id": 1, "name": "Client" }],
            "deletedFlag": deleted, "phoneNumber": "", "website": website,
            "site": { "id": id * 10, "name": "Main" }, "city": "London",
            "_info": info() })
}

fn companies(s: &mut Store, config: &ConnectWiseConfig) {
    let well_known = [
        (
            ids::COMPANY_OWN_ID,
            ids::COMPANY_ID,
            ids::COMPANY_NAME,
            "www.msp.example",
            false,
        ),
        (
            ids::COMPANY_CONTOSO_ID,
            ids::COMPANY_CONTOSO_IDENTIFIER,
            "Contoso Ltd",
            "www.contoso.com",
            false,
        ),
        (
            ids::COMPANY_FABRIKAM_ID,
            "Fabrikam",
            "Fabrikam, Inc.",
            "fabrikam.com",
            false,
        ),
        (
            ids::COMPANY_SMITH_AND_SONS_ID,
            "SmithSons",
            "Smith & Sons Limited",
            "",
            false,
        ),
        (
            ids::COMPANY_ADATUM_CORPORATION_ID,
            "AdatumCorp",
            "Adatum Corporation",
            "adatum.com",
            false,
        ),
        (
            ids::COMPANY_ADATUM_CORP_ID,
            "AdatumCo",
            "Adatum Corp",
            "",
            false,
        ),
        (
            ids::COMPANY_NORTHWIND_ID,
            "Northwind",
            "Northwind Traders GmbH",
            "northwind.example",
            false,
        ),
        (
            ids::COMPANY_NORTHWIND_UPPER_ID,
            "NorthwindUK",
            "NORTHWIND TRADERS GMBH",
            "",
            false,
        ),
        (
            ids::COMPANY_OBRIEN_ID,
            "OBrien",
            "O'Brien Plumbing",
            "",
            false,
        ),
        (
            ids::COMPANY_DELETED_ID,
            "Tailspin",
            "Tailspin Toys LLC",
            "tailspintoys.com",
            true,
        ),
    ];
    let mut used_identifiers = std::collections::HashSet::new();
    for (id, identifier, name, website, deleted) in well_known {
        used_identifiers.insert(identifier.to_ascii_lowercase());
        s.companies
            .insert(id, company(id, identifier, name, website, deleted));
    }
    let mut rng = StdRng::seed_from_u64(config.seed);
    let mut names = CompanyNames::new(&ids::WELL_KNOWN_COMPANIES);
    let generated = config.companies.saturating_sub(well_known.len());
    for i in 0..generated {
        let id = ids::FIRST_GENERATED_COMPANY_ID + i as i64;
        let name = names.next(&mut rng);
        // ConnectWise limits names to 50 characters and identifiers to 30.
        let name: String = name.chars().take(50).collect();
        let base: String = slug(&name).chars().take(24).collect();
        let base = if base.is_empty() {
            format!("company{id}")
        } else {
            base
        };
        let mut identifier = base.clone();
        let mut n = 2;
        while !used_identifiers.insert(identifier.to_ascii_lowercase()) {
            identifier = format!("{base}{n}");
            n += 1;
        }
        let website = format!("www.{identifier}.example");
        s.companies
            .insert(id, company(id, &identifier, &name, &website, false));
    }
}

fn contacts(s: &mut Store) {
    for (id, company, first, last, email, inactive) in [
        (
            ids::CONTACT_CONTOSO_ID,
            ids::COMPANY_CONTOSO_ID,
            "Alex",
            "Johnson",
            ids::CONTACT_CONTOSO_EMAIL,
            false,
        ),
        (
            502,
            ids::COMPANY_CONTOSO_ID,
            "Priya",
            "Patel",
            "priya.patel@contoso.com",
            false,
        ),
        (
            ids::CONTACT_CONTOSO_INACTIVE_ID,
            ids::COMPANY_CONTOSO_ID,
            "Sam",
            "Leaver",
            "sam.leaver@contoso.com",
            true,
        ),
        (
            ids::CONTACT_FABRIKAM_ID,
            ids::COMPANY_FABRIKAM_ID,
            "Jordan",
            "Lee",
            "jordan.lee@fabrikam.com",
            false,
        ),
        (
            512,
            ids::COMPANY_SMITH_AND_SONS_ID,
            "Seán",
            "O'Neill",
            "sean.oneill@smithandsons.example",
            false,
        ),
    ] {
        let c = &s.companies[&company];
        s.contacts.insert(
            id,
            json!({ "id": id, "firstName": first, "lastName": last, "name": format!("{first} {last}"),
                    "company": { "id": company, "identifier": c["identifier"], "name": c["name"] },
                    "inactiveFlag": inactive, "title": "",
                    "communicationItems": [{ "id": id * 10, "type": { "id": 1, "name": "Email" },
                        "value": email, "defaultFlag": true, "communicationType": "Email" }],
                    "_info": info() }),
        );
    }
}

fn tickets(s: &mut Store) {
    let help_desk = id_name(&s.boards[&ids::BOARD_HELP_DESK]);
    let alerts = id_name(&s.boards[&ids::BOARD_ALERTS]);
    let contoso = &s.companies[&ids::COMPANY_CONTOSO_ID];
    let contoso = json!({ "id": contoso["id"], "identifier": contoso["identifier"], "name": contoso["name"] });
    let fabrikam = &s.companies[&ids::COMPANY_FABRIKAM_ID];
    let fabrikam = json!({ "id": fabrikam["id"], "identifier": fabrikam["identifier"], "name": fabrikam["name"] });
    let status = |s: &Store, id: i64| json!({ "id": id, "name": s.statuses[&id]["name"], "Sort": s.statuses[&id]["sortOrder"] });
    let priority = json!({ "id": ids::PRIORITY_NORMAL, "name": "Priority 3 - Normal Response", "sort": 3, "level": "Medium" });
    let rows = [
        (
            ids::TICKET_CONTOSO_OPEN,
            "Printer on floor 2 is offline",
            help_desk.clone(),
            status(s, ids::HELP_DESK_STATUS_NEW),
            contoso.clone(),
            None,
            None,
        ),
        (
            ids::TICKET_FABRIKAM_CLOSED,
            "New starter laptop",
            help_desk,
            status(s, ids::HELP_DESK_STATUS_CLOSED),
            fabrikam,
            None,
            Some("2025-01-07T15:30:00Z"),
        ),
        (
            ids::TICKET_ALERT,
            "Malware detected on CONTOSO-WS-042",
            alerts,
            status(s, ids::ALERTS_STATUS_NEW),
            contoso,
            Some(ids::TICKET_ALERT_XREF),
            None,
        ),
    ];
    for (id, summary, board, status, company, xref, closed) in rows {
        let mut t = json!({ "id": id, "summary": summary, "recordType": "ServiceTicket",
            "board": board, "status": status, "company": company, "priority": priority,
            "severity": "Medium", "impact": "Medium", "closedFlag": closed.is_some(),
            "customerUpdatedFlag": false,
            "_info": { "dateEntered": SEEDED_AT, "lastUpdated": closed.unwrap_or(SEEDED_AT),
                       "enteredBy": "admin1", "updatedBy": if closed.is_some() { ids::TECHNICIAN_MEMBER_IDENTIFIER } else { "admin1" },
                       "notes_href": format!("service/tickets/{id}/notes") } });
        if let Some(x) = xref {
            t["externalXRef"] = json!(x);
        }
        if let Some(c) = closed {
            t["closedDate"] = json!(c);
            t["closedBy"] = json!(ids::TECHNICIAN_MEMBER_IDENTIFIER);
        }
        s.tickets.insert(id, t);
    }
    for (ticket, text, detail, internal) in [
        (
            ids::TICKET_CONTOSO_OPEN,
            "The printer shows error 49.",
            true,
            false,
        ),
        (
            ids::TICKET_CONTOSO_OPEN,
            "Power-cycled remotely; waiting for the user.",
            false,
            true,
        ),
        (
            ids::TICKET_FABRIKAM_CLOSED,
            "Laptop imaged and delivered.",
            true,
            false,
        ),
        (
            ids::TICKET_ALERT,
            "Endpoint protection quarantined a file.",
            true,
            false,
        ),
    ] {
        let note = s.insert_note(
            ticket,
            &json!({ "text": text, "detailDescriptionFlag": detail, "internalAnalysisFlag": internal }),
            ids::TECHNICIAN_MEMBER_ID,
        );
        let id = note["id"].as_i64().unwrap_or_default();
        if let Some(n) = s.notes.get_mut(&id) {
            n["dateCreated"] = json!(SEEDED_AT);
            n["_info"]["lastUpdated"] = json!(SEEDED_AT);
        }
    }
}
