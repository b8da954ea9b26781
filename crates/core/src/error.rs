use ava_model::{FieldErrors, UiError};
use ava_vapi::ProviderError;

use crate::api::ApiError;
use crate::draft::DraftError;
use crate::secrets::SecretError;

/// The core's one error type; [`CoreError::to_ui`] is its `{code, message, field?}` form.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error("{0}")]
    Validation(FieldErrors),
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error(transparent)]
    Draft(#[from] DraftError),
    #[error(transparent)]
    Api(#[from] ApiError),
    /// Vapi or Twilio refused or did not answer; the message is theirs.
    #[error(transparent)]
    Provider(#[from] ProviderError),
    #[error("{0}")]
    Precondition(Precondition),
}

/// Something must be done first; the UI shows these as warnings, not failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precondition {
    VapiKeyMissing,
    SignInRequired,
    TermsNotAccepted,
    NumberNotInAccount,
    AssistantMissing,
    /// No number is attached to the assistant, so it cannot place a call.
    NumberMissing,
    /// A trial Twilio account asked to call a number it has not verified.
    TrialNumberNotVerified,
}

impl std::fmt::Display for Precondition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Precondition::VapiKeyMissing => "Add your Vapi API key first (step 2).",
            Precondition::SignInRequired => "Sign in to do this.",
            Precondition::TermsNotAccepted => "Accept the terms of service (step 1) before launching Ava.",
            Precondition::NumberNotInAccount => {
                "This phone number is not in that Twilio account. Check the number, or use the credentials of the (sub)account that owns it."
            }
            Precondition::AssistantMissing => "Create the assistant first (step 7).",
            Precondition::NumberMissing => {
                "Attach a Twilio number to Ava first (steps 4 and 5): she calls from it."
            }
            Precondition::TrialNumberNotVerified => {
                "Your Twilio account is a trial: it can call only numbers verified in Twilio (up to 5, in your own country). Verify this number in the Twilio console, or upgrade the account."
            }
        })
    }
}

impl From<FieldErrors> for CoreError {
    fn from(errors: FieldErrors) -> Self {
        CoreError::Validation(errors)
    }
}

impl CoreError {
    pub fn code(&self) -> String {
        match self {
            CoreError::Validation(errors) => errors
                .0
                .first()
                .map_or("validation_failed", |e| e.code())
                .to_owned(),
            CoreError::Secret(e) => e.code().to_owned(),
            CoreError::Draft(_) => "draft_unwritable".to_owned(),
            CoreError::Api(e) => e.code().to_owned(),
            CoreError::Provider(e) if e.is_unauthorized() => {
                format!("{}_unauthorized", provider(e))
            }
            CoreError::Provider(e) if e.is_transient() => format!("{}_unavailable", provider(e)),
            CoreError::Provider(e) => format!("{}_refused", provider(e)),
            CoreError::Precondition(p) => match p {
                Precondition::VapiKeyMissing => "vapi_key_missing",
                Precondition::SignInRequired => "sign_in_required",
                Precondition::TermsNotAccepted => "terms_not_accepted",
                Precondition::NumberNotInAccount => "number_not_in_account",
                Precondition::AssistantMissing => "assistant_missing",
                Precondition::NumberMissing => "number_missing",
                Precondition::TrialNumberNotVerified => "trial_number_not_verified",
            }
            .to_owned(),
        }
    }

    /// The first field at fault, for the UI to show the message there.
    pub fn field(&self) -> Option<String> {
        match self {
            CoreError::Validation(errors) => errors.0.first().map(|e| e.field.clone()),
            CoreError::Precondition(Precondition::TermsNotAccepted) => {
                Some("accept_terms".to_owned())
            }
            CoreError::Precondition(Precondition::NumberNotInAccount) => {
                Some("phone_number".to_owned())
            }
            CoreError::Precondition(Precondition::TrialNumberNotVerified) => {
                Some(ava_ipc::CALL_TO_FIELD.to_owned())
            }
            _ => None,
        }
    }

    pub fn to_ui(&self) -> UiError {
        if let CoreError::Validation(errors) = self
            && let Some(first) = errors.0.first()
        {
            return UiError::from_field(first);
        }
        let message = match self {
            CoreError::Validation(errors) => {
                errors.0.first().map(|e| e.english()).unwrap_or_default()
            }
            CoreError::Provider(e) if e.is_unauthorized() => {
                format!("{} rejected these credentials: {e}", e.provider())
            }
            other => other.to_string(),
        };
        UiError {
            field: self.field(),
            ..UiError::new(self.code(), message)
        }
    }
}

fn provider(e: &ProviderError) -> &'static str {
    match e.provider() {
        ava_vapi::Provider::Vapi => "vapi",
        ava_vapi::Provider::Twilio => "twilio",
    }
}
