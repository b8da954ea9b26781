//! Applies numbered edits to a draft through the autosaver, one every `PACE`, printing each
//! number once applied (`N`) and once durable on disk (`saved N`: that edit and every one
//! before it), until it is killed. The SIGKILL test and the draft benchmark run it.
//!
//! Usage: `ava-draft-writer DIR [max_edits]`; with `max_edits` it flushes, prints save
//! statistics as JSON and exits.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ava_core::autosave::{Autosaver, SaveReport};
use ava_core::draft::DraftFile;
use ava_core::state::Edit;
use ava_model::{ProfilePatch, StudioPatch};
use serde_json::json;

const PACE: Duration = Duration::from_millis(2);

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next() else {
        eprintln!("usage: ava-draft-writer DIR [max_edits]");
        std::process::exit(2);
    };
    let max: Option<u64> = args.next().and_then(|n| n.parse().ok());
    let reports: Arc<Mutex<Vec<SaveReport>>> = Arc::default();
    let sink = reports.clone();
    let file = DraftFile::new(dir);
    let mut draft = file.load().map(|(draft, _)| draft).unwrap_or_default();
    let saver = Autosaver::start(
        file,
        Some(Arc::new(move |r| {
            if let Ok(r) = r {
                let _ = writeln!(std::io::stdout().lock(), "saved {}", r.edits);
                sink.lock().unwrap_or_else(|p| p.into_inner()).push(r);
            }
        })),
    );
    let stdout = std::io::stdout();
    let mut n: u64 = 0;
    while max.is_none_or(|max| n < max) {
        n += 1;
        let edit = if n.is_multiple_of(3) {
            Edit::Studio(
                StudioPatch::from_json(
                    &json!({"job_to_be_done": format!("answer calls, edit {n}")}),
                )
                .unwrap_or_default(),
            )
        } else {
            Edit::Profile(
                ProfilePatch::from_json(&json!({"full_name": format!("edit {n}")}))
                    .unwrap_or_default(),
            )
        };
        draft.apply(edit);
        saver.changed(&draft);
        let _ = writeln!(stdout.lock(), "{n}");
        std::thread::sleep(PACE);
    }
    if let Err(error) = saver.flush() {
        eprintln!("flush failed: {error}");
        std::process::exit(1);
    }
    drop(saver);
    let reports = reports.lock().unwrap_or_else(|p| p.into_inner());
    let stats: Vec<_> = reports
        .iter()
        .map(|r| json!({"bytes": r.bytes, "write_us": r.write_time.as_micros() as u64, "age_us": r.oldest_edit_age.as_micros() as u64}))
        .collect();
    println!("{}", json!({"edits": n, "saves": stats}));
}
