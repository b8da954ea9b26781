//! The draft survives SIGKILL at any moment: a writer process makes an edit every 2 ms through
//! the autosaver and is killed at a random point, 200 times. After each kill the draft must
//! load as written (never damaged, never recovered from the previous copy) and hold every edit
//! the autosaver had reported durable before the kill. The assertion is on what was
//! acknowledged, not on a clock, so it holds on a busy machine; how soon an edit becomes durable
//! (within 0.5 s) is measured by `tests/bench-core.sh`.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;

use ava_core::draft::{DraftFile, LoadNote};
use rand::Rng;

const TRIALS: usize = 200;

/// A line of the writer: an edit applied, or every edit up to this one durable.
enum Line {
    Applied(u64),
    Saved(u64),
}

fn line(text: &str) -> Option<Line> {
    match text.strip_prefix("saved ") {
        Some(n) => n.parse().ok().map(Line::Saved),
        None => text.parse().ok().map(Line::Applied),
    }
}

/// The number of the newest edit the draft holds (edits alternate between two fields).
fn newest_edit(draft: &ava_core::Draft) -> u64 {
    let name = draft.profile.full_name.as_ref().map(|n| n.as_str());
    let job = draft.studio.job_to_be_done.as_ref().map(|j| j.as_str());
    [name, job]
        .into_iter()
        .flatten()
        .filter_map(|s| s.rsplit(' ').next().and_then(|n| n.parse().ok()))
        .max()
        .unwrap_or(0)
}

#[test]
fn sigkill_at_random_moments_never_loses_an_acknowledged_edit() {
    let mut rng = rand::thread_rng();
    let mut killed_with_unsaved_edits = 0;
    let mut checked_edits = 0;
    for trial in 0..TRIALS {
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_ava-draft-writer"))
            .arg(dir.path())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            for text in BufReader::new(stdout).lines() {
                let Ok(text) = text else { break };
                if let Some(line) = line(&text)
                    && tx.send(line).is_err()
                {
                    break;
                }
            }
        });
        // Kill once the writer reports a random number of edits: from the first few
        // milliseconds to well past several saves.
        let kill_after: u64 = rng.gen_range(1..=400);
        let (mut applied, mut must_hold) = (0, 0);
        while let Ok(line) = rx.recv() {
            match line {
                Line::Applied(n) => applied = n,
                Line::Saved(n) => must_hold = n,
            }
            if applied >= kill_after {
                break;
            }
        }
        child.kill().unwrap();
        child.wait().unwrap();
        // What the writer said before the kill: its last words may still be in the pipe.
        reader.join().unwrap();
        while let Ok(line) = rx.try_recv() {
            match line {
                Line::Applied(n) => applied = applied.max(n),
                Line::Saved(n) => must_hold = must_hold.max(n),
            }
        }
        if applied > must_hold {
            killed_with_unsaved_edits += 1;
        }
        checked_edits += must_hold;
        let (draft, note) = DraftFile::new(dir.path()).load().unwrap();
        assert!(
            note == LoadNote::Loaded || (note == LoadNote::Fresh && must_hold == 0),
            "trial {trial}: the draft did not load cleanly: {note:?}"
        );
        let held = newest_edit(&draft);
        assert!(
            held >= must_hold,
            "trial {trial}: killed after edit {kill_after}; the draft holds edit {held} but edit {must_hold} had been reported durable"
        );
    }
    assert!(
        killed_with_unsaved_edits > 0,
        "some kills came while edits were still unsaved"
    );
    assert!(
        checked_edits > 0,
        "some edits were old enough to be required"
    );
}
