//! Component values ([`Val`]) to JSON and back, guided by the WIT types: the convention of the
//! JSON API (`json`, the CLI), and the [`Dialect::Serde`] form the contract-version adapter
//! (`adapter`) uses to carry the host's typed values (serde-derived) to an older component.
//!
//! # JSON convention
//!
//! This is the only JSON form of the contract's values; the CLI and scripts use it.
//!
//! | WIT | JSON |
//! |---|---|
//! | `record` | object; field names are the WIT names with `-` replaced by `_` (`page_size`). Input: a missing `option` field is `none`, a missing `list` field is empty; unknown fields are errors |
//! | `enum` | the WIT case name as a string: `"create-only"`, `"high"`, `"own"` |
//! | `variant` | an object with one key, the WIT case name: `{"auth-failed": "..."}`; a case without payload is `{"<case>": null}` |
//! | `option<T>` | `null` or the value |
//! | `list<T>`, `tuple<..>` | array |
//! | `result<T, E>` (nested) | `{"ok": T}` or `{"err": E}` (`null` when there is no payload) |
//! | `flags` | array of flag names |
//! | `string`, `char`, `bool`, integers | JSON string, bool, number |
//!
//! An operation's own `result<T, connector-error>` is not wrapped: `call_json` returns
//! `Ok(T)` or `Err(connector-error)` as two JSON documents.

use serde_json::{Map, Number, Value};
use wasmtime::component::{Type, Val};

/// Which JSON form a conversion reads and writes.
#[derive(Debug, Default)]
pub(crate) enum Dialect {
    /// The JSON API's convention (the table above): WIT case names, unknown fields refused.
    #[default]
    Wit,
    /// The form `serde` derives for the host's generated types: enum and variant cases by
    /// their Rust names (`CreateUpdateClose`, a case without payload as a bare string),
    /// `{"Ok": ..}` / `{"Err": ..}` results. Record fields the target type does not have are
    /// left out and listed in `dropped` (path, and whether the value was set: not null or []).
    Serde {
        /// Fields of the input the target type has no place for.
        dropped: Vec<(String, bool)>,
    },
}

impl Dialect {
    fn is_serde(&self) -> bool {
        matches!(self, Dialect::Serde { .. })
    }

    /// How a WIT case name is written.
    fn case_name(&self, wit: &str) -> String {
        if self.is_serde() {
            upper_camel(wit)
        } else {
            wit.to_string()
        }
    }

    /// Whether `given` names the WIT case `wit`.
    fn names(&self, wit: &str, given: &str) -> bool {
        if self.is_serde() {
            squash(wit) == squash(given)
        } else {
            wit == given
        }
    }
}

/// `create-update-close` → `CreateUpdateClose`, as `bindgen!` names Rust cases.
fn upper_camel(wit: &str) -> String {
    wit.split('-')
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_uppercase().chain(chars).collect::<String>()
            })
        })
        .collect()
}

/// A case name without separators, lower case: how the two dialects' names are compared.
fn squash(name: &str) -> String {
    name.chars()
        .filter(|c| *c != '-' && *c != '_')
        .flat_map(char::to_lowercase)
        .collect()
}

/// Converts a component value to JSON (see the module docs for the convention).
#[cfg_attr(not(feature = "json"), allow(dead_code))]
pub fn val_to_json(val: &Val) -> Value {
    val_to_json_in(val, &Dialect::Wit)
}

/// Converts a component value to JSON in `dialect`.
pub(crate) fn val_to_json_in(val: &Val, dialect: &Dialect) -> Value {
    let val_to_json = |v: &Val| val_to_json_in(v, dialect);
    match val {
        Val::Bool(b) => Value::Bool(*b),
        Val::S8(n) => Value::from(*n),
        Val::U8(n) => Value::from(*n),
        Val::S16(n) => Value::from(*n),
        Val::U16(n) => Value::from(*n),
        Val::S32(n) => Value::from(*n),
        Val::U32(n) => Value::from(*n),
        Val::S64(n) => Value::from(*n),
        Val::U64(n) => Value::from(*n),
        Val::Float32(f) => Number::from_f64(f64::from(*f)).map_or(Value::Null, Value::Number),
        Val::Float64(f) => Number::from_f64(*f).map_or(Value::Null, Value::Number),
        Val::Char(c) => Value::String(c.to_string()),
        Val::String(s) => Value::String(s.clone()),
        Val::List(items) | Val::Tuple(items) | Val::FixedLengthList(items) => {
            Value::Array(items.iter().map(&val_to_json).collect())
        }
        Val::Map(entries) => Value::Array(
            entries
                .iter()
                .map(|(k, v)| Value::Array(vec![val_to_json(k), val_to_json(v)]))
                .collect(),
        ),
        Val::Record(fields) => Value::Object(
            fields
                .iter()
                .map(|(name, v)| (name.replace('-', "_"), val_to_json(v)))
                .collect(),
        ),
        Val::Variant(case, None) if dialect.is_serde() => Value::String(dialect.case_name(case)),
        Val::Variant(case, payload) => {
            let payload = payload.as_deref().map_or(Value::Null, val_to_json);
            Value::Object(Map::from_iter([(dialect.case_name(case), payload)]))
        }
        Val::Enum(case) => Value::String(dialect.case_name(case)),
        Val::Option(v) => v.as_deref().map_or(Value::Null, val_to_json),
        Val::Result(r) => {
            let (key, payload) = match r {
                Ok(v) => ("ok", v),
                Err(e) => ("err", e),
            };
            let payload = payload.as_deref().map_or(Value::Null, val_to_json);
            Value::Object(Map::from_iter([(dialect.case_name(key), payload)]))
        }
        Val::Flags(names) => Value::Array(names.iter().cloned().map(Value::String).collect()),
        Val::Resource(_) => Value::String("<resource>".into()),
        Val::Future(_) => Value::String("<future>".into()),
        Val::Stream(_) => Value::String("<stream>".into()),
        Val::ErrorContext(_) => Value::String("<error-context>".into()),
    }
}

/// What kind of JSON value `v` is, for error messages (never the value itself).
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn expected(path: &str, what: &str, v: &Value) -> String {
    format!(
        "{}: expected {what}, got {}",
        if path.is_empty() { "<value>" } else { path },
        kind(v)
    )
}

/// The elements of a JSON array, each converted to `elem`.
fn array_to_vals(
    elem: &Type,
    json: &Value,
    path: &str,
    dialect: &mut Dialect,
) -> Result<Vec<Val>, String> {
    json.as_array()
        .ok_or_else(|| expected(path, "an array", json))?
        .iter()
        .enumerate()
        .map(|(i, item)| json_to_val_in(elem, item, &child(path, i), dialect))
        .collect()
}

fn child(path: &str, key: impl std::fmt::Display) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

macro_rules! int {
    ($json:expr, $path:expr, $variant:ident, $t:ty, $get:ident) => {
        $json
            .$get()
            .and_then(|n| <$t>::try_from(n).ok())
            .map(Val::$variant)
            .ok_or_else(|| expected($path, stringify!($t), $json))
    };
}

/// Converts JSON to a component value of type `ty` (see the module docs for the convention).
/// `path` names the value in error messages (for example `query.page_size`).
#[cfg_attr(not(feature = "json"), allow(dead_code))]
pub fn json_to_val(ty: &Type, json: &Value, path: &str) -> Result<Val, String> {
    json_to_val_in(ty, json, path, &mut Dialect::Wit)
}

/// Converts JSON in `dialect` to a component value of type `ty`.
pub(crate) fn json_to_val_in(
    ty: &Type,
    json: &Value,
    path: &str,
    dialect: &mut Dialect,
) -> Result<Val, String> {
    match ty {
        Type::Bool => json
            .as_bool()
            .map(Val::Bool)
            .ok_or_else(|| expected(path, "a boolean", json)),
        Type::S8 => int!(json, path, S8, i8, as_i64),
        Type::U8 => int!(json, path, U8, u8, as_u64),
        Type::S16 => int!(json, path, S16, i16, as_i64),
        Type::U16 => int!(json, path, U16, u16, as_u64),
        Type::S32 => int!(json, path, S32, i32, as_i64),
        Type::U32 => int!(json, path, U32, u32, as_u64),
        Type::S64 => int!(json, path, S64, i64, as_i64),
        Type::U64 => int!(json, path, U64, u64, as_u64),
        #[allow(clippy::cast_possible_truncation)]
        Type::Float32 => json
            .as_f64()
            .map(|f| Val::Float32(f as f32))
            .ok_or_else(|| expected(path, "a number", json)),
        Type::Float64 => json
            .as_f64()
            .map(Val::Float64)
            .ok_or_else(|| expected(path, "a number", json)),
        Type::Char => {
            let s = json
                .as_str()
                .ok_or_else(|| expected(path, "a one-character string", json))?;
            let mut chars = s.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => Ok(Val::Char(c)),
                _ => Err(format!("{path}: expected a one-character string")),
            }
        }
        Type::String => json
            .as_str()
            .map(|s| Val::String(s.to_string()))
            .ok_or_else(|| expected(path, "a string", json)),
        Type::List(list) => array_to_vals(&list.ty(), json, path, dialect).map(Val::List),
        Type::FixedLengthList(list) => {
            let items = array_to_vals(&list.ty(), json, path, dialect)?;
            if items.len() != list.len() as usize {
                return Err(format!(
                    "{path}: expected {} items, got {}",
                    list.len(),
                    items.len()
                ));
            }
            Ok(Val::FixedLengthList(items))
        }
        Type::Map(map) => {
            let entries = json
                .as_array()
                .ok_or_else(|| expected(path, "an array of [key, value] pairs", json))?;
            let (kt, vt) = (map.key(), map.value());
            entries
                .iter()
                .enumerate()
                .map(|(i, entry)| match entry.as_array().map(Vec::as_slice) {
                    Some([k, v]) => Ok((
                        json_to_val_in(&kt, k, &child(path, i), dialect)?,
                        json_to_val_in(&vt, v, &child(path, i), dialect)?,
                    )),
                    _ => Err(expected(&child(path, i), "a [key, value] pair", entry)),
                })
                .collect::<Result<_, _>>()
                .map(Val::Map)
        }
        Type::Record(record) => {
            let object = json
                .as_object()
                .ok_or_else(|| expected(path, "an object", json))?;
            let mut fields = Vec::new();
            let mut known = Vec::new();
            for field in record.fields() {
                let key = field.name.replace('-', "_");
                let value = match object.get(&key) {
                    Some(value) => json_to_val_in(&field.ty, value, &child(path, &key), dialect)?,
                    None if matches!(field.ty, Type::Option(_)) => Val::Option(None),
                    // Fields the contract added later (lists of rules, evidence) may be left
                    // out: an empty list.
                    None if matches!(field.ty, Type::List(_)) => Val::List(vec![]),
                    None => return Err(format!("{}: missing field `{key}`", child(path, &key))),
                };
                fields.push((field.name.to_string(), value));
                known.push(key);
            }
            if let Dialect::Serde { dropped } = dialect {
                for (key, value) in object.iter().filter(|(k, _)| !known.contains(k)) {
                    let set = !(value.is_null() || value.as_array().is_some_and(Vec::is_empty));
                    dropped.push((child(path, key), set));
                }
            } else if let Some(unknown) = object.keys().find(|k| !known.contains(k)) {
                return Err(format!(
                    "{}: unknown field (fields: {})",
                    child(path, unknown),
                    known.join(", ")
                ));
            }
            Ok(Val::Record(fields))
        }
        Type::Tuple(tuple) => {
            let items = json
                .as_array()
                .ok_or_else(|| expected(path, "an array", json))?;
            let types: Vec<Type> = tuple.types().collect();
            if items.len() != types.len() {
                return Err(format!(
                    "{path}: expected {} items, got {}",
                    types.len(),
                    items.len()
                ));
            }
            types
                .iter()
                .zip(items)
                .enumerate()
                .map(|(i, (t, item))| json_to_val_in(t, item, &child(path, i), dialect))
                .collect::<Result<_, _>>()
                .map(Val::Tuple)
        }
        Type::Variant(variant) => {
            let (case, payload) = match json {
                // serde writes a case without payload as a bare string.
                Value::String(case) if dialect.is_serde() => (case.as_str(), &Value::Null),
                _ => single_key(json, path)?,
            };
            let found = variant.cases().find(|c| dialect.names(c.name, case));
            let Some(found) = found else {
                let names: Vec<&str> = variant.cases().map(|c| c.name).collect();
                return Err(format!(
                    "{path}: unknown case `{case}` (cases: {})",
                    names.join(", ")
                ));
            };
            let payload = match &found.ty {
                Some(t) => Some(Box::new(json_to_val_in(
                    t,
                    payload,
                    &child(path, case),
                    dialect,
                )?)),
                None if payload.is_null() => None,
                None => {
                    return Err(expected(
                        &child(path, case),
                        "null (the case has no payload)",
                        payload,
                    ))
                }
            };
            Ok(Val::Variant(found.name.to_string(), payload))
        }
        Type::Enum(e) => {
            let s = json
                .as_str()
                .ok_or_else(|| expected(path, "a string naming an enum case", json))?;
            if let Some(name) = e.names().find(|n| dialect.names(n, s)) {
                Ok(Val::Enum(name.to_string()))
            } else {
                let names: Vec<&str> = e.names().collect();
                Err(format!(
                    "{path}: unknown case (cases: {})",
                    names.join(", ")
                ))
            }
        }
        Type::Option(o) => {
            if json.is_null() {
                Ok(Val::Option(None))
            } else {
                Ok(Val::Option(Some(Box::new(json_to_val_in(
                    &o.ty(),
                    json,
                    path,
                    dialect,
                )?))))
            }
        }
        Type::Result(r) => {
            let (case, payload) = single_key(json, path)?;
            let ok = dialect.names("ok", case);
            let ty = match case {
                _ if ok => r.ok(),
                _ if dialect.names("err", case) => r.err(),
                _ => {
                    return Err(format!(
                        "{path}: expected {{\"ok\": ..}} or {{\"err\": ..}}"
                    ))
                }
            };
            let payload = match ty {
                Some(t) => Some(Box::new(json_to_val_in(
                    &t,
                    payload,
                    &child(path, case),
                    dialect,
                )?)),
                None => None,
            };
            Ok(Val::Result(if ok { Ok(payload) } else { Err(payload) }))
        }
        Type::Flags(flags) => {
            let items = json
                .as_array()
                .ok_or_else(|| expected(path, "an array of flag names", json))?;
            let mut names = Vec::new();
            for item in items {
                let name = item
                    .as_str()
                    .ok_or_else(|| expected(path, "a flag name", item))?;
                if !flags.names().any(|n| n == name) {
                    return Err(format!("{path}: unknown flag"));
                }
                names.push(name.to_string());
            }
            Ok(Val::Flags(names))
        }
        Type::Own(_) | Type::Borrow(_) | Type::Future(_) | Type::Stream(_) | Type::ErrorContext => {
            Err(format!("{path}: this type cannot be given as JSON"))
        }
    }
}

fn single_key<'a>(json: &'a Value, path: &str) -> Result<(&'a str, &'a Value), String> {
    match json.as_object() {
        Some(o) if o.len() == 1 => {
            let (k, v) = o.iter().next().expect("one entry");
            Ok((k.as_str(), v))
        }
        _ => Err(expected(
            path,
            "an object with exactly one key (the case name)",
            json,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{dummy_connector, signature};
    use serde_json::json;

    fn params(op: &str) -> Vec<Type> {
        let (_host, loaded) = dummy_connector();
        signature(&loaded, &format!("[method]session.{op}")).0
    }

    fn roundtrip(ty: &Type, value: Value) {
        let val = json_to_val(ty, &value, "arg").unwrap();
        assert_eq!(val_to_json(&val), value);
    }

    fn full_profile() -> Value {
        json!({
            "tenants": [{"tenant_id": "t-1", "organization_id": "12", "site_id": null}],
            "fallback_organization_id": "13",
            "priorities": [{"severity": "critical", "priority_id": "5"}, {"severity": "info", "priority_id": "8"}],
            "default_status_id": null,
            "ticket_type_id": "21",
            "team_id": "5",
            "category": "Security",
            "strategy": "create-update-close",
            "reopen_window_hours": 24,
            "reopen_status_id": null,
            "close_status_id": "9",
            "rules": [{"name": "identity", "category": "identity/*", "min_severity": "high",
                "tenants": ["t-1"], "skip": false, "ticket_type_id": "22", "team_id": null,
                "priority_id": "5", "status_id": null}],
            "source_id": "7"
        })
    }

    #[test]
    fn records_use_snake_case_field_names_and_enums_use_wit_case_names() {
        let p = params("validate-mapping");
        roundtrip(&p[0], full_profile());
        let val = json_to_val(&p[0], &full_profile(), "profile").unwrap();
        let Val::Record(fields) = val else {
            panic!("not a record")
        };
        assert_eq!(fields[1].0, "fallback-organization-id");
        assert!(fields.contains(&("strategy".into(), Val::Enum("create-update-close".into()))));
    }

    #[test]
    fn missing_option_fields_are_none_and_unknown_fields_are_errors() {
        let p = params("list-organizations");
        let val = json_to_val(&p[0], &json!({"include_inactive": false}), "query").unwrap();
        assert_eq!(
            val_to_json(&val),
            json!({"search": null, "include_inactive": false, "page": null, "page_size": null})
        );
        let err = json_to_val(
            &p[0],
            &json!({"include_inactive": false, "pageSize": 3}),
            "query",
        )
        .unwrap_err();
        assert!(err.contains("query.pageSize: unknown field"), "{err}");
        let err = json_to_val(&p[0], &json!({"search": "x"}), "query").unwrap_err();
        assert!(err.contains("missing field `include_inactive`"), "{err}");
    }

    #[test]
    fn missing_list_fields_are_empty() {
        let p = params("sync-alert");
        let request = json!({"alert": {"key": "k", "occurrence_id": null, "tenant_id": "t",
            "severity": "high", "summary": "s", "details": "d"}, "link": null});
        let val = json_to_val(&p[1], &request, "request").unwrap();
        let back = val_to_json(&val);
        assert_eq!(back["alert"]["evidence"], json!([]));
        assert_eq!(back["alert"]["category"], json!(null));
        let err = json_to_val(&p[1], &json!({"alert": {"key": "k"}}), "request").unwrap_err();
        assert!(err.contains("missing field"), "{err}");
    }

    #[test]
    fn errors_name_the_path_but_never_the_value() {
        let p = params("list-organizations");
        let err = json_to_val(
            &p[0],
            &json!({"include_inactive": false, "page_size": "s3cr3t"}),
            "query",
        )
        .unwrap_err();
        assert_eq!(err, "query.page_size: expected u32, got a string");
        assert!(!err.contains("s3cr3t"));
    }

    #[test]
    fn integers_are_range_checked() {
        let p = params("list-organizations");
        let q = |page: Value| json!({"include_inactive": false, "page": page});
        assert!(json_to_val(&p[0], &q(json!(4_294_967_295u64)), "q").is_ok());
        assert!(json_to_val(&p[0], &q(json!(4_294_967_296u64)), "q").is_err());
        assert!(json_to_val(&p[0], &q(json!(-1)), "q").is_err());
        assert!(json_to_val(&p[0], &q(json!(1.5)), "q").is_err());
    }

    #[test]
    fn enums_reject_rust_style_names() {
        let p = params("validate-mapping");
        let mut profile = full_profile();
        profile["strategy"] = json!("CreateOnly");
        let err = json_to_val(&p[0], &profile, "profile").unwrap_err();
        assert!(err.starts_with("profile.strategy: unknown case"), "{err}");
        profile["strategy"] = json!("two-way");
        assert!(json_to_val(&p[0], &profile, "profile").is_ok());
    }

    #[test]
    fn keyword_enum_cases_keep_their_wit_names() {
        let p = params("list-tickets");
        roundtrip(
            &p[0],
            json!({"organization_id": null, "scope": "own", "open_only": true, "page": 2, "page_size": 25}),
        );
        roundtrip(
            &p[0],
            json!({"organization_id": "12", "scope": "all", "open_only": false, "page": null, "page_size": null}),
        );
    }

    #[test]
    fn lists_tuples_and_options() {
        let p = params("update-ticket");
        roundtrip(&p[0], json!("1042"));
        roundtrip(
            &p[1],
            json!({"priority_id": null, "status_id": "2", "summary": null, "team_id": null,
                   "fields": [["category_1", "Security"], ["impact", "3"]]}),
        );
        let err = json_to_val(
            &p[1],
            &json!({"status_id": "2", "fields": [["only-one"]]}),
            "update",
        )
        .unwrap_err();
        assert!(err.contains("update.fields.0: expected 2 items"), "{err}");
        let p = params("ticket-states");
        roundtrip(&p[0], json!(["1", "2", "3"]));
        let p = params("list-priorities");
        roundtrip(&p[0], json!(null));
        roundtrip(&p[0], json!("21"));
    }

    #[test]
    fn nested_records_and_variants_in_results() {
        let (_host, loaded) = dummy_connector();
        let (params, result) = signature(&loaded, "[method]session.sync-alert");
        let request = json!({
            "alert": {"key": "tenant-7/mfa-disabled/alice", "occurrence_id": null, "tenant_id": "t-7",
                      "severity": "high", "summary": "MFA disabled", "details": "…",
                      "contact": {"name": "Alice", "email": null},
                      "category": "identity/mfa-disabled", "link_url": "https://platform.example/a/1",
                      "evidence": [{"name": "user", "value": "alice"}]},
            "link": null
        });
        roundtrip(&params[1], request);

        let Type::Result(r) = result else {
            panic!("operations return results")
        };
        let err_ty = r.err().unwrap();
        roundtrip(
            &err_ty,
            json!({"auth-failed": "invalid_client: check the client id"}),
        );
        roundtrip(&err_ty, json!({"rate-limited": 30}));
        roundtrip(
            &err_ty,
            json!({"invalid-settings": {"key": "base_url", "message": "must be https"}}),
        );
        let err = json_to_val(&err_ty, &json!({"AuthFailed": "x"}), "e").unwrap_err();
        assert!(err.contains("unknown case `AuthFailed`"), "{err}");
        let err =
            json_to_val(&err_ty, &json!({"auth-failed": "x", "transport": "y"}), "e").unwrap_err();
        assert!(err.contains("exactly one key"), "{err}");
    }

    #[test]
    fn values_without_types_convert_by_convention() {
        assert_eq!(
            val_to_json(&Val::Variant("none-left".into(), None)),
            json!({"none-left": null})
        );
        assert_eq!(
            val_to_json(&Val::Result(Err(Some(Box::new(Val::U8(3)))))),
            json!({"err": 3})
        );
        assert_eq!(val_to_json(&Val::Option(None)), Value::Null);
        assert_eq!(
            val_to_json(&Val::Tuple(vec![Val::String("a".into()), Val::Char('b')])),
            json!(["a", "b"])
        );
        assert_eq!(val_to_json(&Val::Flags(vec!["x".into()])), json!(["x"]));
    }
}
