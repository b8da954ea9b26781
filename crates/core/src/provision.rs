//! Creating the assistant exactly once. Vapi has no idempotency (and its own SDKs retry
//! POSTs), so a provisioning id is saved in the draft before the first call and put in the
//! assistant's metadata; every retry, and every run after a restart, first lists recent
//! assistants and adopts the one carrying that id. The Twilio number is handled the same way:
//! an imported number is found by its number before importing again.

use std::future::Future;

use ava_model::{
    AssistantName, AssistantSpec, ModelChoice, ModelProvider, Persona, StudioConfig, Text, Tone,
    VoiceChoice, VoiceProvider,
};
use ava_vapi::{CreateAssistant, ImportTwilioNumber, ListQuery, ProviderError};
use secrecy::SecretString;
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::error::{CoreError, Precondition};
use crate::onboarding::Onboarding;
use crate::secrets::SecretName;
use crate::state::{Draft, Edit, Provisioning};

/// The instructions step 7 pre-writes from steps 3 and 5 (the user may edit them).
pub fn default_instructions(draft: &Draft) -> String {
    let studio = &draft.studio;
    let business = draft
        .profile
        .organization_name
        .as_ref()
        .map_or("the business".to_owned(), |n| n.as_str().to_owned());
    let role = match studio.persona.unwrap_or(Persona::Secretary) {
        Persona::Secretary => "the secretary who answers the phone",
        Persona::Concierge => "the concierge who welcomes and helps callers",
        Persona::Sdr => "a sales development representative who qualifies leads",
        Persona::CustomerSuccess => "the customer success agent who solves callers' problems",
    };
    let mut lines = vec![format!("You are Ava, {role} for {business}.")];
    if let Some(job) = &studio.job_to_be_done {
        lines.push(format!("Your job: {}", job.as_str()));
    }
    let tone = match studio.tone.unwrap_or(Tone::Professional) {
        Tone::Professional => "professional",
        Tone::Friendly => "warm and friendly",
        Tone::Casual => "relaxed and casual",
        Tone::Formal => "formal and courteous",
        Tone::Enthusiastic => "upbeat and enthusiastic",
    };
    lines.push(format!("Keep a {tone} tone."));
    if !studio.languages.is_empty() {
        let codes: Vec<&str> = studio.languages.iter().map(|l| l.as_str()).collect();
        lines.push(format!(
            "Speak {} first; switch to the caller's language when it is one of: {}.",
            codes[0],
            codes.join(", ")
        ));
    }
    if let Some(hours) = &studio.business_hours {
        // A weekly schedule is spelled out, with its time zone, so "are you open on
        // Saturday?" gets the right answer; free text is passed on as written.
        let zone = draft
            .profile
            .timezone
            .as_ref()
            .map(|z| format!(" ({} time)", z.as_str()))
            .unwrap_or_default();
        let line = match ava_model::WeeklySchedule::parse(hours.as_str()) {
            Some(schedule) => format!("Business hours{zone}: {}.", schedule.for_instructions()),
            None => format!("Business hours: {}.", hours.as_str()),
        };
        lines.push(format!("{line} Outside them, take a message."));
    }
    if let Some(email) = &studio.fallback_email {
        lines.push(format!(
            "When you cannot help, promise a follow-up from {}.",
            email.as_str()
        ));
    }
    if let Some(guidelines) = &studio.guidelines {
        lines.push(format!("Guidelines: {}", guidelines.as_str()));
    }
    lines.join("\n")
}

/// The Azure neural voices step 7 offers, by the language each speaks.
const VOICE_BY_LANGUAGE: [(&str, &str); 8] = [
    ("en", "en-US-JennyNeural"),
    ("fr", "fr-FR-DeniseNeural"),
    ("he", "he-IL-HilaNeural"),
    ("es", "es-ES-ElviraNeural"),
    ("de", "de-DE-KatjaNeural"),
    ("it", "it-IT-ElsaNeural"),
    ("pt", "pt-BR-FranciscaNeural"),
    ("ar", "ar-SA-ZariyahNeural"),
];

/// Every voice step 7's select offers.
pub const VOICES: [&str; 8] = {
    let mut voices = [""; 8];
    let mut i = 0;
    while i < VOICE_BY_LANGUAGE.len() {
        voices[i] = VOICE_BY_LANGUAGE[i].1;
        i += 1;
    }
    voices
};

/// An Azure neural voice that speaks the assistant's first language (English otherwise).
pub fn voice_for(studio: &StudioConfig) -> VoiceChoice {
    let language = studio.languages.first().map_or("en", |l| l.as_str());
    let voice = VOICE_BY_LANGUAGE
        .iter()
        .find(|(code, _)| *code == language)
        .map_or(VOICE_BY_LANGUAGE[0].1, |(_, voice)| voice);
    VoiceChoice {
        provider: VoiceProvider::Azure,
        voice_id: voice.to_owned(),
    }
}

/// A greeting in the assistant's first language.
pub fn default_first_message(draft: &Draft) -> String {
    let business = draft
        .profile
        .organization_name
        .as_ref()
        .map(|n| n.as_str().to_owned());
    match (draft.studio.languages.first().map(|l| l.as_str()), business) {
        (Some("fr"), Some(b)) => {
            format!("Bonjour, {b}, Ava à l'appareil. Comment puis-je vous aider ?")
        }
        (Some("fr"), None) => "Bonjour, Ava à l'appareil. Comment puis-je vous aider ?".to_owned(),
        (Some("he"), Some(b)) => format!("שלום, הגעתם ל{b}, מדברת אווה. איך אפשר לעזור?"),
        (Some("he"), None) => "שלום, מדברת אווה. איך אפשר לעזור?".to_owned(),
        (_, Some(b)) => format!("Hello, you've reached {b}. This is Ava, how can I help?"),
        (_, None) => "Hello, this is Ava. How can I help?".to_owned(),
    }
}

/// What step 7 lets the user change; the rest comes from the wizard.
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
#[serde(default)]
pub struct AssistantChoices {
    pub name: Option<String>,
    pub instructions: Option<String>,
    pub first_message: Option<String>,
    pub voice_id: Option<String>,
}

/// Step 7's form as the window sends it: every field is the user's choice.
impl From<ava_ipc::AssistantForm> for AssistantChoices {
    fn from(form: ava_ipc::AssistantForm) -> Self {
        Self {
            name: Some(form.name),
            instructions: Some(form.instructions),
            first_message: Some(form.first_message),
            voice_id: Some(form.voice_id),
        }
    }
}

impl AssistantChoices {
    /// The choices to keep: a field equal to what the wizard would write becomes `None`, so
    /// it keeps following the wizard (the instructions name the new hours after an edit).
    pub fn normalized(&self, draft: &Draft) -> Self {
        let differs = |chosen: &Option<String>, generated: String| {
            chosen.clone().filter(|c| c.trim() != generated.trim())
        };
        Self {
            name: self.name.clone(),
            instructions: differs(&self.instructions, default_instructions(draft)),
            first_message: differs(&self.first_message, default_first_message(draft)),
            voice_id: differs(&self.voice_id, voice_for(&draft.studio).voice_id),
        }
    }
}

/// The assistant as the draft describes it now (what Vapi should run), with the choices kept
/// at step 7, or `None` before it is created.
pub fn live_spec(draft: &Draft) -> Option<Result<(String, AssistantSpec), CoreError>> {
    let run = draft.provisioning.as_ref()?;
    let id = run.assistant_id.clone()?;
    let mut choices = draft.assistant_choices.clone();
    choices.name.get_or_insert_with(|| run.name.clone());
    Some(build_spec(draft, &choices).map(|spec| (id, spec)))
}

/// What updating the assistant to `spec` sends: everything but the metadata (sending it would
/// replace the provisioning marker).
pub fn update_request(spec: &AssistantSpec) -> CreateAssistant {
    let mut body = CreateAssistant::from_spec(spec);
    body.metadata = None;
    body
}

/// [`update_request`] as JSON, to compare with what Vapi last confirmed.
pub fn assistant_body(spec: &AssistantSpec) -> Value {
    serde_json::to_value(update_request(spec)).unwrap_or_default()
}

/// The assistant to create, checked by the model's rules.
pub fn build_spec(draft: &Draft, choices: &AssistantChoices) -> Result<AssistantSpec, CoreError> {
    let mut errors = Vec::new();
    let name = check(
        &mut errors,
        "name",
        AssistantName::parse(choices.name.as_deref().unwrap_or("Ava")),
    );
    let instructions = choices
        .instructions
        .clone()
        .unwrap_or_else(|| default_instructions(draft));
    let instructions = check(
        &mut errors,
        "instructions",
        Text::parse(&instructions, ava_model::INSTRUCTIONS_MAX),
    );
    let first = choices
        .first_message
        .clone()
        .unwrap_or_else(|| default_first_message(draft));
    let first_message = check(
        &mut errors,
        "firstMessage",
        Text::parse(&first, ava_model::FIRST_MESSAGE_MAX),
    );
    let mut voice = voice_for(&draft.studio);
    if let Some(id) = choices.voice_id.as_ref().filter(|v| !v.trim().is_empty()) {
        voice.voice_id = id.trim().to_owned();
    }
    match (name, instructions, first_message) {
        (Some(name), Some(instructions), Some(first_message)) => Ok(AssistantSpec {
            name,
            instructions,
            phone_number: draft
                .twilio
                .as_ref()
                .and_then(|t| t.phone_number.as_deref())
                .and_then(|n| ava_model::PhoneNumber::parse(n).ok()),
            first_message: Some(first_message),
            voice,
            model: ModelChoice {
                provider: ModelProvider::OpenAi,
                model: "gpt-4o-mini".to_owned(),
                temperature: ava_model::Temperature::parse(0.5).ok(),
            },
            metadata: None,
        }),
        _ => Err(ava_model::FieldErrors(errors).into()),
    }
}

fn check<T>(
    errors: &mut Vec<ava_model::FieldError>,
    field: &str,
    result: Result<T, ava_model::Violation>,
) -> Option<T> {
    result
        .map_err(|v| errors.push(ava_model::FieldError::new(field, v)))
        .ok()
}

/// What provisioning achieved; the UI shows it as a step list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProvisionReport {
    pub assistant_id: String,
    pub phone_number_id: Option<String>,
    /// False when the server could not be reached: the record waits in the outbox.
    pub recorded: bool,
}

const MARKER: &str = "ava_provisioning_id";

impl Onboarding {
    /// Creates the assistant, imports and attaches the Twilio number when one is set up,
    /// records the result and sets the flag; safe to call again after any failure or restart.
    pub async fn provision(
        &self,
        choices: &AssistantChoices,
    ) -> Result<ProvisionReport, CoreError> {
        let _one_at_a_time = self.inner.provisioning.lock().await;
        let key = self
            .get_secret(SecretName::VapiKey)
            .await?
            .ok_or(CoreError::Precondition(Precondition::VapiKeyMissing))?;
        let draft = self.snapshot();
        let spec = build_spec(&draft, choices)?;
        // Kept for the live assistant: a later edit of the hours or the guidelines rewrites
        // the instructions only if the owner did not write their own.
        let kept = choices.normalized(&draft);
        self.update_draft(|draft| draft.assistant_choices = kept)?;

        // 1. The provisioning id reaches the disk before Vapi hears anything.
        let existing = self.inner.lock().provisioning.clone();
        let mut run = existing.unwrap_or_else(|| Provisioning {
            id: format!("{:032x}", rand::random::<u128>()),
            name: spec.name.as_str().to_owned(),
            started_at: chrono::Utc::now(),
            assistant_id: None,
            phone_number_id: None,
            recorded: false,
        });
        self.save_run(&run)?;

        // 2. The assistant: adopted if an earlier try made it, created otherwise.
        if run.assistant_id.is_none() {
            let mut body = CreateAssistant::from_spec(&spec);
            let mut metadata = body.metadata.take().unwrap_or_default();
            metadata.insert(MARKER.to_owned(), Value::from(run.id.clone()));
            metadata.insert("created_from".to_owned(), Value::from("ava-desktop"));
            body.metadata = Some(metadata);
            let id = self
                .with_retries(|| async {
                    if let Some(found) = self.find_assistant(&key, &run).await? {
                        return Ok(found);
                    }
                    self.inner
                        .vapi
                        .create_assistant(&key, &body)
                        .await
                        .map(|a| a.id)
                })
                .await?;
            run.assistant_id = Some(id);
            // Vapi now runs exactly this: no update to send for it.
            let live = assistant_body(&spec);
            self.update_draft(|draft| draft.live_assistant = Some(live))?;
            self.save_run(&run)?;
        }
        let assistant_id = run.assistant_id.clone().unwrap_or_default();

        // 3. The number, when Twilio is set up: imported once, attached to this assistant.
        let twilio = self.snapshot().twilio;
        let token = self.get_secret(SecretName::TwilioAuthToken).await?;
        if let (None, Some(twilio), Some(token)) = (&run.phone_number_id, twilio, token)
            && let Some(number) = twilio.phone_number.clone()
        {
            let fallback = self.inner.lock().owner_phone.clone();
            let id = self
                .with_retries(|| {
                    self.import_number(
                        &key,
                        &token,
                        (&twilio.account_sid, &number),
                        &assistant_id,
                        fallback.as_deref(),
                    )
                })
                .await?;
            run.phone_number_id = Some(id);
            self.save_run(&run)?;
        }

        // 4. Record it and set the flag, through the outbox so neither is lost offline.
        let (name, voice) = (spec.name.as_str().to_owned(), spec.voice.voice_id.clone());
        self.record(|a, now, c| a.assistant_created(&name, &voice, now, c))?;
        self.apply(Edit::Flags(ava_model::FlagsPatch {
            onboarding_assistant_created: Some(true),
            ..Default::default()
        }));
        let needs_record = !run.recorded;
        self.update_draft(|draft| draft.outbox.record_assistant |= needs_record)?;
        let recorded = match self.session_token().await? {
            Some(_) => self.sync_now().await.is_ok() && !self.snapshot().outbox.record_assistant,
            None => false,
        };
        Ok(ProvisionReport {
            assistant_id,
            phone_number_id: run.phone_number_id,
            recorded,
        })
    }

    fn save_run(&self, run: &Provisioning) -> Result<(), CoreError> {
        self.update_draft(|draft| draft.provisioning = Some(run.clone()))?;
        self.inner.progress.send_replace(Some(run.clone()));
        Ok(())
    }

    /// Retries transient failures with backoff; anything else is the user's to fix.
    pub(crate) async fn with_retries<T, F, Fut>(&self, mut call: F) -> Result<T, CoreError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, ProviderError>>,
    {
        let policy = self.inner.config.retry;
        let mut attempt = 0;
        loop {
            match call().await {
                Ok(value) => return Ok(value),
                Err(error) if error.is_transient() && attempt + 1 < policy.attempts => {
                    tracing::info!(%error, attempt, "provisioning call failed; retrying");
                    tokio::time::sleep(policy.delay(attempt)).await;
                    attempt += 1;
                }
                Err(error) => return Err(error.into()),
            }
        }
    }

    async fn find_assistant(
        &self,
        key: &SecretString,
        run: &Provisioning,
    ) -> Result<Option<String>, ProviderError> {
        self.inner
            .vapi
            .find_marked_assistant(key, MARKER, &run.id, run.started_at)
            .await
    }

    /// Imports `(account, number)` once (an earlier import is found and attached instead);
    /// a new import already carries the owner's phone as its fallback.
    async fn import_number(
        &self,
        key: &SecretString,
        token: &SecretString,
        (account_sid, number): (&str, &str),
        assistant_id: &str,
        fallback: Option<&str>,
    ) -> Result<String, ProviderError> {
        let vapi = &self.inner.vapi;
        let existing = vapi
            .list_phone_numbers(
                key,
                &ListQuery {
                    limit: Some(1000),
                    created_at_gt: None,
                },
            )
            .await?
            .into_iter()
            .find(|n| n.number.as_deref() == Some(number));
        if let Some(existing) = existing {
            if existing.assistant_id.as_deref() != Some(assistant_id) {
                vapi.attach_assistant(key, &existing.id, assistant_id)
                    .await?;
            }
            return Ok(existing.id);
        }
        let import = ImportTwilioNumber {
            number,
            twilio_account_sid: account_sid,
            twilio_auth_token: token,
            assistant_id: Some(assistant_id),
            name: Some("Ava"),
            // The owner may already answer texts to this number elsewhere; Ava takes calls.
            sms_enabled: false,
            fallback_number: fallback,
        };
        let id = vapi.import_twilio_number(key, &import).await?.id;
        let confirmed = fallback.map(str::to_owned);
        let mut draft = self.inner.lock();
        draft.live_fallback = confirmed;
        self.inner.autosaver.changed(&draft);
        Ok(id)
    }
}

/// Metadata sent with the record, so the server row says how it was made.
pub fn record_metadata(run: &Provisioning) -> Map<String, Value> {
    let value = json!({"provisioning_id": run.id, "phone_number_id": run.phone_number_id});
    value.as_object().cloned().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_equal_to_the_wizard_follow_it_and_the_owners_own_stay() {
        let mut draft = Draft::default();
        draft.studio.business_hours =
            Some(ava_model::Text::parse("Mon-Fri 09:00-18:00", 200).unwrap());
        let generated = AssistantChoices {
            name: Some("Ava".into()),
            instructions: Some(default_instructions(&draft)),
            first_message: Some(format!("{}  ", default_first_message(&draft))),
            voice_id: Some(voice_for(&draft.studio).voice_id),
        };
        let kept = generated.normalized(&draft);
        assert_eq!(
            kept,
            AssistantChoices {
                name: Some("Ava".into()),
                ..Default::default()
            }
        );
        let own = AssistantChoices {
            instructions: Some("Only book cleanings.".into()),
            voice_id: Some("he-IL-HilaNeural".into()),
            ..generated
        };
        let kept = own.normalized(&draft);
        assert_eq!(kept.instructions.as_deref(), Some("Only book cleanings."));
        assert_eq!(kept.voice_id.as_deref(), Some("he-IL-HilaNeural"));
        assert_eq!(kept.first_message, None);
    }

    #[test]
    fn every_spoken_language_has_a_voice_in_the_models_order() {
        let languages: Vec<&str> = VOICE_BY_LANGUAGE.iter().map(|(l, _)| *l).collect();
        assert_eq!(languages, ava_model::LanguageCode::SPOKEN);
    }
}
