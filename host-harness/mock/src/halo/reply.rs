//! The error bodies Halo uses, as constructors of the shared [`Reply`].

use http::StatusCode;
use serde_json::{json, Value};

pub(crate) use crate::reply::{HandlerResult, Reply, JSON};

impl Reply {
    /// 400 with a plain JSON string body, Halo's usual validation answer.
    pub fn bad_request(message: impl Into<String>) -> Reply {
        Reply::json(StatusCode::BAD_REQUEST, &Value::String(message.into()))
    }

    /// 400 with an ASP.NET model-state dictionary `{"<key>":["<message>"]}`.
    pub fn model_state(key: &str, message: impl Into<String>) -> Reply {
        let mut map = serde_json::Map::new();
        map.insert(key.to_string(), json!([message.into()]));
        Reply::json(StatusCode::BAD_REQUEST, &Value::Object(map))
    }

    /// 400 `{"Message": ...}` for malformed query strings, as ASP.NET words it.
    pub fn invalid_query(message: impl Into<String>) -> Reply {
        Reply::json(
            StatusCode::BAD_REQUEST,
            &json!({ "Message": "The request is invalid.", "MessageDetail": message.into() }),
        )
    }

    /// 404 `{"message": ...}`.
    pub fn not_found(message: impl Into<String>) -> Reply {
        Reply::json(StatusCode::NOT_FOUND, &json!({ "message": message.into() }))
    }

    /// 404 for a path no route matches.
    pub fn no_route(path: &str) -> Reply {
        Reply::json(
            StatusCode::NOT_FOUND,
            &json!({ "message": format!("No HTTP resource was found that matches the request URI '{path}'.") }),
        )
    }

    /// 405 for a known path used with the wrong method.
    pub fn method_not_allowed(method: &str) -> Reply {
        Reply::json(
            StatusCode::METHOD_NOT_ALLOWED,
            &json!({ "Message": format!("The requested resource does not support http method '{method}'.") }),
        )
    }

    /// 401 with a plain body, as the resource server answers a missing or bad token.
    pub fn unauthorized() -> Reply {
        Reply::text(StatusCode::UNAUTHORIZED, "Unauthorized").with_header(
            http::header::WWW_AUTHENTICATE,
            "Bearer error=\"invalid_token\"",
        )
    }

    /// 403 for a token whose scopes do not cover the endpoint.
    pub fn forbidden_scope(scope: &str) -> Reply {
        Reply::json(
            StatusCode::FORBIDDEN,
            &json!({ "message": format!("The API application does not have the '{scope}' permission") }),
        )
    }

    /// An OAuth error body `{"error", "error_description"?}`.
    pub fn oauth_error(status: StatusCode, error: &str, description: Option<&str>) -> Reply {
        let mut body = json!({ "error": error });
        if let Some(d) = description {
            body["error_description"] = Value::String(d.to_string());
        }
        Reply::json(status, &body)
    }
}
