//! The desktop core of Ava: everything the app does except drawing windows. No Tauri here;
//! the shell's commands are thin adapters over [`Onboarding`].
//!
//! Read it by floors, each using only those below it:
//! - `rules/`: pure rules, values in and values out (the draft and its outbox, the assistant
//!   the wizard describes, the views, the onboarding events, the search for recent calls).
//! - `store/`: owners of one resource each (the draft store with its autosaver and file, the
//!   keychain vault, the session with its tokens, the status board).
//! - `api.rs`: the onboarding API's client; `config.rs`, `error.rs`.
//! - `context.rs`: what the services share.
//! - `services/`: what the core does (sync, the live assistant, provisioning, the studio,
//!   accounts, credentials, the wizard's edits), each working through the context and, for
//!   work that outlives a click, through the session it started in.
//! - `onboarding.rs`: the facade the shell calls; nothing inside imports it.

pub mod api;
mod config;
mod context;
mod device;
mod error;
mod onboarding;
mod rules;
mod services;
mod store;

pub use config::{
    CoreConfig, DEVELOPMENT_API_URL, PRODUCTION_API_URL, PULL_EVERY_SECONDS, RetryPolicy,
    folder_digest, is_https_or_loopback,
};
pub use error::{CoreError, Precondition};
pub use onboarding::{Onboarding, Opened};
pub use rules::state::{AssistantChoices, Draft, Edit};
pub use rules::{analytics, assistant, call_search, chat, state, view};
pub use services::credentials::CredentialStatus;
pub use services::provision::ProvisionReport;
pub use services::studio::CALLS_SHOWN;
pub use store::{autosave, draft, drafts, secrets, session, status};

/// What the status pill shows (declared in `ava-ipc`, where the window matches on it).
pub use ava_ipc::{StatusView, SyncState};
