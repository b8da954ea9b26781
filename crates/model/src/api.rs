//! Request and response bodies of the onboarding API (api.md) that are not wizard resources:
//! accounts, credentials, assistants, the error envelope.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::fields::ObjectReader;
use crate::onboarding::{OnboardingFlags, Profile, StudioConfig};
use crate::values::{
    AccountSid, AssistantName, Email, Password, PhoneNumber, Temperature, Text, TwilioAuthToken,
    VapiApiKey, unstorable_path,
};
use crate::vapi_catalog::{self, ModelProvider, VoiceProvider};
use crate::violation::{FieldError, FieldErrors, Violation};

/// `POST /auth/register`: a new account.
#[derive(Debug, Clone)]
pub struct Registration {
    pub email: Email,
    pub password: Password,
    pub device: Option<crate::DeviceName>,
}

impl Registration {
    pub fn from_json(body: &Value) -> Result<Self, FieldErrors> {
        let mut r = ObjectReader::new(body, &["email", "password", "device"])?;
        let email = r.required("email", Email::parse);
        let password = r.required("password", Password::parse);
        let device = r.optional("device", crate::DeviceName::parse);
        match (email, password) {
            (Some(email), Some(password)) => r.finish(Self {
                email,
                password,
                device,
            }),
            _ => Err(FieldErrors(r.errors)),
        }
    }
}

/// `POST /auth/login`: the address is only normalised, not judged, so a mistyped one is
/// "wrong email or password" like any other miss.
#[derive(Debug, Clone)]
pub struct Login {
    pub email: String,
    pub password: crate::Sensitive<String>,
    pub device: Option<crate::DeviceName>,
}

impl Login {
    pub fn from_json(body: &Value) -> Result<Self, FieldErrors> {
        let mut r = ObjectReader::new(body, &["email", "password", "device"])?;
        let email = r.required_string("email").map(|e| e.trim().to_lowercase());
        let password = r.required_string("password").map(str::to_owned);
        let device = r.optional("device", crate::DeviceName::parse);
        match (email, password) {
            (Some(email), Some(password)) => r.finish(Self {
                email,
                password: password.into(),
                device,
            }),
            _ => Err(FieldErrors(r.errors)),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserSummary {
    pub id: i64,
    pub email: String,
}

/// The answer to register and login.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuthSession {
    pub access_token: String,
    /// Always `bearer`.
    pub token_type: String,
    /// Seconds until the token expires.
    pub expires_in: i64,
    /// Single use: `POST /auth/refresh` spends it and answers with a new one.
    pub refresh_token: String,
    /// Seconds until the refresh token expires unless spent first.
    pub refresh_expires_in: i64,
    pub user: UserSummary,
}

impl std::fmt::Debug for AuthSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthSession")
            .field("access_token", &"<redacted>")
            .field("expires_in", &self.expires_in)
            .field("refresh_token", &"<redacted>")
            .field("refresh_expires_in", &self.refresh_expires_in)
            .field("user", &self.user)
            .finish()
    }
}

/// `POST /auth/refresh` and `POST /auth/logout`: `{refresh_token}`.
#[derive(Clone)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

impl RefreshRequest {
    pub fn from_json(body: &Value) -> Result<Self, FieldErrors> {
        let mut r = ObjectReader::new(body, &["refresh_token"])?;
        match r.required_string("refresh_token") {
            Some(token) => r.finish(Self {
                refresh_token: token.to_owned(),
            }),
            None => Err(FieldErrors(r.errors)),
        }
    }
}

impl std::fmt::Debug for RefreshRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RefreshRequest(<redacted>)")
    }
}

/// `GET /user/me`: everything the wizard needs to resume on another computer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Me {
    pub id: i64,
    pub email: String,
    pub profile: Profile,
    pub studio_config: StudioConfig,
    pub onboarding: OnboardingFlags,
    pub onboarding_completed: bool,
    pub onboarding_completed_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    /// Grows with every write to the account's profile, studio config, flags or completion;
    /// also the answer's `ETag` (`"<revision>"`). Absent from servers before it (read as 0).
    #[serde(default)]
    pub revision: i64,
    /// The live assistant when the server keeps it up to date (it holds the Vapi key and an
    /// assistant a computer recorded); absent otherwise, and from servers before it.
    #[serde(default)]
    pub live_assistant: Option<LiveAssistant>,
    /// The owner confirmed the address with a code (absent from servers before it: false).
    #[serde(default)]
    pub email_verified: bool,
}

/// The live assistant as the server keeps it: whether it runs the owner's latest answers, and
/// why the last update did not go through, if it did not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LiveAssistant {
    pub up_to_date: bool,
    pub error: Option<String>,
}

/// `POST /api/v1/events`: how many events were new, and how many had been received before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventsReceipt {
    pub accepted: usize,
    pub duplicates: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Completion {
    pub onboarding_completed: bool,
    pub onboarding_completed_at: Option<DateTime<Utc>>,
}

/// `POST /vapi-settings`.
#[derive(Debug, Clone)]
pub struct VapiSettingsInput {
    pub vapi_api_key: VapiApiKey,
}

impl VapiSettingsInput {
    pub fn from_json(body: &Value) -> Result<Self, FieldErrors> {
        let mut r = ObjectReader::new(body, &["vapi_api_key"])?;
        match r.required("vapi_api_key", VapiApiKey::parse) {
            Some(vapi_api_key) => r.finish(Self { vapi_api_key }),
            None => Err(FieldErrors(r.errors)),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VapiSettingsStatus {
    pub has_vapi_key: bool,
    /// `****1234`, or `null` when no key is stored.
    pub vapi_api_key_preview: Option<String>,
}

/// `POST /twilio-settings`.
#[derive(Debug, Clone)]
pub struct TwilioSettingsInput {
    pub account_sid: AccountSid,
    pub auth_token: TwilioAuthToken,
    pub phone_number: Option<PhoneNumber>,
}

impl TwilioSettingsInput {
    pub fn from_json(body: &Value) -> Result<Self, FieldErrors> {
        let mut r = ObjectReader::new(body, &["account_sid", "auth_token", "phone_number"])?;
        let account_sid = r.required("account_sid", AccountSid::parse);
        let auth_token = r.required("auth_token", TwilioAuthToken::parse);
        let phone_number = r.optional("phone_number", PhoneNumber::parse);
        match (account_sid, auth_token) {
            (Some(account_sid), Some(auth_token)) => r.finish(Self {
                account_sid,
                auth_token,
                phone_number,
            }),
            _ => Err(FieldErrors(r.errors)),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TwilioSettingsStatus {
    pub has_credentials: bool,
    /// `AC****1234`, or `null` when none are stored.
    pub account_sid_preview: Option<String>,
    pub phone_number: Option<PhoneNumber>,
}

pub const INSTRUCTIONS_MAX: usize = 20_000;
pub const FIRST_MESSAGE_MAX: usize = 1_000;
pub const IDENTIFIER_MAX: usize = 100;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VoiceChoice {
    pub provider: VoiceProvider,
    #[serde(rename = "voiceId")]
    pub voice_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ModelChoice {
    pub provider: ModelProvider,
    pub model: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<Temperature>,
}

/// What an assistant is made of, from the seed's `POST /assistants` payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AssistantSpec {
    pub name: AssistantName,
    pub instructions: Text,
    #[serde(rename = "phoneNumber", skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<PhoneNumber>,
    #[serde(rename = "firstMessage", skip_serializing_if = "Option::is_none")]
    pub first_message: Option<Text>,
    pub voice: VoiceChoice,
    pub model: ModelChoice,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub metadata: Option<Map<String, Value>>,
}

/// `POST /assistants`: create one in Vapi, or (with `vapi_assistant_id`) record one that a
/// client already created, in which case only `name` is required beside the id.
#[derive(Debug, Clone, PartialEq)]
pub enum AssistantRequest {
    Create(AssistantSpec),
    Record {
        vapi_assistant_id: String,
        name: AssistantName,
        /// The rest of the body as sent, kept with the record.
        payload: Value,
    },
}

impl AssistantRequest {
    pub const FIELDS: &'static [&'static str] = &[
        "name",
        "instructions",
        "phoneNumber",
        "firstMessage",
        "voice",
        "model",
        "metadata",
        "vapi_assistant_id",
    ];

    pub fn from_json(body: &Value) -> Result<Self, FieldErrors> {
        let mut r = ObjectReader::new(body, Self::FIELDS)?;
        let name = r.required("name", AssistantName::parse);
        let vapi_assistant_id = r.optional("vapi_assistant_id", identifier);
        let phone_number = r.optional("phoneNumber", PhoneNumber::parse);
        let first_message = r.optional("firstMessage", |s| Text::parse(s, FIRST_MESSAGE_MAX));
        let metadata = match r.value("metadata") {
            Some(object @ Value::Object(map)) => match unstorable_path("metadata", object) {
                Some(path) => {
                    r.fail(&path, Violation::ContainsNul);
                    None
                }
                None => Some(map.clone()),
            },
            Some(_) => {
                r.fail(
                    "metadata",
                    Violation::WrongType {
                        expected: "a JSON object",
                    },
                );
                None
            }
            None => None,
        };
        if let Some(vapi_assistant_id) = vapi_assistant_id {
            // The rest of the body is kept as sent (in JSONB), so it too must be storable.
            for field in ["instructions", "voice", "model"] {
                if let Some(path) = r.value(field).and_then(|v| unstorable_path(field, v)) {
                    r.fail(&path, Violation::ContainsNul);
                }
            }
            // A missing or bad name has already been reported by `required`.
            return match name {
                Some(name) if r.errors.is_empty() => Ok(Self::Record {
                    vapi_assistant_id,
                    name,
                    payload: body.clone(),
                }),
                _ => Err(FieldErrors(r.errors)),
            };
        }
        let instructions = r.required("instructions", |s| Text::parse(s, INSTRUCTIONS_MAX));
        let voice = read_voice(&mut r);
        let model = read_model(&mut r);
        match (name, instructions, voice, model) {
            (Some(name), Some(instructions), Some(voice), Some(model)) => {
                r.finish(Self::Create(AssistantSpec {
                    name,
                    instructions,
                    phone_number,
                    first_message,
                    voice,
                    model,
                    metadata,
                }))
            }
            _ => Err(FieldErrors(r.errors)),
        }
    }

    pub fn name(&self) -> &AssistantName {
        match self {
            Self::Create(spec) => &spec.name,
            Self::Record { name, .. } => name,
        }
    }
}

fn identifier(input: &str) -> Result<String, Violation> {
    if input.chars().any(char::is_whitespace) {
        return Err(Violation::ContainsWhitespace);
    }
    if input.chars().count() > IDENTIFIER_MAX {
        return Err(Violation::TooLong {
            max: IDENTIFIER_MAX,
        });
    }
    Ok(input.to_owned())
}

/// One of `listed` when Vapi's document lists the names, else any identifier.
fn listed_or_identifier(
    input: &str,
    listed: Option<&'static [&'static str]>,
) -> Result<String, Violation> {
    match listed {
        Some(names) if !names.contains(&input) => Err(Violation::NotOneOf { allowed: names }),
        _ => identifier(input),
    }
}

fn read_voice(r: &mut ObjectReader<'_>) -> Option<VoiceChoice> {
    let Some(value) = r.value("voice") else {
        r.fail("voice", Violation::Required);
        return None;
    };
    let mut voice = match ObjectReader::nested(value, &["provider", "voiceId"], "voice.", "voice") {
        Ok(voice) => voice,
        Err(errors) => {
            r.absorb(errors);
            return None;
        }
    };
    let provider = voice.required("provider", VoiceProvider::parse);
    // Where Vapi's document lists a provider's voices, a voice it does not list is refused
    // here rather than by Vapi after the call.
    let listed = provider.and_then(VoiceProvider::voice_ids);
    let voice_id = voice.required("voiceId", |id| listed_or_identifier(id, listed));
    let errors = voice.errors;
    r.absorb(FieldErrors(errors));
    Some(VoiceChoice {
        provider: provider?,
        voice_id: voice_id?,
    })
}

fn read_model(r: &mut ObjectReader<'_>) -> Option<ModelChoice> {
    let Some(value) = r.value("model") else {
        r.fail("model", Violation::Required);
        return None;
    };
    let mut model = match ObjectReader::nested(
        value,
        &["provider", "model", "temperature"],
        "model.",
        "model",
    ) {
        Ok(model) => model,
        Err(errors) => {
            r.absorb(errors);
            return None;
        }
    };
    let provider = model.required("provider", ModelProvider::parse);
    let listed = provider.and_then(ModelProvider::models);
    let name = model.required("model", |name| listed_or_identifier(name, listed));
    let temperature = match model.number("temperature") {
        Some(t) => model.check("temperature", Temperature::parse(t)).map(Some),
        None => Some(None),
    };
    let errors = model.errors;
    r.absorb(FieldErrors(errors));
    Some(ModelChoice {
        provider: provider?,
        model: name?,
        temperature: temperature?,
    })
}

/// One assistant as the API lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AssistantRecord {
    pub id: i64,
    pub vapi_assistant_id: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

/// The one error envelope of every 4xx and 5xx: `{"error": {...}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorEnvelope {
    pub error: ErrorBody,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    /// A stable snake_case word (`validation_failed`, `email_taken`, `vapi_error`, …): one of
    /// [`crate::ErrorCode`], the vocabulary the window translates.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub code: crate::ErrorCode,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<FieldProblem>>,
    /// For `vapi_error`: the status Vapi answered with, when it answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream_status: Option<u16>,
    /// For 429 and 503: seconds before a retry makes sense (also the `Retry-After` header).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_seconds: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldProblem {
    pub field: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub code: crate::ErrorCode,
    pub message: String,
}

impl From<&FieldErrors> for Vec<FieldProblem> {
    fn from(errors: &FieldErrors) -> Self {
        errors
            .0
            .iter()
            .map(|e| FieldProblem {
                field: e.field.clone(),
                code: e.violation.error_code(),
                message: e.english(),
            })
            .collect()
    }
}

/// An error as the desktop UI receives it from a command: a stable code to branch on, a
/// message to show, and the field to show it at, if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UiError {
    pub code: crate::ErrorCode,
    pub message: String,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::FieldName::deserialize_lenient"
    )]
    pub field: Option<crate::FieldName>,
    /// The bounds a translated message names ("at most {max} characters").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<i64>,
}

impl UiError {
    pub fn new(code: crate::ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            field: None,
            min: None,
            max: None,
        }
    }

    pub fn at(mut self, field: impl Into<crate::FieldName>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// At the field the server or a rule named, when this build knows it; a nested or unknown
    /// name leaves the error unplaced (its message still names it).
    pub fn at_named(mut self, name: &str) -> Self {
        self.field = crate::FieldName::parse(name);
        self
    }

    /// One refused field, in the model's words, with the bounds its message needs.
    pub fn from_field(error: &FieldError) -> Self {
        let (min, max) = error.violation.bounds();
        UiError {
            code: error.violation.error_code(),
            message: error.english(),
            field: crate::FieldName::parse(&error.field),
            min,
            max,
        }
    }
}

impl VoiceProvider {
    /// The voices Vapi's document lists for this provider, where it lists them.
    pub fn voice_ids(self) -> Option<&'static [&'static str]> {
        listed(vapi_catalog::VOICE_IDS, self)
    }
}

impl ModelProvider {
    /// The models Vapi's document lists for this provider, where it lists them.
    pub fn models(self) -> Option<&'static [&'static str]> {
        listed(vapi_catalog::MODELS, self)
    }
}

fn listed<P: PartialEq + Copy>(
    table: &'static [(P, &'static [&'static str])],
    provider: P,
) -> Option<&'static [&'static str]> {
    table
        .iter()
        .find(|(listed, _)| *listed == provider)
        .map(|(_, names)| *names)
}
