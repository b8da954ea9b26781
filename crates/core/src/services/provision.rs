//! Creating the assistant exactly once. Vapi has no idempotency (and its own SDKs retry
//! POSTs), so a provisioning id is saved in the draft before the first call and put in the
//! assistant's metadata; every retry, and every run after a restart, first lists recent
//! assistants and adopts the one carrying that id. The Twilio number is handled the same way:
//! an imported number is found by its number before importing again. A run works for the
//! session it started in: if the owner signs out or switches accounts meanwhile, it stops.

use ava_vapi::{ImportTwilioNumber, ListQuery, ProviderError, VapiClient};
use secrecy::SecretString;
use serde::Serialize;
use serde_json::Value;

use crate::context::Context;
use crate::error::CoreError;
use crate::rules::assistant::{assistant_body, assistant_request, build_spec, choices_patch};
use crate::rules::state::{AssistantChoices, Edit, Provisioning};
use crate::services::credentials::vapi_key;
use crate::services::pull::pull_once;
use crate::services::{sync, wizard};
use crate::store::secrets::SecretName;
use crate::store::session::Session;

/// What provisioning achieved; the UI shows it as a step list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProvisionReport {
    pub assistant_id: String,
    pub phone_number_id: Option<String>,
    /// False when the server could not be reached: the record waits in the outbox.
    pub recorded: bool,
}

const MARKER: &str = "ava_provisioning_id";

/// Creates the assistant, imports and attaches the Twilio number when one is set up, records
/// the result and sets the flag; safe to call again after any failure or restart.
pub(crate) async fn provision(
    ctx: &Context,
    choices: &AssistantChoices,
) -> Result<ProvisionReport, CoreError> {
    let _one_at_a_time = ctx.turns.provisioning.lock().await;
    let session = ctx.sessions.current();
    let key = vapi_key(ctx, &session.scope()).await?;
    // Built from the newest state there is when the server can say it; an owner creating
    // Ava while the server is away creates her from this computer's copy, and the live
    // assistant follows the server's once it is back.
    if let Err(error) = pull_once(ctx).await {
        tracing::info!(code = %error.code(), "creating the assistant without a pull");
    }
    let (spec, body, live, kept) = ctx.drafts.read_in(&session, |draft| {
        build_spec(draft, choices).and_then(|spec| {
            Ok((
                spec.clone(),
                assistant_request(draft, &spec),
                assistant_body(draft, &spec),
                // Kept for the live assistant, in the studio config so every computer builds
                // the same one: a later edit of the hours or the guidelines rewrites the
                // instructions only if the owner did not write their own.
                choices_patch(choices, draft)?,
            ))
        })
    })??;
    if !kept.is_empty() {
        ctx.drafts
            .edit_in(&session, |draft| draft.apply(Edit::Studio(kept)))?;
        wizard::outbox_changed(ctx);
    }

    // 1. The provisioning id reaches the disk before Vapi hears anything.
    let existing = ctx.drafts.read_in(&session, |d| d.provisioning.clone())?;
    let mut run = existing.unwrap_or_else(|| Provisioning {
        id: format!("{:032x}", rand::random::<u128>()),
        name: spec.name.as_str().to_owned(),
        started_at: chrono::Utc::now(),
        assistant_id: None,
        phone_number_id: None,
        recorded: false,
    });
    save_run(ctx, &session, &run)?;

    // 2. The assistant: adopted if an earlier try made it, created otherwise.
    if run.assistant_id.is_none() {
        let mut body = body;
        let mut metadata = body.metadata.take().unwrap_or_default();
        metadata.insert(MARKER.to_owned(), Value::from(run.id.clone()));
        metadata.insert("created_from".to_owned(), Value::from("ava-desktop"));
        body.metadata = Some(metadata);
        let id = ctx
            .providers
            .with_retries(|| async {
                if let Some(found) = find_assistant(&ctx.providers.vapi, &key, &run).await? {
                    return Ok(found);
                }
                ctx.providers
                    .vapi
                    .create_assistant(&key, &body)
                    .await
                    .map(|a| a.id)
            })
            .await?;
        run.assistant_id = Some(id);
        // Vapi now runs exactly this: no update to send for it.
        ctx.drafts
            .edit_in(&session, |draft| draft.live_assistant = Some(live))?;
        save_run(ctx, &session, &run)?;
    }
    let assistant_id = run.assistant_id.clone().unwrap_or_default();

    // 3. The number, when Twilio is set up: imported once, attached to this assistant.
    let twilio = ctx.drafts.read_in(&session, |d| d.twilio.clone())?;
    let token = ctx
        .vault
        .get(&session.scope(), SecretName::TwilioAuthToken)
        .await?;
    if let (None, Some(twilio), Some(token)) = (&run.phone_number_id, twilio, token)
        && let Some(number) = twilio.phone_number.clone()
    {
        let id = ctx
            .providers
            .with_retries(|| {
                import_number(
                    &ctx.providers.vapi,
                    &key,
                    &token,
                    (&twilio.account_sid, &number),
                    &assistant_id,
                )
            })
            .await?;
        run.phone_number_id = Some(id);
        save_run(ctx, &session, &run)?;
    }

    // 4. Record it and set the flag, through the outbox so neither is lost offline.
    let (name, voice) = (spec.name.as_str().to_owned(), spec.voice.voice_id.clone());
    wizard::record_in(ctx, &session, |a, now, c| {
        a.assistant_created(&name, &voice, now, c)
    })?;
    let needs_record = !run.recorded;
    wizard::change_draft_in(ctx, &session, |draft| {
        draft.apply(Edit::Flags(ava_model::FlagsPatch {
            onboarding_assistant_created: Some(true),
            ..Default::default()
        }));
        draft.outbox.record_assistant |= needs_record;
    })?;
    let recorded = match ctx.sessions.access_token(&session).await? {
        Some(_) => {
            sync::sync_now(ctx).await.is_ok() && !ctx.drafts.read(|d| d.outbox.record_assistant)
        }
        None => false,
    };
    Ok(ProvisionReport {
        assistant_id,
        phone_number_id: run.phone_number_id,
        recorded,
    })
}

fn save_run(ctx: &Context, session: &Session, run: &Provisioning) -> Result<(), CoreError> {
    ctx.drafts
        .edit_in(session, |draft| draft.provisioning = Some(run.clone()))?;
    ctx.drafts.flush()?;
    ctx.to_window.progress.send_replace(Some(run.clone()));
    Ok(())
}

async fn find_assistant(
    vapi: &VapiClient,
    key: &SecretString,
    run: &Provisioning,
) -> Result<Option<String>, ProviderError> {
    vapi.find_marked_assistant(key, MARKER, &run.id, run.started_at)
        .await
}

/// Imports `(account, number)` once (an earlier import is found and attached instead).
async fn import_number(
    vapi: &VapiClient,
    key: &SecretString,
    token: &SecretString,
    (account_sid, number): (&str, &str),
    assistant_id: &str,
) -> Result<String, ProviderError> {
    let existing = vapi
        .list_phone_numbers(
            key,
            &ListQuery {
                limit: Some(1000),
                created_at_gt: None,
            },
        )
        .await?
        .into_iter()
        .find(|n| n.number.as_deref() == Some(number));
    if let Some(existing) = existing {
        if existing.assistant_id.as_deref() != Some(assistant_id) {
            vapi.attach_assistant(key, &existing.id, assistant_id)
                .await?;
        }
        return Ok(existing.id);
    }
    let import = ImportTwilioNumber {
        number,
        twilio_account_sid: account_sid,
        twilio_auth_token: token,
        assistant_id: Some(assistant_id),
        name: Some("Ava"),
        // The owner may already answer texts to this number elsewhere; Ava takes calls.
        sms_enabled: false,
    };
    Ok(vapi.import_twilio_number(key, &import).await?.id)
}
