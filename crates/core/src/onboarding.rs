//! [`Onboarding`]: the one object the shell talks to. It owns the draft (and its autosaver),
//! the secrets, the API client and the sync task that empties the outbox.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use ava_model::{
    AccountSid, Email, EventContext, FlagsPatch, Move, Password, PhoneNumber, ProfilePatch, Step,
    StudioPatch, TwilioAuthToken, VapiApiKey, VapiMethod,
};
use ava_vapi::{TwilioClient, VapiClient};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde_json::Value;
use tokio::sync::{Notify, watch};

use crate::analytics::Analytics;
use crate::api::{ApiClient, ApiError};
use crate::autosave::Autosaver;
use crate::draft::{DraftFile, LoadNote};
use crate::error::{CoreError, Precondition};
use crate::secrets::{KeychainProblem, SecretName, SecretStore};
use crate::state::{Account, Draft, Edit, Outbox, TwilioPublic};

#[derive(Debug, Clone)]
pub struct CoreConfig {
    /// Per OS user (the app's data folder); the draft lives here.
    pub data_dir: PathBuf,
    pub api_base_url: String,
    pub vapi_base_url: Option<String>,
    pub twilio_base_url: Option<String>,
    pub request_timeout: Duration,
    /// Longest wait for one keychain call.
    pub keychain_timeout: Duration,
    pub retry: RetryPolicy,
}

impl CoreConfig {
    /// Real providers, 10 s timeouts, the default retry policy.
    pub fn new(data_dir: impl Into<PathBuf>, api_base_url: &str) -> Self {
        Self {
            data_dir: data_dir.into(),
            api_base_url: api_base_url.to_owned(),
            vapi_base_url: None,
            twilio_base_url: None,
            request_timeout: Duration::from_secs(10),
            keychain_timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
        }
    }
}

/// Exponential backoff with full jitter between `base` and `max`.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub base: Duration,
    pub max: Duration,
    /// Attempts per provisioning step before giving up (sync retries forever).
    pub attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            base: Duration::from_millis(500),
            max: Duration::from_secs(30),
            attempts: 5,
        }
    }
}

impl RetryPolicy {
    pub fn delay(&self, attempt: u32) -> Duration {
        let ceiling = self
            .base
            .saturating_mul(1u32 << attempt.min(16))
            .min(self.max);
        ceiling.mul_f64(rand::random::<f64>().max(0.1))
    }
}

/// What the status pill shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncState {
    /// On disk here; not signed in, so nothing to sync to.
    SavedLocally,
    Syncing,
    Synced,
    /// The server cannot be reached; changes wait and will be sent.
    Offline,
    /// The server refused something; retrying or waiting for the user.
    Failed,
    SignInRequired,
}

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
    pub(crate) autosaver: Autosaver,
    pub(crate) secrets: Arc<dyn SecretStore>,
    pub(crate) api: ApiClient,
    pub(crate) vapi: VapiClient,
    pub(crate) twilio: TwilioClient,
    status: watch::Sender<SyncStatus>,
    /// Where the assistant's creation stands, for a live step list.
    pub(crate) progress: watch::Sender<Option<crate::state::Provisioning>>,
    wake: Arc<Notify>,
    session_scope: String,
    pub(crate) provisioning: tokio::sync::Mutex<()>,
    /// One renewal at a time: a refresh token is single use, and spending it twice (the sync
    /// task and a provisioning run at once) would make the server end the whole sign-in.
    refreshing: tokio::sync::Mutex<()>,
    /// After the server refused a batch of events (an outage, an older server without the
    /// route): failures so far, and no new try before this instant. Events never turn the
    /// status pill red; they wait.
    events_pause: Mutex<(u32, Option<tokio::time::Instant>)>,
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
        let http = ava_vapi::http_client(config.request_timeout)?;
        let api = ApiClient::new(&config.api_base_url, config.request_timeout)?;
        let status = SyncStatus {
            state: SyncState::SavedLocally,
            pending: draft.outbox.len(),
            error: None,
            refused: draft.refused.clone(),
            keychain_persistent: secrets.is_persistent(),
            revision: 0,
        };
        // Two OS users (or two data folders) never share a session, even on one keyring.
        let session_scope = format!(
            "session-{:016x}",
            fnv(config.data_dir.to_string_lossy().as_bytes())
        );
        let inner = Arc::new(Inner {
            vapi: VapiClient::new(http.clone(), config.vapi_base_url.as_deref()),
            twilio: TwilioClient::new(http, config.twilio_base_url.as_deref()),
            config,
            draft: Mutex::new(draft),
            autosaver: Autosaver::start(file, None),
            secrets,
            api,
            status: watch::channel(status).0,
            progress: watch::channel(None).0,
            wake: Arc::new(Notify::new()),
            session_scope,
            provisioning: tokio::sync::Mutex::new(()),
            refreshing: tokio::sync::Mutex::new(()),
            events_pause: Mutex::new((0, None)),
        });
        tokio::spawn(sync_loop(Arc::downgrade(&inner)));
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

    // ---- accounts ----

    pub async fn sign_up(&self, email: &str, password: &str) -> Result<Account, CoreError> {
        let email = Email::parse(email).map_err(|v| ava_model::FieldErrors::single("email", v))?;
        let password =
            Password::parse(password).map_err(|v| ava_model::FieldErrors::single("password", v))?;
        let session = self
            .inner
            .api
            .register(
                email.as_str(),
                &SecretString::from(password.expose().to_owned()),
            )
            .await?;
        self.start_session(session).await
    }

    pub async fn sign_in(&self, email: &str, password: &str) -> Result<Account, CoreError> {
        let session = self
            .inner
            .api
            .login(email.trim(), &SecretString::from(password.to_owned()))
            .await?;
        self.start_session(session).await
    }

    /// Keeps the token in the keychain, binds the draft to the account and, on a computer
    /// that has never seen it, pulls the server's state under any edits made before.
    async fn start_session(&self, session: ava_model::AuthSession) -> Result<Account, CoreError> {
        let token = SecretString::from(session.access_token.clone());
        let account = Account {
            id: session.user.id,
            email: session.user.email.clone(),
        };
        let previous_account = self.inner.lock().account.clone();
        let switching = previous_account.as_ref().is_none_or(|a| a.id != account.id);
        // The draft is bound to the new account (and its secrets moved) before the token is
        // kept: until then the sync task has no token to send with, so it can neither send one
        // account's outbox with another's token nor acknowledge edits that `me` predates.
        if switching {
            let me = self.inner.api.me(&token).await?;
            let local_scope = scope_of(previous_account.as_ref());
            {
                let mut draft = self.inner.lock();
                if let Some(previous) = &previous_account {
                    // Another account's draft is not carried over to this one: it is kept
                    // aside, unsent edits included, until that account signs in here again.
                    self.inner.stash(previous.id, &draft)?;
                    *draft = self.inner.unstash(account.id)?.unwrap_or_default();
                }
                draft.adopt_server(&me);
                self.inner.autosaver.changed(&draft);
            }
            if previous_account.is_none() {
                self.move_local_secrets(&local_scope, &scope_of(Some(&account)))
                    .await?;
            }
        }
        self.inner.keep_session(&session).await?;
        self.begin()?;
        Ok(account)
    }

    /// Forgets the session here and, when the server can be reached, ends it there too (an
    /// unreachable server only means its refresh token runs out by itself).
    pub async fn sign_out(&self) -> Result<(), CoreError> {
        let scope = self.inner.session_scope.clone();
        let secrets = self.inner.secrets.clone();
        let refresh = {
            let (secrets, scope) = (secrets.clone(), scope.clone());
            self.inner
                .blocking(move || secrets.get(&scope, SecretName::RefreshToken))
                .await?
        };
        if let Some(refresh) = refresh
            && let Err(error) = self.inner.api.logout(&refresh).await
        {
            tracing::info!(code = error.code(), "sign-out not confirmed by the server");
        }
        self.inner
            .blocking(move || {
                secrets.delete(&scope, SecretName::RefreshToken)?;
                secrets.delete(&scope, SecretName::SessionToken)
            })
            .await?;
        self.inner.status.send_modify(|s| {
            s.state = SyncState::SavedLocally;
            s.revision += 1;
        });
        Ok(())
    }

    pub(crate) async fn session_token(&self) -> Result<Option<SecretString>, CoreError> {
        self.inner.session_token().await
    }

    // ---- credentials ----

    /// Checks the key with Vapi, keeps it in the keychain, then sends it to the server
    /// unless the user keeps keys on this computer only.
    pub async fn save_vapi_key(
        &self,
        key: &str,
        method: VapiMethod,
    ) -> Result<CredentialStatus, CoreError> {
        let key = VapiApiKey::parse(key.trim())
            .map_err(|v| ava_model::FieldErrors::single("vapi_api_key", v))?;
        let secret = SecretString::from(key.expose().to_owned());
        self.inner.vapi.verify_key(&secret).await?;
        self.set_secret(self.secret_scope(), SecretName::VapiKey, secret)
            .await?;
        let preview = key.preview();
        self.update_draft(|draft| {
            draft.vapi_key_preview = Some(preview.clone());
            draft.forget_refusals(&["vapi_api_key".to_owned()]);
            if !draft.keys_local_only {
                draft.outbox.vapi_key = Some(true);
            }
        })?;
        self.record(|a, now, c| a.vapi_configured(method, now, c))?;
        Ok(CredentialStatus {
            configured: true,
            preview: Some(preview),
            phone_number: None,
        })
    }

    pub async fn vapi_status(&self) -> Result<CredentialStatus, CoreError> {
        let key = self.get_secret(SecretName::VapiKey).await?;
        let preview = key.map(|k| {
            VapiApiKey::parse(k.expose_secret())
                .map(|k| k.preview())
                .unwrap_or_default()
        });
        Ok(CredentialStatus {
            configured: preview.is_some(),
            preview,
            phone_number: None,
        })
    }

    /// Removes the key here and (through the outbox) from the server.
    pub async fn delete_vapi_key(&self) -> Result<(), CoreError> {
        self.delete_secret(SecretName::VapiKey).await?;
        self.update_draft(|draft| {
            draft.vapi_key_preview = None;
            draft.outbox.vapi_key = Some(false);
        })
    }

    /// Checks the account with Twilio and that the number is one of its own, then keeps the
    /// token in the keychain and sends the settings on (unless keys stay local).
    pub async fn save_twilio(
        &self,
        account_sid: &str,
        auth_token: &str,
        phone_number: Option<&str>,
    ) -> Result<CredentialStatus, CoreError> {
        let mut errors = Vec::new();
        let sid = AccountSid::parse(account_sid.trim())
            .map_err(|v| errors.push(ava_model::FieldError::new("account_sid", v)));
        let token = TwilioAuthToken::parse(auth_token.trim())
            .map_err(|v| errors.push(ava_model::FieldError::new("auth_token", v)));
        let number = phone_number
            .filter(|n| !n.trim().is_empty())
            .map(|n| PhoneNumber::normalize(n, None))
            .transpose()
            .map_err(|v| errors.push(ava_model::FieldError::new("phone_number", v)));
        let (Ok(sid), Ok(token), Ok(number)) = (sid, token, number) else {
            return Err(ava_model::FieldErrors(errors).into());
        };
        let secret = SecretString::from(token.expose().to_owned());
        self.inner
            .twilio
            .verify_account(sid.as_str(), &secret)
            .await?;
        if let Some(number) = &number
            && !self
                .inner
                .twilio
                .owns_number(sid.as_str(), &secret, number.as_str())
                .await?
        {
            return Err(CoreError::Precondition(Precondition::NumberNotInAccount));
        }
        self.set_secret(self.secret_scope(), SecretName::TwilioAuthToken, secret)
            .await?;
        // Step 5 attaches this number unless the user already chose another.
        if let Some(number) = &number
            && self.inner.lock().studio.number.is_none()
        {
            self.apply(Edit::Studio(StudioPatch {
                number: ava_model::Change::Set(number.clone()),
                strategy: ava_model::Change::Set(ava_model::Strategy::Attach),
                ..StudioPatch::default()
            }));
        }
        self.update_draft(|draft| {
            draft.twilio = Some(TwilioPublic {
                account_sid: sid.as_str().to_owned(),
                phone_number: number.as_ref().map(|n| n.as_str().to_owned()),
            });
            draft.forget_refusals(&["auth_token".to_owned()]);
            if !draft.keys_local_only {
                draft.outbox.twilio = Some(true);
            }
        })?;
        Ok(CredentialStatus {
            configured: true,
            preview: Some(sid.preview()),
            phone_number: number.map(String::from),
        })
    }

    pub async fn twilio_status(&self) -> Result<CredentialStatus, CoreError> {
        let token = self.get_secret(SecretName::TwilioAuthToken).await?;
        let public = self.inner.lock().twilio.clone();
        Ok(match (token, public) {
            (Some(_), Some(public)) => CredentialStatus {
                configured: true,
                preview: AccountSid::parse(&public.account_sid)
                    .ok()
                    .map(|s| s.preview()),
                phone_number: public.phone_number,
            },
            _ => CredentialStatus {
                configured: false,
                preview: None,
                phone_number: None,
            },
        })
    }

    pub async fn delete_twilio(&self) -> Result<(), CoreError> {
        self.delete_secret(SecretName::TwilioAuthToken).await?;
        self.update_draft(|draft| {
            draft.twilio = None;
            draft.outbox.twilio = Some(false);
        })
    }

    // ---- helpers ----

    /// Secrets belong to the account (or to this computer before any sign-in).
    pub(crate) fn secret_scope(&self) -> String {
        scope_of(self.inner.lock().account.as_ref())
    }

    pub(crate) async fn get_secret(
        &self,
        name: SecretName,
    ) -> Result<Option<SecretString>, CoreError> {
        let scope = self.secret_scope();
        let secrets = self.inner.secrets.clone();
        Ok(self
            .inner
            .blocking(move || secrets.get(&scope, name))
            .await?)
    }

    async fn delete_secret(&self, name: SecretName) -> Result<(), CoreError> {
        let (scope, secrets) = (self.secret_scope(), self.inner.secrets.clone());
        Ok(self
            .inner
            .blocking(move || secrets.delete(&scope, name))
            .await?)
    }

    async fn set_secret(
        &self,
        scope: String,
        name: SecretName,
        value: SecretString,
    ) -> Result<(), CoreError> {
        let secrets = self.inner.secrets.clone();
        Ok(self
            .inner
            .blocking(move || secrets.set(&scope, name, &value))
            .await?)
    }

    async fn move_local_secrets(&self, from: &str, to: &str) -> Result<(), CoreError> {
        for name in [SecretName::VapiKey, SecretName::TwilioAuthToken] {
            let (secrets, from, to) = (self.inner.secrets.clone(), from.to_owned(), to.to_owned());
            self.inner
                .blocking(move || {
                    if let Some(value) = secrets.get(&from, name)? {
                        secrets.set(&to, name, &value)?;
                        secrets.delete(&from, name)?;
                    }
                    Ok(())
                })
                .await?;
        }
        Ok(())
    }

    /// Runs one sync round now and reports how it went (the sync task also runs on its own).
    pub async fn sync_now(&self) -> Result<(), CoreError> {
        sync_once(&self.inner).await
    }
}

/// The user id an access token names (its JWT `sub`), read without checking the signature:
/// the server checks that; this only tells which account the token was issued to.
fn token_subject(token: &SecretString) -> Option<i64> {
    use base64::Engine;
    let payload = token.expose_secret().split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    let claims: Value = serde_json::from_slice(&bytes).ok()?;
    claims["sub"].as_str()?.parse().ok()
}

fn scope_of(account: Option<&Account>) -> String {
    account.map_or_else(|| "local".to_owned(), |a| format!("account-{}", a.id))
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// Keychain calls block on D-Bus (or the OS); keep them off the async workers.
impl Drop for Inner {
    /// Lets the sync task see that the core is gone and end.
    fn drop(&mut self) {
        self.wake.notify_one();
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

    async fn session_token(&self) -> Result<Option<SecretString>, CoreError> {
        let (secrets, scope) = (self.secrets.clone(), self.session_scope.clone());
        Ok(self
            .blocking(move || secrets.get(&scope, SecretName::SessionToken))
            .await?)
    }

    fn stash_file(&self, account_id: i64) -> DraftFile {
        DraftFile::new(
            self.config
                .data_dir
                .join("accounts")
                .join(account_id.to_string()),
        )
    }

    /// Keeps an account's draft aside while another account uses this computer.
    fn stash(&self, account_id: i64, draft: &Draft) -> Result<(), CoreError> {
        self.stash_file(account_id).save(draft)?;
        Ok(())
    }

    /// The draft an account left here, taken back (the stash is removed once in use).
    fn unstash(&self, account_id: i64) -> Result<Option<Draft>, CoreError> {
        let file = self.stash_file(account_id);
        if !file.path().exists() {
            return Ok(None);
        }
        let (draft, _) = file.load()?;
        let _ = std::fs::remove_dir_all(file.dir());
        Ok(Some(draft))
    }

    async fn has_refresh_token(&self) -> Result<bool, CoreError> {
        let (secrets, scope) = (self.secrets.clone(), self.session_scope.clone());
        Ok(self
            .blocking(move || secrets.get(&scope, SecretName::RefreshToken))
            .await?
            .is_some())
    }

    /// Both tokens of a sign-in or a renewal, in the keychain.
    async fn keep_session(&self, session: &ava_model::AuthSession) -> Result<(), CoreError> {
        let (secrets, scope) = (self.secrets.clone(), self.session_scope.clone());
        let access = SecretString::from(session.access_token.clone());
        let refresh = SecretString::from(session.refresh_token.clone());
        Ok(self
            .blocking(move || {
                secrets.set(&scope, SecretName::SessionToken, &access)?;
                secrets.set(&scope, SecretName::RefreshToken, &refresh)
            })
            .await?)
    }

    /// After `refused` was turned away (expired, or signed with a retired key): a renewed
    /// access token, or `None` when only signing in again will do. Network trouble is an error
    /// (retried with backoff), never a reason to forget the session.
    async fn renew_session(
        &self,
        refused: &SecretString,
    ) -> Result<Option<SecretString>, CoreError> {
        let _one_at_a_time = self.refreshing.lock().await;
        match self.session_token().await? {
            None => return Ok(None),
            // Renewed by someone else while this one waited.
            Some(current) if current.expose_secret() != refused.expose_secret() => {
                return Ok(Some(current));
            }
            Some(_) => {}
        }
        let (secrets, scope) = (self.secrets.clone(), self.session_scope.clone());
        let Some(refresh) = self
            .blocking(move || secrets.get(&scope, SecretName::RefreshToken))
            .await?
        else {
            return Ok(None);
        };
        match self.api.refresh(&refresh).await {
            Ok(session) => {
                self.keep_session(&session).await?;
                Ok(Some(SecretString::from(session.access_token)))
            }
            Err(ApiError::SignInRequired(_)) => {
                // Spent, revoked or expired for good: drop it, keep the (refused) access
                // token so the status says "sign in" rather than "saved on this computer".
                let (secrets, scope) = (self.secrets.clone(), self.session_scope.clone());
                self.blocking(move || secrets.delete(&scope, SecretName::RefreshToken))
                    .await?;
                Ok(None)
            }
            Err(error) => Err(error.into()),
        }
    }

    /// Until when events wait after a refused batch, if they do.
    fn events_paused_until(&self) -> Option<tokio::time::Instant> {
        let pause = self.events_pause.lock().unwrap_or_else(|p| p.into_inner());
        pause.1.filter(|until| *until > tokio::time::Instant::now())
    }

    /// What waits for the server, and what it refused, as the status shows them.
    fn queued(&self) -> (usize, Vec<ava_model::UiError>) {
        let draft = self.lock();
        (draft.outbox.len(), draft.refused.clone())
    }

    fn set_status(&self, state: SyncState, error: Option<ava_model::UiError>) {
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
    async fn deliver<T>(
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
    fn upload_impossible(&self, part: Outbox, field: &str, what: &str) {
        let why = ava_model::UiError::new(
            "secret_missing",
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
                    code = error.code(),
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

/// One request per resource, acknowledging each as it lands.
async fn send_outbox(inner: &Inner, token: &SecretString) -> Result<(), CoreError> {
    let (outbox, account, provisioning, twilio) = {
        let draft = inner.lock();
        (
            draft.outbox.clone(),
            draft.account.clone(),
            draft.provisioning.clone(),
            draft.twilio.clone(),
        )
    };
    if outbox.is_empty() {
        inner.set_status(SyncState::Synced, None);
        return Ok(());
    }
    inner.set_status(SyncState::Syncing, None);
    let scope = scope_of(account.as_ref());
    if !outbox.profile.is_empty() {
        let part = Outbox {
            profile: outbox.profile.clone(),
            ..Outbox::default()
        };
        inner
            .deliver(part, inner.api.patch_profile(token, &outbox.profile))
            .await?;
    }
    if !outbox.studio.is_empty() {
        let part = Outbox {
            studio: outbox.studio.clone(),
            ..Outbox::default()
        };
        inner
            .deliver(part, inner.api.patch_studio(token, &outbox.studio))
            .await?;
    }
    if !outbox.flags.is_empty() {
        let part = Outbox {
            flags: outbox.flags,
            ..Outbox::default()
        };
        inner
            .deliver(part, inner.api.patch_flags(token, &outbox.flags))
            .await?;
    }
    if let Some(upload) = outbox.vapi_key {
        let part = Outbox {
            vapi_key: Some(upload),
            ..Outbox::default()
        };
        if !upload {
            inner
                .deliver(part, inner.api.delete_vapi_key(token))
                .await?;
        } else {
            let (secrets, scope) = (inner.secrets.clone(), scope.clone());
            match inner
                .blocking(move || secrets.get(&scope, SecretName::VapiKey))
                .await?
            {
                Some(key) => {
                    inner
                        .deliver(part, inner.api.save_vapi_key(token, &key))
                        .await?
                }
                None => inner.upload_impossible(part, "vapi_api_key", "Your Vapi key"),
            }
        }
    }
    if let Some(upload) = outbox.twilio {
        let part = Outbox {
            twilio: Some(upload),
            ..Outbox::default()
        };
        if !upload {
            inner.deliver(part, inner.api.delete_twilio(token)).await?;
        } else {
            let (secrets, scope) = (inner.secrets.clone(), scope.clone());
            let secret = inner
                .blocking(move || secrets.get(&scope, SecretName::TwilioAuthToken))
                .await?;
            match (secret, &twilio) {
                (Some(secret), Some(public)) => {
                    let request = inner.api.save_twilio(
                        token,
                        &public.account_sid,
                        &secret,
                        public.phone_number.as_deref(),
                    );
                    inner.deliver(part, request).await?
                }
                _ => inner.upload_impossible(part, "auth_token", "Your Twilio auth token"),
            }
        }
    }
    if outbox.record_assistant {
        let part = Outbox {
            record_assistant: true,
            ..Outbox::default()
        };
        match provisioning
            .as_ref()
            .and_then(|p| Some((p, p.assistant_id.as_ref()?)))
        {
            Some((p, assistant_id)) => {
                let metadata = Value::Object(crate::provision::record_metadata(p));
                let request = inner
                    .api
                    .record_assistant(token, assistant_id, &p.name, &metadata);
                inner.deliver(part, request).await?;
            }
            // Nothing was created, so there is nothing to record.
            None => inner.deliver(part, std::future::ready(Ok(()))).await?,
        }
        let mut draft = inner.lock();
        if let Some(p) = draft.provisioning.as_mut() {
            p.recorded = true;
        }
    }
    if outbox.complete {
        let part = Outbox {
            complete: true,
            ..Outbox::default()
        };
        inner.deliver(part, inner.api.complete(token)).await?;
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

/// The background sync: runs on every change and retries with backoff while the server is
/// away; stops asking the server after a 401 until the user signs in again.
async fn sync_loop(inner: std::sync::Weak<Inner>) {
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
                    Some(ava_model::UiError::new("sign_in_required", message)),
                );
                true
            }
            Err(CoreError::Api(ApiError::Invalid(problems))) => {
                // The refused values were set aside as the answer came in; what is left goes
                // out after a pause, so a refusal that keeps coming back (Launch before the
                // terms reached the server) is asked again with backoff, not in a loop.
                let first = problems
                    .first()
                    .map(|p| ava_model::UiError::new(&p.code, &p.message).at(&p.field));
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
