//! How the wizard's resources are stored, derived from the model's declaration of their
//! fields (`resource!` in `ava-model`): each field is a column of `users` with the field's
//! name, so the statements below are written once from the field lists and a field added to
//! the declaration (plus its migration) is read, written and returned with no change here.
//!
//! A patch travels to PostgreSQL as a flag and a typed value per column ([`ResourceUpdate`]);
//! each column takes the new value only when its flag says the patch names it. What is stored
//! is read back as one JSON object per resource, checked by the model's rules: a stored value
//! that no longer passes them (edited by hand, say) reads as empty and is logged, rather than
//! failing the request.
//!
//! These statements are built at start from the field lists, so `sqlx::query!` cannot check
//! them at compile time; every one of them runs against the real schema in the API tests.

use std::sync::LazyLock;

use ava_model::{
    FieldError, FlagsPatch, OnboardingFlags, Profile, ProfilePatch, Shape, StudioConfig,
    StudioPatch,
};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use sqlx::{PgPool, Row};

/// `jsonb_build_object('a', u.a, 'b', u.b, …)`: the resource as one JSON value.
fn object_of(fields: &[&str]) -> String {
    let pairs: Vec<String> = fields.iter().map(|f| format!("'{f}', u.{f}")).collect();
    format!("jsonb_build_object({})", pairs.join(", "))
}

/// How a field's column crosses the wire: each is bound and read as its own SQL type.
#[derive(Clone, Copy)]
enum Column {
    Text,
    Boolean,
    Integer,
    Jsonb,
}

impl Column {
    fn of(shape: &Shape) -> Self {
        match shape {
            Shape::Bool => Column::Boolean,
            Shape::WholeNumber { .. } => Column::Integer,
            Shape::Languages { .. } | Shape::Slugs { .. } => Column::Jsonb,
            Shape::Text { .. }
            | Shape::Name { .. }
            | Shape::OneOf(_)
            | Shape::Timezone
            | Shape::Email
            | Shape::PhoneNumber => Column::Text,
        }
    }

    fn sql_type(self) -> &'static str {
        match self {
            Column::Text => "text",
            Column::Boolean => "boolean",
            Column::Integer => "integer",
            Column::Jsonb => "jsonb",
        }
    }
}

type Shapes = &'static [(&'static str, Shape, bool)];

/// One `UPDATE` for any patch of a resource, written from its field list: `$1` the user, then
/// for each field a flag (the patch sets it) and its value (`NULL` clears). The columns are
/// bound and returned as themselves: reading the patch as one `jsonb` (`jsonb_to_record`)
/// and returning a `jsonb_build_object` cost the request ~5 % of its throughput against the
/// hand-numbered statement this replaced (docs/benchmarks.md, 2026-12-04).
pub struct ResourceUpdate {
    sql: String,
    shapes: Shapes,
}

impl ResourceUpdate {
    fn new(shapes: Shapes) -> Self {
        let sets: Vec<String> = shapes
            .iter()
            .enumerate()
            .map(|(i, (field, shape, _))| {
                let flag = 2 + 2 * i;
                let value = flag + 1;
                let sql_type = Column::of(shape).sql_type();
                format!("{field} = CASE WHEN ${flag} THEN ${value}::{sql_type} ELSE {field} END")
            })
            .collect();
        let fields: Vec<&str> = shapes.iter().map(|(field, _, _)| *field).collect();
        // The account's revision moves with every write (issue 33), in the same statement.
        let sql = format!(
            "UPDATE users SET {}, updated_at = now(), revision = revision + 1 \
             WHERE id = $1 AND is_active RETURNING {}, revision",
            sets.join(", "),
            fields.join(", ")
        );
        Self { sql, shapes }
    }

    /// Applies `patch` (the columns it sets, as the model's `to_stored` writes them) to the
    /// user's row; the resource as stored afterwards with the account's new revision, or
    /// `None` when the account is gone.
    pub async fn apply(
        &self,
        db: &PgPool,
        user_id: i32,
        patch: &Map<String, Value>,
    ) -> Result<Option<(Value, i64)>, sqlx::Error> {
        let mut query = sqlx::query(&self.sql).bind(user_id);
        for (field, shape, _) in self.shapes {
            let change = patch.get(*field);
            query = query.bind(change.is_some());
            query = match Column::of(shape) {
                Column::Text => query.bind(change.and_then(Value::as_str)),
                Column::Boolean => query.bind(change.and_then(Value::as_bool)),
                Column::Integer => query.bind(
                    change
                        .and_then(Value::as_i64)
                        .and_then(|n| i32::try_from(n).ok()),
                ),
                Column::Jsonb => query.bind(change.filter(|v| !v.is_null())),
            };
        }
        let Some(row) = query.fetch_optional(db).await? else {
            return Ok(None);
        };
        let mut stored = Map::new();
        for (i, (field, shape, _)) in self.shapes.iter().enumerate() {
            let value = match Column::of(shape) {
                Column::Text => row.try_get::<Option<String>, _>(i)?.map(Value::from),
                Column::Boolean => row.try_get::<Option<bool>, _>(i)?.map(Value::from),
                Column::Integer => row.try_get::<Option<i32>, _>(i)?.map(Value::from),
                Column::Jsonb => row.try_get::<Option<Value>, _>(i)?,
            };
            stored.insert((*field).to_owned(), value.unwrap_or(Value::Null));
        }
        let revision: i64 = row.try_get(self.shapes.len())?;
        Ok(Some((Value::Object(stored), revision)))
    }
}

pub static UPDATE_PROFILE: LazyLock<ResourceUpdate> =
    LazyLock::new(|| ResourceUpdate::new(ProfilePatch::SHAPES));
pub static UPDATE_STUDIO: LazyLock<ResourceUpdate> =
    LazyLock::new(|| ResourceUpdate::new(StudioPatch::SHAPES));

/// The flags as one JSON value: each column of `user_onboarding` (aliased `o`), `false` when
/// the account has no row there yet.
fn flags_object() -> String {
    let pairs: Vec<String> = FlagsPatch::FIELDS
        .iter()
        .map(|f| format!("'{f}', coalesce(o.{f}, false)"))
        .collect();
    format!("jsonb_build_object({})", pairs.join(", "))
}

/// The flags of one account (`$1`).
pub static SELECT_FLAGS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {} FROM users u LEFT JOIN user_onboarding o ON o.user_id = u.id
         WHERE u.id = $1 AND u.is_active",
        flags_object()
    )
});

/// Writes the flags a patch names (`$2…`, one per field in declaration order, `NULL` keeps) for
/// account `$1`, moving its revision in the same statement; returns the flags and the revision.
pub static UPDATE_FLAGS: LazyLock<String> = LazyLock::new(|| {
    let fields = FlagsPatch::FIELDS;
    let numbered = || fields.iter().zip(2..);
    let values: Vec<String> = numbered()
        .map(|(_, n)| format!("coalesce(${n}::boolean, false)"))
        .collect();
    let sets: Vec<String> = numbered()
        .map(|(f, n)| format!("{f} = coalesce(${n}::boolean, o.{f})"))
        .collect();
    format!(
        "WITH account AS (
             UPDATE users SET revision = revision + 1
             WHERE id = $1 AND is_active RETURNING id, revision)
         INSERT INTO user_onboarding AS o (user_id, {columns})
         SELECT a.id, {values} FROM account a
         ON CONFLICT (user_id) DO UPDATE SET {sets}, updated_at = now()
         RETURNING {flags}, (SELECT revision FROM account)",
        columns = fields.join(", "),
        values = values.join(", "),
        sets = sets.join(", "),
        flags = flags_object(),
    )
});

pub static SELECT_ME: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT u.id, u.email, {} AS profile, {} AS studio_config, {} AS flags,
                u.onboarding_completed, u.onboarding_completed_at, u.updated_at, u.revision,
                u.live_applied_revision, u.live_error, u.live_kept AS live_kept_by_server,
                u.email_verified
         FROM users u LEFT JOIN user_onboarding o ON o.user_id = u.id
         WHERE u.id = $1 AND u.is_active",
        object_of(ProfilePatch::FIELDS),
        object_of(StudioPatch::FIELDS),
        flags_object()
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

pub fn flags_of(stored: &Value) -> OnboardingFlags {
    let (flags, errors) = OnboardingFlags::from_stored(stored);
    report("onboarding", errors);
    flags
}

#[derive(sqlx::FromRow)]
pub struct MeRow {
    pub id: i32,
    pub email: String,
    pub profile: Value,
    pub studio_config: Value,
    pub flags: Value,
    pub onboarding_completed: bool,
    pub onboarding_completed_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    pub revision: i64,
    pub live_applied_revision: i64,
    pub live_error: Option<String>,
    pub live_kept_by_server: bool,
    pub email_verified: bool,
}
