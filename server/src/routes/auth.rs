use ava_model::{AuthSession, Login, RefreshRequest, Registration, UserSummary};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ClientIp, JsonBody};
use crate::sessions::Issued;

/// How long the sign-up's confirmation mail waits for the owner to choose a language.
const SIGN_UP_MAIL_DELAY: std::time::Duration = std::time::Duration::from_secs(60);

/// The answer to a sign-in or a refresh: a short access token and the refresh token that
/// renews it.
fn session(state: &AppState, id: i32, email: String, refresh: Issued) -> ApiResult<AuthSession> {
    let (access_token, expires_in) = state.tokens.issue(id, &refresh.sign_in)?;
    Ok(AuthSession {
        access_token,
        token_type: "bearer".to_owned(),
        expires_in,
        refresh_token: refresh.token,
        refresh_expires_in: refresh.expires_in,
        user: UserSummary {
            id: i64::from(id),
            email,
        },
    })
}

pub(crate) async fn new_session(
    state: &AppState,
    id: i32,
    email: String,
    device: Option<&ava_model::DeviceName>,
) -> ApiResult<AuthSession> {
    let refresh = state.sessions.start(&state.db, id, device).await?;
    session(state, id, email, refresh)
}

#[utoipa::path(post, path = "/api/v1/auth/register", tag = "auth",
    request_body = crate::openapi::placeholders::CredentialsBody,
    responses((status = 201, body = AuthSession), (status = 409, body = ava_model::ErrorEnvelope), (status = 422, body = ava_model::ErrorEnvelope),
              (status = 429, body = ava_model::ErrorEnvelope), (status = 503, body = ava_model::ErrorEnvelope)))]
pub async fn register(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    JsonBody(body): JsonBody,
) -> ApiResult<(StatusCode, Json<AuthSession>)> {
    let registration = Registration::from_json(&body)?;
    state.throttle.count_registration(&state.db, ip).await?;
    let email = registration.email.as_str().to_owned();
    let hash = state
        .passwords
        .hash(registration.password.expose().to_owned())
        .await?;
    let mut tx = state.db.begin().await?;
    let id: Option<i32> = sqlx::query_scalar(
        "INSERT INTO users (email, hashed_password) VALUES ($1, $2)
         ON CONFLICT (email) DO NOTHING RETURNING id",
    )
    .bind(&email)
    .bind(hash)
    .fetch_optional(&mut *tx)
    .await?;
    let id = id.ok_or_else(|| {
        ApiError::conflict(
            ava_model::ErrorCode::EmailTaken,
            "An account with this email already exists",
        )
    })?;
    // The address is confirmed with a code, by mail, written in the language the owner picks
    // in the wizard's first minute (see `mail::queue_after`).
    let code = state
        .codes
        .issue(&mut tx, id, crate::codes::Purpose::EmailVerification, None)
        .await?;
    crate::mail::queue_after(
        &mut tx,
        Some(id),
        &email,
        crate::mail::Language::En,
        &crate::mail::Letter::EmailVerification { code },
        SIGN_UP_MAIL_DELAY,
    )
    .await?;
    tx.commit().await?;
    state.throttle.mark_known(&state.db, &email, ip).await?;
    Ok((
        StatusCode::CREATED,
        Json(new_session(&state, id, email, registration.device.as_ref()).await?),
    ))
}

#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth",
    request_body = crate::openapi::placeholders::CredentialsBody,
    responses((status = 200, body = AuthSession), (status = 401, body = ava_model::ErrorEnvelope), (status = 429, body = ava_model::ErrorEnvelope)))]
pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<AuthSession>> {
    let login = Login::from_json(&body)?;
    state
        .throttle
        .admit_login(&state.db, &login.email, ip)
        .await?;
    let row: Option<(i32, String, bool)> =
        sqlx::query_as("SELECT id, hashed_password, is_active FROM users WHERE email = $1")
            .bind(&login.email)
            .fetch_optional(&state.db)
            .await?;
    let (id, hash, active) = match row {
        Some((id, hash, active)) => (Some(id), Some(hash), active),
        None => (None, None, false),
    };
    let password_ok = match state
        .passwords
        .verify(hash, login.password.expose().clone())
        .await
    {
        Ok(verdict) => verdict,
        Err(busy) => {
            state
                .throttle
                .refund_login(&state.db, &login.email, ip)
                .await?;
            return Err(busy);
        }
    };
    match id {
        Some(id) if password_ok && active => {
            state
                .throttle
                .record_login_success(&state.db, &login.email, ip)
                .await?;
            Ok(Json(
                new_session(&state, id, login.email, login.device.as_ref()).await?,
            ))
        }
        // Counted already, before the hash (`admit_login`).
        _ => Err(ApiError::unauthorized(
            ava_model::ErrorCode::InvalidCredentials,
            "Wrong email or password",
        )),
    }
}

#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth",
    request_body = crate::openapi::placeholders::RefreshBody,
    responses((status = 200, body = AuthSession, description = "A new access token and a new refresh token; the one sent is spent"),
              (status = 401, body = ava_model::ErrorEnvelope, description = "`invalid_refresh_token` (unknown, expired, revoked, or the account is gone) or `refresh_token_reused` (a spent one came back: every token of that sign-in is revoked)")))]
pub async fn refresh(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<AuthSession>> {
    let request = RefreshRequest::from_json(&body)?;
    let rotated = state
        .sessions
        .rotate(&state.db, &request.refresh_token)
        .await?;
    // Where the owner's computer renews its sign-in is where they are: a guesser spread over
    // many addresses must never lock them out there once the sign-in ends.
    state
        .throttle
        .mark_known(&state.db, &rotated.email, ip)
        .await?;
    Ok(Json(session(
        &state,
        rotated.user_id,
        rotated.email,
        rotated.next,
    )?))
}

#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    request_body = crate::openapi::placeholders::RefreshBody,
    responses((status = 204, description = "Every token of this sign-in is revoked (also when it already was, or is unknown)")))]
pub async fn logout(
    State(state): State<AppState>,
    JsonBody(body): JsonBody,
) -> ApiResult<StatusCode> {
    let request = RefreshRequest::from_json(&body)?;
    state
        .sessions
        .revoke(&state.db, &request.refresh_token)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
