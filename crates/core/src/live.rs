//! Keeps the live assistant in Vapi the same as what the owner edits after creating it (and
//! its number's fallback the same as the owner's phone).
//!
//! No queue of edits is kept: the draft already holds the latest of everything, and the
//! draft remembers the assistant as Vapi last confirmed it ([`Draft::live_assistant`]). While
//! the two differ, one PATCH carries the whole assistant as the draft describes it *at the
//! moment it is sent*. So edits made offline or during a request coalesce into the next one,
//! a retry can only send something newer than what it retries, a change that comes back to
//! what Vapi has sends nothing, and a crash loses nothing (both halves are in the draft file).
//!
//! [`Draft::live_assistant`]: crate::state::Draft::live_assistant

use std::sync::Weak;

use ava_ipc::AssistantSync;
use ava_model::UiError;

use crate::error::{CoreError, Precondition};
use crate::onboarding::Inner;
use crate::provision::{assistant_body, live_spec, update_request};
use crate::secrets::SecretName;

/// What one round did.
enum Round {
    /// Vapi has what the draft describes (or there is no assistant).
    Settled,
    /// An update landed; the draft may have changed meanwhile: look again at once.
    Sent,
}

impl Inner {
    pub(crate) fn set_assistant_sync(&self, state: AssistantSync, error: Option<UiError>) {
        self.status.send_if_modified(|s| {
            if s.assistant == state && s.assistant_error == error {
                return false;
            }
            s.assistant = state;
            s.assistant_error = error;
            s.revision += 1;
            true
        });
    }
}

/// Sends the assistant as the draft describes it, if Vapi has something else.
async fn update_once(inner: &Inner) -> Result<Round, CoreError> {
    let (wanted, confirmed) = {
        let draft = inner.lock();
        (live_spec(&draft), draft.live_assistant.clone())
    };
    let Some(wanted) = wanted else {
        inner.set_assistant_sync(AssistantSync::NotCreated, None);
        return Ok(Round::Settled);
    };
    let (id, spec) = wanted?;
    let body = assistant_body(&spec);
    if confirmed.as_ref() == Some(&body) {
        return update_fallback(inner).await;
    }
    inner.set_assistant_sync(AssistantSync::Updating, None);
    let key = inner.vapi_key().await?;
    inner
        .vapi
        .update_assistant(&key, &id, &update_request(&spec))
        .await?;
    let mut draft = inner.lock();
    draft.live_assistant = Some(body);
    inner.autosaver.changed(&draft);
    Ok(Round::Sent)
}

/// The imported number's fallback, once the assistant is settled: the owner's phone.
async fn update_fallback(inner: &Inner) -> Result<Round, CoreError> {
    let (number_id, wanted, confirmed) = {
        let draft = inner.lock();
        let number_id = draft
            .provisioning
            .as_ref()
            .and_then(|p| p.phone_number_id.clone());
        (
            number_id,
            draft.owner_phone.clone(),
            draft.live_fallback.clone(),
        )
    };
    let (Some(number_id), Some(wanted)) = (number_id, wanted) else {
        inner.set_assistant_sync(AssistantSync::UpToDate, None);
        return Ok(Round::Settled);
    };
    if confirmed.as_ref() == Some(&wanted) {
        inner.set_assistant_sync(AssistantSync::UpToDate, None);
        return Ok(Round::Settled);
    }
    inner.set_assistant_sync(AssistantSync::Updating, None);
    let key = inner.vapi_key().await?;
    inner
        .vapi
        .set_fallback_number(&key, &number_id, &wanted)
        .await?;
    let mut draft = inner.lock();
    draft.live_fallback = Some(wanted);
    inner.autosaver.changed(&draft);
    Ok(Round::Sent)
}

impl Inner {
    async fn vapi_key(&self) -> Result<secrecy::SecretString, CoreError> {
        let (secrets, scope) = (
            self.secrets.clone(),
            crate::credentials::scope_of(self.lock().account.as_ref()),
        );
        self.blocking(move || secrets.get(&scope, SecretName::VapiKey))
            .await?
            .ok_or(CoreError::Precondition(Precondition::VapiKeyMissing))
    }
}

/// The background task: a round after every change to the draft; what the network caused is
/// tried again with backoff (without limit: the edit must arrive); a refusal waits for the
/// next edit, which may fix it.
pub(crate) async fn live_loop(inner: Weak<Inner>) {
    let mut attempt: u32 = 0;
    loop {
        let Some(strong) = inner.upgrade() else {
            return;
        };
        let wait = match update_once(&strong).await {
            Ok(Round::Sent) => {
                attempt = 0;
                continue;
            }
            Ok(Round::Settled) => {
                attempt = 0;
                None
            }
            Err(CoreError::Provider(error)) if error.is_transient() => {
                let error = CoreError::Provider(error);
                strong.set_assistant_sync(AssistantSync::Updating, Some(error.to_ui()));
                let delay = strong.config.retry.delay(attempt);
                attempt = attempt.saturating_add(1);
                Some(delay)
            }
            Err(error) => {
                tracing::warn!(code = %error.code(), "the live assistant was not updated");
                strong.set_assistant_sync(AssistantSync::Failed, Some(error.to_ui()));
                attempt = 0;
                None
            }
        };
        let wake = strong.live_wake.clone();
        drop(strong);
        let changed = wake.notified();
        match wait {
            Some(delay) => {
                tokio::select! {
                    () = changed => {}
                    () = tokio::time::sleep(delay) => {}
                }
            }
            None => changed.await,
        }
    }
}
