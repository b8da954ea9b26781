//! The status board: what the status pill and the assistant's line say, as one watched value.
//! Every change bumps its revision, so a reader holding two copies (a command's reply and an
//! event) keeps the newer one.

use ava_ipc::StatusView;
use tokio::sync::watch;

pub struct StatusBoard {
    tx: watch::Sender<StatusView>,
}

impl StatusBoard {
    pub fn new(initial: StatusView) -> Self {
        Self {
            tx: watch::channel(initial).0,
        }
    }

    pub fn subscribe(&self) -> watch::Receiver<StatusView> {
        self.tx.subscribe()
    }

    pub fn now(&self) -> StatusView {
        self.tx.borrow().clone()
    }

    pub fn change(&self, f: impl FnOnce(&mut StatusView)) {
        self.tx.send_modify(|status| {
            f(status);
            status.revision += 1;
        });
    }

    /// Changes the board only when `f` says it changed something.
    pub fn change_if(&self, f: impl FnOnce(&mut StatusView) -> bool) {
        self.tx.send_if_modified(|status| {
            let changed = f(status);
            if changed {
                status.revision += 1;
            }
            changed
        });
    }
}
