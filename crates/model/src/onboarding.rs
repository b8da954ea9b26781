//! The three resources the wizard edits (profile, studio config, flags), their PATCH bodies
//! and how a patch applies: the same code runs in the server, the desktop core and the UI.

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::choices::{Calendar, Crm, Industry, Locale, Persona, Plan, Strategy, Tone};
use crate::fields::{Change, ObjectReader, later_option, unsent_option};
use crate::values::{Email, Label, LanguageCode, PhoneNumber, Seats, Slug, Text, Timezone};
use crate::violation::FieldErrors;

pub const JOB_TO_BE_DONE_MAX: usize = 2_000;
pub const GUIDELINES_MAX: usize = 4_000;
pub const BUSINESS_HOURS_MAX: usize = 200;
pub const LANGUAGES_MAX: usize = 10;
pub const WORKSPACE_APPS_MAX: usize = 20;

/// Step 1: who the business is.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Profile {
    pub full_name: Option<Label>,
    pub organization_name: Option<Label>,
    pub industry: Option<Industry>,
    pub timezone: Option<Timezone>,
    pub locale: Option<Locale>,
    pub marketing_opt_in: bool,
    pub accept_terms: bool,
}

/// A partial update of [`Profile`]: absent or `null` keeps a field, `""` clears a text one.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ProfilePatch {
    #[serde(skip_serializing_if = "Change::is_keep")]
    pub full_name: Change<Label>,
    #[serde(skip_serializing_if = "Change::is_keep")]
    pub organization_name: Change<Label>,
    #[serde(skip_serializing_if = "Change::is_keep")]
    pub industry: Change<Industry>,
    #[serde(skip_serializing_if = "Change::is_keep")]
    pub timezone: Change<Timezone>,
    #[serde(skip_serializing_if = "Change::is_keep")]
    pub locale: Change<Locale>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub marketing_opt_in: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accept_terms: Option<bool>,
}

impl ProfilePatch {
    pub const FIELDS: &'static [&'static str] = &[
        "full_name",
        "organization_name",
        "industry",
        "timezone",
        "locale",
        "marketing_opt_in",
        "accept_terms",
    ];

    pub fn from_json(body: &Value) -> Result<Self, FieldErrors> {
        let mut r = ObjectReader::new(body, Self::FIELDS)?;
        let patch = Self {
            full_name: r.clearable("full_name", Label::parse),
            organization_name: r.clearable("organization_name", Label::parse),
            industry: r.clearable("industry", Industry::parse),
            timezone: r.clearable("timezone", Timezone::parse),
            locale: r.clearable("locale", Locale::parse),
            marketing_opt_in: r.bool("marketing_opt_in"),
            accept_terms: r.bool("accept_terms"),
        };
        r.finish(patch)
    }

    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// One patch with the latest value of every field: how an offline queue collapses.
    pub fn then(self, later: Self) -> Self {
        Self {
            full_name: self.full_name.then(later.full_name),
            organization_name: self.organization_name.then(later.organization_name),
            industry: self.industry.then(later.industry),
            timezone: self.timezone.then(later.timezone),
            locale: self.locale.then(later.locale),
            marketing_opt_in: later_option(self.marketing_opt_in, later.marketing_opt_in),
            accept_terms: later_option(self.accept_terms, later.accept_terms),
        }
    }
}

impl ProfilePatch {
    /// What is left to send once `sent` was accepted while newer edits may have arrived.
    pub fn unsent_after(self, sent: &Self) -> Self {
        Self {
            full_name: self.full_name.unsent_after(&sent.full_name),
            organization_name: self.organization_name.unsent_after(&sent.organization_name),
            industry: self.industry.unsent_after(&sent.industry),
            timezone: self.timezone.unsent_after(&sent.timezone),
            locale: self.locale.unsent_after(&sent.locale),
            marketing_opt_in: unsent_option(self.marketing_opt_in, &sent.marketing_opt_in),
            accept_terms: unsent_option(self.accept_terms, &sent.accept_terms),
        }
    }
}

impl<'de> Deserialize<'de> for ProfilePatch {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let body = Value::deserialize(deserializer)?;
        Self::from_json(&body).map_err(de::Error::custom)
    }
}

impl Profile {
    pub fn apply(&mut self, patch: &ProfilePatch) {
        patch.full_name.apply_to(&mut self.full_name);
        patch
            .organization_name
            .apply_to(&mut self.organization_name);
        patch.industry.apply_to(&mut self.industry);
        patch.timezone.apply_to(&mut self.timezone);
        patch.locale.apply_to(&mut self.locale);
        if let Some(v) = patch.marketing_opt_in {
            self.marketing_opt_in = v;
        }
        if let Some(v) = patch.accept_terms {
            self.accept_terms = v;
        }
    }

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

/// Steps 3, 5, 6 and 8: Ava's persona, telephony, integrations and plan.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StudioConfig {
    pub persona: Option<Persona>,
    pub job_to_be_done: Option<Text>,
    pub languages: Vec<LanguageCode>,
    pub tone: Option<Tone>,
    pub guidelines: Option<Text>,
    pub strategy: Option<Strategy>,
    pub number: Option<PhoneNumber>,
    pub business_hours: Option<Text>,
    pub fallback_email: Option<Email>,
    pub calendar: Option<Calendar>,
    pub workspace_apps: Vec<Slug>,
    pub crm: Option<Crm>,
    pub plan: Plan,
    pub seats: Seats,
}

/// A partial update of [`StudioConfig`]; `[]` clears a list. `plan` and `seats` always have a
/// value, so they cannot be cleared.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct StudioPatch {
    #[serde(skip_serializing_if = "Change::is_keep")]
    pub persona: Change<Persona>,
    #[serde(skip_serializing_if = "Change::is_keep")]
    pub job_to_be_done: Change<Text>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub languages: Option<Vec<LanguageCode>>,
    #[serde(skip_serializing_if = "Change::is_keep")]
    pub tone: Change<Tone>,
    #[serde(skip_serializing_if = "Change::is_keep")]
    pub guidelines: Change<Text>,
    #[serde(skip_serializing_if = "Change::is_keep")]
    pub strategy: Change<Strategy>,
    #[serde(skip_serializing_if = "Change::is_keep")]
    pub number: Change<PhoneNumber>,
    #[serde(skip_serializing_if = "Change::is_keep")]
    pub business_hours: Change<Text>,
    #[serde(skip_serializing_if = "Change::is_keep")]
    pub fallback_email: Change<Email>,
    #[serde(skip_serializing_if = "Change::is_keep")]
    pub calendar: Change<Calendar>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workspace_apps: Option<Vec<Slug>>,
    #[serde(skip_serializing_if = "Change::is_keep")]
    pub crm: Change<Crm>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<Plan>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seats: Option<Seats>,
}

impl StudioPatch {
    pub const FIELDS: &'static [&'static str] = &[
        "persona",
        "job_to_be_done",
        "languages",
        "tone",
        "guidelines",
        "strategy",
        "number",
        "business_hours",
        "fallback_email",
        "calendar",
        "workspace_apps",
        "crm",
        "plan",
        "seats",
    ];

    pub fn from_json(body: &Value) -> Result<Self, FieldErrors> {
        let mut r = ObjectReader::new(body, Self::FIELDS)?;
        let plan = match r.string("plan") {
            Some(raw) => r.check("plan", Plan::parse(raw)),
            None => None,
        };
        let seats = match r.integer("seats") {
            Some(n) => r.check("seats", Seats::parse(n)),
            None => None,
        };
        let patch = Self {
            persona: r.clearable("persona", Persona::parse),
            job_to_be_done: r.clearable("job_to_be_done", |s| Text::parse(s, JOB_TO_BE_DONE_MAX)),
            languages: r.list("languages", LANGUAGES_MAX, LanguageCode::parse),
            tone: r.clearable("tone", Tone::parse),
            guidelines: r.clearable("guidelines", |s| Text::parse(s, GUIDELINES_MAX)),
            strategy: r.clearable("strategy", Strategy::parse),
            number: r.clearable("number", PhoneNumber::parse),
            business_hours: r.clearable("business_hours", |s| Text::parse(s, BUSINESS_HOURS_MAX)),
            fallback_email: r.clearable("fallback_email", Email::parse),
            calendar: r.clearable("calendar", Calendar::parse),
            workspace_apps: r.list("workspace_apps", WORKSPACE_APPS_MAX, Slug::parse),
            crm: r.clearable("crm", Crm::parse),
            plan,
            seats,
        };
        r.finish(patch)
    }

    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    pub fn then(self, later: Self) -> Self {
        Self {
            persona: self.persona.then(later.persona),
            job_to_be_done: self.job_to_be_done.then(later.job_to_be_done),
            languages: later_option(self.languages, later.languages),
            tone: self.tone.then(later.tone),
            guidelines: self.guidelines.then(later.guidelines),
            strategy: self.strategy.then(later.strategy),
            number: self.number.then(later.number),
            business_hours: self.business_hours.then(later.business_hours),
            fallback_email: self.fallback_email.then(later.fallback_email),
            calendar: self.calendar.then(later.calendar),
            workspace_apps: later_option(self.workspace_apps, later.workspace_apps),
            crm: self.crm.then(later.crm),
            plan: later_option(self.plan, later.plan),
            seats: later_option(self.seats, later.seats),
        }
    }
}

impl StudioPatch {
    /// What is left to send once `sent` was accepted while newer edits may have arrived.
    pub fn unsent_after(self, sent: &Self) -> Self {
        Self {
            persona: self.persona.unsent_after(&sent.persona),
            job_to_be_done: self.job_to_be_done.unsent_after(&sent.job_to_be_done),
            languages: unsent_option(self.languages, &sent.languages),
            tone: self.tone.unsent_after(&sent.tone),
            guidelines: self.guidelines.unsent_after(&sent.guidelines),
            strategy: self.strategy.unsent_after(&sent.strategy),
            number: self.number.unsent_after(&sent.number),
            business_hours: self.business_hours.unsent_after(&sent.business_hours),
            fallback_email: self.fallback_email.unsent_after(&sent.fallback_email),
            calendar: self.calendar.unsent_after(&sent.calendar),
            workspace_apps: unsent_option(self.workspace_apps, &sent.workspace_apps),
            crm: self.crm.unsent_after(&sent.crm),
            plan: unsent_option(self.plan, &sent.plan),
            seats: unsent_option(self.seats, &sent.seats),
        }
    }
}

impl<'de> Deserialize<'de> for StudioPatch {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let body = Value::deserialize(deserializer)?;
        Self::from_json(&body).map_err(de::Error::custom)
    }
}

impl StudioConfig {
    pub fn apply(&mut self, patch: &StudioPatch) {
        patch.persona.apply_to(&mut self.persona);
        patch.job_to_be_done.apply_to(&mut self.job_to_be_done);
        if let Some(v) = &patch.languages {
            self.languages = v.clone();
        }
        patch.tone.apply_to(&mut self.tone);
        patch.guidelines.apply_to(&mut self.guidelines);
        patch.strategy.apply_to(&mut self.strategy);
        patch.number.apply_to(&mut self.number);
        patch.business_hours.apply_to(&mut self.business_hours);
        patch.fallback_email.apply_to(&mut self.fallback_email);
        patch.calendar.apply_to(&mut self.calendar);
        if let Some(v) = &patch.workspace_apps {
            self.workspace_apps = v.clone();
        }
        patch.crm.apply_to(&mut self.crm);
        if let Some(v) = patch.plan {
            self.plan = v;
        }
        if let Some(v) = patch.seats {
            self.seats = v;
        }
    }
}

/// Which integration steps were skipped and whether the assistant exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OnboardingFlags {
    pub onboarding_vapi_skipped: bool,
    pub onboarding_twilio_skipped: bool,
    pub onboarding_assistant_created: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct FlagsPatch {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub onboarding_vapi_skipped: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub onboarding_twilio_skipped: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub onboarding_assistant_created: Option<bool>,
}

impl FlagsPatch {
    pub const FIELDS: &'static [&'static str] = &[
        "onboarding_vapi_skipped",
        "onboarding_twilio_skipped",
        "onboarding_assistant_created",
    ];

    pub fn from_json(body: &Value) -> Result<Self, FieldErrors> {
        let mut r = ObjectReader::new(body, Self::FIELDS)?;
        let patch = Self {
            onboarding_vapi_skipped: r.bool("onboarding_vapi_skipped"),
            onboarding_twilio_skipped: r.bool("onboarding_twilio_skipped"),
            onboarding_assistant_created: r.bool("onboarding_assistant_created"),
        };
        r.finish(patch)
    }

    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    pub fn then(self, later: Self) -> Self {
        Self {
            onboarding_vapi_skipped: later_option(
                self.onboarding_vapi_skipped,
                later.onboarding_vapi_skipped,
            ),
            onboarding_twilio_skipped: later_option(
                self.onboarding_twilio_skipped,
                later.onboarding_twilio_skipped,
            ),
            onboarding_assistant_created: later_option(
                self.onboarding_assistant_created,
                later.onboarding_assistant_created,
            ),
        }
    }
}

impl FlagsPatch {
    pub fn unsent_after(self, sent: &Self) -> Self {
        Self {
            onboarding_vapi_skipped: unsent_option(
                self.onboarding_vapi_skipped,
                &sent.onboarding_vapi_skipped,
            ),
            onboarding_twilio_skipped: unsent_option(
                self.onboarding_twilio_skipped,
                &sent.onboarding_twilio_skipped,
            ),
            onboarding_assistant_created: unsent_option(
                self.onboarding_assistant_created,
                &sent.onboarding_assistant_created,
            ),
        }
    }
}

impl<'de> Deserialize<'de> for FlagsPatch {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let body = Value::deserialize(deserializer)?;
        Self::from_json(&body).map_err(de::Error::custom)
    }
}

impl OnboardingFlags {
    pub fn apply(&mut self, patch: &FlagsPatch) {
        if let Some(v) = patch.onboarding_vapi_skipped {
            self.onboarding_vapi_skipped = v;
        }
        if let Some(v) = patch.onboarding_twilio_skipped {
            self.onboarding_twilio_skipped = v;
        }
        if let Some(v) = patch.onboarding_assistant_created {
            self.onboarding_assistant_created = v;
        }
    }
}
