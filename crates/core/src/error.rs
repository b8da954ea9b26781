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

/// Something must be done first: declared in `ava-ipc`, where the window matches on it.
pub use ava_ipc::Precondition;

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
            CoreError::Precondition(p) => p.code().to_owned(),
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
