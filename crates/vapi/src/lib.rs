//! Typed clients for the two providers Ava is built on: Vapi (assistants, phone numbers) and
//! Twilio (account and number checks). Both share one `reqwest::Client` with a timeout; secrets
//! are `SecretString`s exposed only at the header; every failure keeps the provider's status
//! and message so the user sees what Vapi or Twilio actually said.

pub mod build;
mod conversations;
mod error;
mod twilio;
mod vapi;

use std::time::Duration;

pub use conversations::{Analysis, Call, Chat, ChatMessage, Customer};
pub use error::{Provider, ProviderError};
pub use secrecy::{ExposeSecret, SecretString};
pub use twilio::{TwilioAccount, TwilioClient};
pub use vapi::{
    AnalysisPlan, ArtifactPlan, Assistant, CallEndingHook, CallSettings, CreateAssistant,
    EndCallTool, FallbackTranscriberPlan, Handoff, ImportTwilioNumber, ListQuery, Message,
    ModelConfig, PhoneNumberRecord, SummaryPlan, Tool, TranscriberConfig, TransferCallTool,
    VapiClient, VoiceConfig, VoiceFallbackPlan,
};

/// The default for both providers: Vapi's own SDKs give up after 60 s, but a person is
/// waiting on the other end of ours.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);

/// `https://…`, or `http://` to this machine only (a development server, the tests' fakes): the
/// one kind of address a password, token or key may be sent to.
pub fn is_https_or_loopback(url: &str) -> bool {
    let Ok(parsed) = reqwest::Url::parse(url) else {
        return false;
    };
    match parsed.scheme() {
        "https" => parsed.host_str().is_some(),
        "http" => parsed.host_str().is_some_and(|host| {
            host == "localhost"
                || host
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }),
        _ => false,
    }
}

/// One HTTP client for every provider call of a process (connection pools are per client).
pub fn http_client(timeout: Duration) -> Result<reqwest::Client, ProviderError> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        .user_agent(concat!("ava/", env!("CARGO_PKG_VERSION")))
        // The key travels in a header: a redirect must not carry it anywhere else.
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| ProviderError::Unreachable {
            provider: Provider::Vapi,
            detail: e.without_url().to_string(),
        })
}
