//! Owners: each holds one resource and is the only way to it. The draft store (the draft in
//! memory, its file and its autosaver), the keychain vault, the session (who the app works
//! for, with its tokens) and the status board the window watches.
//!
//! Lock order, where two are held at once: the session's, then the draft's. Nothing else
//! nests, and no lock is held across a network call.

pub mod autosave;
pub mod draft;
pub mod drafts;
#[cfg(target_os = "linux")]
mod secret_service;
pub mod secrets;
pub mod session;
pub mod status;
