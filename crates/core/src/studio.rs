//! After launch: trying Ava in text ("Talk to Ava", Vapi's chat API) and her recent calls.
//! The conversation lives in memory for this run only: it is a try-out, not a record, and
//! Vapi keeps its own copy under the chat id.

use ava_ipc::{CallView, ChatLine, ChatView};
use ava_model::{FieldError, FieldErrors, Text, Timezone};

use crate::error::{CoreError, Precondition};
use crate::onboarding::Onboarding;
use crate::provision::live_spec;
use crate::secrets::SecretName;

/// The longest message the owner may send in one turn.
pub const CHAT_MAX: usize = 2_000;
/// How many calls the home lists.
pub const CALLS_SHOWN: u32 = 20;

/// The conversation of this run.
#[derive(Debug, Default)]
pub(crate) struct ChatSession {
    /// Vapi's id of the last turn: the next one continues from it.
    previous_chat_id: Option<String>,
    lines: Vec<ChatLine>,
}

impl Onboarding {
    /// The live assistant's id and the Vapi key, or what is missing.
    async fn assistant_and_key(&self) -> Result<(String, secrecy::SecretString), CoreError> {
        let assistant_id = self
            .inner
            .lock()
            .provisioning
            .as_ref()
            .and_then(|p| p.assistant_id.clone())
            .ok_or(CoreError::Precondition(Precondition::AssistantMissing))?;
        let key = self
            .get_secret(SecretName::VapiKey)
            .await?
            .ok_or(CoreError::Precondition(Precondition::VapiKeyMissing))?;
        Ok((assistant_id, key))
    }

    /// One turn of "Talk to Ava": the owner's words, then hers, added to the conversation.
    pub async fn chat(&self, text: &str) -> Result<ChatView, CoreError> {
        let text = Text::parse(text, CHAT_MAX)
            .map_err(|v| FieldErrors(vec![FieldError::new(ava_ipc::CHAT_FIELD, v)]))?;
        let (assistant_id, key) = self.assistant_and_key().await?;
        // One turn at a time: the next continues from this one's chat id.
        let _one_turn = self.inner.chatting.lock().await;
        let previous = self.chat_session().previous_chat_id.clone();
        let chat = self
            .with_retries(|| {
                self.inner
                    .vapi
                    .chat(&key, &assistant_id, text.as_str(), previous.as_deref())
            })
            .await?;
        {
            let mut session = self.chat_session();
            session.previous_chat_id = Some(chat.id.clone());
            session.lines.push(ChatLine {
                from_owner: true,
                text: text.as_str().to_owned(),
            });
            session.lines.push(ChatLine {
                from_owner: false,
                text: chat.answer(),
            });
        }
        Ok(self.chat_view())
    }

    /// The conversation so far, with the instructions Ava runs on beside it.
    pub fn chat_view(&self) -> ChatView {
        let system_prompt = match live_spec(&self.inner.lock()) {
            Some(Ok((_, spec))) => Some(spec.instructions.as_str().to_owned()),
            _ => None,
        };
        ChatView {
            lines: self.chat_session().lines.clone(),
            system_prompt,
        }
    }

    /// Starts over: the next turn opens a new chat in Vapi.
    pub fn new_chat(&self) -> ChatView {
        *self.chat_session() = ChatSession::default();
        self.chat_view()
    }

    fn chat_session(&self) -> std::sync::MutexGuard<'_, ChatSession> {
        self.inner
            .chat
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// "Call my phone": Ava calls `number` from the attached number, so the owner hears her.
    /// A trial Twilio account is checked first: it can call verified numbers only, and the
    /// owner is told so before a call that would fail. Placing a call is not idempotent, so
    /// only a 429 (refused before anything happened) is asked again.
    pub async fn call_me(&self, number: &str) -> Result<CallView, CoreError> {
        let number = ava_model::PhoneNumber::normalize(number, None)
            .map_err(|v| FieldErrors(vec![FieldError::new(ava_ipc::CALL_TO_FIELD, v)]))?;
        let (assistant_id, key) = self.assistant_and_key().await?;
        let (from, twilio) = {
            let draft = self.inner.lock();
            let from = draft
                .provisioning
                .as_ref()
                .and_then(|p| p.phone_number_id.clone());
            (from, draft.twilio.clone())
        };
        let from = from.ok_or(CoreError::Precondition(Precondition::NumberMissing))?;
        if let Some(twilio) = twilio.filter(|t| t.trial)
            && let Some(token) = self.get_secret(SecretName::TwilioAuthToken).await?
        {
            let verified = self
                .with_retries(|| {
                    self.inner.twilio.is_verified_caller_id(
                        &twilio.account_sid,
                        &token,
                        number.as_str(),
                    )
                })
                .await?;
            if !verified {
                return Err(CoreError::Precondition(
                    Precondition::TrialNumberNotVerified,
                ));
            }
        }
        // The number the owner calls from is their own: calls Ava cannot take go there.
        let own = number.as_str().to_owned();
        if self.inner.lock().owner_phone.as_deref() != Some(own.as_str()) {
            self.update_draft(|draft| draft.owner_phone = Some(own))?;
        }
        let mut attempt = 0;
        let call = loop {
            match self
                .inner
                .vapi
                .create_call(&key, &assistant_id, &from, number.as_str())
                .await
            {
                Err(error) if error.status() == Some(429) && attempt < 2 => {
                    tokio::time::sleep(self.inner.config.retry.delay(attempt)).await;
                    attempt += 1;
                }
                other => break other?,
            }
        };
        Ok(self.call_view(call))
    }

    /// Where a call stands now.
    pub async fn call_status(&self, id: &str) -> Result<CallView, CoreError> {
        let (_, key) = self.assistant_and_key().await?;
        let call = self
            .with_retries(|| self.inner.vapi.get_call(&key, id))
            .await?;
        Ok(self.call_view(call))
    }

    /// The assistant's most recent calls, newest first.
    pub async fn recent_calls(&self) -> Result<Vec<CallView>, CoreError> {
        let (assistant_id, key) = self.assistant_and_key().await?;
        let mut calls = self
            .with_retries(|| self.inner.vapi.list_calls(&key, &assistant_id, CALLS_SHOWN))
            .await?;
        // Vapi does not promise an order.
        calls.sort_by(|a, b| b.created_at.cmp(&a.created_at));
        Ok(calls.into_iter().map(|call| self.call_view(call)).collect())
    }

    /// A call as the home lists it, its start on the business's clock.
    fn call_view(&self, call: ava_vapi::Call) -> CallView {
        let zone = self.inner.lock().profile.timezone.clone();
        let started = call
            .started_at
            .as_deref()
            .or(Some(&call.created_at))
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| {
                Timezone::wall_clock(zone.as_ref(), t.to_utc())
                    .format("%Y-%m-%d %H:%M")
                    .to_string()
            });
        CallView {
            duration_seconds: call.duration_seconds(),
            id: call.id,
            started,
            caller: call.customer.and_then(|c| c.number),
            status: call.status,
            ended_reason: call.ended_reason,
            summary: call.analysis.and_then(|a| a.summary),
        }
    }
}
