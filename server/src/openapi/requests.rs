//! The request bodies as JSON Schema, written from the model's own rules and constants so that
//! the document accepts exactly what `ava-model` accepts: unknown properties refused, `null`
//! (keep) and blank strings (clear) declared where a PATCH takes them, the same whitespace as
//! Rust's `trim`, no U+0000 anywhere. utoipa's derive cannot say most of this (recursive
//! schemas, `propertyNames`, trimmed lengths), so these are plain JSON added to the document.

use ava_model::{
    AssistantName, DeviceName, Email, FIRST_MESSAGE_MAX, FlagsPatch, IDENTIFIER_MAX,
    INSTRUCTIONS_MAX, LanguageCode, Locale, ModelProvider, Password, Plan, ProfilePatch, Shape,
    StudioPatch, Timezone, VoiceProvider,
};
use ava_model::{
    EVENT_APP_VERSION_MAX, EVENT_ASSISTANT_NAME_MAX, EVENT_DURATION_MAX_SECONDS, EVENT_VOICE_MAX,
    EVENTS_PER_BATCH, Step, VapiMethod, step_number,
};
use serde_json::{Map, Value, json};

/// Rust's `char::is_whitespace` (Unicode White_Space), spelled for a regex character class.
/// ECMAScript's `\s` differs (it has U+FEFF, lacks U+0085), so it is never used.
const WS: &str =
    r"\t\n\u000b\u000c\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";

fn any_text() -> Value {
    json!({"type": "string", "pattern": r"^[^\u0000]*$"})
}

/// Only whitespace: what a PATCH reads as "clear this field".
fn blank() -> Value {
    json!({"type": "string", "pattern": format!("^[{WS}]*$")})
}

/// Free text that is not blank, at most `max` characters as typed.
fn text(max: usize) -> Value {
    json!({
        "type": "string",
        "maxLength": max,
        "pattern": format!(r"^[^\u0000]*[^{WS}\u0000][^\u0000]*$"),
    })
}

/// A name: trimmed, then 1 to `max` characters.
fn trimmed(max: usize) -> Value {
    json!({
        "type": "string",
        "pattern": format!(
            r"^[{WS}]*[^{WS}\u0000](?:[^\u0000]{{0,{}}}[^{WS}\u0000])?[{WS}]*$",
            max - 2
        ),
    })
}

fn identifier(min: usize) -> Value {
    json!({"type": "string", "pattern": format!(r"^[^{WS}\u0000]{{{min},{IDENTIFIER_MAX}}}$")})
}

fn one_of(names: &[&str]) -> Value {
    json!({"type": "string", "enum": names})
}

fn e164() -> Value {
    json!({"type": "string", "pattern": r"^\+[1-9][0-9]{6,14}$"})
}

fn email() -> Value {
    json!({"type": "string", "format": "email", "maxLength": Email::MAX_CHARS, "pattern": r"^[^\u0000]*$"})
}

fn nothing() -> Value {
    json!({"type": "null"})
}

/// A field a PATCH may leave (`null`), clear (blank) or set.
fn clearable(value: Value) -> Value {
    json!({"anyOf": [nothing(), blank(), value]})
}

fn nullable(value: Value) -> Value {
    json!({"anyOf": [nothing(), value]})
}

fn object(properties: Value, required: &[&str]) -> Value {
    json!({
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false,
    })
}

fn list(max_items: usize, item: Value) -> Value {
    json!({"type": "array", "maxItems": max_items, "uniqueItems": true, "items": item})
}

fn schema_ref(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

/// Any JSON without a U+0000 in a string or a key: what JSONB can store.
fn storable_json() -> Value {
    json!({"anyOf": [
        {"type": ["null", "boolean", "number"]},
        any_text(),
        {"type": "array", "items": schema_ref("StorableJson")},
        {"type": "object", "propertyNames": any_text(), "additionalProperties": schema_ref("StorableJson")},
    ]})
}

fn metadata() -> Value {
    nullable(
        json!({"type": "object", "propertyNames": any_text(), "additionalProperties": schema_ref("StorableJson")}),
    )
}

/// What the model's declaration says a field accepts, as JSON Schema.
fn shape(shape: Shape) -> Value {
    match shape {
        Shape::Text { max } => text(max),
        Shape::Name { max } => trimmed(max),
        Shape::OneOf(names) => one_of(names),
        Shape::Timezone => one_of(&Timezone::all_names().collect::<Vec<_>>()),
        Shape::Email => email(),
        Shape::PhoneNumber => e164(),
        Shape::Bool => json!({"type": "boolean"}),
        Shape::Languages { max } => list(max, one_of(LanguageCode::all())),
        Shape::Slugs { max } => list(
            max,
            json!({"type": "string", "pattern": "^[a-z0-9_-]{1,40}$"}),
        ),
        Shape::WholeNumber { min, max } => {
            json!({"type": "integer", "minimum": min, "maximum": max})
        }
    }
}

/// A PATCH body of a resource, field by field from the model's declaration: each may be left
/// (`null`), set, or (where the field can be empty) cleared with a blank string.
fn patch_of(shapes: &[(&str, Shape, bool)]) -> Value {
    let properties: Map<String, Value> = shapes
        .iter()
        .map(|&(name, kind, clears)| {
            let value = shape(kind);
            let schema = if clears {
                clearable(value)
            } else {
                nullable(value)
            };
            (name.to_owned(), schema)
        })
        .collect();
    object(Value::Object(properties), &[])
}

fn registration() -> Value {
    object(
        json!({
            "email": email(),
            "password": {
                "type": "string",
                "minLength": Password::MIN_CHARS,
                "maxLength": Password::MAX_CHARS,
                "pattern": r"^[^\u0000]*$",
            },
            "device": device(),
        }),
        &["email", "password"],
    )
}

/// A new password: the sign-up's rule.
fn new_password() -> Value {
    json!({
        "type": "string",
        "minLength": Password::MIN_CHARS,
        "maxLength": Password::MAX_CHARS,
        "pattern": r"^[^\u0000]*$",
    })
}

/// What a client calls its computer: optional, one line once control characters and runs of
/// whitespace are folded, at most `DeviceName::MAX_CHARS` characters.
fn device() -> Value {
    clearable(json!({
        "type": "string",
        "maxLength": DeviceName::MAX_CHARS,
        "pattern": format!(r"^[^\u0000]*[^{WS}\u0000-\u001f\u007f-\u009f][^\u0000]*$"),
    }))
}

/// Sign-in judges nothing but presence: a mistyped address is a wrong one, a 401.
fn login() -> Value {
    object(
        json!({"email": any_text(), "password": any_text(), "device": device()}),
        &["email", "password"],
    )
}

/// A code is any text: one that is not 8 digits is judged like a wrong one (422 `invalid_code`).
fn password_reset_confirm() -> Value {
    object(
        json!({"email": any_text(), "code": any_text(), "new_password": new_password(), "device": device()}),
        &["email", "code", "new_password"],
    )
}

fn account_deletion() -> Value {
    object(
        json!({"password": any_text(), "vapi_assistants": one_of(&["keep", "delete"])}),
        &["password", "vapi_assistants"],
    )
}

fn refresh() -> Value {
    object(json!({"refresh_token": any_text()}), &["refresh_token"])
}

fn vapi_settings() -> Value {
    object(
        json!({"vapi_api_key": {"type": "string", "pattern": format!(r"^[^{WS}\u0000]{{8,200}}$")}}),
        &["vapi_api_key"],
    )
}

fn twilio_settings() -> Value {
    object(
        json!({
            "account_sid": {"type": "string", "pattern": "^AC[0-9a-fA-F]{32}$"},
            "auth_token": {"type": "string", "pattern": "^[0-9a-fA-F]{32}$"},
            "phone_number": clearable(e164()),
        }),
        &["account_sid", "auth_token"],
    )
}

/// A name from `listed` where Vapi's document lists them, else any identifier.
fn listed_or_identifier(listed: Option<&[&str]>) -> Value {
    listed.map_or_else(|| identifier(0), one_of)
}

/// `voice`: per provider the route can carry, its voices as Vapi's document lists them.
fn voice() -> Value {
    let kinds: Vec<Value> = VoiceProvider::ALL
        .iter()
        .map(|provider| {
            object(
                json!({
                    "provider": {"const": provider.as_str()},
                    "voiceId": listed_or_identifier(provider.voice_ids()),
                }),
                &["provider", "voiceId"],
            )
        })
        .collect();
    json!({ "anyOf": kinds })
}

/// `model`: per provider the route can carry, its models as Vapi's document lists them.
fn model() -> Value {
    let kinds: Vec<Value> = ModelProvider::ALL
        .iter()
        .map(|provider| {
            object(
                json!({
                    "provider": {"const": provider.as_str()},
                    "model": listed_or_identifier(provider.models()),
                    "temperature": nullable(json!({"type": "number", "minimum": 0, "maximum": 2})),
                }),
                &["provider", "model"],
            )
        })
        .collect();
    json!({ "anyOf": kinds })
}

/// `POST /assistants`: either the seed's payload (create in Vapi), or a record of an assistant
/// a client already created (a non-blank `vapi_assistant_id`, and the rest kept as sent).
fn assistant_request() -> Value {
    let name = trimmed(AssistantName::MAX_CHARS);
    let shared = |extra: Map<String, Value>| {
        let mut properties = json!({
            "name": name.clone(),
            "phoneNumber": clearable(e164()),
            "firstMessage": clearable(text(FIRST_MESSAGE_MAX)),
            "metadata": metadata(),
        });
        if let Value::Object(map) = &mut properties {
            map.extend(extra);
        }
        properties
    };
    let create = object(
        shared(Map::from_iter([
            ("instructions".to_owned(), text(INSTRUCTIONS_MAX)),
            ("voice".to_owned(), voice()),
            ("model".to_owned(), model()),
            ("vapi_assistant_id".to_owned(), nullable(blank())),
        ])),
        &["name", "instructions", "voice", "model"],
    );
    let record = object(
        shared(Map::from_iter(
            ["instructions", "voice", "model"]
                .map(|field| (field.to_owned(), schema_ref("StorableJson")))
                .into_iter()
                .chain([("vapi_assistant_id".to_owned(), identifier(1))]),
        )),
        &["name", "vapi_assistant_id"],
    );
    json!({"anyOf": [create, record]})
}

/// `POST /api/v1/events`: one schema per event name, and per step for the step events (whose
/// `step_number` is the step's place), so the document refuses what the model refuses.
fn events() -> Value {
    let context = object(
        json!({
            "app_version": text(EVENT_APP_VERSION_MAX),
            "os": {"type": "string", "pattern": "^[a-z0-9_]{1,20}$"},
            "locale": one_of(Locale::NAMES),
        }),
        &["app_version", "os", "locale"],
    );
    let step_names: Vec<&str> = Step::ALL.iter().map(|s| s.key()).collect();
    let mut kinds = Vec::new();
    let mut event = |name: &str, properties: Value| {
        kinds.push(object(
            json!({
                "id": {"type": "string", "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"},
                "name": {"const": name},
                "occurred_at": {"type": "string", "format": "date-time"},
                "properties": properties,
                "context": context.clone(),
            }),
            &["id", "name", "occurred_at", "properties", "context"],
        ));
    };
    event("onboarding_started", object(json!({}), &[]));
    for step in Step::ALL {
        let place = json!({"const": step_number(step)});
        event(
            "onboarding_step_completed",
            object(
                json!({"step_id": {"const": step.key()}, "step_number": place, "skipped": {"type": "boolean"}}),
                &["step_id", "step_number", "skipped"],
            ),
        );
        event(
            "onboarding_step_skipped",
            object(
                json!({"step_id": {"const": step.key()}, "step_number": place}),
                &["step_id", "step_number"],
            ),
        );
    }
    event(
        "vapi_configured",
        object(json!({"method": one_of(VapiMethod::NAMES)}), &["method"]),
    );
    event(
        "assistant_created",
        object(
            json!({
                "name": text(EVENT_ASSISTANT_NAME_MAX),
                "voice": text(EVENT_VOICE_MAX),
                "from": {"const": "onboarding"},
            }),
            &["name", "voice", "from"],
        ),
    );
    event(
        "onboarding_completed",
        object(
            json!({
                "duration_seconds": {"type": "integer", "minimum": 0, "maximum": EVENT_DURATION_MAX_SECONDS},
                "steps_skipped": list(Step::ALL.len(), one_of(&step_names)),
                "plan_selected": one_of(Plan::NAMES),
            }),
            &["duration_seconds", "steps_skipped", "plan_selected"],
        ),
    );
    object(
        json!({"events": {"type": "array", "maxItems": EVENTS_PER_BATCH, "items": {"anyOf": kinds}}}),
        &["events"],
    )
}

/// `(path, method, schema name, schema)` for every request body.
fn bodies() -> Vec<(&'static str, &'static str, &'static str, Value)> {
    vec![
        (
            "/api/v1/auth/register",
            "post",
            "Registration",
            registration(),
        ),
        ("/api/v1/auth/login", "post", "Login", login()),
        ("/api/v1/auth/refresh", "post", "RefreshBody", refresh()),
        ("/api/v1/auth/logout", "post", "RefreshBody", refresh()),
        (
            "/api/v1/user/profile",
            "patch",
            "ProfilePatch",
            patch_of(ProfilePatch::SHAPES),
        ),
        (
            "/api/v1/user/studio-config",
            "patch",
            "StudioPatch",
            patch_of(StudioPatch::SHAPES),
        ),
        (
            "/api/v1/user/onboarding",
            "patch",
            "FlagsPatch",
            patch_of(FlagsPatch::SHAPES),
        ),
        (
            "/api/v1/vapi-settings",
            "post",
            "VapiSettingsBody",
            vapi_settings(),
        ),
        (
            "/api/v1/twilio-settings",
            "post",
            "TwilioSettingsBody",
            twilio_settings(),
        ),
        (
            "/api/v1/assistants",
            "post",
            "AssistantRequest",
            assistant_request(),
        ),
        (
            "/api/assistants",
            "post",
            "AssistantRequest",
            assistant_request(),
        ),
        ("/api/v1/events", "post", "EventsBody", events()),
        (
            "/api/v1/auth/password-reset",
            "post",
            "PasswordResetBody",
            object(json!({"email": any_text()}), &["email"]),
        ),
        (
            "/api/v1/auth/password-reset/confirm",
            "post",
            "PasswordResetConfirmBody",
            password_reset_confirm(),
        ),
        (
            "/api/v1/user/password",
            "post",
            "PasswordChangeBody",
            object(
                json!({"current_password": any_text(), "new_password": new_password()}),
                &["current_password", "new_password"],
            ),
        ),
        (
            "/api/v1/user/email",
            "post",
            "EmailChangeBody",
            object(
                json!({"new_email": email(), "password": any_text()}),
                &["new_email", "password"],
            ),
        ),
        (
            "/api/v1/user/email/verify",
            "post",
            "EmailVerifyBody",
            object(json!({"code": any_text()}), &["code"]),
        ),
        (
            "/api/v1/user/delete",
            "post",
            "AccountDeletionBody",
            account_deletion(),
        ),
    ]
}

/// Puts the request schemas in `components.schemas` and points every request body at its own.
pub fn apply(document: &mut Value) {
    let mut schemas = vec![("StorableJson", storable_json())];
    for (path, method, name, schema) in bodies() {
        let content =
            &mut document["paths"][path][method]["requestBody"]["content"]["application/json"];
        content["schema"] = schema_ref(name);
        schemas.push((name, schema));
    }
    if let Value::Object(components) = &mut document["components"]["schemas"] {
        for (name, schema) in schemas {
            components.insert(name.to_owned(), schema);
        }
        // Superseded by the strict schemas above.
        components.remove("CredentialsBody");
    }
    // The idempotency key: trimmed, 1 to 255 visible ASCII characters (a header value).
    for path in ["/api/v1/assistants", "/api/assistants"] {
        if let Some(Value::Array(params)) = document["paths"][path]["post"].get_mut("parameters") {
            for param in params.iter_mut().filter(|p| p["name"] == "Idempotency-Key") {
                param["schema"] = json!({
                    "type": "string",
                    "pattern": r"^[\x21-\x7e](?:[\x20-\x7e]{0,253}[\x21-\x7e])?$",
                });
            }
        }
    }
}
