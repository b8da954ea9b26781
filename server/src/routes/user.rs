use ava_model::{
    Completion, FieldErrors, FlagsPatch, Me, OnboardingFlags, Profile, ProfilePatch, StudioConfig,
    StudioPatch, Violation,
};
use axum::Json;
use axum::extract::State;

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{AuthUser, JsonBody};
use crate::rows::{
    FlagsRow, MeRow, SELECT_ME, UPDATE_PROFILE, UPDATE_STUDIO, profile_of, studio_of,
};

#[utoipa::path(get, path = "/api/v1/user/me", tag = "user", security(("bearer" = [])),
    responses((status = 200, body = Me), (status = 401, body = ava_model::ErrorEnvelope)))]
pub async fn me(State(state): State<AppState>, user: AuthUser) -> ApiResult<Json<Me>> {
    let row: MeRow = sqlx::query_as(&SELECT_ME)
        .bind(user.id)
        .fetch_optional(&state.db)
        .await?
        .ok_or_else(ApiError::account_gone)?;
    Ok(Json(Me {
        id: i64::from(row.id),
        email: row.email,
        profile: profile_of(&row.profile),
        studio_config: studio_of(&row.studio_config),
        onboarding: row.flags.into(),
        onboarding_completed: row.onboarding_completed,
        onboarding_completed_at: row.onboarding_completed_at,
        updated_at: row.updated_at,
    }))
}

#[utoipa::path(patch, path = "/api/v1/user/profile", tag = "user", security(("bearer" = [])),
    request_body(content = Profile, description = "Any subset of the profile fields; absent or null keeps a field, \"\" clears a text field."),
    responses((status = 200, body = Profile), (status = 422, body = ava_model::ErrorEnvelope)))]
pub async fn update_profile(
    State(state): State<AppState>,
    user: AuthUser,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<Profile>> {
    let patch = ProfilePatch::from_json(&body)?;
    let stored = UPDATE_PROFILE
        .apply(&state.db, user.id, &patch.to_stored())
        .await?
        .ok_or_else(ApiError::account_gone)?;
    Ok(Json(profile_of(&stored)))
}

#[utoipa::path(patch, path = "/api/v1/user/studio-config", tag = "user", security(("bearer" = [])),
    request_body(content = StudioConfig, description = "Any subset of the studio fields; absent or null keeps, \"\" clears text, [] clears a list."),
    responses((status = 200, body = StudioConfig), (status = 422, body = ava_model::ErrorEnvelope)))]
pub async fn update_studio_config(
    State(state): State<AppState>,
    user: AuthUser,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<StudioConfig>> {
    let patch = StudioPatch::from_json(&body)?;
    let stored = UPDATE_STUDIO
        .apply(&state.db, user.id, &patch.to_stored())
        .await?
        .ok_or_else(ApiError::account_gone)?;
    Ok(Json(studio_of(&stored)))
}

#[utoipa::path(get, path = "/api/v1/user/onboarding", tag = "user", security(("bearer" = [])),
    responses((status = 200, body = OnboardingFlags)))]
pub async fn get_flags(
    State(state): State<AppState>,
    user: AuthUser,
) -> ApiResult<Json<OnboardingFlags>> {
    let row: FlagsRow = sqlx::query_as(
        "SELECT coalesce(o.onboarding_vapi_skipped, false) AS onboarding_vapi_skipped,
                coalesce(o.onboarding_twilio_skipped, false) AS onboarding_twilio_skipped,
                coalesce(o.onboarding_assistant_created, false) AS onboarding_assistant_created
         FROM users u LEFT JOIN user_onboarding o ON o.user_id = u.id
         WHERE u.id = $1 AND u.is_active",
    )
    .bind(user.id)
    .fetch_optional(&state.db)
    .await?
    .ok_or_else(ApiError::account_gone)?;
    Ok(Json(row.into()))
}

#[utoipa::path(patch, path = "/api/v1/user/onboarding", tag = "user", security(("bearer" = [])),
    request_body(content = OnboardingFlags, description = "Any of the three flags."),
    responses((status = 200, body = OnboardingFlags), (status = 422, body = ava_model::ErrorEnvelope)))]
pub async fn update_flags(
    State(state): State<AppState>,
    user: AuthUser,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<OnboardingFlags>> {
    let patch = FlagsPatch::from_json(&body)?;
    let row: FlagsRow = sqlx::query_as(
        "INSERT INTO user_onboarding AS o
             (user_id, onboarding_vapi_skipped, onboarding_twilio_skipped, onboarding_assistant_created)
         SELECT u.id, coalesce($2, false), coalesce($3, false), coalesce($4, false)
         FROM users u WHERE u.id = $1 AND u.is_active
         ON CONFLICT (user_id) DO UPDATE SET
             onboarding_vapi_skipped = coalesce($2, o.onboarding_vapi_skipped),
             onboarding_twilio_skipped = coalesce($3, o.onboarding_twilio_skipped),
             onboarding_assistant_created = coalesce($4, o.onboarding_assistant_created),
             updated_at = now()
         RETURNING onboarding_vapi_skipped, onboarding_twilio_skipped, onboarding_assistant_created",
    )
    .bind(user.id)
    .bind(patch.onboarding_vapi_skipped)
    .bind(patch.onboarding_twilio_skipped)
    .bind(patch.onboarding_assistant_created)
    .fetch_optional(&state.db)
    .await?
    .ok_or_else(ApiError::account_gone)?;
    Ok(Json(row.into()))
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
                    updated_at = now()
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
