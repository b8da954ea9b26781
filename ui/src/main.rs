//! The Yew wizard. Rules live in ava-model and ava-core; this crate draws, keeps what the user
//! is typing, and forwards every change to the shell through `ava-ipc` commands.

mod ctx;
mod events;
mod hours;
mod i18n;
mod ipc;
mod screens;
mod state;
mod steps;
mod studio;
mod widgets;

use ava_ipc::{WizardView, cmd};
use ava_model::{Locale, Step};
use ctx::Ctx;
use i18n::t;
use state::{Action, Msg, Screen, Ui};
use yew::prelude::*;

/// The draft as the shell first read it (or why it could not), asked for before the window is
/// mounted so the first screen is drawn with it straight away.
#[derive(Properties, PartialEq)]
struct AppProps {
    first: std::rc::Rc<Result<std::rc::Rc<WizardView>, ava_ipc::UiError>>,
}

#[component]
fn App(props: &AppProps) -> Html {
    let ui = use_reducer(|| {
        let os_locale = web_sys::window()
            .and_then(|w| w.navigator().language())
            .map_or(Locale::En, |l| Locale::from_os_locale(&l));
        let first = match &*props.first {
            Ok(view) => Msg::Loaded(view.clone()),
            Err(error) => Msg::Fatal(error.clone()),
        };
        std::rc::Rc::unwrap_or_clone(std::rc::Rc::new(Ui::new(os_locale)).reduce(first))
    });
    {
        let ui = ui.clone();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                events::listen(ui.clone()).await;
                // The first view was read before the window was mounted and listening: what
                // the shell said in between (a status, a pull) is in a second read.
                if let Ok(view) = ipc::call::<cmd::Load>(&()).await {
                    ui.dispatch(Msg::View(Box::new(view)));
                }
                // Downloaded before the window listened.
                if let Ok(Some(ready)) = ipc::call::<cmd::PendingUpdate>(&()).await {
                    ui.dispatch(Msg::UpdateReady(ready));
                }
            });
        });
    }
    use_document_language(ui.locale());
    // "Ready" (the start-up benchmark's mark) once the first screen with the draft is painted:
    // a frame after the one that drew it (yew may let the browser lay out and paint part-way
    // through a long first render, so "rendered" alone would measure sometimes one, sometimes
    // the other; the empty app it is measured against waits the same way).
    use_effect_with(ui.view.is_some(), |drawn| {
        if *drawn {
            wasm_bindgen_futures::spawn_local(async {
                ipc::next_frame().await;
                ipc::next_frame().await;
                let _ = ipc::call::<cmd::Ready>(&()).await;
            });
        }
    });
    use_dialog_focus(matches!(ui.screen, Screen::Settings(_)));
    let latest = use_mut_ref(|| ui.clone());
    *latest.borrow_mut() = ui.clone();
    let act = use_callback((), move |action: Action, _| {
        state::run(latest.borrow().clone(), action)
    });
    let Some(view) = ui.view.clone() else {
        let message = ui
            .fatal
            .as_ref()
            .map(|e| e.message.clone())
            .unwrap_or_default();
        return html! { <div class="loading" role="status">{ message }</div> };
    };
    let locale = ui.locale();
    let ctx = Ctx {
        ui: ui.clone(),
        revision: ui.revision,
        view: view.clone(),
        locale,
        actions: act,
    };
    let dir = if locale.is_rtl() { "rtl" } else { "ltr" };
    let onkeydown = {
        let ctx = ctx.clone();
        Callback::from(move |e: KeyboardEvent| on_key(&ctx, e))
    };
    let body = match ui.screen {
        Screen::Account => screens::account(&ctx),
        _ if !view.entered => screens::account(&ctx),
        Screen::Home => screens::home(&ctx),
        _ => wizard(&ctx, &view),
    };
    // Settings is modal: what is behind it can be neither reached nor read.
    let behind_dialog = matches!(ui.screen, Screen::Settings(_));
    html! {
        <div class="app" dir={dir} lang={locale.as_str()} {onkeydown}>
            <div class="screen" inert={behind_dialog}>{ body }</div>
            { if let Screen::Settings(section) = ui.screen { screens::settings(&ctx, section) } else { html!() } }
            { screens::keychain_waiting(&ctx) }
            { screens::update_ready(&ctx) }
            { screens::toasts(&ctx) }
        </div>
    }
}

/// The document's own `lang` and `dir` are the app's language, not only the root element's:
/// screen readers pick their voice from it, and the window's title bar and scrollbars follow.
#[hook]
fn use_document_language(locale: Locale) {
    use_effect_with(locale, |locale| {
        if let Some(root) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
        {
            let _ = root.set_attribute("lang", locale.as_str());
            let _ = root.set_attribute("dir", if locale.is_rtl() { "rtl" } else { "ltr" });
        }
    });
}

/// Opening the Settings dialog moves focus into it; closing it gives focus back to what opened
/// it (or to the Settings button), so a keyboard user is never left on the page behind.
#[hook]
fn use_dialog_focus(open: bool) {
    let opener = use_mut_ref(|| None::<web_sys::HtmlElement>);
    use_effect_with(open, move |open| {
        let document = web_sys::window().and_then(|w| w.document());
        let by_id = |id: &str| {
            document
                .as_ref()
                .and_then(|d| d.get_element_by_id(id))
                .and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok())
        };
        if *open {
            *opener.borrow_mut() = document
                .as_ref()
                .and_then(|d| d.active_element())
                .and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok());
            if let Some(close) = by_id("close-settings") {
                let _ = close.focus();
            }
        } else if let Some(back) = opener.borrow_mut().take() {
            let target = if back.is_connected() {
                Some(back)
            } else {
                by_id("open-settings")
            };
            if let Some(target) = target {
                let _ = target.focus();
            }
        }
    });
}

/// Enter continues (outside multi-line fields and buttons); Esc closes the dialog and toasts.
fn on_key(ctx: &Ctx, e: KeyboardEvent) {
    // A control that used the key itself (the time zone list picking a match) says so.
    if e.default_prevented() {
        return;
    }
    let target_tag = e
        .target_dyn_into::<web_sys::Element>()
        .map(|el| el.tag_name().to_ascii_lowercase())
        .unwrap_or_default();
    match e.key().as_str() {
        "Escape" => {
            // A question inside Settings closes first, then Settings itself.
            if ctx.ui.confirming_keys_local {
                ctx.ui.dispatch(Msg::ConfirmKeysLocal(false));
            } else if ctx.ui.signing_out != state::SignOutStage::Idle {
                ctx.ui
                    .dispatch(Msg::SignOutStage(state::SignOutStage::Idle));
            } else if matches!(ctx.ui.screen, Screen::Settings(_)) {
                ctx.ui.dispatch(Msg::Screen(Screen::Wizard));
            }
            ctx.ui.dispatch(Msg::DismissAll);
        }
        "Enter"
            if ctx.ui.screen == Screen::Wizard
                && ctx.view().entered
                && !matches!(target_tag.as_str(), "textarea" | "button" | "a")
                && !e.shift_key() =>
        {
            e.prevent_default();
            ctx.act(Action::Continue);
        }
        _ => {}
    }
}

fn wizard(ctx: &Ctx, view: &WizardView) -> Html {
    let act = &ctx.actions;
    let current = view.step;
    let busy = ctx.ui.busy == Some(state::Busy::Launch);
    html! { <>
        <Rail marks={view.marks.clone()} {current} locale={ctx.locale} act={act.clone()} />
        <div class="main">
            <screens::TopBar account_email={view.account_email.clone()} status={ctx.ui.status.clone()}
                locale={ctx.locale} act={act.clone()} />
            <main class="content">
                // Under the Settings dialog the step is not drawn: both hold the same
                // credential fields, and ids must stay unique.
                { if matches!(ctx.ui.screen, Screen::Settings(_)) { html!() } else { html! {
                    <section class="card" aria-labelledby="step-title">{ steps::step(ctx, current) }</section>
                } } }
            </main>
            <Footer step={current} launching={busy} locale={ctx.locale} act={act.clone()} />
        </div>
    </> }
}

/// The rail and the footer (like the top bar) are components with props of their own, so a
/// keystroke (which changes none of them) does not redraw them.
#[derive(Properties, PartialEq)]
struct RailProps {
    marks: Vec<ava_ipc::StepMark>,
    current: Step,
    locale: Locale,
    act: Callback<Action>,
}

#[component]
fn Rail(props: &RailProps) -> Html {
    let t = |key: &str| t(props.locale, key);
    let text = |key: &str| crate::i18n::text(props.locale, key);
    let current = props.current;
    html! {
        <nav class="rail" aria-label={t("rail.label")}>
            <div class="brand">{ text("app.name") }<span class="brand-sub">{ text("app.tagline") }</span></div>
            <ol class="steps">
            { for Step::ALL.iter().map(|&step| {
                let mark = state::step_mark(&props.marks, step);
                let class = widgets::class_of(&["step", if step == current { "current" } else { "" }, mark]);
                let name = t(&format!("step.{}", step.key()));
                let onclick = props.act.reform(move |_| Action::GoTo(step));
                // The accessible name is the visible name first ("Profile, to do"), so voice
                // control's "click Profile" finds it; the number is the list's own.
                html! {
                    <li>
                        <button id={format!("rail-{}", step.key())} class={class} aria-current={(step == current).then_some("step")}
                            {onclick}>
                            <span class="num" aria-hidden="true">{ if mark == "done" { "✓".to_owned() } else { (step.index() + 1).to_string() } }</span>
                            <span class="step-name">{ name }</span>
                            <span class="visually-hidden">{ format!(", {}", t(&format!("mark.{mark}"))) }</span>
                        </button>
                    </li>
                }
            }) }
            </ol>
        </nav>
    }
}

#[derive(Properties, PartialEq)]
struct FooterProps {
    step: Step,
    /// Launch is on its way (the button shows it and waits).
    launching: bool,
    locale: Locale,
    act: Callback<Action>,
}

#[component]
fn Footer(props: &FooterProps) -> Html {
    let text = |key: &str| crate::i18n::text(props.locale, key);
    let act = |action: fn() -> Action| props.act.reform(move |_: MouseEvent| action());
    if props.step == Step::Done {
        return html! {
            <div class="footer">
                <button id="back" class="btn" onclick={act(|| Action::Back)}>{ text("nav.back") }</button>
                { widgets::busy_button("launch", "btn primary", text("action.launch"), props.launching, false, Some(act(|| Action::Launch))) }
            </div>
        };
    }
    html! {
        <div class="footer">
            <button id="back" class="btn" disabled={props.step == Step::Profile} onclick={act(|| Action::Back)}>{ text("nav.back") }</button>
            <div class="footer-end">
                <button id="skip" class="btn ghost" onclick={act(|| Action::SkipStep)}>{ text("nav.skip") }</button>
                <button id="continue" class="btn primary" onclick={act(|| Action::Continue)}>{ text("nav.continue") }</button>
            </div>
        </div>
    }
}

// Smaller than std's dlmalloc in the wasm, and as fast or faster (its authors' benchmarks); the
// window runs one thread, so no atomics.
#[cfg(all(not(target_feature = "atomics"), target_family = "wasm"))]
#[global_allocator]
static TALC: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

fn main() {
    wasm_bindgen_futures::spawn_local(async {
        // The words were already on their way (`words.js`), so the two wait side by side.
        let first = std::rc::Rc::new(ipc::call::<cmd::Load>(&()).await.map(std::rc::Rc::new));
        if let Err(missing) = i18n::load().await {
            // A damaged install: said where a developer looks; the screens fall back to English.
            web_sys::console::error_1(&missing.into());
        }
        yew::Renderer::<App>::with_props(AppProps { first }).render();
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use ava_ipc::GoToArgs;
    use serde_json::json;

    #[test]
    fn go_to_args_serialise_as_the_shell_reads_them() {
        let args = json!({"args": GoToArgs { step: Step::Plan, how: ava_model::Move::Continue }});
        assert_eq!(args, json!({"args": {"step": "plan", "how": "continue"}}));
    }
}
