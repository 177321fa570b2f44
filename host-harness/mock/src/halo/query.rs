//! Halo's typed query parameters (ASP.NET's 400s), paging and ordering.

use serde_json::{json, Map, Value};

use crate::query::compare_values;
pub(crate) use crate::query::Query;

use super::reply::Reply;

impl Query {
    /// A boolean parameter (`true`/`false`/`1`/`0`); empty means absent; anything else is a 400.
    pub fn bool(&self, name: &str) -> Result<Option<bool>, Reply> {
        match self.text(name) {
            None => Ok(None),
            Some(v) if v.eq_ignore_ascii_case("true") || v == "1" => Ok(Some(true)),
            Some(v) if v.eq_ignore_ascii_case("false") || v == "0" => Ok(Some(false)),
            Some(v) => Err(Reply::invalid_query(format!(
                "The value '{v}' is not valid for {name}."
            ))),
        }
    }

    /// An integer parameter; empty means absent; anything else is a 400.
    pub fn int(&self, name: &str) -> Result<Option<i64>, Reply> {
        match self.text(name) {
            None => Ok(None),
            Some(v) => v.parse::<i64>().map(Some).map_err(|_| {
                Reply::invalid_query(format!("The value '{v}' is not valid for {name}."))
            }),
        }
    }

    /// A comma-separated list of integers.
    pub fn int_list(&self, name: &str) -> Result<Option<Vec<i64>>, Reply> {
        let Some(v) = self.text(name) else {
            return Ok(None);
        };
        v.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<i64>().map_err(|_| {
                    Reply::invalid_query(format!("The value '{v}' is not valid for {name}."))
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }
}

/// Paging and limiting of a list, from `pageinate`, `page_size`, `page_no` and `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Paging {
    /// Everything (optionally at most `count` records).
    All { count: Option<usize> },
    /// One page (1-based `page_no`).
    Page { size: usize, no: usize },
}

/// Page size used when `pageinate=true` comes without `page_size`.
const DEFAULT_PAGE_SIZE: usize = 50;

impl Paging {
    /// Reads the paging parameters; `max_page_size` caps `page_size`.
    pub fn from_query(q: &Query, max_page_size: Option<u32>) -> Result<Paging, Reply> {
        let positive = |name: &str| -> Result<Option<usize>, Reply> {
            match q.int(name)? {
                None => Ok(None),
                Some(n) if n >= 1 => Ok(Some(n as usize)),
                Some(n) => Err(Reply::invalid_query(format!(
                    "The value '{n}' is not valid for {name}."
                ))),
            }
        };
        if q.bool("pageinate")?.unwrap_or(false) {
            let mut size = positive("page_size")?.unwrap_or(DEFAULT_PAGE_SIZE);
            if let Some(max) = max_page_size {
                size = size.min(max.max(1) as usize);
            }
            let no = positive("page_no")?.unwrap_or(1);
            Ok(Paging::Page { size, no })
        } else {
            Ok(Paging::All {
                count: positive("count")?,
            })
        }
    }

    /// Applies the paging to the full (filtered, ordered) list.
    pub fn apply(&self, items: Vec<Value>) -> Vec<Value> {
        match *self {
            Paging::All { count } => items
                .into_iter()
                .take(count.unwrap_or(usize::MAX))
                .collect(),
            Paging::Page { size, no } => items
                .into_iter()
                .skip(size.saturating_mul(no - 1))
                .take(size)
                .collect(),
        }
    }

    /// Builds a list envelope `{"record_count", "page_no"?, "page_size"?, "<key>": [...]}` where
    /// `record_count` is the number of matching records before paging.
    pub fn envelope(&self, key: &str, items: Vec<Value>, extra: Option<(&str, Value)>) -> Value {
        let total = items.len();
        let page = self.apply(items);
        let mut map = Map::new();
        if let Some((k, v)) = extra {
            map.insert(k.to_string(), v);
        }
        map.insert("record_count".into(), json!(total));
        if let Paging::Page { size, no } = *self {
            map.insert("page_no".into(), json!(no));
            map.insert("page_size".into(), json!(size));
        }
        map.insert(key.to_string(), Value::Array(page));
        Value::Object(map)
    }
}

/// Sorts by `order` (field name) / `orderdesc`, or by `default_field` ascending.
pub(crate) fn order(items: &mut [Value], q: &Query, default_field: &str) -> Result<(), Reply> {
    let field = q
        .text("order")
        .unwrap_or(default_field)
        .to_ascii_lowercase();
    let desc = q.bool("orderdesc")?.unwrap_or(false);
    items.sort_by(|a, b| {
        let ord = compare_field(a, b, &field).then_with(|| compare_field(a, b, "id"));
        if desc {
            ord.reverse()
        } else {
            ord
        }
    });
    Ok(())
}

fn compare_field(a: &Value, b: &Value, field: &str) -> std::cmp::Ordering {
    compare_values(a.get(field), b.get(field))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_and_limits() {
        let q = Query::parse("PageInate=true&page_size=2&page_no=2");
        let p = Paging::from_query(&q, None).unwrap();
        assert_eq!(p, Paging::Page { size: 2, no: 2 });
        let items: Vec<Value> = (1..=5).map(|i| json!({ "id": i })).collect();
        let env = p.envelope("x", items, None);
        assert_eq!(env["record_count"], 5);
        assert_eq!(env["x"], json!([{ "id": 3 }, { "id": 4 }]));
        let capped = Paging::from_query(&Query::parse("pageinate=true&page_size=500"), Some(100));
        assert_eq!(capped.unwrap(), Paging::Page { size: 100, no: 1 });
        assert!(Paging::from_query(&Query::parse("pageinate=yes"), None).is_err());
        assert!(Paging::from_query(&Query::parse("count=-1"), None).is_err());
        assert_eq!(
            Query::parse("ticketids=1,%202,3")
                .int_list("ticketids")
                .unwrap(),
            Some(vec![1, 2, 3])
        );
    }
}
