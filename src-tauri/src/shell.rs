//! What the commands share with start-up: the core the window works through, when the
//! process started, and the one way events reach the window.

use ava_core::Onboarding;
use tauri::Emitter;

/// The app's state, managed by Tauri: the core every command delegates to.
pub struct Shell {
    pub core: Onboarding,
}

/// When the process started, for the "wizard ready" log line.
pub static STARTED: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

/// Sends the window one event, typed by its declaration in `ava_ipc::event`. A window that is
/// gone (closing) cannot hear it; nothing else can fail here.
pub fn emit<E: ava_ipc::Event, R: tauri::Runtime>(app: &tauri::AppHandle<R>, payload: &E::Payload) {
    if let Err(error) = app.emit(E::NAME, payload) {
        log::debug!("the window did not take {}: {error}", E::NAME);
    }
}

/// The core's watch streams, as events the UI listens to.
pub fn forward_events(handle: &tauri::AppHandle, core: &Onboarding) {
    use ava_ipc::event;
    let mut status = core.status();
    let to_ui = handle.clone();
    tauri::async_runtime::spawn(async move {
        while status.changed().await.is_ok() {
            let view = status.borrow().clone();
            emit::<event::SyncStatus, _>(&to_ui, &view);
        }
    });
    let mut test_call = core.test_call();
    let to_ui = handle.clone();
    tauri::async_runtime::spawn(async move {
        while test_call.changed().await.is_ok() {
            let update = test_call.borrow().clone();
            if let Some(update) = update {
                emit::<event::TestCall, _>(&to_ui, &update);
            }
        }
    });
    let mut pulled = core.pulled();
    let to_ui = handle.clone();
    let from_core = core.clone();
    tauri::async_runtime::spawn(async move {
        while pulled.changed().await.is_ok() {
            let (fields, completed) = {
                let pulled = pulled.borrow();
                (pulled.fields.clone(), pulled.completed)
            };
            let view = ava_ipc::PulledView {
                view: from_core.view(),
                fields,
                completed,
                assistant: from_core.assistant_defaults(),
            };
            emit::<event::DraftPulled, _>(&to_ui, &view);
        }
    });
    let mut progress = core.provision_progress();
    let to_ui = handle.clone();
    tauri::async_runtime::spawn(async move {
        while progress.changed().await.is_ok() {
            let view = progress
                .borrow()
                .as_ref()
                .map(ava_core::view::assistant_view);
            emit::<event::ProvisionProgress, _>(&to_ui, &view);
        }
    });
}
