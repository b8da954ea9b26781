//! The empty app: one window, one command, the same "ready" line as Ava Desktop.

use std::sync::OnceLock;
use std::time::Instant;

static STARTED: OnceLock<Instant> = OnceLock::new();

#[tauri::command]
fn ready() {
    let ms = STARTED.get().map_or(0, |t| t.elapsed().as_millis());
    println!("ready {ms} ms after start");
}

fn main() {
    STARTED.get_or_init(Instant::now);
    tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![ready])
        .run(tauri::generate_context!())
        .unwrap_or_else(|e| eprintln!("{e}"));
}
