use ava_model::{
    Completion, FieldErrors, FlagsPatch, Me, OnboardingFlags, Profile, ProfilePatch, StudioConfig,
    StudioPatch, Violation,
};
use axum::Json;
use axum::extract::State;
use serde_json::Value;

use super::change_params;
use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{AuthUser, JsonBody};
use crate::rows::{FlagsRow, MeRow, PROFILE_COLUMNS, ProfileRow, STUDIO_COLUMNS, StudioRow};

/// Built once: the column lists are shared with the PATCH statements' row types.
static SELECT_ME: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "SELECT u.id, u.email, {PROFILE_COLUMNS}, {STUDIO_COLUMNS},
                coalesce(o.onboarding_vapi_skipped, false) AS onboarding_vapi_skipped,
                coalesce(o.onboarding_twilio_skipped, false) AS onboarding_twilio_skipped,
                coalesce(o.onboarding_assistant_created, false) AS onboarding_assistant_created,
                u.onboarding_completed, u.onboarding_completed_at, u.updated_at
         FROM users u LEFT JOIN user_onboarding o ON o.user_id = u.id
         WHERE u.id = $1 AND u.is_active"
    )
});

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
        profile: row.profile.into(),
        studio_config: row.studio.into(),
        onboarding: row.flags.into(),
        onboarding_completed: row.onboarding_completed,
        onboarding_completed_at: row.onboarding_completed_at,
        updated_at: row.updated_at,
    }))
}

/// One statement whatever the fields: each column is either left alone or set (NULL clears).
const UPDATE_PROFILE: &str = "UPDATE users SET
    full_name = CASE WHEN $2 THEN $3 ELSE full_name END,
    organization_name = CASE WHEN $4 THEN $5 ELSE organization_name END,
    industry = CASE WHEN $6 THEN $7 ELSE industry END,
    timezone = CASE WHEN $8 THEN $9 ELSE timezone END,
    locale = CASE WHEN $10 THEN $11 ELSE locale END,
    marketing_opt_in = coalesce($12, marketing_opt_in),
    accept_terms = coalesce($13, accept_terms),
    updated_at = now()
  WHERE id = $1 AND is_active
  RETURNING full_name, organization_name, industry, timezone, locale, marketing_opt_in, accept_terms";

#[utoipa::path(patch, path = "/api/v1/user/profile", tag = "user", security(("bearer" = [])),
    request_body(content = Profile, description = "Any subset of the profile fields; absent or null keeps a field, \"\" clears a text field."),
    responses((status = 200, body = Profile), (status = 422, body = ava_model::ErrorEnvelope)))]
pub async fn update_profile(
    State(state): State<AppState>,
    user: AuthUser,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<Profile>> {
    let patch = ProfilePatch::from_json(&body)?;
    let (set_name, name) = change_params(&patch.full_name, |v| v.as_str().to_owned());
    let (set_org, org) = change_params(&patch.organization_name, |v| v.as_str().to_owned());
    let (set_industry, industry) = change_params(&patch.industry, |v| v.as_str().to_owned());
    let (set_tz, tz) = change_params(&patch.timezone, |v| v.as_str().to_owned());
    let (set_locale, locale) = change_params(&patch.locale, |v| v.as_str().to_owned());
    let row: ProfileRow = sqlx::query_as(UPDATE_PROFILE)
        .bind(user.id)
        .bind(set_name)
        .bind(name)
        .bind(set_org)
        .bind(org)
        .bind(set_industry)
        .bind(industry)
        .bind(set_tz)
        .bind(tz)
        .bind(set_locale)
        .bind(locale)
        .bind(patch.marketing_opt_in)
        .bind(patch.accept_terms)
        .fetch_optional(&state.db)
        .await?
        .ok_or_else(ApiError::account_gone)?;
    Ok(Json(row.into()))
}

const UPDATE_STUDIO: &str = "UPDATE users SET
    persona = CASE WHEN $2 THEN $3 ELSE persona END,
    job_to_be_done = CASE WHEN $4 THEN $5 ELSE job_to_be_done END,
    languages = coalesce($6, languages),
    tone = CASE WHEN $7 THEN $8 ELSE tone END,
    guidelines = CASE WHEN $9 THEN $10 ELSE guidelines END,
    strategy = CASE WHEN $11 THEN $12 ELSE strategy END,
    number = CASE WHEN $13 THEN $14 ELSE number END,
    business_hours = CASE WHEN $15 THEN $16 ELSE business_hours END,
    fallback_email = CASE WHEN $17 THEN $18 ELSE fallback_email END,
    calendar = CASE WHEN $19 THEN $20 ELSE calendar END,
    workspace_apps = coalesce($21, workspace_apps),
    crm = CASE WHEN $22 THEN $23 ELSE crm END,
    plan = coalesce($24, plan),
    seats = coalesce($25, seats),
    updated_at = now()
  WHERE id = $1 AND is_active
  RETURNING persona, job_to_be_done, languages, tone, guidelines, strategy, number,
            business_hours, fallback_email, calendar, workspace_apps, crm, plan, seats";

fn json_list<T: AsRef<str>>(items: &Option<Vec<T>>) -> Option<Value> {
    items.as_ref().map(|items| {
        Value::from(
            items
                .iter()
                .map(|i| i.as_ref().to_owned())
                .collect::<Vec<_>>(),
        )
    })
}

#[utoipa::path(patch, path = "/api/v1/user/studio-config", tag = "user", security(("bearer" = [])),
    request_body(content = StudioConfig, description = "Any subset of the 14 studio fields; absent or null keeps, \"\" clears text, [] clears a list."),
    responses((status = 200, body = StudioConfig), (status = 422, body = ava_model::ErrorEnvelope)))]
pub async fn update_studio_config(
    State(state): State<AppState>,
    user: AuthUser,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<StudioConfig>> {
    let patch = StudioPatch::from_json(&body)?;
    let (set_persona, persona) = change_params(&patch.persona, |v| v.as_str().to_owned());
    let (set_job, job) = change_params(&patch.job_to_be_done, |v| v.as_str().to_owned());
    let (set_tone, tone) = change_params(&patch.tone, |v| v.as_str().to_owned());
    let (set_guidelines, guidelines) = change_params(&patch.guidelines, |v| v.as_str().to_owned());
    let (set_strategy, strategy) = change_params(&patch.strategy, |v| v.as_str().to_owned());
    let (set_number, number) = change_params(&patch.number, |v| v.as_str().to_owned());
    let (set_hours, hours) = change_params(&patch.business_hours, |v| v.as_str().to_owned());
    let (set_fallback, fallback) = change_params(&patch.fallback_email, |v| v.as_str().to_owned());
    let (set_calendar, calendar) = change_params(&patch.calendar, |v| v.as_str().to_owned());
    let (set_crm, crm) = change_params(&patch.crm, |v| v.as_str().to_owned());
    let row: StudioRow = sqlx::query_as(UPDATE_STUDIO)
        .bind(user.id)
        .bind(set_persona)
        .bind(persona)
        .bind(set_job)
        .bind(job)
        .bind(json_list(&patch.languages))
        .bind(set_tone)
        .bind(tone)
        .bind(set_guidelines)
        .bind(guidelines)
        .bind(set_strategy)
        .bind(strategy)
        .bind(set_number)
        .bind(number)
        .bind(set_hours)
        .bind(hours)
        .bind(set_fallback)
        .bind(fallback)
        .bind(set_calendar)
        .bind(calendar)
        .bind(json_list(&patch.workspace_apps))
        .bind(set_crm)
        .bind(crm)
        .bind(patch.plan.map(|p| p.as_str()))
        .bind(patch.seats.map(|s| i32::from(s.get())))
        .fetch_optional(&state.db)
        .await?
        .ok_or_else(ApiError::account_gone)?;
    Ok(Json(row.into()))
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
            code: "terms_not_accepted",
            message: "Accept the terms of service before launching Ava".to_owned(),
            fields: Some(FieldErrors::single("accept_terms", Violation::Required)),
        }),
        Some((true, completed, at)) => Ok(Json(Completion {
            onboarding_completed: completed,
            onboarding_completed_at: at,
        })),
    }
}
