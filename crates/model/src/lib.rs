//! Ava's shared model: every type, closed list and field rule of the onboarding API
//! (`shared/design/api.md`) in one place, compiled into the server, the desktop core and the
//! wasm UI, so a field is judged by the same code everywhere.
//!
//! Values are parsed into types whose constructors are the rules ("parse, don't validate");
//! request bodies are read field by field so that one request reports every bad field, each
//! with a stable code ([`Violation::code`]) that doubles as the UI's translation key.
//! No I/O lives here.

mod account;
mod api;
#[macro_use]
mod choices;
mod code;
mod events;
mod field_name;
mod fields;
mod hours;
#[macro_use]
mod resource;
mod onboarding;
mod sensitive;
mod speech;
mod values;
// Generated from Vapi's API document and compared with it by a contract test; kept as the
// generator writes it.
#[rustfmt::skip]
mod vapi_catalog;
#[rustfmt::skip]
mod vapi_ended_reasons;
mod violation;
mod wizard;

pub use account::*;
pub use api::*;
pub use choices::*;
pub use code::ErrorCode;
pub use events::*;
pub use field_name::{AssistantFormField, FieldName, FormField};
pub use fields::Change;
pub use hours::{DAYS, OpenNow, Opening, WeeklySchedule, clock};
pub use onboarding::*;
pub use resource::{PatchSlot, Patchable, Shape};
pub use sensitive::{Sensitive, serialize_sensitive};
pub use speech::{
    FallbackVoice, Hearing, PIPELINE_ERROR_CATCH_ALL, Region, SPOKEN, Speaking, Spoken,
    Transcriber, handoff_ended_reasons, hearing, hearing_for_voice, speaking, spoken,
    spoken_by_voice, spoken_of,
};
pub use values::*;
pub use vapi_catalog::{ModelProvider, VoiceProvider};
pub use violation::{FieldError, FieldErrors, Violation};
pub use wizard::{Move, Step};
