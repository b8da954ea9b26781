use ava_model::{
    Completion, FieldErrors, FlagsPatch, Me, OnboardingFlags, Profile, ProfilePatch, StudioConfig,
    StudioPatch, Violation,
};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{AuthUser, JsonBody};
use crate::rows::{
    MeRow, SELECT_FLAGS, SELECT_ME, UPDATE_FLAGS, UPDATE_PROFILE, UPDATE_STUDIO, flags_of,
    profile_of, studio_of,
};
use serde_json::Value;

/// The account's revision as an entity tag: `"<revision>"` (RFC 9110 §8.8.3, strong).
fn etag(revision: i64) -> [(header::HeaderName, HeaderValue); 1] {
    let value = HeaderValue::from_str(&format!("\"{revision}\"")).expect("digits and quotes");
    [(header::ETAG, value)]
}

/// Whether `If-None-Match` names `revision` (one tag, a list, or `*`; weak tags compare as
/// their opaque part, as RFC 9110 §13.1.2's weak comparison does).
fn none_match(headers: &HeaderMap, revision: i64) -> bool {
    let wanted = format!("\"{revision}\"");
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|tag| tag.trim().trim_start_matches("W/"))
        .any(|tag| tag == "*" || tag == wanted)
}

#[utoipa::path(get, path = "/api/v1/user/me", tag = "user", security(("bearer" = [])),
    params(("If-None-Match" = Option<String>, Header, description = "The `ETag` of an earlier answer: 304 with no body while the account's revision is still that one")),
    responses((status = 200, body = Me, headers(("ETag" = String, description = "`\"<revision>\"`"))),
              (status = 304, description = "Nothing changed since the `ETag` sent in `If-None-Match`"),
              (status = 401, body = ava_model::ErrorEnvelope)))]
pub async fn me(
    State(state): State<AppState>,
    user: AuthUser,
    headers: HeaderMap,
) -> ApiResult<Response> {
    // "Anything new?" costs one indexed read of one column when the answer is no.
    if headers.contains_key(header::IF_NONE_MATCH) {
        let revision: i64 =
            sqlx::query_scalar("SELECT revision FROM users WHERE id = $1 AND is_active")
                .bind(user.id)
                .fetch_optional(&state.db)
                .await?
                .ok_or_else(ApiError::account_gone)?;
        if none_match(&headers, revision) {
            return Ok((StatusCode::NOT_MODIFIED, etag(revision)).into_response());
        }
    }
    let row: MeRow = sqlx::query_as(&SELECT_ME)
        .bind(user.id)
        .fetch_optional(&state.db)
        .await?
        .ok_or_else(ApiError::account_gone)?;
    Ok((
        etag(row.revision),
        Json(Me {
            id: i64::from(row.id),
            email: row.email,
            profile: profile_of(&row.profile),
            studio_config: studio_of(&row.studio_config),
            onboarding: flags_of(&row.flags),
            onboarding_completed: row.onboarding_completed,
            onboarding_completed_at: row.onboarding_completed_at,
            updated_at: row.updated_at,
            revision: row.revision,
            live_assistant: row.live_kept_by_server.then(|| ava_model::LiveAssistant {
                up_to_date: row.live_applied_revision >= row.revision,
                error: row.live_error.clone(),
            }),
            email_verified: row.email_verified,
        }),
    )
        .into_response())
}

#[utoipa::path(patch, path = "/api/v1/user/profile", tag = "user", security(("bearer" = [])),
    request_body(content = Profile, description = "Any subset of the profile fields; absent or null keeps a field, \"\" clears a text field."),
    responses((status = 200, body = Profile, headers(("ETag" = String, description = "The account's new revision"))), (status = 422, body = ava_model::ErrorEnvelope)))]
pub async fn update_profile(
    State(state): State<AppState>,
    user: AuthUser,
    JsonBody(body): JsonBody,
) -> ApiResult<impl IntoResponse> {
    let patch = ProfilePatch::from_json(&body)?;
    let (stored, revision) = UPDATE_PROFILE
        .apply(&state.db, user.id, &patch.to_stored())
        .await?
        .ok_or_else(ApiError::account_gone)?;
    Ok((etag(revision), Json(profile_of(&stored))))
}

#[utoipa::path(patch, path = "/api/v1/user/studio-config", tag = "user", security(("bearer" = [])),
    request_body(content = StudioConfig, description = "Any subset of the studio fields; absent or null keeps, \"\" clears text, [] clears a list."),
    responses((status = 200, body = StudioConfig, headers(("ETag" = String, description = "The account's new revision"))), (status = 422, body = ava_model::ErrorEnvelope)))]
pub async fn update_studio_config(
    State(state): State<AppState>,
    user: AuthUser,
    JsonBody(body): JsonBody,
) -> ApiResult<impl IntoResponse> {
    let patch = StudioPatch::from_json(&body)?;
    let (stored, revision) = UPDATE_STUDIO
        .apply(&state.db, user.id, &patch.to_stored())
        .await?
        .ok_or_else(ApiError::account_gone)?;
    Ok((etag(revision), Json(studio_of(&stored))))
}

#[utoipa::path(get, path = "/api/v1/user/onboarding", tag = "user", security(("bearer" = [])),
    responses((status = 200, body = OnboardingFlags)))]
pub async fn get_flags(
    State(state): State<AppState>,
    user: AuthUser,
) -> ApiResult<Json<OnboardingFlags>> {
    let flags: Value = sqlx::query_scalar(&SELECT_FLAGS)
        .bind(user.id)
        .fetch_optional(&state.db)
        .await?
        .ok_or_else(ApiError::account_gone)?;
    Ok(Json(flags_of(&flags)))
}

#[utoipa::path(patch, path = "/api/v1/user/onboarding", tag = "user", security(("bearer" = [])),
    request_body(content = OnboardingFlags, description = "Any of the three flags."),
    responses((status = 200, body = OnboardingFlags, headers(("ETag" = String, description = "The account's new revision"))), (status = 422, body = ava_model::ErrorEnvelope)))]
pub async fn update_flags(
    State(state): State<AppState>,
    user: AuthUser,
    JsonBody(body): JsonBody,
) -> ApiResult<impl IntoResponse> {
    let patch = FlagsPatch::from_json(&body)?;
    // The flags live beside the account's row; its revision moves in the same statement.
    let stored = patch.to_stored();
    let mut update = sqlx::query_as::<_, (Value, i64)>(&UPDATE_FLAGS).bind(user.id);
    for field in FlagsPatch::FIELDS {
        update = update.bind(stored.get(*field).and_then(Value::as_bool));
    }
    let (flags, revision) = update
        .fetch_optional(&state.db)
        .await?
        .ok_or_else(ApiError::account_gone)?;
    Ok((etag(revision), Json(flags_of(&flags))))
}

#[utoipa::path(post, path = "/api/v1/user/complete-onboarding", tag = "user", security(("bearer" = [])),
    responses((status = 200, body = Completion), (status = 422, body = ava_model::ErrorEnvelope)))]
pub async fn complete_onboarding(
    State(state): State<AppState>,
    user: AuthUser,
) -> ApiResult<Json<Completion>> {
    // The first completion time stays: completing twice is not a second launch.
    let row: Option<(bool, bool, Option<chrono::DateTime<chrono::Utc>>)> = sqlx::query_as(
        "WITH target AS (SELECT id, accept_terms FROM users WHERE id = $1 AND is_active),
              done AS (
                UPDATE users u SET onboarding_completed = true,
                    onboarding_completed_at = coalesce(u.onboarding_completed_at, now()),
                    updated_at = now(), revision = u.revision + 1
                FROM target t WHERE u.id = t.id AND t.accept_terms
                RETURNING u.onboarding_completed, u.onboarding_completed_at)
         SELECT t.accept_terms, coalesce(d.onboarding_completed, false), d.onboarding_completed_at
         FROM target t LEFT JOIN done d ON true",
    )
    .bind(user.id)
    .fetch_optional(&state.db)
    .await?;
    match row {
        None => Err(ApiError::account_gone()),
        Some((false, _, _)) => Err(ApiError::Unprocessable {
            code: ava_model::ErrorCode::TermsNotAccepted,
            message: "Accept the terms of service before launching Ava".to_owned(),
            fields: Some(FieldErrors::single("accept_terms", Violation::Required)),
        }),
        Some((true, completed, at)) => Ok(Json(Completion {
            onboarding_completed: completed,
            onboarding_completed_at: at,
        })),
    }
}
