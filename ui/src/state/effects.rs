//! The actions: each calls the shell and dispatches what comes back to the reducer. The rules
//! behind them (what Skip records, which fields a command judges, where a test call stands)
//! are the core's and the IPC contract's; here they are only carried out.

use ava_ipc::{
    AssistantArgs, AssistantForm, CallMeArgs, ChatArgs, Command, CredentialsArgs, FieldEdit,
    FlagArgs, GoToArgs, Moved, Provider, SignOutArgs, TwilioArgs, UiError, UnsentEdits,
    VapiKeyArgs, WizardView, cmd,
};
use ava_model::{ErrorCode, Move, Step, VapiMethod};
use yew::prelude::*;

use super::reducer::{
    AccountPanel, Busy, Msg, ResetStage, Screen, SignOutStage, ToastKind, ToastText, Ui,
};
use crate::ipc;

pub enum Action {
    GoTo(Step),
    Back,
    Continue,
    SkipStep,
    /// A field edit, already recorded as typed.
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

async fn call<C: Command>(args: C::Args) -> Result<C::Reply, UiError> {
    ipc::call::<C>(&args).await
}

/// Runs an action: calls the shell and dispatches what comes back.
pub fn run(ui: UseReducerHandle<Ui>, action: Action) {
    wasm_bindgen_futures::spawn_local(async move { perform(&ui, action).await });
}

fn current_step(ui: &Ui) -> Step {
    ui.view.as_ref().map_or(Step::Profile, |v| v.step)
}

async fn perform(ui: &UseReducerHandle<Ui>, action: Action) {
    match action {
        Action::GoTo(step) => {
            go_to(ui, step, Move::Jump).await;
        }
        Action::Back => {
            go_to(ui, current_step(ui).previous(), Move::Jump).await;
        }
        Action::Continue => {
            let from = current_step(ui);
            if let Some(moved) = go_to(ui, from.next(), Move::Continue).await {
                crate::warn_incomplete(ui, &moved);
            }
        }
        Action::SkipStep => {
            go_to(ui, current_step(ui).next(), Move::Skip).await;
        }
        Action::Edit(edit) => edit_field(ui, edit).await,
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
        Action::KeepKeysInMemory => {
            if let Err(error) = call::<cmd::KeepKeysInMemory>(()).await {
                ui.dispatch(Msg::Toast(ToastKind::Danger, ToastText::Error(error)));
            }
        }
        Action::ShowAccount => {
            // Signing in again: as the account this draft belongs to, unless the user types
            // another address.
            if let Some(email) = ui.view.as_ref().and_then(|v| v.account_email.clone()) {
                ui.dispatch(Msg::Typed("email".into(), email));
                ui.dispatch(Msg::SignUpMode(false));
            }
            ui.dispatch(Msg::Screen(Screen::Account));
        }
        Action::SignOut(unsent) => {
            if unsent == UnsentEdits::SendFirst {
                ui.dispatch(Msg::SignOutStage(SignOutStage::Sending));
            }
            match call::<cmd::SignOut>(SignOutArgs { unsent }).await {
                Ok(view) => {
                    ui.dispatch(Msg::SignOutStage(SignOutStage::Idle));
                    ui.dispatch(Msg::View(Box::new(view)));
                    succeeded(ui, "toast.signed_out");
                }
                Err(error) if error.code == ErrorCode::UnsentEdits => {
                    ui.dispatch(Msg::SignOutStage(SignOutStage::Asking));
                    focus_on("unsent-send").await;
                }
                Err(error) => {
                    // Sending failed (the server is away): the question stays, with why.
                    let stage = if unsent == UnsentEdits::SendFirst {
                        SignOutStage::Asking
                    } else {
                        SignOutStage::Idle
                    };
                    ui.dispatch(Msg::SignOutStage(stage));
                    ui.dispatch(Msg::Toast(ToastKind::Danger, ToastText::Error(error)));
                }
            }
        }
        Action::StaySignedIn => ui.dispatch(Msg::SignOutStage(SignOutStage::Idle)),
        Action::SaveVapi(key) => {
            // The seed tells a key saved on step 2 from one saved in Settings.
            let method = match ui.screen {
                Screen::Settings(_) => VapiMethod::Settings,
                _ => VapiMethod::Inline,
            };
            let args = VapiKeyArgs {
                key: key.into(),
                method,
            };
            if busy::<cmd::SaveVapiKey>(ui, Busy::Vapi, args).await {
                succeeded(ui, "toast.vapi_saved");
            }
        }
        Action::DeleteVapi => {
            view_reply(ui, call::<cmd::DeleteVapiKey>(()).await);
        }
        Action::SaveTwilio(args) => {
            if busy::<cmd::SaveTwilio>(ui, Busy::Twilio, args).await {
                succeeded(ui, "toast.twilio_saved");
            }
        }
        Action::DeleteTwilio => {
            view_reply(ui, call::<cmd::DeleteTwilio>(()).await);
        }
        Action::KeysLocalOnly(on) => {
            let deletes_copies = ui.view.as_ref().is_some_and(|v| v.keys_on_server);
            if on && deletes_copies && !ui.confirming_keys_local {
                ui.dispatch(Msg::ConfirmKeysLocal(true));
                focus_on("keys-local-confirm-no").await;
                return;
            }
            ui.dispatch(Msg::ConfirmKeysLocal(false));
            view_reply(ui, call::<cmd::SetKeysLocalOnly>(FlagArgs { on }).await);
        }
        Action::KeepKeysOnServer => ui.dispatch(Msg::ConfirmKeysLocal(false)),
        Action::Flush => {
            if let Err(error) = call::<cmd::Flush>(()).await {
                ui.dispatch(Msg::Toast(ToastKind::Danger, ToastText::Error(error)));
            }
        }
        Action::UsageSharing(on) => {
            let reply = call::<cmd::SetUsageSharing>(FlagArgs { on });
            view_reply(ui, reply.await);
        }
        Action::OpenPrivacy => {
            ui.dispatch(Msg::Screen(Screen::Settings(Provider::Vapi)));
            if ui.view.as_ref().is_some_and(|v| v.account_email.is_some()) {
                Box::pin(perform(ui, Action::LoadAccount)).await;
            }
            if let Some(setting) = reveal("usage-sharing", true).await
                && let Ok(input) = wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(setting)
            {
                let _ = input.focus();
            }
        }
        Action::OpenSettings(section) => {
            ui.dispatch(Msg::Screen(Screen::Settings(section)));
            if ui.view.as_ref().is_some_and(|v| v.account_email.is_some()) {
                Box::pin(perform(ui, Action::LoadAccount)).await;
            }
        }
        Action::CloseSettings => {
            // Coming back re-reads the view, so steps 2, 4, 7 and 9 show fresh status.
            if let Ok(view) = call::<cmd::Load>(()).await {
                ui.dispatch(Msg::View(Box::new(view)));
            }
            ui.dispatch(Msg::Screen(Screen::Wizard));
        }
        Action::LoadAssistantDefaults => {
            if let Ok(defaults) = call::<cmd::AssistantDefaults>(()).await {
                ui.dispatch(Msg::Defaults(defaults));
            }
        }
        Action::CreateAssistant(form) => {
            ui.dispatch(Msg::Progress(None));
            if busy::<cmd::CreateAssistant>(ui, Busy::Assistant, AssistantArgs { form }).await {
                succeeded(ui, "toast.assistant_created");
            }
        }
        Action::Launch => {
            if busy::<cmd::Launch>(ui, Busy::Launch, ()).await {
                ui.dispatch(Msg::Screen(Screen::Home));
            } else {
                // Below the summary, maybe under the card's fold: brought up from below.
                reveal("launch-alert", false).await;
            }
        }
        Action::Change(step) => {
            ui.dispatch(Msg::Screen(Screen::Wizard));
            go_to(ui, step, Move::Jump).await;
        }
        Action::LoadChat => {
            if let Ok(chat) = call::<cmd::ChatSoFar>(()).await {
                ui.dispatch(Msg::Chat(chat));
            }
        }
        Action::SendChat(text) => {
            if ui.chat_busy {
                return;
            }
            ui.dispatch(Msg::ChatBusy(true));
            ui.dispatch(Msg::ClearField("chat".into()));
            ui.dispatch(Msg::ClearAlert("chat"));
            let reply = call::<cmd::Chat>(ChatArgs { text }).await;
            ui.dispatch(Msg::ChatBusy(false));
            match reply {
                Ok(chat) => {
                    ui.dispatch(Msg::Chat(chat));
                    ui.dispatch(Msg::Forget("chat"));
                }
                // What was typed stays, to be sent again.
                Err(error) if error.field.is_some() => ui.dispatch(Msg::FieldError(error)),
                Err(error) => ui.dispatch(Msg::Alert("chat", error)),
            }
        }
        Action::NewChat => {
            if let Ok(chat) = call::<cmd::NewChat>(()).await {
                ui.dispatch(Msg::Chat(chat));
            }
        }
        Action::RefreshCalls => {
            ui.dispatch(Msg::CallsLoading);
            ui.dispatch(Msg::Calls(call::<cmd::RecentCalls>(()).await));
        }
        Action::CallMe(number) => {
            if ui.calling {
                return;
            }
            ui.dispatch(Msg::ClearField(ava_ipc::CALL_TO_FIELD.into()));
            ui.dispatch(Msg::ClearAlert("call"));
            ui.dispatch(Msg::TestCall(None));
            ui.dispatch(Msg::Calling(true));
            match call::<cmd::CallMe>(CallMeArgs { number }).await {
                // The core follows the call from here ([`ava_ipc::TEST_CALL_EVENT`]).
                Ok(placed) => ui.dispatch(Msg::TestCall(Some(placed))),
                Err(error) if error.field.is_some() => ui.dispatch(Msg::FieldError(error)),
                Err(error) => ui.dispatch(Msg::Alert("call", error)),
            }
            ui.dispatch(Msg::Calling(false));
        }
        Action::AskReset(email) => {
            let args = ava_ipc::ResetRequestArgs { email };
            if busy_call::<cmd::AskPasswordReset>(ui, Busy::Reset, args)
                .await
                .is_some()
            {
                ui.dispatch(Msg::Reset(ResetStage::EnterCode));
                focus_on("code").await;
            }
        }
        Action::ResetPassword(args) => {
            if let Some(view) = busy_call::<cmd::ResetPassword>(ui, Busy::Reset, args).await {
                ui.dispatch(Msg::Reset(ResetStage::Off));
                ui.dispatch(Msg::View(Box::new(view)));
                ui.dispatch(Msg::Screen(Screen::Wizard));
                succeeded(ui, "toast.password_reset");
            }
        }
        Action::LoadAccount => match call::<cmd::AccountOverview>(()).await {
            Ok(account) => ui.dispatch(Msg::Account(Some(account))),
            Err(error) => ui.dispatch(Msg::Alert(Busy::AccountSettings.area(), error)),
        },
        Action::ChangePassword(args) => {
            if let Some(account) =
                busy_call::<cmd::ChangePassword>(ui, Busy::AccountSettings, args).await
            {
                ui.dispatch(Msg::Account(Some(account)));
                ui.dispatch(Msg::AccountPanel(None));
                succeeded(ui, "toast.password_changed");
            }
        }
        Action::SendEmailConfirmation => {
            if busy_call::<cmd::SendEmailConfirmation>(ui, Busy::AccountSettings, ())
                .await
                .is_some()
            {
                ui.dispatch(Msg::AccountPanel(Some(AccountPanel::ConfirmEmail {
                    to_new_address: false,
                })));
                focus_on("code").await;
            }
        }
        Action::ConfirmEmail(code) => {
            let args = ava_ipc::CodeArgs { code };
            if let Some(account) =
                busy_call::<cmd::ConfirmEmail>(ui, Busy::AccountSettings, args).await
            {
                ui.dispatch(Msg::Account(Some(account)));
                ui.dispatch(Msg::AccountPanel(None));
                ui.dispatch(Msg::Forget("code"));
                succeeded(ui, "toast.email_confirmed");
            }
        }
        Action::ChangeEmail(args) => {
            if busy_call::<cmd::ChangeEmail>(ui, Busy::AccountSettings, args)
                .await
                .is_some()
            {
                ui.dispatch(Msg::AccountPanel(Some(AccountPanel::ConfirmEmail {
                    to_new_address: true,
                })));
                focus_on("code").await;
            }
        }
        Action::EndSignIns(id) => {
            let args = ava_ipc::EndSignInsArgs { id };
            if let Some(account) =
                busy_call::<cmd::EndSignIns>(ui, Busy::AccountSettings, args).await
            {
                ui.dispatch(Msg::Account(Some(account)));
                succeeded(ui, "toast.signed_out_elsewhere");
            }
        }
        Action::ExportAccount => {
            if let Some(saved) =
                busy_call::<cmd::ExportAccount>(ui, Busy::AccountSettings, ()).await
                && saved.path.is_some()
            {
                succeeded(ui, "toast.exported");
            }
        }
        Action::DeleteAccount(args) => {
            if let Some(view) =
                busy_call::<cmd::DeleteAccount>(ui, Busy::AccountSettings, args).await
            {
                ui.dispatch(Msg::AccountPanel(None));
                ui.dispatch(Msg::Account(None));
                ui.dispatch(Msg::View(Box::new(view)));
                ui.dispatch(Msg::SignUpMode(true));
                ui.dispatch(Msg::Screen(Screen::Account));
                succeeded(ui, "toast.account_deleted");
            }
        }
        Action::InstallUpdate => {
            ui.dispatch(Msg::InstallingUpdate(true));
            let installed = match call::<cmd::Flush>(()).await {
                Ok(()) => call::<cmd::InstallUpdate>(()).await,
                Err(error) => Err(error),
            };
            // Success restarts the app; only a failure comes back.
            if let Err(error) = installed {
                ui.dispatch(Msg::InstallingUpdate(false));
                ui.dispatch(Msg::Toast(ToastKind::Danger, ToastText::Error(error)));
            }
        }
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

async fn go_to(ui: &UseReducerHandle<Ui>, step: Step, how: Move) -> Option<Moved> {
    match call::<cmd::GoTo>(GoToArgs { step, how }).await {
        Ok(moved) => {
            ui.dispatch(Msg::View(Box::new(moved.view.clone())));
            if step == Step::Assistant {
                Box::pin(perform(ui, Action::LoadAssistantDefaults)).await;
                Box::pin(perform(ui, Action::LoadChat)).await;
            }
            Some(moved)
        }
        Err(error) => {
            ui.dispatch(Msg::Toast(ToastKind::Danger, ToastText::Error(error)));
            None
        }
    }
}

/// A field edit through `C` (`update_profile` or `update_studio`).
async fn edit_field(ui: &UseReducerHandle<Ui>, edit: FieldEdit) {
    let field = edit.field_name();
    match call::<cmd::Edit>(edit).await {
        Ok(view) => {
            ui.dispatch(Msg::ClearField(field.to_owned()));
            ui.dispatch(Msg::View(Box::new(view)));
        }
        Err(mut error) => {
            error.field.get_or_insert_with(|| field.to_owned());
            ui.dispatch(Msg::FieldError(error));
        }
    }
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
    match busy_reply::<C>(ui, what, args).await {
        Ok(reply) => Some(reply),
        Err(error) if error.field.is_some() => {
            ui.dispatch(Msg::FieldError(error));
            None
        }
        Err(error) => {
            ui.dispatch(Msg::Alert(what.area(), error));
            None
        }
    }
}

/// Calls `C` with its button busy; on success what was said at the fields it judges goes, and
/// the secrets among them leave the window.
async fn busy_reply<C: Command>(
    ui: &UseReducerHandle<Ui>,
    what: Busy,
    args: C::Args,
) -> Result<C::Reply, UiError> {
    ui.dispatch(Msg::Busy(Some(what)));
    ui.dispatch(Msg::ClearAlert(what.area()));
    let reply = call::<C>(args).await;
    ui.dispatch(Msg::Busy(None));
    if reply.is_ok() {
        for field in C::CHECKS {
            ui.dispatch(Msg::ClearField((*field).to_owned()));
            if ava_model::SECRET_INPUTS.contains(field) {
                ui.dispatch(Msg::Forget(field));
            }
        }
    }
    if let Err(error) = &reply
        && error.field.is_some()
        && what.fields_elsewhere()
    {
        ui.dispatch(Msg::Alert(what.area(), error.clone()));
    }
    reply
}
