//! What the owner does with the assistant after launch: a text chat with it (`POST /chat`)
//! and its calls (`GET /call`). Shapes from `shared/notes/vapi-postlaunch.md`.

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::error::{Provider, ProviderError, decode, send};
use crate::vapi::VapiClient;

/// `POST /chat`: one turn. `previous_chat_id` continues a conversation (Vapi keeps its
/// messages); without it a new one starts.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct ChatRequest<'a> {
    assistant_id: &'a str,
    input: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    previous_chat_id: Option<&'a str>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ChatMessage {
    pub role: String,
    #[serde(default)]
    pub content: String,
}

/// The `Chat` Vapi answers with (the fields Ava reads).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Chat {
    pub id: String,
    #[serde(default)]
    pub output: Vec<ChatMessage>,
}

impl Chat {
    /// The assistant's answer: its messages in `output`, joined.
    pub fn answer(&self) -> String {
        self.output
            .iter()
            .filter(|m| m.role == "assistant")
            .map(|m| m.content.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub struct Customer {
    #[serde(default)]
    pub number: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub struct Analysis {
    #[serde(default)]
    pub summary: Option<String>,
}

/// A call as `GET /call` lists it. Vapi has no duration field: it is `endedAt − startedAt`.
/// `endedReason` stays a string: Vapi's list of reasons has hundreds and grows.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Call {
    pub id: String,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    pub created_at: String,
    #[serde(default)]
    pub started_at: Option<String>,
    #[serde(default)]
    pub ended_at: Option<String>,
    #[serde(default)]
    pub ended_reason: Option<String>,
    #[serde(default)]
    pub customer: Option<Customer>,
    #[serde(default)]
    pub analysis: Option<Analysis>,
}

impl Call {
    /// Whole seconds between start and end, when both are known.
    pub fn duration_seconds(&self) -> Option<i64> {
        let parse = |t: &Option<String>| {
            t.as_deref()
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        };
        let (start, end) = (parse(&self.started_at)?, parse(&self.ended_at)?);
        Some((end - start).num_seconds().max(0))
    }
}

impl VapiClient {
    /// One turn of a text conversation with the assistant.
    pub async fn chat(
        &self,
        key: &SecretString,
        assistant_id: &str,
        input: &str,
        previous_chat_id: Option<&str>,
    ) -> Result<Chat, ProviderError> {
        let request = self
            .http
            .post(self.url("/chat"))
            .bearer_auth(key.expose_secret())
            .json(&ChatRequest {
                assistant_id,
                input,
                previous_chat_id,
            });
        let (_, body) = send(Provider::Vapi, request).await?;
        decode(Provider::Vapi, &body)
    }

    /// The assistant's calls created in `[from, until)`, at most `limit` of them. Vapi returns
    /// a plain list in no stated order: when it holds `limit` calls, the window may hold more.
    pub async fn list_calls(
        &self,
        key: &SecretString,
        assistant_id: &str,
        (from, until): (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>),
        limit: u32,
    ) -> Result<Vec<Call>, ProviderError> {
        let stamp = |t: chrono::DateTime<chrono::Utc>| {
            t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        };
        let request = self
            .http
            .get(self.url("/call"))
            .query(&[
                ("assistantId", assistant_id.to_owned()),
                ("createdAtGe", stamp(from)),
                ("createdAtLt", stamp(until)),
                ("limit", limit.to_string()),
            ])
            .bearer_auth(key.expose_secret());
        let (_, body) = send(Provider::Vapi, request).await?;
        decode(Provider::Vapi, &body)
    }

    /// `POST /call`: Ava calls `number` from the imported number (a test call).
    pub async fn create_call(
        &self,
        key: &SecretString,
        assistant_id: &str,
        phone_number_id: &str,
        number: &str,
    ) -> Result<Call, ProviderError> {
        let request = self
            .http
            .post(self.url("/call"))
            .bearer_auth(key.expose_secret())
            .json(&serde_json::json!({
                "assistantId": assistant_id,
                "phoneNumberId": phone_number_id,
                "customer": {"number": number},
            }));
        let (_, body) = send(Provider::Vapi, request).await?;
        decode(Provider::Vapi, &body)
    }

    pub async fn get_call(&self, key: &SecretString, id: &str) -> Result<Call, ProviderError> {
        let request = self
            .http
            .get(self.url(&format!("/call/{id}")))
            .bearer_auth(key.expose_secret());
        let (_, body) = send(Provider::Vapi, request).await?;
        decode(Provider::Vapi, &body)
    }
}
