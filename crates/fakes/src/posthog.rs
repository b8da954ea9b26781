//! A fake of PostHog's batch capture endpoint, faithful to `shared/notes/analytics.md`:
//! `POST /batch/` with the project key in the body, 200 `{"status": 1}` for an accepted batch,
//! 400 for a malformed body or a missing `api_key`, 401 for an unknown project key. It keeps
//! every accepted batch for tests, and can fail or hang on demand like the other fakes. Beside
//! it, the one private route the server uses: deleting persons by distinct id
//! (`POST /api/projects/{id}/persons/bulk_delete/`, PostHog's `PersonBulkDeleteRequest`; its
//! docs' "How to delete data from PostHog").

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};

use crate::faults::{Calls, Faults, Instrumentation, instrument, lock};

#[derive(Clone, Default)]
pub struct FakePostHog {
    project_keys: Arc<Mutex<Vec<String>>>,
    /// Event `uuid`s whose batch is refused with 400, as PostHog refuses a batch holding an
    /// event it cannot ingest.
    poisoned: Arc<Mutex<Vec<String>>>,
    batches: Arc<Mutex<Vec<Value>>>,
    /// Personal API keys and the project each may write to.
    personal_keys: Arc<Mutex<Vec<(String, String)>>>,
    /// The distinct ids whose persons (and events) were deleted.
    deleted: Arc<Mutex<Vec<String>>>,
    pub calls: Calls,
    pub faults: Faults,
}

impl FakePostHog {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add_project_key(&self, key: &str) {
        lock(&self.project_keys).push(key.to_owned());
    }

    /// A personal API key allowed to delete persons of `project`.
    pub fn add_personal_key(&self, key: &str, project: &str) {
        lock(&self.personal_keys).push((key.to_owned(), project.to_owned()));
    }

    /// The distinct ids whose persons were deleted, in order.
    pub fn deleted_persons(&self) -> Vec<String> {
        lock(&self.deleted).clone()
    }

    /// Any batch holding the event with this `uuid` is refused with 400.
    pub fn refuse_event(&self, uuid: &str) {
        lock(&self.poisoned).push(uuid.to_owned());
    }

    /// Every event of every accepted batch, in the order they arrived.
    pub fn events(&self) -> Vec<Value> {
        lock(&self.batches)
            .iter()
            .flat_map(|b| b["batch"].as_array().cloned().unwrap_or_default())
            .collect()
    }

    pub fn batches(&self) -> Vec<Value> {
        lock(&self.batches).clone()
    }

    pub fn router(&self) -> Router {
        let instrumentation = Instrumentation {
            calls: self.calls.clone(),
            faults: self.faults.clone(),
            error_body: posthog_error_body,
        };
        Router::new()
            .route("/batch/", post(batch))
            .route(
                "/api/projects/{project}/persons/bulk_delete/",
                post(bulk_delete),
            )
            .route_layer(from_fn_with_state(instrumentation, instrument))
            .with_state(self.clone())
    }
}

fn posthog_error_body(status: u16) -> Value {
    json!({"type": "server_error", "code": "server_error", "detail": format!("status {status}")})
}

fn refuse(status: StatusCode, code: &str, detail: &str) -> Response {
    let kind = if status == StatusCode::UNAUTHORIZED {
        "authentication_error"
    } else {
        "validation_error"
    };
    (
        status,
        axum::Json(json!({"type": kind, "code": code, "detail": detail})),
    )
        .into_response()
}

/// PostHog's private API: `Authorization: Bearer <personal key>`, a body of
/// `PersonBulkDeleteRequest` (`distinct_ids` up to 1,000, `delete_events`); 401 for an unknown
/// key, 403 for a key of another project, 400 for a malformed body.
async fn bulk_delete(
    State(fake): State<FakePostHog>,
    axum::extract::Path(project): axum::extract::Path<String>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let key = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    let projects: Vec<String> = lock(&fake.personal_keys)
        .iter()
        .filter(|(k, _)| k == key)
        .map(|(_, p)| p.clone())
        .collect();
    if projects.is_empty() {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "authentication_failed",
            "Personal API key invalid.",
        );
    }
    if !projects.contains(&project) {
        return refuse(
            StatusCode::FORBIDDEN,
            "permission_denied",
            "You don't have access to the project.",
        );
    }
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let Some(ids) = body["distinct_ids"]
        .as_array()
        .filter(|ids| !ids.is_empty() && ids.len() <= 1000 && ids.iter().all(Value::is_string))
    else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "invalid_input",
            "distinct_ids must be a list of 1 to 1000 strings",
        );
    };
    lock(&fake.deleted).extend(ids.iter().filter_map(|i| i.as_str().map(str::to_owned)));
    (StatusCode::ACCEPTED, axum::Json(json!({}))).into_response()
}

async fn batch(State(fake): State<FakePostHog>, body: axum::body::Bytes) -> Response {
    let invalid = |message| refuse(StatusCode::BAD_REQUEST, "invalid_payload", message);
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return invalid("Malformed request data");
    };
    let Some(key) = body["api_key"].as_str() else {
        return invalid(
            "API key not provided. You can find your project API key in PostHog project settings.",
        );
    };
    if !lock(&fake.project_keys).iter().any(|k| k == key) {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "invalid_api_key",
            "Project API key invalid. You can find your project API key in PostHog project settings.",
        );
    }
    let Some(events) = body["batch"].as_array() else {
        return invalid("batch must be a list");
    };
    let well_formed = events.iter().all(|e| {
        e["event"].as_str().is_some_and(|s| !s.is_empty())
            && (e["distinct_id"].as_str().is_some()
                || e["properties"]["distinct_id"].as_str().is_some())
    });
    if !well_formed {
        return invalid("Every event needs an event name and a distinct_id");
    }
    let poisoned = lock(&fake.poisoned).clone();
    if events.iter().any(|e| {
        e["uuid"]
            .as_str()
            .is_some_and(|u| poisoned.iter().any(|p| p == u))
    }) {
        return invalid("Invalid event payload");
    }
    lock(&fake.batches).push(body);
    (StatusCode::OK, axum::Json(json!({"status": 1}))).into_response()
}
