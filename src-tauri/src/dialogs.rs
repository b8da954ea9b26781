//! The system's dialogs, as the shell opens them for the core.

use std::path::PathBuf;

use tauri_plugin_dialog::DialogExt;

/// Where the owner chose to save a JSON file first named `name`; `None` when they closed the
/// dialog. The dialog answers on its own thread: the answer comes back through a channel.
pub async fn save_path(app: &tauri::AppHandle, name: &str) -> Option<PathBuf> {
    let (chosen, answer) = tokio::sync::oneshot::channel();
    app.dialog()
        .file()
        .set_file_name(name)
        .add_filter("JSON", &["json"])
        .save_file(move |path| {
            let _ = chosen.send(path.and_then(|p| p.into_path().ok()));
        });
    answer.await.ok().flatten()
}
