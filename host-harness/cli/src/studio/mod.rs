//! `psa-harness studio`: one local web page and a small JSON API on [`psa_host`], walking the
//! admin's flow for any connector component.
//!
//! - [`state`]: what the server keeps (the loaded connector, the settings, the open session,
//!   the operations' log, the mock) and the one rule every response follows: no secret value
//!   entered in the form ever goes back to the browser ([`state::Redactor`]).
//! - [`api`]: the routes (`/api/...`) and their typed JSON errors.
//! - `assets/`: the page (HTML, CSS, vanilla JS), embedded with `include_str!`.

mod api;
mod state;

use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};

pub(crate) use state::{Studio, StudioOptions};

const INDEX_HTML: &str = include_str!("assets/index.html");
const STUDIO_JS: &str = include_str!("assets/studio.js");
const STUDIO_CSS: &str = include_str!("assets/studio.css");

/// The studio's routes.
pub(crate) fn router(studio: Studio) -> Router {
    Router::new()
        .route(
            "/",
            get(|| async { asset("text/html; charset=utf-8", INDEX_HTML) }),
        )
        .route(
            "/studio.js",
            get(|| async { asset("text/javascript; charset=utf-8", STUDIO_JS) }),
        )
        .route(
            "/studio.css",
            get(|| async { asset("text/css; charset=utf-8", STUDIO_CSS) }),
        )
        .route("/api/state", get(api::state))
        .route("/api/settings", post(api::save_settings))
        .route("/api/call/{op}", post(api::call))
        .route("/api/log", get(api::log))
        .route("/api/stats", get(api::stats))
        .route("/api/mock", get(api::mock_counts))
        .route("/api/mock/tickets/{id}", get(api::mock_ticket))
        .fallback(api::not_found)
        .layer(axum::middleware::from_fn_with_state(
            studio.clone(),
            api::guard,
        ))
        .with_state(studio)
}

fn asset(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
}

/// Serves the studio on `listener` until Ctrl-C.
pub(crate) async fn serve(
    listener: tokio::net::TcpListener,
    studio: Studio,
) -> std::io::Result<()> {
    axum::serve(listener, router(studio))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}

/// Checks the `--tenants` file: a JSON array of host-tenant objects (`id`, `name`, optional
/// `external_ids` and `domains`).
pub(crate) fn check_tenants(value: &Value) -> Result<(), String> {
    let Value::Array(items) = value else {
        return Err("the tenants must be a JSON array of host-tenant objects".into());
    };
    for (i, item) in items.iter().enumerate() {
        for field in ["id", "name"] {
            if !item.get(field).is_some_and(Value::is_string) {
                return Err(format!("tenant {i}: `{field}` must be a string"));
            }
        }
    }
    Ok(())
}

/// The sample host tenants: those of `psa-harness demo` (one per matching rule, one
/// ambiguous, one unmatched) and a few more that match the mocks' organizations exactly,
/// after normalisation, or not at all.
pub(crate) fn sample_tenants() -> Value {
    let mut tenants: Vec<Value> = crate::demo::sample_tenants()
        .into_iter()
        .map(|t| {
            json!({
                "id": t.id, "name": t.name, "external_ids": t.external_ids, "domains": t.domains,
            })
        })
        .collect();
    tenants.push(json!({
        "id": "t-obrien", "name": "O'Brien Plumbing", "external_ids": [], "domains": [],
    }));
    tenants.push(json!({
        "id": "t-tailspin", "name": "Tailspin Toys", "external_ids": [], "domains": [],
    }));
    Value::Array(tenants)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenants_file_shape_is_checked() {
        assert!(check_tenants(&sample_tenants()).is_ok());
        assert!(check_tenants(&json!({"id": "t"})).is_err());
        assert!(check_tenants(&json!([{"id": 1, "name": "x"}])).is_err());
    }
}
