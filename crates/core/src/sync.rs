//! Sync: the background task that empties the outbox (then sends the onboarding events),
//! with backoff, silent token renewal, and refusals set aside where the user can see them.

use secrecy::SecretString;
use serde_json::Value;

use crate::accounts::token_subject;
use crate::api::ApiError;
use crate::credentials::scope_of;
use crate::error::CoreError;
use crate::onboarding::{Inner, Onboarding, SyncState};
use crate::secrets::SecretName;
use crate::state::{Outbox, OutboxPart};

impl Onboarding {
    /// Runs one sync round now and reports how it went (the sync task also runs on its own).
    pub async fn sync_now(&self) -> Result<(), CoreError> {
        sync_once(&self.inner).await
    }
}

impl Inner {
    /// A secret of the signed-in account's scope, read off the async threads.
    async fn stored_secret(&self, name: SecretName) -> Result<Option<SecretString>, CoreError> {
        let (secrets, scope) = (self.secrets.clone(), scope_of(self.lock().account.as_ref()));
        Ok(self.blocking(move || secrets.get(&scope, name)).await?)
    }

    /// Until when events wait after a refused batch, if they do.
    pub(crate) fn events_paused_until(&self) -> Option<tokio::time::Instant> {
        let pause = self.events_pause.lock().unwrap_or_else(|p| p.into_inner());
        pause.1.filter(|until| *until > tokio::time::Instant::now())
    }

    /// What waits for the server, and what it refused, as the status shows them.
    pub(crate) fn queued(&self) -> (usize, Vec<ava_model::UiError>) {
        let draft = self.lock();
        (draft.outbox.len(), draft.refused.clone())
    }

    pub(crate) fn set_status(&self, state: SyncState, error: Option<ava_model::UiError>) {
        let (pending, refused) = self.queued();
        self.status.send_modify(|s| {
            s.revision += 1;
            s.state = state;
            s.pending = pending;
            s.refused = refused;
            s.error = error;
        });
    }

    /// Sends one part of the outbox and settles it: acknowledged when the server took it;
    /// refused values set aside (and shown) when its rules turned them down.
    pub(crate) async fn deliver<T>(
        &self,
        part: Outbox,
        request: impl std::future::Future<Output = Result<T, ApiError>>,
    ) -> Result<(), CoreError> {
        match request.await {
            Ok(_) => {
                let mut draft = self.lock();
                draft.acknowledge(&part);
                self.autosaver.changed(&draft);
                Ok(())
            }
            Err(ApiError::Invalid(problems)) => {
                {
                    let mut draft = self.lock();
                    draft.refuse(&part, &problems);
                    self.autosaver.changed(&draft);
                }
                Err(ApiError::Invalid(problems).into())
            }
            Err(error) => Err(error.into()),
        }
    }

    /// A queued upload whose secret the keychain no longer holds: see
    /// [`Draft::upload_impossible`].
    pub(crate) fn upload_impossible(&self, part: Outbox, field: &str, what: &str) {
        let why = ava_model::UiError::new(
            ava_model::ErrorCode::SecretMissing,
            format!("{what} is no longer in this computer's keychain, so it was not sent to Ava's server: enter it again"),
        )
        .at(field);
        let mut draft = self.lock();
        draft.upload_impossible(&part, why);
        self.autosaver.changed(&draft);
    }
}

/// Sends what the outbox holds; a refused access token is renewed once, silently, and the
/// round goes on with the new one.
async fn sync_once(inner: &Inner) -> Result<(), CoreError> {
    let Some(token) = inner.session_token().await? else {
        inner.set_status(SyncState::SavedLocally, None);
        return Ok(());
    };
    // Whatever happened in between, one account's changes never travel with another's token.
    if let Some(account) = inner.lock().account.clone()
        && token_subject(&token).is_some_and(|holder| holder != account.id)
    {
        return Err(CoreError::Api(ApiError::SignInRequired(format!(
            "this computer is signed in as another account: sign in as {} to send these changes",
            account.email
        ))));
    }
    // Once the server has ended the sign-in (no refresh token left), more edits change
    // nothing until the user signs in again: no request per keystroke, no flicker.
    let ended = inner.status.borrow().state == SyncState::SignInRequired;
    if ended && !inner.has_refresh_token().await? {
        let message = inner.status.borrow().error.as_ref().map_or_else(
            || "sign in again to send your changes".to_owned(),
            |e| e.message.clone(),
        );
        return Err(CoreError::Api(ApiError::SignInRequired(message)));
    }
    match send_all(inner, &token).await {
        Err(CoreError::Api(ApiError::SignInRequired(message))) => {
            match inner.renew_session(&token).await? {
                Some(renewed) => send_all(inner, &renewed).await,
                None => Err(CoreError::Api(ApiError::SignInRequired(message))),
            }
        }
        other => other,
    }
}

/// The outbox, then the onboarding events.
async fn send_all(inner: &Inner, token: &SecretString) -> Result<(), CoreError> {
    send_outbox(inner, token).await?;
    send_events(inner, token).await
}

/// The recorded events, in batches, oldest first. A batch the server refused names the bad
/// events (`events[3].…`): those are dropped (resending them cannot help), the rest go again.
async fn send_events(inner: &Inner, token: &SecretString) -> Result<(), CoreError> {
    if inner.events_paused_until().is_some() {
        return Ok(());
    }
    loop {
        let batch: Vec<ava_model::EventRecord> = {
            let draft = inner.lock();
            let pending = &draft.analytics.pending;
            pending[..pending.len().min(ava_model::EVENTS_PER_BATCH)].to_vec()
        };
        if batch.is_empty() {
            return Ok(());
        }
        let ids: Vec<String> = match inner.api.post_events(token, &batch).await {
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
            Err(error @ (ApiError::Unreachable(_) | ApiError::SignInRequired(_))) => {
                return Err(error.into());
            }
            Err(error) => {
                let mut pause = inner.events_pause.lock().unwrap_or_else(|p| p.into_inner());
                pause.0 = pause.0.saturating_add(1);
                let delay = inner.config.retry.delay(pause.0);
                pause.1 = Some(tokio::time::Instant::now() + delay);
                tracing::info!(
                    code = %error.code(),
                    ?delay,
                    "onboarding events not accepted; kept for later"
                );
                return Ok(());
            }
        };
        *inner.events_pause.lock().unwrap_or_else(|p| p.into_inner()) = (0, None);
        let mut draft = inner.lock();
        draft.analytics.sent(&ids);
        inner.autosaver.changed(&draft);
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
async fn send_outbox(inner: &Inner, token: &SecretString) -> Result<(), CoreError> {
    let parts = inner.lock().outbox.parts();
    if parts.is_empty() {
        inner.set_status(SyncState::Synced, None);
        return Ok(());
    }
    inner.set_status(SyncState::Syncing, None);
    for part in parts {
        send_part(inner, token, part).await?;
    }
    let left = inner.lock().outbox.len();
    inner.set_status(
        if left == 0 {
            SyncState::Synced
        } else {
            SyncState::Syncing
        },
        None,
    );
    Ok(())
}

async fn send_part(inner: &Inner, token: &SecretString, part: OutboxPart) -> Result<(), CoreError> {
    let settles = part.as_outbox();
    let api = &inner.api;
    match part {
        OutboxPart::Profile(patch) => {
            inner
                .deliver(settles, api.patch_profile(token, &patch))
                .await
        }
        OutboxPart::Studio(patch) => {
            inner
                .deliver(settles, api.patch_studio(token, &patch))
                .await
        }
        OutboxPart::Flags(patch) => inner.deliver(settles, api.patch_flags(token, &patch)).await,
        OutboxPart::VapiKey(false) => inner.deliver(settles, api.delete_vapi_key(token)).await,
        OutboxPart::Twilio(false) => inner.deliver(settles, api.delete_twilio(token)).await,
        OutboxPart::VapiKey(true) => match inner.stored_secret(SecretName::VapiKey).await? {
            Some(key) => inner.deliver(settles, api.save_vapi_key(token, &key)).await,
            None => {
                inner.upload_impossible(settles, "vapi_api_key", "Your Vapi key");
                Ok(())
            }
        },
        OutboxPart::Twilio(true) => {
            let secret = inner.stored_secret(SecretName::TwilioAuthToken).await?;
            let public = inner.lock().twilio.clone();
            match (secret, public) {
                (Some(secret), Some(public)) => {
                    let phone = public.phone_number.as_deref();
                    let request = api.save_twilio(token, &public.account_sid, &secret, phone);
                    inner.deliver(settles, request).await
                }
                _ => {
                    inner.upload_impossible(settles, "auth_token", "Your Twilio auth token");
                    Ok(())
                }
            }
        }
        OutboxPart::RecordAssistant => {
            let provisioning = inner.lock().provisioning.clone();
            match provisioning
                .as_ref()
                .and_then(|p| Some((p, p.assistant_id.as_ref()?)))
            {
                Some((p, assistant_id)) => {
                    let metadata = Value::Object(crate::provision::record_metadata(p));
                    let request = api.record_assistant(token, assistant_id, &p.name, &metadata);
                    inner.deliver(settles, request).await?;
                }
                // Nothing was created, so there is nothing to record.
                None => inner.deliver(settles, std::future::ready(Ok(()))).await?,
            }
            if let Some(p) = inner.lock().provisioning.as_mut() {
                p.recorded = true;
            }
            Ok(())
        }
        OutboxPart::Complete => inner.deliver(settles, api.complete(token)).await,
    }
}

/// The background sync: runs on every change and retries with backoff while the server is
/// away; stops asking the server after a 401 until the user signs in again.
pub(crate) async fn sync_loop(inner: std::sync::Weak<Inner>) {
    let mut attempt: u32 = 0;
    loop {
        let Some(strong) = inner.upgrade() else {
            return;
        };
        let outcome = sync_once(&strong).await;
        let retry = strong.config.retry;
        let mut until = None;
        let wait_for_change = match outcome {
            Ok(()) => {
                attempt = 0;
                // Edits that arrived during the round go out at once; signed out, nothing can
                // go out until a sign-in (which wakes the task); events refused a moment ago
                // wait for their pause (or an edit).
                let signed_out = strong.status.borrow().state == SyncState::SavedLocally;
                let (outbox_empty, events_waiting) = {
                    let draft = strong.lock();
                    (draft.outbox.is_empty(), !draft.analytics.pending.is_empty())
                };
                until = strong.events_paused_until();
                signed_out || (outbox_empty && (!events_waiting || until.is_some()))
            }
            Err(CoreError::Api(ApiError::SignInRequired(message))) => {
                strong.set_status(
                    SyncState::SignInRequired,
                    Some(ava_model::UiError::new(
                        ava_model::ErrorCode::SignInRequired,
                        message,
                    )),
                );
                true
            }
            Err(CoreError::Api(ApiError::Invalid(problems))) => {
                // The refused values were set aside as the answer came in; what is left goes
                // out after a pause, so a refusal that keeps coming back (Launch before the
                // terms reached the server) is asked again with backoff, not in a loop.
                let first = problems.first().map(|p| {
                    ava_model::UiError::new(ava_model::ErrorCode::parse(&p.code), &p.message)
                        .at(&p.field)
                });
                strong.set_status(SyncState::Failed, first);
                let delay = retry.delay(attempt);
                attempt = attempt.saturating_add(1);
                let queued = !strong.lock().nothing_to_send();
                drop(strong);
                if queued {
                    tokio::time::sleep(delay).await;
                    continue;
                }
                let Some(strong) = inner.upgrade() else {
                    return;
                };
                let wake = strong.wake.clone();
                let notified = wake.notified();
                drop(strong);
                notified.await;
                continue;
            }
            Err(error) => {
                let transient = matches!(&error, CoreError::Api(e) if e.is_transient());
                let state = if matches!(&error, CoreError::Api(ApiError::Unreachable(_))) {
                    SyncState::Offline
                } else {
                    SyncState::Failed
                };
                strong.set_status(state, Some(error.to_ui()));
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
            let wake = strong.wake.clone();
            let notified = wake.notified();
            drop(strong);
            match until {
                Some(until) => {
                    tokio::select! {
                        () = notified => {}
                        () = tokio::time::sleep_until(until) => {}
                    }
                }
                None => notified.await,
            }
        }
    }
}
