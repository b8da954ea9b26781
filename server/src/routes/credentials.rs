//! Vapi key and Twilio credentials: sealed on the way in, only previews on the way out.

use ava_model::{
    AccountSid, PhoneNumber, TwilioSettingsInput, TwilioSettingsStatus, VapiSettingsInput,
    VapiSettingsStatus,
};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use secrecy::SecretString;

use crate::AppState;
use crate::crypto::UnsealError;
use crate::error::{ApiError, ApiResult};
use crate::extract::{AuthUser, JsonBody};

pub(crate) fn vapi_context(user_id: i32) -> String {
    format!("vapi_api_key:{user_id}")
}

fn twilio_context(user_id: i32) -> String {
    format!("twilio_auth_token:{user_id}")
}

#[utoipa::path(post, path = "/api/v1/vapi-settings", tag = "credentials", security(("bearer" = [])),
    request_body = crate::openapi::placeholders::VapiSettingsBody,
    responses((status = 200, body = VapiSettingsStatus), (status = 422, body = ava_model::ErrorEnvelope)))]
pub async fn save_vapi(
    State(state): State<AppState>,
    user: AuthUser,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<VapiSettingsStatus>> {
    let input = VapiSettingsInput::from_json(&body)?;
    let preview = input.vapi_api_key.preview();
    let sealed = state
        .sealer
        .seal(input.vapi_api_key.expose(), &vapi_context(user.id));
    let saved: Option<String> = sqlx::query_scalar(
        "INSERT INTO vapi_credentials (user_id, vapi_api_key_encrypted, vapi_api_key_preview, encryption_key_id)
         SELECT id, $2, $3, $4 FROM users WHERE id = $1 AND is_active
         ON CONFLICT (user_id) DO UPDATE SET
             vapi_api_key_encrypted = EXCLUDED.vapi_api_key_encrypted,
             vapi_api_key_preview = EXCLUDED.vapi_api_key_preview,
             encryption_key_id = EXCLUDED.encryption_key_id,
             updated_at = now()
         RETURNING vapi_api_key_preview",
    )
    .bind(user.id)
    .bind(sealed.ciphertext)
    .bind(&preview)
    .bind(sealed.key_id)
    .fetch_optional(&state.db)
    .await?;
    saved.ok_or_else(ApiError::account_gone)?;
    Ok(Json(VapiSettingsStatus {
        has_vapi_key: true,
        vapi_api_key_preview: Some(preview),
    }))
}

#[utoipa::path(get, path = "/api/v1/vapi-settings", tag = "credentials", security(("bearer" = [])),
    responses((status = 200, body = VapiSettingsStatus)))]
pub async fn get_vapi(
    State(state): State<AppState>,
    user: AuthUser,
) -> ApiResult<Json<VapiSettingsStatus>> {
    let (has_vapi_key, vapi_api_key_preview): (bool, Option<String>) = sqlx::query_as(
        "SELECT v.user_id IS NOT NULL, v.vapi_api_key_preview
         FROM users u LEFT JOIN vapi_credentials v ON v.user_id = u.id
         WHERE u.id = $1 AND u.is_active",
    )
    .bind(user.id)
    .fetch_optional(&state.db)
    .await?
    .ok_or_else(ApiError::account_gone)?;
    Ok(Json(VapiSettingsStatus {
        has_vapi_key,
        vapi_api_key_preview,
    }))
}

#[utoipa::path(delete, path = "/api/v1/vapi-settings", tag = "credentials", security(("bearer" = [])),
    responses((status = 204, description = "Deleted (also when none was stored)")))]
pub async fn delete_vapi(State(state): State<AppState>, user: AuthUser) -> ApiResult<StatusCode> {
    delete_owned(&state, user, "vapi_credentials").await
}

/// The user's Vapi key, decrypted for one call to Vapi. `Ok(None)` when none is stored.
pub(crate) async fn stored_vapi_key(
    state: &AppState,
    user_id: i32,
) -> ApiResult<Option<SecretString>> {
    let row: (Option<String>, Option<String>) = sqlx::query_as(
        "SELECT v.vapi_api_key_encrypted, v.encryption_key_id
         FROM users u LEFT JOIN vapi_credentials v ON v.user_id = u.id
         WHERE u.id = $1 AND u.is_active",
    )
    .bind(user_id)
    .fetch_optional(&state.db)
    .await?
    .ok_or_else(ApiError::account_gone)?;
    let (Some(ciphertext), Some(key_id)) = row else {
        return Ok(None);
    };
    state
        .sealer
        .unseal(&ciphertext, &key_id, &vapi_context(user_id))
        .map(Some)
        .map_err(|error| {
            tracing::error!(user_id, %error, "stored Vapi key cannot be decrypted");
            let message = match error {
                UnsealError::UnknownKey(_) => {
                    "The stored Vapi key was encrypted with a key this server no longer has; save the key again"
                }
                UnsealError::Tampered => {
                    "The stored Vapi key is damaged and cannot be decrypted; save the key again"
                }
            };
            ApiError::conflict(ava_model::ErrorCode::StoredSecretUnreadable, message)
        })
}

#[utoipa::path(post, path = "/api/v1/twilio-settings", tag = "credentials", security(("bearer" = [])),
    request_body = crate::openapi::placeholders::TwilioSettingsBody,
    responses((status = 200, body = TwilioSettingsStatus), (status = 422, body = ava_model::ErrorEnvelope)))]
pub async fn save_twilio(
    State(state): State<AppState>,
    user: AuthUser,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<TwilioSettingsStatus>> {
    let input = TwilioSettingsInput::from_json(&body)?;
    let sealed = state
        .sealer
        .seal(input.auth_token.expose(), &twilio_context(user.id));
    let saved: Option<i32> = sqlx::query_scalar(
        "INSERT INTO twilio_credentials (user_id, account_sid, auth_token_encrypted, phone_number, encryption_key_id)
         SELECT id, $2, $3, $4, $5 FROM users WHERE id = $1 AND is_active
         ON CONFLICT (user_id) DO UPDATE SET
             account_sid = EXCLUDED.account_sid,
             auth_token_encrypted = EXCLUDED.auth_token_encrypted,
             phone_number = EXCLUDED.phone_number,
             encryption_key_id = EXCLUDED.encryption_key_id,
             updated_at = now()
         RETURNING user_id",
    )
    .bind(user.id)
    .bind(input.account_sid.as_str())
    .bind(sealed.ciphertext)
    .bind(input.phone_number.as_ref().map(PhoneNumber::as_str))
    .bind(sealed.key_id)
    .fetch_optional(&state.db)
    .await?;
    saved.ok_or_else(ApiError::account_gone)?;
    Ok(Json(TwilioSettingsStatus {
        has_credentials: true,
        account_sid_preview: Some(input.account_sid.preview()),
        phone_number: input.phone_number,
    }))
}

#[utoipa::path(get, path = "/api/v1/twilio-settings", tag = "credentials", security(("bearer" = [])),
    responses((status = 200, body = TwilioSettingsStatus)))]
pub async fn get_twilio(
    State(state): State<AppState>,
    user: AuthUser,
) -> ApiResult<Json<TwilioSettingsStatus>> {
    let row: (Option<String>, Option<String>) = sqlx::query_as(
        "SELECT t.account_sid, t.phone_number
         FROM users u LEFT JOIN twilio_credentials t ON t.user_id = u.id
         WHERE u.id = $1 AND u.is_active",
    )
    .bind(user.id)
    .fetch_optional(&state.db)
    .await?
    .ok_or_else(ApiError::account_gone)?;
    Ok(Json(match row {
        (None, _) => TwilioSettingsStatus {
            has_credentials: false,
            account_sid_preview: None,
            phone_number: None,
        },
        (Some(sid), number) => TwilioSettingsStatus {
            has_credentials: true,
            account_sid_preview: AccountSid::parse(&sid).ok().map(|s| s.preview()),
            phone_number: number.and_then(|n| PhoneNumber::parse(&n).ok()),
        },
    }))
}

#[utoipa::path(delete, path = "/api/v1/twilio-settings", tag = "credentials", security(("bearer" = [])),
    responses((status = 204, description = "Deleted (also when none were stored)")))]
pub async fn delete_twilio(State(state): State<AppState>, user: AuthUser) -> ApiResult<StatusCode> {
    delete_owned(&state, user, "twilio_credentials").await
}

/// Deletes the user's row of `table` (none is fine) in the statement that checks the user.
async fn delete_owned(
    state: &AppState,
    user: AuthUser,
    table: &'static str,
) -> ApiResult<StatusCode> {
    let active: i64 = sqlx::query_scalar(&format!(
        "WITH me AS (SELECT id FROM users WHERE id = $1 AND is_active),
              removed AS (DELETE FROM {table} c USING me WHERE c.user_id = me.id)
         SELECT count(*) FROM me"
    ))
    .bind(user.id)
    .fetch_one(&state.db)
    .await?;
    if active == 0 {
        return Err(ApiError::account_gone());
    }
    Ok(StatusCode::NO_CONTENT)
}
