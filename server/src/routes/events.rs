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

/// The account, locked for this batch (two batches of one account are counted one after the
/// other, so together they cannot pass the daily ceiling), with its creation time.
const LOCK_ACCOUNT: &str = "SELECT created_at FROM users WHERE id = $1 AND is_active FOR UPDATE";

/// The events the account accepted in the last 24 hours, with how long until the oldest of them
/// leaves that window. A statement of its own, run once the lock is held: a count inside the
/// locking statement is read before the lock is granted, so batches queued behind one another
/// would all see the count from before the first.
const COUNT_TODAY: &str = "SELECT count(*),
       ceil(extract(epoch FROM min(received_at) + interval '1 day' - now()))::bigint
  FROM onboarding_events WHERE user_id = $1 AND received_at > now() - interval '1 day'";

/// The insert, whose conflicts are the duplicates (a batch resent after a lost answer).
const INSERT_EVENTS: &str =
    "INSERT INTO onboarding_events (user_id, id, name, occurred_at, properties, context)
  SELECT $1, e.id::uuid, e.name, e.occurred_at, e.properties, e.context
  FROM unnest($2::text[], $3::text[], $4::timestamptz[], $5::jsonb[], $6::jsonb[])
       AS e(id, name, occurred_at, properties, context)
  ON CONFLICT (user_id, id) DO NOTHING";

#[utoipa::path(post, path = "/api/v1/events", tag = "analytics", security(("bearer" = [])),
    request_body = crate::openapi::placeholders::EventsBody,
    responses((status = 200, body = EventsReceipt), (status = 422, body = ava_model::ErrorEnvelope),
              (status = 429, body = ava_model::ErrorEnvelope, description = "`too_many_events`: the account's events of the last 24 hours reached `MAX_EVENTS_PER_DAY`; nothing of this batch was stored")))]
pub async fn record(
    State(state): State<AppState>,
    user: AuthUser,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<EventsReceipt>> {
    let mut tx = state.db.begin().await?;
    let created_at: DateTime<Utc> = sqlx::query_scalar(LOCK_ACCOUNT)
        .bind(user.id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(ApiError::account_gone)?;
    let (accepted_today, oldest_leaves_in): (i64, Option<i64>) = sqlx::query_as(COUNT_TODAY)
        .bind(user.id)
        .fetch_one(&mut *tx)
        .await?;
    let events = match read_event_batch(&body, created_at, Utc::now()) {
        Ok(events) => events,
        Err(refused) => {
            // At once: a dropped transaction would hold the account's lock until its pooled
            // connection happens to be used again.
            tx.rollback().await?;
            return Err(refused.into());
        }
    };
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
    let inserted = sqlx::query(INSERT_EVENTS)
        .bind(user.id)
        .bind(&ids)
        .bind(&names)
        .bind(&times)
        .bind(&properties)
        .bind(&contexts)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    // Duplicates are not counted: a batch resent after a lost answer costs nothing.
    if accepted_today.saturating_add_unsigned(inserted) > i64::from(state.limits.events_per_day) {
        tx.rollback().await?;
        return Err(ApiError::TooManyEvents {
            retry_after_secs: oldest_leaves_in.map_or(1, |s| u64::try_from(s).unwrap_or(1).max(1)),
        });
    }
    tx.commit().await?;
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
