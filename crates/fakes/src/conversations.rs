//! The fake Vapi's chat and call log (`shared/notes/vapi-postlaunch.md` §2–4): `POST /chat`
//! answers deterministically, quoting the start of the system prompt it ran on, so a test can
//! tell which instructions the assistant had; `GET /call` lists the calls a test recorded with
//! [`FakeVapi::add_call`], filtered by assistant.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::faults::lock;
use crate::vapi::{Body, FakeVapi, Org, bad_request, find, nest_error, now};

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
            "analysis": {"summary": call.summary},
            "cost": 0.12,
        });
        state.calls.push(record.clone());
        record
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
    let prompt: String = state.assistants[i]["model"]["messages"][0]["content"]
        .as_str()
        .unwrap_or_default()
        .chars()
        .take(QUOTED)
        .collect();
    let turns = previous.map_or(0, |p| {
        state
            .chats
            .iter()
            .find(|c| c["id"] == p)
            .and_then(|c| c["turn"].as_u64())
            .unwrap_or(0)
    }) + 1;
    let input = input.unwrap_or_default();
    let answer =
        format!("(turn {turns}) You said: \"{input}\". My instructions begin: \"{prompt}\"");
    let id = format!("chat_{}", state.new_id().replace('-', ""));
    let stamp = now();
    let chat = json!({
        "id": id,
        "orgId": org,
        "assistantId": assistant_id,
        "previousChatId": previous,
        "input": input,
        "turn": turns,
        "messages": [{"role": "user", "content": input}],
        "output": [{"role": "assistant", "content": answer}],
        "cost": 0.002,
        "createdAt": stamp,
        "updatedAt": stamp,
    });
    state.chats.push(chat.clone());
    (StatusCode::CREATED, axum::Json(chat)).into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CallQuery {
    assistant_id: Option<String>,
    limit: Option<i64>,
}

/// `GET /call`: a plain list (no paging), the org's calls, filtered by assistant, capped.
pub(crate) async fn list_calls(
    State(fake): State<FakeVapi>,
    Org(org): Org,
    Query(query): Query<CallQuery>,
) -> Response {
    let limit = query.limit.unwrap_or(100);
    if !(0..=1000).contains(&limit) {
        return bad_request(vec!["limit must not be greater than 1000".to_owned()]);
    }
    let state = lock(&fake.state);
    let calls: Vec<Value> = state
        .calls
        .iter()
        .filter(|c| c["orgId"] == org)
        .filter(|c| {
            query
                .assistant_id
                .as_deref()
                .is_none_or(|id| c["assistantId"] == id)
        })
        .take(usize::try_from(limit).unwrap_or(0))
        .cloned()
        .collect();
    axum::Json(calls).into_response()
}
