//! The form controls every step is built from: a label above, helper text below, the error in
//! place of the helper text, and each edit sent to the shell as a one-field patch.

use ava_ipc::{AssistantSync, FieldEdit, FieldName};
use ava_model::{ProfileField, StudioField};
use serde_json::Value;
use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

use crate::ctx::Ctx;
use crate::i18n::error_message;
use crate::state::{Action, Msg};

/// Saves an edit of a draft field, or says at once at the field why its value is refused (a
/// form's field waits for its button).
pub fn send(ctx: &Ctx, field: FieldName, value: Value) {
    match FieldEdit::of(field, &value) {
        Some(Ok(edit)) => ctx.act(Action::Edit(edit)),
        Some(Err(refused)) => ctx.ui.dispatch(Msg::FieldError(refused)),
        None => {}
    }
}

fn is_draft_field(field: FieldName) -> bool {
    matches!(field, FieldName::Profile(_) | FieldName::Studio(_))
}

/// The id of the message drawn under `field` (its error, else its help), when there is one:
/// `aria-describedby` must never point at an element that does not exist.
fn message_id(ctx: &Ctx, field: FieldName, help_key: Option<&str>) -> Option<String> {
    (ctx.ui.error_at(field).is_some() || help_key.is_some()).then(|| format!("{field}-msg"))
}

/// Label, control, then either the error or the helper text, tied together for screen readers.
fn frame(ctx: &Ctx, field: FieldName, help_key: Option<&str>, control: Html) -> Html {
    let error = ctx
        .ui
        .error_at(field)
        .map(|e| error_message(ctx.locale, &e));
    let help = help_key.map(|k| ctx.t(k));
    html! {
        <div class={class_of(&["field", if error.is_some() { "invalid" } else { "" }])}>
            <label for={field.as_str()}>{ ctx.text(field.label_key()) }</label>
            { control }
            { match (error, help) {
                (Some(e), _) => html! { <span id={format!("{field}-msg")} class="error" role="alert">{ e }</span> },
                (None, Some(h)) => html! { <span id={format!("{field}-msg")} class="help">{ h }</span> },
                (None, None) => html!(),
            } }
        </div>
    }
}

/// What to draw in a text control: what the user typed this session, else the saved value.
pub fn shown(ctx: &Ctx, field: FieldName, saved: Option<String>) -> String {
    ctx.ui
        .typed
        .get(&field)
        .cloned()
        .or(saved)
        .unwrap_or_default()
}

pub struct TextSpec<'a> {
    pub field: FieldName,
    pub help: Option<&'a str>,
    pub kind: &'static str,
    pub autocomplete: &'static str,
}

impl<'a> TextSpec<'a> {
    pub fn new(field: impl Into<FieldName>) -> Self {
        Self {
            field: field.into(),
            help: None,
            kind: "text",
            autocomplete: "off",
        }
    }

    pub fn help(mut self, key: &'a str) -> Self {
        self.help = Some(key);
        self
    }

    pub fn kind(mut self, kind: &'static str) -> Self {
        self.kind = kind;
        self
    }

    pub fn autocomplete(mut self, value: &'static str) -> Self {
        self.autocomplete = value;
        self
    }
}

/// Leaving a field of the draft writes the draft at once (wizard.md: on blur), rather than
/// within the autosave's half second.
fn flush_on_blur(ctx: &Ctx, field: FieldName) -> Callback<FocusEvent> {
    let ctx = ctx.clone();
    Callback::from(move |_: FocusEvent| {
        if is_draft_field(field) {
            ctx.act(Action::Flush);
        }
    })
}

pub fn text(ctx: &Ctx, spec: TextSpec, saved: Option<String>) -> Html {
    let field = spec.field;
    let oninput = {
        let ctx = ctx.clone();
        Callback::from(move |e: InputEvent| {
            let value = e.target_unchecked_into::<HtmlInputElement>().value();
            ctx.ui.dispatch(Msg::Typed(field, value.clone()));
            send(&ctx, field, Value::from(value));
        })
    };
    let onblur = flush_on_blur(ctx, field);
    let invalid = ctx.ui.error_at(field).is_some();
    let control = html! {
        // dir="auto": a field follows its own text, so English typed in the Hebrew UI (or a
        // phone number) keeps its punctuation where it belongs.
        <input id={field.as_str()} name={field.as_str()} type={spec.kind} autocomplete={spec.autocomplete} dir="auto"
            value={shown(ctx, field, saved)} {oninput} {onblur}
            aria-invalid={invalid.to_string()} aria-describedby={message_id(ctx, field, spec.help)} />
    };
    frame(ctx, field, spec.help, control)
}

pub fn textarea(ctx: &Ctx, spec: TextSpec, saved: Option<String>, rows: u32) -> Html {
    let field = spec.field;
    let oninput = {
        let ctx = ctx.clone();
        Callback::from(move |e: InputEvent| {
            let value = e.target_unchecked_into::<HtmlTextAreaElement>().value();
            ctx.ui.dispatch(Msg::Typed(field, value.clone()));
            send(&ctx, field, Value::from(value));
        })
    };
    let onblur = flush_on_blur(ctx, field);
    let invalid = ctx.ui.error_at(field).is_some();
    let control = html! {
        <textarea id={field.as_str()} name={field.as_str()} dir="auto" rows={rows.to_string()} value={shown(ctx, field, saved)} {oninput} {onblur}
            aria-invalid={invalid.to_string()} aria-describedby={message_id(ctx, field, spec.help)} />
    };
    frame(ctx, field, spec.help, control)
}

/// A select over `(value, label)` options, with an empty "Choose…" entry.
pub fn select(
    ctx: &Ctx,
    field: FieldName,
    options: &[(String, String)],
    current: Option<String>,
) -> Html {
    let onchange = {
        let ctx = ctx.clone();
        Callback::from(move |e: Event| {
            let value = e.target_unchecked_into::<HtmlSelectElement>().value();
            ctx.ui.dispatch(Msg::Typed(field, value.clone()));
            send(&ctx, field, Value::from(value));
        })
    };
    let current = shown(ctx, field, current);
    let control = html! {
        <span class="select"><select id={field.as_str()} name={field.as_str()} {onchange} aria-describedby={message_id(ctx, field, None)}>
            <option value="" selected={current.is_empty()}>{ ctx.text("choose") }</option>
            { for options.iter().map(|(value, text)| {
                let selected = *value == current;
                html! { <option value={value.clone()} {selected}>{ text.clone() }</option> }
            }) }
        </select></span>
    };
    frame(ctx, field, None, control)
}

const TIMEZONE: FieldName = FieldName::Profile(ProfileField::timezone);

/// Step 1's time zone: a search field listing a few matches as the user types, instead of a
/// list of ~600 zones held in the page.
pub fn time_zone(ctx: &Ctx, current: Option<String>) -> Html {
    let onpick = {
        let ctx = ctx.clone();
        Callback::from(move |zone: String| {
            ctx.ui.dispatch(Msg::Typed(TIMEZONE, zone.clone()));
            send(&ctx, TIMEZONE, Value::from(zone));
        })
    };
    let control = html! {
        <ZoneSearch current={shown(ctx, TIMEZONE, current)} placeholder={ctx.t("zone.search")}
            nothing={ctx.t("zone.none")} {onpick} described_by={message_id(ctx, TIMEZONE, None).map(AttrValue::from)} />
    };
    frame(ctx, TIMEZONE, None, control)
}

#[derive(Properties, PartialEq)]
pub struct ZoneSearchProps {
    /// The chosen zone's IANA name, `""` for none.
    pub current: AttrValue,
    pub placeholder: AttrValue,
    /// Said when no zone matches.
    pub nothing: AttrValue,
    pub onpick: Callback<String>,
    /// The message under the field, when one is drawn.
    pub described_by: Option<AttrValue>,
}

/// How many matches the list shows: enough to pick from, few enough to keep the page light.
const ZONE_MATCHES: usize = 8;

/// A combobox (WAI-ARIA pattern): type to filter, arrows to move, Enter or a click to pick,
/// Esc to close. While it is closed the field shows the chosen zone.
#[component]
pub fn ZoneSearch(props: &ZoneSearchProps) -> Html {
    let query = use_state(|| None::<String>);
    let active = use_state(|| 0usize);
    let matches = query
        .as_deref()
        .map(|q| ava_model::Timezone::search(q, ZONE_MATCHES))
        .unwrap_or_default();
    let open = query.as_deref().is_some_and(|q| !q.trim().is_empty());
    let pick = {
        let (query, onpick) = (query.clone(), props.onpick.clone());
        Callback::from(move |zone: String| {
            query.set(None);
            onpick.emit(zone);
        })
    };
    let oninput = {
        let (query, active) = (query.clone(), active.clone());
        Callback::from(move |e: InputEvent| {
            active.set(0);
            query.set(Some(e.target_unchecked_into::<HtmlInputElement>().value()));
        })
    };
    let onkeydown = {
        let (query, active, pick, matches) =
            (query.clone(), active.clone(), pick.clone(), matches.clone());
        Callback::from(move |e: KeyboardEvent| {
            if query.as_deref().is_none_or(str::is_empty) {
                return;
            }
            match e.key().as_str() {
                "ArrowDown" => active.set((*active + 1).min(matches.len().saturating_sub(1))),
                "ArrowUp" => active.set(active.saturating_sub(1)),
                "Enter" => {
                    if let Some(zone) = matches.get(*active) {
                        pick.emit((*zone).to_owned());
                    }
                }
                "Escape" => query.set(Some(String::new())),
                _ => return,
            }
            // The window's own keys (Enter continues, Esc closes dialogs) wait for the list.
            e.prevent_default();
            e.stop_propagation();
        })
    };
    let onblur = {
        let query = query.clone();
        Callback::from(move |_: FocusEvent| query.set(None))
    };
    // Focus empties the field for a search (selecting the text instead would be undone by the
    // click's mouseup in WebKit, and typing would append); blur or Esc shows the zone again.
    let onfocus = {
        let query = query.clone();
        Callback::from(move |_: FocusEvent| query.set(Some(String::new())))
    };
    let shown_zone = ava_model::Timezone::readable(&props.current);
    let (value, placeholder) = match &*query {
        // While searching, the chosen zone stays in view as the placeholder.
        Some(typed) if !props.current.is_empty() => (typed.clone(), shown_zone),
        Some(typed) => (typed.clone(), props.placeholder.to_string()),
        None => (shown_zone, props.placeholder.to_string()),
    };
    let option_id = |i: usize| format!("timezone-option-{i}");
    // Always in the page, hidden when closed: the field's siblings never change, so a redraw
    // never moves the focused field (moving it would drop the focus).
    let list = html! {
        <ul id="timezone-options" class="zone-options" role="listbox" hidden={!open}>
            { for matches.iter().enumerate().map(|(i, zone)| {
                let zone = (*zone).to_owned();
                let selected = i == *active;
                // On mousedown, before the field loses the focus and closes the list.
                let onmousedown = {
                    let (pick, zone) = (pick.clone(), zone.clone());
                    Callback::from(move |e: MouseEvent| { e.prevent_default(); pick.emit(zone.clone()); })
                };
                html! {
                    <li id={option_id(i)} role="option" aria-selected={selected.to_string()}
                        class={class_of(&["zone-option", if selected { "active" } else { "" }])} data-zone={zone.clone()} {onmousedown}>
                        { ava_model::Timezone::readable(&zone) }
                    </li>
                }
            }) }
            { if open && matches.is_empty() { html! { <li class="zone-none" role="presentation">{ props.nothing.clone() }</li> } } else { html!() } }
        </ul>
    };
    html! {
        <div class="zone-search">
            <input id="timezone" name="timezone" type="text" role="combobox" dir="ltr" autocomplete="off" spellcheck="false"
                aria-autocomplete="list" aria-expanded={open.to_string()} aria-controls="timezone-options"
                aria-activedescendant={(open && !matches.is_empty()).then(|| option_id(*active))}
                aria-describedby={props.described_by.clone()} {placeholder}
                data-zone={props.current.clone()} {value} {oninput} {onkeydown} {onblur} {onfocus} />
            { list }
        </div>
    }
}

pub fn checkbox(ctx: &Ctx, target: ProfileField, checked: bool) -> Html {
    let field = FieldName::from(target);
    let onchange = {
        let ctx = ctx.clone();
        Callback::from(move |e: Event| {
            let on = e.target_unchecked_into::<HtmlInputElement>().checked();
            send(&ctx, target.into(), Value::from(on));
        })
    };
    let error = ctx
        .ui
        .error_at(field)
        .map(|e| error_message(ctx.locale, &e));
    html! {
        <div class={class_of(&["check", if error.is_some() { "invalid" } else { "" }])}>
            <input id={field.as_str()} type="checkbox" {checked} {onchange} />
            <label for={field.as_str()}>{ ctx.text(field.label_key()) }</label>
            { for error.map(|e| html! { <span class="error" role="alert">{ e }</span> }) }
        </div>
    }
}

/// Chips for a multi-select: each is a toggle button; the whole list is sent on each change.
pub fn chips(
    ctx: &Ctx,
    target: StudioField,
    options: Vec<(String, String)>,
    selected: Vec<String>,
) -> Html {
    let field = FieldName::from(target);
    let error = ctx
        .ui
        .error_at(field)
        .map(|e| error_message(ctx.locale, &e));
    html! {
        <fieldset class="field chips-field" id={field.as_str()}>
            <legend>{ ctx.text(field.label_key()) }</legend>
            <div class="chips">
            { for options.into_iter().map(|(value, text)| {
                let on = selected.contains(&value);
                let next: Vec<String> = if on {
                    selected.iter().filter(|v| **v != value).cloned().collect()
                } else {
                    selected.iter().cloned().chain([value.clone()]).collect()
                };
                let ctx2 = ctx.clone();
                let onclick = Callback::from(move |_| send(&ctx2, target.into(), Value::from(next.clone())));
                html! {
                    <button type="button" class={class_of(&["chip", if on { "on" } else { "" }])} aria-pressed={on.to_string()}
                        data-value={value.clone()} {onclick}>{ if on { "✓ " } else { "" } }{ text }</button>
                }
            }) }
            </div>
            { for error.map(|e| html! { <span class="error" role="alert">{ e }</span> }) }
        </fieldset>
    }
}

/// Cards for a single choice that deserves a picture of its own (persona, plan, calendar).
pub struct CardOption {
    pub value: String,
    pub title: String,
    pub text: String,
}

pub fn cards(
    ctx: &Ctx,
    target: StudioField,
    options: Vec<CardOption>,
    current: Option<String>,
) -> Html {
    let field = FieldName::from(target);
    html! {
        <fieldset class="field" id={field.as_str()}>
            <legend>{ ctx.text(field.label_key()) }</legend>
            <div class="cards" role="radiogroup">
            { for options.into_iter().map(|option| {
                let on = current.as_deref() == Some(option.value.as_str());
                let ctx2 = ctx.clone();
                let value = option.value.clone();
                let onclick = Callback::from(move |_| send(&ctx2, target.into(), Value::from(value.clone())));
                html! {
                    <button type="button" role="radio" aria-checked={on.to_string()} class={class_of(&["choice", if on { "on" } else { "" }])}
                        data-value={option.value.clone()} {onclick}>
                        // A monogram rather than an emoji: it renders with any system font.
                        <span class="choice-icon" aria-hidden="true">{ option.title.chars().next().unwrap_or('·') }</span>
                        <span class="choice-title">{ option.title }</span>
                        <span class="choice-text">{ option.text }</span>
                    </button>
                }
            }) }
            </div>
        </fieldset>
    }
}

/// Where a provider stands, shown on steps 2, 4, 7 and 9.
pub fn integration_status(
    ctx: &Ctx,
    name_key: &str,
    configured: Option<String>,
    skipped: bool,
) -> Html {
    let (class, text) = match (&configured, skipped) {
        (Some(detail), _) => (
            "ok",
            format!("{} · {detail}", ctx.t("integration.configured")),
        ),
        (None, true) => ("skipped", ctx.t("integration.skipped")),
        (None, false) => ("missing", ctx.t("integration.missing")),
    };
    html! {
        <div class={class_of(&["integration", class])} role="status">
            <span class="dot" aria-hidden="true"></span>
            <strong>{ ctx.text(name_key) }</strong>
            <span>{ text }</span>
        </div>
    }
}

/// A button that shows progress in itself while its action runs.
/// A class attribute of the names given, an empty one left out. What `classes!` does for
/// names known to be single and distinct, without its hash set compiled in for each use.
pub fn class_of(names: &[&str]) -> String {
    let mut class = String::new();
    for name in names.iter().filter(|name| !name.is_empty()) {
        if !class.is_empty() {
            class.push(' ');
        }
        class.push_str(name);
    }
    class
}

/// A button that submits no form: its id, its look (`btn`, `link`, `btn danger`…), its words.
pub fn button(
    id: &'static str,
    class: &'static str,
    label: Html,
    onclick: impl Into<Callback<MouseEvent>>,
) -> Html {
    plain_button(id, class, label, onclick.into())
}

// Compiled once for the ~20 buttons drawn through `button`.
fn plain_button(
    id: &'static str,
    class: &'static str,
    label: Html,
    onclick: Callback<MouseEvent>,
) -> Html {
    html! { <button type="button" {id} {class} {onclick}>{ label }</button> }
}

/// A button whose action takes a while: while `busy` it shows a spinner, tells screen readers
/// and cannot be pressed again. Without `onclick` it submits its form.
pub fn busy_button(
    id: &'static str,
    class: &'static str,
    label: Html,
    busy: bool,
    disabled: bool,
    onclick: Option<Callback<MouseEvent>>,
) -> Html {
    let kind = if onclick.is_some() {
        "button"
    } else {
        "submit"
    };
    html! {
        <button {id} type={kind} class={class_of(&[class, if busy { "busy" } else { "" }])}
            disabled={disabled || busy} aria-busy={busy.to_string()} {onclick}>
            { if busy { html! { <span class="spinner" aria-hidden="true"></span> } } else { html!() } }
            { label }
        </button>
    }
}

/// An error without a field, in the user's language.
pub fn alert(ctx: &Ctx, area: &'static str) -> Html {
    match ctx.ui.alerts.get(area) {
        Some(error) => html! {
            <div class="alert danger" role="alert" id={format!("{area}-alert")}>{ error_message(ctx.locale, error) }</div>
        },
        None => html!(),
    }
}

/// Whether the live assistant in Vapi has what the owner edited: "Ava is up to date",
/// "Updating Ava…" (with why it waits, when it does) or why it was not updated.
pub fn assistant_sync(ctx: &Ctx) -> Html {
    let Some(status) = ctx.ui.status.as_ref() else {
        return html!();
    };
    let why = status
        .assistant_error
        .as_ref()
        .map(|e| error_message(ctx.locale, e))
        .unwrap_or_default();
    let (state, text) = match status.assistant {
        AssistantSync::NotCreated => return html!(),
        AssistantSync::UpToDate => ("up-to-date", ctx.t("assistant_sync.up_to_date")),
        AssistantSync::Updating if why.is_empty() => ("updating", ctx.t("assistant_sync.updating")),
        AssistantSync::Updating => (
            "updating",
            ctx.t("assistant_sync.waiting").replace("{why}", &why),
        ),
        AssistantSync::Failed => (
            "failed",
            ctx.t("assistant_sync.failed").replace("{why}", &why),
        ),
        AssistantSync::UpdatedElsewhere => ("elsewhere", ctx.t("assistant_sync.elsewhere")),
    };
    html! {
        <p id="assistant-sync" class={class_of(&["assistant-sync", state])} data-state={state} role="status">
            <span class="dot" aria-hidden="true"></span>{ text }
        </p>
    }
}

/// A phone number or address inside a translated sentence, isolated (U+2068 … U+2069) so a
/// right-to-left sentence does not move its `+` or its dots.
pub fn isolated(text: &str) -> String {
    format!("\u{2068}{text}\u{2069}")
}

/// What happens to a call Ava cannot handle, in a sentence.
pub fn handoff_words(ctx: &Ctx, handoff: &ava_ipc::HandoffView) -> String {
    match handoff {
        ava_ipc::HandoffView::Transfer { number } => ctx
            .t("handoff.transfer")
            .replace("{number}", &isolated(number)),
        ava_ipc::HandoffView::Message { email: Some(email) } => ctx
            .t("handoff.message_email")
            .replace("{email}", &isolated(email)),
        ava_ipc::HandoffView::Message { email: None } => ctx.t("handoff.message"),
    }
}
