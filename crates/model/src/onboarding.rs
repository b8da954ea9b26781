//! The three resources the wizard edits (profile, studio config, flags), their PATCH bodies
//! and how a patch applies: the same code runs in the server, the desktop core and the UI.

use serde::{Deserialize, Serialize};

use crate::choices::{Calendar, Crm, Industry, Locale, Persona, Plan, Strategy, Tone};
use crate::values::{Email, Label, LanguageCode, PhoneNumber, Seats, Slug, Text, Timezone};

pub const JOB_TO_BE_DONE_MAX: usize = 2_000;
pub const GUIDELINES_MAX: usize = 4_000;
pub const BUSINESS_HOURS_MAX: usize = 200;
pub const LANGUAGES_MAX: usize = 10;
pub const WORKSPACE_APPS_MAX: usize = 20;

resource! {
    /// Step 1: who the business is.
    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct Profile;
    /// A partial update of [`Profile`]: absent or `null` keeps a field, `""` clears a text one.
    #[derive(Debug, Clone, PartialEq, Default, Serialize)]
    pub struct ProfilePatch;
    {
        full_name: Option<Label> = clearable(Label::parse),
        organization_name: Option<Label> = clearable(Label::parse),
        industry: Option<Industry> = clearable(Industry::parse),
        timezone: Option<Timezone> = clearable(Timezone::parse),
        locale: Option<Locale> = clearable(Locale::parse),
        marketing_opt_in: bool = bool(),
        accept_terms: bool = bool(),
    }
}

impl Profile {
    /// What the wizard warns about (never blocks on) when leaving step 1.
    pub fn missing_fields(&self) -> Vec<&'static str> {
        let mut missing = Vec::new();
        if self.full_name.is_none() {
            missing.push("full_name");
        }
        if self.organization_name.is_none() {
            missing.push("organization_name");
        }
        if self.industry.is_none() {
            missing.push("industry");
        }
        if self.timezone.is_none() {
            missing.push("timezone");
        }
        if !self.accept_terms {
            missing.push("accept_terms");
        }
        missing
    }
}

resource! {
    /// Steps 3, 5, 6 and 8: Ava's persona, telephony, integrations and plan.
    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct StudioConfig;
    /// A partial update of [`StudioConfig`]; `[]` clears a list. `plan` and `seats` always have
    /// a value, so they cannot be cleared.
    #[derive(Debug, Clone, PartialEq, Default, Serialize)]
    pub struct StudioPatch;
    {
        persona: Option<Persona> = clearable(Persona::parse),
        job_to_be_done: Option<Text> = clearable(|s| Text::parse(s, JOB_TO_BE_DONE_MAX)),
        languages: Vec<LanguageCode> = list(LANGUAGES_MAX, LanguageCode::parse),
        tone: Option<Tone> = clearable(Tone::parse),
        guidelines: Option<Text> = clearable(|s| Text::parse(s, GUIDELINES_MAX)),
        strategy: Option<Strategy> = clearable(Strategy::parse),
        number: Option<PhoneNumber> = clearable(PhoneNumber::parse),
        business_hours: Option<Text> = clearable(|s| Text::parse(s, BUSINESS_HOURS_MAX)),
        fallback_email: Option<Email> = clearable(Email::parse),
        calendar: Option<Calendar> = clearable(Calendar::parse),
        workspace_apps: Vec<Slug> = list(WORKSPACE_APPS_MAX, Slug::parse),
        crm: Option<Crm> = clearable(Crm::parse),
        plan: Plan = parsed(Plan::parse),
        seats: Seats = whole_number(Seats::parse),
    }
}

resource! {
    /// Which integration steps were skipped and whether the assistant exists.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    pub struct OnboardingFlags;
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
    pub struct FlagsPatch;
    {
        onboarding_vapi_skipped: bool = bool(),
        onboarding_twilio_skipped: bool = bool(),
        onboarding_assistant_created: bool = bool(),
    }
}
