use ava_model::{AuthSession, Login, Registration, UserSummary};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ClientIp, JsonBody};

fn session(state: &AppState, id: i32, email: String) -> ApiResult<AuthSession> {
    let (access_token, expires_in) = state.tokens.issue(id)?;
    Ok(AuthSession {
        access_token,
        token_type: "bearer".to_owned(),
        expires_in,
        user: UserSummary {
            id: i64::from(id),
            email,
        },
    })
}

#[utoipa::path(post, path = "/api/v1/auth/register", tag = "auth",
    request_body = crate::openapi::CredentialsBody,
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
    let id: Option<i32> = sqlx::query_scalar(
        "INSERT INTO users (email, hashed_password) VALUES ($1, $2)
         ON CONFLICT (email) DO NOTHING RETURNING id",
    )
    .bind(&email)
    .bind(hash)
    .fetch_optional(&state.db)
    .await?;
    let id = id.ok_or_else(|| {
        ApiError::conflict("email_taken", "An account with this email already exists")
    })?;
    Ok((StatusCode::CREATED, Json(session(&state, id, email)?)))
}

#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth",
    request_body = crate::openapi::CredentialsBody,
    responses((status = 200, body = AuthSession), (status = 401, body = ava_model::ErrorEnvelope), (status = 429, body = ava_model::ErrorEnvelope)))]
pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<AuthSession>> {
    let login = Login::from_json(&body)?;
    state
        .throttle
        .check_login(&state.db, &login.email, ip)
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
    let password_ok = state.passwords.verify(hash, login.password).await?;
    match id {
        Some(id) if password_ok && active => {
            state
                .throttle
                .record_login_success(&state.db, &login.email, ip)
                .await?;
            Ok(Json(session(&state, id, login.email)?))
        }
        _ => {
            state
                .throttle
                .record_login_failure(&state.db, &login.email, ip)
                .await?;
            Err(ApiError::unauthorized(
                "invalid_credentials",
                "Wrong email or password",
            ))
        }
    }
}
