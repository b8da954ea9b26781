//! The actions: each calls the shell and dispatches what comes back to the reducer. The rules
//! behind them (what Skip records, which fields a command judges, where a test call stands)
//! are the core's and the IPC contract's; here they are only carried out. [`perform`] routes
//! an action; what takes more than a call lives with its family: moving through the wizard
//! (`wizard.rs`), the account (`account.rs`), keys and settings (`settings.rs`), the studio
//! home (`studio.rs`).

use ava_ipc::{
    AssistantForm, Command, CredentialsArgs, FieldEdit, FlagArgs, Provider, TwilioArgs, UiError,
    UnsentEdits, WizardView, cmd,
};
use ava_model::{Move, Step};
use yew::prelude::*;

use super::reducer::{Busy, Msg, Screen, SignOutStage, ToastKind, ToastText, Ui};
use crate::ipc;

mod account;
mod settings;
mod studio;
mod wizard;

pub enum Action {
    GoTo(Step),
    Back,
    Continue,
    SkipStep,
    /// The one-field patch the rules made of what was typed (already kept as typed).
    Edit(FieldEdit),
    SignUp(CredentialsArgs),
    SignIn(CredentialsArgs),
    ContinueOffline,
    /// Stop waiting for the keychain: keys kept in memory for this run.
    KeepKeysInMemory,
    ShowAccount,
    /// Sign out, with what to do about edits the server does not have yet.
    SignOut(UnsentEdits),
    /// Closes the question about unsent edits, still signed in.
    StaySignedIn,
    SaveVapi(String),
    DeleteVapi,
    SaveTwilio(TwilioArgs),
    DeleteTwilio,
    KeysLocalOnly(bool),
    /// The user said no to deleting the server's copies.
    KeepKeysOnServer,
    /// "Share onboarding usage with the Ava team".
    UsageSharing(bool),
    /// Write the draft now (a field of it lost focus).
    Flush,
    /// Settings, at that setting (from the account screen's note).
    OpenPrivacy,
    OpenSettings(Provider),
    CloseSettings,
    LoadAssistantDefaults,
    CreateAssistant(AssistantForm),
    Launch,
    /// From the studio home back to one step of the wizard.
    Change(Step),
    /// "Restart to update": the draft is written first, then the update installed.
    InstallUpdate,
    LoadChat,
    SendChat(String),
    NewChat,
    RefreshCalls,
    /// Ava calls this number; its progress is followed until the call ends.
    CallMe(String),
    /// "Forgot your password?": a code to this address.
    AskReset(String),
    ResetPassword(ava_ipc::ResetArgs),
    /// Settings' Account section is shown: its figures are read from the server.
    LoadAccount,
    ChangePassword(ava_ipc::PasswordChangeArgs),
    /// A code to confirm the account's address.
    SendEmailConfirmation,
    ConfirmEmail(String),
    ChangeEmail(ava_ipc::EmailChangeArgs),
    /// One other computer's sign-in, or (`None`) every other one.
    EndSignIns(Option<String>),
    ExportAccount,
    DeleteAccount(ava_ipc::DeleteAccountArgs),
}

fn call<C: Command>(args: C::Args) -> ipc::Reply<C::Reply> {
    ipc::call::<C>(&args)
}

/// Runs an action: calls the shell and dispatches what comes back.
pub fn run(ui: UseReducerHandle<Ui>, action: Action) {
    wasm_bindgen_futures::spawn_local(async move { perform(&ui, action).await });
}

async fn perform(ui: &UseReducerHandle<Ui>, action: Action) {
    match action {
        Action::GoTo(step) => {
            wizard::go_to(ui, step, Move::Jump).await;
        }
        Action::Back => {
            wizard::go_to(ui, wizard::current_step(ui).previous(), Move::Jump).await;
        }
        Action::Continue => wizard::continue_from_here(ui).await,
        Action::SkipStep => {
            wizard::go_to(ui, wizard::current_step(ui).next(), Move::Skip).await;
        }
        Action::Change(step) => {
            ui.dispatch(Msg::Screen(Screen::Wizard));
            wizard::go_to(ui, step, Move::Jump).await;
        }
        Action::Edit(edit) => wizard::edit_field(ui, edit).await,
        Action::Flush => {
            if let Err(error) = call::<cmd::Flush>(()).await {
                ui.dispatch(Msg::Toast(ToastKind::Danger, ToastText::Error(error)));
            }
        }
        Action::LoadAssistantDefaults => wizard::load_assistant_defaults(ui).await,
        Action::CreateAssistant(form) => wizard::create_assistant(ui, form).await,
        Action::Launch => wizard::launch(ui).await,

        Action::SignUp(args) => {
            if busy::<cmd::SignUp>(ui, Busy::Account, args).await {
                ui.dispatch(Msg::Screen(Screen::Wizard));
            }
        }
        Action::SignIn(args) => {
            if busy::<cmd::SignIn>(ui, Busy::Account, args).await {
                ui.dispatch(Msg::Screen(Screen::Wizard));
            }
        }
        Action::ContinueOffline => {
            if view_reply(ui, call::<cmd::ContinueOffline>(()).await) {
                ui.dispatch(Msg::Screen(Screen::Wizard));
            }
        }
        Action::ShowAccount => account::show_account(ui),
        Action::SignOut(unsent) => account::sign_out(ui, unsent).await,
        Action::StaySignedIn => ui.dispatch(Msg::SignOutStage(SignOutStage::Idle)),
        Action::AskReset(email) => account::ask_reset(ui, email).await,
        Action::ResetPassword(args) => account::reset_password(ui, args).await,
        Action::LoadAccount => account::load_account(ui).await,
        Action::ChangePassword(args) => account::change_password(ui, args).await,
        Action::SendEmailConfirmation => account::send_email_confirmation(ui).await,
        Action::ConfirmEmail(code) => account::confirm_email(ui, code).await,
        Action::ChangeEmail(args) => account::change_email(ui, args).await,
        Action::EndSignIns(id) => account::end_sign_ins(ui, id).await,
        Action::ExportAccount => account::export_account(ui).await,
        Action::DeleteAccount(args) => account::delete_account(ui, args).await,

        Action::KeepKeysInMemory => {
            if let Err(error) = call::<cmd::KeepKeysInMemory>(()).await {
                ui.dispatch(Msg::Toast(ToastKind::Danger, ToastText::Error(error)));
            }
        }
        Action::SaveVapi(key) => settings::save_vapi(ui, key).await,
        Action::DeleteVapi => {
            view_reply(ui, call::<cmd::DeleteVapiKey>(()).await);
        }
        Action::SaveTwilio(args) => settings::save_twilio(ui, args).await,
        Action::DeleteTwilio => {
            view_reply(ui, call::<cmd::DeleteTwilio>(()).await);
        }
        Action::KeysLocalOnly(on) => settings::keys_local_only(ui, on).await,
        Action::KeepKeysOnServer => ui.dispatch(Msg::ConfirmKeysLocal(false)),
        Action::UsageSharing(on) => {
            view_reply(ui, call::<cmd::SetUsageSharing>(FlagArgs { on }).await);
        }
        Action::OpenPrivacy => settings::open_privacy(ui).await,
        Action::OpenSettings(section) => settings::open_settings(ui, section).await,
        Action::CloseSettings => settings::close_settings(ui).await,
        Action::InstallUpdate => settings::install_update(ui).await,

        Action::LoadChat => {
            if let Ok(chat) = call::<cmd::ChatSoFar>(()).await {
                ui.dispatch(Msg::Chat(chat));
            }
        }
        Action::SendChat(text) => studio::send_chat(ui, text).await,
        Action::NewChat => {
            if let Ok(chat) = call::<cmd::NewChat>(()).await {
                ui.dispatch(Msg::Chat(chat));
            }
        }
        Action::RefreshCalls => {
            ui.dispatch(Msg::CallsLoading);
            ui.dispatch(Msg::Calls(call::<cmd::RecentCalls>(()).await));
        }
        Action::CallMe(number) => studio::call_me(ui, number).await,
    }
}

/// Scrolls the element with this id into view (at the top or the bottom of what is shown)
/// once what was just dispatched is drawn (Yew renders on a microtask; a timeout runs after it).
async fn reveal(id: &str, to_top: bool) -> Option<web_sys::Element> {
    gloo_timers::future::TimeoutFuture::new(0).await;
    let element = web_sys::window()?.document()?.get_element_by_id(id)?;
    element.scroll_into_view_with_bool(to_top);
    Some(element)
}

/// Moves focus to the element `id` once it is drawn (a question that just appeared).
async fn focus_on(id: &str) {
    if let Some(element) = reveal(id, false).await
        && let Ok(element) = wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(element)
    {
        let _ = element.focus();
    }
}

fn succeeded(ui: &UseReducerHandle<Ui>, key: &'static str) {
    ui.dispatch(Msg::Toast(ToastKind::Success, ToastText::Key(key)));
}

/// Applies a reply that carries a new view; an error goes to its field or to a toast.
fn view_reply(ui: &UseReducerHandle<Ui>, reply: Result<WizardView, UiError>) -> bool {
    apply_reply(ui, reply, |error| {
        Msg::Toast(ToastKind::Danger, ToastText::Error(error))
    })
}

/// A new view, or the error at its field, or (without a field) where `elsewhere` puts it.
fn apply_reply(
    ui: &UseReducerHandle<Ui>,
    reply: Result<WizardView, UiError>,
    elsewhere: impl FnOnce(UiError) -> Msg,
) -> bool {
    match reply {
        Ok(view) => {
            ui.dispatch(Msg::View(Box::new(view)));
            true
        }
        Err(error) if error.field.is_some() => {
            ui.dispatch(Msg::FieldError(error));
            false
        }
        Err(error) => {
            ui.dispatch(elsewhere(error));
            false
        }
    }
}

/// A long action, command `C`: the button shows progress; errors land at their field or in
/// the area. Once it succeeds, what was said at the fields it judges goes, and the secrets
/// among them leave the window.
async fn busy<C: Command<Reply = WizardView>>(
    ui: &UseReducerHandle<Ui>,
    what: Busy,
    args: C::Args,
) -> bool {
    let reply = busy_reply::<C>(ui, what, args).await;
    apply_reply(ui, reply, |error| Msg::Alert(what.area(), error))
}

/// [`busy`] for a command whose reply is not the view: the reply, or `None` once its error is
/// shown at its field or in the area.
async fn busy_call<C: Command>(
    ui: &UseReducerHandle<Ui>,
    what: Busy,
    args: C::Args,
) -> Option<C::Reply> {
    let reply = busy_reply::<C>(ui, what, args).await;
    reply.map_err(|error| busy_error(ui, what, error)).ok()
}

/// A busy command's error: at its field, or in the command's area.
fn busy_error(ui: &UseReducerHandle<Ui>, what: Busy, error: UiError) {
    if error.field.is_some() {
        ui.dispatch(Msg::FieldError(error));
    } else {
        ui.dispatch(Msg::Alert(what.area(), error));
    }
}

/// Calls `C` with its button busy; on success what was said at the fields it judges goes, and
/// the secrets among them leave the window.
fn busy_reply<C: Command>(
    ui: &UseReducerHandle<Ui>,
    what: Busy,
    args: C::Args,
) -> ipc::Reply<C::Reply> {
    busy_start(ui, what);
    let ui = ui.clone();
    call::<C>(args).settled(move |error| busy_end(&ui, what, C::CHECKS, error))
}

// The two halves every command shares, compiled once rather than once per command.
fn busy_start(ui: &UseReducerHandle<Ui>, what: Busy) {
    ui.dispatch(Msg::Busy(Some(what)));
    ui.dispatch(Msg::ClearAlert(what.area()));
}

fn busy_end(
    ui: &UseReducerHandle<Ui>,
    what: Busy,
    checks: &[ava_model::FieldName],
    error: Option<&UiError>,
) {
    ui.dispatch(Msg::Busy(None));
    match error {
        None => {
            for &field in checks {
                ui.dispatch(Msg::ClearField(field));
                if field.is_secret() {
                    ui.dispatch(Msg::Forget(field));
                }
            }
        }
        Some(error) if error.field.is_some() && what.fields_elsewhere() => {
            ui.dispatch(Msg::Alert(what.area(), error.clone()));
        }
        Some(_) => {}
    }
}
