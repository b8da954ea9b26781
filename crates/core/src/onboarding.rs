//! [`Onboarding`]: the one object the shell talks to. It owns the draft (and its autosaver),
//! the secrets, the API client and the sync task that empties the outbox. This file: opening,
//! edits, moving between steps, the events they record; accounts, credentials and sync have
//! files of their own.

use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, MutexGuard};

use ava_model::{EventContext, FlagsPatch, Move, ProfilePatch, Step, StudioPatch};
use ava_vapi::{TwilioClient, VapiClient};
use serde::Serialize;
use serde_json::Value;
use tokio::sync::{Notify, watch};

use crate::analytics::Analytics;
use crate::api::ApiClient;
use crate::autosave::Autosaver;
use crate::config::CoreConfig;
use crate::draft::{DraftFile, LoadNote};
use crate::error::{CoreError, Precondition};
use crate::secrets::{KeychainProblem, SecretStore};
use crate::state::{Draft, Edit};
use crate::sync::sync_loop;

/// What the status pill shows: declared in `ava-ipc`, where the window matches on it.
pub use ava_ipc::SyncState;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SyncStatus {
    pub state: SyncState,
    /// Changes not yet on the server.
    pub pending: usize,
    pub error: Option<ava_model::UiError>,
    /// Values the server refused (a rule the model did not know): shown at their fields until
    /// the user edits them again. They stay in the draft; they are just not sent.
    pub refused: Vec<ava_model::UiError>,
    /// False when secrets are kept for this run only (no usable keychain).
    pub keychain_persistent: bool,
    /// Grows with every change, so a reader holding two copies (a command's reply and an
    /// event) keeps the newer one.
    pub revision: u64,
    /// The live assistant in Vapi against the draft (see [`crate::live`]).
    pub assistant: ava_ipc::AssistantSync,
    pub assistant_error: Option<ava_model::UiError>,
}

/// Configured or not, and what may be shown of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CredentialStatus {
    pub configured: bool,
    pub preview: Option<String>,
    pub phone_number: Option<String>,
}

pub(crate) struct Inner {
    pub(crate) config: CoreConfig,
    pub(crate) draft: Mutex<Draft>,
    /// Views built so far: each takes the next number while it holds the draft.
    pub(crate) views_built: AtomicU64,
    pub(crate) autosaver: Autosaver,
    pub(crate) secrets: Arc<dyn SecretStore>,
    pub(crate) api: ApiClient,
    pub(crate) vapi: VapiClient,
    pub(crate) twilio: TwilioClient,
    pub(crate) status: watch::Sender<SyncStatus>,
    /// Where the assistant's creation stands, for a live step list.
    pub(crate) progress: watch::Sender<Option<crate::state::Provisioning>>,
    pub(crate) wake: Arc<Notify>,
    /// Wakes the task that keeps the live assistant in Vapi up to date.
    pub(crate) live_wake: Arc<Notify>,
    /// "Talk to Ava" in this run, one turn at a time.
    pub(crate) chat: Mutex<crate::studio::ChatSession>,
    pub(crate) chatting: tokio::sync::Mutex<()>,
    pub(crate) session_scope: String,
    pub(crate) provisioning: tokio::sync::Mutex<()>,
    /// One renewal at a time: a refresh token is single use, and spending it twice (the sync
    /// task and a provisioning run at once) would make the server end the whole sign-in.
    pub(crate) refreshing: tokio::sync::Mutex<()>,
    /// After the server refused a batch of events (an outage, an older server without the
    /// route): failures so far, and no new try before this instant. Events never turn the
    /// status pill red; they wait.
    pub(crate) events_pause: Mutex<(u32, Option<tokio::time::Instant>)>,
}

/// The desktop core. Cheap to clone; needs a tokio runtime (the sync task runs on it).
#[derive(Clone)]
pub struct Onboarding {
    pub(crate) inner: Arc<Inner>,
}

pub struct Opened {
    pub onboarding: Onboarding,
    pub load_note: LoadNote,
    pub keychain_problem: Option<KeychainProblem>,
}

impl Onboarding {
    pub fn open(
        config: CoreConfig,
        secrets: Arc<dyn SecretStore>,
        keychain_problem: Option<KeychainProblem>,
    ) -> Result<Opened, CoreError> {
        let file = DraftFile::new(&config.data_dir);
        let (draft, load_note) = file.load()?;
        let http = ava_vapi::http_client(config.provider_timeout)?;
        let api = ApiClient::new(&config.api_base_url, config.request_timeout)?;
        let status = SyncStatus {
            state: SyncState::SavedLocally,
            pending: draft.outbox.len(),
            error: None,
            refused: draft.refused.clone(),
            keychain_persistent: secrets.is_persistent(),
            revision: 0,
            assistant: ava_ipc::AssistantSync::NotCreated,
            assistant_error: None,
        };
        // Two OS users (or two data folders) never share a session, even on one keyring.
        let session_scope = format!("session-{:016x}", folder_digest(&config.data_dir));
        let inner = Arc::new(Inner {
            vapi: VapiClient::new(http.clone(), config.vapi_base_url.as_deref()),
            twilio: TwilioClient::new(http, config.twilio_base_url.as_deref()),
            config,
            draft: Mutex::new(draft),
            views_built: AtomicU64::new(0),
            autosaver: Autosaver::start(file, None),
            secrets,
            api,
            status: watch::channel(status).0,
            progress: watch::channel(None).0,
            wake: Arc::new(Notify::new()),
            live_wake: Arc::new(Notify::new()),
            chat: Mutex::default(),
            chatting: tokio::sync::Mutex::new(()),
            session_scope,
            provisioning: tokio::sync::Mutex::new(()),
            refreshing: tokio::sync::Mutex::new(()),
            events_pause: Mutex::new((0, None)),
        });
        tokio::spawn(sync_loop(Arc::downgrade(&inner)));
        tokio::spawn(crate::live::live_loop(Arc::downgrade(&inner)));
        Ok(Opened {
            onboarding: Onboarding { inner },
            load_note,
            keychain_problem,
        })
    }

    pub fn snapshot(&self) -> Draft {
        self.inner.lock().clone()
    }

    pub fn status(&self) -> watch::Receiver<SyncStatus> {
        self.inner.status.subscribe()
    }

    /// Each stage of [`Self::provision`] as it is saved (assistant, number, record).
    pub fn provision_progress(&self) -> watch::Receiver<Option<crate::state::Provisioning>> {
        self.inner.progress.subscribe()
    }

    /// Applies a validated edit: in memory now, on disk within 0.5 s, on the server when it
    /// can be reached.
    pub fn apply(&self, edit: Edit) {
        let (server_change, refused) = {
            let mut draft = self.inner.lock();
            let before = draft.refused.len();
            let changed = draft.apply(edit);
            self.inner.autosaver.changed(&draft);
            (
                changed,
                (draft.refused.len() != before).then(|| draft.refused.clone()),
            )
        };
        if let Some(refused) = refused {
            self.inner.status.send_modify(|s| {
                s.refused = refused;
                s.revision += 1;
            });
        }
        if server_change {
            self.outbox_changed();
        }
        self.inner.live_wake.notify_one();
    }

    /// Changes the draft outside the reducer (credentials, completion, provisioning), then
    /// counts the outbox, wakes the sync task and saves at once.
    pub(crate) fn update_draft(&self, change: impl FnOnce(&mut Draft)) -> Result<(), CoreError> {
        {
            let mut draft = self.inner.lock();
            change(&mut draft);
            self.inner.autosaver.changed(&draft);
        }
        self.outbox_changed();
        self.inner.live_wake.notify_one();
        self.flush()
    }

    /// The outbox grew outside [`Self::apply`]: count it and let the sync task know.
    pub(crate) fn outbox_changed(&self) {
        let (pending, refused) = self.inner.queued();
        self.inner.status.send_modify(|s| {
            s.pending = pending;
            s.refused = refused;
            s.revision += 1;
        });
        self.inner.wake.notify_one();
    }

    /// A profile patch as the UI sends it (JSON), judged by the model.
    pub fn update_profile(&self, patch: &Value) -> Result<(), CoreError> {
        self.apply(Edit::Profile(ProfilePatch::from_json(patch)?));
        Ok(())
    }

    pub fn update_studio(&self, patch: &Value) -> Result<(), CoreError> {
        self.apply(Edit::Studio(StudioPatch::from_json(patch)?));
        Ok(())
    }

    /// Pre-fills step 1's time zone and language from the computer where they are empty.
    pub fn fill_os_defaults(&self, os_timezone: Option<&str>, os_locale: &str) {
        let patch = self.inner.lock().os_defaults(os_timezone, os_locale);
        if let Some(patch) = patch {
            self.apply(Edit::Profile(patch));
        }
    }

    /// Moving between steps saves at once.
    pub fn go_to(&self, step: Step) -> Result<(), CoreError> {
        self.move_to(step, Move::Jump)
    }

    /// Leaves the current step for `step`: Continue and Skip are recorded (the seed's step
    /// events), moving through the rail or Back is not.
    pub fn move_to(&self, step: Step, how: Move) -> Result<(), CoreError> {
        let left = self.inner.lock().step;
        match how {
            Move::Jump => {}
            Move::Continue => self.record(|a, now, c| a.continued(left, now, c))?,
            Move::Skip => self.record(|a, now, c| a.skipped(left, now, c))?,
        }
        self.apply(Edit::GoTo(step));
        self.flush()
    }

    /// The owner enters the wizard (signed in, or chose to work offline).
    pub fn begin(&self) -> Result<(), CoreError> {
        let completed = self.inner.lock().completed;
        self.record(|a, now, c| a.begin(completed, now, c))
    }

    /// "Share onboarding usage with the Ava team".
    pub fn set_usage_sharing(&self, on: bool) -> Result<(), CoreError> {
        self.update_draft(|draft| draft.analytics.set_sharing(on))
    }

    /// Records an onboarding event (see [`crate::analytics`]) and saves at once, so an event
    /// recorded just before a crash is still sent after the restart.
    pub(crate) fn record(
        &self,
        event: impl FnOnce(&mut Analytics, chrono::DateTime<chrono::Utc>, &EventContext),
    ) -> Result<(), CoreError> {
        self.update_draft(|draft| {
            let context = EventContext {
                app_version: env!("CARGO_PKG_VERSION").to_owned(),
                os: std::env::consts::OS.to_owned(),
                locale: draft.profile.locale.unwrap_or(ava_model::Locale::En),
            };
            event(&mut draft.analytics, chrono::Utc::now(), &context);
        })
    }

    pub fn skip_vapi(&self) -> Result<(), CoreError> {
        self.apply(Edit::Flags(FlagsPatch {
            onboarding_vapi_skipped: Some(true),
            ..FlagsPatch::default()
        }));
        self.flush()
    }

    pub fn skip_twilio(&self) -> Result<(), CoreError> {
        self.apply(Edit::Flags(FlagsPatch {
            onboarding_twilio_skipped: Some(true),
            ..FlagsPatch::default()
        }));
        self.flush()
    }

    pub fn set_keys_local_only(&self, local_only: bool) -> Result<(), CoreError> {
        self.apply(Edit::KeysLocalOnly(local_only));
        self.flush()
    }

    /// Writes the draft now (blur, quit) and waits for the disk.
    pub fn flush(&self) -> Result<(), CoreError> {
        self.inner.autosaver.flush().map_err(|message| {
            CoreError::Draft(crate::draft::DraftError::Write {
                path: self.inner.config.data_dir.clone(),
                source: std::io::Error::other(message),
            })
        })
    }

    /// "Launch Ava": needs the terms; reaches the server now or as soon as it can.
    pub fn complete(&self) -> Result<(), CoreError> {
        if !self.inner.lock().profile.accept_terms {
            return Err(CoreError::Precondition(Precondition::TermsNotAccepted));
        }
        let plan = self.inner.lock().studio.plan;
        self.record(|a, now, c| a.completed(plan, now, c))?;
        self.update_draft(|draft| {
            draft.completed = true;
            draft.outbox.complete = true;
        })
    }
}

/// A stable 64-bit digest of a data folder's path (FNV-1a): the session's keychain scope, and
/// the shell's one-instance-per-folder name.
pub fn folder_digest(folder: &std::path::Path) -> u64 {
    folder
        .to_string_lossy()
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        })
}

impl Drop for Inner {
    /// Lets the sync task see that the core is gone and end.
    fn drop(&mut self) {
        self.wake.notify_one();
        self.live_wake.notify_one();
    }
}

impl Inner {
    /// Runs a keychain call off the async workers, for at most `keychain_timeout`: a keychain
    /// that waits on a locked collection or an unanswered prompt must not freeze the sync task
    /// or a button for ever.
    pub(crate) async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> Result<T, crate::secrets::SecretError> + Send + 'static,
    ) -> Result<T, crate::secrets::SecretError> {
        let limit = self.config.keychain_timeout;
        match tokio::time::timeout(limit, tokio::task::spawn_blocking(f)).await {
            Ok(Ok(result)) => result,
            Ok(Err(e)) => Err(crate::secrets::SecretError::Unavailable {
                detail: e.to_string(),
            }),
            Err(_) => Err(crate::secrets::SecretError::Unavailable {
                detail: format!(
                    "the keychain did not answer within {} s (locked, or waiting for a password prompt?)",
                    limit.as_secs_f32()
                ),
            }),
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Draft> {
        self.draft.lock().unwrap_or_else(|p| p.into_inner())
    }
}
