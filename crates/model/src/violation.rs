//! What can be wrong with a field, as stable codes the server, the core and the UI share.
//!
//! The server's 422 `fields[].code`, the desktop's inline errors and the translation keys
//! (`error.<code>`) all come from [`Violation::code`], so the three always say the same thing.

use std::fmt;

/// Why one field's value was refused. Each variant carries what a message needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Violation {
    Required,
    WrongType {
        expected: &'static str,
    },
    UnknownField,
    TooLong {
        max: usize,
    },
    TooShort {
        min: usize,
    },
    NotOneOf {
        allowed: &'static [&'static str],
    },
    InvalidEmail,
    InvalidTimezone,
    InvalidPhoneNumber,
    InvalidLanguage,
    InvalidSlug,
    DuplicateItem,
    TooManyItems {
        max: usize,
    },
    OutOfRange {
        min: i64,
        max: i64,
    },
    ContainsWhitespace,
    InvalidAccountSid,
    InvalidAuthToken,
    /// A U+0000: PostgreSQL's text and JSONB cannot store it, and no one types it on purpose.
    ContainsNul,
    InvalidUuid,
    /// A time further ahead than any clock error explains.
    InTheFuture,
    /// A time before its subject existed (an event older than the account that sent it).
    TooLongAgo,
    /// A one-time code that is wrong, expired, used or unknown: all alike, on purpose.
    InvalidCode,
    /// The account's current password, asked again before a change, was not it.
    WrongPassword,
}

impl Violation {
    /// One of each kind, for what must cover every code (the translations' test).
    pub const EVERY: &'static [Violation] = &[
        Violation::Required,
        Violation::WrongType { expected: "" },
        Violation::UnknownField,
        Violation::TooLong { max: 0 },
        Violation::TooShort { min: 0 },
        Violation::NotOneOf { allowed: &[] },
        Violation::InvalidEmail,
        Violation::InvalidTimezone,
        Violation::InvalidPhoneNumber,
        Violation::InvalidLanguage,
        Violation::InvalidSlug,
        Violation::DuplicateItem,
        Violation::TooManyItems { max: 0 },
        Violation::OutOfRange { min: 0, max: 0 },
        Violation::ContainsWhitespace,
        Violation::InvalidAccountSid,
        Violation::InvalidAuthToken,
        Violation::ContainsNul,
        Violation::InvalidUuid,
        Violation::InTheFuture,
        Violation::TooLongAgo,
        Violation::InvalidCode,
        Violation::WrongPassword,
    ];

    /// The (min, max) a message about this violation names, if any.
    pub fn bounds(&self) -> (Option<i64>, Option<i64>) {
        let int = |n: usize| i64::try_from(n).ok();
        match self {
            Violation::TooLong { max } | Violation::TooManyItems { max } => (None, int(*max)),
            Violation::TooShort { min } => (int(*min), None),
            Violation::OutOfRange { min, max } => (Some(*min), Some(*max)),
            _ => (None, None),
        }
    }

    /// The stable snake_case code: part of the API contract, never reworded. Spelled once,
    /// in [`crate::ErrorCode`].
    pub fn code(&self) -> &'static str {
        // Every violation maps to a declared code (the match below), so the fallback is never
        // taken.
        self.error_code().known_str().unwrap_or("validation_failed")
    }

    /// The code as the window branches on it.
    pub fn error_code(&self) -> crate::ErrorCode {
        use crate::ErrorCode;
        match self {
            Violation::Required => ErrorCode::Required,
            Violation::WrongType { .. } => ErrorCode::WrongType,
            Violation::UnknownField => ErrorCode::UnknownField,
            Violation::TooLong { .. } => ErrorCode::TooLong,
            Violation::TooShort { .. } => ErrorCode::TooShort,
            Violation::NotOneOf { .. } => ErrorCode::InvalidChoice,
            Violation::InvalidEmail => ErrorCode::InvalidEmail,
            Violation::InvalidTimezone => ErrorCode::InvalidTimezone,
            Violation::InvalidPhoneNumber => ErrorCode::InvalidPhoneNumber,
            Violation::InvalidLanguage => ErrorCode::InvalidLanguage,
            Violation::InvalidSlug => ErrorCode::InvalidSlug,
            Violation::DuplicateItem => ErrorCode::DuplicateItem,
            Violation::TooManyItems { .. } => ErrorCode::TooManyItems,
            Violation::OutOfRange { .. } => ErrorCode::OutOfRange,
            Violation::ContainsWhitespace => ErrorCode::ContainsWhitespace,
            Violation::InvalidAccountSid => ErrorCode::InvalidAccountSid,
            Violation::InvalidAuthToken => ErrorCode::InvalidAuthToken,
            Violation::ContainsNul => ErrorCode::ContainsNul,
            Violation::InvalidUuid => ErrorCode::InvalidUuid,
            Violation::InTheFuture => ErrorCode::InTheFuture,
            Violation::TooLongAgo => ErrorCode::TooLongAgo,
            Violation::InvalidCode => ErrorCode::InvalidCode,
            Violation::WrongPassword => ErrorCode::WrongPassword,
        }
    }

    /// The key a translation file holds this message under.
    pub fn message_key(&self) -> String {
        format!("error.{}", self.code())
    }

    /// The English sentence the server sends; the desktop translates by [`Self::message_key`].
    pub fn english(&self) -> String {
        match self {
            Violation::Required => "is required".to_owned(),
            Violation::WrongType { expected } => format!("must be {expected}"),
            Violation::UnknownField => "is not a field of this request".to_owned(),
            Violation::TooLong { max } => format!("must be at most {max} characters"),
            Violation::TooShort { min } => format!("must be at least {min} characters"),
            Violation::NotOneOf { allowed } => format!("must be one of: {}", allowed.join(", ")),
            Violation::InvalidEmail => "must be a valid email address".to_owned(),
            Violation::InvalidTimezone => {
                "must be an IANA time zone name such as America/New_York".to_owned()
            }
            Violation::InvalidPhoneNumber => {
                "must be an E.164 number: + then 7 to 15 digits, no leading 0 (e.g. +14155550199)"
                    .to_owned()
            }
            Violation::InvalidLanguage => {
                "must be a lowercase ISO 639-1 language code such as en, fr or he".to_owned()
            }
            Violation::InvalidSlug => {
                "must be 1 to 40 characters of a-z, 0-9, _ and - (e.g. google_drive)".to_owned()
            }
            Violation::DuplicateItem => "must not list the same value twice".to_owned(),
            Violation::TooManyItems { max } => format!("must have at most {max} items"),
            Violation::OutOfRange { min, max } => format!("must be between {min} and {max}"),
            Violation::ContainsWhitespace => "must not contain spaces or line breaks".to_owned(),
            Violation::InvalidAccountSid => {
                "must be AC followed by 32 hexadecimal digits".to_owned()
            }
            Violation::InvalidAuthToken => "must be 32 hexadecimal digits".to_owned(),
            Violation::ContainsNul => "must not contain the NUL character (U+0000)".to_owned(),
            Violation::InvalidUuid => {
                "must be a UUID such as 6f1c2a4e-0b7d-4c1e-9a55-3e2d7c9b8a10".to_owned()
            }
            Violation::InTheFuture => "must not be more than a day in the future".to_owned(),
            Violation::TooLongAgo => "must not be before the account existed".to_owned(),
            Violation::InvalidCode => {
                "is not a valid code (wrong, expired or already used): ask for a new one".to_owned()
            }
            Violation::WrongPassword => "is not this account's password".to_owned(),
        }
    }
}

/// One refused field: which field, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field's name as it appears in the JSON body (`voice.provider` for nested ones).
    pub field: String,
    pub violation: Violation,
}

impl FieldError {
    pub fn new(field: impl Into<String>, violation: Violation) -> Self {
        Self {
            field: field.into(),
            violation,
        }
    }

    pub fn code(&self) -> &'static str {
        self.violation.code()
    }

    /// "timezone must be an IANA time zone name …": names the field, as the API promises.
    pub fn english(&self) -> String {
        format!("{} {}", self.field, self.violation.english())
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.english())
    }
}

/// Every refused field of one request (never empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    pub fn single(field: impl Into<String>, violation: Violation) -> Self {
        Self(vec![FieldError::new(field, violation)])
    }

    pub fn fields(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|e| e.field.as_str())
    }

    pub fn get(&self, field: &str) -> Option<&FieldError> {
        self.0.iter().find(|e| e.field == field)
    }
}

impl fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(FieldError::english).collect();
        f.write_str(&parts.join("; "))
    }
}

impl std::error::Error for FieldErrors {}

#[cfg(test)]
mod tests {
    use super::*;

    /// Its place in the declaration; a new kind does not compile until it has one here.
    fn kind(v: &Violation) -> usize {
        match v {
            Violation::Required => 0,
            Violation::WrongType { .. } => 1,
            Violation::UnknownField => 2,
            Violation::TooLong { .. } => 3,
            Violation::TooShort { .. } => 4,
            Violation::NotOneOf { .. } => 5,
            Violation::InvalidEmail => 6,
            Violation::InvalidTimezone => 7,
            Violation::InvalidPhoneNumber => 8,
            Violation::InvalidLanguage => 9,
            Violation::InvalidSlug => 10,
            Violation::DuplicateItem => 11,
            Violation::TooManyItems { .. } => 12,
            Violation::OutOfRange { .. } => 13,
            Violation::ContainsWhitespace => 14,
            Violation::InvalidAccountSid => 15,
            Violation::InvalidAuthToken => 16,
            Violation::ContainsNul => 17,
            Violation::InvalidUuid => 18,
            Violation::InTheFuture => 19,
            Violation::TooLongAgo => 20,
            Violation::InvalidCode => 21,
            Violation::WrongPassword => 22,
        }
    }

    #[test]
    fn every_lists_each_kind_once_with_its_own_code() {
        let kinds: Vec<usize> = Violation::EVERY.iter().map(kind).collect();
        assert_eq!(kinds, (0..23).collect::<Vec<_>>());
        let mut codes: Vec<&str> = Violation::EVERY.iter().map(Violation::code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), Violation::EVERY.len());
    }
}
