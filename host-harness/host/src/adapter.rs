//! The contract-version adapter: how the host's typed API (the current contract) calls a
//! component built against an older supported version (`wit/since_v<version>/`).
//!
//! The older component is called through wasmtime's dynamic API, its own function types
//! guiding the conversion: the host's typed arguments are serialized (serde, derived on the
//! generated types), converted to the old types ([`Dialect::Serde`]), and the results come back
//! the same way into the current types. What the old contract has no place for:
//! - an input that would change what the connector does — placement rules, a request source —
//!   is refused with `connector-error::unsupported` naming the setting and the versions, never
//!   dropped silently;
//! - new optional inputs that only add information (the alert's category, link and evidence)
//!   are left out;
//! - results the old contract never returns (a `skipped` decision) cannot occur, and new result
//!   fields are empty (`none`).

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use wasmtime::component::{ResourceAny, Val};

use crate::contract::{ContractVersion, CURRENT};
use crate::convert::{json_to_val_in, val_to_json_in, Dialect};
use crate::error::HostError;
use crate::instance::GuestInstance;
use crate::shared::LoadedComponent;
use crate::types::{ConnectorError, ConnectorInfo};

/// Inputs the old contract cannot carry that change what a connector does: refused when set.
const REFUSED_WHEN_SET: &[(&str, &str)] = &[
    ("rules", "placement rules (mapping-profile.rules)"),
    ("source_id", "a request source (mapping-profile.source-id)"),
];

/// A typed argument as JSON for the adapter.
pub(crate) fn to_json(value: &impl Serialize) -> Result<Value, HostError> {
    serde_json::to_value(value)
        .map_err(|e| HostError::Incompatible(format!("cannot carry an argument: {e}")))
}

/// Calls `[method]session.<op>` of an older component.
pub(crate) async fn call_method<T: DeserializeOwned>(
    guest: &mut GuestInstance,
    component: &LoadedComponent,
    op: &str,
    session: ResourceAny,
    args: Vec<Value>,
) -> Result<Result<T, ConnectorError>, HostError> {
    let func = guest.export_func(component, &format!("[method]session.{op}"))?;
    let params = match params(
        guest,
        component,
        op,
        func,
        Some(Val::Resource(session)),
        args,
    )? {
        Ok(params) => params,
        Err(refused) => return Ok(Err(refused)),
    };
    let result = guest.call_dynamic(op, func, params).await?;
    decode(op, &result)
}

/// Calls `info` of an older component.
pub(crate) async fn call_info(
    guest: &mut GuestInstance,
    component: &LoadedComponent,
) -> Result<ConnectorInfo, HostError> {
    let func = guest.export_func(component, "info")?;
    let result = guest.call_dynamic("info", func, vec![]).await?;
    decode("info", &result)
}

/// Calls `[static]session.open` of an older component.
pub(crate) async fn call_open(
    guest: &mut GuestInstance,
    component: &LoadedComponent,
    settings: &[(String, String)],
) -> Result<Result<ResourceAny, ConnectorError>, HostError> {
    let func = guest.export_func(component, "[static]session.open")?;
    let params = match params(
        guest,
        component,
        "open",
        func,
        None,
        vec![to_json(&settings)?],
    )? {
        Ok(params) => params,
        Err(refused) => return Ok(Err(refused)),
    };
    match guest.call_dynamic("open", func, params).await? {
        Val::Result(Ok(Some(session))) => match *session {
            Val::Resource(session) => Ok(Ok(session)),
            other => Err(unreadable("open", &format!("a session, got {other:?}"))),
        },
        Val::Result(Err(Some(error))) => Ok(Err(decode("open", &error)?)),
        other => Err(unreadable("open", &format!("a result, got {other:?}"))),
    }
}

/// The function's parameters from the typed arguments, or the connector error refusing an
/// input the old contract cannot carry.
fn params(
    guest: &mut GuestInstance,
    component: &LoadedComponent,
    op: &str,
    func: wasmtime::component::Func,
    receiver: Option<Val>,
    args: Vec<Value>,
) -> Result<Result<Vec<Val>, ConnectorError>, HostError> {
    let types: Vec<_> = func
        .ty(&guest.store)
        .params()
        .map(|(_, ty)| ty)
        .skip(usize::from(receiver.is_some()))
        .collect();
    let mut dialect = Dialect::Serde { dropped: vec![] };
    let mut params: Vec<Val> = receiver.into_iter().collect();
    for (i, (ty, arg)) in types.iter().zip(&args).enumerate() {
        let val = json_to_val_in(ty, arg, &format!("arg{i}"), &mut dialect)
            .map_err(|e| unreadable(op, &e))?;
        params.push(val);
    }
    let version = component.contract.0;
    if let Dialect::Serde { dropped } = dialect {
        for (path, set) in dropped {
            let field = path.rsplit('.').next().unwrap_or(&path);
            match REFUSED_WHEN_SET.iter().find(|(name, _)| *name == field) {
                Some((_, what)) if set => return Ok(Err(refusal(op, what, version))),
                _ if set => tracing::debug!(op, %path, %version, "left out for an older contract"),
                _ => {}
            }
        }
    }
    Ok(Ok(params))
}

fn refusal(op: &str, what: &str, version: ContractVersion) -> ConnectorError {
    ConnectorError::Unsupported(format!(
        "`{op}` with {what} needs a connector built against psa:connector@{CURRENT}; this one \
         was built against {version}, which has no place for it: rebuild the connector, or \
         leave it out"
    ))
}

/// A result value as the current type.
fn decode<T: DeserializeOwned>(op: &str, val: &Val) -> Result<T, HostError> {
    let json = val_to_json_in(val, &Dialect::Serde { dropped: vec![] });
    serde_json::from_value(json).map_err(|e| unreadable(op, &e.to_string()))
}

fn unreadable(op: &str, why: &str) -> HostError {
    HostError::Incompatible(format!(
        "the contract adapter cannot carry `{op}` to or from this component: {why}"
    ))
}
