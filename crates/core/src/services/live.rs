//! Keeps the live assistant in Vapi the same as what the owner edits after creating it: her
//! instructions, voice, the languages she hears and where she hands calls over.
//!
//! No queue of edits is kept: the draft already holds the latest of everything, and the
//! draft remembers the assistant as Vapi last confirmed it ([`Draft::live_assistant`]). While
//! the two differ, one PATCH carries the whole assistant as the draft describes it *at the
//! moment it is sent*. So edits made offline or during a request coalesce into the next one,
//! a retry can only send something newer than what it retries, a change that comes back to
//! what Vapi has sends nothing, and a crash loses nothing (both halves are in the draft file).
//! A round works for one session: an account switch during its request confirms nothing in
//! the next account's draft.
//!
//! [`Draft::live_assistant`]: crate::rules::state::Draft::live_assistant

use std::sync::Weak;

use ava_ipc::AssistantSync;
use ava_model::UiError;

use crate::context::{Context, woken_or_until};
use crate::error::CoreError;
use crate::rules::assistant::{assistant_body, live_spec, update_request};
use crate::services::credentials::vapi_key;
use crate::services::pull::pull_once;
use crate::store::session::Session;
use ava_vapi::CreateAssistant;

/// What one round did.
enum Round {
    /// Vapi has what the draft describes (or there is no assistant).
    Settled,
    /// An update landed; the draft may have changed meanwhile: look again at once.
    Sent,
}

fn set_assistant_sync(ctx: &Context, state: AssistantSync, error: Option<UiError>) {
    ctx.status.change_if(|s| {
        if s.assistant == state && s.assistant_error == error {
            return false;
        }
        s.assistant = state;
        s.assistant_error = error;
        true
    });
}

/// The update the draft describes now (the assistant's id, the request, and its body to
/// compare with Vapi's), or `None` when Vapi already has it or there is no assistant.
fn wanted_update(
    ctx: &Context,
    session: &Session,
) -> Result<Option<(String, CreateAssistant, serde_json::Value)>, CoreError> {
    // The server keeps her (it holds the key): this computer only says how it stands, and
    // sends Vapi nothing, so one builder applies the owner's answers, in the order they came.
    let kept_by_server = ctx.drafts.read_in(session, |draft| {
        draft.server_keeps_live_up_to_date().map(|up_to_date| {
            let error = draft.server_live.as_ref().and_then(|l| l.error.clone());
            (up_to_date, error)
        })
    })?;
    if let Some((up_to_date, error)) = kept_by_server {
        let (state, error) = match error {
            Some(why) => (
                AssistantSync::Failed,
                Some(UiError::new(ava_model::ErrorCode::VapiRefused, why)),
            ),
            None if up_to_date => (AssistantSync::UpToDate, None),
            None => (AssistantSync::Updating, None),
        };
        set_assistant_sync(ctx, state, error);
        return Ok(None);
    }
    let (wanted, confirmed) = ctx.drafts.read_in(session, |draft| {
        let wanted = live_spec(draft).map(|built| {
            built.map(|(id, spec)| {
                (
                    id,
                    update_request(draft, &spec),
                    assistant_body(draft, &spec),
                )
            })
        });
        (wanted, draft.live_assistant.clone())
    })?;
    let Some(wanted) = wanted else {
        let created_elsewhere = ctx
            .drafts
            .read_in(session, |d| d.flags.onboarding_assistant_created)?;
        let state = if created_elsewhere {
            AssistantSync::UpdatedElsewhere
        } else {
            AssistantSync::NotCreated
        };
        set_assistant_sync(ctx, state, None);
        return Ok(None);
    };
    let (id, request, body) = wanted?;
    if confirmed.as_ref() == Some(&body) {
        set_assistant_sync(ctx, AssistantSync::UpToDate, None);
        return Ok(None);
    }
    Ok(Some((id, request, body)))
}

/// Sends the assistant as the draft describes it, if Vapi has something else.
async fn update_once(ctx: &Context) -> Result<Round, CoreError> {
    let session = ctx.sessions.current();
    if wanted_update(ctx, &session)?.is_none() {
        return Ok(Round::Settled);
    }
    set_assistant_sync(ctx, AssistantSync::Updating, None);
    // The assistant goes whole, so it is built from the newest state there is: what other
    // computers saved is merged first. A computer that cannot reach the server waits rather
    // than put its older copy back on the live assistant.
    pull_once(ctx).await?;
    let Some((id, request, body)) = wanted_update(ctx, &session)? else {
        return Ok(Round::Settled);
    };
    let key = vapi_key(ctx, &session.scope()).await?;
    ctx.providers
        .vapi
        .update_assistant(&key, &id, &request)
        .await?;
    ctx.drafts
        .edit_in(&session, |draft| draft.live_assistant = Some(body))?;
    Ok(Round::Sent)
}

/// The background task: a round after every change to the draft; what the network caused is
/// tried again with backoff (without limit: the edit must arrive); a refusal waits for the
/// next edit, which may fix it.
pub(crate) async fn live_loop(ctx: Weak<Context>) {
    let mut attempt: u32 = 0;
    loop {
        let Some(strong) = ctx.upgrade() else {
            return;
        };
        let wait = match update_once(&strong).await {
            Ok(Round::Sent) | Err(CoreError::SessionChanged) => {
                attempt = 0;
                continue;
            }
            Ok(Round::Settled) => {
                attempt = 0;
                None
            }
            Err(CoreError::Api(error)) if error.is_transient() => {
                // Not sure to hold the newest state: nothing is sent until the server is back.
                let waiting = UiError::new(
                    ava_model::ErrorCode::Offline,
                    "waiting for Ava's server, so the live assistant is built from your newest settings",
                );
                tracing::debug!(code = %error.code(), "the live assistant waits for a pull");
                set_assistant_sync(&strong, AssistantSync::Updating, Some(waiting));
                let delay = strong.config.retry.delay(attempt);
                attempt = attempt.saturating_add(1);
                Some(delay)
            }
            Err(CoreError::Provider(error)) if error.is_transient() => {
                let error = CoreError::Provider(error);
                set_assistant_sync(&strong, AssistantSync::Updating, Some(error.to_ui()));
                let delay = strong.config.retry.delay(attempt);
                attempt = attempt.saturating_add(1);
                Some(delay)
            }
            Err(error) => {
                tracing::warn!(code = %error.code(), "the live assistant was not updated");
                set_assistant_sync(&strong, AssistantSync::Failed, Some(error.to_ui()));
                attempt = 0;
                None
            }
        };
        let wake = strong.wake.live.clone();
        drop(strong);
        let until = wait.map(|delay| tokio::time::Instant::now() + delay);
        woken_or_until(&wake, until).await;
    }
}
