//! The three resources the wizard edits (profile, studio config, flags), their PATCH bodies
//! and how a patch applies: the same code runs in the server, the desktop core and the UI.

use serde::{Deserialize, Serialize};

use crate::choices::{
    BackgroundSound, Calendar, CallLength, CallRecording, Crm, Industry, Locale, Persona, Plan,
    Strategy, Tone,
};
use crate::resource::Shape;
use crate::values::{
    AssistantName, Email, Label, LanguageCode, PhoneNumber, Seats, Slug, Text, Timezone,
};

pub const JOB_TO_BE_DONE_MAX: usize = 2_000;
pub const GUIDELINES_MAX: usize = 4_000;
pub const BUSINESS_HOURS_MAX: usize = 200;
pub const LANGUAGES_MAX: usize = 10;
pub const WORKSPACE_APPS_MAX: usize = 20;

resource! {
    /// Step 1: who the business is.
    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    // A field added later reads as its default in a draft or answer written before it.
    #[serde(default)]
    pub struct Profile;
    /// A partial update of [`Profile`]: absent or `null` keeps a field, `""` clears a text one.
    #[derive(Debug, Clone, PartialEq, Default, Serialize)]
    pub struct ProfilePatch;
    pub enum ProfileField;
    {
        full_name: Option<Label> = clearable(Label::parse) as Shape::Name { max: Label::MAX_CHARS },
        organization_name: Option<Label> = clearable(Label::parse) as Shape::Name { max: Label::MAX_CHARS },
        industry: Option<Industry> = clearable(Industry::parse) as Shape::OneOf(Industry::NAMES),
        timezone: Option<Timezone> = clearable(Timezone::parse) as Shape::Timezone,
        locale: Option<Locale> = clearable(Locale::parse) as Shape::OneOf(Locale::NAMES),
        marketing_opt_in: bool = bool() as Shape::Bool,
        accept_terms: bool = bool() as Shape::Bool,
    }
}

impl Profile {
    /// What the wizard warns about (never blocks on) when leaving step 1.
    pub fn missing_fields(&self) -> Vec<ProfileField> {
        let mut missing = Vec::new();
        if self.full_name.is_none() {
            missing.push(ProfileField::full_name);
        }
        if self.organization_name.is_none() {
            missing.push(ProfileField::organization_name);
        }
        if self.industry.is_none() {
            missing.push(ProfileField::industry);
        }
        if self.timezone.is_none() {
            missing.push(ProfileField::timezone);
        }
        if !self.accept_terms {
            missing.push(ProfileField::accept_terms);
        }
        missing
    }
}

resource! {
    /// Steps 3, 5, 6 and 8: Ava's persona, telephony, integrations and plan.
    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    // A field added later reads as its default in a draft or answer written before it.
    #[serde(default)]
    pub struct StudioConfig;
    /// A partial update of [`StudioConfig`]; `[]` clears a list. `plan` and `seats` always have
    /// a value, so they cannot be cleared.
    #[derive(Debug, Clone, PartialEq, Default, Serialize)]
    pub struct StudioPatch;
    pub enum StudioField;
    {
        persona: Option<Persona> = clearable(Persona::parse) as Shape::OneOf(Persona::NAMES),
        job_to_be_done: Option<Text> = clearable(|s| Text::parse(s, JOB_TO_BE_DONE_MAX))
            as Shape::Text { max: JOB_TO_BE_DONE_MAX },
        languages: Vec<LanguageCode> = list(LANGUAGES_MAX, LanguageCode::parse)
            as Shape::Languages { max: LANGUAGES_MAX },
        tone: Option<Tone> = clearable(Tone::parse) as Shape::OneOf(Tone::NAMES),
        guidelines: Option<Text> = clearable(|s| Text::parse(s, GUIDELINES_MAX))
            as Shape::Text { max: GUIDELINES_MAX },
        strategy: Option<Strategy> = clearable(Strategy::parse) as Shape::OneOf(Strategy::NAMES),
        number: Option<PhoneNumber> = clearable(PhoneNumber::parse) as Shape::PhoneNumber,
        business_hours: Option<Text> = clearable(|s| Text::parse(s, BUSINESS_HOURS_MAX))
            as Shape::Text { max: BUSINESS_HOURS_MAX },
        fallback_email: Option<Email> = clearable(Email::parse) as Shape::Email,
        /// The owner's own phone: where Ava hands over a caller who asks for a person, or
        /// whom she cannot help (E.164).
        fallback_phone: Option<PhoneNumber> = clearable(PhoneNumber::parse) as Shape::PhoneNumber,
        calendar: Option<Calendar> = clearable(Calendar::parse) as Shape::OneOf(Calendar::NAMES),
        workspace_apps: Vec<Slug> = list(WORKSPACE_APPS_MAX, Slug::parse)
            as Shape::Slugs { max: WORKSPACE_APPS_MAX },
        crm: Option<Crm> = clearable(Crm::parse) as Shape::OneOf(Crm::NAMES),
        plan: Plan = parsed(Plan::parse) as Shape::OneOf(Plan::NAMES),
        seats: Seats = whole_number(Seats::parse)
            as Shape::WholeNumber { min: Seats::MIN, max: Seats::MAX },
        /// Step 7, so every computer builds the same assistant. Each is `null` while it
        /// follows what the wizard writes from the other answers, and holds the owner's own
        /// words once they wrote some.
        assistant_name: Option<AssistantName> = clearable(AssistantName::parse)
            as Shape::Name { max: AssistantName::MAX_CHARS },
        assistant_voice_id: Option<Text> = clearable(|s| Text::parse(s, VOICE_ID_MAX))
            as Shape::Text { max: VOICE_ID_MAX },
        assistant_first_message: Option<Text> = clearable(|s| Text::parse(s, crate::FIRST_MESSAGE_MAX))
            as Shape::Text { max: crate::FIRST_MESSAGE_MAX },
        /// Written by hand when set: kept as they are when the answers change.
        assistant_instructions: Option<Text> = clearable(|s| Text::parse(s, crate::INSTRUCTIONS_MAX))
            as Shape::Text { max: crate::INSTRUCTIONS_MAX },
        /// A fingerprint of the instructions the wizard wrote when the owner wrote their own:
        /// when today's differ, the answers they came from changed and the owner is told.
        assistant_instructions_basis: Option<Text> = clearable(|s| Text::parse(s, BASIS_MAX))
            as Shape::Text { max: BASIS_MAX },
        /// Step 7's call settings (issue 34); unset, each is the safe default.
        call_length: Option<CallLength> = clearable(CallLength::parse)
            as Shape::OneOf(CallLength::NAMES),
        background_sound: Option<BackgroundSound> = clearable(BackgroundSound::parse)
            as Shape::OneOf(BackgroundSound::NAMES),
        call_recording: Option<CallRecording> = clearable(CallRecording::parse)
            as Shape::OneOf(CallRecording::NAMES),
    }
}

/// What step 7 lets the owner change; the rest comes from the other steps. A field left `None`
/// follows what the wizard writes (the instructions rewritten from the persona, hours,
/// guidelines… as they change).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AssistantChoices {
    pub name: Option<String>,
    pub instructions: Option<String>,
    pub first_message: Option<String>,
    pub voice_id: Option<String>,
}

impl StudioConfig {
    /// Step 7's choices as the studio config keeps them (`assistant_*`).
    pub fn assistant_choices(&self) -> AssistantChoices {
        let text = |t: &Option<Text>| t.as_ref().map(|t| t.as_str().to_owned());
        AssistantChoices {
            name: self.assistant_name.as_ref().map(|n| n.as_str().to_owned()),
            instructions: text(&self.assistant_instructions),
            first_message: text(&self.assistant_first_message),
            voice_id: text(&self.assistant_voice_id),
        }
    }
}

/// Longest voice id Ava sends (Azure's are ~30 characters).
pub const VOICE_ID_MAX: usize = 100;
/// A fingerprint's length in hex digits, with room to change how it is taken.
pub const BASIS_MAX: usize = 64;

resource! {
    /// Which integration steps were skipped and whether the assistant exists.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    // A field added later reads as its default in a draft or answer written before it.
    #[serde(default)]
    pub struct OnboardingFlags;
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
    pub struct FlagsPatch;
    pub enum FlagField;
    {
        onboarding_vapi_skipped: bool = bool() as Shape::Bool,
        onboarding_twilio_skipped: bool = bool() as Shape::Bool,
        onboarding_assistant_created: bool = bool() as Shape::Bool,
    }
}
