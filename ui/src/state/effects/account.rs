//! Signing in and out, a forgotten password, and Settings' Account section.

use ava_ipc::{SignOutArgs, UnsentEdits, cmd};
use ava_model::{ErrorCode, FormField};
use yew::prelude::*;

use super::{busy_call, call, focus_on, succeeded};
use crate::state::reducer::{
    AccountPanel, Busy, Msg, ResetStage, Screen, SignOutStage, ToastKind, ToastText, Ui,
};

pub(super) async fn sign_out(ui: &UseReducerHandle<Ui>, unsent: UnsentEdits) {
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

pub(super) fn show_account(ui: &UseReducerHandle<Ui>) {
    // Signing in again: as the account this draft belongs to, unless the user types
    // another address.
    if let Some(email) = ui.view.as_ref().and_then(|v| v.account_email.clone()) {
        ui.dispatch(Msg::Typed(FormField::Email.into(), email));
        ui.dispatch(Msg::SignUpMode(false));
    }
    ui.dispatch(Msg::Screen(Screen::Account));
}

pub(super) async fn ask_reset(ui: &UseReducerHandle<Ui>, email: String) {
    let args = ava_ipc::ResetRequestArgs { email };
    if busy_call::<cmd::AskPasswordReset>(ui, Busy::Reset, args)
        .await
        .is_some()
    {
        ui.dispatch(Msg::Reset(ResetStage::EnterCode));
        focus_on("code").await;
    }
}

pub(super) async fn reset_password(ui: &UseReducerHandle<Ui>, args: ava_ipc::ResetArgs) {
    if let Some(view) = busy_call::<cmd::ResetPassword>(ui, Busy::Reset, args).await {
        ui.dispatch(Msg::Reset(ResetStage::Off));
        ui.dispatch(Msg::View(Box::new(view)));
        ui.dispatch(Msg::Screen(Screen::Wizard));
        succeeded(ui, "toast.password_reset");
    }
}

pub(super) async fn load_account(ui: &UseReducerHandle<Ui>) {
    match call::<cmd::AccountOverview>(()).await {
        Ok(account) => ui.dispatch(Msg::Account(Some(account))),
        Err(error) => ui.dispatch(Msg::Alert(Busy::AccountSettings.area(), error)),
    }
}

pub(super) async fn change_password(ui: &UseReducerHandle<Ui>, args: ava_ipc::PasswordChangeArgs) {
    if let Some(account) = busy_call::<cmd::ChangePassword>(ui, Busy::AccountSettings, args).await {
        ui.dispatch(Msg::Account(Some(account)));
        ui.dispatch(Msg::AccountPanel(None));
        succeeded(ui, "toast.password_changed");
    }
}

pub(super) async fn send_email_confirmation(ui: &UseReducerHandle<Ui>) {
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

pub(super) async fn confirm_email(ui: &UseReducerHandle<Ui>, code: String) {
    let args = ava_ipc::CodeArgs { code };
    if let Some(account) = busy_call::<cmd::ConfirmEmail>(ui, Busy::AccountSettings, args).await {
        ui.dispatch(Msg::Account(Some(account)));
        ui.dispatch(Msg::AccountPanel(None));
        ui.dispatch(Msg::Forget(FormField::Code.into()));
        succeeded(ui, "toast.email_confirmed");
    }
}

pub(super) async fn change_email(ui: &UseReducerHandle<Ui>, args: ava_ipc::EmailChangeArgs) {
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

pub(super) async fn end_sign_ins(ui: &UseReducerHandle<Ui>, id: Option<String>) {
    let args = ava_ipc::EndSignInsArgs { id };
    if let Some(account) = busy_call::<cmd::EndSignIns>(ui, Busy::AccountSettings, args).await {
        ui.dispatch(Msg::Account(Some(account)));
        succeeded(ui, "toast.signed_out_elsewhere");
    }
}

pub(super) async fn export_account(ui: &UseReducerHandle<Ui>) {
    if let Some(saved) = busy_call::<cmd::ExportAccount>(ui, Busy::AccountSettings, ()).await
        && saved.path.is_some()
    {
        succeeded(ui, "toast.exported");
    }
}

pub(super) async fn delete_account(ui: &UseReducerHandle<Ui>, args: ava_ipc::DeleteAccountArgs) {
    if let Some(view) = busy_call::<cmd::DeleteAccount>(ui, Busy::AccountSettings, args).await {
        ui.dispatch(Msg::AccountPanel(None));
        ui.dispatch(Msg::Account(None));
        ui.dispatch(Msg::View(Box::new(view)));
        ui.dispatch(Msg::SignUpMode(true));
        ui.dispatch(Msg::Screen(Screen::Account));
        succeeded(ui, "toast.account_deleted");
    }
}
