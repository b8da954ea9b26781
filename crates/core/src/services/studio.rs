//! After launch: trying Ava in text ("Talk to Ava", Vapi's chat API), a test call to the
//! owner's phone, and her recent calls.

use ava_ipc::{CallView, ChatView};
use ava_model::{FieldError, FieldErrors, Text};
use secrecy::SecretString;

use crate::context::Context;
use crate::error::{CoreError, Precondition};
use crate::rules::assistant::live_spec;
use crate::rules::chat::{CHAT_MAX, ChatSession};
use crate::rules::view::call_view;
use crate::services::credentials::vapi_key;
use crate::store::secrets::SecretName;

/// How many calls the home lists.
pub const CALLS_SHOWN: u32 = 20;

/// The live assistant's id and the Vapi key, or what is missing.
async fn assistant_and_key(ctx: &Context) -> Result<(String, SecretString), CoreError> {
    let assistant_id = ctx
        .drafts
        .read(|d| d.provisioning.as_ref().and_then(|p| p.assistant_id.clone()))
        .ok_or(CoreError::Precondition(Precondition::AssistantMissing))?;
    let key = vapi_key(ctx, &ctx.sessions.current().scope()).await?;
    Ok((assistant_id, key))
}

fn chat_session(ctx: &Context) -> std::sync::MutexGuard<'_, ChatSession> {
    ctx.chat
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// One turn of "Talk to Ava": the owner's words, then hers, added to the conversation.
pub(crate) async fn chat(ctx: &Context, text: &str) -> Result<ChatView, CoreError> {
    let text = Text::parse(text, CHAT_MAX).map_err(|v| {
        FieldErrors(vec![FieldError::new(
            ava_model::FormField::Chat.as_str(),
            v,
        )])
    })?;
    let (assistant_id, key) = assistant_and_key(ctx).await?;
    // One turn at a time: the next continues from this one's chat id.
    let _one_turn = ctx.turns.chatting.lock().await;
    let previous = chat_session(ctx).previous_chat_id.clone();
    let chat = ctx
        .providers
        .with_retries(|| {
            ctx.providers
                .vapi
                .chat(&key, &assistant_id, text.as_str(), previous.as_deref())
        })
        .await?;
    let answer = chat.answer();
    chat_session(ctx).answered(chat.id, text.as_str(), answer);
    Ok(chat_view(ctx))
}

/// The conversation so far, with the instructions Ava runs on beside it.
pub(crate) fn chat_view(ctx: &Context) -> ChatView {
    let system_prompt = ctx.drafts.read(|draft| match live_spec(draft) {
        Some(Ok((_, spec))) => Some(spec.instructions.as_str().to_owned()),
        _ => None,
    });
    ChatView {
        lines: chat_session(ctx).lines.clone(),
        system_prompt,
    }
}

/// Starts over: the next turn opens a new chat in Vapi.
pub(crate) fn new_chat(ctx: &Context) -> ChatView {
    *chat_session(ctx) = ChatSession::default();
    chat_view(ctx)
}

/// "Call my phone": Ava calls `number` from the attached number, so the owner hears her. A
/// trial Twilio account is checked first: it can call verified numbers only, and the owner is
/// told so before a call that would fail. Placing a call is not idempotent, so only a 429
/// (refused before anything happened) is asked again. A test call is only a test: where Ava
/// hands calls over is the owner's phone of step 5, set on purpose, not whoever was rung last.
pub(crate) async fn call_me(ctx: &Context, number: &str) -> Result<CallView, CoreError> {
    let number = ava_model::PhoneNumber::normalize(number, None).map_err(|v| {
        FieldErrors(vec![FieldError::new(
            ava_model::FormField::CallTo.as_str(),
            v,
        )])
    })?;
    let (assistant_id, key) = assistant_and_key(ctx).await?;
    let (from, twilio) = ctx.drafts.read(|d| {
        (
            d.provisioning
                .as_ref()
                .and_then(|p| p.phone_number_id.clone()),
            d.twilio.clone(),
        )
    });
    let from = from.ok_or(CoreError::Precondition(Precondition::NumberMissing))?;
    let scope = ctx.sessions.current().scope();
    if let Some(twilio) = twilio.filter(|t| t.trial)
        && let Some(token) = ctx.vault.get(&scope, SecretName::TwilioAuthToken).await?
    {
        let verified = ctx
            .providers
            .with_retries(|| {
                ctx.providers.twilio.is_verified_caller_id(
                    &twilio.account_sid,
                    &token,
                    number.as_str(),
                )
            })
            .await?;
        if !verified {
            return Err(CoreError::Precondition(
                Precondition::TrialNumberNotVerified,
            ));
        }
    }
    let mut attempt = 0;
    let call = loop {
        match ctx
            .providers
            .vapi
            .create_call(&key, &assistant_id, &from, number.as_str())
            .await
        {
            Err(error) if error.status() == Some(429) && attempt < 2 => {
                tokio::time::sleep(ctx.config.retry.delay(attempt)).await;
                attempt += 1;
            }
            other => break other?,
        }
    };
    let view = business_call_view(ctx, call);
    ctx.to_window
        .test_call
        .send_replace(Some(ava_ipc::TestCallUpdate {
            call: view.clone(),
            problem: None,
        }));
    Ok(view)
}

/// How many times a test call is looked at before it is left alone (20 minutes at the
/// product's pace: a test call is short, and a line that never ends must not be asked about
/// for ever).
const CALL_LOOKS: u32 = 600;

/// Follows the test call `id` until it ends: asks Vapi where it stands every
/// [`crate::CoreConfig::call_poll`] and publishes each answer (a failed look says why; the
/// next one is tried).
pub(crate) async fn follow_call(ctx: std::sync::Weak<Context>, id: String) {
    for _ in 0..CALL_LOOKS {
        let Some(pace) = ctx.upgrade().map(|c| c.config.call_poll) else {
            return;
        };
        tokio::time::sleep(pace).await;
        let Some(ctx) = ctx.upgrade() else {
            return;
        };
        let update = match call_status(&ctx, &id).await {
            Ok(call) => ava_ipc::TestCallUpdate {
                call,
                problem: None,
            },
            Err(error) => {
                let last = ctx
                    .to_window
                    .test_call
                    .borrow()
                    .as_ref()
                    .map(|u| u.call.clone());
                let Some(call) = last.filter(|c| c.id == id) else {
                    return;
                };
                ava_ipc::TestCallUpdate {
                    call,
                    problem: Some(error.to_ui()),
                }
            }
        };
        let ended = update.call.status.as_deref() == Some("ended");
        ctx.to_window.test_call.send_replace(Some(update));
        if ended {
            return;
        }
    }
}

/// Where a call stands now.
pub(crate) async fn call_status(ctx: &Context, id: &str) -> Result<CallView, CoreError> {
    let (_, key) = assistant_and_key(ctx).await?;
    let call = ctx
        .providers
        .with_retries(|| ctx.providers.vapi.get_call(&key, id))
        .await?;
    Ok(business_call_view(ctx, call))
}

/// The assistant's [`CALLS_SHOWN`] most recent calls, newest first, whatever order Vapi lists
/// them in (see [`crate::rules::call_search`]).
pub(crate) async fn recent_calls(ctx: &Context) -> Result<Vec<CallView>, CoreError> {
    let (assistant_id, key) = assistant_and_key(ctx).await?;
    let created = ctx
        .drafts
        .read(|d| d.provisioning.as_ref().map(|p| p.started_at));
    let now = chrono::Utc::now();
    // No call predates the assistant; a few minutes either way for the clocks of this
    // computer and of Vapi.
    let skew = chrono::Duration::minutes(10);
    let floor = created.map_or(now - chrono::Duration::days(365), |c| c - skew);
    let calls = crate::rules::call_search::newest(
        |window, limit| {
            let limit = u32::try_from(limit).unwrap_or(CALLS_SHOWN);
            let (key, assistant_id) = (&key, assistant_id.as_str());
            ctx.providers.with_retries(move || {
                ctx.providers
                    .vapi
                    .list_calls(key, assistant_id, window, limit)
            })
        },
        (floor, now + skew),
        CALLS_SHOWN as usize,
        |call: &ava_vapi::Call| {
            chrono::DateTime::parse_from_rfc3339(&call.created_at)
                .map_or(chrono::DateTime::<chrono::Utc>::MIN_UTC, |t| t.to_utc())
        },
    )
    .await?;
    Ok(calls
        .into_iter()
        .map(|call| business_call_view(ctx, call))
        .collect())
}

/// A call with its start on the business's clock (step 1's time zone).
fn business_call_view(ctx: &Context, call: ava_vapi::Call) -> CallView {
    let zone = ctx.drafts.read(|d| d.profile.timezone.clone());
    call_view(call, zone.as_ref())
}
