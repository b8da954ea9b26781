//! The assistant the wizard describes, as pure rules: the instructions, voice and greeting
//! step 7 pre-writes from the other steps, how she hears callers and whom she hands them to,
//! and the whole assistant as Vapi should run it. No I/O: the provisioning and live-assistant
//! services send what these functions build.

use ava_model::{
    AssistantName, AssistantSpec, FieldErrors, ModelChoice, ModelProvider, Persona, StudioConfig,
    StudioPatch, Text, Tone, VoiceChoice, VoiceProvider,
};
use ava_vapi::CreateAssistant;
use serde_json::{Map, Value, json};

use crate::rules::state::{AssistantChoices, Draft, Provisioning};

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
    if studio.fallback_phone.is_some() {
        lines.push(
            "When a caller asks to speak to a person, or you cannot help, say so and transfer the call with the transferCall tool."
                .to_owned(),
        );
    }
    if let Some(email) = &studio.fallback_email {
        lines.push(format!(
            "When you cannot help{}, promise a follow-up from {}.",
            if studio.fallback_phone.is_some() {
                " and the transfer fails"
            } else {
                ""
            },
            email.as_str()
        ));
    }
    if let Some(guidelines) = &studio.guidelines {
        lines.push(format!("Guidelines: {}", guidelines.as_str()));
    }
    lines.join("\n")
}

/// Every voice step 7's select offers: one per language Ava speaks.
pub fn voices() -> impl Iterator<Item = &'static str> {
    ava_model::SPOKEN.iter().map(|s| s.voice)
}

/// An Azure neural voice that speaks the assistant's first language (English otherwise).
pub fn voice_for(studio: &StudioConfig) -> VoiceChoice {
    VoiceChoice {
        provider: VoiceProvider::Azure,
        voice_id: ava_model::spoken_of(&studio.languages)[0].voice.to_owned(),
    }
}

/// A greeting in the assistant's first language.
pub fn default_first_message(draft: &Draft) -> String {
    let spoken = ava_model::spoken_of(&draft.studio.languages)[0];
    match &draft.profile.organization_name {
        Some(business) => spoken.greeting.replace("{business}", business.as_str()),
        None => spoken.greeting_anonymous.to_owned(),
    }
}

/// Where Ava hands calls over: the owner's phone from step 5, with her words for it in the
/// assistant's first language; `None` when the owner gave no phone.
pub fn handoff(draft: &Draft) -> Option<ava_vapi::Handoff> {
    let number = draft.studio.fallback_phone.as_ref()?;
    Some(ava_vapi::Handoff {
        number: number.as_str().to_owned(),
        message: ava_model::spoken_of(&draft.studio.languages)[0]
            .transfer_message
            .to_owned(),
    })
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

    /// What step 7 kept, as it is stored in the studio config (so every computer builds the
    /// same assistant): only the fields that differ from what the draft holds, so no request
    /// carries a value this computer did not change. Hand-written instructions carry the
    /// fingerprint of what the wizard would have written, to tell the owner later when the
    /// answers they came from change.
    pub fn studio_patch(&self, draft: &Draft) -> Result<StudioPatch, FieldErrors> {
        let kept = self.normalized(draft);
        let text = |value: &Option<String>| match value {
            Some(v) => Value::String(v.clone()),
            None => Value::String(String::new()),
        };
        let basis = kept
            .instructions
            .as_ref()
            .map(|_| instructions_fingerprint(&default_instructions(draft)));
        let patch = StudioPatch::from_json(&json!({
            "assistant_name": text(&kept.name),
            "assistant_voice_id": text(&kept.voice_id),
            "assistant_first_message": text(&kept.first_message),
            "assistant_instructions": text(&kept.instructions),
            "assistant_instructions_basis": text(&basis),
        }))?;
        let mut after = draft.studio.clone();
        after.apply(&patch);
        let changed: Vec<&str> = draft
            .studio
            .changed_fields(&after)
            .into_iter()
            .map(|f| f.as_str())
            .collect();
        Ok(patch.only(&changed))
    }
}

/// Step 7's choices as the studio config holds them.
pub fn chosen(studio: &StudioConfig) -> AssistantChoices {
    AssistantChoices {
        name: studio
            .assistant_name
            .as_ref()
            .map(|n| n.as_str().to_owned()),
        instructions: studio
            .assistant_instructions
            .as_ref()
            .map(|t| t.as_str().to_owned()),
        first_message: studio
            .assistant_first_message
            .as_ref()
            .map(|t| t.as_str().to_owned()),
        voice_id: studio
            .assistant_voice_id
            .as_ref()
            .map(|t| t.as_str().to_owned()),
    }
}

/// A short, stable fingerprint of instructions (SHA-256, the first 16 hex digits): enough to
/// tell that the wizard would write something else now, on any computer and in any build.
pub fn instructions_fingerprint(instructions: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(instructions.trim().as_bytes());
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// The owner wrote their own instructions, and the answers the wizard wrote its own from have
/// changed since (on this computer or another): the owner is told, their words are kept.
pub fn instructions_outdated(draft: &Draft) -> bool {
    let studio = &draft.studio;
    studio.assistant_instructions.is_some()
        && studio
            .assistant_instructions_basis
            .as_ref()
            .is_some_and(|basis| {
                basis.as_str() != instructions_fingerprint(&default_instructions(draft))
            })
}

/// The assistant as the draft describes it now (what Vapi should run), with the choices kept
/// at step 7, or `None` before it is created.
pub fn live_spec(draft: &Draft) -> Option<Result<(String, AssistantSpec), FieldErrors>> {
    let run = draft.provisioning.as_ref()?;
    let id = run.assistant_id.clone()?;
    let mut choices = chosen(&draft.studio);
    choices.name.get_or_insert_with(|| run.name.clone());
    Some(build_spec(draft, &choices).map(|spec| (id, spec)))
}

/// The whole assistant Vapi should run: `spec`, heard in the studio's languages, handing
/// calls to the owner's phone when there is one.
pub fn assistant_request(draft: &Draft, spec: &AssistantSpec) -> CreateAssistant {
    CreateAssistant::from_spec(spec)
        .hearing(&ava_model::hearing(&draft.studio.languages))
        .handing_off_to(handoff(draft).as_ref())
}

/// What updating the assistant sends: all of it (Vapi replaces nested objects, so the
/// transcriber, the tools and the hooks go every time) but the metadata, which would replace
/// the provisioning marker.
pub fn update_request(draft: &Draft, spec: &AssistantSpec) -> CreateAssistant {
    let mut body = assistant_request(draft, spec);
    body.metadata = None;
    body
}

/// [`update_request`] as JSON, to compare with what Vapi last confirmed.
pub fn assistant_body(draft: &Draft, spec: &AssistantSpec) -> Value {
    serde_json::to_value(update_request(draft, spec)).unwrap_or_default()
}

/// The assistant to create, checked by the model's rules.
pub fn build_spec(draft: &Draft, choices: &AssistantChoices) -> Result<AssistantSpec, FieldErrors> {
    let mut errors = Vec::new();
    let name = check(
        &mut errors,
        "name",
        AssistantName::parse(choices.name.as_deref().unwrap_or("Ava")),
    );
    // The owner's own words where they wrote some, the wizard's otherwise.
    let mut text = |field, chosen: &Option<String>, default: fn(&Draft) -> String, max| {
        let words = chosen.clone().unwrap_or_else(|| default(draft));
        check(&mut errors, field, Text::parse(&words, max))
    };
    let instructions = text(
        "instructions",
        &choices.instructions,
        default_instructions,
        ava_model::INSTRUCTIONS_MAX,
    );
    let first_message = text(
        "firstMessage",
        &choices.first_message,
        default_first_message,
        ava_model::FIRST_MESSAGE_MAX,
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
                provider: ModelProvider::Openai,
                model: "gpt-4o-mini".to_owned(),
                temperature: ava_model::Temperature::parse(0.5).ok(),
            },
            metadata: None,
        }),
        _ => Err(FieldErrors(errors)),
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

/// Step 7's form, pre-written from steps 3 and 5 (what the owner wrote there wins), and the
/// voices to offer, the one that speaks the assistant's first language first.
pub fn assistant_defaults(draft: &Draft) -> ava_ipc::AssistantDefaults {
    let voice = voice_for(&draft.studio).voice_id;
    let mut offered = vec![voice.clone()];
    offered.extend(voices().filter(|v| *v != voice).map(str::to_owned));
    let chosen = chosen(&draft.studio);
    ava_ipc::AssistantDefaults {
        instructions_outdated: instructions_outdated(draft),
        form: ava_ipc::AssistantForm {
            name: chosen.name.clone().unwrap_or_else(|| {
                draft
                    .provisioning
                    .as_ref()
                    .map_or_else(|| "Ava".to_owned(), |p| p.name.clone())
            }),
            voice_id: chosen.voice_id.clone().unwrap_or(voice),
            first_message: chosen
                .first_message
                .clone()
                .unwrap_or_else(|| default_first_message(draft)),
            instructions: chosen
                .instructions
                .clone()
                .unwrap_or_else(|| default_instructions(draft)),
        },
        voices: offered,
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
    fn the_assistants_voice_speaks_its_first_language_and_comes_first() {
        let mut draft = Draft::default();
        draft.apply(crate::rules::state::Edit::Studio(
            ava_model::StudioPatch::from_json(&serde_json::json!({"languages": ["fr", "en"]}))
                .unwrap(),
        ));
        let defaults = assistant_defaults(&draft);
        assert_eq!(defaults.form.name, "Ava");
        assert_eq!(defaults.voices[0], defaults.form.voice_id);
        assert!(
            defaults.form.voice_id.starts_with("fr-"),
            "{}",
            defaults.form.voice_id
        );
        let unique: std::collections::BTreeSet<_> = defaults.voices.iter().collect();
        assert_eq!(unique.len(), defaults.voices.len());
    }

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
}
