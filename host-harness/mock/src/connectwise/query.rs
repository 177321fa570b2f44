//! List conventions shared by every ConnectWise list endpoint: `conditions`, `orderBy`, `fields`,
//! navigable paging (`page`/`pageSize`, RFC 5988 `Link`), forward-only paging (`pageId`) and
//! `/count`.

use serde_json::{json, Map, Value};

use super::conditions::{self, values_at};
use super::reply::{bad_body, find_condition, HandlerResult, Reply};
use super::routes::Request;
use crate::query::compare_values;

/// Default `pageSize`.
pub(crate) const DEFAULT_PAGE_SIZE: usize = 25;
/// Largest `pageSize` honoured (bigger ones are clamped).
pub(crate) const MAX_PAGE_SIZE: usize = 1000;

/// The names a resource recognises in `conditions`, `orderBy` and `fields` (canonical
/// spelling; matched case-insensitively). `lastUpdated`/`dateEntered` are aliases of
/// `_info/lastUpdated`/`_info/dateEntered` everywhere.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Schema(pub &'static [&'static str]);

impl Schema {
    /// The canonical path of `name`, if recognised.
    pub fn resolve(&self, name: &str) -> Option<String> {
        let name = name.trim().trim_start_matches('/');
        for alias in ["lastUpdated", "dateEntered"] {
            if name.eq_ignore_ascii_case(alias)
                || name.eq_ignore_ascii_case(&format!("_info/{alias}"))
            {
                return Some(format!("_info/{alias}"));
            }
        }
        self.0
            .iter()
            .find(|f| f.eq_ignore_ascii_case(name))
            .map(|f| f.to_string())
    }

    fn resolve_or_400(&self, name: &str) -> Result<String, Reply> {
        self.resolve(name)
            .ok_or_else(|| find_condition(format!("{} is not a recognized name.", name.trim())))
    }
}

/// The records matching the request's `conditions` and `childConditions` (conditions on
/// array children such as `communicationItems/value="a@b.c"`; each comparison holds when any
/// child satisfies it).
pub(crate) fn filter(
    req: &Request,
    items: Vec<Value>,
    schema: Schema,
) -> Result<Vec<Value>, Reply> {
    let mut conds = Vec::new();
    for name in ["conditions", "childconditions"] {
        if let Some(text) = req.query.text(name) {
            conds.push(conditions::parse(text, &|f| schema.resolve(f))?);
        }
    }
    let mut out = Vec::new();
    'items: for item in items {
        for cond in &conds {
            if !cond.matches(&item)? {
                continue 'items;
            }
        }
        out.push(item);
    }
    Ok(out)
}

/// `GET …/count`: `{"count": n}` of the records matching `conditions`.
pub(crate) fn count(req: &Request, items: Vec<Value>, schema: Schema) -> HandlerResult {
    let n = filter(req, items, schema)?.len();
    Ok(Reply::ok(&json!({ "count": n })))
}

/// One record, projected by `fields`.
pub(crate) fn one(req: &Request, item: Value, schema: Schema) -> HandlerResult {
    Ok(Reply::ok(&project(req, item, schema)?))
}

/// `GET <list>`: filtered, ordered, paged and projected, with the `Link` header.
pub(crate) fn list(req: &Request, items: Vec<Value>, schema: Schema) -> HandlerResult {
    let mut items = filter(req, items, schema)?;
    let size = page_size(req)?;
    let forward_only = req
        .header("pagination-type")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("forward-only"));
    if forward_only {
        if req.query.text("orderby").is_some() {
            return Err(bad_body(
                "orderBy is not supported with forward-only pagination.",
            ));
        }
        let after = match req.query.text("pageid") {
            None => i64::MIN,
            Some(v) => v
                .parse::<i64>()
                .map_err(|_| bad_body(format!("pageId must be a number, not '{v}'.")))?,
        };
        items.sort_by_key(id_of);
        let rest: Vec<Value> = items.into_iter().filter(|i| id_of(i) > after).collect();
        let more = rest.len() > size;
        let page: Vec<Value> = rest.into_iter().take(size).collect();
        let mut reply_links = Vec::new();
        if let (true, Some(last)) = (more, page.last()) {
            reply_links.push((
                link_url(req, &[("pageid", id_of(last).to_string())], &["page"]),
                "next",
            ));
        }
        return finish(req, page, schema, reply_links);
    }
    order(req, &mut items, schema)?;
    let page_no = match req.query.text("page") {
        None => 1,
        Some(v) => v
            .parse::<i64>()
            .map_err(|_| bad_body(format!("page must be a number, not '{v}'.")))?
            .max(1) as usize,
    };
    let total = items.len();
    let last = total.div_ceil(size).max(1);
    let page: Vec<Value> = items
        .into_iter()
        .skip(size.saturating_mul(page_no - 1))
        .take(size)
        .collect();
    let at = |n: usize| {
        link_url(
            req,
            &[("page", n.to_string()), ("pagesize", size.to_string())],
            &[],
        )
    };
    let mut links = vec![(at(1), "first")];
    if page_no > 1 {
        links.push((at((page_no - 1).min(last)), "prev"));
    }
    if page_no < last {
        links.push((at(page_no + 1), "next"));
    }
    links.push((at(last), "last"));
    finish(req, page, schema, links)
}

fn finish(
    req: &Request,
    page: Vec<Value>,
    schema: Schema,
    links: Vec<(String, &str)>,
) -> HandlerResult {
    let page = page
        .into_iter()
        .map(|item| project(req, item, schema))
        .collect::<Result<Vec<_>, _>>()?;
    let mut reply = Reply::ok(&Value::Array(page));
    if !links.is_empty() {
        let header = links
            .iter()
            .map(|(url, rel)| format!("<{url}>; rel=\"{rel}\""))
            .collect::<Vec<_>>()
            .join(", ");
        reply = reply.with_header(http::header::LINK, &header);
    }
    Ok(reply)
}

fn id_of(v: &Value) -> i64 {
    v.get("id").and_then(Value::as_i64).unwrap_or(0)
}

fn page_size(req: &Request) -> Result<usize, Reply> {
    match req.query.text("pagesize") {
        None => Ok(DEFAULT_PAGE_SIZE),
        Some(v) => {
            let n = v
                .parse::<i64>()
                .map_err(|_| bad_body(format!("pageSize must be a number, not '{v}'.")))?;
            Ok(if n < 1 {
                DEFAULT_PAGE_SIZE
            } else {
                (n as usize).min(MAX_PAGE_SIZE)
            })
        }
    }
}

/// The request's URL with `set` parameters replaced (and `drop` ones removed).
fn link_url(req: &Request, set: &[(&str, String)], drop: &[&str]) -> String {
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in req.query.pairs() {
        let lower = k.to_ascii_lowercase();
        if set.iter().any(|(s, _)| *s == lower) || drop.contains(&lower.as_str()) {
            continue;
        }
        out.append_pair(k, v);
    }
    for (k, v) in set {
        let name = match *k {
            "pagesize" => "pageSize",
            "pageid" => "pageId",
            other => other,
        };
        out.append_pair(name, v);
    }
    format!("{}{}?{}", req.base_url, req.path, out.finish())
}

/// Sorts by `orderBy` (`field [asc|desc]`, comma-separated), then by id.
fn order(req: &Request, items: &mut [Value], schema: Schema) -> Result<(), Reply> {
    let mut keys = Vec::new();
    if let Some(text) = req.query.text("orderby") {
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let mut words = part.split_whitespace();
            let field = schema.resolve_or_400(words.next().unwrap_or_default())?;
            let desc = match words.next() {
                None => false,
                Some(w) if w.eq_ignore_ascii_case("asc") => false,
                Some(w) if w.eq_ignore_ascii_case("desc") => true,
                Some(w) => return Err(find_condition(format!("Invalid orderBy direction '{w}'."))),
            };
            keys.push((field, desc));
        }
    }
    keys.push(("id".to_string(), false));
    items.sort_by(|a, b| {
        keys.iter()
            .map(|(field, desc)| {
                let ord = compare_values(
                    values_at(a, field).first().copied(),
                    values_at(b, field).first().copied(),
                );
                if *desc {
                    ord.reverse()
                } else {
                    ord
                }
            })
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    Ok(())
}

/// Keeps only the `fields` of the request (nested paths keep their parents), if given.
fn project(req: &Request, item: Value, schema: Schema) -> Result<Value, Reply> {
    let Some(text) = req.query.text("fields") else {
        return Ok(item);
    };
    let mut out = Map::new();
    for name in text.split(',').map(str::trim).filter(|f| !f.is_empty()) {
        let path = schema.resolve_or_400(name)?;
        copy_path(&item, &mut out, &path);
    }
    Ok(Value::Object(out))
}

fn copy_path(from: &Value, to: &mut Map<String, Value>, path: &str) {
    let (head, rest) = match path.split_once('/') {
        Some((h, r)) => (h, Some(r)),
        None => (path, None),
    };
    let Some((key, value)) = from
        .as_object()
        .and_then(|o| o.iter().find(|(k, _)| k.eq_ignore_ascii_case(head)))
    else {
        return;
    };
    match (rest, value) {
        (Some(rest), Value::Object(_)) => {
            let entry = to
                .entry(key.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(child) = entry {
                copy_path(value, child, rest);
            }
        }
        _ => {
            to.insert(key.clone(), value.clone());
        }
    }
}
