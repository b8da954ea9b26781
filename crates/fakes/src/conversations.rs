//! The fake Vapi's chat and call log (`shared/notes/vapi-postlaunch.md` §2–4): `POST /chat`
//! answers deterministically, quoting the start of the system prompt it ran on, so a test can
//! tell which instructions the assistant had; `GET /call` lists the calls a test recorded with
//! [`FakeVapi::add_call`], filtered by assistant.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use crate::faults::lock;
use crate::vapi::{Body, FakeVapi, ListQuery, Org, bad_request, find, list, nest_error, now};

/// Vapi's routes for chats and calls, for [`FakeVapi::router`].
pub(crate) fn routes() -> axum::Router<FakeVapi> {
    axum::Router::new()
        .route("/chat", axum::routing::post(create_chat))
        .route("/call", axum::routing::get(list_calls).post(create_call))
        .route("/call/{id}", axum::routing::get(get_call))
}

/// How much of the system prompt the fake's answer quotes.
const QUOTED: usize = 120;

/// A call for the log, as a test describes it.
pub struct CallSpec<'a> {
    pub assistant_id: &'a str,
    pub caller: &'a str,
    pub started_at: DateTime<Utc>,
    pub seconds: i64,
    pub ended_reason: &'a str,
    pub summary: Option<&'a str>,
}

impl FakeVapi {
    /// Records an inbound call that has ended, in the org that owns the assistant.
    pub fn add_call(&self, call: &CallSpec<'_>) -> Value {
        let mut state = lock(&self.state);
        let org = state
            .assistants
            .iter()
            .find(|a| a["id"] == call.assistant_id)
            .and_then(|a| a["orgId"].as_str())
            .unwrap_or_default()
            .to_owned();
        let stamp = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Millis, true);
        let ended = call.started_at + chrono::Duration::seconds(call.seconds);
        let record = json!({
            "id": state.new_id(),
            "orgId": org,
            "type": "inboundPhoneCall",
            "status": "ended",
            "assistantId": call.assistant_id,
            "createdAt": stamp(call.started_at),
            "updatedAt": stamp(ended),
            "startedAt": stamp(call.started_at),
            "endedAt": stamp(ended),
            "endedReason": call.ended_reason,
            "customer": {"number": call.caller},
            "cost": 0.12,
        });
        let mut record = record;
        if let Some(summary) = call.summary {
            record["analysis"] = json!({ "summary": summary });
        }
        state.calls.push(record.clone());
        record
    }

    /// Moves an outbound call one status on: queued → ringing → in-progress → ended. A call
    /// Twilio would not connect (a trial account, an unverified number) ends at once with
    /// `twilio-failed-to-connect-call`. Returns the call after the move.
    pub fn advance_call(&self, id: &str) -> Option<Value> {
        let mut state = lock(&self.state);
        let connectable = !state.unconnectable_calls.iter().any(|c| c == id);
        let call = state.calls.iter_mut().find(|c| c["id"] == id)?;
        let stamp = now();
        let next = match (call["status"].as_str(), connectable) {
            (Some("queued"), false) => "ended",
            (Some("queued"), _) => "ringing",
            (Some("ringing"), _) => "in-progress",
            (Some("in-progress"), _) => "ended",
            _ => return Some(call.clone()),
        };
        call["status"] = json!(next);
        call["updatedAt"] = json!(stamp);
        if next == "in-progress" {
            call["startedAt"] = json!(stamp);
        }
        if next == "ended" {
            call["endedAt"] = json!(stamp);
            if !connectable {
                call["endedReason"] = json!("twilio-failed-to-connect-call");
            } else {
                call["endedReason"] = json!("customer-ended-call");
                call["analysis"] =
                    json!({"summary": "A test call: the owner said hello and hung up."});
            }
        }
        Some(call.clone())
    }

    /// The calls Ava placed (`POST /call`), oldest first.
    pub fn outbound_calls(&self) -> Vec<Value> {
        lock(&self.state)
            .calls
            .iter()
            .filter(|c| c["type"] == "outboundPhoneCall")
            .cloned()
            .collect()
    }

    /// Turns Vapi's billing gate on chat on or off.
    pub fn require_payment_for_chat(&self, on: bool) {
        lock(&self.state).chat_needs_payment = on;
    }

    /// Every chat turn the fake answered: (chat id, previous chat id, input).
    pub fn chats(&self) -> Vec<Value> {
        lock(&self.state).chats.clone()
    }
}

/// The user's words: `input` is a string or a list of `{role, content}` messages.
fn user_input(input: &Value) -> Option<String> {
    match input {
        Value::String(text) if !text.trim().is_empty() => Some(text.clone()),
        Value::Array(messages) => messages
            .iter()
            .rev()
            .find(|m| m["role"] == "user")
            .and_then(|m| m["content"].as_str())
            .map(str::to_owned),
        _ => None,
    }
}

pub(crate) async fn create_chat(
    State(fake): State<FakeVapi>,
    Org(org): Org,
    Body(body): Body,
) -> Response {
    let mut errors = Vec::new();
    let input = user_input(&body["input"]);
    if input.is_none() {
        errors.push("input must be a string or an array of messages".to_owned());
    }
    let assistant_id = body["assistantId"].as_str();
    let previous = body["previousChatId"].as_str();
    if body.get("sessionId").is_some() && previous.is_some() {
        errors.push("sessionId and previousChatId cannot both be given".to_owned());
    }
    if assistant_id.is_none() && previous.is_none() && body.get("sessionId").is_none() {
        errors.push(
            "one of assistantId, assistant, sessionId or previousChatId is required".to_owned(),
        );
    }
    if !errors.is_empty() {
        return bad_request(errors);
    }
    let mut state = lock(&fake.state);
    if state.chat_needs_payment {
        return nest_error(
            StatusCode::PAYMENT_REQUIRED,
            json!("Add a payment method to use chat. Pay-as-you-go orgs require a card on file."),
        );
    }
    // A continued chat runs on the assistant of the chat it continues.
    let assistant_id = match previous {
        Some(previous) => state
            .chats
            .iter()
            .find(|c| c["id"] == previous && c["orgId"] == org)
            .and_then(|c| c["assistantId"].as_str())
            .map(str::to_owned),
        None => assistant_id.map(str::to_owned),
    };
    let Some(assistant_id) = assistant_id else {
        return nest_error(
            StatusCode::NOT_FOUND,
            json!("Couldn't Get Chat. `Chat` Not Found."),
        );
    };
    let Some(i) = find(&state.assistants, &org, &assistant_id) else {
        return nest_error(StatusCode::BAD_REQUEST, json!("Couldn't Find Assistant."));
    };
    let prompt: String = crate::system_prompt(&state.assistants[i])
        .chars()
        .take(QUOTED)
        .collect();
    let turns = previous.map_or(0, |p| state.chat_turns.get(p).copied().unwrap_or(0)) + 1;
    let input = input.unwrap_or_default();
    let answer =
        format!("(turn {turns}) You said: \"{input}\". My instructions begin: \"{prompt}\"");
    let id = format!("chat_{}", state.new_id().replace('-', ""));
    let stamp = now();
    let epoch_ms = chrono::Utc::now().timestamp_millis();
    let mut chat = json!({
        "id": id,
        "orgId": org,
        "assistantId": assistant_id,
        "input": input,
        // Vapi's schema gives the chat's `messages` the call-transcript shape (`message`,
        // `time`…), while its prose docs show `{role, content}`; the schema is what is
        // published as the contract, so the fake follows it. The app reads only `output`.
        "messages": [{"role": "user", "message": input, "time": epoch_ms, "endTime": epoch_ms, "secondsFromStart": 0}],
        "output": [{"role": "assistant", "content": answer}],
        "cost": 0.002,
        "createdAt": stamp,
        "updatedAt": stamp,
    });
    if let Some(previous) = previous {
        chat["previousChatId"] = json!(previous);
    }
    state.chat_turns.insert(id, turns);
    state.chats.push(chat.clone());
    (StatusCode::OK, axum::Json(chat)).into_response()
}

/// `GET /call`: a plain list (no paging, no promised order), the org's calls, filtered by
/// assistant and creation time, capped at `limit`.
pub(crate) async fn list_calls(
    State(fake): State<FakeVapi>,
    Org(org): Org,
    Query(query): Query<ListQuery>,
) -> Response {
    let state = lock(&fake.state);
    match list(&state.calls, &org, &query) {
        Ok(calls) => axum::Json(calls).into_response(),
        Err(response) => response,
    }
}

/// Vapi's E.164 check on `customer.number` (the note's observed message).
pub(crate) fn is_e164(number: &str) -> bool {
    let digits = number.strip_prefix('+').unwrap_or("");
    (7..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
}

/// `POST /call`: an outbound call from an imported number, answered 201 `queued`; the test
/// moves it on with [`FakeVapi::advance_call`].
pub(crate) async fn create_call(
    State(fake): State<FakeVapi>,
    Org(org): Org,
    Body(body): Body,
) -> Response {
    let number = body["customer"]["number"].as_str().unwrap_or_default();
    if !is_e164(number) {
        return bad_request(vec!["customer.number must be a valid phone number in the E.164 format. Hot tip, you may be missing the country code (Eg. US: +1).".to_owned()]);
    }
    let mut state = lock(&fake.state);
    let assistant_id = body["assistantId"].as_str().unwrap_or_default();
    if find(&state.assistants, &org, assistant_id).is_none() {
        return nest_error(StatusCode::BAD_REQUEST, json!("Couldn't Find Assistant."));
    }
    let phone_number_id = body["phoneNumberId"].as_str().unwrap_or_default();
    let Some(from) = state
        .phone_numbers
        .iter()
        .find(|n| n["id"] == phone_number_id && n["orgId"] == org)
        .cloned()
    else {
        return nest_error(
            StatusCode::BAD_REQUEST,
            json!("Couldn't Find Phone Number."),
        );
    };
    let sid = from["twilioAccountSid"].as_str().unwrap_or_default();
    let connectable = fake.twilio.may_call(sid, number);
    let stamp = now();
    let call = json!({
        "id": state.new_id(),
        "orgId": org,
        "type": "outboundPhoneCall",
        "status": "queued",
        "assistantId": assistant_id,
        "phoneNumberId": phone_number_id,
        "customer": {"number": number},
        "createdAt": stamp,
        "updatedAt": stamp,
    });
    if !connectable {
        state
            .unconnectable_calls
            .push(call["id"].as_str().unwrap_or_default().to_owned());
    }
    state.calls.push(call.clone());
    (StatusCode::CREATED, axum::Json(call)).into_response()
}

pub(crate) async fn get_call(
    State(fake): State<FakeVapi>,
    Org(org): Org,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Response {
    let state = lock(&fake.state);
    match find(&state.calls, &org, &id) {
        Some(i) => axum::Json(state.calls[i].clone()).into_response(),
        None => nest_error(
            StatusCode::NOT_FOUND,
            json!("Couldn't Get Call. `Call` Not Found."),
        ),
    }
}
