//! `POST /api/v1/events`: the desktop's onboarding events, judged by the model and stored once
//! per (user, event id), so a batch resent after a lost answer counts nothing twice.

use ava_model::{EventsReceipt, read_event_batch};
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{AuthUser, JsonBody};

/// One statement: the account check (a deleted or deactivated user stores nothing) and the
/// insert, whose conflicts are the duplicates.
const INSERT_EVENTS: &str = "WITH account AS (SELECT id FROM users WHERE id = $1 AND is_active),
  inserted AS (
    INSERT INTO onboarding_events (user_id, id, name, occurred_at, properties, context)
    SELECT account.id, e.id::uuid, e.name, e.occurred_at, e.properties, e.context
    FROM account, unnest($2::text[], $3::text[], $4::timestamptz[], $5::jsonb[], $6::jsonb[])
         AS e(id, name, occurred_at, properties, context)
    ON CONFLICT (user_id, id) DO NOTHING
    RETURNING 1)
  SELECT (SELECT count(*) FROM account), (SELECT count(*) FROM inserted)";

#[utoipa::path(post, path = "/api/v1/events", tag = "analytics", security(("bearer" = [])),
    request_body = crate::openapi::EventsBody,
    responses((status = 200, body = EventsReceipt), (status = 422, body = ava_model::ErrorEnvelope)))]
pub async fn record(
    State(state): State<AppState>,
    user: AuthUser,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<EventsReceipt>> {
    let events = read_event_batch(&body, Utc::now())?;
    let mut ids = Vec::with_capacity(events.len());
    let mut names = Vec::with_capacity(events.len());
    let mut times: Vec<DateTime<Utc>> = Vec::with_capacity(events.len());
    let mut properties: Vec<Value> = Vec::with_capacity(events.len());
    let mut contexts: Vec<Value> = Vec::with_capacity(events.len());
    for event in &events {
        ids.push(event.id.clone());
        names.push(event.event.name().as_str().to_owned());
        times.push(event.occurred_at);
        properties.push(event.event.properties());
        contexts.push(serde_json::to_value(&event.context).unwrap_or_default());
    }
    let (account, inserted): (i64, i64) = sqlx::query_as(INSERT_EVENTS)
        .bind(user.id)
        .bind(&ids)
        .bind(&names)
        .bind(&times)
        .bind(&properties)
        .bind(&contexts)
        .fetch_one(&state.db)
        .await?;
    if account == 0 {
        return Err(ApiError::account_gone());
    }
    let accepted = usize::try_from(inserted).unwrap_or_default();
    let receipt = EventsReceipt {
        accepted,
        duplicates: events.len().saturating_sub(accepted),
    };
    if receipt.accepted > 0 {
        state.forwarder_wake();
    }
    Ok(Json(receipt))
}
