//! Every command between the Yew UI and the Tauri shell, declared once. The UI and the shell
//! both compile this crate, so a renamed field or command fails to build on one side or the
//! other instead of failing at run time.

use ava_model::{OnboardingFlags, Profile, Step, StudioConfig};
use serde::{Deserialize, Serialize};

pub use ava_model::UiError;

/// Command names, as `invoke` and `generate_handler!` know them.
pub mod command {
    pub const LOAD: &str = "load";
    pub const UPDATE_PROFILE: &str = "update_profile";
    pub const UPDATE_STUDIO: &str = "update_studio";
    pub const GO_TO: &str = "go_to";
    pub const FLUSH: &str = "flush";
}

/// The event the shell emits whenever the sync status changes.
pub const SYNC_STATUS_EVENT: &str = "sync-status";

/// What the status pill shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusView {
    /// `saved_locally`, `syncing`, `synced`, `offline`, `failed`, `sign_in_required`.
    pub state: String,
    pub pending: usize,
    pub keychain_persistent: bool,
    pub error: Option<UiError>,
    pub refused: Vec<UiError>,
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
    pub status: StatusView,
    /// Set when the draft had to be recovered or no keychain works: shown once at start.
    pub notices: Vec<UiError>,
}

/// `update_profile` / `update_studio`: a partial patch as api.md spells it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PatchArgs {
    pub patch: serde_json::Value,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct GoToArgs {
    pub step: Step,
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
            status: StatusView {
                state: "synced".into(),
                pending: 0,
                keychain_persistent: true,
                error: None,
                refused: vec![],
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
