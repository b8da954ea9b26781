//! Sync: the background task that empties the outbox (then sends the onboarding events), with
//! backoff, silent token renewal, and refusals set aside where the user can see them.
//!
//! A round works for the session current when it starts, and only for it: its token, its
//! keychain scope, its draft. Every read of the draft and every acknowledgement goes through
//! that session, so a round still waiting on a slow request when the owner signs out (or
//! another account signs in) ends there; it can neither send the next account's keys or edits
//! with the old token nor acknowledge the next account's outbox.

use std::sync::Weak;

use ava_ipc::SyncState;
use ava_model::FormField;
use secrecy::SecretString;
use serde_json::Value;

use crate::api::ApiError;
use crate::context::{Context, woken_or_until};
use crate::error::CoreError;
use crate::rules::state::{Outbox, OutboxPart};
use crate::services::accounts::{renew_session, token_subject};
use crate::store::secrets::SecretName;
use crate::store::session::Session;

/// Runs one sync round now and reports how it went (the sync task also runs on its own).
pub(crate) async fn sync_now(ctx: &Context) -> Result<(), CoreError> {
    sync_once(ctx).await
}

/// Until when events wait after a refused batch, if they do.
fn events_paused_until(ctx: &Context) -> Option<tokio::time::Instant> {
    let pause = ctx.events_pause.lock().unwrap_or_else(|p| p.into_inner());
    pause.1.filter(|until| *until > tokio::time::Instant::now())
}

/// The status for `state`, with the outbox as `session`'s draft has it now.
fn set_status(
    ctx: &Context,
    session: &Session,
    state: SyncState,
    error: Option<ava_model::UiError>,
) {
    let Ok((pending, refused)) = ctx
        .drafts
        .read_in(session, |d| (d.outbox.len(), d.refused.clone()))
    else {
        // Another session is current: its own round says how it stands.
        return;
    };
    ctx.status.change(|s| {
        s.state = state;
        s.pending = pending;
        s.refused = refused;
        s.error = error;
    });
}

/// Sends one part of the outbox and settles it in `session`'s draft: acknowledged when the
/// server took it; refused values set aside (and shown) when its rules turned them down.
async fn deliver<T>(
    ctx: &Context,
    session: &Session,
    part: Outbox,
    request: impl std::future::Future<Output = Result<T, ApiError>>,
) -> Result<(), CoreError> {
    match request.await {
        Ok(_) => Ok(ctx.drafts.edit_in(session, |d| d.acknowledge(&part))?),
        Err(ApiError::Invalid(problems)) => {
            ctx.drafts
                .edit_in(session, |d| d.refuse(&part, &problems))?;
            Err(ApiError::Invalid(problems).into())
        }
        Err(error) => Err(error.into()),
    }
}

/// A queued upload whose secret the keychain no longer holds: see
/// [`crate::rules::state::Draft::upload_impossible`].
fn upload_impossible(
    ctx: &Context,
    session: &Session,
    part: Outbox,
    field: FormField,
    what: &str,
) -> Result<(), CoreError> {
    let why = ava_model::UiError::new(
        ava_model::ErrorCode::SecretMissing,
        format!("{what} is no longer in this computer's keychain, so it was not sent to Ava's server: enter it again"),
    )
    .at(field);
    Ok(ctx
        .drafts
        .edit_in(session, |d| d.upload_impossible(&part, why))?)
}

/// Sends what the outbox holds; a refused access token is renewed once, silently, and the
/// round goes on with the new one.
async fn sync_once(ctx: &Context) -> Result<(), CoreError> {
    let session = ctx.sessions.current();
    let Some(token) = ctx.sessions.access_token(&session).await? else {
        set_status(ctx, &session, SyncState::SavedLocally, None);
        return Ok(());
    };
    // Tokens kept by an older build, or a keychain shared with another folder: one account's
    // changes never travel with another's token.
    if let Some(account) = session.account()
        && token_subject(&token).is_some_and(|holder| holder != account.id)
    {
        return Err(CoreError::Api(ApiError::SignInRequired {
            code: ava_model::ErrorCode::SignInRequired,
            message: format!(
                "this computer is signed in as another account: sign in as {} to send these changes",
                account.email
            ),
        }));
    }
    // Once the server has ended the sign-in (no refresh token left), more edits change
    // nothing until the user signs in again: no request per keystroke, no flicker.
    let status = ctx.status.now();
    if status.state == SyncState::SignInRequired
        && ctx.sessions.refresh_token(&session).await?.is_none()
    {
        let (code, message) = status.error.as_ref().map_or_else(
            || {
                (
                    ava_model::ErrorCode::SignInRequired,
                    "sign in again to send your changes".to_owned(),
                )
            },
            |e| (e.code.clone(), e.message.clone()),
        );
        return Err(CoreError::Api(ApiError::SignInRequired { code, message }));
    }
    match send_all(ctx, &session, &token).await {
        Err(CoreError::Api(refused @ ApiError::SignInRequired { .. })) => {
            match renew_session(ctx, &session, &token).await? {
                Some(renewed) => send_all(ctx, &session, &renewed).await,
                None => Err(CoreError::Api(refused)),
            }
        }
        other => other,
    }
}

/// The outbox, then the onboarding events.
async fn send_all(ctx: &Context, session: &Session, token: &SecretString) -> Result<(), CoreError> {
    send_outbox(ctx, session, token).await?;
    send_events(ctx, session, token).await
}

/// The recorded events, in batches, oldest first. A batch the server refused names the bad
/// events (`events[3].…`): those are dropped (resending them cannot help), the rest go again.
async fn send_events(
    ctx: &Context,
    session: &Session,
    token: &SecretString,
) -> Result<(), CoreError> {
    if events_paused_until(ctx).is_some() {
        return Ok(());
    }
    loop {
        let batch: Vec<ava_model::EventRecord> = ctx.drafts.read_in(session, |d| {
            let pending = &d.analytics.pending;
            pending[..pending.len().min(ava_model::EVENTS_PER_BATCH)].to_vec()
        })?;
        if batch.is_empty() {
            return Ok(());
        }
        let ids: Vec<String> = match ctx.api.post_events(token, &batch).await {
            Ok(_) => batch.iter().map(|e| e.id.clone()).collect(),
            Err(ApiError::Invalid(problems)) => {
                let refused: Vec<String> = problems
                    .iter()
                    .filter_map(|p| event_index(&p.field))
                    .filter_map(|i| batch.get(i).map(|e| e.id.clone()))
                    .collect();
                if refused.is_empty() {
                    // Nothing names an event: the whole batch is the problem.
                    batch.iter().map(|e| e.id.clone()).collect()
                } else {
                    tracing::warn!(
                        count = refused.len(),
                        "the server refused onboarding events; dropping them"
                    );
                    refused
                }
            }
            // Offline, or the sign-in to renew: as for everything else.
            Err(error @ (ApiError::Unreachable(_) | ApiError::SignInRequired { .. })) => {
                return Err(error.into());
            }
            Err(error) => {
                let mut pause = ctx.events_pause.lock().unwrap_or_else(|p| p.into_inner());
                pause.0 = pause.0.saturating_add(1);
                let delay = ctx.config.retry.delay(pause.0);
                pause.1 = Some(tokio::time::Instant::now() + delay);
                tracing::info!(
                    code = %error.code(),
                    ?delay,
                    "onboarding events not accepted; kept for later"
                );
                return Ok(());
            }
        };
        *ctx.events_pause.lock().unwrap_or_else(|p| p.into_inner()) = (0, None);
        ctx.drafts.edit_in(session, |d| d.analytics.sent(&ids))?;
    }
}

/// `3` from `events[3].properties.step_number`.
fn event_index(field: &str) -> Option<usize> {
    field
        .strip_prefix("events[")?
        .split(']')
        .next()?
        .parse()
        .ok()
}

/// One request per part of the outbox, acknowledging each as it lands.
async fn send_outbox(
    ctx: &Context,
    session: &Session,
    token: &SecretString,
) -> Result<(), CoreError> {
    let _turn = ctx.turns.exchanging.lock().await;
    let parts = ctx.drafts.read_in(session, |d| d.outbox.parts())?;
    if parts.is_empty() {
        set_status(ctx, session, SyncState::Synced, None);
        return Ok(());
    }
    set_status(ctx, session, SyncState::Syncing, None);
    for part in parts {
        send_part(ctx, session, token, part).await?;
    }
    let (left, server_keeps_live) = ctx
        .drafts
        .read_in(session, |d| (d.outbox.len(), d.server_live.is_some()))?;
    if server_keeps_live {
        // The server applies what just arrived to the live assistant: heard at the next pull,
        // which starts now.
        ctx.wake.pull.notify_one();
    }
    set_status(
        ctx,
        session,
        if left == 0 {
            SyncState::Synced
        } else {
            SyncState::Syncing
        },
        None,
    );
    Ok(())
}

async fn send_part(
    ctx: &Context,
    session: &Session,
    token: &SecretString,
    part: OutboxPart,
) -> Result<(), CoreError> {
    let settles = part.as_outbox();
    let api = &ctx.api;
    match part {
        OutboxPart::Profile(patch) => {
            deliver(ctx, session, settles, api.patch(token, &patch)).await
        }
        OutboxPart::Studio(patch) => deliver(ctx, session, settles, api.patch(token, &patch)).await,
        OutboxPart::Flags(patch) => deliver(ctx, session, settles, api.patch(token, &patch)).await,
        OutboxPart::VapiKey(false) => {
            deliver(ctx, session, settles, api.delete_vapi_key(token)).await
        }
        OutboxPart::Twilio(false) => deliver(ctx, session, settles, api.delete_twilio(token)).await,
        OutboxPart::VapiKey(true) | OutboxPart::Twilio(true) => {
            upload_secret(ctx, session, token, part, settles).await
        }
        OutboxPart::RecordAssistant => {
            let provisioning = ctx.drafts.read_in(session, |d| d.provisioning.clone())?;
            match provisioning
                .as_ref()
                .and_then(|p| Some((p, p.assistant_id.as_ref()?)))
            {
                Some((p, assistant_id)) => {
                    let metadata = Value::Object(crate::rules::assistant::record_metadata(p));
                    let request = api.record_assistant(token, assistant_id, &p.name, &metadata);
                    deliver(ctx, session, settles, request).await?;
                }
                // Nothing was created, so there is nothing to record.
                None => deliver(ctx, session, settles, std::future::ready(Ok(()))).await?,
            }
            ctx.drafts.edit_in(session, |d| {
                if let Some(p) = d.provisioning.as_mut() {
                    p.recorded = true;
                }
            })?;
            Ok(())
        }
        OutboxPart::Complete => deliver(ctx, session, settles, api.complete(token)).await,
    }
}

/// A key or token from the keychain to the server: checked still wanted ("keys on this
/// computer only" may have been turned on since the round began), sent and acknowledged as one
/// step that the switch waits for.
async fn upload_secret(
    ctx: &Context,
    session: &Session,
    token: &SecretString,
    part: OutboxPart,
    settles: Outbox,
) -> Result<(), CoreError> {
    let _one_upload = ctx.turns.uploading.lock().await;
    let still_wanted = ctx.drafts.read_in(session, |d| {
        !d.keys_local_only && d.outbox.parts().contains(&part)
    })?;
    if !still_wanted {
        return Ok(());
    }
    let scope = session.scope();
    if part == OutboxPart::VapiKey(true) {
        return match ctx.vault.get(&scope, SecretName::VapiKey).await? {
            Some(key) => deliver(ctx, session, settles, ctx.api.save_vapi_key(token, &key)).await,
            None => upload_impossible(
                ctx,
                session,
                settles,
                FormField::VapiApiKey,
                "Your Vapi key",
            ),
        };
    }
    let secret = ctx.vault.get(&scope, SecretName::TwilioAuthToken).await?;
    let public = ctx.drafts.read_in(session, |d| d.twilio.clone())?;
    match (secret, public) {
        (Some(secret), Some(public)) => {
            let phone = public.phone_number.as_deref();
            let request = ctx
                .api
                .save_twilio(token, &public.account_sid, &secret, phone);
            deliver(ctx, session, settles, request).await
        }
        _ => upload_impossible(
            ctx,
            session,
            settles,
            FormField::AuthToken,
            "Your Twilio auth token",
        ),
    }
}

/// The background sync: runs on every change and retries with backoff while the server is
/// away; stops asking the server after a 401 until the user signs in again.
pub(crate) async fn sync_loop(ctx: Weak<Context>) {
    let mut attempt: u32 = 0;
    loop {
        let Some(strong) = ctx.upgrade() else {
            return;
        };
        let outcome = sync_once(&strong).await;
        let retry = strong.config.retry;
        let mut until = None;
        let session = strong.sessions.current();
        let wait_for_change = match outcome {
            Ok(()) => {
                attempt = 0;
                // Edits that arrived during the round go out at once; signed out, nothing can
                // go out until a sign-in (which wakes the task); events refused a moment ago
                // wait for their pause (or an edit).
                let signed_out = strong.status.now().state == SyncState::SavedLocally;
                let (outbox_empty, events_waiting) = strong
                    .drafts
                    .read(|d| (d.outbox.is_empty(), !d.analytics.pending.is_empty()));
                until = events_paused_until(&strong);
                signed_out || (outbox_empty && (!events_waiting || until.is_some()))
            }
            // The session changed under the round: a new round, for the new session, now.
            Err(CoreError::SessionChanged) => {
                attempt = 0;
                false
            }
            Err(CoreError::Api(ApiError::SignInRequired { code, message })) => {
                // A sign-in ended for safety is said as such (the window tells the owner); any
                // other end is the plain "sign in again".
                let code = match code {
                    ava_model::ErrorCode::RefreshTokenReused => code,
                    _ => ava_model::ErrorCode::SignInRequired,
                };
                set_status(
                    &strong,
                    &session,
                    SyncState::SignInRequired,
                    Some(ava_model::UiError::new(code, message)),
                );
                true
            }
            Err(CoreError::Api(ApiError::Invalid(problems))) => {
                // The refused values were set aside as the answer came in; what is left goes
                // out after a pause, so a refusal that keeps coming back (Launch before the
                // terms reached the server) is asked again with backoff, not in a loop.
                let first = problems.first().map(|p| {
                    ava_model::UiError::new(p.code.clone(), &p.message).at_named(&p.field)
                });
                set_status(&strong, &session, SyncState::Failed, first);
                let delay = retry.delay(attempt);
                attempt = attempt.saturating_add(1);
                let queued = !strong.drafts.read(|d| d.nothing_to_send());
                let wake = strong.wake.sync.clone();
                drop(strong);
                if queued {
                    tokio::time::sleep(delay).await;
                } else {
                    wake.notified().await;
                }
                continue;
            }
            Err(error) => {
                let transient = matches!(&error, CoreError::Api(e) if e.is_transient());
                let state = if matches!(&error, CoreError::Api(ApiError::Unreachable(_))) {
                    SyncState::Offline
                } else {
                    SyncState::Failed
                };
                set_status(&strong, &session, state, Some(error.to_ui()));
                let delay = retry.delay(attempt);
                attempt = attempt.saturating_add(1);
                drop(strong);
                if !transient {
                    tracing::warn!(code = %error.code(), "sync failed; retrying with backoff");
                }
                tokio::time::sleep(delay).await;
                continue;
            }
        };
        if wait_for_change {
            let wake = strong.wake.sync.clone();
            drop(strong);
            woken_or_until(&wake, until).await;
        }
    }
}
