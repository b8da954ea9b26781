//! How the wizard's resources are stored, derived from the model's declaration of their
//! fields (`resource!` in `ava-model`): each field is a column of `users` with the field's
//! name, so the statements below are written once from the field lists and a field added to
//! the declaration (plus its migration) is read, written and returned with no change here.
//!
//! A patch travels to PostgreSQL as one JSON object of the columns it sets (`null` clears);
//! `jsonb_to_record` reads it into the resource's columns, typed by each field's shape, and
//! each column takes the new value only when the patch names it. Reading builds one JSON object
//! per resource, read back by the model's rules: a stored value that no longer passes them
//! (edited by hand, say) reads as empty and is logged, rather than failing the request.
//!
//! These statements are built at start from the field lists, so `sqlx::query!` cannot check
//! them at compile time; every one of them runs against the real schema in the API tests.

use std::sync::LazyLock;

use ava_model::{
    FieldError, OnboardingFlags, Profile, ProfilePatch, Shape, StudioConfig, StudioPatch,
};
use chrono::{DateTime, Utc};
use serde_json::Value;

/// `jsonb_build_object('a', u.a, 'b', u.b, …)`: the resource as one JSON value.
fn object_of(fields: &[&str]) -> String {
    let pairs: Vec<String> = fields.iter().map(|f| format!("'{f}', u.{f}")).collect();
    format!("jsonb_build_object({})", pairs.join(", "))
}

/// The column type a field of this shape is stored as.
fn column_type(shape: &Shape) -> &'static str {
    match shape {
        Shape::Bool => "boolean",
        Shape::WholeNumber { .. } => "integer",
        Shape::Languages { .. } | Shape::Slugs { .. } => "jsonb",
        Shape::Text { .. }
        | Shape::Name { .. }
        | Shape::OneOf(_)
        | Shape::Timezone
        | Shape::Email
        | Shape::PhoneNumber => "text",
    }
}

/// One `UPDATE` for any patch of a resource: `$1` the user, `$2` the columns to set. The patch
/// is read with `jsonb_to_record` into the resource's own columns only (reading it as a whole
/// `users` row cost ~15 % of the statement's throughput in pgbench).
fn update_of(shapes: &[(&str, Shape, bool)]) -> String {
    let sets: Vec<String> = shapes
        .iter()
        .map(|(f, _, _)| format!("{f} = CASE WHEN $2 ? '{f}' THEN p.{f} ELSE u.{f} END"))
        .collect();
    let columns: Vec<String> = shapes
        .iter()
        .map(|(f, shape, _)| format!("{f} {}", column_type(shape)))
        .collect();
    let fields: Vec<&str> = shapes.iter().map(|(f, _, _)| *f).collect();
    format!(
        "UPDATE users u SET {}, updated_at = now()
         FROM jsonb_to_record($2) AS p({})
         WHERE u.id = $1 AND u.is_active
         RETURNING {}",
        sets.join(", "),
        columns.join(", "),
        object_of(&fields)
    )
}

pub static UPDATE_PROFILE: LazyLock<String> = LazyLock::new(|| update_of(ProfilePatch::SHAPES));
pub static UPDATE_STUDIO: LazyLock<String> = LazyLock::new(|| update_of(StudioPatch::SHAPES));

pub static SELECT_ME: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT u.id, u.email, {} AS profile, {} AS studio_config,
                coalesce(o.onboarding_vapi_skipped, false) AS onboarding_vapi_skipped,
                coalesce(o.onboarding_twilio_skipped, false) AS onboarding_twilio_skipped,
                coalesce(o.onboarding_assistant_created, false) AS onboarding_assistant_created,
                u.onboarding_completed, u.onboarding_completed_at, u.updated_at
         FROM users u LEFT JOIN user_onboarding o ON o.user_id = u.id
         WHERE u.id = $1 AND u.is_active",
        object_of(ProfilePatch::FIELDS),
        object_of(StudioPatch::FIELDS)
    )
});

/// Logs what a stored resource held that its rules no longer accept.
fn report(resource: &str, errors: Vec<FieldError>) {
    for error in errors {
        tracing::warn!(
            resource,
            column = %error.field,
            code = error.code(),
            "stored value does not parse; shown as empty"
        );
    }
}

pub fn profile_of(stored: &Value) -> Profile {
    let (profile, errors) = Profile::from_stored(stored);
    report("profile", errors);
    profile
}

pub fn studio_of(stored: &Value) -> StudioConfig {
    let (studio, errors) = StudioConfig::from_stored(stored);
    report("studio_config", errors);
    studio
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
    pub profile: Value,
    pub studio_config: Value,
    #[sqlx(flatten)]
    pub flags: FlagsRow,
    pub onboarding_completed: bool,
    pub onboarding_completed_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}
