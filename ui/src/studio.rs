//! The studio home's panels after launch: "Talk to Ava" (a text chat with the live assistant,
//! the instructions she runs on beside it) and her recent calls, refreshed on demand and every
//! three minutes while the home is open.

use ava_ipc::{CallView, ChatView, FormField};
use web_sys::HtmlTextAreaElement;
use yew::prelude::*;

use crate::ctx::Ctx;
use crate::i18n::error_message;
use crate::state::{Action, CallsState, Msg};
use crate::widgets;

const REFRESH_MS: u32 = 3 * 60 * 1000;

#[derive(Properties, PartialEq)]
pub struct PanelsProps {
    pub ctx: Ctx,
}

#[component]
pub fn StudioPanels(props: &PanelsProps) -> Html {
    let ctx = &props.ctx;
    {
        let ctx = ctx.clone();
        use_effect_with((), move |_| {
            ctx.act(Action::LoadChat);
            ctx.act(Action::RefreshCalls);
            let refresh = ctx.clone();
            let interval = gloo_timers::callback::Interval::new(REFRESH_MS, move || {
                refresh.act(Action::RefreshCalls)
            });
            move || drop(interval)
        });
    }
    html! {
        <div class="panels">
            { chat(ctx) }
            <div class="panel-stack">
                { call_me(ctx) }
                { calls(ctx) }
            </div>
        </div>
    }
}

/// "Talk to Ava": also drawn at step 7 once the assistant exists.
pub fn chat(ctx: &Ctx) -> Html {
    let view: &ChatView = &ctx.ui.chat;
    let typed = ctx.ui.typed_at(FormField::Chat);
    let busy = ctx.ui.chat_busy;
    let oninput = {
        let ctx = ctx.clone();
        Callback::from(move |e: InputEvent| {
            let value = e.target_unchecked_into::<HtmlTextAreaElement>().value();
            ctx.ui.dispatch(Msg::Typed(FormField::Chat.into(), value));
        })
    };
    let send = submit(ctx, typed.clone(), Action::SendChat);
    let error = error_line(ctx, FormField::Chat, "chat", "chat-error");
    html! {
        <section class="card panel chat" aria-labelledby="chat-title" id="chat-panel">
            <div class="panel-head">
                <h2 id="chat-title">{ ctx.text("chat.title") }</h2>
                { widgets::button("new-chat", "link", ctx.text("chat.new"), ctx.callback(|| Action::NewChat)) }
            </div>
            <p class="help">{ ctx.text("chat.purpose") }</p>
            <ol class="chat-lines" id="chat-lines" aria-live="polite">
                { if view.lines.is_empty() { html! { <li class="chat-empty">{ ctx.text("chat.empty") }</li> } } else { html!() } }
                { for view.lines.iter().map(|line| html! {
                    <li class={widgets::class_of(&["chat-line", if line.from_owner { "owner" } else { "ava" }])} dir="auto">{ line.text.clone() }</li>
                }) }
            </ol>
            <form class="chat-form" onsubmit={send}>
                <textarea id="chat-input" rows="2" dir="auto" value={typed} {oninput}
                    aria-label={ctx.t("chat.input")} placeholder={ctx.t("chat.placeholder")} />
                { widgets::busy_button("chat-send", "btn primary", ctx.text("chat.send"), busy, false, None) }
            </form>
            { error }
            { match &view.system_prompt {
                Some(prompt) => html! {
                    <details class="system-prompt" id="system-prompt">
                        <summary>{ ctx.text("chat.system_prompt") }</summary>
                        // Scrolls on its own: focusable, so the keyboard can scroll it too.
                        <pre dir="auto" tabindex="0" role="region" aria-label={ctx.t("chat.system_prompt")}>{ prompt.clone() }</pre>
                    </details>
                },
                None => html!(),
            } }
        </section>
    }
}

/// "Call my phone": a test call from the attached number to the owner, followed until it ends.
fn call_me(ctx: &Ctx) -> Html {
    let view = ctx.view();
    let attached = view
        .assistant
        .as_ref()
        .is_some_and(|a| a.phone_number_id.is_some());
    let trial = view.twilio.as_ref().is_some_and(|t| t.trial);
    let typed = ctx.ui.typed_at(FormField::CallTo);
    let oninput = {
        let ctx = ctx.clone();
        Callback::from(move |e: InputEvent| {
            let value = e
                .target_unchecked_into::<web_sys::HtmlInputElement>()
                .value();
            ctx.ui.dispatch(Msg::Typed(FormField::CallTo.into(), value));
        })
    };
    let place = submit(ctx, typed.clone(), Action::CallMe);
    // One test call at a time: the next once this one has ended.
    let call_under_way = ctx
        .ui
        .test_call
        .as_ref()
        .is_some_and(|c| c.status.as_deref() != Some("ended"));
    let error = error_line(ctx, FormField::CallTo, "call", "call-error");
    let progress = ctx.ui.test_call.as_ref().map(|call| {
        let status = call.status.clone().unwrap_or_else(|| "queued".into());
        let text = match status.as_str() {
            "ended" => ctx.t("test_call.ended").replace(
                "{why}",
                &ended_words(ctx, call.ended_reason.as_deref().unwrap_or_default()),
            ),
            other => ctx.t(&format!("test_call.{other}")),
        };
        let class = widgets::class_of(&["test-call", &status]);
        html! { <p {class} id="test-call" data-status={status} role="status">{ text }</p> }
    });
    html! {
        <section class="card panel" aria-labelledby="call-me-title" id="call-me-panel">
            <h2 id="call-me-title">{ ctx.text("test_call.title") }</h2>
            <p class="help">{ ctx.text(if attached { "test_call.purpose" } else { "test_call.needs_number" }) }</p>
            { if trial { html! { <div class="alert warning" role="note" id="trial-note">{ ctx.text("test_call.trial") }</div> } } else { html!() } }
            <form class="chat-form" onsubmit={place}>
                <input id="call-to" type="tel" dir="ltr" autocomplete="tel" value={typed} {oninput} disabled={!attached}
                    aria-label={ctx.t("test_call.number")} placeholder="+33 6 12 34 56 78" />
                { widgets::busy_button("call-me", "btn primary", ctx.text("test_call.call"), ctx.ui.calling, !attached || call_under_way, None) }
            </form>
            { error }
            { progress.unwrap_or_default() }
        </section>
    }
}

/// A one-line form's submit: runs `action` with what was typed.
fn submit(ctx: &Ctx, typed: String, action: fn(String) -> Action) -> Callback<SubmitEvent> {
    let ctx = ctx.clone();
    Callback::from(move |e: SubmitEvent| {
        e.prevent_default();
        ctx.act(action(typed.clone()));
    })
}

/// The error at the form's field, else the one shown for its area.
fn error_line(ctx: &Ctx, field: FormField, area: &str, id: &'static str) -> Html {
    ctx.ui
        .error_at(field)
        .or_else(|| ctx.ui.alerts.get(area).cloned())
        .map(|e| html! { <span class="error" role="alert" {id}>{ error_message(ctx.locale, &e) }</span> })
        .unwrap_or_default()
}

/// Vapi's `endedReason` in the user's words: the common ones translated, others as the code
/// with spaces.
fn ended_words(ctx: &Ctx, reason: &str) -> String {
    words(ctx, "ended", reason)
}

/// The translation of `{prefix}.{code}`, or the code itself in words when there is none.
fn words(ctx: &Ctx, prefix: &str, code: &str) -> String {
    let key = format!("{prefix}.{code}");
    let text = ctx.t(&key);
    if text == key {
        code.replace(['-', '.'], " ")
    } else {
        text
    }
}

fn calls(ctx: &Ctx) -> Html {
    let body = match &ctx.ui.calls {
        CallsState::NotLoaded | CallsState::Loading(None) => {
            html! { <p class="help" id="calls-loading">{ ctx.text("calls.loading") }</p> }
        }
        CallsState::Failed(error) => html! {
            <div class={widgets::class_of(&["alert", if error.code.is_provider_unavailable() { "warning" } else { "danger" }])} role="alert" id="calls-error">
                { ctx.text(if error.code.is_provider_unavailable() { "calls.offline" } else { "calls.failed" }) }
                { " " }{ error_message(ctx.locale, error) }
            </div>
        },
        CallsState::Loaded(calls) | CallsState::Loading(Some(calls)) if calls.is_empty() => {
            html! { <p class="calls-empty" id="calls-empty">{ ctx.text("calls.empty") }</p> }
        }
        CallsState::Loaded(calls) | CallsState::Loading(Some(calls)) => html! {
            <ol class="calls" id="calls">{ for calls.iter().map(|call| call_row(ctx, call)) }</ol>
        },
    };
    let loading = matches!(ctx.ui.calls, CallsState::Loading(_));
    html! {
        <section class="card panel" aria-labelledby="calls-title" id="calls-panel">
            <div class="panel-head">
                <h2 id="calls-title">{ ctx.text("calls.title") }</h2>
                { widgets::busy_button("refresh-calls", "btn", ctx.text("calls.refresh"), loading, false, Some(ctx.callback(|| Action::RefreshCalls))) }
            </div>
            { body }
        </section>
    }
}

fn call_row(ctx: &Ctx, call: &CallView) -> Html {
    let when = call.started.clone().unwrap_or_default();
    let duration = call
        .duration_seconds
        .map(|s| format!("{}:{:02}", s / 60, s % 60))
        .unwrap_or_default();
    let why = call
        .ended_reason
        .as_deref()
        .map(|reason| ended_words(ctx, reason));
    let status = call
        .status
        .as_deref()
        .map(|s| words(ctx, "call_status", s))
        .unwrap_or_default();
    html! {
        <li class="call" data-id={call.id.clone()}>
            <div class="call-head">
                <span class="call-caller" dir="ltr">{ call.caller.clone().unwrap_or_else(|| ctx.t("calls.unknown_caller")) }</span>
                <span class="call-when" dir="ltr">{ when }</span>
                <span class="call-duration" dir="ltr">{ duration }</span>
                <span class="call-status">{ status }</span>
            </div>
            { match why { Some(why) => html! { <p class="call-why">{ why }</p> }, None => html!() } }
            { match &call.summary { Some(summary) => html! { <p class="call-summary" dir="auto">{ summary.clone() }</p> }, None => html!() } }
        </li>
    }
}
