//! Moving through the wizard, editing its fields, step 7's assistant and Launch.

use ava_ipc::{AssistantArgs, AssistantForm, FieldEdit, GoToArgs, Moved, cmd};
use ava_model::{FieldName, Move, Step};
use yew::prelude::*;

use super::{Action, busy, call, reveal, succeeded};
use crate::state::reducer::{Busy, Msg, Screen, ToastKind, ToastText, Ui};

pub(super) fn current_step(ui: &Ui) -> Step {
    ui.view.as_ref().map_or(Step::Profile, |v| v.step)
}

/// Shows the toast for leaving a step with fields missing.
fn warn_incomplete(ui: &UseReducerHandle<Ui>, left_incomplete: Vec<FieldName>) {
    if !left_incomplete.is_empty() {
        ui.dispatch(Msg::Toast(
            ToastKind::Warning,
            ToastText::Incomplete(left_incomplete),
        ));
    }
}

pub(super) async fn continue_from_here(ui: &UseReducerHandle<Ui>) {
    let from = current_step(ui);
    if let Some(left_incomplete) = go_to(ui, from.next(), Move::Continue).await {
        warn_incomplete(ui, left_incomplete);
    }
}

pub(super) async fn create_assistant(ui: &UseReducerHandle<Ui>, form: AssistantForm) {
    ui.dispatch(Msg::Progress(None));
    if busy::<cmd::CreateAssistant>(ui, Busy::Assistant, AssistantArgs { form }).await {
        succeeded(ui, "toast.assistant_created");
    }
}

pub(super) async fn launch(ui: &UseReducerHandle<Ui>) {
    if busy::<cmd::Launch>(ui, Busy::Launch, ()).await {
        ui.dispatch(Msg::Screen(Screen::Home));
    } else {
        // Below the summary, maybe under the card's fold: brought up from below.
        reveal("launch-alert", false).await;
    }
}

pub(super) async fn load_assistant_defaults(ui: &UseReducerHandle<Ui>) {
    if let Ok(defaults) = call::<cmd::AssistantDefaults>(()).await {
        ui.dispatch(Msg::Defaults(defaults));
    }
}

/// Moves to `step`; once there, the fields left incomplete on the way.
pub(super) async fn go_to(
    ui: &UseReducerHandle<Ui>,
    step: Step,
    how: Move,
) -> Option<Vec<FieldName>> {
    match call::<cmd::GoTo>(GoToArgs { step, how }).await {
        Ok(Moved {
            view,
            left_incomplete,
        }) => {
            ui.dispatch(Msg::View(Box::new(view)));
            if step == Step::Assistant {
                Box::pin(super::perform(ui, Action::LoadAssistantDefaults)).await;
                Box::pin(super::perform(ui, Action::LoadChat)).await;
            }
            Some(left_incomplete)
        }
        Err(error) => {
            ui.dispatch(Msg::Toast(ToastKind::Danger, ToastText::Error(error)));
            None
        }
    }
}

/// Sends an edit: what was said at its field goes once the shell has it; if the shell could not
/// take it (a window and a shell of different builds), why is said at the field.
pub(super) async fn edit_field(ui: &UseReducerHandle<Ui>, edit: FieldEdit) {
    let field = edit.field();
    match call::<cmd::Edit>(edit).await {
        Ok(view) => {
            if let Some(field) = field {
                ui.dispatch(Msg::ClearField(field));
            }
            ui.dispatch(Msg::View(Box::new(view)));
        }
        Err(mut error) => {
            error.field = error.field.or(field);
            ui.dispatch(Msg::FieldError(error));
        }
    }
}
