//! The JSON API: call any connector operation with JSON arguments and get JSON back, through
//! wasmtime's dynamic component API (the function's own parameter types guide the conversion),
//! so it keeps working for operations added to the contract later.
//!
//! # JSON convention
//!
//! This is the only JSON form of the contract's values; the CLI and scripts use it (the
//! conversions live in `convert`, shared with the contract-version adapter).
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

use serde_json::{json, Map, Value};
use wasmtime::component::{Func, Type, Val};

pub use crate::convert::{json_to_val, val_to_json};

use crate::connector::LoadedConnector;
use crate::error::HostError;
use crate::session::ConnectorSession;
use crate::types::ConnectorError;

impl ConnectorSession {
    /// Calls the operation `op` (WIT name, for example `list-organizations`; `_` is accepted for
    /// `-`) with one JSON value per parameter after the session itself. Trailing `option`
    /// parameters may be left out. Returns `Ok(ok_value)` or `Err(connector_error)` as JSON,
    /// in the convention of this module.
    pub async fn call_json(
        &mut self,
        op: &str,
        args: Vec<Value>,
    ) -> Result<Result<Value, Value>, HostError> {
        let op = op.replace('_', "-");
        let func = self
            .guest
            .export_func(&self.loaded.component, &format!("[method]session.{op}"))
            .map_err(|_| HostError::UnknownOperation(op.clone()))?;
        let alert_key = locked_alert_key(&op, &args);
        let receiver = Val::Resource(self.handle);
        let params = params_from_json(&op, func, &self.guest.store, Some(receiver), args)?;
        // The calls that decide about one alert hold its lock, as the typed ones do.
        let alert_lock = match alert_key {
            Some(key) => Some(self.lock_alert(&key).await?),
            None => None,
        };
        self.coordination.begin(alert_lock.as_ref());
        let result = self.guest.call_dynamic(&op, func, params).await;
        if let Some(alert_lock) = alert_lock {
            alert_lock.release().await;
        }
        self.settle(result.map(split_result))
    }
}

impl LoadedConnector {
    /// The connector's `info`, as JSON (in a throwaway store).
    pub async fn info_json(&self) -> Result<Value, HostError> {
        let mut guest = self.throwaway_instance().await?;
        let func = guest.export_func(&self.component, "info")?;
        let result = guest.call_dynamic("info", func, Vec::new()).await?;
        Ok(val_to_json(&result))
    }
}

/// The alert key of a `sync-alert` (`request.alert.key`) or `resolve-alert` (`request.key`)
/// call's JSON arguments (profile, request).
fn locked_alert_key(op: &str, args: &[Value]) -> Option<String> {
    let request = args.get(1)?;
    let key = match op {
        "sync-alert" => request.get("alert")?.get("key")?,
        "resolve-alert" => request.get("key")?,
        _ => return None,
    };
    key.as_str().map(str::to_string)
}

/// A connector error in this module's convention, e.g. `{"auth-failed": "…"}` or
/// `{"invalid-settings": {"key": "base_url", "message": "…"}}`: the same JSON `call_json`
/// returns for the typed [`ConnectorError`] of [`LoadedConnector::open`].
pub fn connector_error_json(error: &ConnectorError) -> Value {
    let case = crate::error::connector_error_case(error);
    let payload = match error {
        ConnectorError::InvalidSettings(p) => json!({ "key": p.key, "message": p.message }),
        ConnectorError::Remote(r) => {
            json!({ "status": r.status, "message": r.message, "endpoint": r.endpoint })
        }
        ConnectorError::InvalidResponse(r) => {
            json!({ "endpoint": r.endpoint, "message": r.message })
        }
        ConnectorError::RateLimited(secs) => json!(secs),
        ConnectorError::AuthFailed(m)
        | ConnectorError::PermissionDenied(m)
        | ConnectorError::NotFound(m)
        | ConnectorError::UnmappedTenant(m)
        | ConnectorError::Transport(m)
        | ConnectorError::Unsupported(m)
        | ConnectorError::InvalidInput(m) => json!(m),
    };
    Value::Object(Map::from_iter([(case.to_string(), payload)]))
}

fn params_from_json(
    op: &str,
    func: Func,
    store: &wasmtime::Store<crate::state::SessionState>,
    receiver: Option<Val>,
    args: Vec<Value>,
) -> Result<Vec<Val>, HostError> {
    let ty = func.ty(store);
    let mut types: Vec<(String, Type)> = ty.params().map(|(n, t)| (n.to_string(), t)).collect();
    let mut params = Vec::with_capacity(types.len());
    if let Some(receiver) = receiver {
        if types.is_empty() {
            return Err(HostError::InvalidArguments {
                op: op.into(),
                message: "not a method".into(),
            });
        }
        types.remove(0);
        params.push(receiver);
    }
    if args.len() > types.len() {
        return Err(HostError::InvalidArguments {
            op: op.into(),
            message: format!(
                "expected at most {} arguments, got {}",
                types.len(),
                args.len()
            ),
        });
    }
    let mut args = args.into_iter();
    for (name, ty) in &types {
        let value = match args.next() {
            Some(value) => value,
            None if matches!(ty, Type::Option(_)) => Value::Null,
            None => {
                return Err(HostError::InvalidArguments {
                    op: op.into(),
                    message: format!("missing argument `{}`", name.replace('-', "_")),
                });
            }
        };
        let path = name.replace('-', "_");
        params.push(json_to_val(ty, &value, &path).map_err(|message| {
            HostError::InvalidArguments {
                op: op.into(),
                message,
            }
        })?);
    }
    Ok(params)
}

/// An operation's `result<T, E>` as `Ok(T)` / `Err(E)`; any other value as `Ok`.
fn split_result(val: Val) -> Result<Value, Value> {
    match val {
        Val::Result(Ok(v)) => Ok(v.map_or(Value::Null, |v| val_to_json(&v))),
        Val::Result(Err(e)) => Err(e.map_or(Value::Null, |e| val_to_json(&e))),
        other => Ok(val_to_json(&other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_results_split_into_ok_and_err() {
        let ok = Val::Result(Ok(Some(Box::new(Val::List(vec![])))));
        assert_eq!(split_result(ok), Ok(json!([])));
        let err = Val::Result(Err(Some(Box::new(Val::Variant(
            "not-found".into(),
            Some(Box::new(Val::String("ticket 9".into()))),
        )))));
        assert_eq!(split_result(err), Err(json!({"not-found": "ticket 9"})));
    }
}
