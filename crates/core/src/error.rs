use ava_model::{ErrorCode, FieldErrors, FieldName, FormField, ProfileField, UiError};
use ava_vapi::ProviderError;

use crate::api::ApiError;
use crate::store::draft::DraftError;
use crate::store::secrets::SecretError;
use crate::store::session::SessionError;

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
    /// The account this work was for signed out or was switched while it ran: it stopped
    /// there, touching nothing of the next one's.
    #[error("you signed out or changed accounts while this was under way; it was stopped")]
    SessionChanged,
}

impl From<SessionError> for CoreError {
    fn from(error: SessionError) -> Self {
        match error {
            SessionError::Ended => CoreError::SessionChanged,
            SessionError::Keychain(e) => CoreError::Secret(e),
        }
    }
}

/// Something must be done first: declared in `ava-ipc`, where the window matches on it.
pub use ava_ipc::Precondition;

impl From<FieldErrors> for CoreError {
    fn from(errors: FieldErrors) -> Self {
        CoreError::Validation(errors)
    }
}

impl CoreError {
    pub fn code(&self) -> ErrorCode {
        use ava_vapi::Provider::{Twilio, Vapi};
        match self {
            CoreError::Validation(errors) => errors
                .0
                .first()
                .map_or(ErrorCode::ValidationFailed, |e| e.violation.error_code()),
            CoreError::Secret(e) => e.code(),
            CoreError::Draft(_) => ErrorCode::DraftUnwritable,
            CoreError::Api(e) => e.code(),
            CoreError::Provider(e) => match (e.provider(), e) {
                (Vapi, e) if e.is_unauthorized() => ErrorCode::VapiUnauthorized,
                (Twilio, e) if e.is_unauthorized() => ErrorCode::TwilioUnauthorized,
                (Vapi, e) if e.is_transient() => ErrorCode::VapiUnavailable,
                (Twilio, e) if e.is_transient() => ErrorCode::TwilioUnavailable,
                (Vapi, _) => ErrorCode::VapiRefused,
                (Twilio, _) => ErrorCode::TwilioRefused,
            },
            CoreError::Precondition(p) => p.code(),
            CoreError::SessionChanged => ErrorCode::SessionChanged,
        }
    }

    /// The first field at fault, for the UI to show the message there.
    pub fn field(&self) -> Option<FieldName> {
        match self {
            CoreError::Validation(errors) => {
                errors.0.first().and_then(|e| FieldName::parse(&e.field))
            }
            CoreError::Api(ApiError::Invalid(problems)) => {
                problems.first().and_then(|p| FieldName::parse(&p.field))
            }
            CoreError::Precondition(Precondition::TermsNotAccepted) => {
                Some(ProfileField::accept_terms.into())
            }
            CoreError::Precondition(Precondition::NumberNotInAccount) => {
                Some(FormField::PhoneNumber.into())
            }
            CoreError::Precondition(Precondition::TrialNumberNotVerified) => {
                Some(FormField::CallTo.into())
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
            CoreError::Api(ApiError::Invalid(problems)) if !problems.is_empty() => {
                problems[0].message.clone()
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
