//! [`ErrorCode`]: every code an error can carry to the window, declared once. The window
//! translates each (`error.<code>` in every language, which a test checks by walking
//! [`ErrorCode::ALL`]) and branches on the enum, never on a string.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! error_codes {
    ($( $(#[$doc:meta])* $variant:ident = $code:literal ),+ $(,)?) => {
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $( $(#[$doc])* $variant, )+
            /// A code this build does not know (a newer server sent it): the window shows the
            /// message that came with it.
            Other(String),
        }

        impl ErrorCode {
            /// Every known code.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),+];

            pub fn as_str(&self) -> &str {
                match self {
                    ErrorCode::Other(code) => code,
                    known => known.known_str().unwrap_or_default(),
                }
            }

            /// The code of a declared variant (`None` for [`ErrorCode::Other`]).
            pub fn known_str(&self) -> Option<&'static str> {
                match self {
                    $( ErrorCode::$variant => Some($code), )+
                    ErrorCode::Other(_) => None,
                }
            }

            pub fn parse(code: &str) -> Self {
                match code {
                    $( $code => ErrorCode::$variant, )+
                    other => ErrorCode::Other(other.to_owned()),
                }
            }
        }
    };
}

error_codes! {
    // The model's rules (a `Violation` each).
    Required = "required",
    WrongType = "wrong_type",
    UnknownField = "unknown_field",
    TooLong = "too_long",
    TooShort = "too_short",
    InvalidChoice = "invalid_choice",
    InvalidEmail = "invalid_email",
    InvalidTimezone = "invalid_timezone",
    InvalidPhoneNumber = "invalid_phone_number",
    InvalidLanguage = "invalid_language",
    InvalidSlug = "invalid_slug",
    DuplicateItem = "duplicate_item",
    TooManyItems = "too_many_items",
    OutOfRange = "out_of_range",
    ContainsWhitespace = "contains_whitespace",
    InvalidAccountSid = "invalid_account_sid",
    InvalidAuthToken = "invalid_auth_token",
    ContainsNul = "contains_nul",
    InvalidUuid = "invalid_uuid",
    InTheFuture = "in_the_future",
    TooLongAgo = "too_long_ago",
    InvalidCode = "invalid_code",
    WrongPassword = "wrong_password",
    // What the server answers (the `code` of its error envelope).
    ValidationFailed = "validation_failed",
    MalformedJson = "malformed_json",
    UnsupportedMediaType = "unsupported_media_type",
    PayloadTooLarge = "payload_too_large",
    NotFound = "not_found",
    MethodNotAllowed = "method_not_allowed",
    InvalidCredentials = "invalid_credentials",
    MissingToken = "missing_token",
    InvalidToken = "invalid_token",
    TokenExpired = "token_expired",
    InvalidRefreshToken = "invalid_refresh_token",
    RefreshTokenReused = "refresh_token_reused",
    EmailTaken = "email_taken",
    TooManyAttempts = "too_many_attempts",
    TooManyRegistrations = "too_many_registrations",
    ServerBusy = "server_busy",
    RequestTimeout = "request_timeout",
    VapiError = "vapi_error",
    StoredSecretUnreadable = "stored_secret_unreadable",
    IdempotencyInProgress = "idempotency_in_progress",
    IdempotencyKeyReused = "idempotency_key_reused",
    AssistantAlreadyRecorded = "assistant_already_recorded",
    /// A record-only request named an assistant the account's own Vapi key does not see.
    UnknownAssistant = "unknown_assistant",
    /// The account holds as many assistants as one account may.
    AssistantLimit = "assistant_limit",
    /// The account sent as many onboarding events as one account may in a day.
    TooManyEvents = "too_many_events",
    /// The account sent more requests in a short while than one account may.
    TooManyRequests = "too_many_requests",
    InternalError = "internal_error",
    DatabaseUnavailable = "database_unavailable",
    // The core: the server, the draft, the keychain, Vapi and Twilio.
    Offline = "offline",
    /// The server answered in a way the app could not read (not its error envelope).
    BadResponse = "bad_response",
    /// The app was pointed at an Ava server over plain http on another machine.
    InsecureApiUrl = "insecure_api_url",
    HttpError = "http_error",
    SignInRequired = "sign_in_required",
    DraftUnwritable = "draft_unwritable",
    DraftRecovered = "draft_recovered",
    DraftUnreadable = "draft_unreadable",
    KeychainUnavailable = "keychain_unavailable",
    KeychainLocked = "keychain_locked",
    /// A queued upload whose secret the keychain no longer holds.
    SecretMissing = "secret_missing",
    /// The account signed out or changed while an action for it was under way.
    SessionChanged = "session_changed",
    VapiUnauthorized = "vapi_unauthorized",
    VapiUnavailable = "vapi_unavailable",
    VapiRefused = "vapi_refused",
    TwilioUnauthorized = "twilio_unauthorized",
    TwilioUnavailable = "twilio_unavailable",
    TwilioRefused = "twilio_refused",
    // The core's preconditions (something must be done first).
    VapiKeyMissing = "vapi_key_missing",
    TermsNotAccepted = "terms_not_accepted",
    NumberNotInAccount = "number_not_in_account",
    AssistantMissing = "assistant_missing",
    NumberMissing = "number_missing",
    TrialNumberNotVerified = "trial_number_not_verified",
    UnsentEdits = "unsent_edits",
    // The shell.
    IpcFailed = "ipc_failed",
    PreferencesUnwritable = "preferences_unwritable",
    UpdateFailed = "update_failed",
    UpdateMissing = "update_missing",
}

impl ErrorCode {
    /// Vapi or Twilio did not answer: worth trying again later, unlike a refusal.
    pub fn is_provider_unavailable(&self) -> bool {
        matches!(
            self,
            ErrorCode::VapiUnavailable | ErrorCode::TwilioUnavailable
        )
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = String::deserialize(deserializer)?;
        Ok(ErrorCode::parse(&code))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Violation;

    #[test]
    fn every_code_reads_back_as_itself_and_unknown_ones_are_kept() {
        for code in ErrorCode::ALL {
            assert_eq!(&ErrorCode::parse(code.as_str()), code);
            let json = serde_json::to_value(code).unwrap();
            assert_eq!(serde_json::from_value::<ErrorCode>(json).unwrap(), *code);
        }
        let mut names: Vec<&str> = ErrorCode::ALL.iter().map(ErrorCode::as_str).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(
            names.len(),
            ErrorCode::ALL.len(),
            "a code is declared twice"
        );
        assert_eq!(
            ErrorCode::parse("from_a_newer_server"),
            ErrorCode::Other("from_a_newer_server".into())
        );
    }

    #[test]
    fn every_rule_of_the_model_has_a_declared_code() {
        for violation in Violation::EVERY {
            assert!(
                !matches!(violation.error_code(), ErrorCode::Other(_)),
                "{violation:?} has no ErrorCode"
            );
        }
    }
}
