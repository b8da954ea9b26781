//! The desktop core of Ava: everything the app does except drawing windows. No Tauri here;
//! the shell's commands are thin adapters over [`Onboarding`].
//!
//! - `config.rs`: [`CoreConfig`], where the core keeps its data, its servers, timeouts, retries.
//! - [`state`]: the onboarding state and its pure transitions (edits, the outbox).
//! - [`draft`] + [`autosave`]: the crash-safe draft on disk, saved within 0.5 s of an edit.
//! - [`secrets`]: the OS keychain behind [`secrets::SecretStore`].
//! - [`api`]: the onboarding API client; [`Onboarding`] (`onboarding.rs`: the draft, edits,
//!   moving between steps) runs the sync outbox over it (`sync.rs`), with the accounts and
//!   sessions (`accounts.rs`) and the credentials (`credentials.rs`).
//! - [`provision`]: creating the assistant in Vapi exactly once.
//! - [`view`]: what the window draws (the shell's commands only delegate).
//! - [`analytics`]: the seed's onboarding events, kept with the draft until the server has them.

mod accounts;
pub mod analytics;
pub mod api;
pub mod autosave;
mod config;
mod credentials;
pub mod draft;
mod error;
mod live;
mod onboarding;
pub mod provision;
pub mod secrets;
pub mod state;
pub mod studio;
mod sync;
pub mod view;

pub use config::{CoreConfig, RetryPolicy};
pub use error::{CoreError, Precondition};
pub use onboarding::{CredentialStatus, Onboarding, Opened, SyncState, SyncStatus, folder_digest};
pub use state::{Draft, Edit};
