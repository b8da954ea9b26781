//! Ava Desktop: the Tauri shell. It opens the core, forwards its sync status as an event and
//! registers the commands; every command is a few lines over `ava_core::Onboarding`.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;

use std::time::Duration;

use ava_core::{CoreConfig, Onboarding};
use tauri::{Emitter, Manager};

pub struct Shell {
    pub core: Onboarding,
    pub notices: Vec<ava_ipc::UiError>,
}

fn main() {
    tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![
            commands::load,
            commands::update_profile,
            commands::update_studio,
            commands::go_to,
            commands::flush,
        ])
        .setup(|app| {
            let data_dir = app.path().app_data_dir()?;
            let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
            let config = CoreConfig {
                vapi_base_url: env("VAPI_BASE_URL"),
                twilio_base_url: env("TWILIO_BASE_URL"),
                request_timeout: Duration::from_secs(15),
                ..CoreConfig::new(
                    data_dir,
                    &env("AVA_API_URL").unwrap_or_else(|| "http://127.0.0.1:8000".into()),
                )
            };
            let identifier = app.config().identifier.clone();
            let (secrets, keychain_problem) = ava_core::secrets::open_secret_store(&identifier);
            let opened = tauri::async_runtime::block_on(async {
                Onboarding::open(config, secrets, keychain_problem)
            })
            .map_err(|e| e.to_string())?;
            let mut notices = Vec::new();
            if let Some(problem) = &opened.keychain_problem {
                notices.push(ava_ipc::UiError::new(problem.code, problem.message.clone()));
            }
            if let Some(notice) = commands::load_notice(&opened.load_note) {
                notices.push(notice);
            }
            let mut status = opened.onboarding.status();
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move {
                while status.changed().await.is_ok() {
                    let view = commands::status_view(&status.borrow());
                    let _ = handle.emit(ava_ipc::SYNC_STATUS_EVENT, view);
                }
            });
            app.manage(Shell {
                core: opened.onboarding,
                notices,
            });
            Ok(())
        })
        .on_window_event(|window, event| {
            // Quitting saves at once.
            if let tauri::WindowEvent::CloseRequested { .. } = event
                && let Some(shell) = window.try_state::<Shell>()
            {
                let _ = shell.core.flush();
            }
        })
        .run(tauri::generate_context!())
        .unwrap_or_else(|error| {
            eprintln!("Ava could not start: {error}");
            std::process::exit(1);
        });
}
