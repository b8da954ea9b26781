use ava_model::AssistantSpec;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{Provider, ProviderError, decode, send};

pub const VAPI_BASE_URL: &str = "https://api.vapi.ai";

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Message {
    pub role: String,
    pub content: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelConfig {
    pub provider: String,
    pub model: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    pub messages: Vec<Message>,
    /// Vapi replaces `model` whole on a PATCH: an update that left the tools out would remove
    /// the handoff, so they travel with every update.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<Tool>,
}

/// One of the tools Ava may use during a call.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Tool {
    Transfer(TransferCallTool),
    EndCall(EndCallTool),
}

/// `CreateEndCallToolDTO`: Ava may hang up once the caller is done (saying the assistant's
/// `endCallMessage` first). Without it she cannot end a call politely and waits for silence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EndCallTool {
    #[serde(rename = "type")]
    kind: &'static str,
}

impl EndCallTool {
    pub fn new() -> Self {
        Self { kind: "endCall" }
    }
}

impl Default for EndCallTool {
    fn default() -> Self {
        Self::new()
    }
}

/// `transcriber`: how the assistant hears callers, with the transcribers Vapi switches to
/// when it fails.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TranscriberConfig {
    #[serde(flatten)]
    pub transcriber: ava_model::Transcriber,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fallback_plan: Option<FallbackTranscriberPlan>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FallbackTranscriberPlan {
    pub transcribers: Vec<ava_model::Transcriber>,
}

impl From<&ava_model::Hearing> for TranscriberConfig {
    fn from(hearing: &ava_model::Hearing) -> Self {
        Self {
            transcriber: hearing.primary.clone(),
            fallback_plan: (!hearing.fallbacks.is_empty()).then(|| FallbackTranscriberPlan {
                transcribers: hearing.fallbacks.clone(),
            }),
        }
    }
}

/// Where a call goes when Ava hands it over: the owner's phone, and what she says first (in
/// the assistant's language). An assistant attached to a number never uses the number's
/// `fallbackDestination`, so the handoff lives on the assistant: a `transferCall` tool she
/// uses when a caller asks for a person or she cannot help, and a `call.ending` hook that
/// transfers the call when her own pipeline fails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handoff {
    pub number: String,
    pub message: String,
}

/// `CreateTransferCallToolDTO` with one number destination.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TransferCallTool {
    #[serde(rename = "type")]
    kind: &'static str,
    destinations: Vec<TransferDestination>,
}

/// `TransferDestinationNumber`.
#[derive(Debug, Clone, PartialEq, Serialize)]
struct TransferDestination {
    #[serde(rename = "type")]
    kind: &'static str,
    number: String,
    message: String,
    /// Read by the model to choose when to transfer (Vapi: "used by the AI to choose when and
    /// how to transfer the call").
    description: &'static str,
}

const OWNER_DESTINATION: &str = "The business owner's own phone. Transfer when the caller asks \
    to speak to a person, or when you cannot help them.";

impl TransferCallTool {
    pub fn to(handoff: &Handoff) -> Self {
        Self {
            kind: "transferCall",
            destinations: vec![TransferDestination {
                kind: "number",
                number: handoff.number.clone(),
                message: handoff.message.clone(),
                description: OWNER_DESTINATION,
            }],
        }
    }
}

/// `CallHookCallEnding`: on the listed ended reasons, transfer the call.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CallEndingHook {
    on: &'static str,
    filters: Vec<HookFilter>,
    #[serde(rename = "do")]
    actions: Vec<ToolCallHookAction>,
}

/// `CallHookFilter`.
#[derive(Debug, Clone, PartialEq, Serialize)]
struct HookFilter {
    #[serde(rename = "type")]
    kind: &'static str,
    key: &'static str,
    #[serde(rename = "oneOf")]
    one_of: Vec<&'static str>,
}

/// `ToolCallHookAction`. (Vapi's prose docs show `{"type": "transfer", "destination": …}`
/// here; the published schema has only `tool` and `message` actions, and the schema is what
/// the API validates.)
#[derive(Debug, Clone, PartialEq, Serialize)]
struct ToolCallHookAction {
    #[serde(rename = "type")]
    kind: &'static str,
    tool: TransferCallTool,
}

impl CallEndingHook {
    /// Transfers to `handoff` a call that ends for one of `reasons`.
    pub fn transfer_on(reasons: Vec<&'static str>, handoff: &Handoff) -> Self {
        Self {
            on: "call.ending",
            filters: vec![HookFilter {
                kind: "oneOf",
                key: "call.endedReason",
                one_of: reasons,
            }],
            actions: vec![ToolCallHookAction {
                kind: "tool",
                tool: TransferCallTool::to(handoff),
            }],
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VoiceConfig {
    pub provider: String,
    pub voice_id: String,
    /// The voice Vapi switches to when this one's provider fails, so what Ava says (the
    /// handoff's message above all) is still spoken.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fallback_plan: Option<VoiceFallbackPlan>,
}

/// `FallbackPlan` of a voice.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VoiceFallbackPlan {
    pub voices: Vec<ava_model::FallbackVoice>,
}

/// `ArtifactPlan`, limited to recording: Vapi records every call unless told not to.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactPlan {
    pub recording_enabled: bool,
}

/// `AnalysisPlan` with its `summaryPlan`: the summary the studio home shows, written in the
/// owner's language (Vapi's default prompt writes English).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AnalysisPlan {
    pub summary_plan: SummaryPlan,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SummaryPlan {
    pub messages: Vec<Message>,
}

impl SummaryPlan {
    /// Vapi's own summary prompt, asked to write in `language` (an English name: "French").
    pub fn written_in(language: &str) -> Self {
        Self {
            messages: vec![
                Message {
                    role: "system".to_owned(),
                    content: format!(
                        "You are an expert note-taker. You will be given a transcript of a call. \
                         Summarize the call in 2-3 sentences, written in {language} whatever \
                         language the call was in. DO NOT return anything except the summary."
                    ),
                },
                Message {
                    role: "user".to_owned(),
                    content: "Here is the transcript:\n\n{{transcript}}\n\n. Here is the ended \
                              reason of the call:\n\n{{endedReason}}\n\n"
                        .to_owned(),
                },
            ],
        }
    }
}

/// What the owner decides about calls (step 7), as Vapi takes it.
#[derive(Debug, Clone, PartialEq)]
pub struct CallSettings {
    /// `maxDurationSeconds` (Vapi cuts calls at 10 minutes unless told).
    pub max_duration_seconds: u32,
    /// `backgroundSound`: `off`, or `office` (Vapi's default on phone calls).
    pub background_sound: &'static str,
    pub recording: bool,
    /// Said when Ava ends a call, in the assistant's language.
    pub goodbye: String,
    /// The language summaries are written in (the owner's, in English words).
    pub summary_language: &'static str,
}

/// Vapi's `CreateAssistantDTO`, limited to what Ava sends. Vapi rejects unknown fields, so
/// this is exactly its shape: the prompt is a system message, there is no `systemPrompt`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateAssistant {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transcriber: Option<TranscriberConfig>,
    pub voice: VoiceConfig,
    pub model: ModelConfig,
    /// `None` leaves Vapi's hooks as they are; an update sends the list, empty included, since
    /// an absent top-level field is kept and a removed handoff must go.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hooks: Option<Vec<CallEndingHook>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_duration_seconds: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub background_sound: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub artifact_plan: Option<ArtifactPlan>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_call_message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub analysis_plan: Option<AnalysisPlan>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Map<String, Value>>,
}

impl CreateAssistant {
    /// Maps the seed's payload to Vapi's real one. `phoneNumber` is not an assistant field
    /// in Vapi (numbers are imported separately), so it stays out of the request.
    pub fn from_spec(spec: &AssistantSpec) -> Self {
        Self {
            name: spec.name.as_str().to_owned(),
            first_message: spec.first_message.as_ref().map(|m| m.as_str().to_owned()),
            transcriber: None,
            hooks: None,
            max_duration_seconds: None,
            background_sound: None,
            artifact_plan: None,
            end_call_message: None,
            analysis_plan: None,
            voice: VoiceConfig {
                provider: spec.voice.provider.as_str().to_owned(),
                voice_id: spec.voice.voice_id.clone(),
                fallback_plan: None,
            },
            model: ModelConfig {
                provider: spec.model.provider.as_str().to_owned(),
                model: spec.model.model.clone(),
                temperature: spec.model.temperature.map(|t| t.get()),
                messages: vec![Message {
                    role: "system".to_owned(),
                    content: spec.instructions.as_str().to_owned(),
                }],
                tools: Vec::new(),
            },
            metadata: spec.metadata.clone(),
        }
    }

    /// Hears callers as `hearing` says.
    pub fn hearing(mut self, hearing: &ava_model::Hearing) -> Self {
        self.transcriber = Some(TranscriberConfig::from(hearing));
        self
    }

    /// Hands calls to `handoff` (a tool and a hook), or to no one: the list of hooks is sent
    /// either way, so that removing the owner's phone removes the handoff from Vapi.
    pub fn handing_off_to(mut self, handoff: Option<&Handoff>) -> Self {
        self.model
            .tools
            .retain(|tool| !matches!(tool, Tool::Transfer(_)));
        self.model
            .tools
            .extend(handoff.map(|h| Tool::Transfer(TransferCallTool::to(h))));
        self.hooks = Some(
            handoff
                .map(|h| CallEndingHook::transfer_on(ava_model::handoff_ended_reasons(), h))
                .into_iter()
                .collect(),
        );
        self
    }

    /// Sounds as `speaking` says: its voice (when the owner chose none of their own) with a
    /// voice of another provider behind it.
    pub fn speaking(mut self, speaking: &ava_model::Speaking) -> Self {
        self.voice.fallback_plan = Some(VoiceFallbackPlan {
            voices: vec![speaking.fallback.clone()],
        });
        self
    }

    /// The owner's call settings, sent at creation and with every update (an absent field is
    /// kept by Vapi, so a setting turned back is sent too).
    pub fn with_call_settings(mut self, settings: &CallSettings) -> Self {
        self.max_duration_seconds = Some(settings.max_duration_seconds);
        self.background_sound = Some(settings.background_sound);
        self.artifact_plan = Some(ArtifactPlan {
            recording_enabled: settings.recording,
        });
        self.end_call_message = Some(settings.goodbye.clone());
        if !self
            .model
            .tools
            .iter()
            .any(|t| matches!(t, Tool::EndCall(_)))
        {
            self.model.tools.push(Tool::EndCall(EndCallTool::new()));
        }
        self.analysis_plan = Some(AnalysisPlan {
            summary_plan: SummaryPlan::written_in(settings.summary_language),
        });
        self
    }
}

/// An assistant as Vapi returns it (the fields Ava reads).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Assistant {
    pub id: String,
    pub org_id: String,
    #[serde(default)]
    pub name: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    #[serde(default)]
    pub metadata: Option<Map<String, Value>>,
}

/// `GET /assistant` and `GET /phone-number` filters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListQuery {
    pub limit: Option<u32>,
    /// ISO-8601; only items created strictly after this instant.
    pub created_at_gt: Option<String>,
}

impl ListQuery {
    fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        if let Some(limit) = self.limit {
            pairs.push(("limit", limit.to_string()));
        }
        if let Some(after) = &self.created_at_gt {
            pairs.push(("createdAtGt", after.clone()));
        }
        pairs
    }
}

/// `POST /phone-number` with `provider: "twilio"`.
pub struct ImportTwilioNumber<'a> {
    pub number: &'a str,
    pub twilio_account_sid: &'a str,
    pub twilio_auth_token: &'a SecretString,
    pub assistant_id: Option<&'a str>,
    pub name: Option<&'a str>,
    /// Vapi's default (true) points the number's SMS webhook at Vapi, replacing whatever
    /// answered texts to it before; false leaves it alone.
    pub sms_enabled: bool,
}

/// A phone number as Vapi returns it. Vapi echoes `twilioAuthToken`; it is not read, so it
/// cannot be logged or stored by accident.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PhoneNumberRecord {
    pub id: String,
    pub org_id: String,
    pub number: Option<String>,
    #[serde(default)]
    pub assistant_id: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    pub created_at: String,
}

#[derive(Clone)]
pub struct VapiClient {
    pub(crate) http: reqwest::Client,
    base_url: String,
}

impl VapiClient {
    pub fn new(http: reqwest::Client, base_url: Option<&str>) -> Self {
        Self {
            http,
            base_url: base_url
                .unwrap_or(VAPI_BASE_URL)
                .trim_end_matches('/')
                .to_owned(),
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// Vapi's own advice: a read-only `GET /assistant` tells whether a private key works.
    pub async fn verify_key(&self, key: &SecretString) -> Result<(), ProviderError> {
        let request = self
            .http
            .get(self.url("/assistant"))
            .query(&[("limit", "1")])
            .bearer_auth(key.expose_secret());
        send(Provider::Vapi, request).await.map(|_| ())
    }

    pub async fn create_assistant(
        &self,
        key: &SecretString,
        assistant: &CreateAssistant,
    ) -> Result<Assistant, ProviderError> {
        let request = self
            .http
            .post(self.url("/assistant"))
            .bearer_auth(key.expose_secret())
            .json(assistant);
        let (_, body) = send(Provider::Vapi, request).await?;
        decode(Provider::Vapi, &body)
    }

    pub async fn list_assistants(
        &self,
        key: &SecretString,
        query: &ListQuery,
    ) -> Result<Vec<Assistant>, ProviderError> {
        let request = self
            .http
            .get(self.url("/assistant"))
            .query(&query.pairs())
            .bearer_auth(key.expose_secret());
        let (_, body) = send(Provider::Vapi, request).await?;
        decode(Provider::Vapi, &body)
    }

    /// How a retry finds what an attempt whose answer was lost made: the assistant whose
    /// `metadata[marker_key]` is `marker`, among those created since `started` (less 10
    /// minutes for clock skew between the caller and Vapi).
    pub async fn find_marked_assistant(
        &self,
        key: &SecretString,
        marker_key: &str,
        marker: &str,
        started: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<String>, ProviderError> {
        let since = started - chrono::Duration::minutes(10);
        let query = ListQuery {
            limit: Some(1000),
            created_at_gt: Some(since.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
        };
        let found = self.list_assistants(key, &query).await?;
        Ok(found
            .into_iter()
            .find(|a| {
                a.metadata
                    .as_ref()
                    .and_then(|m| m.get(marker_key))
                    .and_then(Value::as_str)
                    == Some(marker)
            })
            .map(|a| a.id))
    }

    pub async fn get_assistant(
        &self,
        key: &SecretString,
        id: &str,
    ) -> Result<Assistant, ProviderError> {
        let request = self
            .http
            .get(self.url(&format!("/assistant/{id}")))
            .bearer_auth(key.expose_secret());
        let (_, body) = send(Provider::Vapi, request).await?;
        decode(Provider::Vapi, &body)
    }

    /// `PATCH /assistant/{id}` with the assistant as it should be. Vapi replaces nested objects
    /// instead of merging them, so the whole `model` (with the system prompt) and `voice` are
    /// always sent; `metadata` is left out, which keeps the provisioning marker.
    pub async fn update_assistant(
        &self,
        key: &SecretString,
        id: &str,
        assistant: &CreateAssistant,
    ) -> Result<Assistant, ProviderError> {
        let request = self
            .http
            .patch(self.url(&format!("/assistant/{id}")))
            .bearer_auth(key.expose_secret())
            .json(assistant);
        let (_, body) = send(Provider::Vapi, request).await?;
        decode(Provider::Vapi, &body)
    }

    pub async fn delete_assistant(
        &self,
        key: &SecretString,
        id: &str,
    ) -> Result<(), ProviderError> {
        let request = self
            .http
            .delete(self.url(&format!("/assistant/{id}")))
            .bearer_auth(key.expose_secret());
        send(Provider::Vapi, request).await.map(|_| ())
    }

    /// Imports a Twilio number into Vapi (Vapi checks with Twilio that the account owns it)
    /// and, with `assistant_id`, attaches the assistant for inbound calls.
    pub async fn import_twilio_number(
        &self,
        key: &SecretString,
        import: &ImportTwilioNumber<'_>,
    ) -> Result<PhoneNumberRecord, ProviderError> {
        let mut body = serde_json::json!({
            "provider": "twilio",
            "number": import.number,
            "twilioAccountSid": import.twilio_account_sid,
            "twilioAuthToken": import.twilio_auth_token.expose_secret(),
            "smsEnabled": import.sms_enabled,
        });
        if let Some(assistant_id) = import.assistant_id {
            body["assistantId"] = Value::from(assistant_id);
        }
        if let Some(name) = import.name {
            body["name"] = Value::from(name);
        }
        let request = self
            .http
            .post(self.url("/phone-number"))
            .bearer_auth(key.expose_secret())
            .json(&body);
        let (_, body) = send(Provider::Vapi, request).await?;
        decode(Provider::Vapi, &body)
    }

    pub async fn list_phone_numbers(
        &self,
        key: &SecretString,
        query: &ListQuery,
    ) -> Result<Vec<PhoneNumberRecord>, ProviderError> {
        let request = self
            .http
            .get(self.url("/phone-number"))
            .query(&query.pairs())
            .bearer_auth(key.expose_secret());
        let (_, body) = send(Provider::Vapi, request).await?;
        decode(Provider::Vapi, &body)
    }

    /// Points an imported number at an assistant.
    pub async fn attach_assistant(
        &self,
        key: &SecretString,
        phone_number_id: &str,
        assistant_id: &str,
    ) -> Result<PhoneNumberRecord, ProviderError> {
        let request = self
            .http
            .patch(self.url(&format!("/phone-number/{phone_number_id}")))
            .bearer_auth(key.expose_secret())
            .json(&serde_json::json!({ "assistantId": assistant_id }));
        let (_, body) = send(Provider::Vapi, request).await?;
        decode(Provider::Vapi, &body)
    }
}
