//! The screens around the steps: the account gate, the top bar, Settings, the studio home
//! and the toasts.

use ava_ipc::{CredentialsArgs, Provider, StatusView, SyncState, UnsentEdits};
use ava_model::{FormField, Locale, Step};
use web_sys::HtmlSelectElement;
use yew::prelude::*;

use crate::ctx::Ctx;
use crate::i18n::{error_message, incomplete_message};
use crate::state::{
    AccountPanel, Action, Busy, Msg, ResetStage, SignOutStage, ToastKind, ToastText, Ui,
};
use crate::steps;
use crate::widgets::{self, TextSpec};

/// Sign up, sign in, or continue offline (everything syncs once the user signs in).
pub fn account(ctx: &Ctx) -> Html {
    if ctx.ui.reset != ResetStage::Off {
        return gate(ctx, forgotten_password(ctx));
    }
    let sign_up = ctx.ui.sign_up;
    let busy = ctx.ui.busy == Some(Busy::Account);
    let submit = {
        let ctx = ctx.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let get = |f: FormField| ctx.ui.typed_at(f);
            let args = CredentialsArgs {
                email: get(FormField::Email),
                password: get(FormField::Password).into(),
            };
            ctx.act(if ctx.ui.sign_up {
                Action::SignUp(args)
            } else {
                Action::SignIn(args)
            });
        })
    };
    let tab = |on: bool, key: &str, id: &'static str| {
        let ui = ctx.ui.clone();
        html! {
            <button {id} type="button" role="tab" aria-selected={(sign_up == on).to_string()} class={widgets::class_of(&["tab", if sign_up == on { "on" } else { "" }])}
                onclick={move |_| ui.dispatch(Msg::SignUpMode(on))}>{ ctx.text(key) }</button>
        }
    };
    let form = html! {
            <form class="card gate-card" onsubmit={submit} aria-labelledby="gate-title">
                <div class="brand big">{ ctx.text("app.name") }</div>
                <h1 id="gate-title">{ ctx.text("account.title") }</h1>
                <p class="purpose">{ ctx.text("account.purpose") }</p>
                <div class="tabs" role="tablist">
                    { tab(true, "account.sign_up", "tab-sign-up") }
                    { tab(false, "account.sign_in", "tab-sign-in") }
                </div>
                { widgets::text(ctx, TextSpec::new(FormField::Email).kind("email").autocomplete("email"), None) }
                { widgets::text(ctx, TextSpec::new(FormField::Password).kind("password")
                    .autocomplete(if sign_up { "new-password" } else { "current-password" })
                    .help(if sign_up { "help.password" } else { "help.password_sign_in" }), None) }
                { if sign_up { html!() } else { html! {
                    <p class="forgot">{ widgets::button("forgot-password", "link", ctx.text("reset.link"), { let ui = ctx.ui.clone(); move |_| ui.dispatch(Msg::Reset(ResetStage::AskEmail)) }) }</p>
                } } }
                { widgets::alert(ctx, "account") }
                { widgets::busy_button("account-submit", "btn primary wide", ctx.text(if sign_up { "account.create" } else { "account.sign_in" }), busy, false, None) }
                <div class="divider"><span>{ ctx.text("account.or") }</span></div>
                { widgets::button("continue-offline", "btn wide", ctx.text("account.offline"), ctx.callback(|| Action::ContinueOffline)) }
                <p class="help center">{ ctx.text("account.offline.help") }</p>
                <p class="help center usage-note" id="usage-note">{ ctx.text("account.usage_note") }{ " " }
                    { widgets::button("usage-note-settings", "link", ctx.text("account.usage_note.link"), ctx.callback(|| Action::OpenPrivacy)) }</p>
            </form>
    };
    gate(ctx, form)
}

/// The account screen's frame: the language and the status above one card.
fn gate(ctx: &Ctx, card: Html) -> Html {
    html! {
        <div class="gate">
            <header class="gate-top">{ language_switch(ctx.locale, &ctx.actions) }{ status_pill(ctx.ui.status.as_ref(), ctx.locale, &ctx.actions) }</header>
            <main class="gate-main">{ card }</main>
        </div>
    }
}

/// "Forgot your password?": the address, then the mailed code and a new password.
fn forgotten_password(ctx: &Ctx) -> Html {
    let stage = ctx.ui.reset;
    let busy = ctx.ui.busy == Some(Busy::Reset);
    let submit = {
        let ctx = ctx.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let get = |f: FormField| ctx.ui.typed_at(f);
            ctx.act(match ctx.ui.reset {
                ResetStage::EnterCode => Action::ResetPassword(ava_ipc::ResetArgs {
                    email: get(FormField::Email),
                    code: get(FormField::Code),
                    new_password: get(FormField::NewPassword).into(),
                }),
                _ => Action::AskReset(get(FormField::Email)),
            });
        })
    };
    let back = {
        let ui = ctx.ui.clone();
        move |_| ui.dispatch(Msg::Reset(ResetStage::Off))
    };
    let email = ctx.ui.typed_at(FormField::Email);
    html! {
        <form class="card gate-card" id="reset-form" onsubmit={submit} aria-labelledby="reset-title">
            <div class="brand big">{ ctx.text("app.name") }</div>
            <h1 id="reset-title">{ ctx.text("reset.title") }</h1>
            { if stage == ResetStage::EnterCode { html! { <>
                <p class="purpose" id="reset-sent" role="status">{ ctx.t("reset.sent").replace("{email}", &email) }</p>
                { widgets::text(ctx, TextSpec::new(FormField::Code).autocomplete("one-time-code").help("help.code"), None) }
                { widgets::text(ctx, TextSpec::new(FormField::NewPassword).kind("password").autocomplete("new-password").help("help.password"), None) }
            </> } } else { html! { <>
                <p class="purpose">{ ctx.text("reset.purpose") }</p>
                { widgets::text(ctx, TextSpec::new(FormField::Email).kind("email").autocomplete("email"), None) }
            </> } } }
            { widgets::alert(ctx, "reset") }
            { widgets::busy_button("reset-submit", "btn primary wide", ctx.text(if stage == ResetStage::EnterCode { "reset.submit" } else { "reset.send" }), busy, false, None) }
            { if stage == ResetStage::EnterCode { html! {
                { widgets::button("reset-again", "btn wide", ctx.text("reset.again"), { let ctx = ctx.clone(); let email = email.clone(); move |_| ctx.act(Action::AskReset(email.clone())) }) }
            } } else { html!() } }
            <p class="help center">{ widgets::button("reset-back", "link", ctx.text("reset.back"), back) }</p>
        </form>
    }
}

pub fn language_switch(locale: Locale, act: &Callback<Action>) -> Html {
    let act = act.clone();
    let onchange = Callback::from(move |e: Event| {
        let value = e.target_unchecked_into::<HtmlSelectElement>().value();
        let field = ava_model::ProfileField::locale.into();
        if let Some(Ok(edit)) = ava_ipc::FieldEdit::of(field, &value.into()) {
            act.emit(Action::Edit(edit));
        }
    });
    let t = |key: &str| crate::i18n::t(locale, key);
    let text = |key: &str| crate::i18n::text(locale, key);
    html! {
        <span class="select">
        <select id="language-switch" class="lang" aria-label={t("field.locale")} {onchange}>
            { for Locale::ALL.iter().map(|l| html! {
                <option value={l.as_str()} selected={*l == locale}>{ text(&format!("locale.{}", l.as_str())) }</option>
            }) }
        </select>
        </span>
    }
}

/// No session to sync with (never signed in here, signed out, or the server ended it), from
/// the live status rather than the last view's copy.
fn signed_out(status: Option<&StatusView>) -> bool {
    status.is_none_or(|s| matches!(s.state, SyncState::SavedLocally | SyncState::SignInRequired))
}

pub fn status_pill(status: Option<&StatusView>, locale: Locale, act: &Callback<Action>) -> Html {
    let t = |key: &str| crate::i18n::t(locale, key);
    let text = |key: &str| crate::i18n::text(locale, key);
    let state = status.map_or(SyncState::SavedLocally, |s| s.state);
    let pending = status.map_or(0, |s| s.pending);
    let title = match (state, pending) {
        (SyncState::Offline | SyncState::Failed, n) if n > 0 => {
            format!("{} ({n})", t("status.pending"))
        }
        _ => String::new(),
    };
    let state_name = state.as_str();
    let label = html! { <><span class="dot" aria-hidden="true"></span>{ text(&format!("status.{state_name}")) }</> };
    // Where signing in is what would get things moving, the pill is the way to it. The pill
    // itself stays one element whatever the state, so nothing holding it goes stale.
    let content = if signed_out(status) {
        html! {
            <button type="button" class="pill-action" title={t("account.sign_in")}
                onclick={act.reform(|_: MouseEvent| Action::ShowAccount)}>{ label }</button>
        }
    } else {
        label
    };
    html! {
        <span id="status-pill" class={widgets::class_of(&["pill", state_name])} role="status" aria-live="polite" data-state={state_name} {title}>{ content }</span>
    }
}

/// The wizard's top bar, a component with props of its own: a keystroke in a step changes none
/// of them, so it is not redrawn for it.
#[derive(Properties, PartialEq)]
pub struct TopBarProps {
    pub account_email: Option<String>,
    pub status: Option<StatusView>,
    pub locale: Locale,
    pub act: Callback<Action>,
}

#[component]
pub fn TopBar(props: &TopBarProps) -> Html {
    let t = |key: &str| crate::i18n::t(props.locale, key);
    let text = |key: &str| crate::i18n::text(props.locale, key);
    let who = props
        .account_email
        .clone()
        .unwrap_or_else(|| t("account.offline_mode"));
    let open_settings = props
        .act
        .reform(|_: MouseEvent| Action::OpenSettings(Provider::Vapi));
    let ended_for_safety = props
        .status
        .as_ref()
        .is_some_and(StatusView::sign_in_ended_for_safety);
    html! {
        <>
        <header class="top">
            <span class="who">{ who }</span>
            { language_switch(props.locale, &props.act) }
            <button id="open-settings" class="btn ghost" onclick={open_settings}>{ "⚙ " }{ text("settings.title") }</button>
            { status_pill(props.status.as_ref(), props.locale, &props.act) }
        </header>
        if ended_for_safety {
            <div class="alert warning" role="alert" id="sign-in-ended-for-safety">{ text("error.refresh_token_reused") }</div>
        }
        </>
    }
}

/// Settings as a dialog over the wizard: closing it (button or Esc) shows the same step.
pub fn settings(ctx: &Ctx, section: Provider) -> Html {
    let view = ctx.view();
    let section_class = |p: Provider| {
        widgets::class_of(&["settings-section", if p == section { "focus" } else { "" }])
    };
    let asking = ctx.ui.confirming_keys_local;
    let usage_sharing = {
        let ctx = ctx.clone();
        let on = !view.usage_sharing;
        Callback::from(move |_| ctx.act(Action::UsageSharing(on)))
    };
    let keys_local = {
        let ctx = ctx.clone();
        let on = !view.keys_local_only;
        Callback::from(move |_| ctx.act(Action::KeysLocalOnly(on)))
    };
    html! {
        <div class="overlay">
            <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="settings-title" id="settings">
                <div class="dialog-head">
                    <h1 id="settings-title">{ ctx.text("settings.title") }</h1>
                    { widgets::button("close-settings", "btn", ctx.text("settings.back"), ctx.callback(|| Action::CloseSettings)) }
                </div>
                <div class="dialog-body">
                    <section class={section_class(Provider::Vapi)} id="settings-vapi">
                        <h2>{ ctx.text("integration.vapi") }</h2>
                        { match &view.vapi_key_preview {
                            Some(preview) => html! { <p class="configured">{ format!("{} · {preview}", ctx.t("integration.configured")) }
                                { widgets::button("delete-vapi", "link danger", ctx.text("settings.remove"), ctx.callback(|| Action::DeleteVapi)) }</p> },
                            None => html!(),
                        } }
                        { steps::vapi_form(ctx) }
                    </section>
                    <section class={section_class(Provider::Twilio)} id="settings-twilio">
                        <h2>{ ctx.text("integration.twilio") }</h2>
                        { match &view.twilio {
                            Some(t) => html! { <p class="configured">{ format!("{} · {} {}", ctx.t("integration.configured"), widgets::isolated(&t.account_sid_preview), t.phone_number.as_deref().map(widgets::isolated).unwrap_or_default()) }
                                { widgets::button("delete-twilio", "link danger", ctx.text("settings.remove"), ctx.callback(|| Action::DeleteTwilio)) }</p> },
                            None => html!(),
                        } }
                        { steps::twilio_form(ctx) }
                    </section>
                    <section class="settings-section" id="settings-privacy">
                        <h2>{ ctx.text("settings.privacy") }</h2>
                        <div class="check">
                            <input id="keys-local-only" type="checkbox" checked={view.keys_local_only || asking} onchange={keys_local} disabled={asking} />
                            <label for="keys-local-only">{ ctx.text("settings.keys_local_only") }</label>
                        </div>
                        { if asking { html! {
                            <div class="alert warning confirm" id="keys-local-confirm" role="alertdialog" aria-labelledby="keys-local-confirm-title" aria-describedby="keys-local-confirm-text">
                                <strong id="keys-local-confirm-title">{ ctx.text("settings.keys_local_confirm_title") }</strong>
                                <p id="keys-local-confirm-text">{ ctx.text("settings.keys_local_confirm") }</p>
                                <div class="actions">
                                    { widgets::button("keys-local-confirm-no", "btn", ctx.text("settings.keys_local_confirm_no"), ctx.callback(|| Action::KeepKeysOnServer)) }
                                    { widgets::button("keys-local-confirm-yes", "btn danger", ctx.text("settings.keys_local_confirm_yes"), ctx.callback(|| Action::KeysLocalOnly(true))) }
                                </div>
                            </div>
                        } } else { html!() } }
                        { if view.status.keychain_persistent { html!() } else { html! { <div class="alert warning">{ ctx.text("settings.no_keychain") }</div> } } }
                        <div class="check">
                            <input id="usage-sharing" type="checkbox" checked={view.usage_sharing} onchange={usage_sharing} />
                            <label for="usage-sharing">{ ctx.text("settings.share_usage") }</label>
                        </div>
                        <p class="help">{ ctx.text("settings.share_usage.help") }</p>
                    </section>
                    { support_section(ctx) }
                    { account_section(ctx) }
                </div>
            </div>
        </div>
    }
}

/// Settings' Account section: signing out, and, signed in, the account's life (its address,
/// its password, the computers signed in, the export and the deletion).
fn account_section(ctx: &Ctx) -> Html {
    let view = ctx.view();
    let signed_in = view.account_email.is_some() && !signed_out(ctx.ui.status.as_ref());
    let head = match (&view.account_email, signed_in) {
        (Some(email), true) => {
            let verified = match ctx.ui.account.as_ref() {
                Some(account) if account.email_verified => {
                    html! { <span class="badge ok" id="email-verified">{ ctx.text("account.verified") }</span> }
                }
                Some(_) => {
                    html! { <span class="badge warn" id="email-unverified">{ ctx.text("account.unverified") }</span> }
                }
                None => html!(),
            };
            let shown = ctx
                .ui
                .account
                .as_ref()
                .map_or_else(|| email.clone(), |a| a.email.clone());
            html! { <>
                <p class="account-row"><span><bdi dir="ltr">{ shown }</bdi>{ " " }{ verified }</span>
                    { widgets::button("sign-out", "link", ctx.text("settings.sign_out"), ctx.callback(|| Action::SignOut(UnsentEdits::Ask))) }</p>
                { unsent_question(ctx) }
            </> }
        }
        (Some(email), false) => {
            html! { <p>{ format!("{email} · {}", ctx.t("account.signed_out")) }{ " " }
            { widgets::button("sign-in-later", "link", ctx.text("account.sign_in"), ctx.callback(|| Action::ShowAccount)) }</p> }
        }
        (None, _) => html! { <p>{ ctx.text("account.offline_mode") }{ " " }
        { widgets::button("sign-in-later", "link", ctx.text("account.sign_in"), ctx.callback(|| Action::ShowAccount)) }</p> },
    };
    html! {
        <section class="settings-section" id="settings-account">
            <h2>{ ctx.text("settings.account") }</h2>
            { head }
            { if signed_in { account_life(ctx) } else { html!() } }
        </section>
    }
}

fn open_panel(ctx: &Ctx, panel: Option<AccountPanel>) -> Callback<MouseEvent> {
    let ui = ctx.ui.clone();
    Callback::from(move |_| ui.dispatch(Msg::AccountPanel(panel)))
}

fn account_life(ctx: &Ctx) -> Html {
    let busy = ctx.ui.busy == Some(Busy::AccountSettings);
    let panel = ctx.ui.account_panel;
    let Some(account) = ctx.ui.account.as_ref() else {
        return html! { <>{ widgets::alert(ctx, "account-settings") }</> };
    };
    let typed = |f: FormField| ctx.ui.typed_at(f);
    let submit_button = |id: &'static str, key: &str, danger: bool| {
        let class = if danger { "btn danger" } else { "btn primary" };
        widgets::busy_button(id, class, ctx.text(key), busy, false, None)
    };
    let cancel = widgets::button(
        "account-panel-cancel",
        "btn",
        ctx.text("settings.cancel"),
        open_panel(ctx, None),
    );
    let form = |id: &'static str, action: Box<dyn Fn() -> Action>, body: Html| {
        let ctx = ctx.clone();
        let onsubmit = Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            ctx.act(action());
        });
        // The deletion's form is its warning box; the others sit in a light frame.
        let class = if id == "delete-account-form" {
            "account-form bare"
        } else {
            "account-form"
        };
        html! { <form {class} {id} {onsubmit}>{ body }</form> }
    };
    let panel_html = match panel {
        Some(AccountPanel::ConfirmEmail { to_new_address }) => {
            let ctx2 = ctx.clone();
            form(
                "confirm-email-form",
                Box::new(move || Action::ConfirmEmail(ctx2.ui.typed_at(FormField::Code))),
                html! { <>
                    <p role="status" id="email-code-sent">{ ctx.text(if to_new_address { "account.code_sent_new" } else { "account.code_sent" }) }</p>
                    { widgets::text(ctx, TextSpec::new(FormField::Code).autocomplete("one-time-code").help("help.code"), None) }
                    <div class="actions">{ submit_button("confirm-email", "account.confirm", false) }{ cancel.clone() }</div>
                </> },
            )
        }
        Some(AccountPanel::ChangeEmail) => {
            let ctx2 = ctx.clone();
            form(
                "change-email-form",
                Box::new(move || {
                    let get = |f: FormField| ctx2.ui.typed_at(f);
                    Action::ChangeEmail(ava_ipc::EmailChangeArgs {
                        new_email: get(FormField::NewEmail),
                        password: get(FormField::Password).into(),
                    })
                }),
                html! { <>
                    { widgets::text(ctx, TextSpec::new(FormField::NewEmail).kind("email").autocomplete("email"), None) }
                    { widgets::text(ctx, TextSpec::new(FormField::Password).kind("password").autocomplete("current-password"), None) }
                    <div class="actions">{ submit_button("change-email", "account.send_code", false) }{ cancel.clone() }</div>
                </> },
            )
        }
        Some(AccountPanel::ChangePassword) => {
            let ctx2 = ctx.clone();
            form(
                "change-password-form",
                Box::new(move || {
                    let get = |f: FormField| ctx2.ui.typed_at(f);
                    Action::ChangePassword(ava_ipc::PasswordChangeArgs {
                        current_password: get(FormField::CurrentPassword).into(),
                        new_password: get(FormField::NewPassword).into(),
                    })
                }),
                html! { <>
                    { widgets::text(ctx, TextSpec::new(FormField::CurrentPassword).kind("password").autocomplete("current-password"), None) }
                    { widgets::text(ctx, TextSpec::new(FormField::NewPassword).kind("password").autocomplete("new-password").help("help.new_password_elsewhere"), None) }
                    <div class="actions">{ submit_button("change-password", "account.change_password", false) }{ cancel.clone() }</div>
                </> },
            )
        }
        Some(AccountPanel::Delete) => {
            let ctx2 = ctx.clone();
            let delete_in_vapi = typed(FormField::VapiAssistants) == "delete";
            let choose = |value: &'static str| {
                let ui = ctx.ui.clone();
                Callback::from(move |_: Event| {
                    ui.dispatch(Msg::Typed(FormField::VapiAssistants.into(), value.into()))
                })
            };
            form(
                "delete-account-form",
                Box::new(move || {
                    let get = |f: FormField| ctx2.ui.typed_at(f);
                    let vapi_assistants = if get(FormField::VapiAssistants) == "delete" {
                        ava_model::VapiAssistantsOnDeletion::Delete
                    } else {
                        ava_model::VapiAssistantsOnDeletion::Keep
                    };
                    Action::DeleteAccount(ava_ipc::DeleteAccountArgs {
                        password: get(FormField::Password).into(),
                        vapi_assistants,
                    })
                }),
                html! { <div class="alert danger confirm" role="group" aria-labelledby="delete-title">
                    <strong id="delete-title">{ ctx.text("account.delete_title") }</strong>
                    <p id="delete-erases">{ ctx.text("account.delete_erases") }</p>
                    <fieldset class="choices">
                        <legend>{ ctx.text("account.delete_vapi") }</legend>
                        <div class="check"><input type="radio" id="vapi-keep" name="vapi_assistants" checked={!delete_in_vapi} onchange={choose("keep")} />
                            <label for="vapi-keep">{ ctx.text("account.delete_vapi_keep") }</label></div>
                        <div class="check"><input type="radio" id="vapi-delete" name="vapi_assistants" checked={delete_in_vapi} onchange={choose("delete")} />
                            <label for="vapi-delete">{ ctx.text("account.delete_vapi_delete") }</label></div>
                    </fieldset>
                    { widgets::text(ctx, TextSpec::new(FormField::Password).kind("password").autocomplete("current-password"), None) }
                    <div class="actions">{ submit_button("delete-account", "account.delete_now", true) }{ cancel.clone() }</div>
                </div> },
            )
        }
        None => html!(),
    };
    let others = account.sign_ins.iter().filter(|s| !s.current).count();
    html! { <>
        <div class="account-actions">
            { if account.email_verified { html!() } else { html! {
                { widgets::button("send-confirmation", "link", ctx.text("account.confirm_address"), ctx.callback(|| Action::SendEmailConfirmation)) }
            } } }
            { widgets::button("open-change-email", "link", ctx.text("account.change_email"), open_panel(ctx, Some(AccountPanel::ChangeEmail))) }
            { widgets::button("open-change-password", "link", ctx.text("account.change_password"), open_panel(ctx, Some(AccountPanel::ChangePassword))) }
        </div>
        { if matches!(panel, Some(AccountPanel::Delete)) { html!() } else { panel_html.clone() } }
        { widgets::alert(ctx, "account-settings") }
        <h3 id="sign-ins-title">{ ctx.text("account.sign_ins") }</h3>
        <ul class="sign-ins" aria-labelledby="sign-ins-title">
            { for account.sign_ins.iter().map(|s| {
                let id = s.id.clone();
                let name = s.device.clone().unwrap_or_else(|| ctx.t("account.unknown_device"));
                html! {
                    <li class="sign-in">
                        <span><bdi>{ name }</bdi><span class="help">{ format!(" · {} {}", ctx.t("account.last_used"), local_time(s.last_used_ms, ctx.locale)) }</span></span>
                        { if s.current { html! { <span class="badge">{ ctx.text("account.this_computer") }</span> } } else { html! {
                            <button type="button" class="link" aria-label={format!("{} {}", ctx.t("account.end_sign_in"), s.device.clone().unwrap_or_default())}
                                onclick={ctx.callback_with(move || Action::EndSignIns(Some(id.clone())))}>{ ctx.text("account.end_sign_in") }</button>
                        } } }
                    </li>
                }
            }) }
        </ul>
        { if others > 1 { html! {
            { widgets::button("end-other-sign-ins", "btn", ctx.text("account.end_others"), ctx.callback(|| Action::EndSignIns(None))) }
        } } else { html!() } }
        <h3>{ ctx.text("account.your_data") }</h3>
        <p class="help">{ ctx.text("account.export_help") }</p>
        <div class="actions">
            { widgets::button("export-account", "btn", ctx.text("account.export"), ctx.callback(|| Action::ExportAccount)) }
            { widgets::button("open-delete-account", "btn danger", ctx.text("account.delete"), open_panel(ctx, Some(AccountPanel::Delete))) }
        </div>
        { if matches!(panel, Some(AccountPanel::Delete)) { panel_html } else { html!() } }
    </> }
}

/// A moment in the owner's language and time zone (the browser's own formatting).
fn local_time(millis: i64, locale: ava_model::Locale) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(millis as f64));
    date.to_locale_string(locale.as_str(), &wasm_bindgen::JsValue::UNDEFINED)
        .as_string()
        .unwrap_or_default()
}

/// The studio home after launch: what is live, and where to change each part.
pub fn home(ctx: &Ctx) -> Html {
    let view = ctx.view();
    let number = view
        .studio
        .number
        .as_ref()
        .map(|n| n.as_str().to_owned())
        .or_else(|| view.twilio.as_ref().and_then(|t| t.phone_number.clone()));
    let tile = |id: &'static str, title: &str, value: String, step: Step| {
        html! {
            <div class="tile" {id}>
                <span class="tile-title">{ ctx.text(title) }</span>
                <span class="tile-value">{ value }</span>
                <button class="link" onclick={ctx.callback_with(move || Action::Change(step))}>{ ctx.text("summary.change") }</button>
            </div>
        }
    };
    let assistant = view
        .assistant
        .as_ref()
        .filter(|_| view.flags.onboarding_assistant_created);
    html! {
        <div class="home">
            <header class="top">
                <div class="brand">{ ctx.text("app.name") }</div>
                <span class="spacer"></span>
                { language_switch(ctx.locale, &ctx.actions) }
                { status_pill(ctx.ui.status.as_ref(), ctx.locale, &ctx.actions) }
            </header>
            <main class="home-body">
                <section class="card hero" aria-labelledby="home-title">
                    <h1 id="home-title">{ ctx.text(if assistant.is_some() { "home.live" } else { "home.not_live" }) }</h1>
                    <p class="purpose">{ ctx.text("home.purpose") }</p>
                    { widgets::assistant_sync(ctx) }
                    <crate::hours::OpenNowLine hours={view.studio.business_hours.as_ref().map(|t| t.as_str().to_owned())}
                        timezone={view.profile.timezone.as_ref().map(|z| z.as_str().to_owned())} locale={ctx.locale} />
                    <div class="tiles">
                        { tile("home-assistant", "home.assistant", assistant.map_or_else(|| ctx.t("home.none"), |a| a.name.clone()), Step::Assistant) }
                        { tile("home-number", "home.number", number.map_or_else(|| ctx.t("home.none"), |n| widgets::isolated(&n)), Step::Telephony) }
                        { tile("home-handoff", "home.handoff", match &view.handoff {
                            ava_ipc::HandoffView::Transfer { number } => ctx.t("home.handoff.transfer").replace("{number}", &widgets::isolated(number)),
                            ava_ipc::HandoffView::Message { .. } => ctx.t("home.handoff.message"),
                        }, Step::Telephony) }
                        { tile("home-plan", "home.plan", format!("{} · {}", ctx.t(&format!("plan.{}", view.studio.plan.as_str())), ctx.count("summary.seats", u64::from(view.studio.seats.get()))), Step::Plan) }
                    </div>
                </section>
                { if assistant.is_some() { html! { <crate::studio::StudioPanels ctx={ctx.clone()} /> } } else { html!() } }
            </main>
        </div>
    }
}

/// "2 changes are not on the server yet": asked before signing out leaves them here.
fn unsent_question(ctx: &Ctx) -> Html {
    let stage = ctx.ui.signing_out;
    if stage == SignOutStage::Idle {
        return html!();
    }
    let pending = ctx
        .ui
        .status
        .as_ref()
        .map_or(ctx.view().status.pending, |s| s.pending);
    let sending = stage == SignOutStage::Sending;
    html! {
        <div class="alert warning confirm" id="unsent-confirm" role="alertdialog" aria-labelledby="unsent-confirm-title" aria-describedby="unsent-confirm-text">
            <strong id="unsent-confirm-title">{ ctx.text("settings.unsent_title") }</strong>
            <p id="unsent-confirm-text">{ ctx.count("settings.unsent", pending as u64) }</p>
            <div class="actions">
                <button id="unsent-send" class="btn primary" disabled={sending} onclick={ctx.callback(|| Action::SignOut(UnsentEdits::SendFirst))}>
                    { ctx.text(if sending { "settings.unsent_sending" } else { "settings.unsent_send" }) }
                </button>
                <button id="unsent-sign-out" class="btn" disabled={sending} onclick={ctx.callback(|| Action::SignOut(UnsentEdits::KeepForNextSignIn))}>{ ctx.text("settings.unsent_sign_out") }</button>
                <button id="unsent-cancel" class="link" disabled={sending} onclick={ctx.callback(|| Action::StaySignedIn)}>{ ctx.text("settings.unsent_cancel") }</button>
            </div>
        </div>
    }
}

/// What support may ask for: the assistant's id in Vapi, to copy.
fn support_section(ctx: &Ctx) -> Html {
    let Some(id) = ctx
        .view()
        .assistant
        .as_ref()
        .and_then(|a| a.assistant_id.clone())
    else {
        return html!();
    };
    let copy = {
        let id = id.clone();
        let ctx = ctx.clone();
        Callback::from(move |_| {
            crate::ipc::copy_text(&id);
            ctx.ui.dispatch(Msg::Toast(
                ToastKind::Success,
                ToastText::Key("settings.copied"),
            ));
        })
    };
    html! {
        <section class="settings-section" id="settings-support">
            <h2>{ ctx.text("settings.support") }</h2>
            <label for="assistant-id">{ ctx.text("settings.assistant_id") }</label>
            <div class="copy-row">
                <input id="assistant-id" type="text" readonly=true dir="ltr" value={id} />
                { widgets::button("copy-assistant-id", "btn", ctx.text("settings.copy"), copy) }
            </div>
        </section>
    }
}

/// Toasts at the bottom; each goes away by itself after a few seconds (or on Esc).
#[derive(Properties)]
pub struct ToastProps {
    pub ui: UseReducerHandle<Ui>,
    /// `ui.revision` when drawn (see `Ctx`'s `PartialEq`).
    pub revision: u64,
    pub locale: Locale,
}

impl PartialEq for ToastProps {
    fn eq(&self, other: &Self) -> bool {
        self.revision == other.revision && self.locale == other.locale
    }
}

#[component]
pub fn Toasts(props: &ToastProps) -> Html {
    let ids: Vec<u32> = props.ui.toasts.iter().map(|t| t.id).collect();
    {
        let ui = props.ui.clone();
        use_effect_with(ids, move |ids| {
            for id in ids.clone() {
                let ui = ui.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    gloo_timers::future::TimeoutFuture::new(6_000).await;
                    ui.dispatch(Msg::Dismiss(id));
                });
            }
        });
    }
    let locale = props.locale;
    html! {
        <div class="toasts" aria-live="polite">
            // Not on a timer like the toasts: it says where values came from, and stays until
            // read (closed, or the owner moves on).
            { if props.ui.pulled_notice {
                let ui = props.ui.clone();
                html! {
                    <div id="pulled-notice" class="toast info" role="status">
                        <span>{ crate::i18n::t(locale, "pulled.notice") }</span>
                        <button class="toast-close" aria-label={crate::i18n::t(locale, "toast.close")} onclick={move |_| ui.dispatch(Msg::PulledNoticeSeen)}><span aria-hidden="true">{ "×" }</span></button>
                    </div>
                }
            } else { html!() } }
            { for props.ui.toasts.iter().map(|toast| {
                let text = match &toast.text {
                    ToastText::Key(key) => crate::i18n::t(locale, key),
                    ToastText::Error(error) => error_message(locale, error),
                    ToastText::Incomplete(fields) => incomplete_message(locale, fields),
                };
                let kind = match toast.kind {
                    ToastKind::Success => "success",
                    ToastKind::Warning => "warning",
                    ToastKind::Danger => "danger",
                };
                let ui = props.ui.clone();
                let id = toast.id;
                html! {
                    <div class={widgets::class_of(&["toast", kind])} role={if kind == "danger" { "alert" } else { "status" }} data-kind={kind}>
                        <span>{ text }</span>
                        <button class="toast-close" aria-label={crate::i18n::t(locale, "toast.close")} onclick={move |_| ui.dispatch(Msg::Dismiss(id))}><span aria-hidden="true">{ "×" }</span></button>
                    </div>
                }
            }) }
        </div>
    }
}

/// The keychain is opening and its password prompt waits for the owner: said over every
/// screen, in words, with a way to go on without it. It goes away by itself once unlocked.
pub fn keychain_waiting(ctx: &Ctx) -> Html {
    if !ctx.ui.status.as_ref().is_some_and(|s| s.keychain_waiting) {
        return html!();
    }
    html! {
        <aside id="keychain-waiting" class="update" role="status">
            <span class="update-text">{ ctx.text("keychain.waiting") }</span>
            <button id="keep-keys-in-memory" class="btn" onclick={ctx.callback(|| Action::KeepKeysInMemory)}>
                { ctx.text("keychain.continue_without") }
            </button>
        </aside>
    }
}

/// "Version 0.2.0 is ready": shown over every screen once an update is downloaded and
/// verified; it is installed only when the owner restarts.
pub fn update_ready(ctx: &Ctx) -> Html {
    let Some(update) = &ctx.ui.update else {
        return html!();
    };
    let installing = ctx.ui.installing_update;
    html! {
        <aside id="update-ready" class="update" role="status">
            <span class="update-text">{ ctx.t("update.ready").replace("{version}", &update.version) }</span>
            <button id="install-update" class="btn primary" disabled={installing}
                onclick={ctx.callback(|| Action::InstallUpdate)}>
                { if installing { html! { <span class="spinner" aria-hidden="true"></span> } } else { html!() } }
                { ctx.text(if installing { "update.installing" } else { "update.restart" }) }
            </button>
        </aside>
    }
}

pub fn toasts(ctx: &Ctx) -> Html {
    html! { <Toasts ui={ctx.ui.clone()} revision={ctx.revision} locale={ctx.locale} /> }
}
