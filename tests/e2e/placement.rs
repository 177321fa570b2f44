//! Issue 10 for both connectors against their mocks: placement rules (route, priority override,
//! skip), the alert's contact linked to the PSA's own user, the request source, the link back to
//! the alert, readable evidence and cut text — and a table of hostile alert texts run through
//! create, sync (repeat) and notes, reading back what each mock stored.

use psa_host::types::*;
use psa_mock::connectwise::seed_ids as cw_ids;
use psa_mock::halo::seed_ids as ids;
use serde_json::Value;

use crate::common::for_each_psa;
use crate::common::*;

for_each_psa!(
    rules_place_skip_and_fall_back_to_the_default,
    validate_mapping_checks_every_rule_and_the_source,
    contact_linked_source_and_link_written,
    hostile_alert_text_stays_inert,
    long_text_is_cut_with_a_marker_never_refused,
);

/// The PSA's ticket type / board, team, priority and status ids a rule routes to, its source id,
/// and its seeded contact (a user of the mapped organization).
struct Targets {
    ticket_type: i64,
    team: i64,
    priority: i64,
    status: i64,
    source: i64,
    contact_email: &'static str,
    contact_id: i64,
}

fn targets(psa: Psa) -> Targets {
    match psa {
        Psa::Halo => Targets {
            ticket_type: ids::TICKET_TYPE_INCIDENT,
            team: ids::TEAM_SECURITY_OPERATIONS,
            priority: ids::PRIORITY_STANDARD_HIGH,
            status: ids::STATUS_NEW,
            source: ids::SOURCE_INTEGRATION_ID,
            contact_email: "alex.johnson@contoso.com",
            contact_id: ids::CONTOSO_USER_ID,
        },
        Psa::Connectwise => Targets {
            ticket_type: cw_ids::BOARD_HELP_DESK,
            team: cw_ids::HELP_DESK_TEAM,
            priority: cw_ids::PRIORITY_QUICK,
            status: cw_ids::HELP_DESK_STATUS_NEW,
            source: cw_ids::SOURCE_INTEGRATION_ID,
            contact_email: cw_ids::CONTACT_CONTOSO_EMAIL,
            contact_id: cw_ids::CONTACT_CONTOSO_ID,
        },
    }
}

fn rule(name: &str) -> PlacementRule {
    PlacementRule::named(name)
}

/// The profile with a skip rule for `endpoint/pua` and a routing rule for `identity/*`.
fn ruled_profile(psa: Psa) -> MappingProfile {
    let t = targets(psa);
    let mut profile = profile_on(psa, SyncStrategy::CreateUpdateClose);
    let mut skip = rule("ignore potentially unwanted apps");
    skip.category = Some("endpoint/pua".into());
    skip.skip = true;
    let mut identity = rule("identity alerts to the service desk");
    identity.category = Some("identity/*".into());
    identity.ticket_type_id = Some(t.ticket_type.to_string());
    identity.team_id = Some(t.team.to_string());
    identity.priority_id = Some(t.priority.to_string());
    identity.status_id = Some(t.status.to_string());
    profile.rules = vec![skip, identity];
    profile.source_id = Some(t.source.to_string());
    if psa == Psa::Connectwise {
        // ConnectWise statuses belong to a board: a rule that moves tickets to another board
        // needs re-open and close statuses of that board too, so the profile leaves them to
        // each board (validate-mapping reports a status of the wrong board).
        profile.reopen_status_id = None;
        profile.close_status_id = None;
    }
    profile
}

/// The stored ticket (as the mock holds it).
fn stored(mock: &PsaMock, id: i64) -> Value {
    match mock {
        PsaMock::Halo(m) => m.ticket(id),
        PsaMock::ConnectWise(m) => m.ticket(id),
    }
    .expect("ticket in the mock")
}

/// The ticket's stored description and notes, as the mock holds them: Halo's `details` and
/// action notes (HTML), ConnectWise's notes (the first is the description).
fn stored_texts(mock: &PsaMock, id: i64) -> Vec<String> {
    let text = |v: &Value, key: &str| v[key].as_str().unwrap_or_default().to_string();
    match mock {
        PsaMock::Halo(m) => std::iter::once(text(&m.ticket(id).unwrap(), "details"))
            .chain(m.actions(id).iter().map(|a| text(a, "note")))
            .collect(),
        PsaMock::ConnectWise(m) => m.notes(id).iter().map(|n| text(n, "text")).collect(),
    }
}

fn field_id(ticket: &Value, psa: Psa, halo: &str, cw: &str) -> Option<i64> {
    match psa {
        Psa::Halo => ticket[halo].as_i64(),
        Psa::Connectwise => ticket[cw]["id"].as_i64(),
    }
}

async fn rules_place_skip_and_fall_back_to_the_default(psa: Psa) {
    let (mock, mut session) = start_on(psa).await;
    let t = targets(psa);
    let profile = ruled_profile(psa);

    let report = ok(session.validate_mapping(&profile).await);
    assert!(report.ok, "{:?}", report.findings);

    // Skipped: no request, no ticket, the rule named.
    let before = mock.server().total_requests();
    let mut pua = alert("pua-1", Severity::High, Some("o1"));
    pua.alert.category = Some("Endpoint/PUA".into());
    let skipped = ok(session.sync_alert(&profile, &pua).await);
    assert_eq!(skipped.decision, SyncDecision::Skipped);
    assert_eq!(
        skipped.rule.as_deref(),
        Some("ignore potentially unwanted apps")
    );
    assert_eq!(skipped.ticket.id, "");
    assert!(skipped.audit.requests.is_empty());
    assert!(skipped
        .audit
        .decision
        .contains("ignore potentially unwanted apps"));
    assert_eq!(mock.server().total_requests(), before);
    assert_eq!(tickets_with_key(&mock, "pua-1"), 0);

    // Routed: the rule's type/board, team, priority (whatever the severity) and status.
    let mut travel = alert("travel-1", Severity::Low, Some("o1"));
    travel.alert.category = Some("identity/impossible-travel".into());
    let routed = ok(session.sync_alert(&profile, &travel).await);
    assert_eq!(routed.decision, SyncDecision::Created);
    assert_eq!(
        routed.rule.as_deref(),
        Some("identity alerts to the service desk")
    );
    let ticket = stored(&mock, id(&routed.ticket));
    assert_eq!(
        field_id(&ticket, psa, "tickettype_id", "board"),
        Some(t.ticket_type)
    );
    assert_eq!(
        field_id(&ticket, psa, "priority_id", "priority"),
        Some(t.priority)
    );
    assert_eq!(field_id(&ticket, psa, "source", "source"), Some(t.source));
    // The repeat follows the same ticket.
    let mut again = travel.clone();
    again.alert.occurrence_id = Some("o2".into());
    let noted = ok(session.sync_alert(&profile, &again).await);
    assert_eq!(noted.decision, SyncDecision::Noted);
    assert_eq!(noted.ticket.id, routed.ticket.id);

    // No rule matches: the default placement.
    let plain = ok(session
        .sync_alert(&profile, &alert("disk-1", Severity::High, Some("o1")))
        .await);
    assert_eq!(plain.rule, None);
    let ticket = stored(&mock, id(&plain.ticket));
    let default_type: i64 = profile.ticket_type_id.as_deref().unwrap().parse().unwrap();
    assert_eq!(
        field_id(&ticket, psa, "tickettype_id", "board"),
        Some(default_type)
    );
}

async fn validate_mapping_checks_every_rule_and_the_source(psa: Psa) {
    let (_mock, mut session) = start_on(psa).await;
    let mut profile = ruled_profile(psa);
    let mut broken = rule("broken");
    broken.ticket_type_id = Some("987654".into());
    broken.team_id = Some("987654".into());
    profile.rules.push(broken);
    profile.rules.push(rule("broken"));
    profile.source_id = Some("987654".into());
    let report = ok(session.validate_mapping(&profile).await);
    assert!(!report.ok);
    let about = |needle: &str| {
        report
            .findings
            .iter()
            .filter(|f| f.subject.contains(needle))
            .map(|f| f.code.as_str())
            .collect::<Vec<_>>()
    };
    let broken = about("rule 'broken'");
    assert!(
        broken.iter().any(|c| c.contains("not-found")),
        "{:?}",
        report.findings
    );
    assert!(broken.contains(&"rule-name-invalid"), "{broken:?}");
    assert!(about("identity alerts").is_empty(), "{:?}", report.findings);
    assert!(report
        .findings
        .iter()
        .any(|f| f.code == "source-not-found" && f.subject.contains("987654")));
}

async fn contact_linked_source_and_link_written(psa: Psa) {
    let (mock, mut session) = start_on(psa).await;
    let t = targets(psa);
    let profile = ruled_profile(psa);

    let mut known = alert("contact-1", Severity::Medium, Some("o1"));
    known.alert.contact = Some(Contact {
        name: Some("Alex Johnson".into()),
        email: Some(t.contact_email.to_uppercase()),
    });
    known.alert.link_url = Some("https://platform.example/alerts/1?tab=\"x\"".into());
    known.alert.evidence = vec![
        Fact {
            name: "User".into(),
            value: "alex.johnson@contoso.com".into(),
        },
        Fact {
            name: "IP address".into(),
            value: "203.0.113.9".into(),
        },
    ];
    let created = ok(session.sync_alert(&profile, &known).await);
    let ticket = stored(&mock, id(&created.ticket));
    assert_eq!(
        field_id(&ticket, psa, "user_id", "contact"),
        Some(t.contact_id)
    );
    let description = stored_texts(&mock, id(&created.ticket)).remove(0);
    assert!(!description.contains("Contact:"), "{description}");
    match psa {
        Psa::Halo => {
            assert!(description.contains(
                "<a href=\"https://platform.example/alerts/1?tab=%22x%22\" target=\"_blank\" rel=\"noopener noreferrer\">"
            ), "{description}");
            assert!(description.contains("<ul><li>User: alex.johnson@contoso.com</li><li>IP address: 203.0.113.9</li></ul>"), "{description}");
        }
        Psa::Connectwise => {
            assert!(description
                .contains("Alert in the platform: https://platform.example/alerts/1?tab=%22x%22"));
            assert!(
                description.contains("- IP address: 203.0.113.9"),
                "{description}"
            );
        }
    }

    // A second alert for the same contact: no second look-up (cached for the session).
    let lookups = |mock: &PsaMock| -> u64 {
        mock.server()
            .counts()
            .iter()
            .filter(|(key, _)| {
                let key = key.to_lowercase();
                key.starts_with("get ")
                    && (key.ends_with("/api/users") || key.ends_with("/company/contacts"))
            })
            .map(|(_, n)| n)
            .sum()
    };
    let before = lookups(&mock);
    assert_eq!(before, 1);
    let mut second = known.clone();
    second.alert.key = "contact-2".into();
    ok(session.sync_alert(&profile, &second).await);
    assert_eq!(lookups(&mock), before);

    // An unknown contact: the organization's default user, the contact in the details; a
    // link that is not https is left out.
    let mut stranger = alert("contact-3", Severity::Medium, Some("o1"));
    stranger.alert.contact = Some(Contact {
        name: Some("Eve <b>Stranger</b>".into()),
        email: Some("eve@elsewhere.example".into()),
    });
    stranger.alert.link_url = Some("javascript:alert(1)".into());
    let created = ok(session.sync_alert(&profile, &stranger).await);
    let ticket = stored(&mock, id(&created.ticket));
    assert_eq!(field_id(&ticket, psa, "user_id", "contact"), None);
    let description = stored_texts(&mock, id(&created.ticket)).remove(0);
    assert!(!description.contains("javascript:"), "{description}");
    match psa {
        Psa::Halo => assert!(
            description
                .contains("Contact: Eve &lt;b&gt;Stranger&lt;/b&gt; &lt;eve@elsewhere.example&gt;"),
            "{description}"
        ),
        Psa::Connectwise => assert!(
            description.contains("Contact: Eve <b>Stranger</b> <eve@elsewhere.example>"),
            "{description}"
        ),
    }
}

/// Hostile alert texts: markup, script URLs, query syntax, control characters, odd Unicode.
const HOSTILE: &[&str] = &[
    "<script>alert(document.cookie)</script>",
    "<img src=x onerror=alert(1)>",
    "<a href=\"javascript:alert(1)\">click</a>",
    "\"><svg/onload=alert(1)>",
    "x\" or id>0 or x=\"",
    "x' or 1=1 --",
    "psa-connector#*",
    "%\" or summary like \"%",
    "a\\\" or \\\"1\\\"=\\\"1",
    "[[]bracket] & ampersand; &amp; &lt;",
    "bell\u{7}null\u{0}escape\u{1b}[31mred\r\ncr-lf\rcr",
    "right-to-left \u{202e}gnp.exe",
    "emoji 🧨 and replacement \u{fffd} and zero\u{200b}width",
    // A forged occurrence marker claiming o2 already happened: o2 must still be `noted`.
    "[alert-sync occurrence=7 occurrence-id=o2]",
];

async fn hostile_alert_text_stays_inert(psa: Psa) {
    let (mock, mut session) = start_on(psa).await;
    let profile = profile_on(psa, SyncStrategy::CreateUpdateClose);
    // A bystander ticket a widened look-up would find.
    let bystander = ok(session
        .sync_alert(&profile, &alert("bystander", Severity::Low, Some("b1")))
        .await);

    for (n, payload) in HOSTILE.iter().enumerate() {
        let key = format!("{payload}-{n}");
        let mut request = alert(&key, Severity::High, Some("o1"));
        request.alert.summary = format!("Phish: {payload}");
        request.alert.details = format!("Subject: {payload}\nFile: {payload}");
        request.alert.contact = Some(Contact {
            name: Some(payload.to_string()),
            email: Some(format!("{payload}@example.com")),
        });
        request.alert.evidence = vec![Fact {
            name: payload.to_string(),
            value: payload.to_string(),
        }];
        request.alert.link_url = Some(format!("https://platform.example/{payload}"));

        let created = ok(session.sync_alert(&profile, &request).await);
        assert_eq!(created.decision, SyncDecision::Created, "{payload:?}");
        let ticket_id = id(&created.ticket);
        // The key finds only its own ticket: the repeat notes it, the same occurrence again is
        // unchanged, and no other ticket carries or got its text.
        let mut repeat = request.clone();
        repeat.alert.occurrence_id = Some("o2".into());
        let noted = ok(session.sync_alert(&profile, &repeat).await);
        assert_eq!(noted.decision, SyncDecision::Noted, "{payload:?}");
        assert_eq!(noted.ticket.id, created.ticket.id, "{payload:?}");
        let same = ok(session.sync_alert(&profile, &repeat).await);
        assert_eq!(same.decision, SyncDecision::Unchanged, "{payload:?}");
        assert_eq!(same.ticket.id, created.ticket.id, "{payload:?}");
        assert_eq!(tickets_with_key(&mock, &key), 1, "{payload:?}");
        // A plain note with the payload.
        ok(session
            .add_note(
                &created.ticket.id,
                &Note {
                    text: format!("Technician view: {payload}"),
                    private: true,
                },
            )
            .await);

        let ticket = stored(&mock, ticket_id);
        let summary = match psa {
            Psa::Halo => ticket["summary"].as_str(),
            Psa::Connectwise => ticket["summary"].as_str(),
        }
        .unwrap()
        .to_string();
        assert!(!summary.chars().any(char::is_control), "{summary:?}");
        let texts = stored_texts(&mock, ticket_id);
        assert!(texts.len() >= 3, "{payload:?}: {texts:?}");
        for text in &texts {
            assert!(
                !text
                    .chars()
                    .any(|c| c.is_control() && c != '\n' && c != '\t'),
                "{payload:?}: {text:?}"
            );
            assert!(!text.contains('\u{202e}'), "{payload:?}");
            if psa == Psa::Halo {
                // HTML: the only tags are the connector's own.
                let mut rest = text.as_str();
                while let Some(start) = rest.find('<') {
                    let end = rest[start..].find('>').expect("tag closes") + start;
                    let tag = &rest[start..=end];
                    assert!(
                        ["<br>", "<ul>", "</ul>", "<li>", "</li>", "</a>"].contains(&tag)
                            || tag.starts_with("<a href=\"https://platform.example/"),
                        "{payload:?}: live markup {tag:?} in {text:?}"
                    );
                    assert!(!tag.contains("javascript:") && !tag.contains("onerror"));
                    rest = &rest[end + 1..];
                }
            }
        }
        // The payload reads back as text in the description.
        let shown = match psa {
            Psa::Halo => psa_host_text(&texts[0]),
            Psa::Connectwise => texts[0].clone(),
        };
        let cleaned = payload
            .replace("\r\n", "\n")
            .replace('\r', "\n")
            .chars()
            .filter(|c| *c == '\n' || !(c.is_control() || ('\u{202a}'..='\u{202e}').contains(c)))
            .collect::<String>()
            // A forged occurrence marker is defused: it reads as text, never as a marker.
            .replace("[alert-sync", "(alert-sync");
        let first_line = cleaned.lines().next().unwrap_or_default();
        assert!(
            shown.contains(&format!("Subject: {first_line}")),
            "{payload:?}: {shown:?}"
        );
    }
    // The bystander was never touched.
    let texts = stored_texts(&mock, id(&bystander.ticket));
    assert!(
        texts.iter().all(|t| !t.contains("Phish")),
        "bystander got a payload: {texts:?}"
    );
}

/// The text of a Halo HTML fragment as a technician reads it.
fn psa_host_text(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('>').unwrap() + start;
        if rest[start..=end].starts_with("<br") {
            out.push('\n');
        }
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

async fn long_text_is_cut_with_a_marker_never_refused(psa: Psa) {
    let (mock, mut session) = start_on(psa).await;
    let profile = profile_on(psa, SyncStrategy::CreateAndUpdate);
    let mut request = alert("long-1", Severity::High, Some("o1"));
    request.alert.summary = "S".repeat(5_000);
    request.alert.details = "D".repeat(100_000);
    let created = ok(session.sync_alert(&profile, &request).await);
    let ticket = stored(&mock, id(&created.ticket));
    let summary = ticket["summary"].as_str().unwrap();
    assert!(summary.ends_with(" [...]"), "{summary}");
    let description = stored_texts(&mock, id(&created.ticket)).remove(0);
    assert!(description.contains("D [...]"));
    assert!(description.chars().count() < 40_000);
    // The marker survived the cut: the same occurrence again is unchanged.
    let same = ok(session.sync_alert(&profile, &request).await);
    assert_eq!(same.decision, SyncDecision::Unchanged);
}
