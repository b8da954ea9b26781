//! The live assistant, kept up to date by the server when it holds the owner's Vapi key.
//!
//! An owner edits on any computer; only a computer that holds the key can tell Vapi, so
//! without this an edit made elsewhere waits for that computer to be open. When the key is on
//! the server (the default; "keys on this computer only" keeps it off), the server applies the
//! owner's answers to the assistant a computer created and recorded, built by the same
//! functions the computers use (`ava_vapi::build`), and the computers leave it to the server.
//!
//! No queue is kept: `users.revision` says what the owner last wrote and
//! `users.live_applied_revision` what the live assistant was last built from; `users.live_kept`
//! (kept by triggers on the key and the recorded assistants) says whether the server keeps this
//! account's assistant at all, so other accounts' writes never become due. Every replica
//! claims due accounts with a short lease (`FOR UPDATE SKIP LOCKED`, so two replicas never take
//! the same one), builds the assistant from what the database holds *then*, PATCHes Vapi, and
//! records what it applied only if nothing was written meanwhile; otherwise the account stays
//! due and the next pass builds the newer state. A restart or a crash loses nothing: the lease
//! runs out and the account is due again. Recording an application moves the revision too, so
//! the computers' next "anything new?" hears that Ava is up to date (or why she is not).

use std::time::Duration;

use ava_vapi::build::{self, Answers};
use serde_json::Value;

use crate::AppState;
use crate::routes::credentials::stored_vapi_key;
use crate::rows::{MeRow, SELECT_ME, profile_of, studio_of};

/// How long a claimed account is held for the replica that claimed it: past one Vapi call with
/// its timeout, so a replica that died mid-call hands it on.
const LEASE_SECONDS: f64 = 60.0;
/// Accounts claimed per pass.
const BATCH: i64 = 16;
/// How often a replica looks for due accounts when it found none.
const IDLE: Duration = Duration::from_millis(500);
/// How long a replica waits after a pass the database could not answer.
const AFTER_FAILURE: Duration = Duration::from_secs(5);
/// Failed tries (Vapi away, a 5xx) before the owner is told the update did not go through; the
/// next edit tries again.
const MAX_ATTEMPTS: i32 = 8;

/// The worker every replica runs for its life.
pub async fn keep_assistants_up_to_date(state: AppState) {
    loop {
        let pause = match pass(&state).await {
            Ok(claimed) if claimed > 0 => continue,
            Ok(_) => IDLE,
            Err(error) => {
                // The database is away: one line per try, not one per half second.
                tracing::warn!(%error, "live assistants: pass failed; trying again");
                AFTER_FAILURE
            }
        };
        tokio::time::sleep(pause).await;
    }
}

/// One pass: claims what is due and applies each; returns how many were claimed.
pub async fn pass(state: &AppState) -> Result<usize, sqlx::Error> {
    let claimed: Vec<(i32, i64)> = sqlx::query_as(
        "UPDATE users SET live_due_at = now() + make_interval(secs => $1)
         WHERE id IN (SELECT id FROM users
                      WHERE live_kept AND revision > live_applied_revision
                        AND live_due_at <= now()
                      ORDER BY live_due_at LIMIT $2 FOR UPDATE SKIP LOCKED)
         RETURNING id, revision",
    )
    .bind(LEASE_SECONDS)
    .bind(BATCH)
    .fetch_all(&state.db)
    .await?;
    for (user_id, revision) in &claimed {
        apply(state, *user_id, *revision).await?;
    }
    Ok(claimed.len())
}

/// What the account's live assistant is built from, when the server keeps it.
struct Kept {
    row: MeRow,
    assistant_id: String,
    name: String,
    phone_number: Option<String>,
    key: secrecy::SecretString,
    applied: Option<Value>,
    attempts: i32,
}

/// Whether the server keeps the account's assistant.
enum Keeping {
    /// No key here, no assistant a computer recorded, or no account any more.
    Nothing,
    Kept(Box<Kept>),
    /// The stored key cannot be read with this replica's keys (a key rotation half done):
    /// tried again later, never taken for "nothing to keep".
    Unreadable,
}

/// The account's assistant as the server keeps it.
async fn kept(state: &AppState, user_id: i32) -> Result<Keeping, sqlx::Error> {
    let Some(row) = sqlx::query_as::<_, MeRow>(&SELECT_ME)
        .bind(user_id)
        .fetch_optional(&state.db)
        .await?
    else {
        return Ok(Keeping::Nothing);
    };
    let key = match stored_vapi_key(state, user_id).await {
        Ok(Some(key)) => key,
        Ok(None) => return Ok(Keeping::Nothing),
        Err(error) => {
            tracing::error!(user_id, %error, "live assistant: the stored Vapi key cannot be read here");
            return Ok(Keeping::Unreadable);
        }
    };
    let assistant: Option<(String, String)> = sqlx::query_as(
        "SELECT vapi_assistant_id, name FROM assistants
         WHERE user_id = $1 AND payload -> 'metadata' ? 'provisioning_id'
         ORDER BY created_at DESC LIMIT 1",
    )
    .bind(user_id)
    .fetch_optional(&state.db)
    .await?;
    let Some((assistant_id, name)) = assistant else {
        return Ok(Keeping::Nothing);
    };
    let (phone_number, applied, attempts): (Option<String>, Option<Value>, i32) = sqlx::query_as(
        "SELECT (SELECT phone_number FROM twilio_credentials WHERE user_id = u.id),
                u.live_applied_body, u.live_attempts
         FROM users u WHERE u.id = $1",
    )
    .bind(user_id)
    .fetch_one(&state.db)
    .await?;
    Ok(Keeping::Kept(Box::new(Kept {
        row,
        assistant_id,
        name,
        phone_number,
        key,
        applied,
        attempts,
    })))
}

/// Tries the account again after a pause that doubles with each failed try (5 s to 10 min).
async fn later(state: &AppState, user_id: i32, attempts: i32) -> Result<(), sqlx::Error> {
    let delay = 5.0 * 2f64.powi(attempts.min(7));
    sqlx::query(
        "UPDATE users SET live_attempts = live_attempts + 1,
                          live_due_at = now() + make_interval(secs => $2)
         WHERE id = $1",
    )
    .bind(user_id)
    .bind(delay)
    .execute(&state.db)
    .await?;
    Ok(())
}

async fn apply(state: &AppState, user_id: i32, revision: i64) -> Result<(), sqlx::Error> {
    let kept = match kept(state, user_id).await? {
        Keeping::Kept(kept) => kept,
        Keeping::Unreadable => {
            let attempts: i32 = sqlx::query_scalar("SELECT live_attempts FROM users WHERE id = $1")
                .bind(user_id)
                .fetch_one(&state.db)
                .await?;
            return later(state, user_id, attempts).await;
        }
        Keeping::Nothing => {
            // Nothing for the server to keep: a computer with the key does it, if any.
            sqlx::query(
                "UPDATE users SET live_applied_revision = $2, live_due_at = now()
                 WHERE id = $1 AND revision = $2",
            )
            .bind(user_id)
            .bind(revision)
            .execute(&state.db)
            .await?;
            return Ok(());
        }
    };
    let profile = profile_of(&kept.row.profile);
    let studio = studio_of(&kept.row.studio_config);
    let answers = Answers {
        profile: &profile,
        studio: &studio,
        phone_number: kept.phone_number.as_deref(),
    };
    let request = match build::live_update(&answers, &kept.name) {
        Ok(request) => request,
        Err(errors) => {
            let why = errors
                .0
                .iter()
                .map(|e| format!("{}: {}", e.field, e.code()))
                .collect::<Vec<_>>()
                .join(", ");
            return settle(state, user_id, revision, kept.applied.as_ref(), Some(&why)).await;
        }
    };
    let body = build::update_body(&request);
    if kept.applied.as_ref() == Some(&body) {
        // Vapi already runs this (a write that changed nothing she says, a flag).
        return settle(state, user_id, revision, Some(&body), None).await;
    }
    match state
        .vapi
        .update_assistant(&kept.key, &kept.assistant_id, &request)
        .await
    {
        Ok(_) => {
            tracing::info!(user_id, revision, "live assistant updated by the server");
            settle(state, user_id, revision, Some(&body), None).await
        }
        Err(error) if error.is_transient() && kept.attempts + 1 < MAX_ATTEMPTS => {
            tracing::info!(user_id, %error, "live assistant: Vapi did not answer; trying again");
            later(state, user_id, kept.attempts).await
        }
        Err(error) => {
            tracing::warn!(user_id, %error, "live assistant: Vapi refused the update");
            let why = error.to_string();
            settle(state, user_id, revision, kept.applied.as_ref(), Some(&why)).await
        }
    }
}

/// Records what the live assistant now runs (`applied`) and why an update did not go through
/// (`error`), as of `revision`, moving the revision so the computers hear it. A write that came
/// in meanwhile wins: the account stays due, and only what Vapi now runs is kept.
async fn settle(
    state: &AppState,
    user_id: i32,
    revision: i64,
    applied: Option<&Value>,
    error: Option<&str>,
) -> Result<(), sqlx::Error> {
    let settled = sqlx::query(
        "UPDATE users SET revision = revision + 1, live_applied_revision = revision + 1,
                          live_applied_body = $3, live_error = $4, live_attempts = 0,
                          live_due_at = now()
         WHERE id = $1 AND revision = $2",
    )
    .bind(user_id)
    .bind(revision)
    .bind(applied)
    .bind(error)
    .execute(&state.db)
    .await?;
    if settled.rows_affected() == 0 {
        sqlx::query(
            "UPDATE users SET live_applied_body = $2, live_attempts = 0, live_due_at = now()
             WHERE id = $1",
        )
        .bind(user_id)
        .bind(applied)
        .execute(&state.db)
        .await?;
    }
    Ok(())
}
