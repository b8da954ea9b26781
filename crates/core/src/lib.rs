//! The desktop core of Ava: everything the app does except drawing windows. No Tauri here;
//! the shell's commands are thin adapters over it.
//!
//! - [`state`]: the onboarding state and its pure transitions (edits, the outbox).
//! - [`draft`] + [`autosave`]: the crash-safe draft on disk, saved within 0.5 s of an edit.
//! - [`secrets`]: the OS keychain behind [`secrets::SecretStore`].

pub mod autosave;
pub mod draft;
pub mod secrets;
pub mod state;

pub use state::{Draft, Edit};
