//! What the client tests and the contract tests share.

use std::time::Duration;

use ava_fakes::FakeProviders;
use ava_model::AssistantRequest;
use ava_vapi::{CreateAssistant, SecretString, TwilioClient, VapiClient, http_client};
use serde_json::Value;

pub const SID: &str = "AC0123456789abcdef0123456789abcdef";
pub const TOKEN: &str = "fedcba9876543210fedcba9876543210";
pub const NUMBER: &str = "+14155550199";

/// The assistant Vapi is asked to create for the seed route's payload `body`.
pub fn assistant_for(body: Value) -> CreateAssistant {
    match AssistantRequest::from_json(&body).unwrap() {
        AssistantRequest::Create(spec) => CreateAssistant::from_spec(&spec),
        AssistantRequest::Record { .. } => unreachable!("the body has no vapi_assistant_id"),
    }
}

/// Both clients against the fakes, which know the Vapi key `key` and the Twilio account
/// [`SID`] with its number [`NUMBER`].
pub struct Setup {
    pub fakes: FakeProviders,
    pub vapi: VapiClient,
    pub twilio: TwilioClient,
    pub key: SecretString,
    pub token: SecretString,
}

pub async fn setup(key: &str, timeout: Duration) -> Setup {
    let fakes = FakeProviders::start().await.unwrap();
    fakes.vapi.add_key(key);
    fakes.twilio.add_account(SID, TOKEN);
    fakes.twilio.add_number(SID, NUMBER);
    let http = http_client(timeout).unwrap();
    Setup {
        vapi: VapiClient::new(http.clone(), Some(&fakes.vapi_url())),
        twilio: TwilioClient::new(http, Some(&fakes.twilio_url())),
        fakes,
        key: SecretString::from(key.to_owned()),
        token: SecretString::from(TOKEN),
    }
}
