//! The commands: take the state, call the core, map the error to `{code, message, field?}`.

use ava_core::draft::LoadNote;
use ava_core::{CoreError, SyncStatus};
use ava_ipc::{GoToArgs, StatusView, UiError, WizardView};
use serde_json::Value;
use tauri::State;

use crate::Shell;

fn ui(error: CoreError) -> UiError {
    error.to_ui()
}

pub fn status_view(status: &SyncStatus) -> StatusView {
    StatusView {
        state: serde_json::to_value(status.state)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
        pending: status.pending,
        keychain_persistent: status.keychain_persistent,
        error: status.error.clone(),
        refused: status.refused.clone(),
    }
}

pub fn load_notice(note: &LoadNote) -> Option<UiError> {
    match note {
        LoadNote::Fresh | LoadNote::Loaded => None,
        LoadNote::RecoveredFromPrevious { set_aside, .. } => Some(UiError::new(
            "draft_recovered",
            format!(
                "Your last draft could not be read and was kept at {}; the previous copy was restored.",
                set_aside.display()
            ),
        )),
        LoadNote::Unrecoverable { set_aside, .. } => Some(UiError::new(
            "draft_unreadable",
            format!(
                "Your draft could not be read; it was kept at {:?}. The wizard starts empty.",
                set_aside
            ),
        )),
    }
}

fn view(shell: &Shell) -> WizardView {
    let draft = shell.core.snapshot();
    WizardView {
        step: draft.step,
        profile: draft.profile,
        studio: draft.studio,
        flags: draft.flags,
        completed: draft.completed,
        vapi_key_preview: draft.vapi_key_preview,
        status: status_view(&shell.core.status().borrow()),
        notices: shell.notices.clone(),
    }
}

#[tauri::command]
pub fn load(shell: State<'_, Shell>) -> WizardView {
    view(&shell)
}

#[tauri::command]
pub fn update_profile(shell: State<'_, Shell>, patch: Value) -> Result<WizardView, UiError> {
    shell.core.update_profile(&patch).map_err(ui)?;
    Ok(view(&shell))
}

#[tauri::command]
pub fn update_studio(shell: State<'_, Shell>, patch: Value) -> Result<WizardView, UiError> {
    shell.core.update_studio(&patch).map_err(ui)?;
    Ok(view(&shell))
}

#[tauri::command]
pub fn go_to(shell: State<'_, Shell>, args: GoToArgs) -> Result<WizardView, UiError> {
    shell.core.go_to(args.step).map_err(ui)?;
    Ok(view(&shell))
}

#[tauri::command]
pub fn flush(shell: State<'_, Shell>) -> Result<(), UiError> {
    shell.core.flush().map_err(ui)
}
