//! The account's life (api.md): a forgotten password, a new password or address, the list of
//! sign-ins, the export and the deletion. Every route that takes a password or a code goes
//! through the sign-in limits first; every mail is queued in the transaction that causes it.

use std::net::IpAddr;

use ava_model::{
    AccountDeletion, AuthSession, DeletionReceipt, EXPORT_FORMAT, EmailChange, EmailStatus,
    EmailVerify, FieldErrors, PasswordChange, PasswordResetConfirm, PasswordResetRequest, SignIn,
    VapiAssistantsOnDeletion, VapiCleanUp, Violation,
};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use chrono::Utc;
use serde_json::{Value, json};

use crate::AppState;
use crate::codes::Purpose;
use crate::error::{ApiError, ApiResult};
use crate::extract::{AuthSignIn, ClientIp, JsonBody};
use crate::mail::{self, Language, Letter};
use crate::routes::auth::new_session;
use crate::rows::{MeRow, SELECT_ME, flags_of, profile_of, studio_of};

/// Per address and kind: one mail a minute, five a day; past them the request is answered the
/// same and nothing is sent.
const MAILS_PER_MINUTE: i64 = 1;
const MAILS_PER_DAY: i64 = 5;

fn invalid_code() -> ApiError {
    FieldErrors::single("code", Violation::InvalidCode).into()
}

fn wrong_password(field: &str) -> ApiError {
    FieldErrors::single(field, Violation::WrongPassword).into()
}

fn accepted() -> (StatusCode, Json<Value>) {
    (StatusCode::ACCEPTED, Json(json!({})))
}

/// The account as these routes need it.
#[derive(sqlx::FromRow)]
struct Account {
    id: i32,
    email: String,
    hashed_password: String,
    locale: Option<String>,
}

async fn account_by_id(state: &AppState, id: i32) -> ApiResult<Account> {
    sqlx::query_as(
        "SELECT id, email, hashed_password, locale FROM users WHERE id = $1 AND is_active",
    )
    .bind(id)
    .fetch_optional(&state.db)
    .await?
    .ok_or_else(ApiError::account_gone)
}

async fn account_by_email(state: &AppState, email: &str) -> ApiResult<Option<Account>> {
    Ok(sqlx::query_as(
        "SELECT id, email, hashed_password, locale FROM users WHERE email = $1 AND is_active",
    )
    .bind(email)
    .fetch_optional(&state.db)
    .await?)
}

/// The account's password, judged under the sign-in limits (counted before the hash, as a
/// sign-in is); a wrong one is a 422 naming `field`.
async fn check_password(
    state: &AppState,
    account: &Account,
    ip: Option<IpAddr>,
    password: &str,
    field: &str,
) -> ApiResult<()> {
    state
        .throttle
        .admit_login(&state.db, &account.email, ip)
        .await?;
    match state
        .passwords
        .verify(Some(account.hashed_password.clone()), password.to_owned())
        .await
    {
        Ok(true) => {
            state
                .throttle
                .record_login_success(&state.db, &account.email, ip)
                .await
        }
        Ok(false) => Err(wrong_password(field)),
        Err(busy) => {
            state
                .throttle
                .refund_login(&state.db, &account.email, ip)
                .await?;
            Err(busy)
        }
    }
}

/// Issues a code for `purpose` and queues its mail, unless this kind of mail already went to
/// the account within the limits (then silently nothing). The account's row is locked so two
/// requests at once count each other.
pub(crate) async fn send_code(
    state: &AppState,
    user_id: i32,
    purpose: Purpose,
    recipient: &str,
    new_email: Option<&str>,
) -> ApiResult<()> {
    let mut tx = state.db.begin().await?;
    let locale: Option<Option<String>> =
        sqlx::query_scalar("SELECT locale FROM users WHERE id = $1 AND is_active FOR UPDATE")
            .bind(user_id)
            .fetch_optional(&mut *tx)
            .await?;
    let Some(locale) = locale else {
        return Ok(());
    };
    let letter = |code: String| match purpose {
        Purpose::PasswordReset => Letter::PasswordReset { code },
        Purpose::EmailVerification => Letter::EmailVerification { code },
        Purpose::EmailChange => Letter::EmailChange {
            code,
            new_email: new_email.unwrap_or_default().to_owned(),
        },
    };
    let kind = letter(String::new()).kind();
    let (last_minute, last_day) = mail::recent(&mut tx, user_id, kind).await?;
    if last_minute >= MAILS_PER_MINUTE || last_day >= MAILS_PER_DAY {
        tracing::info!(user_id, kind, "mail limit reached; nothing sent");
        return Ok(());
    }
    let code = state
        .codes
        .issue(&mut tx, user_id, purpose, new_email)
        .await?;
    mail::queue(
        &mut tx,
        Some(user_id),
        recipient,
        Language::of(locale.as_deref()),
        &letter(code),
    )
    .await?;
    tx.commit().await?;
    state.postman.wake();
    Ok(())
}

/// Sets the new password in `tx` (where a reset also spent its code), ends every sign-in of the
/// account, queues the "your password was changed" mail, and commits; the caller then gives
/// this computer its new sign-in.
async fn replace_password(
    state: &AppState,
    mut tx: sqlx::Transaction<'_, sqlx::Postgres>,
    account: &Account,
    hashed: String,
    confirms_address: bool,
) -> ApiResult<()> {
    sqlx::query(
        "UPDATE users SET hashed_password = $2, updated_at = now(),
                          email_verified = email_verified OR $3
         WHERE id = $1",
    )
    .bind(account.id)
    .bind(hashed)
    .bind(confirms_address)
    .execute(&mut *tx)
    .await?;
    let ended = state.sessions.end_all(&mut tx, account.id).await?;
    mail::queue(
        &mut tx,
        Some(account.id),
        &account.email,
        Language::of(account.locale.as_deref()),
        &Letter::PasswordChanged,
    )
    .await?;
    tx.commit().await?;
    state.sessions.announce_ended(&ended);
    state.postman.wake();
    Ok(())
}

#[utoipa::path(post, path = "/api/v1/auth/password-reset", tag = "account",
    request_body = crate::openapi::placeholders::PasswordResetBody,
    responses((status = 202, description = "The same answer for every address: a known one gets a code by mail (at most one a minute and five a day)")))]
pub async fn request_password_reset(
    State(state): State<AppState>,
    JsonBody(body): JsonBody,
) -> ApiResult<impl IntoResponse> {
    let request = PasswordResetRequest::from_json(&body)?;
    // One indexed read either way; what a known address costs more (a code, a mail queued)
    // happens after the answer, so the answer's time does not tell the two apart.
    if let Some(account) = account_by_email(&state, &request.email).await? {
        let state = state.clone();
        tokio::spawn(async move {
            if let Err(error) = send_code(
                &state,
                account.id,
                Purpose::PasswordReset,
                &account.email,
                None,
            )
            .await
            {
                tracing::warn!(user_id = account.id, %error, "a reset code could not be queued");
            }
        });
    }
    Ok(accepted())
}

#[utoipa::path(post, path = "/api/v1/auth/password-reset/confirm", tag = "account",
    request_body = crate::openapi::placeholders::PasswordResetConfirmBody,
    responses((status = 200, body = AuthSession, description = "The new password is set and this computer signed in; every other sign-in has ended"),
              (status = 422, body = ava_model::ErrorEnvelope, description = "`invalid_code` (wrong, expired, used or unknown, all alike) or a `new_password` field error")))]
pub async fn confirm_password_reset(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<AuthSession>> {
    let confirm = PasswordResetConfirm::from_json(&body)?;
    state
        .throttle
        .admit_login(&state.db, &confirm.email, ip)
        .await?;
    let account = account_by_email(&state, &confirm.email).await?;
    // Hashed before the code is judged, for known and unknown addresses alike: the answer's
    // time says nothing, and the code is not spent by a request the server is too busy for.
    let hashed = match state
        .passwords
        .hash(confirm.new_password.expose().to_owned())
        .await
    {
        Ok(hashed) => hashed,
        Err(busy) => {
            state
                .throttle
                .refund_login(&state.db, &confirm.email, ip)
                .await?;
            return Err(busy);
        }
    };
    let Some(account) = account else {
        state.codes.judge_nothing(confirm.code.as_ref());
        return Err(invalid_code());
    };
    let mut tx = state.db.begin().await?;
    let spent = state
        .codes
        .spend(
            &mut tx,
            account.id,
            &[Purpose::PasswordReset],
            confirm.code.as_ref(),
        )
        .await?;
    if spent.is_none() {
        // The wrong try is counted.
        tx.commit().await?;
        return Err(invalid_code());
    }
    // Whoever reads the account's mail proved it: the address counts as verified.
    replace_password(&state, tx, &account, hashed, true).await?;
    state
        .throttle
        .record_login_success(&state.db, &account.email, ip)
        .await?;
    Ok(Json(
        new_session(&state, account.id, account.email, confirm.device.as_ref()).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/user/password", tag = "account", security(("bearer" = [])),
    request_body = crate::openapi::placeholders::PasswordChangeBody,
    responses((status = 200, body = AuthSession, description = "The new password is set; this computer gets a new sign-in and every other one has ended"),
              (status = 422, body = ava_model::ErrorEnvelope, description = "`current_password` (`wrong_password`) or `new_password`")))]
pub async fn change_password(
    State(state): State<AppState>,
    user: AuthSignIn,
    ClientIp(ip): ClientIp,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<AuthSession>> {
    let change = PasswordChange::from_json(&body)?;
    let account = account_by_id(&state, user.id).await?;
    check_password(
        &state,
        &account,
        ip,
        change.current_password.expose(),
        "current_password",
    )
    .await?;
    let hashed = state
        .passwords
        .hash(change.new_password.expose().to_owned())
        .await?;
    let device: Option<String> = match &user.sign_in {
        Some(sign_in) => sqlx::query_scalar(
            "SELECT device FROM refresh_families WHERE encode(family_id, 'hex') = $1",
        )
        .bind(sign_in)
        .fetch_optional(&state.db)
        .await?
        .flatten(),
        None => None,
    };
    let tx = state.db.begin().await?;
    replace_password(&state, tx, &account, hashed, false).await?;
    let device = device.and_then(|d| ava_model::DeviceName::parse(&d).ok());
    Ok(Json(
        new_session(&state, account.id, account.email, device.as_ref()).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/user/email", tag = "account", security(("bearer" = [])),
    request_body = crate::openapi::placeholders::EmailChangeBody,
    responses((status = 202, description = "A code went to the new address (valid 24 h); the address changes once it comes back"),
              (status = 409, body = ava_model::ErrorEnvelope, description = "`email_taken`"),
              (status = 422, body = ava_model::ErrorEnvelope, description = "`password` (`wrong_password`) or `new_email`")))]
pub async fn change_email(
    State(state): State<AppState>,
    user: AuthSignIn,
    ClientIp(ip): ClientIp,
    JsonBody(body): JsonBody,
) -> ApiResult<impl IntoResponse> {
    let change = EmailChange::from_json(&body)?;
    let account = account_by_id(&state, user.id).await?;
    check_password(&state, &account, ip, change.password.expose(), "password").await?;
    let new_email = change.new_email.as_str();
    let taken: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM users WHERE email = $1)")
        .bind(new_email)
        .fetch_one(&state.db)
        .await?;
    if taken {
        return Err(email_taken());
    }
    send_code(
        &state,
        account.id,
        Purpose::EmailChange,
        new_email,
        Some(new_email),
    )
    .await?;
    Ok(accepted())
}

fn email_taken() -> ApiError {
    ApiError::conflict(
        ava_model::ErrorCode::EmailTaken,
        "An account with this email already exists",
    )
}

#[utoipa::path(post, path = "/api/v1/user/email/verification", tag = "account", security(("bearer" = [])),
    responses((status = 202, description = "A new code went to the account's address (valid 24 h), within the mail limits")))]
pub async fn resend_verification(
    State(state): State<AppState>,
    user: AuthSignIn,
) -> ApiResult<impl IntoResponse> {
    let account = account_by_id(&state, user.id).await?;
    send_code(
        &state,
        account.id,
        Purpose::EmailVerification,
        &account.email,
        None,
    )
    .await?;
    Ok(accepted())
}

#[utoipa::path(post, path = "/api/v1/user/email/verify", tag = "account", security(("bearer" = [])),
    request_body = crate::openapi::placeholders::EmailVerifyBody,
    responses((status = 200, body = EmailStatus, description = "The address is confirmed, or the account switched to the new one"),
              (status = 409, body = ava_model::ErrorEnvelope, description = "`email_taken`: the new address was taken meanwhile"),
              (status = 422, body = ava_model::ErrorEnvelope, description = "`invalid_code`")))]
pub async fn verify_email(
    State(state): State<AppState>,
    user: AuthSignIn,
    ClientIp(ip): ClientIp,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<EmailStatus>> {
    let verify = EmailVerify::from_json(&body)?;
    let account = account_by_id(&state, user.id).await?;
    state
        .throttle
        .admit_login(&state.db, &account.email, ip)
        .await?;
    let mut tx = state.db.begin().await?;
    let spent = state
        .codes
        .spend(
            &mut tx,
            account.id,
            &[Purpose::EmailChange, Purpose::EmailVerification],
            verify.code.as_ref(),
        )
        .await?;
    let Some(spent) = spent else {
        tx.commit().await?;
        return Err(invalid_code());
    };
    let email = match (spent.purpose, spent.new_email) {
        (Purpose::EmailChange, Some(new_email)) => {
            let switched = sqlx::query(
                "UPDATE users SET email = $2, email_verified = true, updated_at = now(),
                                  revision = revision + 1
                 WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM users WHERE email = $2)",
            )
            .bind(account.id)
            .bind(&new_email)
            .execute(&mut *tx)
            .await;
            match switched {
                Ok(done) if done.rows_affected() == 1 => {}
                Ok(_) => return Err(email_taken()),
                Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                    return Err(email_taken());
                }
                Err(e) => return Err(e.into()),
            }
            mail::queue(
                &mut tx,
                Some(account.id),
                &account.email,
                Language::of(account.locale.as_deref()),
                &Letter::EmailChanged {
                    new_email: new_email.clone(),
                },
            )
            .await?;
            new_email
        }
        _ => {
            sqlx::query("UPDATE users SET email_verified = true WHERE id = $1")
                .bind(account.id)
                .execute(&mut *tx)
                .await?;
            account.email.clone()
        }
    };
    tx.commit().await?;
    state.postman.wake();
    state
        .throttle
        .record_login_success(&state.db, &account.email, ip)
        .await?;
    Ok(Json(EmailStatus {
        email,
        email_verified: true,
    }))
}

#[utoipa::path(get, path = "/api/v1/user/sessions", tag = "account", security(("bearer" = [])),
    responses((status = 200, body = Vec<SignIn>)))]
pub async fn list_sign_ins(
    State(state): State<AppState>,
    user: AuthSignIn,
) -> ApiResult<Json<Vec<SignIn>>> {
    account_by_id(&state, user.id).await?;
    Ok(Json(
        state
            .sessions
            .list(&state.db, user.id, user.sign_in.as_deref())
            .await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/user/sessions/{id}", tag = "account", security(("bearer" = [])),
    params(("id" = String, Path, description = "A sign-in's id from `GET /user/sessions`")),
    responses((status = 204, description = "That sign-in has ended; its tokens are refused at once"),
              (status = 404, body = ava_model::ErrorEnvelope, description = "No live sign-in of this account has that id")))]
pub async fn end_sign_in(
    State(state): State<AppState>,
    user: AuthSignIn,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    if state.sessions.end_one(&state.db, user.id, &id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::RouteNotFound(
            "no live sign-in of this account has that id".to_owned(),
        ))
    }
}

#[utoipa::path(get, path = "/api/v1/user/export", tag = "account", security(("bearer" = [])),
    responses((status = 200, description = "Everything the server holds about the account, as one JSON file (`ava-export/1`); credentials as previews only",
               content_type = "application/json", body = Object,
               headers(("Content-Disposition" = String, description = "`attachment; filename=\"ava-export-<date>.json\"`")))))]
pub async fn export(
    State(state): State<AppState>,
    user: AuthSignIn,
) -> ApiResult<impl IntoResponse> {
    let me: MeRow = sqlx::query_as(&SELECT_ME)
        .bind(user.id)
        .fetch_optional(&state.db)
        .await?
        .ok_or_else(ApiError::account_gone)?;
    let (created_at, email_verified): (chrono::DateTime<Utc>, bool) =
        sqlx::query_as("SELECT created_at, email_verified FROM users WHERE id = $1")
            .bind(user.id)
            .fetch_one(&state.db)
            .await?;
    let vapi: Option<String> =
        sqlx::query_scalar("SELECT vapi_api_key_preview FROM vapi_credentials WHERE user_id = $1")
            .bind(user.id)
            .fetch_optional(&state.db)
            .await?;
    let twilio: Option<(String, Option<String>)> = sqlx::query_as(
        "SELECT account_sid, phone_number FROM twilio_credentials WHERE user_id = $1",
    )
    .bind(user.id)
    .fetch_optional(&state.db)
    .await?;
    let assistants: Vec<Value> = sqlx::query_scalar(
        "SELECT json_build_object('id', id, 'vapi_assistant_id', vapi_assistant_id, 'name', name,
                                  'created_at', created_at, 'payload', payload)
         FROM assistants WHERE user_id = $1 ORDER BY id",
    )
    .bind(user.id)
    .fetch_all(&state.db)
    .await?;
    let events: Vec<Value> = sqlx::query_scalar(
        "SELECT json_build_object('id', id, 'name', name, 'occurred_at', occurred_at,
                                  'received_at', received_at, 'properties', properties,
                                  'context', context)
         FROM onboarding_events WHERE user_id = $1 ORDER BY occurred_at, id",
    )
    .bind(user.id)
    .fetch_all(&state.db)
    .await?;
    let sessions = state
        .sessions
        .list(&state.db, user.id, user.sign_in.as_deref())
        .await?;
    let now = Utc::now();
    let document = json!({
        "format": EXPORT_FORMAT,
        "exported_at": now,
        "account": {
            "id": me.id,
            "email": me.email,
            "email_verified": email_verified,
            "created_at": created_at,
            "onboarding_completed": me.onboarding_completed,
            "onboarding_completed_at": me.onboarding_completed_at,
        },
        "profile": profile_of(&me.profile),
        "studio_config": studio_of(&me.studio_config),
        "onboarding": flags_of(&me.flags),
        "credentials": {
            "vapi": {"has_vapi_key": vapi.is_some(), "vapi_api_key_preview": vapi},
            "twilio": {
                "has_credentials": twilio.is_some(),
                "account_sid_preview": twilio.as_ref().and_then(|(sid, _)| ava_model::AccountSid::parse(sid).ok()).map(|s| s.preview()),
                "phone_number": twilio.and_then(|(_, number)| number),
            },
        },
        "assistants": assistants,
        "events": events,
        "sessions": sessions,
    });
    let disposition = format!(
        "attachment; filename=\"{}\"",
        ava_model::export_file_name(now.date_naive())
    );
    Ok(([(header::CONTENT_DISPOSITION, disposition)], Json(document)))
}

#[utoipa::path(post, path = "/api/v1/user/delete", tag = "account", security(("bearer" = [])),
    request_body = crate::openapi::placeholders::AccountDeletionBody,
    responses((status = 200, body = DeletionReceipt, description = "The account and every row of it are gone; with `delete`, its assistants were deleted in Vapi first (failures listed)"),
              (status = 422, body = ava_model::ErrorEnvelope, description = "`password` (`wrong_password`)")))]
pub async fn delete_account(
    State(state): State<AppState>,
    user: AuthSignIn,
    ClientIp(ip): ClientIp,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<DeletionReceipt>> {
    let deletion = AccountDeletion::from_json(&body)?;
    let account = account_by_id(&state, user.id).await?;
    check_password(&state, &account, ip, deletion.password.expose(), "password").await?;
    let mut vapi = VapiCleanUp::default();
    if deletion.vapi_assistants == VapiAssistantsOnDeletion::Delete {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT vapi_assistant_id FROM assistants WHERE user_id = $1 ORDER BY id",
        )
        .bind(account.id)
        .fetch_all(&state.db)
        .await?;
        // Without a key the server cannot reach the owner's Vapi: every one is listed as not
        // deleted, and the deletion goes on.
        let key = crate::routes::credentials::stored_vapi_key(&state, account.id)
            .await
            .ok()
            .flatten();
        for id in ids {
            let done = match &key {
                Some(key) => match state.vapi.delete_assistant(key, &id).await {
                    Ok(()) => true,
                    Err(error) if error.status() == Some(404) => true,
                    Err(error) => {
                        tracing::warn!(user_id = account.id, %error, "an assistant could not be deleted in Vapi");
                        false
                    }
                },
                None => false,
            };
            if done {
                vapi.deleted.push(id);
            } else {
                vapi.failed.push(id);
            }
        }
    }
    let mut tx = state.db.begin().await?;
    let ended = state.sessions.end_all(&mut tx, account.id).await?;
    if state.forwarder.erases() {
        // Its person in PostHog goes too (events not forwarded yet go with the account).
        sqlx::query(
            "INSERT INTO analytics_erasures (distinct_id)
             SELECT analytics_id::text FROM users WHERE id = $1",
        )
        .bind(account.id)
        .execute(&mut *tx)
        .await?;
    }
    // Mail still waiting for this account (a code) is not sent to an account that is gone.
    sqlx::query("DELETE FROM mail_outbox WHERE user_id = $1")
        .bind(account.id)
        .execute(&mut *tx)
        .await?;
    // Every other table holding `user_id` cascades from this row (a test walks them all).
    sqlx::query("DELETE FROM users WHERE id = $1")
        .bind(account.id)
        .execute(&mut *tx)
        .await?;
    mail::queue(
        &mut tx,
        None,
        &account.email,
        Language::of(account.locale.as_deref()),
        &Letter::AccountDeleted,
    )
    .await?;
    tx.commit().await?;
    state.sessions.announce_ended(&ended);
    state.postman.wake();
    tracing::info!(
        user_id = account.id,
        "an account was deleted at its owner's request"
    );
    Ok(Json(DeletionReceipt {
        deleted: true,
        vapi,
    }))
}
