//! The nine steps of wizard.md. Each draws its fields from the view and sends edits; none
//! holds a rule of its own.

use ava_ipc::{AssistantFormField, FormField, Provider, TwilioArgs, WizardView};
use ava_model::{
    BackgroundSound, Calendar, CallLength, CallRecording, Crm, Industry, Locale, Persona, Plan,
    ProfileField, Step, StudioField, Tone,
};
use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

use crate::ctx::Ctx;
use crate::state::{Action, Busy, Msg, step_mark};
use crate::widgets::{self, CardOption, TextSpec};

/// Languages Ava can speak on the phone, offered as chips on step 3 (the model's list).
pub const SPOKEN: [&str; 8] = ava_model::LanguageCode::SPOKEN;
/// Workspace apps offered as chips on step 6 (slugs as api.md allows).
pub const WORKSPACE_APPS: [&str; 6] = [
    "google_workspace",
    "microsoft_365",
    "slack",
    "notion",
    "zoom",
    "dropbox",
];

pub fn step(ctx: &Ctx, step: Step) -> Html {
    let view = ctx.view();
    let body = match step {
        Step::Profile => profile(ctx, view),
        Step::Vapi => vapi(ctx, view),
        Step::Persona => persona(ctx, view),
        Step::Twilio => twilio(ctx, view),
        Step::Telephony => telephony(ctx, view),
        Step::Integrations => integrations(ctx, view),
        Step::Assistant => assistant(ctx, view),
        Step::Plan => plan(ctx, view),
        Step::Done => done(ctx, view),
    };
    html! { <>
        <p class="eyebrow">{ format!("{} {} / 9", ctx.t("step.word"), step.index() + 1) }</p>
        <h1 id="step-title">{ ctx.text(&format!("step.{}", step.key())) }</h1>
        <p class="purpose">{ ctx.text(&format!("purpose.{}", step.key())) }</p>
        { body }
    </> }
}

fn labelled<T: Copy>(
    ctx: &Ctx,
    prefix: &str,
    all: &[T],
    name: impl Fn(T) -> &'static str,
) -> Vec<(String, String)> {
    all.iter()
        .map(|&v| (name(v).to_owned(), ctx.t(&format!("{prefix}.{}", name(v)))))
        .collect()
}

fn text_of(value: Option<&impl AsRef<str>>) -> Option<String> {
    value.map(|v| v.as_ref().to_owned())
}

fn profile(ctx: &Ctx, view: &WizardView) -> Html {
    let p = &view.profile;
    html! { <>
        <div class="row">
            { widgets::text(ctx, TextSpec::new(ProfileField::full_name).autocomplete("name"), text_of(p.full_name.as_ref().map(|l| l.as_str()).as_ref())) }
            { widgets::text(ctx, TextSpec::new(ProfileField::organization_name).autocomplete("organization"), text_of(p.organization_name.as_ref().map(|l| l.as_str()).as_ref())) }
        </div>
        <div class="row">
            { widgets::select(ctx, ProfileField::industry.into(), &labelled(ctx, "industry", Industry::ALL, Industry::as_str), p.industry.map(|i| i.as_str().to_owned())) }
            { widgets::time_zone(ctx, p.timezone.as_ref().map(|z| z.as_str().to_owned())) }
        </div>
        { widgets::select(ctx, ProfileField::locale.into(), &labelled(ctx, "locale", Locale::ALL, Locale::as_str), p.locale.map(|l| l.as_str().to_owned())) }
        { widgets::checkbox(ctx, ProfileField::marketing_opt_in, p.marketing_opt_in) }
        { widgets::checkbox(ctx, ProfileField::accept_terms, p.accept_terms) }
    </> }
}

fn vapi_status(ctx: &Ctx, view: &WizardView) -> Html {
    widgets::integration_status(
        ctx,
        "integration.vapi",
        view.vapi_key_preview.clone(),
        view.flags.onboarding_vapi_skipped,
    )
}

fn twilio_status(ctx: &Ctx, view: &WizardView) -> Html {
    let detail = view.twilio.as_ref().map(|t| match &t.phone_number {
        Some(n) => format!("{} · {n}", t.account_sid_preview),
        None => t.account_sid_preview.clone(),
    });
    widgets::integration_status(
        ctx,
        "integration.twilio",
        detail,
        view.flags.onboarding_twilio_skipped,
    )
}

/// The three ways of steps 2 and 4: inline, in Settings, or later.
fn three_ways(ctx: &Ctx, provider: Provider, inline: Html) -> Html {
    let prefix = match provider {
        Provider::Vapi => "vapi",
        Provider::Twilio => "twilio",
    };
    html! {
        <div class="ways">
            <section class="way" aria-labelledby={format!("{prefix}-quick")}>
                <h2 id={format!("{prefix}-quick")}>{ ctx.text("way.quick") }</h2>
                <p class="help">{ ctx.text(&format!("way.quick.{prefix}")) }</p>
                { inline }
            </section>
            <div class="way-side">
                <button id={format!("{prefix}-detailed")} type="button" class="way-link" onclick={ctx.callback_with(move || Action::OpenSettings(provider))}>
                    <strong>{ ctx.text("way.detailed") }</strong><span>{ ctx.text("way.detailed.help") }</span>
                </button>
                <button id={format!("{prefix}-skip")} type="button" class="way-link" onclick={ctx.callback(|| Action::SkipStep)}>
                    <strong>{ ctx.text("way.skip") }</strong><span>{ ctx.text("way.skip.help") }</span>
                </button>
            </div>
        </div>
    }
}

/// The Vapi key form, inline on step 2 and in Settings.
pub fn vapi_form(ctx: &Ctx) -> Html {
    let busy = ctx.ui.busy == Some(Busy::Vapi);
    let onclick = {
        let ctx = ctx.clone();
        Callback::from(move |_| {
            let key = ctx.ui.typed_at(FormField::VapiApiKey);
            ctx.act(Action::SaveVapi(key));
        })
    };
    html! { <>
        { widgets::text(ctx, TextSpec::new(FormField::VapiApiKey).help("help.vapi_api_key").kind("password"), None) }
        { widgets::alert(ctx, "vapi") }
        { widgets::busy_button("vapi-verify", "btn primary", ctx.text(if busy { "action.verifying" } else { "action.verify_save" }), busy, false, Some(onclick)) }
    </> }
}

fn vapi(ctx: &Ctx, view: &WizardView) -> Html {
    html! { <>
        { vapi_status(ctx, view) }
        { three_ways(ctx, Provider::Vapi, vapi_form(ctx)) }
    </> }
}

fn persona(ctx: &Ctx, view: &WizardView) -> Html {
    let s = &view.studio;
    let personas = Persona::ALL
        .iter()
        .map(|p| CardOption {
            value: p.as_str().to_owned(),
            title: ctx.t(&format!("persona.{}", p.as_str())),
            text: ctx.t(&format!("persona.{}.text", p.as_str())),
        })
        .collect();
    let languages = SPOKEN
        .iter()
        .map(|l| ((*l).to_owned(), ctx.t(&format!("language.{l}"))))
        .collect();
    html! { <>
        { widgets::cards(ctx, StudioField::persona, personas, s.persona.map(|p| p.as_str().to_owned())) }
        { widgets::textarea(ctx, TextSpec::new(StudioField::job_to_be_done).help("help.job_to_be_done"), text_of(s.job_to_be_done.as_ref().map(|t| t.as_str()).as_ref()), 2) }
        { widgets::chips(ctx, StudioField::languages, languages, s.languages.iter().map(|l| l.as_str().to_owned()).collect()) }
        { widgets::select(ctx, StudioField::tone.into(), &labelled(ctx, "tone", Tone::ALL, Tone::as_str), s.tone.map(|t| t.as_str().to_owned())) }
        { widgets::textarea(ctx, TextSpec::new(StudioField::guidelines).help("help.guidelines"), text_of(s.guidelines.as_ref().map(|t| t.as_str()).as_ref()), 3) }
    </> }
}

/// The Twilio form, inline on step 4 and in Settings.
pub fn twilio_form(ctx: &Ctx) -> Html {
    let busy = ctx.ui.busy == Some(Busy::Twilio);
    let onclick = {
        let ctx = ctx.clone();
        Callback::from(move |_| {
            let get = |f: FormField| ctx.ui.typed_at(f);
            ctx.act(Action::SaveTwilio(TwilioArgs {
                account_sid: get(FormField::AccountSid),
                auth_token: get(FormField::AuthToken).into(),
                phone_number: get(FormField::PhoneNumber),
            }));
        })
    };
    html! { <>
        { widgets::text(ctx, TextSpec::new(FormField::AccountSid).help("help.account_sid"), None) }
        { widgets::text(ctx, TextSpec::new(FormField::AuthToken).kind("password"), None) }
        { widgets::text(ctx, TextSpec::new(FormField::PhoneNumber).help("help.phone_number").kind("tel"), None) }
        { widgets::alert(ctx, "twilio") }
        { widgets::busy_button("twilio-verify", "btn primary", ctx.text(if busy { "action.verifying" } else { "action.verify_save" }), busy, false, Some(onclick)) }
    </> }
}

fn twilio(ctx: &Ctx, view: &WizardView) -> Html {
    html! { <>
        { twilio_status(ctx, view) }
        { three_ways(ctx, Provider::Twilio, twilio_form(ctx)) }
    </> }
}

fn telephony(ctx: &Ctx, view: &WizardView) -> Html {
    let s = &view.studio;
    html! { <>
        { widgets::text(ctx, TextSpec::new(StudioField::number).help("help.number").kind("tel"), s.number.as_ref().map(|n| n.as_str().to_owned())) }
        { crate::hours::editor(ctx, s.business_hours.as_ref().map(|t| t.as_str().to_owned())) }
        <crate::hours::OpenNowLine hours={Some(widgets::shown(ctx, StudioField::business_hours.into(), s.business_hours.as_ref().map(|t| t.as_str().to_owned())))}
            timezone={view.profile.timezone.as_ref().map(|z| z.as_str().to_owned())} locale={ctx.locale} />
        { widgets::text(ctx, TextSpec::new(StudioField::fallback_email).help("help.fallback_email").kind("email"), s.fallback_email.as_ref().map(|e| e.as_str().to_owned())) }
        { widgets::text(ctx, TextSpec::new(StudioField::fallback_phone).help("help.fallback_phone").kind("tel"), s.fallback_phone.as_ref().map(|n| n.as_str().to_owned())) }
        <p class="handoff" id="handoff" role="note">{ widgets::handoff_words(ctx, &view.handoff) }</p>
        // A trial Twilio account dials only the numbers verified with Twilio: a handoff to any
        // other phone would never ring.
        { if view.twilio.as_ref().is_some_and(|t| t.trial) { html! {
            <div class="alert warning" role="note" id="trial-handoff-note">{ ctx.text("telephony.trial") }</div>
        } } else { html!() } }
    </> }
}

fn integrations(ctx: &Ctx, view: &WizardView) -> Html {
    let s = &view.studio;
    let calendars = Calendar::ALL
        .iter()
        .map(|c| CardOption {
            value: c.as_str().to_owned(),
            title: ctx.t(&format!("calendar.{}", c.as_str())),
            text: String::new(),
        })
        .collect();
    let crms = Crm::ALL
        .iter()
        .map(|c| CardOption {
            value: c.as_str().to_owned(),
            title: ctx.t(&format!("crm.{}", c.as_str())),
            text: String::new(),
        })
        .collect();
    let apps = WORKSPACE_APPS
        .iter()
        .map(|a| ((*a).to_owned(), ctx.t(&format!("app.{a}"))))
        .collect();
    html! { <>
        { widgets::cards(ctx, StudioField::calendar, calendars, s.calendar.map(|c| c.as_str().to_owned())) }
        { widgets::chips(ctx, StudioField::workspace_apps, apps, s.workspace_apps.iter().map(|a| a.as_str().to_owned()).collect()) }
        { widgets::cards(ctx, StudioField::crm, crms, s.crm.map(|c| c.as_str().to_owned())) }
    </> }
}

fn assistant(ctx: &Ctx, view: &WizardView) -> Html {
    let Some(form) = ctx.ui.assistant_form.clone() else {
        return html! { <p class="help">{ ctx.text("loading") }</p> };
    };
    let set = |field: AssistantFormField| {
        let ctx = ctx.clone();
        let form = form.clone();
        move |value: String| ctx.ui.dispatch(Msg::Form(form.clone().with(field, value)))
    };
    let on_input = |field: AssistantFormField| {
        let set = set(field);
        Callback::from(move |e: InputEvent| {
            set(e.target_unchecked_into::<HtmlInputElement>().value())
        })
    };
    let on_area = |field: AssistantFormField| {
        let set = set(field);
        Callback::from(move |e: InputEvent| {
            set(e.target_unchecked_into::<HtmlTextAreaElement>().value())
        })
    };
    let on_voice = {
        let set = set(AssistantFormField::VoiceId);
        Callback::from(move |e: Event| set(e.target_unchecked_into::<HtmlSelectElement>().value()))
    };
    let error = |field: AssistantFormField| {
        ctx.ui
            .error_at(field)
            .map(|e| html! { <span class="error" role="alert">{ crate::i18n::error_message(ctx.locale, &e) }</span> })
            .unwrap_or_default()
    };
    let vapi_ready = view.vapi_key_preview.is_some();
    let busy = ctx.ui.busy == Some(Busy::Assistant);
    let created = view.flags.onboarding_assistant_created;
    let create = {
        let ctx = ctx.clone();
        let form = form.clone();
        Callback::from(move |_| ctx.act(Action::CreateAssistant(form.clone())))
    };
    html! { <>
        <div class="row">
            { vapi_status(ctx, view) }
            { twilio_status(ctx, view) }
        </div>
        <div class="row">
            <div class="field">
                <label for={AssistantFormField::Name.as_str()}>{ ctx.text("field.assistant_name") }</label>
                <input id={AssistantFormField::Name.as_str()} dir="auto" value={form.name.clone()} oninput={on_input(AssistantFormField::Name)} />
                { error(AssistantFormField::Name) }
            </div>
            <div class="field">
                <label for={AssistantFormField::VoiceId.as_str()}>{ ctx.text("field.voice") }</label>
                <span class="select"><select id={AssistantFormField::VoiceId.as_str()} onchange={on_voice}>
                    { for ctx.ui.voices.iter().map(|v| html! { <option value={v.clone()} selected={*v == form.voice_id}>{ v.trim_end_matches("Neural") }</option> }) }
                </select></span>
            </div>
        </div>
        <div class="field">
            <label for={AssistantFormField::FirstMessage.as_str()}>{ ctx.text("field.first_message") }</label>
            <textarea id={AssistantFormField::FirstMessage.as_str()} dir="auto" rows="2" value={form.first_message.clone()} oninput={on_area(AssistantFormField::FirstMessage)} />
            { error(AssistantFormField::FirstMessage) }
        </div>
        <div class="field">
            <label for={AssistantFormField::Instructions.as_str()}>{ ctx.text("field.instructions") }</label>
            <textarea id={AssistantFormField::Instructions.as_str()} dir="auto" rows="6" value={form.instructions.clone()} oninput={on_area(AssistantFormField::Instructions)} />
            <span class="help">{ ctx.text("help.instructions") }</span>
            { error(AssistantFormField::Instructions) }
        </div>
        { if ctx.ui.instructions_outdated { html! {
            <div id="instructions-outdated" class="alert warning" role="note">{ ctx.text("assistant.instructions_outdated") }</div>
        } } else { html!() } }
        { call_settings(ctx, view) }
        { widgets::alert(ctx, "assistant") }
        { if vapi_ready { html!() } else { html! { <div class="alert warning" role="note">{ ctx.text("assistant.needs_vapi") }</div> } } }
        <div class="actions">
            { widgets::busy_button("create-assistant", "btn primary", ctx.text(if busy { "action.creating" } else if created { "action.update_assistant" } else { "action.create" }), busy, !vapi_ready, Some(create)) }
        </div>
        { if created { widgets::assistant_sync(ctx) } else { html!() } }
        { progress_list(ctx, view, busy) }
        { if created { crate::studio::chat(ctx) } else { html!() } }
    </> }
}

/// Step 7's call settings: saved as they are chosen (like any answer) and sent to the live
/// assistant; each shows its safe default until the owner picks another.
fn call_settings(ctx: &Ctx, view: &WizardView) -> Html {
    let s = &view.studio;
    let length = s.call_length.unwrap_or(CallLength::Minutes30);
    let sound = s.background_sound.unwrap_or(BackgroundSound::Off);
    let recording = s.call_recording.unwrap_or(CallRecording::Off);
    html! {
        <fieldset class="call-settings" id="call-settings">
            <legend>{ ctx.text("call_settings.title") }</legend>
            <div class="row">
                { widgets::select(ctx, StudioField::call_length.into(), &labelled(ctx, "call_length", CallLength::ALL, CallLength::as_str), Some(length.as_str().to_owned())) }
                { widgets::select(ctx, StudioField::background_sound.into(), &labelled(ctx, "background_sound", BackgroundSound::ALL, BackgroundSound::as_str), Some(sound.as_str().to_owned())) }
            </div>
            { widgets::select(ctx, StudioField::call_recording.into(), &labelled(ctx, "call_recording", CallRecording::ALL, CallRecording::as_str), Some(recording.as_str().to_owned())) }
            <p class="help" id="calls-always">{ ctx.text("call_settings.always") }</p>
        </fieldset>
    }
}

/// The three stages of creation, each done, running, waiting or not needed.
fn progress_list(ctx: &Ctx, view: &WizardView, busy: bool) -> Html {
    let run = ctx.ui.progress.clone().or_else(|| view.assistant.clone());
    if run.is_none() && !busy {
        return html!();
    }
    let has_number = view
        .twilio
        .as_ref()
        .is_some_and(|t| t.phone_number.is_some());
    let created = view.flags.onboarding_assistant_created;
    let assistant_done = run.as_ref().is_some_and(|r| r.assistant_id.is_some());
    let number_done = run.as_ref().is_some_and(|r| r.phone_number_id.is_some());
    let recorded = created && !busy && view.status.pending == 0 && view.account_email.is_some();
    let item = |key: &str, state: &'static str| {
        html! {
            <li class={widgets::class_of(&["progress-item", state])} data-state={state}>
                <span class="mark" aria-hidden="true">{ match state { "done" => "✓", "running" => "…", "skipped" => "–", _ => "○" } }</span>
                <span>{ ctx.text(key) }</span>
                <span class="state">{ ctx.text(&format!("progress.{state}")) }</span>
            </li>
        }
    };
    let number_state = match (has_number, number_done) {
        (_, true) => "done",
        (false, _) => "skipped",
        (true, false) if busy && assistant_done => "running",
        _ => "waiting",
    };
    html! {
        <ol class="progress" id="assistant-progress" aria-live="polite">
            { item("progress.assistant", if assistant_done { "done" } else if busy { "running" } else { "waiting" }) }
            { item("progress.number", number_state) }
            { item("progress.recorded", if recorded { "done" } else if created { "waiting" } else if busy { "running" } else { "waiting" }) }
        </ol>
    }
}

fn plan(ctx: &Ctx, view: &WizardView) -> Html {
    let s = &view.studio;
    let plans = Plan::ALL
        .iter()
        .map(|p| CardOption {
            value: p.as_str().to_owned(),
            title: ctx.t(&format!("plan.{}", p.as_str())),
            text: ctx.t(&format!("plan.{}.text", p.as_str())),
        })
        .collect();
    html! { <>
        { widgets::cards(ctx, StudioField::plan, plans, Some(s.plan.as_str().to_owned())) }
        <div class="narrow">
            { seats(ctx, s.seats.get()) }
        </div>
    </> }
}

fn seats(ctx: &Ctx, saved: u16) -> Html {
    let oninput = {
        let ctx = ctx.clone();
        Callback::from(move |e: InputEvent| {
            let raw = e.target_unchecked_into::<HtmlInputElement>().value();
            ctx.ui
                .dispatch(Msg::Typed(StudioField::seats.into(), raw.clone()));
            // Sent as typed: the rules read the number it holds.
            widgets::send(
                &ctx,
                StudioField::seats.into(),
                serde_json::Value::from(raw),
            );
        })
    };
    let error = ctx
        .ui
        .error_at(StudioField::seats)
        .map(|e| crate::i18n::error_message(ctx.locale, &e));
    html! {
        <div class={widgets::class_of(&["field", if error.is_some() { "invalid" } else { "" }])}>
            <label for="seats">{ ctx.text(StudioField::seats.label_key()) }</label>
            <input id="seats" dir="auto" type="number" min="1" value={widgets::shown(ctx, StudioField::seats.into(), Some(saved.to_string()))} {oninput} aria-invalid={error.is_some().to_string()} />
            { match error { Some(e) => html! { <span class="error" role="alert">{ e }</span> }, None => html! { <span class="help">{ ctx.text("help.seats") }</span> } } }
        </div>
    }
}

fn done(ctx: &Ctx, view: &WizardView) -> Html {
    let line = |step: Step, detail: String| {
        let mark = step_mark(&view.marks, step);
        html! {
            <li class={widgets::class_of(&["summary-item", mark])} data-step={step.key()}>
                <span class="mark" aria-hidden="true">{ match mark { "done" => "✓", "skipped" => "–", "warning" => "!", _ => "○" } }</span>
                <span class="summary-name">{ ctx.text(&format!("step.{}", step.key())) }</span>
                <span class="summary-detail">{ detail }</span>
                <button type="button" class="link" id={format!("change-{}", step.key())} onclick={ctx.callback_with(move || Action::GoTo(step))}>
                    { ctx.text(if mark == "skipped" { "summary.set_up" } else { "summary.change" }) }
                </button>
            </li>
        }
    };
    let state = |step: Step| match step_mark(&view.marks, step) {
        "visited" | "todo" => ctx.t("summary.empty"),
        mark => ctx.t(&format!("mark.{mark}")),
    };
    html! { <>
        <div class="row">
            { vapi_status(ctx, view) }
            { twilio_status(ctx, view) }
        </div>
        <ul class="summary" id="summary">
            { line(Step::Profile, view.profile.organization_name.as_ref().map_or_else(|| state(Step::Profile), |o| o.as_str().to_owned())) }
            { line(Step::Vapi, view.vapi_key_preview.clone().unwrap_or_else(|| state(Step::Vapi))) }
            { line(Step::Persona, view.studio.persona.map_or_else(|| state(Step::Persona), |p| ctx.t(&format!("persona.{}", p.as_str())))) }
            { line(Step::Twilio, view.twilio.as_ref().and_then(|t| t.phone_number.clone()).unwrap_or_else(|| state(Step::Twilio))) }
            { line(Step::Telephony, view.studio.number.as_ref().map_or_else(|| state(Step::Telephony), |n| n.as_str().to_owned())) }
            { line(Step::Integrations, integrations_summary(ctx, view).unwrap_or_else(|| state(Step::Integrations))) }
            { line(Step::Assistant, view.assistant.as_ref().filter(|_| view.flags.onboarding_assistant_created).map_or_else(|| state(Step::Assistant), |a| a.name.clone())) }
            { line(Step::Plan, format!("{} · {}", ctx.t(&format!("plan.{}", view.studio.plan.as_str())), ctx.count("summary.seats", u64::from(view.studio.seats.get())))) }
        </ul>
        { widgets::alert(ctx, "launch") }
    </> }
}

/// "Google Calendar · Slack · HubSpot": what step 6 chose, or `None` when nothing was.
fn integrations_summary(ctx: &Ctx, view: &WizardView) -> Option<String> {
    let s = &view.studio;
    let parts: Vec<String> = s
        .calendar
        .map(|c| ctx.t(&format!("calendar.{}", c.as_str())))
        .into_iter()
        .chain(
            s.workspace_apps
                .iter()
                .map(|a| ctx.t(&format!("app.{}", a.as_str()))),
        )
        .chain(s.crm.map(|c| ctx.t(&format!("crm.{}", c.as_str()))))
        .collect();
    (!parts.is_empty()).then(|| parts.join(" · "))
}
