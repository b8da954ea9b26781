//! Settings: the providers' keys, where they are kept, and the app's own update.

use ava_ipc::{FlagArgs, Provider, TwilioArgs, VapiKeyArgs, cmd};
use ava_model::VapiMethod;
use yew::prelude::*;

use super::{Action, busy, call, focus_on, reveal, succeeded, view_reply};
use crate::state::reducer::{Busy, Msg, Screen, ToastKind, ToastText, Ui};

pub(super) async fn save_vapi(ui: &UseReducerHandle<Ui>, key: String) {
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

pub(super) async fn save_twilio(ui: &UseReducerHandle<Ui>, args: TwilioArgs) {
    if busy::<cmd::SaveTwilio>(ui, Busy::Twilio, args).await {
        succeeded(ui, "toast.twilio_saved");
    }
}

pub(super) async fn keys_local_only(ui: &UseReducerHandle<Ui>, on: bool) {
    let deletes_copies = ui.view.as_ref().is_some_and(|v| v.keys_on_server);
    if on && deletes_copies && !ui.confirming_keys_local {
        ui.dispatch(Msg::ConfirmKeysLocal(true));
        focus_on("keys-local-confirm-no").await;
        return;
    }
    ui.dispatch(Msg::ConfirmKeysLocal(false));
    view_reply(ui, call::<cmd::SetKeysLocalOnly>(FlagArgs { on }).await);
}

pub(super) async fn open_privacy(ui: &UseReducerHandle<Ui>) {
    ui.dispatch(Msg::Screen(Screen::Settings(Provider::Vapi)));
    if ui.view.as_ref().is_some_and(|v| v.account_email.is_some()) {
        Box::pin(super::perform(ui, Action::LoadAccount)).await;
    }
    if let Some(setting) = reveal("usage-sharing", true).await
        && let Ok(input) = wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(setting)
    {
        let _ = input.focus();
    }
}

pub(super) async fn open_settings(ui: &UseReducerHandle<Ui>, section: Provider) {
    ui.dispatch(Msg::Screen(Screen::Settings(section)));
    if ui.view.as_ref().is_some_and(|v| v.account_email.is_some()) {
        Box::pin(super::perform(ui, Action::LoadAccount)).await;
    }
}

pub(super) async fn close_settings(ui: &UseReducerHandle<Ui>) {
    // Coming back re-reads the view, so steps 2, 4, 7 and 9 show fresh status.
    if let Ok(view) = call::<cmd::Load>(()).await {
        ui.dispatch(Msg::View(Box::new(view)));
    }
    ui.dispatch(Msg::Screen(Screen::Wizard));
}

pub(super) async fn install_update(ui: &UseReducerHandle<Ui>) {
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
