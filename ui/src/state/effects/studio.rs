//! The studio home: talking to Ava and the test call.

use ava_ipc::{CallMeArgs, ChatArgs, cmd};
use ava_model::FormField;
use yew::prelude::*;

use super::call;
use crate::state::reducer::{Msg, Ui};

pub(super) async fn send_chat(ui: &UseReducerHandle<Ui>, text: String) {
    if ui.chat_busy {
        return;
    }
    ui.dispatch(Msg::ChatBusy(true));
    ui.dispatch(Msg::ClearField(FormField::Chat.into()));
    ui.dispatch(Msg::ClearAlert("chat"));
    let reply = call::<cmd::Chat>(ChatArgs { text }).await;
    ui.dispatch(Msg::ChatBusy(false));
    match reply {
        Ok(chat) => {
            ui.dispatch(Msg::Chat(chat));
            ui.dispatch(Msg::Forget(FormField::Chat.into()));
        }
        // What was typed stays, to be sent again.
        Err(error) if error.field.is_some() => ui.dispatch(Msg::FieldError(error)),
        Err(error) => ui.dispatch(Msg::Alert("chat", error)),
    }
}

pub(super) async fn call_me(ui: &UseReducerHandle<Ui>, number: String) {
    if ui.calling {
        return;
    }
    ui.dispatch(Msg::ClearField(FormField::CallTo.into()));
    ui.dispatch(Msg::ClearAlert("call"));
    ui.dispatch(Msg::TestCall(None));
    ui.dispatch(Msg::Calling(true));
    match call::<cmd::CallMe>(CallMeArgs { number }).await {
        // The core follows the call from here ([`ava_ipc::event::TestCall`]).
        Ok(placed) => ui.dispatch(Msg::TestCall(Some(placed))),
        Err(error) if error.field.is_some() => ui.dispatch(Msg::FieldError(error)),
        Err(error) => ui.dispatch(Msg::Alert("call", error)),
    }
    ui.dispatch(Msg::Calling(false));
}
