//! The account's life (api.md, "The account's life"): the bodies of the password, e-mail,
//! sign-in, export and deletion routes, read field by field like every other request, and
//! what those routes answer.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::fields::ObjectReader;
use crate::{Email, FieldErrors, Password, Sensitive, Violation};

/// A one-time code as the owner types it: 8 digits, spaces and dashes ignored (the mail shows
/// `1234 5678`). Anything else is the same `invalid_code` as a wrong code, so the answer never
/// tells a malformed code from a wrong one.
#[derive(Clone, PartialEq, Eq)]
pub struct OneTimeCode(String);

impl OneTimeCode {
    pub const DIGITS: usize = 8;

    pub fn parse(input: &str) -> Result<Self, Violation> {
        let digits: String = input
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '\u{a0}'))
            .collect();
        if digits.len() == Self::DIGITS && digits.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(digits))
        } else {
            Err(Violation::InvalidCode)
        }
    }

    pub fn digits(&self) -> &str {
        &self.0
    }

    /// `1234 5678`: two groups of four, as the mail writes it.
    pub fn grouped(&self) -> String {
        format!("{} {}", &self.0[..4], &self.0[4..])
    }
}

impl std::fmt::Debug for OneTimeCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OneTimeCode(<redacted>)")
    }
}

/// What a client calls the computer it signs in from ("Dana's MacBook · macOS 15"): shown in
/// the list of sign-ins, at most 80 characters, one line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct DeviceName(String);

impl DeviceName {
    pub const MAX_CHARS: usize = 80;

    pub fn parse(input: &str) -> Result<Self, Violation> {
        let one_line: String = input
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let trimmed = one_line.split_whitespace().collect::<Vec<_>>().join(" ");
        if trimmed.is_empty() {
            return Err(Violation::Required);
        }
        if trimmed.chars().count() > Self::MAX_CHARS {
            return Err(Violation::TooLong {
                max: Self::MAX_CHARS,
            });
        }
        Ok(Self(trimmed))
    }

    /// A name longer than the limit, cut at it (the desktop's own name, which it does not
    /// choose).
    pub fn truncated(input: &str) -> Option<Self> {
        let cut: String = input.chars().take(Self::MAX_CHARS).collect();
        Self::parse(&cut).ok()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `POST /auth/password-reset`.
#[derive(Debug, Clone)]
pub struct PasswordResetRequest {
    /// Lower-cased and trimmed, not judged: an address that cannot exist is answered like an
    /// unknown one.
    pub email: String,
}

impl PasswordResetRequest {
    pub fn from_json(body: &Value) -> Result<Self, FieldErrors> {
        let mut r = ObjectReader::new(body, &["email"])?;
        match r.required_string("email") {
            Some(email) => r.finish(Self {
                email: email.trim().to_lowercase(),
            }),
            None => Err(FieldErrors(r.errors)),
        }
    }
}

/// `POST /auth/password-reset/confirm`.
#[derive(Debug, Clone)]
pub struct PasswordResetConfirm {
    pub email: String,
    pub code: Option<OneTimeCode>,
    pub new_password: Password,
    pub device: Option<DeviceName>,
}

impl PasswordResetConfirm {
    pub fn from_json(body: &Value) -> Result<Self, FieldErrors> {
        let mut r = ObjectReader::new(body, &["email", "code", "new_password", "device"])?;
        let email = r.required_string("email").map(|e| e.trim().to_lowercase());
        // A malformed code is judged with the wrong ones, by the route, in the same time.
        let code = r
            .required_string("code")
            .and_then(|c| OneTimeCode::parse(c).ok());
        let new_password = r.required("new_password", Password::parse);
        let device = r.optional("device", DeviceName::parse);
        match (email, new_password) {
            (Some(email), Some(new_password)) => r.finish(Self {
                email,
                code,
                new_password,
                device,
            }),
            _ => Err(FieldErrors(r.errors)),
        }
    }
}

/// `POST /user/password`.
#[derive(Debug, Clone)]
pub struct PasswordChange {
    pub current_password: Sensitive<String>,
    pub new_password: Password,
}

impl PasswordChange {
    pub fn from_json(body: &Value) -> Result<Self, FieldErrors> {
        let mut r = ObjectReader::new(body, &["current_password", "new_password"])?;
        let current = r.required_string("current_password").map(str::to_owned);
        let new_password = r.required("new_password", Password::parse);
        match (current, new_password) {
            (Some(current), Some(new_password)) => r.finish(Self {
                current_password: current.into(),
                new_password,
            }),
            _ => Err(FieldErrors(r.errors)),
        }
    }
}

/// `POST /user/email`.
#[derive(Debug, Clone)]
pub struct EmailChange {
    pub new_email: Email,
    pub password: Sensitive<String>,
}

impl EmailChange {
    pub fn from_json(body: &Value) -> Result<Self, FieldErrors> {
        let mut r = ObjectReader::new(body, &["new_email", "password"])?;
        let new_email = r.required("new_email", Email::parse);
        let password = r.required_string("password").map(str::to_owned);
        match (new_email, password) {
            (Some(new_email), Some(password)) => r.finish(Self {
                new_email,
                password: password.into(),
            }),
            _ => Err(FieldErrors(r.errors)),
        }
    }
}

/// `POST /user/email/verify`.
#[derive(Debug, Clone)]
pub struct EmailVerify {
    pub code: Option<OneTimeCode>,
}

impl EmailVerify {
    pub fn from_json(body: &Value) -> Result<Self, FieldErrors> {
        let mut r = ObjectReader::new(body, &["code"])?;
        let code = r
            .required_string("code")
            .and_then(|c| OneTimeCode::parse(c).ok());
        r.finish(Self { code })
    }
}

/// What happens to the assistants in the owner's own Vapi account when the account goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum VapiAssistantsOnDeletion {
    Keep,
    Delete,
}

/// `POST /user/delete`.
#[derive(Debug, Clone)]
pub struct AccountDeletion {
    pub password: Sensitive<String>,
    pub vapi_assistants: VapiAssistantsOnDeletion,
}

impl AccountDeletion {
    pub fn from_json(body: &Value) -> Result<Self, FieldErrors> {
        let mut r = ObjectReader::new(body, &["password", "vapi_assistants"])?;
        let password = r.required_string("password").map(str::to_owned);
        let vapi_assistants = r.required("vapi_assistants", |s| match s {
            "keep" => Ok(VapiAssistantsOnDeletion::Keep),
            "delete" => Ok(VapiAssistantsOnDeletion::Delete),
            _ => Err(Violation::NotOneOf {
                allowed: &["keep", "delete"],
            }),
        });
        match (password, vapi_assistants) {
            (Some(password), Some(vapi_assistants)) => r.finish(Self {
                password: password.into(),
                vapi_assistants,
            }),
            _ => Err(FieldErrors(r.errors)),
        }
    }
}

/// One live sign-in of the account (`GET /user/sessions`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignIn {
    pub id: String,
    pub created_at: DateTime<Utc>,
    /// The last time it was renewed (or made): close enough to "last used", as an app renews
    /// its sign-in every few minutes while it is open.
    pub last_used_at: DateTime<Utc>,
    pub device: Option<String>,
    /// The sign-in this request was made with.
    pub current: bool,
}

/// `POST /user/email/verify`'s answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EmailStatus {
    pub email: String,
    pub email_verified: bool,
}

/// What deleting the account did in the owner's Vapi account.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VapiCleanUp {
    pub deleted: Vec<String>,
    pub failed: Vec<String>,
}

/// `POST /user/delete`'s answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeletionReceipt {
    pub deleted: bool,
    pub vapi: VapiCleanUp,
}

/// The export's format name (`GET /user/export`): a reader checks it before anything else.
pub const EXPORT_FORMAT: &str = "ava-export/1";

/// The export's file name for `day` (`ava-export-2026-12-07.json`): the server's
/// `Content-Disposition` and the desktop's save dialog offer the same.
pub fn export_file_name(day: chrono::NaiveDate) -> String {
    format!("ava-export-{}.json", day.format("%Y-%m-%d"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_code_is_eight_digits_however_it_is_spaced() {
        for typed in ["12345678", "1234 5678", " 1234-5678 ", "1234\u{a0}5678"] {
            let code = OneTimeCode::parse(typed).unwrap();
            assert_eq!(code.digits(), "12345678");
            assert_eq!(code.grouped(), "1234 5678");
        }
        for bad in ["", "1234567", "123456789", "1234567a", "１２３４５６７８"] {
            assert_eq!(
                OneTimeCode::parse(bad),
                Err(Violation::InvalidCode),
                "{bad:?}"
            );
        }
        assert!(!format!("{:?}", OneTimeCode::parse("12345678").unwrap()).contains("1234"));
    }

    #[test]
    fn a_device_name_is_one_short_line() {
        assert_eq!(
            DeviceName::parse("  Dana's\nMacBook \t· macOS 15 ")
                .unwrap()
                .as_str(),
            "Dana's MacBook · macOS 15"
        );
        assert_eq!(DeviceName::parse(" \n "), Err(Violation::Required));
        assert_eq!(
            DeviceName::parse(&"x".repeat(81)),
            Err(Violation::TooLong { max: 80 })
        );
        assert_eq!(
            DeviceName::truncated(&"é".repeat(200))
                .unwrap()
                .as_str()
                .chars()
                .count(),
            80
        );
    }

    #[test]
    fn a_malformed_code_is_read_as_no_code_and_a_weak_password_is_named() {
        let confirm = PasswordResetConfirm::from_json(&json!({
            "email": " Dana@Example.com ", "code": "12", "new_password": "long enough"
        }))
        .unwrap();
        assert_eq!(confirm.email, "dana@example.com");
        assert!(confirm.code.is_none());
        let weak = PasswordResetConfirm::from_json(&json!({
            "email": "a@b.co", "code": "12345678", "new_password": "short"
        }))
        .unwrap_err();
        assert_eq!(weak.fields().collect::<Vec<_>>(), ["new_password"]);
        let deletion =
            AccountDeletion::from_json(&json!({"password": "x", "vapi_assistants": "all"}))
                .unwrap_err();
        assert_eq!(deletion.fields().collect::<Vec<_>>(), ["vapi_assistants"]);
    }
}
