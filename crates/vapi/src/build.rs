//! The assistant Vapi should run, built from the owner's answers: the instructions, voice and
//! greeting step 7 pre-writes from the other steps (unless the owner wrote their own), how she
//! hears callers and whom she hands them to. Pure; the desktop core (creating her, keeping her
//! up to date from the computer that holds the key) and the server (keeping her up to date when
//! it holds the key) build her with these same functions, so every builder sends the same body.

use ava_model::{
    AssistantChoices, AssistantName, AssistantSpec, FieldErrors, ModelChoice, ModelProvider,
    Persona, Profile, StudioConfig, Text, Tone, VoiceChoice, VoiceProvider,
};
use serde_json::Value;

use crate::{CreateAssistant, Handoff};

/// What the assistant is built from: the owner's answers, and the number callers dial (when one
/// is attached).
#[derive(Debug, Clone, Copy)]
pub struct Answers<'a> {
    pub profile: &'a Profile,
    pub studio: &'a StudioConfig,
    pub phone_number: Option<&'a str>,
}

/// The instructions step 7 pre-writes from steps 3 and 5 (the user may edit them).
pub fn default_instructions(answers: &Answers) -> String {
    let studio = answers.studio;
    let business = answers
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
        let zone = answers
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
pub fn default_first_message(answers: &Answers) -> String {
    let spoken = ava_model::spoken_of(&answers.studio.languages)[0];
    match &answers.profile.organization_name {
        Some(business) => spoken.greeting.replace("{business}", business.as_str()),
        None => spoken.greeting_anonymous.to_owned(),
    }
}

/// Where Ava hands calls over: the owner's phone from step 5, with her words for it in the
/// assistant's first language; `None` when the owner gave no phone.
pub fn handoff(answers: &Answers) -> Option<Handoff> {
    let number = answers.studio.fallback_phone.as_ref()?;
    Some(Handoff {
        number: number.as_str().to_owned(),
        message: ava_model::spoken_of(&answers.studio.languages)[0]
            .transfer_message
            .to_owned(),
    })
}

/// A short, stable fingerprint of instructions (SHA-256, the first 16 hex digits): enough to
/// tell that the wizard would write something else now, on any computer and in any build.
pub fn instructions_fingerprint(instructions: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(instructions.trim().as_bytes());
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// The assistant to create, checked by the model's rules.
pub fn build_spec(
    answers: &Answers,
    choices: &AssistantChoices,
) -> Result<AssistantSpec, FieldErrors> {
    let mut errors = Vec::new();
    let name = check(
        &mut errors,
        "name",
        AssistantName::parse(choices.name.as_deref().unwrap_or("Ava")),
    );
    // The owner's own words where they wrote some, the wizard's otherwise.
    let mut text = |field, chosen: &Option<String>, default: fn(&Answers) -> String, max| {
        let words = chosen.clone().unwrap_or_else(|| default(answers));
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
    let mut voice = voice_for(answers.studio);
    if let Some(id) = choices.voice_id.as_ref().filter(|v| !v.trim().is_empty()) {
        voice.voice_id = id.trim().to_owned();
    }
    match (name, instructions, first_message) {
        (Some(name), Some(instructions), Some(first_message)) => Ok(AssistantSpec {
            name,
            instructions,
            phone_number: answers
                .phone_number
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

/// The whole assistant Vapi should run: `spec`, heard in the studio's languages, handing
/// calls to the owner's phone when there is one.
pub fn assistant_request(answers: &Answers, spec: &AssistantSpec) -> CreateAssistant {
    CreateAssistant::from_spec(spec)
        .hearing(&ava_model::hearing(&answers.studio.languages))
        .handing_off_to(handoff(answers).as_ref())
}

/// What updating the assistant sends: all of it (Vapi replaces nested objects, so the
/// transcriber, the tools and the hooks go every time) but the metadata, which would replace
/// the provisioning marker.
pub fn update_request(answers: &Answers, spec: &AssistantSpec) -> CreateAssistant {
    let mut body = assistant_request(answers, spec);
    body.metadata = None;
    body
}

/// [`update_request`] as JSON, to compare with what Vapi last confirmed.
pub fn update_body(request: &CreateAssistant) -> Value {
    serde_json::to_value(request).unwrap_or_default()
}

/// The live assistant's update as the answers describe it now: step 7's choices kept in the
/// studio config, the name falling back to `name` (what she was created as).
pub fn live_update(answers: &Answers, name: &str) -> Result<CreateAssistant, FieldErrors> {
    let mut choices = answers.studio.assistant_choices();
    choices.name.get_or_insert_with(|| name.to_owned());
    build_spec(answers, &choices).map(|spec| update_request(answers, &spec))
}
