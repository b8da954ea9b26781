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

use crate::{CallSettings, CreateAssistant, Handoff};

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

/// The rules every assistant follows, whoever wrote her instructions: appended to them, so an
/// owner's own words never lose the languages she speaks, the handoff or the goodbye (Vapi's
/// multilingual guide: an assistant must be told in words which languages it speaks).
pub fn call_rules(answers: &Answers) -> String {
    let spoken = ava_model::spoken_of(&answers.studio.languages);
    let names: Vec<&str> = spoken.iter().map(|s| s.name).collect();
    let mut rules = vec![match names.as_slice() {
        [only] => format!("You speak {only}: answer callers in {only}."),
        [first, .., last] => format!(
            "You speak {} and {last}. Answer in the language the caller speaks; start in {first}.",
            names[..names.len() - 1].join(", ")
        ),
        [] => String::new(),
    }];
    if answers.studio.fallback_phone.is_some() {
        rules.push(
            "When a caller asks to speak to a person, or you cannot help, say so and transfer the call with the transferCall tool."
                .to_owned(),
        );
    }
    rules.push(
        "When the caller has nothing more to ask, say goodbye and end the call with the endCall tool."
            .to_owned(),
    );
    format!("Call rules:\n- {}", rules.join("\n- "))
}

/// Every voice step 7's select offers: each region's voice of each language Ava speaks, then
/// the multilingual voices.
pub fn voices() -> impl Iterator<Item = &'static str> {
    let mut voices: Vec<&'static str> = Vec::new();
    let regional = ava_model::SPOKEN
        .iter()
        .flat_map(|s| s.regions.iter().map(|r| r.voice));
    let multilingual = ava_model::SPOKEN.iter().map(|s| s.multilingual_voice);
    for voice in regional.chain(multilingual) {
        if !voices.contains(&voice) {
            voices.push(voice);
        }
    }
    voices.into_iter()
}

/// The voice for the assistant's languages, in the business's region: the region's voice for
/// one language, a multilingual voice for several.
pub fn voice_for(profile: &Profile, studio: &StudioConfig) -> VoiceChoice {
    let timezone = profile.timezone.as_ref().map(|z| z.as_str());
    VoiceChoice {
        provider: VoiceProvider::Azure,
        voice_id: ava_model::speaking(&studio.languages, timezone)
            .voice
            .to_owned(),
    }
}

/// What the owner decided about calls at step 7, the safe default where they decided nothing
/// (issue 34): calls up to 30 minutes (Vapi cuts at 10), no office noise behind Ava, no
/// recording; always, Ava may end a call with a goodbye in her language, and summaries are
/// written in the owner's language.
pub fn call_settings(answers: &Answers) -> CallSettings {
    let spoken = ava_model::spoken_of(&answers.studio.languages)[0];
    let summary_language = match answers.profile.locale {
        Some(ava_model::Locale::Fr) => "French",
        Some(ava_model::Locale::He) => "Hebrew",
        _ => "English",
    };
    let studio = answers.studio;
    CallSettings {
        max_duration_seconds: studio.call_length.map_or(30, |l| l.minutes()) * 60,
        background_sound: studio
            .background_sound
            .unwrap_or(ava_model::BackgroundSound::Off)
            .as_str(),
        recording: studio.call_recording == Some(ava_model::CallRecording::Announced),
        goodbye: spoken.goodbye.to_owned(),
        summary_language,
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
    let mut voice = voice_for(answers.profile, answers.studio);
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

/// The whole assistant Vapi should run: `spec` with the call rules after its instructions,
/// heard and spoken in the studio's languages (in the business's region), handing calls to the
/// owner's phone when there is one, with the owner's call settings.
pub fn assistant_request(answers: &Answers, spec: &AssistantSpec) -> CreateAssistant {
    let timezone = answers.profile.timezone.as_ref().map(|z| z.as_str());
    let languages = &answers.studio.languages;
    let settings = call_settings(answers);
    let mut request = CreateAssistant::from_spec(spec)
        .hearing(&ava_model::hearing(languages, timezone))
        .speaking(&ava_model::speaking(languages, timezone))
        .handing_off_to(handoff(answers).as_ref())
        .with_call_settings(&settings);
    if let Some(system) = request.model.messages.first_mut() {
        system.content = format!("{}\n\n{}", system.content.trim_end(), call_rules(answers));
    }
    if settings.recording {
        // Callers are told before anything else is said.
        let notice = ava_model::spoken_of(languages)[0].recording_notice;
        request.first_message = Some(match request.first_message.take() {
            Some(first) => format!("{notice} {first}"),
            None => notice.to_owned(),
        });
    }
    request
}

/// What updating the assistant sends: all of it (Vapi replaces nested objects, so the
/// transcriber, the tools and the hooks go every time) but the metadata, which would replace
/// the provisioning marker.
pub fn update_request(answers: &Answers, spec: &AssistantSpec) -> CreateAssistant {
    update_request_from(assistant_request(answers, spec))
}

/// An assistant request turned into its update (everything but the metadata).
pub fn update_request_from(mut request: CreateAssistant) -> CreateAssistant {
    request.metadata = None;
    request
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
