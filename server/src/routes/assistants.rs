//! `POST /assistants`: create in Vapi with the user's stored key, then record; or record one a
//! client already created. `Idempotency-Key` makes retries safe, which Vapi itself is not: the
//! key is kept in PostgreSQL (so a retry may reach any replica) and travels in the assistant's
//! metadata, so a retry after an unknown outcome adopts the assistant instead of making another.

use ava_model::{AssistantRecord, AssistantRequest, FieldErrors, Violation};
use ava_vapi::{CreateAssistant, ProviderError};
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

#[derive(sqlx::FromRow)]
struct Row {
    id: i32,
    vapi_assistant_id: String,
    name: String,
    created_at: DateTime<Utc>,
}

/// An assistant row through a LEFT JOIN from `users`: all empty when there is none.
#[derive(sqlx::FromRow)]
struct MaybeRow {
    id: Option<i32>,
    vapi_assistant_id: Option<String>,
    name: Option<String>,
    created_at: Option<DateTime<Utc>>,
}

impl MaybeRow {
    fn into_record(self) -> Option<AssistantRecord> {
        Some(
            Row {
                id: self.id?,
                vapi_assistant_id: self.vapi_assistant_id?,
                name: self.name?,
                created_at: self.created_at?,
            }
            .into(),
        )
    }
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
    // One row per assistant, or one empty row for an active user with none; no row at all when
    // the account is gone.
    let rows: Vec<MaybeRow> = sqlx::query_as(
        "SELECT a.id, a.vapi_assistant_id, a.name, a.created_at
         FROM users u LEFT JOIN assistants a ON a.user_id = u.id
         WHERE u.id = $1 AND u.is_active ORDER BY a.id",
    )
    .bind(user.id)
    .fetch_all(&state.db)
    .await?;
    if rows.is_empty() {
        return Err(ApiError::account_gone());
    }
    Ok(Json(
        rows.into_iter().filter_map(MaybeRow::into_record).collect(),
    ))
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

/// Where in the assistant's metadata the idempotency key travels (as a digest of the user and
/// the key), so that a retry can find an assistant whose creation it never heard back about.
const MARKER: &str = "ava_idempotency";

fn marker(user_id: i32, key: &str) -> String {
    let digest = Sha256::digest(format!("{user_id}\n{key}"));
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

enum Claim {
    /// The key is new: create.
    Fresh,
    /// An earlier attempt with this key ended without knowing whether Vapi made the assistant
    /// (a timeout, a dropped connection, a 5xx, a crash): look for it in Vapi before creating.
    Reconcile {
        first_attempt: DateTime<Utc>,
    },
    Replay(StatusCode, Value),
    InProgress,
    Mismatch,
}

async fn claim(state: &AppState, user_id: i32, key: &str, hash: &[u8]) -> ApiResult<Claim> {
    // An attempt older than the request timeout has certainly ended (it was cut off, or its
    // replica died), so its key may be taken over.
    let stale_secs = state.request_timeout.as_secs_f64();
    // A new key only while the account holds fewer than its ceiling: re-recording an assistant
    // under fresh keys cannot grow the table without end (settled keys leave after a day).
    let taken: Option<(bool, DateTime<Utc>)> = sqlx::query_as(
        "INSERT INTO idempotency_keys AS k (user_id, key, request_hash)
         SELECT id, $2, $3 FROM users WHERE id = $1 AND is_active
           AND (SELECT count(*) FROM idempotency_keys WHERE user_id = $1) < $5
         ON CONFLICT (user_id, key) DO UPDATE SET attempt_started_at = now(), outcome_unknown = false
           WHERE k.response_status IS NULL AND k.request_hash = EXCLUDED.request_hash
             AND (k.outcome_unknown OR k.attempt_started_at < now() - make_interval(secs => $4))
         RETURNING (xmax = 0), created_at",
    )
    .bind(user_id)
    .bind(key)
    .bind(hash)
    .bind(stale_secs)
    .bind(i64::from(state.limits.idempotency_keys))
    .fetch_optional(&state.db)
    .await?;
    match taken {
        Some((true, _)) => return Ok(Claim::Fresh),
        Some((false, first_attempt)) => return Ok(Claim::Reconcile { first_attempt }),
        None => {}
    }
    let stored: Option<(Vec<u8>, Option<i16>, Option<Value>)> = sqlx::query_as(
        "SELECT k.request_hash, k.response_status, k.response_body
         FROM idempotency_keys k JOIN users u ON u.id = k.user_id
         WHERE k.user_id = $1 AND k.key = $2 AND u.is_active",
    )
    .bind(user_id)
    .bind(key)
    .fetch_optional(&state.db)
    .await?;
    let Some((stored_hash, status, body)) = stored else {
        // Neither taken nor found: the account is gone, or holds as many keys as it may.
        let active: bool = sqlx::query_scalar(
            "SELECT coalesce((SELECT is_active FROM users WHERE id = $1), false)",
        )
        .bind(user_id)
        .fetch_one(&state.db)
        .await?;
        return Err(if active {
            ApiError::TooManyRequests {
                retry_after_secs: 3600,
            }
        } else {
            ApiError::account_gone()
        });
    };
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

/// Whether a failed attempt certainly made nothing in Vapi, so its key can be freed. Anything
/// else (no answer, a 5xx, an unreadable 2xx, a database failure after the call) may hide an
/// assistant that exists.
fn made_nothing(error: &ApiError) -> bool {
    match error {
        ApiError::Upstream(ProviderError::Rejected { status, .. }) => *status < 500,
        ApiError::Upstream(_) | ApiError::Internal(_) | ApiError::DatabaseUnavailable => false,
        _ => true,
    }
}

/// Settled keys (their answer stored) older than a day. A key whose outcome is still unknown is
/// kept, however old: purging it would let the next retry create a second assistant.
pub(crate) async fn purge_idempotency_keys(db: &sqlx::PgPool) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "DELETE FROM idempotency_keys
         WHERE created_at < now() - interval '24 hours' AND response_status IS NOT NULL",
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

#[utoipa::path(post, path = "/api/v1/assistants", tag = "assistants", security(("bearer" = [])),
    request_body(content = ava_model::AssistantSpec, description = "The seed's payload. With `vapi_assistant_id` (and `name`) it only records an assistant the client already created."),
    params(("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key return the first result, also when the first attempt's outcome was lost")),
    responses((status = 201, body = AssistantRecord, description = "Created (or recorded)"),
              (status = 200, body = AssistantRecord, description = "This assistant was already recorded for this account"),
              (status = 409, body = ava_model::ErrorEnvelope),
              (status = 422, body = ava_model::ErrorEnvelope), (status = 502, body = ava_model::ErrorEnvelope)))]
pub async fn create(
    State(state): State<AppState>,
    user: AuthUser,
    headers: HeaderMap,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let request = AssistantRequest::from_json(&body)?;
    let Some(key) = idempotency_key(&headers)? else {
        let (status, record) = execute(&state, user.id, &request, None).await?;
        return Ok((status, Json(record)).into_response());
    };
    let hash = Sha256::digest(serde_json::to_vec(&body).unwrap_or_default()).to_vec();
    let reconcile_since = match claim(&state, user.id, &key, &hash).await? {
        Claim::Fresh => None,
        Claim::Reconcile { first_attempt } => Some(first_attempt),
        Claim::Replay(status, body) => return Ok((status, Json(body)).into_response()),
        Claim::InProgress => {
            return Err(ApiError::conflict(
                ava_model::ErrorCode::IdempotencyInProgress,
                "A request with this Idempotency-Key is still being processed; retry shortly",
            ));
        }
        Claim::Mismatch => {
            return Err(ApiError::Unprocessable {
                code: ava_model::ErrorCode::IdempotencyKeyReused,
                message: "This Idempotency-Key was used for a different request body".to_owned(),
                fields: None,
            });
        }
    };
    let idempotency = Idempotency {
        marker: marker(user.id, &key),
        reconcile_since,
    };
    match execute(&state, user.id, &request, Some(&idempotency)).await {
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
            // Once an attempt's outcome is unknown, only finding its assistant settles it: a
            // failed look-up (Vapi's 429 or 401 included) proves nothing was made.
            let statement = if reconcile_since.is_none() && made_nothing(&error) {
                "DELETE FROM idempotency_keys WHERE user_id = $1 AND key = $2"
            } else {
                "UPDATE idempotency_keys SET outcome_unknown = true WHERE user_id = $1 AND key = $2"
            };
            sqlx::query(statement)
                .bind(user.id)
                .bind(&key)
                .execute(&state.db)
                .await?;
            Err(error)
        }
    }
}

/// What an idempotent creation carries: the marker put in the assistant's metadata and, when
/// an earlier attempt's outcome is unknown, since when to look for its assistant in Vapi.
struct Idempotency {
    marker: String,
    reconcile_since: Option<DateTime<Utc>>,
}

async fn find_marked(
    state: &AppState,
    key: &secrecy::SecretString,
    idempotency: &Idempotency,
) -> ApiResult<Option<String>> {
    let Some(since) = idempotency.reconcile_since else {
        return Ok(None);
    };
    state
        .vapi
        .find_marked_assistant(key, MARKER, &idempotency.marker, since)
        .await
        .map_err(ApiError::Upstream)
}

async fn execute(
    state: &AppState,
    user_id: i32,
    request: &AssistantRequest,
    idempotency: Option<&Idempotency>,
) -> ApiResult<(StatusCode, AssistantRecord)> {
    match request {
        AssistantRequest::Create(spec) => {
            let key = stored_vapi_key(state, user_id).await?.ok_or_else(|| {
                ApiError::conflict(
                    ava_model::ErrorCode::VapiKeyMissing,
                    "Save your Vapi API key (POST /api/v1/vapi-settings) before creating an assistant",
                )
            })?;
            let place = reserve_place(state, user_id).await?;
            let made = async {
                let found = match idempotency {
                    Some(idempotency) => find_marked(state, &key, idempotency).await?,
                    None => None,
                };
                match found {
                    Some(id) => Ok(id),
                    None => {
                        let mut body = CreateAssistant::from_spec(spec);
                        // The seed's payload names a voice, not a language: the voice's locale
                        // says what callers will speak (a French voice hears French).
                        if let Some(hearing) = ava_model::hearing_for_voice(&spec.voice.voice_id) {
                            body = body.hearing(&hearing);
                        }
                        if let Some(idempotency) = idempotency {
                            body.metadata
                                .get_or_insert_with(Default::default)
                                .insert(MARKER.to_owned(), Value::from(idempotency.marker.clone()));
                        }
                        Ok(state
                            .vapi
                            .create_assistant(&key, &body)
                            .await
                            .map_err(ApiError::Upstream)?
                            .id)
                    }
                }
            }
            .await;
            let vapi_assistant_id = match made {
                Ok(id) => id,
                Err(error) => {
                    release_place(state, place).await?;
                    return Err(error);
                }
            };
            let payload = serde_json::to_value(spec).unwrap_or(Value::Null);
            let (_, record) = record(
                state,
                user_id,
                &vapi_assistant_id,
                spec.name.as_str(),
                &payload,
                Some(place),
            )
            .await
            .inspect_err(|error| {
                tracing::error!(user_id, %vapi_assistant_id, %error,
                        "assistant created in Vapi but not recorded");
            })?;
            Ok((StatusCode::CREATED, record))
        }
        AssistantRequest::Record {
            vapi_assistant_id,
            name,
            payload,
        } => {
            check_in_own_vapi(state, user_id, vapi_assistant_id).await?;
            record(
                state,
                user_id,
                vapi_assistant_id,
                name.as_str(),
                payload,
                None,
            )
            .await
        }
    }
}

/// When the server holds the account's Vapi key, an assistant is recorded only if that key sees
/// it: an id from another Vapi organisation (somebody else's assistant) is refused before it can
/// take the id. Only Vapi's definite "no such assistant" refuses; Vapi being away does not hold
/// the owner back (the check is a guard, the record itself calls no one). Without a key on the
/// server (keys kept on the computer) there is nothing to ask with: ids are UUIDs only the
/// owner's Vapi dashboard and this account show.
async fn check_in_own_vapi(
    state: &AppState,
    user_id: i32,
    vapi_assistant_id: &str,
) -> ApiResult<()> {
    let Some(key) = stored_vapi_key(state, user_id).await? else {
        return Ok(());
    };
    let (held, recorded): (i64, bool) = sqlx::query_as(
        "SELECT count(*), coalesce(bool_or(vapi_assistant_id = $2), false)
         FROM assistants WHERE user_id = $1",
    )
    .bind(user_id)
    .bind(vapi_assistant_id)
    .fetch_one(&state.db)
    .await?;
    // A retry of this account's own record, or one past the ceiling (refused under the lock
    // anyway), asks Vapi nothing.
    if recorded || held >= i64::from(state.limits.assistants) {
        return Ok(());
    }
    match state.vapi.get_assistant(&key, vapi_assistant_id).await {
        // 400: not even an id Vapi could hold (its ids are UUIDs); 404: not in this org.
        Err(error) if matches!(error.status(), Some(400 | 404)) => Err(ApiError::Unprocessable {
            code: ava_model::ErrorCode::UnknownAssistant,
            message: "No assistant with this id in the Vapi account whose key is saved here"
                .to_owned(),
            fields: None,
        }),
        Err(error) => {
            tracing::info!(user_id, %error, "recording an assistant without Vapi's word on it");
            Ok(())
        }
        Ok(_) => Ok(()),
    }
}

/// How long a place taken for a Vapi call is held if nothing settles it (the replica died
/// mid-call): longer than any call with its retries.
const PLACE_HELD_SECS: f64 = 300.0;

/// Locks the account's row and counts what it holds under that lock, in a statement of its own:
/// a count in the locking statement would be read before the lock is granted, so requests
/// queued behind one another would all see the count from before the first.
async fn lock_and_count(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    user_id: i32,
    except_place: Option<i64>,
) -> ApiResult<i64> {
    let active: Option<i32> =
        sqlx::query_scalar("SELECT id FROM users WHERE id = $1 AND is_active FOR UPDATE")
            .bind(user_id)
            .fetch_optional(&mut **tx)
            .await?;
    if active.is_none() {
        return Err(ApiError::account_gone());
    }
    let held: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM assistants WHERE user_id = $1)
              + (SELECT count(*) FROM assistant_reservations
                 WHERE user_id = $1 AND expires_at > now() AND id IS DISTINCT FROM $2)",
    )
    .bind(user_id)
    .bind(except_place)
    .fetch_one(&mut **tx)
    .await?;
    Ok(held)
}

/// 409 `assistant_limit` when the account already holds as many assistants as it may, counting
/// the places other requests took for their Vapi calls; otherwise a place is taken for this
/// one, before any Vapi call.
async fn reserve_place(state: &AppState, user_id: i32) -> ApiResult<i64> {
    let mut tx = state.db.begin().await?;
    let held = lock_and_count(&mut tx, user_id, None).await?;
    if held >= i64::from(state.limits.assistants) {
        tx.rollback().await?;
        return Err(limit_reached(state));
    }
    let place: i64 = sqlx::query_scalar(
        "INSERT INTO assistant_reservations (user_id, expires_at)
         VALUES ($1, now() + make_interval(secs => $2)) RETURNING id",
    )
    .bind(user_id)
    .bind(PLACE_HELD_SECS)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(place)
}

async fn release_place(state: &AppState, place: i64) -> ApiResult<()> {
    sqlx::query("DELETE FROM assistant_reservations WHERE id = $1")
        .bind(place)
        .execute(&state.db)
        .await?;
    Ok(())
}

fn limit_reached(state: &AppState) -> ApiError {
    ApiError::Conflict {
        code: ava_model::ErrorCode::AssistantLimit,
        message: format!(
            "This account already has {} assistants, as many as one account may",
            state.limits.assistants
        ),
    }
}

fn not_recordable() -> ApiError {
    ApiError::conflict(
        ava_model::ErrorCode::AssistantAlreadyRecorded,
        "This Vapi assistant cannot be recorded for this account",
    )
}

/// Inserts the row, or finds it when this user already recorded that assistant (a harmless
/// retry, or an adopted assistant an earlier attempt recorded before losing its answer). The
/// account's row is locked meanwhile, so two requests at once cannot both take the last place;
/// `place`, taken before a Vapi call, is handed over to the row.
async fn record(
    state: &AppState,
    user_id: i32,
    vapi_assistant_id: &str,
    name: &str,
    payload: &Value,
    place: Option<i64>,
) -> ApiResult<(StatusCode, AssistantRecord)> {
    let mut tx = state.db.begin().await?;
    let held = match lock_and_count(&mut tx, user_id, place).await {
        Ok(held) => held,
        Err(error) => {
            tx.rollback().await?;
            return Err(error);
        }
    };
    if let Some(place) = place {
        sqlx::query("DELETE FROM assistant_reservations WHERE id = $1")
            .bind(place)
            .execute(&mut *tx)
            .await?;
    }
    // Recording the same assistant again is a harmless retry; someone else's is not.
    let existing: Option<(i32, Row)> = sqlx::query_as(
        "SELECT user_id, id, vapi_assistant_id, name, created_at FROM assistants
         WHERE vapi_assistant_id = $1",
    )
    .bind(vapi_assistant_id)
    .fetch_optional(&mut *tx)
    .await?
    .map(|(owner, id, vapi_assistant_id, name, created_at)| {
        (
            owner,
            Row {
                id,
                vapi_assistant_id,
                name,
                created_at,
            },
        )
    });
    let outcome = match existing {
        Some((owner, row)) if owner == user_id => Ok((StatusCode::OK, row.into())),
        // Said without a word about who holds it.
        Some(_) => Err(not_recordable()),
        None if held >= i64::from(state.limits.assistants) => Err(limit_reached(state)),
        None => {
            let inserted: Option<Row> = sqlx::query_as(
                "INSERT INTO assistants (user_id, vapi_assistant_id, name, payload)
                 VALUES ($1, $2, $3, $4)
                 ON CONFLICT (vapi_assistant_id) DO NOTHING
                 RETURNING id, vapi_assistant_id, name, created_at",
            )
            .bind(user_id)
            .bind(vapi_assistant_id)
            .bind(name)
            .bind(payload)
            .fetch_optional(&mut *tx)
            .await?;
            // Another account recorded it between the look-up and the insert.
            inserted
                .map(|row| (StatusCode::CREATED, row.into()))
                .ok_or_else(not_recordable)
        }
    };
    if outcome.is_ok() {
        tx.commit().await?;
    } else {
        tx.rollback().await?;
        if let Some(place) = place {
            release_place(state, place).await?;
        }
    }
    outcome
}
