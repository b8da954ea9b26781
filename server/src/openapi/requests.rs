//! The request bodies as JSON Schema, written from the model's own rules and constants so that
//! the document accepts exactly what `ava-model` accepts: unknown properties refused, `null`
//! (keep) and blank strings (clear) declared where a PATCH takes them, the same whitespace as
//! Rust's `trim`, no U+0000 anywhere. utoipa's derive cannot say most of this (recursive
//! schemas, `propertyNames`, trimmed lengths), so these are plain JSON added to the document.

use ava_model::{
    AssistantName, BUSINESS_HOURS_MAX, Calendar, Crm, Email, FIRST_MESSAGE_MAX, GUIDELINES_MAX,
    IDENTIFIER_MAX, INSTRUCTIONS_MAX, Industry, JOB_TO_BE_DONE_MAX, LANGUAGES_MAX, Label,
    LanguageCode, Locale, ModelProvider, Password, Persona, Plan, Seats, Strategy, Timezone, Tone,
    VoiceProvider, WORKSPACE_APPS_MAX,
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

fn profile_patch() -> Value {
    object(
        json!({
            "full_name": clearable(trimmed(Label::MAX_CHARS)),
            "organization_name": clearable(trimmed(Label::MAX_CHARS)),
            "industry": clearable(one_of(Industry::NAMES)),
            "timezone": clearable(one_of(&Timezone::all_names().collect::<Vec<_>>())),
            "locale": clearable(one_of(Locale::NAMES)),
            "marketing_opt_in": nullable(json!({"type": "boolean"})),
            "accept_terms": nullable(json!({"type": "boolean"})),
        }),
        &[],
    )
}

fn studio_patch() -> Value {
    object(
        json!({
            "persona": clearable(one_of(Persona::NAMES)),
            "job_to_be_done": clearable(text(JOB_TO_BE_DONE_MAX)),
            "languages": nullable(list(LANGUAGES_MAX, one_of(LanguageCode::all()))),
            "tone": clearable(one_of(Tone::NAMES)),
            "guidelines": clearable(text(GUIDELINES_MAX)),
            "strategy": clearable(one_of(Strategy::NAMES)),
            "number": clearable(e164()),
            "business_hours": clearable(text(BUSINESS_HOURS_MAX)),
            "fallback_email": clearable(email()),
            "calendar": clearable(one_of(Calendar::NAMES)),
            "workspace_apps": nullable(list(
                WORKSPACE_APPS_MAX,
                json!({"type": "string", "pattern": "^[a-z0-9_-]{1,40}$"}),
            )),
            "crm": clearable(one_of(Crm::NAMES)),
            "plan": nullable(one_of(Plan::NAMES)),
            "seats": nullable(json!({"type": "integer", "minimum": Seats::MIN, "maximum": Seats::MAX})),
        }),
        &[],
    )
}

fn flags_patch() -> Value {
    let flag = nullable(json!({"type": "boolean"}));
    object(
        json!({
            "onboarding_vapi_skipped": flag,
            "onboarding_twilio_skipped": flag,
            "onboarding_assistant_created": flag,
        }),
        &[],
    )
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
        }),
        &["email", "password"],
    )
}

/// Sign-in judges nothing but presence: a mistyped address is a wrong one, a 401.
fn login() -> Value {
    object(
        json!({"email": any_text(), "password": any_text()}),
        &["email", "password"],
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
            (
                "voice".to_owned(),
                object(
                    json!({"provider": one_of(VoiceProvider::NAMES), "voiceId": identifier(0)}),
                    &["provider", "voiceId"],
                ),
            ),
            (
                "model".to_owned(),
                object(
                    json!({
                        "provider": one_of(ModelProvider::NAMES),
                        "model": identifier(0),
                        "temperature": nullable(json!({"type": "number", "minimum": 0, "maximum": 2})),
                    }),
                    &["provider", "model"],
                ),
            ),
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
            profile_patch(),
        ),
        (
            "/api/v1/user/studio-config",
            "patch",
            "StudioPatch",
            studio_patch(),
        ),
        (
            "/api/v1/user/onboarding",
            "patch",
            "FlagsPatch",
            flags_patch(),
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
