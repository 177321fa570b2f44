//! ConnectWise's JSON as the connector reads it.

use psa_connector_sdk::json::Obj;
use serde_json::Value;

/// A service ticket.
#[derive(Debug, Clone)]
pub struct CwTicket {
    pub id: i64,
    pub summary: String,
    pub company_id: Option<i64>,
    pub company_name: Option<String>,
    pub board_id: Option<i64>,
    pub status_id: Option<i64>,
    pub status_name: Option<String>,
    pub closed: bool,
    pub priority_id: Option<i64>,
    pub team_name: Option<String>,
    /// `(identifier, name)` of the owner (the assigned member).
    pub owner: Option<(String, String)>,
    pub xref: Option<String>,
    pub entered_at: Option<String>,
    pub updated_at: Option<String>,
    pub updated_by: Option<String>,
    pub entered_by: Option<String>,
    pub closed_at: Option<String>,
}

fn reference(o: Obj<'_>, key: &str) -> (Option<i64>, Option<String>) {
    match o.object(key) {
        Some(r) => (r.id("id"), r.text("name").or_else(|| r.text("identifier"))),
        None => (None, None),
    }
}

impl CwTicket {
    pub fn from_json(value: &Value) -> Result<CwTicket, String> {
        let o = Obj(value);
        let id = o.require_id("ticket")?;
        let (company_id, company_name) = reference(o, "company");
        let (board_id, _) = reference(o, "board");
        let (status_id, status_name) = reference(o, "status");
        let (priority_id, _) = reference(o, "priority");
        let (_, team_name) = reference(o, "team");
        let owner = o.object("owner").and_then(|r| {
            let identifier = r.text("identifier")?;
            let name = r.text("name").unwrap_or_else(|| identifier.clone());
            Some((identifier, name))
        });
        let info = o.object("_info");
        let info_text = |key: &str| info.and_then(|i| i.text(key));
        Ok(CwTicket {
            id,
            summary: o.str("summary").unwrap_or_default(),
            company_id,
            company_name,
            board_id,
            status_id,
            status_name,
            closed: o.bool("closedFlag").unwrap_or(false),
            priority_id,
            team_name,
            owner,
            xref: o.text("externalXRef"),
            entered_at: info_text("dateEntered").or_else(|| o.text("dateEntered")),
            updated_at: info_text("lastUpdated"),
            updated_by: info_text("updatedBy"),
            entered_by: info_text("enteredBy"),
            closed_at: o.text("closedDate"),
        })
    }
}

/// A ticket note: its text and who wrote it (`(identifier, name)`).
#[derive(Debug, Clone)]
pub struct CwNote {
    pub id: i64,
    pub text: String,
    pub author: Option<(String, String)>,
}

impl CwNote {
    pub fn from_json(value: &Value) -> Result<CwNote, String> {
        let o = Obj(value);
        let member = o.object("member");
        let identifier = member
            .and_then(|m| m.text("identifier"))
            .or_else(|| o.text("createdBy"));
        let author = identifier.map(|i| {
            let name = member
                .and_then(|m| m.text("name"))
                .unwrap_or_else(|| i.clone());
            (i, name)
        });
        Ok(CwNote {
            id: o.require_id("note")?,
            text: o.str("text").unwrap_or_default(),
            author,
        })
    }
}

/// A summary ConnectWise accepts: at most `max` characters; a longer one is cut and marked.
pub fn fit(text: &str, max: usize) -> String {
    let text = text.trim();
    if text.chars().count() <= max {
        return text.to_string();
    }
    const MARK: &str = " [...]";
    let keep = max - MARK.chars().count();
    let cut: String = text.chars().take(keep).collect();
    format!("{}{MARK}", cut.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_summaries_are_cut_with_a_marker() {
        assert_eq!(fit(" short ", 100), "short");
        let long = "é".repeat(150);
        let cut = fit(&long, 100);
        assert!(cut.chars().count() <= 100);
        assert!(cut.ends_with("[...]"));
    }

    #[test]
    fn reads_a_ticket() {
        let t = CwTicket::from_json(&serde_json::json!({
            "id": 5001, "summary": "s", "company": {"id": 19, "name": "Contoso Ltd"},
            "board": {"id": 21}, "status": {"id": 174, "name": "Closed"}, "closedFlag": true,
            "owner": {"id": 181, "identifier": "aturner", "name": "Alice Turner"},
            "externalXRef": "psa-connector#k", "closedDate": "2026-01-01T00:00:00Z",
            "_info": {"lastUpdated": "2026-01-01T00:00:00Z", "updatedBy": "aturner"}
        }))
        .unwrap();
        assert!(t.closed);
        assert_eq!(t.owner.unwrap().1, "Alice Turner");
        assert_eq!(t.company_id, Some(19));
    }
}
