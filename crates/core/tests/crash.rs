//! The draft survives SIGKILL at any moment: a writer process makes an edit every 2 ms through
//! the autosaver and is killed at a random point, 200 times. After each kill the draft must
//! load as written (never damaged, never recovered from the previous copy) and hold every edit
//! made more than 0.5 s before the kill.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use ava_core::draft::{DraftFile, LoadNote};
use rand::Rng;

const TRIALS: usize = 200;
const DURABLE_AFTER: Duration = Duration::from_millis(500);

/// The number of the newest edit the draft holds (edits alternate between two fields).
fn newest_edit(draft: &ava_core::Draft) -> u64 {
    let name = draft
        .profile
        .full_name
        .as_ref()
        .map(|n| n.as_str().to_owned())
        .unwrap_or_default();
    let job = draft
        .studio
        .job_to_be_done
        .as_ref()
        .map(|j| j.as_str().to_owned())
        .unwrap_or_default();
    [name, job]
        .iter()
        .filter_map(|s| s.rsplit(' ').next().and_then(|n| n.parse().ok()))
        .max()
        .unwrap_or(0)
}

#[test]
fn sigkill_at_random_moments_never_loses_an_edit_older_than_half_a_second() {
    let mut rng = rand::thread_rng();
    let mut longest_run = Duration::ZERO;
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
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Ok(n) = line.parse::<u64>()
                    && tx.send((n, Instant::now())).is_err()
                {
                    break;
                }
            }
        });
        // Kill once the writer reports a random number of edits: from the first few
        // milliseconds to well past the half-second mark.
        let kill_after: u64 = rng.gen_range(1..=400);
        let mut applied = Vec::new();
        let started = Instant::now();
        while let Ok((n, at)) = rx.recv() {
            applied.push((n, at));
            if n >= kill_after {
                break;
            }
        }
        let killed_at = Instant::now();
        child.kill().unwrap();
        child.wait().unwrap();
        reader.join().unwrap();
        longest_run = longest_run.max(killed_at - started);

        let must_hold = applied
            .iter()
            .filter(|(_, at)| killed_at.duration_since(*at) > DURABLE_AFTER)
            .map(|(n, _)| *n)
            .max()
            .unwrap_or(0);
        checked_edits += must_hold;
        let (draft, note) = DraftFile::new(dir.path()).load().unwrap();
        assert!(
            note == LoadNote::Loaded || (note == LoadNote::Fresh && must_hold == 0),
            "trial {trial}: the draft did not load cleanly: {note:?}"
        );
        let held = newest_edit(&draft);
        assert!(
            held >= must_hold,
            "trial {trial}: killed after edit {kill_after}; the draft holds edit {held} but edit {must_hold} was over 0.5 s old"
        );
    }
    assert!(
        longest_run > DURABLE_AFTER,
        "some trials ran long enough for the 0.5 s rule to bite"
    );
    assert!(
        checked_edits > 0,
        "some edits were old enough to be required"
    );
}
