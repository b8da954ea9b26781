//! The draft on disk, crash-safe. Each save writes a temporary file in the same folder,
//! fsyncs it, keeps the current file as the previous good copy (a hard link, so the current
//! file never disappears), renames the new file over the current one and fsyncs the folder.
//! At every instant `draft.json` is a complete old or new draft. A file that cannot be read is
//! set aside (renamed, never overwritten) and reported; the previous good copy is used then.
//!
//! tauri-plugin-store is not used for this: it truncates its file in place and starts empty
//! on a file it cannot parse (plugins-workspace#3085).

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::rules::state::Draft;

/// The format written today. Older formats are upgraded on load by [`upgrade`].
pub const FORMAT: u32 = 3;

#[derive(Serialize)]
struct EnvelopeOut<'a> {
    format: u32,
    saved_at: chrono::DateTime<chrono::Utc>,
    draft: &'a Draft,
}

#[derive(Deserialize)]
struct EnvelopeIn {
    format: u32,
    draft: Value,
}

#[derive(Debug, thiserror::Error)]
pub enum DraftError {
    #[error("could not save the draft in {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("could not read the draft folder {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// What happened at load, for the UI to say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadNote {
    /// No draft yet: a fresh start.
    Fresh,
    Loaded,
    /// The draft could not be read; it was moved to `set_aside` and the previous good copy
    /// was used instead (the last edits before the damage may be missing).
    RecoveredFromPrevious {
        set_aside: PathBuf,
        reason: String,
    },
    /// Neither copy could be read; both were moved aside and the wizard starts empty.
    Unrecoverable {
        set_aside: Vec<PathBuf>,
        reason: String,
    },
}

impl LoadNote {
    /// What the window says once at start about how the draft was loaded.
    pub fn notice(&self) -> Option<ava_model::UiError> {
        match self {
            LoadNote::Fresh | LoadNote::Loaded => None,
            LoadNote::RecoveredFromPrevious { set_aside, .. } => Some(ava_model::UiError::new(
                ava_model::ErrorCode::DraftRecovered,
                format!(
                    "Your last draft could not be read and was kept at {}; the previous copy was restored.",
                    set_aside.display()
                ),
            )),
            LoadNote::Unrecoverable { set_aside, .. } => Some(ava_model::UiError::new(
                ava_model::ErrorCode::DraftUnreadable,
                format!(
                    "Your draft could not be read; it was kept at {:?}. The wizard starts empty.",
                    set_aside
                ),
            )),
        }
    }
}

pub struct DraftFile {
    dir: PathBuf,
}

impl DraftFile {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn path(&self) -> PathBuf {
        self.dir.join("draft.json")
    }

    fn previous(&self) -> PathBuf {
        self.dir.join("draft.previous.json")
    }

    pub fn load(&self) -> Result<(Draft, LoadNote), DraftError> {
        private_dir(&self.dir).map_err(|source| DraftError::Read {
            path: self.dir.clone(),
            source,
        })?;
        let current = self.path();
        let previous = self.previous();
        match read_draft(&current) {
            Ok(Some(draft)) => return Ok((draft, LoadNote::Loaded)),
            Ok(None) => {}
            Err(reason) => {
                let set_aside = self.set_aside(&current);
                return Ok(match read_draft(&previous) {
                    Ok(Some(draft)) => {
                        (draft, LoadNote::RecoveredFromPrevious { set_aside, reason })
                    }
                    _ => {
                        let mut both = vec![set_aside];
                        if previous.exists() {
                            both.push(self.set_aside(&previous));
                        }
                        (
                            Draft::default(),
                            LoadNote::Unrecoverable {
                                set_aside: both,
                                reason,
                            },
                        )
                    }
                });
            }
        }
        // No current file: a fresh start, unless a previous copy survived on its own.
        match read_draft(&previous) {
            Ok(Some(draft)) => Ok((draft, LoadNote::Loaded)),
            _ => Ok((Draft::default(), LoadNote::Fresh)),
        }
    }

    fn set_aside(&self, path: &Path) -> PathBuf {
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("draft");
        let target = self.dir.join(format!("{name}.unreadable-{stamp}"));
        if let Err(error) = fs::rename(path, &target) {
            tracing::error!(%error, path = %path.display(), "could not set the unreadable draft aside");
        }
        target
    }

    /// Writes `draft` durably. Returns the number of bytes written.
    pub fn save(&self, draft: &Draft) -> Result<usize, DraftError> {
        let wrap = |source| DraftError::Write {
            path: self.dir.clone(),
            source,
        };
        let bytes = serde_json::to_vec(&EnvelopeOut {
            format: FORMAT,
            saved_at: chrono::Utc::now(),
            draft,
        })
        .map_err(|e| wrap(std::io::Error::other(e)))?;
        private_dir(&self.dir).map_err(wrap)?;
        let current = self.path();
        let temp = self
            .dir
            .join(format!("draft.json.tmp-{}", std::process::id()));
        {
            let mut file = private_file(&temp).map_err(wrap)?;
            file.write_all(&bytes).map_err(wrap)?;
            file.sync_all().map_err(wrap)?;
        }
        if current.exists() {
            let previous_temp = self
                .dir
                .join(format!("draft.previous.json.tmp-{}", std::process::id()));
            let _ = fs::remove_file(&previous_temp);
            fs::hard_link(&current, &previous_temp).map_err(wrap)?;
            fs::rename(&previous_temp, self.previous()).map_err(wrap)?;
        }
        fs::rename(&temp, &current).map_err(wrap)?;
        sync_dir(&self.dir).map_err(wrap)?;
        Ok(bytes.len())
    }
}

/// The draft says who the business is and what it is building: the folder and the files are
/// the OS user's alone (0700 and 0600 on Unix, whatever the umask).
fn private_dir(dir: &Path) -> std::io::Result<()> {
    fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

fn private_file(path: &Path) -> std::io::Result<File> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> std::io::Result<()> {
    // Windows has no directory fsync; NTFS journals the rename itself.
    Ok(())
}

/// `Ok(None)` when the file does not exist; `Err(reason)` when it exists but is not a draft.
fn read_draft(path: &Path) -> Result<Option<Draft>, String> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.to_string()),
    };
    let envelope: EnvelopeIn =
        serde_json::from_slice(&bytes).map_err(|e| format!("not a draft: {e}"))?;
    let value = upgrade(envelope.format, envelope.draft)?;
    serde_json::from_value(value)
        .map(Some)
        .map_err(|e| format!("draft fields: {e}"))
}

/// Brings an older draft up to [`FORMAT`], one version at a time.
pub fn upgrade(format: u32, mut draft: Value) -> Result<Value, String> {
    if format > FORMAT {
        return Err(format!(
            "written by a newer Ava (format {format}); update the app"
        ));
    }
    if format < 2 {
        // Format 1 kept the step as its 0-based index; format 2 names it.
        if let Some(index) = draft.get("step").and_then(Value::as_u64) {
            let step = ava_model::Step::ALL
                .get(index as usize)
                .copied()
                .unwrap_or_default();
            draft["step"] = serde_json::to_value(step).unwrap_or(Value::Null);
        }
    }
    if format < 3 {
        // Format 2 kept step 7's choices beside the studio config; format 3 keeps them in it,
        // queued for the server, so every computer of the account builds the same assistant.
        let choices = draft
            .as_object_mut()
            .and_then(|d| d.remove("assistant_choices"));
        for (old, new) in [
            ("name", "assistant_name"),
            ("voice_id", "assistant_voice_id"),
            ("first_message", "assistant_first_message"),
            ("instructions", "assistant_instructions"),
        ] {
            if let Some(chosen @ Value::String(_)) = choices.as_ref().and_then(|c| c.get(old)) {
                draft["studio"][new] = chosen.clone();
                draft["outbox"]["studio"][new] = chosen.clone();
            }
        }
    }
    Ok(draft)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Edit;
    use ava_model::{ProfilePatch, Step};
    use serde_json::json;

    fn named(name: &str) -> Draft {
        let mut draft = Draft::default();
        draft.apply(Edit::Profile(
            ProfilePatch::from_json(&json!({"full_name": name})).unwrap(),
        ));
        draft
    }

    #[cfg(unix)]
    #[test]
    fn the_folder_and_the_files_are_the_users_alone() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("app");
        fs::create_dir_all(&folder).unwrap();
        fs::set_permissions(&folder, fs::Permissions::from_mode(0o755)).unwrap();
        let file = DraftFile::new(&folder);
        file.save(&named("one")).unwrap();
        file.save(&named("two")).unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&folder), 0o700);
        assert_eq!(mode(&file.path()), 0o600);
        assert_eq!(mode(&file.previous()), 0o600);
    }

    #[test]
    fn save_then_load_and_keep_the_previous_copy() {
        let dir = tempfile::tempdir().unwrap();
        let file = DraftFile::new(dir.path());
        assert_eq!(file.load().unwrap(), (Draft::default(), LoadNote::Fresh));
        file.save(&named("one")).unwrap();
        file.save(&named("two")).unwrap();
        assert_eq!(file.load().unwrap(), (named("two"), LoadNote::Loaded));
        assert_eq!(read_draft(&file.previous()).unwrap(), Some(named("one")));
        let leftovers: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name())
            .collect();
        assert_eq!(leftovers.len(), 2, "no temp files left: {leftovers:?}");
    }

    /// A draft file with "two" saved over "one" (so the previous copy holds "one").
    fn saved_one_then_two() -> (tempfile::TempDir, DraftFile) {
        let dir = tempfile::tempdir().unwrap();
        let file = DraftFile::new(dir.path());
        file.save(&named("one")).unwrap();
        file.save(&named("two")).unwrap();
        (dir, file)
    }

    #[test]
    fn an_unreadable_draft_is_set_aside_and_the_previous_copy_used() {
        let (_dir, file) = saved_one_then_two();
        fs::write(file.path(), b"\0\0\0\0").unwrap();
        let (draft, note) = file.load().unwrap();
        assert_eq!(draft, named("one"));
        let LoadNote::RecoveredFromPrevious { set_aside, .. } = note else {
            panic!("{note:?}")
        };
        assert_eq!(
            fs::read(&set_aside).unwrap(),
            b"\0\0\0\0",
            "the damaged file is kept, not overwritten"
        );
    }

    #[test]
    fn nothing_readable_starts_empty_but_keeps_both_files() {
        let (_dir, file) = saved_one_then_two();
        fs::write(file.path(), b"{}}").unwrap();
        fs::write(file.previous(), b"").unwrap();
        let (draft, note) = file.load().unwrap();
        assert_eq!(draft, Draft::default());
        let LoadNote::Unrecoverable { set_aside, .. } = note else {
            panic!("{note:?}")
        };
        assert_eq!(set_aside.len(), 2);
        assert!(set_aside.iter().all(|p| p.exists()));
    }

    #[test]
    fn older_formats_are_upgraded_and_newer_ones_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = DraftFile::new(dir.path());
        fs::write(
            file.path(),
            json!({"format": 1, "draft": {"step": 4}}).to_string(),
        )
        .unwrap();
        assert_eq!(file.load().unwrap().0.step, Step::Telephony);
        let mut format_2 = serde_json::to_value(Draft::default()).unwrap();
        format_2["assistant_choices"] =
            json!({"name": "Maya", "instructions": "Only book cleanings.", "first_message": null});
        fs::write(
            file.path(),
            json!({"format": 2, "draft": format_2}).to_string(),
        )
        .unwrap();
        let upgraded = file.load().unwrap().0;
        let chosen = upgraded.studio.assistant_choices();
        assert_eq!(chosen.name.as_deref(), Some("Maya"));
        assert_eq!(chosen.instructions.as_deref(), Some("Only book cleanings."));
        assert_eq!(chosen.first_message, None, "still follows the wizard");
        assert_eq!(
            upgraded.outbox.studio.field_names(),
            ["assistant_name", "assistant_instructions"],
            "queued for the server, so the other computers build the same assistant"
        );
        fs::write(file.path(), json!({"format": 99, "draft": {}}).to_string()).unwrap();
        let (_, note) = file.load().unwrap();
        assert!(
            matches!(note, LoadNote::Unrecoverable { ref reason, .. } if reason.contains("newer Ava")),
            "{note:?}"
        );
    }

    #[test]
    fn no_secret_shaped_field_exists_in_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = DraftFile::new(dir.path());
        let mut draft = named("Ann");
        draft.vapi_key_preview = Some("****1234".into());
        file.save(&draft).unwrap();
        let text = fs::read_to_string(file.path()).unwrap();
        for word in ["vapi_api_key", "auth_token", "access_token", "password"] {
            assert!(!text.contains(word), "{word} in the draft: {text}");
        }
    }
}
