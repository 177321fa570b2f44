//! Deterministic seed data: lookups, well-known and generated clients, sites, users, tickets.
//!
//! Everything named in [`seed_ids`](super::seed_ids) is fixed; the generated clients (names,
//! sites, users) and the generated tickets come from a `StdRng` seeded with `MockConfig::seed`.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

use super::config::MockConfig;
use super::seed_ids as ids;
use super::state::{int_of, new_client, str_of, Actor, Store};
use crate::clock;
use crate::names::{pick, slug, CompanyNames};

/// Builds the initial database of a mock instance.
pub(crate) fn build(config: &MockConfig) -> Store {
    let mut s = Store::default();
    let mut rng = StdRng::seed_from_u64(config.seed);
    lookups(&mut s);
    ticket_sources(&mut s);
    well_known_clients(&mut s);
    s.next_client_id = ids::CLIENT_OLD_ID + 1;
    s.next_site_id = 120;
    let mut next_user = 600;
    let generated = config.clients.saturating_sub(ids::WELL_KNOWN_CLIENTS.len());
    generated_clients(&mut s, &mut rng, generated, &mut next_user);
    s.next_action_id = 5001;
    tickets(&mut s, &mut rng);
    s.next_ticket_id = ids::FIRST_NEW_TICKET_ID;
    s.next_action_id = s.next_action_id.max(9001);
    s
}

// ---- lookups -------------------------------------------------------------------------------

fn lookups(s: &mut Store) {
    let agents = [
        (
            ids::API_AGENT_ID,
            ids::API_AGENT_NAME,
            "psa-integration@msp.example",
            "",
            true,
            false,
        ),
        (
            ids::TECHNICIAN_AGENT_ID,
            ids::TECHNICIAN_AGENT_NAME,
            "alice.turner@msp.example",
            ids::TEAM_FIRST_LINE_NAME,
            false,
            false,
        ),
        (
            ids::TECHNICIAN_2_AGENT_ID,
            "Ben Carter",
            "ben.carter@msp.example",
            ids::TEAM_SECOND_LINE_NAME,
            false,
            false,
        ),
        (
            ids::TECHNICIAN_3_AGENT_ID,
            "Chloe Nguyen",
            "chloe.nguyen@msp.example",
            ids::TEAM_SECURITY_OPERATIONS_NAME,
            false,
            false,
        ),
        (
            ids::DISABLED_AGENT_ID,
            "Dave Former",
            "dave.former@msp.example",
            ids::TEAM_FIRST_LINE_NAME,
            false,
            true,
        ),
    ];
    for (id, name, email, team, api, disabled) in agents {
        let (first, last) = name.split_once(' ').unwrap_or((name, ""));
        s.agents.insert(
            id,
            json!({
                "id": id, "name": name, "firstname": first, "surname": last,
                "initials": format!("{}{}", first.chars().next().unwrap_or(' '), last.chars().next().unwrap_or(' ')).trim().to_string(),
                "email": email, "team": team, "jobtitle": if api { "API Agent" } else { "Technician" },
                "isapiagent": api, "isdisabled": disabled, "is_agent": true,
            }),
        );
    }

    let statuses = [
        (ids::STATUS_NEW, "New", "New"),
        (ids::STATUS_IN_PROGRESS, "In Progress", "InProg"),
        (ids::STATUS_ACTION_REQUIRED, "Action Required", "ActReq"),
        (
            ids::STATUS_WAITING_ON_CUSTOMER,
            "Waiting on Customer",
            "WaitCust",
        ),
        (ids::STATUS_WITH_SUPPLIER, "With Supplier", "Supplier"),
        (ids::STATUS_RESOLVED, "Resolved", "Resolved"),
        (ids::STATUS_CLOSED, ids::CLOSED_STATUS_NAME, "Closed"),
    ];
    for (seq, (id, name, short)) in statuses.into_iter().enumerate() {
        s.statuses.insert(
            id,
            json!({ "id": id, "name": name, "shortname": short, "type": "ticket",
                    "sequence": seq + 1, "colour": "#3f6fb5" }),
        );
    }

    for (sla, name, first) in [
        (
            ids::SLA_STANDARD,
            "Standard SLA",
            ids::PRIORITY_STANDARD_CRITICAL,
        ),
        (
            ids::SLA_SECURITY,
            "Security SLA",
            ids::PRIORITY_SECURITY_CRITICAL,
        ),
    ] {
        let mut list = Vec::new();
        for (i, pname) in ids::PRIORITY_NAMES.iter().enumerate() {
            let pid = first + i as i64;
            let hours = [1, 4, 8, 24][i];
            let p = json!({
                "id": format!("5c1e{sla:04x}-{pid:04x}-4a7b-9c2d-{:012x}", sla * 1000 + pid),
                "priorityid": pid, "slaid": sla, "name": pname,
                "fixtime": hours * (if sla == ids::SLA_SECURITY { 1 } else { 2 }), "fixunits": "h",
                "responsetime": hours, "responseunits": "h",
                "priorityorder": i + 1, "ishidden": false, "colour": "#d04437",
            });
            list.push(p.clone());
            s.priorities.push(p);
        }
        s.slas
            .insert(sla, json!({ "id": sla, "name": name, "priorities": list }));
    }

    let field = |mandatory: bool, default: Option<&str>| json!([{ "name": "category_1", "label": "Category", "mandatory": mandatory, "default_value": default }]);
    let types = [
        (
            ids::TICKET_TYPE_INCIDENT,
            "Incident",
            ids::SLA_STANDARD,
            ids::PRIORITY_STANDARD_MEDIUM,
            ids::TEAM_FIRST_LINE_NAME,
            true,
            false,
            field(false, None),
        ),
        (
            ids::TICKET_TYPE_SERVICE_REQUEST,
            "Service Request",
            ids::SLA_STANDARD,
            ids::PRIORITY_STANDARD_LOW,
            ids::TEAM_FIRST_LINE_NAME,
            true,
            false,
            json!([]),
        ),
        (
            ids::TICKET_TYPE_PROBLEM,
            "Problem",
            ids::SLA_STANDARD,
            ids::PRIORITY_STANDARD_MEDIUM,
            ids::TEAM_SECOND_LINE_NAME,
            true,
            false,
            field(true, None),
        ),
        (
            ids::TICKET_TYPE_CHANGE_REQUEST,
            "Change Request",
            ids::SLA_STANDARD,
            ids::PRIORITY_STANDARD_LOW,
            ids::TEAM_SECOND_LINE_NAME,
            false,
            false,
            json!([]),
        ),
        (
            ids::TICKET_TYPE_SECURITY_ALERT,
            "Security Alert",
            ids::SLA_SECURITY,
            ids::PRIORITY_SECURITY_HIGH,
            ids::TEAM_SECURITY_OPERATIONS_NAME,
            true,
            false,
            field(true, Some(ids::SECURITY_ALERT_DEFAULT_CATEGORY)),
        ),
        (
            ids::TICKET_TYPE_INACTIVE,
            "Legacy Hardware Fault",
            ids::SLA_STANDARD,
            ids::PRIORITY_STANDARD_MEDIUM,
            ids::TEAM_LEGACY_NAME,
            true,
            true,
            json!([]),
        ),
    ];
    for (seq, (id, name, sla, prio, team, selectable, inactive, fields)) in
        types.into_iter().enumerate()
    {
        s.ticket_types.insert(
            id,
            json!({
                "id": id, "name": name, "inactive": inactive, "visible": !inactive,
                "agentscanselect": selectable, "enduserscanselect": selectable && id != ids::TICKET_TYPE_SECURITY_ALERT,
                "default_sla": sla, "default_priority": prio, "default_team": team,
                "initial_status": ids::STATUS_NEW, "sequence": seq + 1, "use": "ticket",
                "fields": fields,
            }),
        );
    }

    for (id, name, inactive) in [
        (ids::TEAM_FIRST_LINE, ids::TEAM_FIRST_LINE_NAME, false),
        (ids::TEAM_SECOND_LINE, ids::TEAM_SECOND_LINE_NAME, false),
        (
            ids::TEAM_SECURITY_OPERATIONS,
            ids::TEAM_SECURITY_OPERATIONS_NAME,
            false,
        ),
        (ids::TEAM_LEGACY, ids::TEAM_LEGACY_NAME, true),
    ] {
        s.teams.insert(
            id,
            json!({ "id": id, "name": name, "inactive": inactive, "forrequests": true,
                    "department_id": 1, "department_name": "Service Desk",
                    "guid": format!("7ea30000-0000-4000-8000-{id:012}") }),
        );
    }

    for (seq, (id, name, button, hidden)) in [
        (ids::OUTCOME_EMAIL_USER, "Email User", "Email User", false),
        (
            ids::OUTCOME_PRIVATE_NOTE,
            ids::OUTCOME_PRIVATE_NOTE_NAME,
            "Private Note",
            true,
        ),
        (ids::OUTCOME_CLOSE_TICKET, "Close Ticket", "Close", false),
        (ids::OUTCOME_REOPEN, "Re-open", "Re-open", false),
        (
            ids::OUTCOME_INTERNAL_NOTE,
            "Internal Note",
            "Internal Note",
            true,
        ),
        (ids::OUTCOME_REASSIGN, "Reassign", "Reassign", true),
    ]
    .into_iter()
    .enumerate()
    {
        s.outcomes.insert(
            id,
            json!({ "id": id, "outcome": name, "buttonname": button,
                    "hiddenfromuser": hidden, "sequence": seq + 1 }),
        );
    }
}

fn ticket_sources(s: &mut Store) {
    for (id, name) in [
        (ids::SOURCE_EMAIL_ID, "Email"),
        (2, "Phone"),
        (3, "Manual"),
        (ids::SOURCE_INTEGRATION_ID, "Security Platform"),
    ] {
        s.sources.insert(id, json!({ "id": id, "name": name }));
    }
}

// ---- clients, sites, users -----------------------------------------------------------------

/// (site id, name, inactive)
type SiteSeed = (i64, &'static str, bool);
/// (user id, name, email, index of the site, inactive)
type UserSeed = (i64, &'static str, &'static str, usize, bool);

fn well_known_clients(s: &mut Store) {
    #[allow(clippy::type_complexity)]
    let table: [(i64, &str, &str, &str, bool, &[SiteSeed], &[UserSeed]); 11] = [
        (
            ids::CLIENT_CONTOSO_ID,
            ids::CLIENT_CONTOSO,
            "https://www.contoso.com",
            "CONTOSO-001",
            false,
            &[
                (ids::CONTOSO_MAIN_SITE_ID, "Head Office", false),
                (ids::CONTOSO_SECOND_SITE_ID, "Seattle Branch", false),
            ],
            &[
                (
                    ids::CONTOSO_USER_ID,
                    "Alex Johnson",
                    "alex.johnson@contoso.com",
                    0,
                    false,
                ),
                (502, "Priya Patel", "priya.patel@contoso.com", 1, false),
                (503, "Sam Leaver", "sam.leaver@contoso.com", 0, true),
            ],
        ),
        (
            ids::CLIENT_FABRIKAM_ID,
            ids::CLIENT_FABRIKAM,
            "fabrikam.com",
            "FAB-002",
            false,
            &[(103, "Main", false)],
            &[(504, "Jordan Lee", "jordan.lee@fabrikam.com", 0, false)],
        ),
        (
            ids::CLIENT_SMITH_AND_SONS_ID,
            ids::CLIENT_SMITH_AND_SONS,
            "https://smithandsons.co.uk",
            "",
            false,
            &[(104, "Main", false)],
            &[(
                505,
                "Margaret Smith",
                "margaret@smithandsons.co.uk",
                0,
                false,
            )],
        ),
        (
            ids::CLIENT_NORTHWIND_ID,
            ids::CLIENT_NORTHWIND,
            "https://northwind.de",
            "NW-77",
            false,
            &[
                (105, "Hamburg HQ", false),
                (106, "Berlin Office", false),
                (107, "Old Depot", true),
            ],
            &[
                (506, "Jürgen Weiß", "juergen.weiss@northwind.de", 0, false),
                (507, "Anna Schmidt", "anna.schmidt@northwind.de", 1, false),
            ],
        ),
        (
            ids::CLIENT_TAILSPIN_ID,
            ids::CLIENT_TAILSPIN,
            "tailspintoys.com",
            "",
            false,
            &[(108, "Main", false)],
            &[(508, "Chris Doe", "chris@tailspintoys.com", 0, false)],
        ),
        (
            ids::CLIENT_OBRIEN_ID,
            ids::CLIENT_OBRIEN,
            "",
            "",
            false,
            &[(109, "Main", false)],
            &[(
                509,
                "Siobhan O'Brien",
                "siobhan@obrienplumbing.ie",
                0,
                false,
            )],
        ),
        (
            ids::CLIENT_ADATUM_CORPORATION_ID,
            ids::CLIENT_ADATUM_CORPORATION,
            "https://www.adatum.com",
            "ADATUM",
            false,
            &[(110, "Main", false)],
            &[(510, "Kim Park", "kim.park@adatum.com", 0, false)],
        ),
        (
            ids::CLIENT_ADATUM_CORP_ID,
            ids::CLIENT_ADATUM_CORP,
            "adatumcorp.example",
            "",
            false,
            &[(111, "Main", false)],
            &[(511, "Lee Park", "lee.park@adatumcorp.example", 0, false)],
        ),
        (
            ids::CLIENT_MULLER_ID,
            ids::CLIENT_MULLER,
            "https://mueller-bau.de",
            "",
            false,
            &[(112, "Stammhaus", false)],
            &[(512, "Klaus Müller", "klaus@mueller-bau.de", 0, false)],
        ),
        (
            ids::CLIENT_WIDE_WORLD_ID,
            ids::CLIENT_WIDE_WORLD,
            "https://wideworldimporters.com",
            "WWI",
            false,
            &[(113, "Main", false)],
            &[(
                513,
                "Ana Silva",
                "ana.silva@wideworldimporters.com",
                0,
                false,
            )],
        ),
        (
            ids::CLIENT_OLD_ID,
            ids::CLIENT_OLD,
            "",
            "OLD-1",
            true,
            &[(114, "Main", false)],
            &[(514, "Former Contact", "contact@oldclient.example", 0, false)],
        ),
    ];
    for (id, name, website, reference, inactive, sites, users) in table {
        let mut c = new_client(id, name, sites[0].0, sites[0].1);
        c["website"] = json!(website);
        c["ref"] = json!(reference);
        c["inactive"] = json!(inactive);
        s.clients.insert(id, c);
        for &(sid, sname, sinactive) in sites {
            insert_site(s, sid, id, name, sname, sinactive);
        }
        for &(uid, uname, email, site_idx, uinactive) in users {
            let (sid, sname) = (sites[site_idx].0, sites[site_idx].1);
            insert_user(s, uid, uname, email, id, name, sid, sname, uinactive);
        }
    }
}

fn insert_site(s: &mut Store, id: i64, client_id: i64, client: &str, name: &str, inactive: bool) {
    s.sites.insert(
        id,
        json!({ "id": id, "name": name, "client_id": client_id, "client_name": client,
                "clientsite_name": format!("{client}/{name}"), "inactive": inactive,
                "phonenumber": "", "timezone": "GMT Standard Time" }),
    );
}

#[allow(clippy::too_many_arguments)]
fn insert_user(
    s: &mut Store,
    id: i64,
    name: &str,
    email: &str,
    client_id: i64,
    client: &str,
    site_id: i64,
    site: &str,
    inactive: bool,
) {
    let (first, last) = name.split_once(' ').unwrap_or((name, ""));
    s.users.insert(
        id,
        json!({ "id": id, "name": name, "firstname": first, "surname": last, "emailaddress": email,
                "site_id": site_id, "site_name": site, "client_id": client_id, "client_name": client,
                "inactive": inactive, "phonenumber": "", "isimportantcontact": false }),
    );
}

const FIRST_NAMES: &[&str] = &[
    "Olivia", "Liam", "Emma", "Noah", "Ava", "Oliver", "Sophia", "Elijah", "Mia", "James",
    "Amelia", "Lucas", "Zoë", "Mateo", "Aisha", "Ravi", "Mei", "Tomás", "Fatima", "Sean",
];
const LAST_NAMES: &[&str] = &[
    "Smith", "Jones", "Brown", "García", "Kowalski", "Nguyen", "Khan", "O'Neill", "Rossi",
    "Schmidt", "Dubois", "Tanaka", "Evans", "Walker", "Hughes", "Patel", "Murphy", "Novak",
];
const CITIES: &[&str] = &[
    "London",
    "Manchester",
    "Leeds",
    "Bristol",
    "Glasgow",
    "Dublin",
    "Cardiff",
    "Belfast",
    "Warehouse",
    "Remote Office",
];

fn generated_clients(s: &mut Store, rng: &mut StdRng, count: usize, next_user: &mut i64) {
    let mut names = CompanyNames::new(&ids::WELL_KNOWN_CLIENTS);
    for _ in 0..count {
        let name = names.next(rng);
        let id = s.next_client_id;
        s.next_client_id += 1;
        let domain = {
            let sl = slug(&name);
            if sl.is_empty() {
                format!("client{id}.example")
            } else {
                format!("{}.example", &sl[..sl.len().min(30)])
            }
        };
        let site_count = rng.random_range(1..=3);
        let mut sites = Vec::new();
        for k in 0..site_count {
            let sid = s.next_site_id;
            s.next_site_id += 1;
            let sname = match k {
                0 if rng.random_bool(0.5) => "Main".to_string(),
                0 => "Head Office".to_string(),
                _ => pick(rng, CITIES).to_string(),
            };
            let inactive = k == 2 && rng.random_bool(0.3);
            insert_site(s, sid, id, &name, &sname, inactive);
            sites.push((sid, sname));
        }
        let mut c = new_client(id, &name, sites[0].0, &sites[0].1);
        if rng.random_bool(0.7) {
            c["website"] = json!(format!("https://www.{domain}"));
        }
        s.clients.insert(id, c);
        for k in 0..rng.random_range(1..=3) {
            let (first, last) = (pick(rng, FIRST_NAMES), pick(rng, LAST_NAMES));
            let uname = format!("{first} {last}");
            let email = format!("{}.{}@{domain}", slug(first), slug(last));
            let (sid, sname) = &sites[rng.random_range(0..sites.len())];
            let inactive = k > 0 && rng.random_bool(0.1);
            insert_user(
                s, *next_user, &uname, &email, id, &name, *sid, sname, inactive,
            );
            *next_user += 1;
        }
    }
}

// ---- tickets -------------------------------------------------------------------------------

/// 2025-01-06T09:00:00Z, the start of the seeded history.
const HISTORY_START: i64 = 1_736_154_000;

struct TicketSeed<'a> {
    id: i64,
    client_id: i64,
    summary: &'a str,
    type_id: i64,
    priority_id: i64,
    user_id: Option<i64>,
    /// Hours after [`HISTORY_START`].
    at_hours: i64,
    agent: Option<i64>,
    status: i64,
}

fn tickets(s: &mut Store, rng: &mut StdRng) {
    let fixed = [
        TicketSeed {
            id: ids::SEED_TICKET_OPEN_ID,
            client_id: ids::CLIENT_CONTOSO_ID,
            summary: "Printer on 2nd floor keeps jamming",
            type_id: ids::TICKET_TYPE_INCIDENT,
            priority_id: ids::PRIORITY_STANDARD_MEDIUM,
            user_id: Some(ids::CONTOSO_USER_ID),
            at_hours: 2,
            agent: Some(ids::TECHNICIAN_AGENT_ID),
            status: ids::STATUS_IN_PROGRESS,
        },
        TicketSeed {
            id: 1002,
            client_id: ids::CLIENT_CONTOSO_ID,
            summary: "New starter laptop for Priya",
            type_id: ids::TICKET_TYPE_SERVICE_REQUEST,
            priority_id: ids::PRIORITY_STANDARD_LOW,
            user_id: Some(502),
            at_hours: 5,
            agent: None,
            status: ids::STATUS_NEW,
        },
        TicketSeed {
            id: ids::SEED_TICKET_CLOSED_ID,
            client_id: ids::CLIENT_CONTOSO_ID,
            summary: "Email outage",
            type_id: ids::TICKET_TYPE_INCIDENT,
            priority_id: ids::PRIORITY_STANDARD_HIGH,
            user_id: Some(ids::CONTOSO_USER_ID),
            at_hours: 9,
            agent: Some(ids::TECHNICIAN_2_AGENT_ID),
            status: ids::STATUS_CLOSED,
        },
        TicketSeed {
            id: 1004,
            client_id: ids::CLIENT_FABRIKAM_ID,
            summary: "Suspicious sign-in from unfamiliar location",
            type_id: ids::TICKET_TYPE_SECURITY_ALERT,
            priority_id: ids::PRIORITY_SECURITY_HIGH,
            user_id: Some(504),
            at_hours: 12,
            agent: Some(ids::TECHNICIAN_3_AGENT_ID),
            status: ids::STATUS_ACTION_REQUIRED,
        },
        TicketSeed {
            id: 1005,
            client_id: ids::CLIENT_NORTHWIND_ID,
            summary: "VPN drops every hour",
            type_id: ids::TICKET_TYPE_INCIDENT,
            priority_id: ids::PRIORITY_STANDARD_MEDIUM,
            user_id: Some(506),
            at_hours: 20,
            agent: Some(ids::TECHNICIAN_AGENT_ID),
            status: ids::STATUS_RESOLVED,
        },
    ];
    for t in &fixed {
        seed_ticket(s, t);
    }

    const SUMMARIES: &[&str] = &[
        "Cannot access shared drive",
        "Outlook keeps asking for password",
        "Slow Wi-Fi in meeting room",
        "Request new monitor",
        "Backup job failed",
        "Phone system not ringing",
        "Disk space low on server",
        "Password reset",
        "Install Adobe Reader",
        "Malware detected on laptop",
        "Website down",
        "Add user to distribution list",
        "MFA not working",
        "Firewall firmware update",
    ];
    let candidates: Vec<i64> = s
        .clients
        .values()
        .filter(|c| !state_bool(c, "inactive") && int_of(c, "id") > Some(ids::CLIENT_OLD_ID))
        .filter_map(|c| int_of(c, "id"))
        .collect();
    let candidates = if candidates.is_empty() {
        vec![ids::CLIENT_TAILSPIN_ID, ids::CLIENT_WIDE_WORLD_ID]
    } else {
        candidates
    };
    let types = [
        ids::TICKET_TYPE_INCIDENT,
        ids::TICKET_TYPE_INCIDENT,
        ids::TICKET_TYPE_SERVICE_REQUEST,
        ids::TICKET_TYPE_PROBLEM,
        ids::TICKET_TYPE_SECURITY_ALERT,
    ];
    let open_statuses = [
        ids::STATUS_NEW,
        ids::STATUS_IN_PROGRESS,
        ids::STATUS_WAITING_ON_CUSTOMER,
        ids::STATUS_WITH_SUPPLIER,
    ];
    let techs = [
        ids::TECHNICIAN_AGENT_ID,
        ids::TECHNICIAN_2_AGENT_ID,
        ids::TECHNICIAN_3_AGENT_ID,
    ];
    for i in 0..35i64 {
        let client_id = candidates[rng.random_range(0..candidates.len())];
        let type_id = types[rng.random_range(0..types.len())];
        let first = if type_id == ids::TICKET_TYPE_SECURITY_ALERT {
            ids::PRIORITY_SECURITY_CRITICAL
        } else {
            ids::PRIORITY_STANDARD_CRITICAL
        };
        let status = if rng.random_bool(0.25) {
            ids::STATUS_CLOSED
        } else {
            open_statuses[rng.random_range(0..open_statuses.len())]
        };
        let agent = (status != ids::STATUS_NEW || rng.random_bool(0.3))
            .then(|| techs[rng.random_range(0..techs.len())]);
        let user_id = s
            .users
            .values()
            .find(|u| int_of(u, "client_id") == Some(client_id))
            .and_then(|u| int_of(u, "id"));
        let seed = TicketSeed {
            id: 1006 + i,
            client_id,
            summary: SUMMARIES[rng.random_range(0..SUMMARIES.len())],
            type_id,
            priority_id: first + rng.random_range(0..4),
            user_id,
            at_hours: 24 + i * 7,
            agent,
            status,
        };
        seed_ticket(s, &seed);
    }
}

fn state_bool(v: &Value, key: &str) -> bool {
    v.get(key).and_then(Value::as_bool).unwrap_or(false)
}

/// Inserts a ticket as logged at `at_hours`, then replays its history as actions (assignment,
/// status change), so `lastactiondate`, `dateclosed` and the actions agree.
fn seed_ticket(s: &mut Store, t: &TicketSeed) {
    let client = s.clients.get(&t.client_id).cloned().unwrap_or(Value::Null);
    let tt = s
        .ticket_types
        .get(&t.type_id)
        .cloned()
        .unwrap_or(Value::Null);
    let site_id = int_of(&client, "main_site_id").unwrap_or(0);
    let site_name = s
        .sites
        .get(&site_id)
        .and_then(|x| str_of(x, "name"))
        .unwrap_or_default()
        .to_string();
    let user = t.user_id.and_then(|u| s.users.get(&u)).cloned();
    let logged = clock::format_unix(HISTORY_START + t.at_hours * 3600);
    let category = match t.type_id {
        ids::TICKET_TYPE_SECURITY_ALERT => ids::SECURITY_ALERT_DEFAULT_CATEGORY,
        ids::TICKET_TYPE_PROBLEM => "Network",
        _ => "",
    };
    s.tickets.insert(
        t.id,
        json!({
            "id": t.id, "summary": t.summary,
            "details": format!("{} (reported by phone)", t.summary),
            "status_id": ids::STATUS_NEW, "tickettype_id": t.type_id,
            "sla_id": int_of(&tt, "default_sla").unwrap_or(0), "priority_id": t.priority_id,
            "client_id": t.client_id, "client_name": str_of(&client, "name").unwrap_or_default(),
            "site_id": site_id, "site_name": site_name,
            "user_id": user.as_ref().and_then(|u| int_of(u, "id")).unwrap_or(0),
            "user_name": user.as_ref().and_then(|u| str_of(u, "name")).unwrap_or_default(),
            "team": str_of(&tt, "default_team").unwrap_or_default(),
            "agent_id": 0, "category_1": category,
            "dateoccurred": logged, "lastactiondate": logged, "last_update": logged,
            "dateclosed": null, "hasbeenclosed": false,
        }),
    );
    s.record_action(
        t.id,
        Actor::SYSTEM,
        json!({ "outcome": "Ticket Logged", "outcome_id": 0, "note": "Ticket logged by phone",
                "hiddenfromuser": false, "new_status": ids::STATUS_NEW }),
        &logged,
    );
    let mut at = HISTORY_START + t.at_hours * 3600;
    if let Some(agent) = t.agent {
        at += 1800;
        if let Some(Value::Object(m)) = s.tickets.get_mut(&t.id) {
            m.insert("agent_id".into(), json!(agent));
        }
        s.record_action(
            t.id,
            Actor::agent(agent),
            json!({ "outcome": "Reassign", "outcome_id": ids::OUTCOME_REASSIGN,
                    "note": "Assigned to me", "hiddenfromuser": true }),
            &clock::format_unix(at),
        );
    }
    if t.status != ids::STATUS_NEW {
        at += 3 * 3600;
        let (outcome, outcome_id) = if t.status == ids::STATUS_CLOSED {
            ("Close Ticket", ids::OUTCOME_CLOSE_TICKET)
        } else {
            ("Private Note", ids::OUTCOME_PRIVATE_NOTE)
        };
        s.record_action(
            t.id,
            Actor::agent(t.agent.unwrap_or(ids::TECHNICIAN_AGENT_ID)),
            json!({ "outcome": outcome, "outcome_id": outcome_id, "note": "Working on it",
                    "hiddenfromuser": outcome_id == ids::OUTCOME_PRIVATE_NOTE, "new_status": t.status }),
            &clock::format_unix(at),
        );
    }
}
