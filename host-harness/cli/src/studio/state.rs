//! What the studio's server keeps between requests, and the redaction every response goes
//! through.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use psa_host::json::connector_error_json;
use psa_host::{ConnectorHost, ConnectorSession, HostError, LoadedConnector, RequestStats};
use serde_json::{json, Map, Value};

use super::api::{describe_error_json, ApiError};
use crate::psa::{Psa, PsaMock};

/// What `studio` starts with besides the component.
pub(crate) struct StudioOptions {
    /// The host tenants of the mapping screen (a JSON array of host-tenant).
    pub tenants: Value,
    /// Settings from `--settings`, applied (and a session opened) at start.
    pub initial_settings: Vec<(String, String)>,
    /// The embedded mock, with `--mock`.
    pub mock: Option<(Psa, PsaMock)>,
}

/// One field of the connector's settings form.
#[derive(Debug, Clone)]
struct Field {
    key: String,
    secret: bool,
    form: Value,
}

/// The studio's state, shared by every request.
#[derive(Clone)]
pub(crate) struct Studio {
    inner: Arc<Inner>,
}

struct Inner {
    /// The host: its rate budgets are those of the session's PSA instance (one session).
    host: ConnectorHost,
    connector: LoadedConnector,
    info: Value,
    fields: Vec<Field>,
    settings: Mutex<Vec<(String, String)>>,
    /// Every secret value ever entered: replaced in every response.
    redactor: Mutex<Redactor>,
    /// The open session, or why there is none.
    session: tokio::sync::Mutex<Result<ConnectorSession, Option<String>>>,
    log: Mutex<Vec<Value>>,
    tenants: Value,
    mock: Option<(Psa, PsaMock)>,
}

/// Replaces secret values in JSON documents.
#[derive(Debug, Default)]
pub(crate) struct Redactor {
    secrets: BTreeSet<String>,
}

/// What a secret is replaced with.
pub(crate) const MASK: &str = "••••••";

impl Redactor {
    /// Remembers a secret value (values shorter than 4 characters are not searched for:
    /// they would mask ordinary text).
    pub(crate) fn add(&mut self, secret: &str) {
        if secret.chars().count() >= 4 {
            self.secrets.insert(secret.to_string());
        }
    }

    /// The text with every known secret replaced by [`MASK`].
    pub(crate) fn text(&self, text: &str) -> String {
        let mut out = text.to_string();
        for secret in &self.secrets {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), MASK);
            }
        }
        out
    }

    /// The document with every known secret replaced by [`MASK`], in keys and values.
    pub(crate) fn value(&self, value: Value) -> Value {
        match value {
            Value::String(s) => Value::String(self.text(&s)),
            Value::Array(items) => Value::Array(items.into_iter().map(|v| self.value(v)).collect()),
            Value::Object(map) => Value::Object(
                map.into_iter()
                    .map(|(k, v)| (self.text(&k), self.value(v)))
                    .collect::<Map<_, _>>(),
            ),
            other => other,
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Studio {
    /// Reads the connector's settings form and applies the initial settings.
    pub(crate) async fn new(
        host: ConnectorHost,
        connector: LoadedConnector,
        options: StudioOptions,
    ) -> Result<Studio, HostError> {
        let info = connector.info_json().await?;
        let fields = info
            .get("settings_form")
            .and_then(Value::as_array)
            .map(|form| {
                form.iter()
                    .filter_map(|f| {
                        Some(Field {
                            key: f.get("key")?.as_str()?.to_string(),
                            secret: f.get("kind").and_then(Value::as_str) == Some("secret"),
                            form: f.clone(),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        let studio = Studio {
            inner: Arc::new(Inner {
                host,
                connector,
                info,
                fields,
                settings: Mutex::new(Vec::new()),
                redactor: Mutex::new(Redactor::default()),
                session: tokio::sync::Mutex::new(Err(None)),
                log: Mutex::new(Vec::new()),
                tenants: options.tenants,
                mock: options.mock,
            }),
        };
        if !options.initial_settings.is_empty() {
            let values = options
                .initial_settings
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect::<Map<_, _>>();
            // A failure is shown on the page (the session's error); the server still starts.
            let _ = studio.save_settings(&Value::Object(values)).await;
        }
        Ok(studio)
    }

    /// The document with every secret entered so far masked.
    pub(crate) fn redact(&self, value: Value) -> Value {
        lock(&self.inner.redactor).value(value)
    }

    /// The page's starting point: the connector's info, the form with what is set (secret
    /// values never), the session, the tenants and the mock.
    pub(crate) async fn state(&self) -> Value {
        let settings = lock(&self.inner.settings).clone();
        let fields: Vec<Value> = self
            .inner
            .fields
            .iter()
            .map(|f| {
                let value = settings.iter().find(|(k, _)| *k == f.key).map(|(_, v)| v);
                let mut form = f.form.clone();
                if let Value::Object(map) = &mut form {
                    map.insert("set".into(), json!(value.is_some()));
                    // Secret values stay here; the page only learns that one is set.
                    let shown = if f.secret { None } else { value.cloned() };
                    map.insert("value".into(), json!(shown));
                }
                form
            })
            .collect();
        let session = match &*self.inner.session.lock().await {
            Ok(_) => json!({"open": true, "error": null}),
            Err(error) => json!({"open": false, "error": error}),
        };
        let mock = self.inner.mock.as_ref().map(|(psa, mock)| {
            json!({"psa": psa.name(), "title": psa.title(), "base_url": mock.server().base_url()})
        });
        json!({
            "info": self.inner.info,
            "fields": fields,
            "session": session,
            "tenants": self.inner.tenants,
            "mock": mock,
        })
    }

    /// Saves the form's values and opens a session with them. A secret field left empty keeps
    /// its stored value; any other field left empty is cleared.
    pub(crate) async fn save_settings(&self, values: &Value) -> Result<Value, ApiError> {
        let Value::Object(values) = values else {
            return Err(ApiError::BadRequest(
                "`values` must be an object of setting key → text".into(),
            ));
        };
        for key in values.keys() {
            if !self.inner.fields.iter().any(|f| f.key == *key) {
                return Err(ApiError::BadRequest(format!(
                    "unknown setting `{key}`: the connector's form has no such field"
                )));
            }
        }
        let settings = {
            let mut stored = lock(&self.inner.settings);
            let mut next = Vec::new();
            for field in &self.inner.fields {
                let given = match values.get(&field.key) {
                    None | Some(Value::Null) => None,
                    Some(Value::String(s)) => Some(s.trim().to_string()),
                    Some(_) => {
                        return Err(ApiError::BadRequest(format!(
                            "setting `{}` must be text",
                            field.key
                        )))
                    }
                };
                let old = stored.iter().find(|(k, _)| *k == field.key).map(|(_, v)| v);
                let value = match given {
                    Some(v) if !v.is_empty() => Some(v),
                    _ if field.secret => old.cloned(),
                    _ => None,
                };
                if let Some(value) = value {
                    if field.secret {
                        lock(&self.inner.redactor).add(&value);
                    }
                    next.push((field.key.clone(), value));
                }
            }
            *stored = next.clone();
            next
        };
        let mut session = self.inner.session.lock().await;
        *session = Err(None);
        let outcome = match self.inner.connector.open(settings).await {
            Ok(Ok(opened)) => {
                *session = Ok(opened);
                Ok(json!({"open": true}))
            }
            Ok(Err(error)) => {
                let error = connector_error_json(&error);
                *session = Err(Some(describe_error_json(&error)));
                Err(ApiError::Connector(error))
            }
            Err(error) => {
                *session = Err(Some(error.to_string()));
                Err(ApiError::from(error))
            }
        };
        drop(session);
        self.record("open", &outcome);
        outcome
    }

    /// Calls one operation on the open session.
    pub(crate) async fn call(&self, op: &str, args: Vec<Value>) -> Result<Value, ApiError> {
        let mut guard = self.inner.session.lock().await;
        let session = guard.as_mut().map_err(|_| ApiError::NoSession)?;
        let outcome = match session.call_json(op, args).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => Err(ApiError::Connector(error)),
            Err(error) => Err(ApiError::from(error)),
        };
        let requests = session.requests();
        drop(guard);
        let stats = self.session_stats(requests).await;
        self.record(op, &outcome);
        outcome.map(|result| json!({"op": op, "result": result, "stats": stats}))
    }

    /// The open session's request counts and rate budgets.
    pub(crate) async fn stats(&self) -> Result<Value, ApiError> {
        let requests = {
            let guard = self.inner.session.lock().await;
            guard.as_ref().map_err(|_| ApiError::NoSession)?.requests()
        };
        Ok(self.session_stats(requests).await)
    }

    /// The operations so far, newest last, with their audit records.
    pub(crate) fn log(&self) -> Value {
        Value::Array(lock(&self.inner.log).clone())
    }

    fn record(&self, op: &str, outcome: &Result<Value, ApiError>) {
        let mut log = lock(&self.inner.log);
        let seq = log.len() + 1;
        let entry = match outcome {
            Ok(value) => json!({
                "seq": seq, "op": op, "ok": true,
                "decision": value.get("decision"),
                "audit": value.get("audit"),
            }),
            Err(error) => json!({"seq": seq, "op": op, "ok": false, "error": error.message()}),
        };
        let entry = self.redact(entry);
        log.push(entry);
    }

    /// The mock's request counts, with `--mock`.
    pub(crate) fn mock_counts(&self) -> Result<Value, ApiError> {
        let (psa, mock) = self.mock()?;
        let server = mock.server();
        Ok(json!({
            "psa": psa.name(),
            "total_requests": server.total_requests(),
            "counts": server.counts(),
        }))
    }

    /// A ticket as the mock stores it, and its notes (HaloPSA actions, ConnectWise notes).
    pub(crate) fn mock_ticket(&self, id: &str) -> Result<Value, ApiError> {
        let (_, mock) = self.mock()?;
        let id: i64 = id
            .parse()
            .map_err(|_| ApiError::BadRequest(format!("ticket id `{id}` is not a number")))?;
        let (ticket, notes) = match mock {
            PsaMock::Halo(m) => (m.ticket(id), m.actions(id)),
            PsaMock::ConnectWise(m) => (m.ticket(id), m.notes(id)),
        };
        let ticket =
            ticket.ok_or_else(|| ApiError::NotFound(format!("the mock has no ticket {id}")))?;
        Ok(json!({"ticket": ticket, "notes": notes}))
    }

    fn mock(&self) -> Result<&(Psa, PsaMock), ApiError> {
        self.inner.mock.as_ref().ok_or_else(|| {
            ApiError::NotFound("no mock: the studio was started without --mock".into())
        })
    }
}

impl Studio {
    /// The session's request counts and the host's rate budgets (the `ConnectorSession` is
    /// not `Sync`, so its own `rate_budgets` cannot be awaited from a request handler).
    async fn session_stats(&self, r: RequestStats) -> Value {
        let budgets: Vec<Value> = self
            .inner
            .host
            .rate_budgets()
            .await
            .unwrap_or_default()
            .into_iter()
            .map(|(instance, b)| {
                json!({
                    "instance": instance, "used": b.used, "remaining": b.remaining,
                    "queued": b.queued, "max_requests": b.max_requests,
                    "window_secs": b.window.as_secs(),
                })
            })
            .collect();
        json!({
            "requests": {
                "total": r.total, "success": r.success, "redirection": r.redirection,
                "client_error": r.client_error, "server_error": r.server_error,
                "failed": r.failed, "denied": r.denied,
            },
            "budgets": budgets,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redactor_masks_secrets_in_keys_and_values_and_ignores_short_ones() {
        let mut r = Redactor::default();
        r.add("s3cr3t-value");
        r.add("abc");
        let out = r.value(json!({"a": ["x s3cr3t-value y", 3], "s3cr3t-value": "abc"}));
        let text = out.to_string();
        assert!(!text.contains("s3cr3t-value"), "{text}");
        assert!(text.contains(MASK) && text.contains("abc"), "{text}");
    }
}
