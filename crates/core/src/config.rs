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
            provider_timeout: Duration::from_secs(10),
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
