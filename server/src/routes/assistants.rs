//! `POST /assistants`: create in Vapi with the user's stored key, then record; or record one a
//! client already created. `Idempotency-Key` makes retries safe, which Vapi itself is not.

use ava_model::{AssistantRecord, AssistantRequest, FieldErrors, Violation};
use ava_vapi::CreateAssistant;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::credentials::stored_vapi_key;
use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{AuthUser, JsonBody};

const IDEMPOTENCY_HEADER: &str = "idempotency-key";
/// A key whose first request never finished (the server died mid-call) may be reused after
/// this long; until then a retry is told the first one is still running.
const ABANDONED_AFTER: &str = "5 minutes";

#[derive(sqlx::FromRow)]
struct Row {
    id: i32,
    vapi_assistant_id: String,
    name: String,
    created_at: DateTime<Utc>,
}

impl From<Row> for AssistantRecord {
    fn from(row: Row) -> Self {
        AssistantRecord {
            id: i64::from(row.id),
            vapi_assistant_id: row.vapi_assistant_id,
            name: row.name,
            created_at: row.created_at,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/assistants", tag = "assistants", security(("bearer" = [])),
    responses((status = 200, body = Vec<AssistantRecord>)))]
pub async fn list(
    State(state): State<AppState>,
    user: AuthUser,
) -> ApiResult<Json<Vec<AssistantRecord>>> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, vapi_assistant_id, name, created_at FROM assistants WHERE user_id = $1 ORDER BY id",
    )
    .bind(user.id)
    .fetch_all(&state.db)
    .await?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

fn idempotency_key(headers: &HeaderMap) -> ApiResult<Option<String>> {
    let Some(value) = headers.get(IDEMPOTENCY_HEADER) else {
        return Ok(None);
    };
    let bad = || FieldErrors::single("Idempotency-Key", Violation::TooLong { max: 255 });
    let key = value.to_str().map_err(|_| bad())?.trim();
    if key.is_empty() || key.len() > 255 {
        return Err(bad().into());
    }
    Ok(Some(key.to_owned()))
}

enum Claim {
    Fresh,
    Replay(StatusCode, Value),
    InProgress,
    Mismatch,
}

async fn claim(state: &AppState, user_id: i32, key: &str, hash: &[u8]) -> ApiResult<Claim> {
    let fresh: Option<bool> = sqlx::query_scalar(&format!(
        "INSERT INTO idempotency_keys AS k (user_id, key, request_hash) VALUES ($1, $2, $3)
         ON CONFLICT (user_id, key) DO UPDATE SET request_hash = EXCLUDED.request_hash, created_at = now()
           WHERE k.response_status IS NULL AND k.created_at < now() - interval '{ABANDONED_AFTER}'
         RETURNING true"
    ))
    .bind(user_id)
    .bind(key)
    .bind(hash)
    .fetch_optional(&state.db)
    .await?;
    if fresh.is_some() {
        return Ok(Claim::Fresh);
    }
    let (stored_hash, status, body): (Vec<u8>, Option<i16>, Option<Value>) = sqlx::query_as(
        "SELECT request_hash, response_status, response_body FROM idempotency_keys
         WHERE user_id = $1 AND key = $2",
    )
    .bind(user_id)
    .bind(key)
    .fetch_one(&state.db)
    .await?;
    if stored_hash != hash {
        return Ok(Claim::Mismatch);
    }
    Ok(match (status, body) {
        (Some(status), Some(body)) => Claim::Replay(
            StatusCode::from_u16(status as u16).unwrap_or(StatusCode::CREATED),
            body,
        ),
        _ => Claim::InProgress,
    })
}

#[utoipa::path(post, path = "/api/v1/assistants", tag = "assistants", security(("bearer" = [])),
    request_body(content = ava_model::AssistantSpec, description = "The seed's payload. With `vapi_assistant_id` (and `name`) it only records an assistant the client already created."),
    params(("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key return the first result")),
    responses((status = 201, body = AssistantRecord), (status = 409, body = ava_model::ErrorEnvelope),
              (status = 422, body = ava_model::ErrorEnvelope), (status = 502, body = ava_model::ErrorEnvelope)))]
pub async fn create(
    State(state): State<AppState>,
    user: AuthUser,
    headers: HeaderMap,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let request = AssistantRequest::from_json(&body)?;
    let Some(key) = idempotency_key(&headers)? else {
        let (status, record) = execute(&state, user.id, &request).await?;
        return Ok((status, Json(record)).into_response());
    };
    let hash = Sha256::digest(serde_json::to_vec(&body).unwrap_or_default()).to_vec();
    match claim(&state, user.id, &key, &hash).await? {
        Claim::Fresh => {}
        Claim::Replay(status, body) => return Ok((status, Json(body)).into_response()),
        Claim::InProgress => {
            return Err(ApiError::conflict(
                "idempotency_in_progress",
                "A request with this Idempotency-Key is still being processed; retry shortly",
            ));
        }
        Claim::Mismatch => {
            return Err(ApiError::Unprocessable {
                code: "idempotency_key_reused",
                message: "This Idempotency-Key was used for a different request body".to_owned(),
                fields: None,
            });
        }
    }
    match execute(&state, user.id, &request).await {
        Ok((status, record)) => {
            let body = serde_json::to_value(&record).unwrap_or(Value::Null);
            sqlx::query(
                "UPDATE idempotency_keys SET response_status = $3, response_body = $4
                 WHERE user_id = $1 AND key = $2",
            )
            .bind(user.id)
            .bind(&key)
            .bind(status.as_u16() as i16)
            .bind(&body)
            .execute(&state.db)
            .await?;
            Ok((status, Json(record)).into_response())
        }
        Err(error) => {
            // A failed attempt created nothing, so the key is freed for an honest retry.
            sqlx::query("DELETE FROM idempotency_keys WHERE user_id = $1 AND key = $2")
                .bind(user.id)
                .bind(&key)
                .execute(&state.db)
                .await?;
            Err(error)
        }
    }
}

async fn execute(
    state: &AppState,
    user_id: i32,
    request: &AssistantRequest,
) -> ApiResult<(StatusCode, AssistantRecord)> {
    match request {
        AssistantRequest::Create(spec) => {
            let key = stored_vapi_key(state, user_id).await?.ok_or_else(|| {
                ApiError::conflict(
                    "vapi_key_missing",
                    "Save your Vapi API key (POST /api/v1/vapi-settings) before creating an assistant",
                )
            })?;
            let created = state
                .vapi
                .create_assistant(&key, &CreateAssistant::from_spec(spec))
                .await
                .map_err(ApiError::Upstream)?;
            let payload = serde_json::to_value(spec).unwrap_or(Value::Null);
            let row: Row = sqlx::query_as(
                "INSERT INTO assistants (user_id, vapi_assistant_id, name, payload) VALUES ($1, $2, $3, $4)
                 RETURNING id, vapi_assistant_id, name, created_at",
            )
            .bind(user_id)
            .bind(&created.id)
            .bind(spec.name.as_str())
            .bind(payload)
            .fetch_one(&state.db)
            .await
            .inspect_err(|error| {
                tracing::error!(user_id, vapi_assistant_id = %created.id, %error,
                    "assistant created in Vapi but not recorded");
            })?;
            Ok((StatusCode::CREATED, row.into()))
        }
        AssistantRequest::Record {
            vapi_assistant_id,
            name,
            payload,
        } => {
            let inserted: Option<Row> = sqlx::query_as(
                "INSERT INTO assistants (user_id, vapi_assistant_id, name, payload) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (vapi_assistant_id) DO NOTHING
                 RETURNING id, vapi_assistant_id, name, created_at",
            )
            .bind(user_id)
            .bind(vapi_assistant_id)
            .bind(name.as_str())
            .bind(payload)
            .fetch_optional(&state.db)
            .await?;
            if let Some(row) = inserted {
                return Ok((StatusCode::CREATED, row.into()));
            }
            // Recording the same assistant again is a harmless retry; someone else's is not.
            let mine: Option<Row> = sqlx::query_as(
                "SELECT id, vapi_assistant_id, name, created_at FROM assistants
                 WHERE vapi_assistant_id = $1 AND user_id = $2",
            )
            .bind(vapi_assistant_id)
            .bind(user_id)
            .fetch_optional(&state.db)
            .await?;
            mine.map(|row| (StatusCode::OK, row.into())).ok_or_else(|| {
                ApiError::conflict(
                    "assistant_already_recorded",
                    "This Vapi assistant is already recorded for another account",
                )
            })
        }
    }
}
