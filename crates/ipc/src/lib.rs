//! Every command between the Yew UI and the Tauri shell, declared once. The UI and the shell
//! both compile this crate, so a renamed field or command fails to build on one side or the
//! other instead of failing at run time.

use ava_model::{Move, OnboardingFlags, Profile, Step, StudioConfig, VapiMethod};
use serde::{Deserialize, Serialize};

pub use ava_model::UiError;

/// Command names, as `invoke` and `generate_handler!` know them.
pub mod command {
    pub const LOAD: &str = "load";
    pub const UPDATE_PROFILE: &str = "update_profile";
    pub const UPDATE_STUDIO: &str = "update_studio";
    pub const GO_TO: &str = "go_to";
    pub const FLUSH: &str = "flush";
    pub const SIGN_UP: &str = "sign_up";
    pub const SIGN_IN: &str = "sign_in";
    pub const SIGN_OUT: &str = "sign_out";
    pub const CONTINUE_OFFLINE: &str = "continue_offline";
    pub const SKIP: &str = "skip";
    pub const SAVE_VAPI_KEY: &str = "save_vapi_key";
    pub const DELETE_VAPI_KEY: &str = "delete_vapi_key";
    pub const SAVE_TWILIO: &str = "save_twilio";
    pub const DELETE_TWILIO: &str = "delete_twilio";
    pub const SET_KEYS_LOCAL_ONLY: &str = "set_keys_local_only";
    pub const SET_USAGE_SHARING: &str = "set_usage_sharing";
    pub const ASSISTANT_DEFAULTS: &str = "assistant_defaults";
    pub const CREATE_ASSISTANT: &str = "create_assistant";
    pub const LAUNCH: &str = "launch";
    /// The wizard is drawn with its draft: logged with the time since process start (the
    /// start-up benchmark reads it).
    pub const READY: &str = "ready";
}

/// The event the shell emits whenever the sync status changes.
pub const SYNC_STATUS_EVENT: &str = "sync-status";

/// The event the shell emits at each stage of the assistant's creation (an [`AssistantView`]).
pub const PROVISION_PROGRESS_EVENT: &str = "provision-progress";

/// What the status pill shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusView {
    /// `saved_locally`, `syncing`, `synced`, `offline`, `failed`, `sign_in_required`.
    pub state: String,
    pub pending: usize,
    pub keychain_persistent: bool,
    pub error: Option<UiError>,
    pub refused: Vec<UiError>,
    /// The core's revision of this status: of two copies, the higher is the newer.
    #[serde(default)]
    pub revision: u64,
}

/// Everything the wizard shows, loaded at start and returned after each change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WizardView {
    pub step: Step,
    pub profile: Profile,
    pub studio: StudioConfig,
    pub flags: OnboardingFlags,
    pub completed: bool,
    pub vapi_key_preview: Option<String>,
    pub twilio: Option<TwilioView>,
    pub assistant: Option<AssistantView>,
    pub keys_local_only: bool,
    /// Keeping keys on this computer only would delete copies the server may hold: the
    /// window asks first.
    #[serde(default)]
    pub keys_on_server: bool,
    /// "Share onboarding usage with the Ava team" (on unless turned off).
    #[serde(default)]
    pub usage_sharing: bool,
    /// The signed-in account's email; `None` when working offline.
    pub account_email: Option<String>,
    /// Signed in, or chose "Continue offline": the account screen is not shown again.
    pub entered: bool,
    pub status: StatusView,
    /// Set when the draft had to be recovered or no keychain works: shown once at start.
    pub notices: Vec<UiError>,
}

/// The Twilio account as the wizard may show it: never the auth token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TwilioView {
    pub account_sid_preview: String,
    pub phone_number: Option<String>,
}

/// The assistant created in Vapi (or where its creation stopped).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssistantView {
    pub name: String,
    pub assistant_id: Option<String>,
    pub phone_number_id: Option<String>,
    pub recorded: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CredentialsArgs {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    Vapi,
    Twilio,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct SkipArgs {
    pub provider: Provider,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VapiKeyArgs {
    pub key: String,
    /// On step 2 itself, or in the Settings dialog (the seed's `vapi_configured.method`).
    pub method: VapiMethod,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TwilioArgs {
    pub account_sid: String,
    pub auth_token: String,
    pub phone_number: String,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct FlagArgs {
    pub on: bool,
}

/// Step 7's fields: pre-written from steps 3 and 5, editable, sent back to create it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AssistantForm {
    pub name: String,
    pub voice_id: String,
    pub first_message: String,
    pub instructions: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssistantDefaults {
    pub form: AssistantForm,
    /// Voices offered in the select; the default for the assistant's language first.
    pub voices: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AssistantArgs {
    pub form: AssistantForm,
}

/// What leaving a step left undone (a warning, never a block).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Moved {
    pub view: WizardView,
    pub left_incomplete: Vec<String>,
}

/// `update_profile` / `update_studio`: a partial patch as api.md spells it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PatchArgs {
    pub patch: serde_json::Value,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct GoToArgs {
    pub step: Step,
    /// Continue and Skip are recorded as the seed's step events; the rail and Back are not.
    #[serde(default)]
    pub how: Move,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn views_round_trip_through_json() {
        let view = WizardView {
            step: Step::Twilio,
            profile: Profile::default(),
            studio: StudioConfig::default(),
            flags: OnboardingFlags::default(),
            completed: false,
            vapi_key_preview: Some("****1234".into()),
            twilio: None,
            assistant: None,
            keys_local_only: false,
            keys_on_server: false,
            usage_sharing: true,
            account_email: None,
            entered: true,
            status: StatusView {
                state: "synced".into(),
                pending: 0,
                keychain_persistent: true,
                error: None,
                refused: vec![],
                revision: 7,
            },
            notices: vec![UiError::new("keychain_unavailable", "…")],
        };
        let back: WizardView =
            serde_json::from_value(serde_json::to_value(&view).unwrap()).unwrap();
        assert_eq!(back, view);
        let args: GoToArgs =
            serde_json::from_value(serde_json::json!({"step": "telephony"})).unwrap();
        assert_eq!(args.step, Step::Telephony);
    }
}
