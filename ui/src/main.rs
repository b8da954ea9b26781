//! The Yew wizard. Rules live in ava-model and ava-core; this file draws and forwards.

mod i18n;
mod ipc;

use ava_ipc::{GoToArgs, PatchArgs, StatusView, UiError, WizardView, command};
use ava_model::{Industry, Locale, Step, Timezone};
use i18n::t;
use serde_json::{Value, json};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

#[derive(Clone, PartialEq)]
struct Model {
    view: Option<WizardView>,
    errors: Vec<UiError>,
}

fn locale_of(view: &Option<WizardView>) -> Locale {
    view.as_ref()
        .and_then(|v| v.profile.locale)
        .unwrap_or(Locale::En)
}

#[component]
fn App() -> Html {
    let model = use_state(|| Model {
        view: None,
        errors: Vec::new(),
    });
    let status = use_state(|| None::<StatusView>);
    {
        let model = model.clone();
        let status = status.clone();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                match ipc::call::<_, WizardView>(command::LOAD, &json!({})).await {
                    Ok(view) => {
                        status.set(Some(view.status.clone()));
                        model.set(Model {
                            view: Some(view),
                            errors: Vec::new(),
                        });
                    }
                    Err(error) => model.set(Model {
                        view: None,
                        errors: vec![error],
                    }),
                }
                let status = status.clone();
                ipc::subscribe(ava_ipc::SYNC_STATUS_EVENT, move |s: StatusView| {
                    status.set(Some(s))
                })
                .await;
            });
        });
    }
    let locale = locale_of(&model.view);
    let send = {
        let model = model.clone();
        Callback::from(move |(cmd, patch): (&'static str, Value)| {
            let model = model.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let result = ipc::call::<_, WizardView>(cmd, &PatchArgs { patch }).await;
                let mut next = (*model).clone();
                match result {
                    Ok(view) => {
                        next.view = Some(view);
                        next.errors.clear();
                    }
                    Err(error) => {
                        next.errors.retain(|e| e.field != error.field);
                        next.errors.push(error);
                    }
                }
                model.set(next);
            });
        })
    };
    let go = {
        let model = model.clone();
        Callback::from(move |step: Step| {
            let model = model.clone();
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(view) =
                    ipc::call::<_, WizardView>(command::GO_TO, &json!({"args": GoToArgs { step }}))
                        .await
                {
                    model.set(Model {
                        view: Some(view),
                        errors: model.errors.clone(),
                    });
                }
            });
        })
    };
    let Some(view) = model.view.clone() else {
        return html! { <div class="app"><p>{ model.errors.first().map(|e| e.message.clone()).unwrap_or_default() }</p></div> };
    };
    let dir = if locale.is_rtl() { "rtl" } else { "ltr" };
    let state = (*status)
        .clone()
        .map(|s| s.state)
        .unwrap_or_else(|| "saved_locally".into());
    html! {
        <div class="app" dir={dir} lang={locale.as_str()}>
            <nav class="rail" aria-label={t(locale, "app.name")}>
                <div class="brand">{ t(locale, "app.name") }</div>
                { for Step::ALL.iter().map(|step| {
                    let go = go.clone();
                    let step = *step;
                    let class = classes!("step", (step == view.step).then_some("current"));
                    html! {
                        <button class={class} aria-current={(step == view.step).then_some("step")} onclick={move |_| go.emit(step)}>
                            <span class="num">{ step.index() + 1 }</span>
                            { t(locale, &format!("step.{}", step.key())) }
                        </button>
                    }
                }) }
            </nav>
            <div class="main">
                <div class="top">
                    <span class={classes!("pill", state.clone())} role="status">{ t(locale, &format!("status.{state}")) }</span>
                </div>
                <section class="card">
                    { if view.step == Step::Profile { profile_step(&view, &model.errors, locale, &send) } else {
                        html! { <>
                            <h1>{ t(locale, &format!("step.{}", view.step.key())) }</h1>
                            <p class="purpose">{ t(locale, "later") }</p>
                        </> }
                    } }
                </section>
                <div class="footer">
                    <button class="btn" onclick={ let go = go.clone(); let s = view.step; move |_| go.emit(s.previous()) }>{ t(locale, "nav.back") }</button>
                    <button class="btn primary" onclick={ let go = go.clone(); let s = view.step; move |_| go.emit(s.next()) }>{ t(locale, "nav.continue") }</button>
                </div>
            </div>
        </div>
    }
}

fn field_error(errors: &[UiError], field: &str, locale: Locale) -> Option<String> {
    errors
        .iter()
        .find(|e| e.field.as_deref() == Some(field))
        .map(|e| i18n::error_message(locale, e))
}

fn text_field(
    field: &'static str,
    value: String,
    errors: &[UiError],
    locale: Locale,
    send: &Callback<(&'static str, Value)>,
) -> Html {
    let send = send.clone();
    let error = field_error(errors, field, locale);
    let oninput = Callback::from(move |e: InputEvent| {
        let input: HtmlInputElement = e.target_unchecked_into();
        send.emit((command::UPDATE_PROFILE, json!({ field: input.value() })));
    });
    html! {
        <div class={classes!("field", error.is_some().then_some("invalid"))}>
            <label for={field}>{ t(locale, &format!("field.{field}")) }</label>
            <input id={field} value={value} {oninput} aria-invalid={error.is_some().to_string()} />
            { for error.map(|e| html! { <span class="error" role="alert">{ e }</span> }) }
        </div>
    }
}

fn select_field(
    field: &'static str,
    value: Option<String>,
    options: Vec<String>,
    errors: &[UiError],
    locale: Locale,
    send: &Callback<(&'static str, Value)>,
) -> Html {
    let send = send.clone();
    let onchange = Callback::from(move |e: Event| {
        let select: HtmlSelectElement = e.target_unchecked_into();
        send.emit((command::UPDATE_PROFILE, json!({ field: select.value() })));
    });
    let error = field_error(errors, field, locale);
    html! {
        <div class={classes!("field", error.is_some().then_some("invalid"))}>
            <label for={field}>{ t(locale, &format!("field.{field}")) }</label>
            <select id={field} {onchange}>
                <option value="" selected={value.is_none()}>{ t(locale, "choose") }</option>
                { for options.into_iter().map(|o| html! { <option value={o.clone()} selected={value.as_deref() == Some(o.as_str())}>{ o.clone() }</option> }) }
            </select>
            { for error.map(|e| html! { <span class="error" role="alert">{ e }</span> }) }
        </div>
    }
}

fn check_field(
    field: &'static str,
    value: bool,
    locale: Locale,
    send: &Callback<(&'static str, Value)>,
) -> Html {
    let send = send.clone();
    let onchange = Callback::from(move |e: Event| {
        let input: HtmlInputElement = e.target_unchecked_into();
        send.emit((command::UPDATE_PROFILE, json!({ field: input.checked() })));
    });
    html! {
        <label class="check"><input type="checkbox" checked={value} {onchange} />{ t(locale, &format!("field.{field}")) }</label>
    }
}

fn profile_step(
    view: &WizardView,
    errors: &[UiError],
    locale: Locale,
    send: &Callback<(&'static str, Value)>,
) -> Html {
    let p = &view.profile;
    let label = |v: &Option<ava_model::Label>| {
        v.as_ref()
            .map(|l| l.as_str().to_owned())
            .unwrap_or_default()
    };
    html! { <>
        <h1>{ t(locale, "step.profile") }</h1>
        <p class="purpose">{ t(locale, "profile.purpose") }</p>
        { text_field("full_name", label(&p.full_name), errors, locale, send) }
        { text_field("organization_name", label(&p.organization_name), errors, locale, send) }
        { select_field("industry", p.industry.map(|i| i.as_str().to_owned()), Industry::NAMES.iter().map(|s| s.to_string()).collect(), errors, locale, send) }
        { select_field("timezone", p.timezone.as_ref().map(|z| z.as_str().to_owned()), Timezone::all_names().map(str::to_owned).collect(), errors, locale, send) }
        { select_field("locale", p.locale.map(|l| l.as_str().to_owned()), Locale::NAMES.iter().map(|s| s.to_string()).collect(), errors, locale, send) }
        { check_field("marketing_opt_in", p.marketing_opt_in, locale, send) }
        { check_field("accept_terms", p.accept_terms, locale, send) }
    </> }
}

fn main() {
    yew::Renderer::<App>::new().render();
}
