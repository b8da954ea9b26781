//! Database rows and their conversion to the model's types. Stored values were checked by the
//! model on the way in; one that no longer parses (edited by hand, say) reads as empty and is
//! logged, rather than failing the whole request.

use ava_model::{
    Calendar, Crm, Email, Industry, Label, LanguageCode, Locale, OnboardingFlags, Persona,
    PhoneNumber, Plan, Profile, Seats, Slug, Strategy, StudioConfig, Text, Timezone, Tone,
    Violation,
};
use chrono::{DateTime, Utc};
use serde_json::Value;

fn lenient<T>(
    column: &str,
    raw: Option<String>,
    parse: impl FnOnce(&str) -> Result<T, Violation>,
) -> Option<T> {
    let raw = raw?;
    match parse(&raw) {
        Ok(value) => Some(value),
        Err(violation) => {
            tracing::warn!(
                column,
                code = violation.code(),
                "stored value does not parse; shown as empty"
            );
            None
        }
    }
}

fn text(raw: Option<String>) -> Option<Text> {
    raw.and_then(|s| Text::parse(&s, usize::MAX).ok())
}

fn list<T>(column: &str, raw: Value, parse: impl Fn(&str) -> Result<T, Violation>) -> Vec<T> {
    match raw {
        Value::Array(items) => items
            .iter()
            .filter_map(|item| lenient(column, item.as_str().map(str::to_owned), &parse))
            .collect(),
        _ => Vec::new(),
    }
}

#[derive(sqlx::FromRow)]
pub struct ProfileRow {
    pub full_name: Option<String>,
    pub organization_name: Option<String>,
    pub industry: Option<String>,
    pub timezone: Option<String>,
    pub locale: Option<String>,
    pub marketing_opt_in: bool,
    pub accept_terms: bool,
}

impl From<ProfileRow> for Profile {
    fn from(row: ProfileRow) -> Self {
        Profile {
            full_name: lenient("full_name", row.full_name, Label::parse),
            organization_name: lenient("organization_name", row.organization_name, Label::parse),
            industry: lenient("industry", row.industry, Industry::parse),
            timezone: lenient("timezone", row.timezone, Timezone::parse),
            locale: lenient("locale", row.locale, Locale::parse),
            marketing_opt_in: row.marketing_opt_in,
            accept_terms: row.accept_terms,
        }
    }
}

#[derive(sqlx::FromRow)]
pub struct StudioRow {
    pub persona: Option<String>,
    pub job_to_be_done: Option<String>,
    pub languages: Value,
    pub tone: Option<String>,
    pub guidelines: Option<String>,
    pub strategy: Option<String>,
    pub number: Option<String>,
    pub business_hours: Option<String>,
    pub fallback_email: Option<String>,
    pub calendar: Option<String>,
    pub workspace_apps: Value,
    pub crm: Option<String>,
    pub plan: String,
    pub seats: i32,
}

impl From<StudioRow> for StudioConfig {
    fn from(row: StudioRow) -> Self {
        StudioConfig {
            persona: lenient("persona", row.persona, Persona::parse),
            job_to_be_done: text(row.job_to_be_done),
            languages: list("languages", row.languages, LanguageCode::parse),
            tone: lenient("tone", row.tone, Tone::parse),
            guidelines: text(row.guidelines),
            strategy: lenient("strategy", row.strategy, Strategy::parse),
            number: lenient("number", row.number, PhoneNumber::parse),
            business_hours: text(row.business_hours),
            fallback_email: lenient("fallback_email", row.fallback_email, Email::parse),
            calendar: lenient("calendar", row.calendar, Calendar::parse),
            workspace_apps: list("workspace_apps", row.workspace_apps, Slug::parse),
            crm: lenient("crm", row.crm, Crm::parse),
            plan: Plan::parse(&row.plan).unwrap_or_default(),
            seats: Seats::parse(i64::from(row.seats)).unwrap_or_default(),
        }
    }
}

#[derive(sqlx::FromRow)]
pub struct FlagsRow {
    pub onboarding_vapi_skipped: bool,
    pub onboarding_twilio_skipped: bool,
    pub onboarding_assistant_created: bool,
}

impl From<FlagsRow> for OnboardingFlags {
    fn from(row: FlagsRow) -> Self {
        OnboardingFlags {
            onboarding_vapi_skipped: row.onboarding_vapi_skipped,
            onboarding_twilio_skipped: row.onboarding_twilio_skipped,
            onboarding_assistant_created: row.onboarding_assistant_created,
        }
    }
}

#[derive(sqlx::FromRow)]
pub struct MeRow {
    pub id: i32,
    pub email: String,
    #[sqlx(flatten)]
    pub profile: ProfileRow,
    #[sqlx(flatten)]
    pub studio: StudioRow,
    #[sqlx(flatten)]
    pub flags: FlagsRow,
    pub onboarding_completed: bool,
    pub onboarding_completed_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

pub const PROFILE_COLUMNS: &str =
    "full_name, organization_name, industry, timezone, locale, marketing_opt_in, accept_terms";
pub const STUDIO_COLUMNS: &str = "persona, job_to_be_done, languages, tone, guidelines, strategy, \
     number, business_hours, fallback_email, calendar, workspace_apps, crm, plan, seats";
