//! Secrets (the session and refresh tokens, the Vapi key, the Twilio auth token) live in the OS keychain:
//! macOS Keychain, Windows Credential Manager, the Secret Service on Linux. Never keyring's
//! in-memory mock, never Linux keyutils (wiped at reboot). When no keychain is usable, the
//! core says so ([`KeychainProblem`]) and keeps secrets in memory for this run only.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use secrecy::{ExposeSecret, SecretString};

/// What the app keeps in the keychain, each under `{scope}/{name}` in the app's service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecretName {
    SessionToken,
    /// Renews the session token; single use, replaced on every renewal.
    RefreshToken,
    VapiKey,
    TwilioAuthToken,
}

impl SecretName {
    fn as_str(self) -> &'static str {
        match self {
            SecretName::SessionToken => "session-token",
            SecretName::RefreshToken => "refresh-token",
            SecretName::VapiKey => "vapi-api-key",
            SecretName::TwilioAuthToken => "twilio-auth-token",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error("no usable keychain: {detail}")]
    Unavailable { detail: String },
    #[error("the keychain is locked: {detail}")]
    Locked { detail: String },
}

impl SecretError {
    pub fn code(&self) -> ava_model::ErrorCode {
        match self {
            SecretError::Unavailable { .. } => ava_model::ErrorCode::KeychainUnavailable,
            SecretError::Locked { .. } => ava_model::ErrorCode::KeychainLocked,
        }
    }
}

/// The small interface the core needs; the app uses [`Keychain`], tests may use [`MemoryStore`].
pub trait SecretStore: Send + Sync {
    fn get(&self, scope: &str, name: SecretName) -> Result<Option<SecretString>, SecretError>;
    fn set(&self, scope: &str, name: SecretName, value: &SecretString) -> Result<(), SecretError>;
    /// Deleting what is not there succeeds.
    fn delete(&self, scope: &str, name: SecretName) -> Result<(), SecretError>;
    /// False when secrets vanish when the app quits.
    fn is_persistent(&self) -> bool;
}

/// The OS keychain, entries under the service `app_id` (e.g. `ai.ava.desktop`), so builds with
/// different identifiers (dev, test, release) never share secrets.
pub struct Keychain {
    #[cfg(target_os = "linux")]
    store: super::secret_service::SecretServiceStore,
    #[cfg(not(target_os = "linux"))]
    service: String,
}

fn account(scope: &str, name: SecretName) -> String {
    format!("{scope}/{}", name.as_str())
}

impl Keychain {
    /// Opens the keychain and proves it keeps what it is given: a sentinel is written, read
    /// back and deleted. A locked or absent store may still answer a plain read, so only a write
    /// proves anything.
    pub fn open(app_id: &str) -> Result<Self, SecretError> {
        let keychain = Self {
            #[cfg(target_os = "linux")]
            store: super::secret_service::SecretServiceStore::new(app_id),
            #[cfg(not(target_os = "linux"))]
            service: app_id.to_owned(),
        };
        let sentinel = SecretString::from(format!("probe-{}", rand::random::<u64>()));
        keychain.set("probe", SecretName::SessionToken, &sentinel)?;
        let read = keychain.get("probe", SecretName::SessionToken)?;
        keychain.delete("probe", SecretName::SessionToken)?;
        match read {
            Some(value) if value.expose_secret() == sentinel.expose_secret() => Ok(keychain),
            _ => Err(SecretError::Unavailable {
                detail: "the keychain did not keep a test value".to_owned(),
            }),
        }
    }
}

#[cfg(target_os = "linux")]
fn classify(error: super::secret_service::Error) -> SecretError {
    use super::secret_service::Error;
    let detail = error.to_string();
    match error {
        Error::Locked | Error::Prompt | Error::NoResult => SecretError::Locked { detail },
        _ => SecretError::Unavailable { detail },
    }
}

#[cfg(target_os = "linux")]
impl SecretStore for Keychain {
    fn get(&self, scope: &str, name: SecretName) -> Result<Option<SecretString>, SecretError> {
        let value = self.store.get(&account(scope, name)).map_err(classify)?;
        Ok(value.map(SecretString::from))
    }

    fn set(&self, scope: &str, name: SecretName, value: &SecretString) -> Result<(), SecretError> {
        self.store
            .set(&account(scope, name), value.expose_secret())
            .map_err(classify)
    }

    fn delete(&self, scope: &str, name: SecretName) -> Result<(), SecretError> {
        self.store.delete(&account(scope, name)).map_err(classify)
    }

    fn is_persistent(&self) -> bool {
        true
    }
}

#[cfg(not(target_os = "linux"))]
fn classify(error: keyring::Error) -> SecretError {
    let detail = error.to_string();
    match error {
        keyring::Error::NoStorageAccess(_) => SecretError::Locked { detail },
        _ => SecretError::Unavailable { detail },
    }
}

#[cfg(not(target_os = "linux"))]
impl Keychain {
    fn entry(&self, scope: &str, name: SecretName) -> Result<keyring::Entry, SecretError> {
        keyring::Entry::new(&self.service, &account(scope, name)).map_err(classify)
    }
}

#[cfg(not(target_os = "linux"))]
impl SecretStore for Keychain {
    fn get(&self, scope: &str, name: SecretName) -> Result<Option<SecretString>, SecretError> {
        match self.entry(scope, name)?.get_password() {
            Ok(value) => Ok(Some(SecretString::from(value))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(error) => Err(classify(error)),
        }
    }

    fn set(&self, scope: &str, name: SecretName, value: &SecretString) -> Result<(), SecretError> {
        self.entry(scope, name)?
            .set_password(value.expose_secret())
            .map_err(classify)
    }

    fn delete(&self, scope: &str, name: SecretName) -> Result<(), SecretError> {
        match self.entry(scope, name)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(error) => Err(classify(error)),
        }
    }

    fn is_persistent(&self) -> bool {
        true
    }
}

/// Secrets for this run only: the fallback when no keychain works.
#[derive(Default)]
pub struct MemoryStore {
    values: Mutex<HashMap<(String, SecretName), SecretString>>,
}

impl SecretStore for MemoryStore {
    fn get(&self, scope: &str, name: SecretName) -> Result<Option<SecretString>, SecretError> {
        let values = self.values.lock().unwrap_or_else(|p| p.into_inner());
        Ok(values.get(&(scope.to_owned(), name)).cloned())
    }

    fn set(&self, scope: &str, name: SecretName, value: &SecretString) -> Result<(), SecretError> {
        let mut values = self.values.lock().unwrap_or_else(|p| p.into_inner());
        values.insert((scope.to_owned(), name), value.clone());
        Ok(())
    }

    fn delete(&self, scope: &str, name: SecretName) -> Result<(), SecretError> {
        let mut values = self.values.lock().unwrap_or_else(|p| p.into_inner());
        values.remove(&(scope.to_owned(), name));
        Ok(())
    }

    fn is_persistent(&self) -> bool {
        false
    }
}

/// Why secrets are kept for this run only, and what the user can do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeychainProblem {
    pub code: ava_model::ErrorCode,
    pub message: String,
}

impl KeychainProblem {
    fn from_error(error: &SecretError) -> Self {
        let fix = if cfg!(target_os = "linux") {
            "Install and unlock a Secret Service keyring (GNOME Keyring: `sudo apt install gnome-keyring`, or KWallet), then restart Ava."
        } else if cfg!(target_os = "macos") {
            "Open Keychain Access and make sure the login keychain exists and is unlocked, then restart Ava."
        } else {
            "Make sure Windows Credential Manager is available for your account, then restart Ava."
        };
        let what = match error {
            SecretError::Locked { .. } => "Your keychain is locked, so Ava cannot save your keys.",
            SecretError::Unavailable { .. } => "Ava found no keychain to save your keys in.",
        };
        Self {
            code: error.code(),
            message: format!("{what} {fix} Until then, keys are kept only until you quit."),
        }
    }
}

/// The keychain when it works, else memory plus the problem to show.
pub fn open_secret_store(app_id: &str) -> (Arc<dyn SecretStore>, Option<KeychainProblem>) {
    match Keychain::open(app_id) {
        Ok(keychain) => (Arc::new(keychain), None),
        Err(error) => {
            tracing::warn!(
                code = %error.code(),
                "no usable keychain; secrets kept in memory"
            );
            (
                Arc::new(MemoryStore::default()),
                Some(KeychainProblem::from_error(&error)),
            )
        }
    }
}

/// The keychain while its first use may wait for the owner. Opening a keychain can take a
/// minute: a locked login keyring shows its password prompt and the probe waits for it. The
/// window does not: the probe runs on a thread of its own, the app starts at once, and every
/// secret read or write waits here until the probe settled (each within the [`Vault`]'s
/// limit). The owner can also stop waiting ([`Self::keep_in_memory`]): secrets are then kept
/// for this run only, as when no keychain works.
pub struct OpeningKeychain {
    state: Mutex<Option<Arc<dyn SecretStore>>>,
    settled: std::sync::Condvar,
    told: Mutex<Option<tokio::sync::oneshot::Sender<Option<KeychainProblem>>>>,
}

impl OpeningKeychain {
    /// Runs `probe` (open the keychain and prove it keeps a value) on a thread of its own. The
    /// receiver hears once how it settled: `None` when the keychain works, or why secrets are
    /// kept in memory.
    pub fn start(
        probe: impl FnOnce() -> Result<Arc<dyn SecretStore>, SecretError> + Send + 'static,
    ) -> (
        Arc<Self>,
        tokio::sync::oneshot::Receiver<Option<KeychainProblem>>,
    ) {
        let (tell, told) = tokio::sync::oneshot::channel();
        let opening = Arc::new(Self {
            state: Mutex::new(None),
            settled: std::sync::Condvar::new(),
            told: Mutex::new(Some(tell)),
        });
        let settling = opening.clone();
        std::thread::spawn(move || match probe() {
            Ok(store) => {
                settling.settle(store, None);
            }
            Err(error) => {
                tracing::warn!(code = %error.code(), "no usable keychain; secrets kept in memory");
                settling.settle(
                    Arc::new(MemoryStore::default()),
                    Some(KeychainProblem::from_error(&error)),
                );
            }
        });
        (opening, told)
    }

    /// The first outcome wins; a later one (the probe ending after the owner chose memory)
    /// changes nothing. Returns whether this one won.
    fn settle(&self, store: Arc<dyn SecretStore>, problem: Option<KeychainProblem>) -> bool {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if state.is_some() {
            return false;
        }
        *state = Some(store);
        self.settled.notify_all();
        if let Some(tell) = self.told.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = tell.send(problem);
        }
        true
    }

    /// The owner stops waiting for the keychain: secrets are kept in memory for this run.
    /// Returns false when the keychain had already settled.
    pub fn keep_in_memory(&self) -> bool {
        self.settle(
            Arc::new(MemoryStore::default()),
            Some(KeychainProblem {
                code: ava_model::ErrorCode::KeychainLocked,
                message: "You chose not to wait for your keychain: keys are kept only until you quit. Unlock your keychain and restart Ava to keep them.".to_owned(),
            }),
        )
    }

    /// Waits at most `limit` for the probe: a keychain that answers at once is settled before
    /// the window is drawn, so the window never flashes "waiting" for it.
    pub fn wait_settled(&self, limit: std::time::Duration) -> bool {
        let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let (state, _) = self
            .settled
            .wait_timeout_while(state, limit, |s| s.is_none())
            .unwrap_or_else(|p| p.into_inner());
        state.is_some()
    }

    fn store(&self) -> Arc<dyn SecretStore> {
        let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let state = self
            .settled
            .wait_while(state, |s| s.is_none())
            .unwrap_or_else(|p| p.into_inner());
        state
            .clone()
            .unwrap_or_else(|| Arc::new(MemoryStore::default()))
    }
}

impl SecretStore for OpeningKeychain {
    fn get(&self, scope: &str, name: SecretName) -> Result<Option<SecretString>, SecretError> {
        self.store().get(scope, name)
    }

    fn set(&self, scope: &str, name: SecretName, value: &SecretString) -> Result<(), SecretError> {
        self.store().set(scope, name, value)
    }

    fn delete(&self, scope: &str, name: SecretName) -> Result<(), SecretError> {
        self.store().delete(scope, name)
    }

    /// While the probe waits, the keychain is taken to work (what the window says then is
    /// "waiting", not "kept in memory").
    fn is_persistent(&self) -> bool {
        let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.as_ref().is_none_or(|s| s.is_persistent())
    }
}

/// The keychain as the core uses it: every call runs off the async workers and for at most
/// `timeout`, since a keychain waiting on a locked collection or an unanswered prompt must not
/// freeze the sync task or a button for ever. Cheap to clone.
#[derive(Clone)]
pub struct Vault {
    store: Arc<dyn SecretStore>,
    timeout: std::time::Duration,
}

impl Vault {
    pub fn new(store: Arc<dyn SecretStore>, timeout: std::time::Duration) -> Self {
        Self { store, timeout }
    }

    pub fn is_persistent(&self) -> bool {
        self.store.is_persistent()
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&dyn SecretStore) -> Result<T, SecretError> + Send + 'static,
    ) -> Result<T, SecretError> {
        let store = self.store.clone();
        let limit = self.timeout;
        match tokio::time::timeout(limit, tokio::task::spawn_blocking(move || f(&*store))).await {
            Ok(Ok(result)) => result,
            Ok(Err(e)) => Err(SecretError::Unavailable {
                detail: e.to_string(),
            }),
            Err(_) => Err(SecretError::Unavailable {
                detail: format!(
                    "the keychain did not answer within {} s (locked, or waiting for a password prompt?)",
                    limit.as_secs_f32()
                ),
            }),
        }
    }

    pub async fn get(
        &self,
        scope: &str,
        name: SecretName,
    ) -> Result<Option<SecretString>, SecretError> {
        let scope = scope.to_owned();
        self.blocking(move |store| store.get(&scope, name)).await
    }

    pub async fn set(
        &self,
        scope: &str,
        name: SecretName,
        value: SecretString,
    ) -> Result<(), SecretError> {
        let scope = scope.to_owned();
        self.blocking(move |store| store.set(&scope, name, &value))
            .await
    }

    pub async fn delete(&self, scope: &str, name: SecretName) -> Result<(), SecretError> {
        let scope = scope.to_owned();
        self.blocking(move |store| store.delete(&scope, name)).await
    }

    /// Moves the credentials kept under `from` to `to` (work done offline, then signed in).
    pub async fn move_credentials(&self, from: &str, to: &str) -> Result<(), SecretError> {
        for name in [SecretName::VapiKey, SecretName::TwilioAuthToken] {
            let (from, to) = (from.to_owned(), to.to_owned());
            self.blocking(move |store| {
                if let Some(value) = store.get(&from, name)? {
                    store.set(&to, name, &value)?;
                    store.delete(&from, name)?;
                }
                Ok(())
            })
            .await?;
        }
        Ok(())
    }
}
