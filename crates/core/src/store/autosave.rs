//! Debounced, durable saving of the draft on a thread of its own. A save happens once edits
//! pause for [`QUIET`], and never later than [`MAX_DELAY`] after the oldest unsaved edit, so
//! even continuous typing is on disk within half a second. `flush` saves at once (step change,
//! blur, quit) and waits for the disk.

use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::rules::state::Draft;
use crate::store::draft::DraftFile;

pub const QUIET: Duration = Duration::from_millis(150);
/// Leaves room under the promised 0.5 s for the write and fsyncs themselves.
pub const MAX_DELAY: Duration = Duration::from_millis(350);

enum Message {
    Changed(Box<Draft>),
    Flush(mpsc::Sender<Result<(), String>>),
}

/// One finished save, for the status pill and the benchmarks.
#[derive(Debug, Clone, Copy)]
pub struct SaveReport {
    /// How many `changed` calls this save includes, counted from the start: edit number
    /// `edits` and every one before it are now durable.
    pub edits: u64,
    pub bytes: usize,
    pub write_time: Duration,
    /// From the oldest edit this save contains to the save being durable.
    pub oldest_edit_age: Duration,
}

pub type SaveListener = Arc<dyn Fn(Result<SaveReport, String>) + Send + Sync>;

pub struct Autosaver {
    tx: Option<mpsc::Sender<Message>>,
    thread: Option<JoinHandle<()>>,
}

impl Autosaver {
    pub fn start(file: DraftFile, listener: Option<SaveListener>) -> Self {
        let (tx, rx) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("ava-autosave".into())
            .spawn(move || run(file, rx, listener))
            .ok();
        Self {
            tx: Some(tx),
            thread,
        }
    }

    /// The draft changed; it will be on disk within [`MAX_DELAY`] plus the write.
    pub fn changed(&self, draft: &Draft) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(Message::Changed(Box::new(draft.clone())));
        }
    }

    /// Saves whatever is pending now and waits until it is durable.
    pub fn flush(&self) -> Result<(), String> {
        let (ack, done) = mpsc::channel();
        let tx = self.tx.as_ref().ok_or("autosave stopped")?;
        tx.send(Message::Flush(ack))
            .map_err(|_| "autosave stopped".to_owned())?;
        done.recv().map_err(|_| "autosave stopped".to_owned())?
    }
}

impl Drop for Autosaver {
    /// Quitting saves what is pending.
    fn drop(&mut self) {
        drop(self.tx.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

struct Pending {
    draft: Box<Draft>,
    edits: u64,
    oldest: Instant,
    latest: Instant,
}

fn run(file: DraftFile, rx: mpsc::Receiver<Message>, listener: Option<SaveListener>) {
    let mut pending: Option<Pending> = None;
    let mut edits: u64 = 0;
    let save = |pending: &mut Option<Pending>| -> Result<(), String> {
        let Some(p) = pending.as_ref() else {
            return Ok(());
        };
        let started = Instant::now();
        let result = file.save(&p.draft).map_err(|e| e.to_string());
        let report = result.as_ref().map(|bytes| SaveReport {
            edits: p.edits,
            bytes: *bytes,
            write_time: started.elapsed(),
            oldest_edit_age: p.oldest.elapsed(),
        });
        if let Some(listener) = &listener {
            listener(report.map_err(Clone::clone));
        }
        // A failed save keeps the edits pending: the next change or flush tries again.
        if result.is_ok() {
            *pending = None;
        }
        result.map(|_| ())
    };
    loop {
        let message = match &pending {
            None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
            Some(p) => {
                let due = (p.latest + QUIET).min(p.oldest + MAX_DELAY);
                rx.recv_timeout(due.saturating_duration_since(Instant::now()))
            }
        };
        match message {
            Ok(Message::Changed(draft)) => {
                let now = Instant::now();
                let oldest = pending.as_ref().map_or(now, |p| p.oldest);
                edits += 1;
                pending = Some(Pending {
                    draft,
                    edits,
                    oldest,
                    latest: now,
                });
            }
            Ok(Message::Flush(ack)) => {
                let _ = ack.send(save(&mut pending));
            }
            Err(RecvTimeoutError::Timeout) => {
                if let Err(error) = save(&mut pending) {
                    tracing::error!(%error, "autosave failed; retrying on the next edit");
                    // Back off a little instead of spinning on a full disk.
                    if let Some(p) = pending.as_mut() {
                        p.latest = Instant::now();
                        p.oldest = Instant::now();
                    }
                }
            }
            Err(RecvTimeoutError::Disconnected) => {
                let _ = save(&mut pending);
                return;
            }
        }
    }
}
