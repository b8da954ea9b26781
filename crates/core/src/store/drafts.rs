//! The draft store: the one copy of the draft in memory, saved by its autosaver, and the
//! drafts other accounts left on this computer. Nothing else holds the draft.
//!
//! The window's edits change whatever draft is shown ([`DraftStore::edit`]). Work done for a
//! session (a sync round, provisioning, the live assistant) goes through
//! [`DraftStore::edit_in`] and [`DraftStore::read_in`], which refuse it once that session has
//! ended: the store moves to a new session's epoch in the same step as it swaps the drafts
//! ([`DraftStore::enter`]), under its lock, so no check can pass for one account and the work
//! then land in another's draft.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::rules::state::Draft;
use crate::store::autosave::Autosaver;
use crate::store::draft::{DraftError, DraftFile, LoadNote};
use crate::store::session::{Session, SessionError};

struct Held {
    /// The session the draft belongs to now.
    epoch: u64,
    draft: Draft,
}

pub struct DraftStore {
    held: Mutex<Held>,
    autosaver: Autosaver,
    dir: PathBuf,
    /// Views built so far: each takes the next number while it holds the draft.
    views_built: AtomicU64,
}

/// Earlier builds kept "Continue offline" in the shell's own `ui-preferences.json`
/// (tauri-plugin-store) beside the draft; the draft holds it now. Without this, an owner who
/// worked offline would meet the account screen again after the update. Returns the old file
/// when it said anything, to be removed once the draft is saved.
fn adopt_shell_preferences(dir: &Path, draft: &mut Draft) -> Option<PathBuf> {
    let old_file = dir.join("ui-preferences.json");
    let bytes = std::fs::read(&old_file).ok()?;
    let preferences: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    if preferences.get("continued_offline") == Some(&serde_json::Value::Bool(true)) {
        draft.entered_offline = true;
    }
    Some(old_file)
}

impl DraftStore {
    /// The draft of `dir` (a fresh one if there is none), owned by the first session.
    pub fn open(dir: &Path) -> Result<(Self, LoadNote), DraftError> {
        let file = DraftFile::new(dir);
        let (mut draft, note) = file.load()?;
        if let Some(old_file) = adopt_shell_preferences(dir, &mut draft) {
            // The old file goes only once the draft that holds the choice is on disk; a draft
            // that cannot be written now must not stop the app from opening (the choice is
            // then adopted again at the next start).
            if file.save(&draft).is_ok() {
                let _ = std::fs::remove_file(old_file);
            }
        }
        Ok((
            Self {
                held: Mutex::new(Held { epoch: 1, draft }),
                autosaver: Autosaver::start(file, None),
                dir: dir.to_owned(),
                views_built: AtomicU64::new(0),
            },
            note,
        ))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Held> {
        self.held.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Reads the draft shown now.
    pub fn read<T>(&self, f: impl FnOnce(&Draft) -> T) -> T {
        f(&self.lock().draft)
    }

    /// Changes the draft shown now; it is on disk within half a second.
    pub fn edit<T>(&self, f: impl FnOnce(&mut Draft) -> T) -> T {
        let mut held = self.lock();
        let result = f(&mut held.draft);
        self.autosaver.changed(&held.draft);
        result
    }

    /// Reads the draft of `session`, unless that session has ended.
    pub fn read_in<T>(
        &self,
        session: &Session,
        f: impl FnOnce(&Draft) -> T,
    ) -> Result<T, SessionError> {
        let held = self.lock();
        if held.epoch != session.epoch() {
            return Err(SessionError::Ended);
        }
        Ok(f(&held.draft))
    }

    /// Changes the draft of `session`, unless that session has ended.
    pub fn edit_in<T>(
        &self,
        session: &Session,
        f: impl FnOnce(&mut Draft) -> T,
    ) -> Result<T, SessionError> {
        let mut held = self.lock();
        if held.epoch != session.epoch() {
            return Err(SessionError::Ended);
        }
        let result = f(&mut held.draft);
        self.autosaver.changed(&held.draft);
        Ok(result)
    }

    /// Reads the draft with the next view number, taken under the draft's lock: of two views,
    /// the higher number never shows the older draft.
    pub fn numbered<T>(&self, f: impl FnOnce(&Draft, u64) -> T) -> T {
        let held = self.lock();
        let number = self.views_built.fetch_add(1, Ordering::Relaxed) + 1;
        f(&held.draft, number)
    }

    /// Moves the store to the session `epoch`, changing the draft in the same step (an account
    /// switch sets one account's draft aside and takes the other's back). Saved at once.
    pub fn enter(
        &self,
        epoch: u64,
        change: impl FnOnce(&mut Draft) -> Result<(), DraftError>,
    ) -> Result<(), DraftError> {
        {
            let mut held = self.lock();
            change(&mut held.draft)?;
            held.epoch = epoch;
            self.autosaver.changed(&held.draft);
        }
        self.flush()
    }

    /// Writes the draft now (blur, quit, a step change) and waits for the disk.
    pub fn flush(&self) -> Result<(), DraftError> {
        self.autosaver.flush().map_err(|message| DraftError::Write {
            path: self.dir.clone(),
            source: std::io::Error::other(message),
        })
    }

    fn stash_file(&self, account_id: i64) -> DraftFile {
        DraftFile::new(self.dir.join("accounts").join(account_id.to_string()))
    }

    /// Keeps an account's draft aside while another account uses this computer.
    pub fn stash(&self, account_id: i64, draft: &Draft) -> Result<(), DraftError> {
        self.stash_file(account_id).save(draft).map(|_| ())
    }

    /// Removes what an account left here (its account is gone).
    pub fn forget_stash(&self, account_id: i64) {
        let file = self.stash_file(account_id);
        let _ = std::fs::remove_dir_all(file.dir());
    }

    /// The draft an account left here, taken back (the stash is removed once in use).
    pub fn unstash(&self, account_id: i64) -> Result<Option<Draft>, DraftError> {
        let file = self.stash_file(account_id);
        if !file.path().exists() {
            return Ok(None);
        }
        let (draft, _) = file.load()?;
        let _ = std::fs::remove_dir_all(file.dir());
        Ok(Some(draft))
    }
}
