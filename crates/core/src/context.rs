//! What the services share: the owners (draft, keychain, session, status), the clients of the
//! onboarding API, Vapi and Twilio, and the few locks that keep one thing at a time. Built
//! once by [`crate::Onboarding::open`]; the background tasks hold it weakly and end with it.

use std::future::Future;
use std::sync::{Arc, Mutex};

use ava_ipc::UiError;
use ava_vapi::{ProviderError, TwilioClient, VapiClient};
use tokio::sync::{Notify, watch};

use crate::api::ApiClient;
use crate::config::{CoreConfig, RetryPolicy};
use crate::error::CoreError;
use crate::rules::chat::ChatSession;
use crate::rules::state::Provisioning;
use crate::store::drafts::DraftStore;
use crate::store::secrets::Vault;
use crate::store::session::Sessions;
use crate::store::status::StatusBoard;

pub(crate) struct Context {
    pub config: CoreConfig,
    pub drafts: DraftStore,
    pub vault: Vault,
    pub sessions: Sessions,
    pub status: StatusBoard,
    /// Said once at start: the draft had to be recovered, or no keychain works.
    pub notices: Vec<UiError>,
    pub api: ApiClient,
    pub providers: Providers,
    pub wake: Wakes,
    pub turns: Turns,
    pub to_window: ToWindow,
    /// The keychain while it opens, so the owner can stop waiting for it.
    pub opening_keychain: Mutex<Option<Arc<crate::store::secrets::OpeningKeychain>>>,
    /// "Talk to Ava" in this run, one turn at a time.
    pub chat: Mutex<ChatSession>,
    /// After the server refused a batch of events (an outage, an older server without the
    /// route): failures so far, and no new try before this instant. Events never turn the
    /// status pill red; they wait.
    pub events_pause: Mutex<(u32, Option<tokio::time::Instant>)>,
}

/// Vapi and Twilio, called from this computer, and how their failures are retried.
pub(crate) struct Providers {
    pub vapi: VapiClient,
    pub twilio: TwilioClient,
    pub retry: RetryPolicy,
}

/// What wakes the background tasks.
#[derive(Default)]
pub(crate) struct Wakes {
    /// The sync task: the outbox grew, or the session changed.
    pub sync: Arc<Notify>,
    /// The task that keeps the live assistant in Vapi up to date.
    pub live: Arc<Notify>,
    /// The task that asks the server for what other computers saved (focus, sign-in).
    pub pull: Arc<Notify>,
}

/// The locks that keep one thing at a time.
#[derive(Default)]
pub(crate) struct Turns {
    /// Sending the outbox and merging the server's copy take turns: a copy read before an edit
    /// was acknowledged must not be merged after it (it would put the old value back).
    pub exchanging: tokio::sync::Mutex<()>,
    /// One renewal at a time: a refresh token is single use, and spending it twice (the sync
    /// task and a provisioning run at once) would end the whole sign-in. Signing out takes it
    /// too, so no renewal races a sign-out.
    pub renewing: tokio::sync::Mutex<()>,
    /// A secret's upload (checked still wanted, sent, acknowledged) is one step: "keys on this
    /// computer only" waits for one under way and no upload starts after it.
    pub uploading: tokio::sync::Mutex<()>,
    pub provisioning: tokio::sync::Mutex<()>,
    pub chatting: tokio::sync::Mutex<()>,
}

/// What the window watches, besides the status.
pub(crate) struct ToWindow {
    /// Where the assistant's creation stands, for a live step list.
    pub progress: watch::Sender<Option<Provisioning>>,
    /// "Call my phone": where the test call stands, as last asked of Vapi.
    pub test_call: watch::Sender<Option<ava_ipc::TestCallUpdate>>,
    /// What the last pull brought from elsewhere, numbered, for the window's notice.
    pub pulled: watch::Sender<ava_ipc::Pulled>,
}

impl Default for ToWindow {
    fn default() -> Self {
        Self {
            progress: watch::channel(None).0,
            test_call: watch::channel(None).0,
            pulled: watch::channel(ava_ipc::Pulled::default()).0,
        }
    }
}

impl Drop for Context {
    /// Lets the background tasks see that the core is gone and end.
    fn drop(&mut self) {
        self.wake.sync.notify_one();
        self.wake.live.notify_one();
        self.wake.pull.notify_one();
    }
}

/// Until `wake` is notified, or `until` passes when there is one: how a background task rests
/// between rounds without missing a wake sent while it worked (a `Notify` keeps one).
pub(crate) async fn woken_or_until(wake: &Notify, until: Option<tokio::time::Instant>) {
    let woken = wake.notified();
    match until {
        Some(until) => {
            tokio::select! {
                () = woken => {}
                () = tokio::time::sleep_until(until) => {}
            }
        }
        None => woken.await,
    }
}

impl Providers {
    /// Retries what Vapi or Twilio failed to answer (no answer, a 429, a 5xx) with backoff,
    /// at most the configured attempts; anything else is the user's to fix.
    pub async fn with_retries<T, F, Fut>(&self, mut call: F) -> Result<T, CoreError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, ProviderError>>,
    {
        let policy = self.retry;
        let mut attempt = 0;
        loop {
            match call().await {
                Ok(value) => return Ok(value),
                Err(error) if error.is_transient() && attempt + 1 < policy.attempts => {
                    tracing::info!(%error, attempt, "provider call failed; retrying");
                    tokio::time::sleep(policy.delay(attempt)).await;
                    attempt += 1;
                }
                Err(error) => return Err(error.into()),
            }
        }
    }
}
