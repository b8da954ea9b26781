//! The fake Vapi API: assistants and phone numbers per org, behind a Bearer private key, with
//! NestJS-style `{message, error, statusCode}` errors and class-validator messages.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::FakeTwilio;
use crate::contract::{Drift, Enforcement, enforce};
use crate::faults::{Calls, Faults, Instrumentation, instrument, lock};

#[derive(Default)]
pub(crate) struct VapiState {
    /// Private key → org id.
    keys: HashMap<String, String>,
    pub(crate) assistants: Vec<Value>,
    pub(crate) phone_numbers: Vec<Value>,
    /// Every PATCH applied to an assistant, in order: (assistant id, body).
    assistant_patches: Vec<(String, Value)>,
    /// Chats (`POST /chat`), each with its messages so far.
    pub(crate) chats: Vec<Value>,
    /// Chat id → which turn of its conversation it was (not a field of Vapi's `Chat`).
    pub(crate) chat_turns: HashMap<String, u64>,
    pub(crate) calls: Vec<Value>,
    /// Outbound calls Twilio would not connect (a trial account calling an unverified number).
    pub(crate) unconnectable_calls: Vec<String>,
    /// Vapi's billing gate on chat (a 402 with its own words).
    pub(crate) chat_needs_payment: bool,
    next_id: u64,
}

impl VapiState {
    pub(crate) fn new_id(&mut self) -> String {
        self.next_id += 1;
        let n = self.next_id;
        format!(
            "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
            0x5eed_0000 + n,
            n & 0xffff,
            n & 0xfff,
            n & 0xfff,
            n
        )
    }
}

/// A fake Vapi. Clones share state, so a test keeps one to inspect what the app did.
#[derive(Clone)]
pub struct FakeVapi {
    pub(crate) state: Arc<Mutex<VapiState>>,
    pub(crate) twilio: FakeTwilio,
    pub calls: Calls,
    pub faults: Faults,
    /// Answers of this fake that Vapi's contract does not describe (see [`crate::contract`]).
    pub drift: Drift,
}

impl FakeVapi {
    pub fn new(twilio: FakeTwilio) -> Self {
        Self {
            state: Arc::default(),
            twilio,
            calls: Calls::default(),
            faults: Faults::default(),
            drift: Drift::default(),
        }
    }

    /// Accepts `key` as a private key of a new org; returns the org id.
    pub fn add_key(&self, key: &str) -> String {
        let mut state = lock(&self.state);
        let org = state.new_id();
        state.keys.insert(key.to_owned(), org.clone());
        org
    }

    /// Accepts `key` as another private key of `org`.
    pub fn add_key_for_org(&self, key: &str, org: &str) {
        lock(&self.state)
            .keys
            .insert(key.to_owned(), org.to_owned());
    }

    /// An assistant the owner of `key` made in Vapi's dashboard, with the id `id`.
    pub fn add_assistant(&self, key: &str, id: &str, name: &str) {
        let mut state = lock(&self.state);
        let org = state.keys.get(key).cloned().expect("a key the fake knows");
        let stamp = now();
        state.assistants.push(json!({
            "id": id, "orgId": org, "name": name, "createdAt": stamp, "updatedAt": stamp,
        }));
    }

    /// Every assistant that exists, in creation order.
    pub fn assistants(&self) -> Vec<Value> {
        lock(&self.state).assistants.clone()
    }

    /// The assistant `id` as Vapi holds it now.
    pub fn assistant(&self, id: &str) -> Option<Value> {
        self.assistants().into_iter().find(|a| a["id"] == id)
    }

    /// The bodies of the PATCHes applied to assistant `id`, oldest first.
    pub fn assistant_patches(&self, id: &str) -> Vec<Value> {
        lock(&self.state)
            .assistant_patches
            .iter()
            .filter(|(patched, _)| patched == id)
            .map(|(_, body)| body.clone())
            .collect()
    }

    pub fn phone_numbers(&self) -> Vec<Value> {
        lock(&self.state).phone_numbers.clone()
    }

    /// Vapi's routes for assistants and phone numbers, with `conversations` (chats and calls,
    /// served from their own module) beside them, behind the fault injection and the contract.
    pub fn router(&self, conversations: Router<FakeVapi>) -> Router {
        let instrumentation = Instrumentation {
            calls: self.calls.clone(),
            faults: self.faults.clone(),
            error_body: vapi_error_body,
        };
        // Inside the instrumentation: an injected fault never reaches it, and what it refuses
        // is counted as received.
        let enforcement = Enforcement {
            contract: crate::contract::vapi,
            refuse: Some(bad_request),
            drift: self.drift.clone(),
        };
        let router = collection(
            Router::new(),
            Kind::Assistant,
            create_assistant,
            update_assistant,
        );
        collection(
            router,
            Kind::PhoneNumber,
            create_phone_number,
            update_phone_number,
        )
        .merge(conversations)
        .route_layer(from_fn_with_state(enforcement, enforce))
        .route_layer(from_fn_with_state(instrumentation, instrument))
        .fallback(|| async { nest_error(StatusCode::NOT_FOUND, json!("Cannot find route")) })
        .with_state(self.clone())
    }

    fn org_for(&self, headers: &HeaderMap) -> Result<String, Response> {
        let key = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        lock(&self.state).keys.get(key).cloned().ok_or_else(|| {
            (
                StatusCode::UNAUTHORIZED,
                axum::Json(json!({
                    "message": "Invalid Key. Hot tip, you may be using the private key instead of the public key, or vice versa.",
                    "error": "Unauthorized",
                    "statusCode": 401,
                })),
            )
                .into_response()
        })
    }
}

/// The org a request's Bearer private key belongs to; Vapi's 401 otherwise.
pub(crate) struct Org(pub(crate) String);

impl axum::extract::FromRequestParts<FakeVapi> for Org {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        fake: &FakeVapi,
    ) -> Result<Self, Response> {
        fake.org_for(&parts.headers).map(Org)
    }
}

/// A JSON body, or NestJS's 400 for one that does not parse.
pub(crate) struct Body(pub(crate) Value);

impl<S: Send + Sync> axum::extract::FromRequest<S> for Body {
    type Rejection = Response;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, Response> {
        match axum::Json::<Value>::from_request(request, state).await {
            Ok(axum::Json(value)) => Ok(Body(value)),
            Err(_) => Err(bad_request(vec!["Unexpected token in JSON".to_owned()])),
        }
    }
}

fn reason(status: StatusCode) -> &'static str {
    status.canonical_reason().unwrap_or("Error")
}

pub(crate) fn nest_error(status: StatusCode, message: Value) -> Response {
    let body = json!({"message": message, "error": reason(status), "statusCode": status.as_u16()});
    (status, axum::Json(body)).into_response()
}

pub(crate) fn bad_request(messages: Vec<String>) -> Response {
    nest_error(StatusCode::BAD_REQUEST, json!(messages))
}

fn not_found(what: &str) -> Response {
    nest_error(
        StatusCode::NOT_FOUND,
        json!(format!("Couldn't Get {what}. `{what}` Not Found.")),
    )
}

pub(crate) fn vapi_error_body(status: u16) -> Value {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let message = if status == 500 {
        "Internal server error"
    } else {
        reason(code)
    };
    json!({"message": message, "error": reason(code), "statusCode": status})
}

pub(crate) fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ListQuery {
    /// `GET /call` only (the contract refuses it elsewhere).
    assistant_id: Option<String>,
    limit: Option<i64>,
    created_at_gt: Option<String>,
    created_at_lt: Option<String>,
    created_at_ge: Option<String>,
    created_at_le: Option<String>,
}

fn parse_time(
    value: &Option<String>,
    field: &str,
    errors: &mut Vec<String>,
) -> Option<DateTime<Utc>> {
    let raw = value.as_ref()?;
    match DateTime::parse_from_rfc3339(raw) {
        Ok(t) => Some(t.with_timezone(&Utc)),
        Err(_) => {
            errors.push(format!("{field} must be a valid ISO 8601 date string"));
            None
        }
    }
}

/// Vapi's list semantics: the org's items filtered by `createdAt`, capped at `limit`.
pub(crate) fn list(items: &[Value], org: &str, query: &ListQuery) -> Result<Vec<Value>, Response> {
    let mut errors = Vec::new();
    let limit = query.limit.unwrap_or(100);
    if !(0..=1000).contains(&limit) {
        errors.push("limit must not be greater than 1000".to_owned());
    }
    let gt = parse_time(&query.created_at_gt, "createdAtGt", &mut errors);
    let lt = parse_time(&query.created_at_lt, "createdAtLt", &mut errors);
    let ge = parse_time(&query.created_at_ge, "createdAtGe", &mut errors);
    let le = parse_time(&query.created_at_le, "createdAtLe", &mut errors);
    if !errors.is_empty() {
        return Err(bad_request(errors));
    }
    let created = |item: &Value| {
        item["createdAt"]
            .as_str()
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
            .map(|t| t.with_timezone(&Utc))
    };
    let mut found: Vec<Value> = items
        .iter()
        .filter(|item| item["orgId"] == org)
        .filter(|item| {
            query
                .assistant_id
                .as_deref()
                .is_none_or(|id| item["assistantId"] == id)
        })
        .filter(|item| {
            let Some(at) = created(item) else {
                return false;
            };
            gt.is_none_or(|t| at > t)
                && lt.is_none_or(|t| at < t)
                && ge.is_none_or(|t| at >= t)
                && le.is_none_or(|t| at <= t)
        })
        .cloned()
        .collect();
    // Vapi states no order; the fake answers oldest first and cuts there, so a client that
    // asks for "the last N" without a time window gets the wrong N.
    found.truncate(limit as usize);
    Ok(found)
}

async fn create_assistant(
    State(fake): State<FakeVapi>,
    Org(org): Org,
    Body(body): Body,
) -> Response {
    let mut state = lock(&fake.state);
    let mut assistant = body;
    let stamp = now();
    assistant["id"] = json!(state.new_id());
    assistant["orgId"] = json!(org);
    assistant["createdAt"] = json!(stamp);
    assistant["updatedAt"] = json!(stamp);
    state.assistants.push(assistant.clone());
    (StatusCode::CREATED, axum::Json(assistant)).into_response()
}

/// A collection's five routes: list and create at `/{kind}`, get, update and delete at
/// `/{kind}/{id}`.
fn collection<C, CArgs, U, UArgs>(
    router: Router<FakeVapi>,
    kind: Kind,
    create: C,
    update: U,
) -> Router<FakeVapi>
where
    C: axum::handler::Handler<CArgs, FakeVapi>,
    U: axum::handler::Handler<UArgs, FakeVapi>,
    CArgs: 'static,
    UArgs: 'static,
{
    let path = format!("/{}", kind.path());
    router
        .route(
            &path,
            get(move |f, h, q| list_items(kind, f, h, q)).post(create),
        )
        .route(
            &format!("{path}/{{id}}"),
            get(move |f, h, p| item(kind, false, f, h, p))
                .patch(update)
                .delete(move |f, h, p| item(kind, true, f, h, p)),
        )
}

/// The two collections the fake keeps, which list, get and delete alike.
#[derive(Clone, Copy)]
enum Kind {
    Assistant,
    PhoneNumber,
}

impl Kind {
    /// Where Vapi serves the collection.
    fn path(self) -> &'static str {
        match self {
            Kind::Assistant => "assistant",
            Kind::PhoneNumber => "phone-number",
        }
    }

    fn items(self, state: &mut VapiState) -> &mut Vec<Value> {
        match self {
            Kind::Assistant => &mut state.assistants,
            Kind::PhoneNumber => &mut state.phone_numbers,
        }
    }

    fn not_found(self) -> Response {
        not_found(match self {
            Kind::Assistant => "Assistant",
            Kind::PhoneNumber => "Phone Number",
        })
    }
}

async fn list_items(
    kind: Kind,
    State(fake): State<FakeVapi>,
    Org(org): Org,
    Query(query): Query<ListQuery>,
) -> Response {
    let mut state = lock(&fake.state);
    match list(kind.items(&mut state), &org, &query) {
        Ok(found) => axum::Json(found).into_response(),
        Err(response) => response,
    }
}

/// One item of the organisation's, as it is (GET) or as it was before it went (DELETE).
async fn item(
    kind: Kind,
    delete: bool,
    State(fake): State<FakeVapi>,
    Org(org): Org,
    Path(id): Path<String>,
) -> Response {
    let mut state = lock(&fake.state);
    let items = kind.items(&mut state);
    match find(items, &org, &id) {
        Some(i) if delete => axum::Json(items.remove(i)).into_response(),
        Some(i) => axum::Json(items[i].clone()).into_response(),
        None => kind.not_found(),
    }
}

pub(crate) fn find(items: &[Value], org: &str, id: &str) -> Option<usize> {
    items
        .iter()
        .position(|item| item["id"] == id && item["orgId"] == org)
}

async fn update_assistant(
    State(fake): State<FakeVapi>,
    Org(org): Org,
    Path(id): Path<String>,
    Body(body): Body,
) -> Response {
    let mut state = lock(&fake.state);
    let Some(i) = find(&state.assistants, &org, &id) else {
        return not_found("Assistant");
    };
    state.assistant_patches.push((id.clone(), body.clone()));
    let assistant = &mut state.assistants[i];
    // Top-level fields left out stay; a nested object sent replaces the old one whole (Vapi's
    // documented behaviour: `{model: {provider, model}}` drops the system prompt).
    if let (Some(target), Some(changes)) = (assistant.as_object_mut(), body.as_object()) {
        for (key, value) in changes {
            target.insert(key.clone(), value.clone());
        }
        target.insert("updatedAt".to_owned(), json!(now()));
    }
    axum::Json(assistant.clone()).into_response()
}

/// Importing a Twilio number (the body already passed the contract): Vapi calls Twilio with
/// the given credentials to check the number belongs to that account, then answers 201 with
/// the number (token included).
async fn create_phone_number(
    State(fake): State<FakeVapi>,
    Org(org): Org,
    Body(body): Body,
) -> Response {
    let field = |name: &str| body[name].as_str().unwrap_or_default();
    if field("provider") != "twilio" {
        // The real API also takes vonage, vapi, telnyx and byo-phone-number; the app imports
        // only Twilio numbers, so the fake keeps no others.
        return bad_request(vec!["the fake imports Twilio numbers only".to_owned()]);
    }
    let (number, sid, token) = (
        field("number"),
        field("twilioAccountSid"),
        field("twilioAuthToken"),
    );
    if let Err(message) = fake.twilio.check_import(sid, token, number) {
        return nest_error(StatusCode::BAD_REQUEST, json!(message));
    }
    let mut state = lock(&fake.state);
    if let Some(assistant_id) = body["assistantId"].as_str()
        && find(&state.assistants, &org, assistant_id).is_none()
    {
        return nest_error(StatusCode::BAD_REQUEST, json!("Couldn't Find Assistant."));
    }
    let mut record = body.clone();
    let stamp = now();
    record["id"] = json!(state.new_id());
    record["orgId"] = json!(org);
    record["status"] = json!("active");
    record["createdAt"] = json!(stamp);
    record["updatedAt"] = json!(stamp);
    if record.get("smsEnabled").is_none() {
        record["smsEnabled"] = json!(true);
    }
    state.phone_numbers.push(record.clone());
    (StatusCode::CREATED, axum::Json(record)).into_response()
}

async fn update_phone_number(
    State(fake): State<FakeVapi>,
    Org(org): Org,
    Path(id): Path<String>,
    Body(body): Body,
) -> Response {
    let Value::Object(changes) = body else {
        return bad_request(vec!["body must be an object".to_owned()]);
    };
    let mut state = lock(&fake.state);
    if let Some(assistant_id) = changes.get("assistantId").and_then(Value::as_str)
        && find(&state.assistants, &org, assistant_id).is_none()
    {
        return nest_error(StatusCode::BAD_REQUEST, json!("Couldn't Find Assistant."));
    }
    let Some(i) = find(&state.phone_numbers, &org, &id) else {
        return not_found("Phone Number");
    };
    let record = &mut state.phone_numbers[i];
    if let Some(target) = record.as_object_mut() {
        for (key, value) in changes {
            target.insert(key, value);
        }
        target.insert("updatedAt".to_owned(), json!(now()));
    }
    axum::Json(record.clone()).into_response()
}
