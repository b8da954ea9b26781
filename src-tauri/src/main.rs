//! Ava Desktop: the Tauri shell. It opens the core, forwards its sync status and the
//! assistant's creation progress as events and registers the commands; every command is a
//! few lines over `ava_core::Onboarding`.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod dialogs;
mod shell;
mod updates;

/// The shell's commands, listed once: registered with Tauri, and (in the test below) compared
/// with the commands `ava-ipc` declares.
macro_rules! registered {
    ($($then:tt)+) => {
        $($then)+![
            commands::load,
            commands::edit,
            commands::go_to,
            commands::flush,
            commands::sign_up,
            commands::sign_in,
            commands::sign_out,
            commands::continue_offline,
            commands::keep_keys_in_memory,
            commands::save_vapi_key,
            commands::delete_vapi_key,
            commands::save_twilio,
            commands::delete_twilio,
            commands::set_keys_local_only,
            commands::set_usage_sharing,
            commands::assistant_defaults,
            commands::create_assistant,
            commands::launch,
            commands::ready,
            commands::pending_update,
            commands::install_update,
            commands::chat,
            commands::chat_so_far,
            commands::new_chat,
            commands::is_open_now,
            commands::recent_calls,
            commands::call_me,
            commands::ask_password_reset,
            commands::reset_password,
            commands::account_overview,
            commands::change_password,
            commands::send_email_confirmation,
            commands::confirm_email,
            commands::change_email,
            commands::end_sign_ins,
            commands::export_account,
            commands::delete_account,
        ]
    };
}

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ava_core::{CoreConfig, Onboarding};
use shell::{STARTED, Shell, forward_events};
use tauri::Manager;

/// `--data-dir DIR` (or `AVA_DATA_DIR`) puts the draft and preferences elsewhere than the
/// OS's app-data folder: the end-to-end tests and benchmarks run each app in its own.
fn data_dir_override() -> Option<PathBuf> {
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--data-dir" {
            return args.next().map(PathBuf::from);
        }
    }
    env("AVA_DATA_DIR").map(PathBuf::from)
}

fn single_instance(
    config: &tauri::Config,
    data_dir: Option<&std::path::Path>,
) -> tauri::plugin::TauriPlugin<tauri::Wry> {
    let builder = tauri_plugin_single_instance::Builder::new().callback(|app, _args, _cwd| {
        if let Some(window) = app.get_webview_window("main") {
            let _ = window.unminimize();
            let _ = window.set_focus();
        }
    });
    match data_dir {
        Some(dir) => {
            let folder = ava_core::folder_digest(dir);
            builder.dbus_id(format!("{}.folder{folder:016x}", config.identifier))
        }
        None => builder,
    }
    .build()
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// WebKitGTK (Linux) paints the page's tiles with Skia on the GPU by default; on the CPU it
/// paints this window as fast and holds ~40 MiB less: without a GPU (Mesa's llvmpipe) each
/// shader the page needs is compiled into the web process, and the GPU path keeps buffers of
/// its own (bench-app: 321 → 279 MiB, start-up unchanged). Layers are still composited on the
/// GPU. It also avoids the drivers on which the GPU path draws an empty window.
#[cfg(target_os = "linux")]
fn prefer_cpu_painting() {
    // Not overwriting: a user who set the variable, to `0` included, keeps their choice. Sound
    // only before any thread exists (setenv is not thread-safe): the first thing main does.
    // The web process inherits it when WebKit spawns it.
    let _ = glib::setenv("WEBKIT_SKIA_ENABLE_CPU_RENDERING", "1", false);
}

/// Windows draws the window with the WebView2 runtime, which Windows 11 ships and the
/// installers bring on Windows 10 (NSIS/MSI bootstrapper). Without it, Tauri would fail deep in
/// window creation with a COM error; this says what is missing, and exits with status 1.
#[cfg(windows)]
fn require_webview2() {
    if let Err(error) = tauri::webview_version() {
        eprintln!(
            "Ava could not start: the WebView2 runtime was not found ({error}). Install \
             Microsoft Edge WebView2 (the Evergreen runtime) and start Ava again."
        );
        std::process::exit(1);
    }
}

fn main() {
    STARTED.get_or_init(std::time::Instant::now);
    #[cfg(target_os = "linux")]
    prefer_cpu_painting();
    #[cfg(windows)]
    require_webview2();
    let context = tauri::generate_context!();
    let self_updating = updates::configured(context.config());
    let data_dir = data_dir_override();
    let mut builder = tauri::Builder::default();
    if self_updating {
        builder = builder.plugin(tauri_plugin_updater::Builder::new().build());
    }
    builder
        // First: a second launch focuses the running window instead of opening a second
        // wizard over the same draft. One instance per data folder: an app started on a
        // folder of its own (`--data-dir`) has its own draft and never hands over to another.
        .plugin(single_instance(context.config(), data_dir.as_deref()))
        .plugin(
            tauri_plugin_log::Builder::new()
                .level(log::LevelFilter::Info)
                .build(),
        )
        .plugin(tauri_plugin_dialog::init())
        .invoke_handler(registered!(tauri::generate_handler))
        .setup(move |app| {
            let data_dir = match data_dir.clone() {
                Some(dir) => dir,
                None => app.path().app_data_dir()?,
            };
            let config = CoreConfig {
                vapi_base_url: env("VAPI_BASE_URL"),
                twilio_base_url: env("TWILIO_BASE_URL"),
                request_timeout: Duration::from_secs(15),
                provider_timeout: Duration::from_secs(20),
                // Tests ask for what was saved elsewhere more often than the owner's 30 s.
                pull_every: env("AVA_PULL_EVERY_MS")
                    .and_then(|ms| ms.parse().ok())
                    .map_or(
                        Duration::from_secs(ava_core::PULL_EVERY_SECONDS),
                        Duration::from_millis,
                    ),
                ..CoreConfig::new(
                    data_dir.clone(),
                    // A release build talks to the production API unless told otherwise.
                    &env("AVA_API_URL").unwrap_or_else(|| {
                        if cfg!(debug_assertions) {
                            ava_core::DEVELOPMENT_API_URL.into()
                        } else {
                            ava_core::PRODUCTION_API_URL.into()
                        }
                    }),
                )
            };
            // The keychain service name; tests give each run its own.
            let keychain =
                env("AVA_KEYCHAIN_SERVICE").unwrap_or_else(|| app.config().identifier.clone());
            // The keychain is probed on a thread of its own: a locked keyring's password prompt
            // can wait a minute, and the window must not (it says the keychain waits instead).
            let (opening, settled) = ava_core::secrets::OpeningKeychain::start(move || {
                ava_core::secrets::Keychain::open(&keychain)
                    .map(|k| Arc::new(k) as Arc<dyn ava_core::secrets::SecretStore>)
            });
            // A keychain that answers at once is settled before the first screen.
            opening.wait_settled(Duration::from_millis(KEYCHAIN_AT_ONCE_MS));
            let opened = tauri::async_runtime::block_on(async {
                Onboarding::open_while_keychain_opens(config, opening, settled)
            })
            .map_err(|e| e.to_string())?;
            let core = opened.onboarding;
            // TZ, when set, is the zone this process lives in (POSIX); the OS setting otherwise.
            let os_zone = env("TZ")
                .map(|z| z.trim_start_matches(':').to_owned())
                .or_else(|| iana_time_zone::get_timezone().ok());
            let os_locale = sys_locale::get_locale().unwrap_or_default();
            core.fill_os_defaults(os_zone.as_deref(), &os_locale);
            forward_events(app.handle(), &core);
            app.manage(Shell { core });
            app.manage(updates::Updates::default());
            if self_updating {
                updates::start(app.handle());
            }
            log::info!("Ava is ready");
            Ok(())
        })
        .on_window_event(|window, event| {
            let Some(shell) = window.try_state::<Shell>() else {
                return;
            };
            match event {
                // Quitting saves at once.
                tauri::WindowEvent::CloseRequested { .. } => {
                    let _ = shell.core.flush();
                }
                // Back at the window: what another computer saved meanwhile is asked for.
                tauri::WindowEvent::Focused(true) => shell.core.window_focused(),
                _ => {}
            }
        })
        .run(context)
        .unwrap_or_else(|error| {
            eprintln!("Ava could not start: {error}");
            std::process::exit(1);
        });
}

/// How long start-up waits for the keychain before drawing the window anyway (a keychain that
/// needs its password prompt then shows "waiting" in the window).
const KEYCHAIN_AT_ONCE_MS: u64 = 500;

#[cfg(test)]
mod tests {
    /// The names of the listed functions.
    macro_rules! names {
        ($(commands::$f:ident),* $(,)?) => {
            [$(stringify!($f)),*]
        };
    }

    #[test]
    fn every_declared_command_is_registered_and_nothing_else() {
        let mut registered: Vec<&str> = registered!(names).to_vec();
        let mut declared: Vec<&str> = ava_ipc::cmd::ALL.to_vec();
        registered.sort_unstable();
        declared.sort_unstable();
        assert_eq!(registered, declared);
    }
}
