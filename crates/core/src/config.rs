//! How the core is set up: where its data lives, which servers it talks to, how long it waits
//! and how it retries.

use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct CoreConfig {
    /// Per OS user (the app's data folder); the draft lives here.
    pub data_dir: PathBuf,
    pub api_base_url: String,
    pub vapi_base_url: Option<String>,
    pub twilio_base_url: Option<String>,
    /// Longest wait for one request to the onboarding API.
    pub request_timeout: Duration,
    /// Longest wait for one request to Vapi or Twilio (creating an assistant can be slower
    /// than anything the API does).
    pub provider_timeout: Duration,
    /// Longest wait for one keychain call: past the keychain's own password prompt, so a call
    /// reported as failed has failed (a shorter limit let a late unlock finish a write the
    /// owner had been told was not saved).
    pub keychain_timeout: Duration,
    /// How often a test call's progress is asked of Vapi.
    pub call_poll: Duration,
    /// How often the server is asked "anything new?" while the app runs (also on focus and
    /// before the live assistant is rebuilt): a 304 costs the server one indexed read.
    pub pull_every: Duration,
    pub retry: RetryPolicy,
}

/// How long a keychain password prompt may wait for the owner: long enough to type a password,
/// short enough that a prompt no one can see (no display, a crashed prompter) ends in an error.
pub const KEYCHAIN_PROMPT_SECONDS: u64 = 60;
/// D-Bus's own limit on one call (libdbus's default), what a keychain call may take past its prompt.
pub const DBUS_CALL_SECONDS: u64 = 25;

/// Issue 33's ceiling on how long an edit made on another computer takes to show here.
pub const PULL_EVERY_SECONDS: u64 = 30;

impl CoreConfig {
    /// Real providers, 10 s timeouts, the default retry policy.
    pub fn new(data_dir: impl Into<PathBuf>, api_base_url: &str) -> Self {
        Self {
            data_dir: data_dir.into(),
            api_base_url: api_base_url.to_owned(),
            vapi_base_url: None,
            twilio_base_url: None,
            request_timeout: Duration::from_secs(10),
            provider_timeout: Duration::from_secs(10),
            keychain_timeout: Duration::from_secs(KEYCHAIN_PROMPT_SECONDS + DBUS_CALL_SECONDS),
            call_poll: Duration::from_secs(2),
            pull_every: Duration::from_secs(PULL_EVERY_SECONDS),
            retry: RetryPolicy::default(),
        }
    }
}

/// The onboarding API that release builds talk to unless `AVA_API_URL` says otherwise.
pub const PRODUCTION_API_URL: &str = "https://api.ava.ai";
/// The local server of `tests/run.sh`, for debug builds.
pub const DEVELOPMENT_API_URL: &str = "http://127.0.0.1:8000";

pub use ava_vapi::is_https_or_loopback;

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

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 31: the vault gave up after 10 s while the prompt waited 60 s, so a late unlock
    /// finished a write already reported as failed.
    #[test]
    fn the_keychain_is_never_given_up_on_while_its_prompt_may_still_be_answered() {
        let config = CoreConfig::new("/nowhere", DEVELOPMENT_API_URL);
        assert!(config.keychain_timeout > Duration::from_secs(KEYCHAIN_PROMPT_SECONDS));
    }

    #[test]
    fn only_https_or_this_machine_carries_the_owners_secrets() {
        for allowed in [
            "https://api.ava.ai",
            "https://api.example.com:8443/base",
            "http://127.0.0.1:8000",
            "http://localhost:8000",
            "http://[::1]:8000",
            PRODUCTION_API_URL,
            DEVELOPMENT_API_URL,
        ] {
            assert!(is_https_or_loopback(allowed), "{allowed}");
        }
        for refused in [
            "http://api.ava.ai",
            "http://192.168.1.10:8000",
            "http://localhost.evil.example",
            "ftp://127.0.0.1",
            "127.0.0.1:8000",
            "",
        ] {
            assert!(!is_https_or_loopback(refused), "{refused}");
        }
    }
}
