//! Routing: the `/{codebase}apis/3.0/` mount, endpoint keys, `clientId` and Basic auth, the
//! method table, and the read-only endpoints.

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};
use serde_json::{json, Value};

use super::query::{self, Schema};
use super::reply::{
    error, method_not_allowed, no_route, not_found, unauthorized, HandlerResult, Reply,
};
use super::seed_ids as ids;
use super::{tickets, Shared};
use crate::lock;
use crate::query::Query;
use crate::server::{endpoint_key as plain_key, RawRequest};

/// A fully read request under the API mount.
#[derive(Debug)]
pub(crate) struct Request {
    pub method: Method,
    /// The path as sent.
    pub path: String,
    pub query: Query,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// `http://127.0.0.1:PORT`, for `Link` headers.
    pub base_url: String,
}

impl Request {
    /// The first value of header `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Whether `segment` is a codebase the mock serves: `v4_6_release` or a versioned one such as
/// `v2025_1`.
fn is_codebase(segment: &str) -> bool {
    let s = segment.to_ascii_lowercase();
    if s == "v4_6_release" {
        return true;
    }
    s.strip_prefix('v')
        .and_then(|rest| rest.split_once('_'))
        .is_some_and(|(year, minor)| {
            year.len() == 4
                && year.bytes().all(|b| b.is_ascii_digit())
                && !minor.is_empty()
                && minor.bytes().all(|b| b.is_ascii_digit())
        })
}

/// The endpoint key: the generic one without the `/{codebase}apis/3.0` prefix, and with the
/// company id of `/login/companyinfo/{id}` as `{id}`, e.g. `GET /service/tickets/{id}`.
pub(crate) fn endpoint_key(method: &str, path: &str) -> String {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let rest = match segments.as_slice() {
        [codebase, apis, version, rest @ ..]
            if is_codebase(codebase) && apis.eq_ignore_ascii_case("apis") && *version == "3.0" =>
        {
            rest.join("/")
        }
        [login, info, _]
            if login.eq_ignore_ascii_case("login") && info.eq_ignore_ascii_case("companyinfo") =>
        {
            "login/companyinfo/0".to_string()
        }
        _ => segments.join("/"),
    };
    plain_key(method, &format!("/{rest}"))
}

/// Answers a request (after counting, rate limiting and faults).
pub(crate) fn dispatch(shared: &Shared, raw: &RawRequest) -> Reply {
    match route(shared, raw) {
        Ok(r) | Err(r) => r,
    }
}

fn route(shared: &Shared, raw: &RawRequest) -> HandlerResult {
    let segments: Vec<&str> = raw.path.split('/').filter(|s| !s.is_empty()).collect();
    let lower: Vec<String> = segments.iter().map(|s| s.to_ascii_lowercase()).collect();
    let lower: Vec<&str> = lower.iter().map(String::as_str).collect();
    match lower.as_slice() {
        ["login", "companyinfo", _] => {
            only(&raw.method, Method::GET)?;
            Ok(company_info(shared, segments[2]))
        }
        [codebase, "apis", "3.0", rest @ ..] if is_codebase(codebase) => {
            let req = Request {
                method: raw.method.clone(),
                path: raw.path.clone(),
                query: Query::parse(&raw.query),
                headers: raw.headers.clone(),
                body: raw.body.clone(),
                base_url: shared.base_url.clone(),
            };
            check_client_id(shared, &req)?;
            check_basic_auth(shared, &req)?;
            api(shared, &req, rest)
        }
        _ => Err(no_route(&raw.path)),
    }
}

/// 405 unless the request uses `method`.
pub(crate) fn only(actual: &Method, method: Method) -> Result<(), Reply> {
    if *actual == method {
        Ok(())
    } else {
        Err(method_not_allowed(actual.as_str()))
    }
}

/// `GET /login/companyinfo/{companyId}`: no auth; `null` for an unknown company.
fn company_info(shared: &Shared, company: &str) -> Reply {
    if !company.eq_ignore_ascii_case(&shared.config.company_id) {
        return Reply::ok(&Value::Null);
    }
    Reply::ok(&json!({
        "CompanyName": ids::COMPANY_NAME,
        "Codebase": "v4_6_release/",
        "VersionCode": "v2025.1",
        "VersionNumber": "v4.6.10734",
        "CompanyID": shared.config.company_id,
        "IsCloud": false,
        // A host without its scheme, as ConnectWise answers (`na.myconnectwise.net`).
        "SiteUrl": shared
            .base_url
            .trim_start_matches("https://")
            .trim_start_matches("http://"),
    }))
}

/// A missing, empty or unknown `clientId` header is a 400 naming `clientId` (checked before
/// the credentials).
fn check_client_id(shared: &Shared, req: &Request) -> Result<(), Reply> {
    let given = req.header("clientid").map(str::trim).unwrap_or_default();
    if given.is_empty() {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "InvalidClientId",
            "The clientId header is required: register the integration at developer.connectwise.com/ClientID and send its GUID as the clientId header.",
        ));
    }
    if !given.eq_ignore_ascii_case(&shared.config.client_id) {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "InvalidClientId",
            format!("The clientId '{given}' is not a registered integration."),
        ));
    }
    Ok(())
}

/// Basic `companyId+publicKey:privateKey`, split on the first `+` and the first `:`.
fn check_basic_auth(shared: &Shared, req: &Request) -> Result<(), Reply> {
    let config = &shared.config;
    let decoded = req
        .header("authorization")
        .and_then(|h| h.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
        .and_then(|(_, b64)| decode_base64(b64.trim()))
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(unauthorized)?;
    let (user, private) = decoded.split_once(':').ok_or_else(unauthorized)?;
    let (company, public) = user.split_once('+').ok_or_else(unauthorized)?;
    if company.eq_ignore_ascii_case(&config.company_id)
        && public == config.public_key
        && private == config.private_key
    {
        Ok(())
    } else {
        Err(unauthorized())
    }
}

/// Standard base64 (with or without padding); `None` when malformed.
pub(crate) fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.trim_end_matches('=').bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

// ---- schemas (names `conditions`, `orderBy` and `fields` recognise) ----------------------

pub(crate) const COMPANIES: Schema = Schema(&[
    "id",
    "identifier",
    "name",
    "status",
    "status/id",
    "status/name",
    "types",
    "types/id",
    "types/name",
    "deletedFlag",
    "phoneNumber",
    "website",
    "city",
    "site",
    "site/id",
    "site/name",
    "_info",
    "_info/lastUpdated",
    "_info/dateEntered",
    "_info/updatedBy",
]);
pub(crate) const CONTACTS: Schema = Schema(&[
    "id",
    "firstName",
    "lastName",
    "name",
    "title",
    "company",
    "company/id",
    "company/identifier",
    "company/name",
    "inactiveFlag",
    "communicationItems",
    "communicationItems/value",
    "communicationItems/communicationType",
    "communicationItems/type/name",
    "communicationItems/defaultFlag",
    "_info",
]);
pub(crate) const BOARDS: Schema = Schema(&[
    "id",
    "name",
    "location",
    "location/id",
    "location/name",
    "department",
    "department/id",
    "department/name",
    "inactiveFlag",
    "projectFlag",
    "signOffOnCloseFlag",
    "_info",
]);
pub(crate) const STATUSES: Schema = Schema(&[
    "id",
    "name",
    "board",
    "board/id",
    "board/name",
    "sortOrder",
    "displayOnBoard",
    "inactive",
    "closedStatus",
    "defaultFlag",
    "timeEntryNotAllowed",
    "escalationStatus",
    "_info",
]);
pub(crate) const TEAMS: Schema = Schema(&[
    "id",
    "name",
    "boardId",
    "defaultFlag",
    "teamLeader",
    "teamLeader/id",
    "teamLeader/identifier",
    "teamLeader/name",
    "members",
    "locationId",
    "businessUnitId",
    "_info",
]);
pub(crate) const TYPES: Schema = Schema(&[
    "id",
    "name",
    "board",
    "board/id",
    "board/name",
    "category",
    "defaultFlag",
    "inactiveFlag",
    "requestForChangeFlag",
    "integrationXref",
    "_info",
]);
pub(crate) const SUBTYPES: Schema = Schema(&[
    "id",
    "name",
    "board",
    "board/id",
    "board/name",
    "inactiveFlag",
    "typeAssociationIds",
    "_info",
]);
pub(crate) const SOURCES: Schema = Schema(&["id", "name", "defaultFlag", "_info"]);

pub(crate) const PRIORITIES: Schema = Schema(&[
    "id",
    "name",
    "color",
    "sortOrder",
    "defaultFlag",
    "level",
    "urgencySortOrder",
    "_info",
]);
pub(crate) const MEMBERS: Schema = Schema(&[
    "id",
    "identifier",
    "firstName",
    "lastName",
    "name",
    "title",
    "officeEmail",
    "inactiveFlag",
    "licenseClass",
    "defaultBoard",
    "defaultBoard/id",
    "defaultBoard/name",
    "_info",
]);
pub(crate) const TICKETS: Schema = Schema(&[
    "id",
    "summary",
    "recordType",
    "board",
    "board/id",
    "board/name",
    "status",
    "status/id",
    "status/name",
    "company",
    "company/id",
    "company/identifier",
    "company/name",
    "contact",
    "contact/id",
    "contact/name",
    "source",
    "source/id",
    "source/name",
    "type",
    "type/id",
    "type/name",
    "subType",
    "subType/id",
    "subType/name",
    "team",
    "team/id",
    "team/name",
    "owner",
    "owner/id",
    "owner/identifier",
    "owner/name",
    "priority",
    "priority/id",
    "priority/name",
    "priority/level",
    "severity",
    "impact",
    "externalXRef",
    "poNumber",
    "closedFlag",
    "closedDate",
    "closedBy",
    "parentTicketId",
    "contactName",
    "contactEmailAddress",
    "contactPhoneNumber",
    "customerUpdatedFlag",
    "_info",
    "_info/lastUpdated",
    "_info/dateEntered",
    "_info/updatedBy",
    "_info/enteredBy",
]);
pub(crate) const NOTES: Schema = Schema(&[
    "id",
    "ticketId",
    "text",
    "detailDescriptionFlag",
    "internalAnalysisFlag",
    "resolutionFlag",
    "issueFlag",
    "internalFlag",
    "externalFlag",
    "dateCreated",
    "createdBy",
    "member",
    "member/id",
    "member/identifier",
    "member/name",
    "customerUpdatedFlag",
    "noteType",
    "_info",
    "_info/lastUpdated",
    "_info/updatedBy",
]);

fn api(shared: &Shared, req: &Request, rest: &[&str]) -> HandlerResult {
    match rest {
        ["system", "info"] => {
            only(&req.method, Method::GET)?;
            Ok(Reply::ok(&json!({
                "version": ids::SERVER_VERSION, "isCloud": false,
                "serverTimeZone": "Eastern Standard Time", "cloudRegion": "NA",
                "licenseBits": [], "maxWorkFlowRecordsAllowed": 1000,
            })))
        }
        ["system", "members", tail @ ..] => {
            let items = lock(&shared.store).members.values().cloned().collect();
            collection(req, items, MEMBERS, "Member", tail)
        }
        ["company", "companies", tail @ ..] => {
            let items = lock(&shared.store).companies.values().cloned().collect();
            collection(req, items, COMPANIES, "Company", tail)
        }
        ["company", "contacts", tail @ ..] => {
            let items = lock(&shared.store).contacts.values().cloned().collect();
            collection(req, items, CONTACTS, "Contact", tail)
        }
        ["service", "sources", tail @ ..] => {
            let items = lock(&shared.store).sources.values().cloned().collect();
            collection(req, items, SOURCES, "Source", tail)
        }
        ["service", "priorities", tail @ ..] => {
            let items = lock(&shared.store).priorities.values().cloned().collect();
            collection(req, items, PRIORITIES, "Priority", tail)
        }
        ["service", "boards", board, kind, tail @ ..] => {
            board_children(shared, req, board, kind, tail)
        }
        ["service", "boards", tail @ ..] => {
            let items = lock(&shared.store).boards.values().cloned().collect();
            collection(req, items, BOARDS, "Service Board", tail)
        }
        ["service", "tickets", tail @ ..] => tickets::route(shared, req, tail),
        _ => Err(no_route(&req.path)),
    }
}

/// `GET <list>`, `GET <list>/count` and `GET <list>/{id}` over `items`.
pub(crate) fn collection(
    req: &Request,
    items: Vec<Value>,
    schema: Schema,
    what: &str,
    tail: &[&str],
) -> HandlerResult {
    only(&req.method, Method::GET)?;
    match tail {
        [] => query::list(req, items, schema),
        ["count"] => query::count(req, items, schema),
        [id] => {
            let n: i64 = id.parse().map_err(|_| not_found(what, id))?;
            let item = items
                .into_iter()
                .find(|i| i.get("id").and_then(Value::as_i64) == Some(n))
                .ok_or_else(|| not_found(what, n))?;
            query::one(req, item, schema)
        }
        _ => Err(no_route(&req.path)),
    }
}

fn board_children(
    shared: &Shared,
    req: &Request,
    board: &str,
    kind: &str,
    tail: &[&str],
) -> HandlerResult {
    let board_id: i64 = board
        .parse()
        .map_err(|_| not_found("Service Board", board))?;
    let store = lock(&shared.store);
    if !store.boards.contains_key(&board_id) {
        return Err(not_found("Service Board", board_id));
    }
    let on_board = |v: &&Value| {
        v.get("boardId")
            .and_then(Value::as_i64)
            .or_else(|| v["board"]["id"].as_i64())
            == Some(board_id)
    };
    let (records, schema, what) = match kind {
        "statuses" => (&store.statuses, STATUSES, "Service Status"),
        "teams" => (&store.teams, TEAMS, "Team"),
        "types" => (&store.types, TYPES, "Type"),
        "subtypes" => (&store.subtypes, SUBTYPES, "SubType"),
        _ => return Err(no_route(&req.path)),
    };
    let items: Vec<Value> = records.values().filter(on_board).cloned().collect();
    drop(store);
    collection(req, items, schema, what, tail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_drop_the_mount_and_the_company_id() {
        assert_eq!(
            endpoint_key("GET", "/v4_6_release/apis/3.0/service/tickets/5001"),
            "GET /service/tickets/{id}"
        );
        assert_eq!(
            endpoint_key("post", "/V2025_1/apis/3.0/Service/Tickets/12/notes"),
            "POST /service/tickets/{id}/notes"
        );
        assert_eq!(
            endpoint_key("GET", "/login/companyinfo/psademo"),
            "GET /login/companyinfo/{id}"
        );
        assert_eq!(
            endpoint_key("PATCH", "/service/tickets/7"),
            "PATCH /service/tickets/{id}"
        );
        assert!(!is_codebase("v2025"));
        assert_eq!(
            decode_base64("cHNhZGVtbytrZXk6c2VjcmV0").unwrap(),
            b"psademo+key:secret"
        );
    }
}
