//! The server's one error type and its one wire form, the envelope of api.md:
//! `{"error": {"code", "message", "fields"?}}`. Status codes are decided here and nowhere else.

use std::sync::Arc;

use ava_model::{ErrorBody, ErrorCode, ErrorEnvelope, FieldErrors};
use ava_vapi::ProviderError;
use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("the body is not valid JSON: {0}")]
    MalformedJson(String),
    #[error("send the body as application/json")]
    UnsupportedMediaType,
    #[error("the body is larger than 64 KiB")]
    PayloadTooLarge,
    #[error("{0}")]
    Validation(FieldErrors),
    /// A 422 that is about the state of the account, not one field's syntax.
    #[error("{message}")]
    Unprocessable {
        code: ErrorCode,
        message: String,
        fields: Option<FieldErrors>,
    },
    #[error("{message}")]
    Unauthorized { code: ErrorCode, message: String },
    #[error("no such route: {0}")]
    RouteNotFound(String),
    #[error("this route does not accept that method")]
    MethodNotAllowed,
    #[error("{message}")]
    Conflict { code: ErrorCode, message: String },
    #[error("too many failed sign-in attempts; try again in {retry_after_secs} s")]
    TooManyLoginAttempts { retry_after_secs: u64 },
    #[error("too many accounts created from this address; try again in {retry_after_secs} s")]
    TooManyRegistrations { retry_after_secs: u64 },
    #[error(
        "this account sent as many onboarding events as it may in a day; try again in {retry_after_secs} s"
    )]
    TooManyEvents { retry_after_secs: u64 },
    #[error(
        "this account sent too many requests in a short while; try again in {retry_after_secs} s"
    )]
    TooManyRequests { retry_after_secs: u64 },
    /// Every password-hashing slot and the queue before them are taken.
    #[error("the server is busy; try again in {retry_after_secs} s")]
    Busy { retry_after_secs: u64 },
    #[error("the request took longer than {limit_secs} s and was stopped; try again")]
    RequestTimeout { limit_secs: u64 },
    #[error("Vapi could not create the assistant: {0}")]
    Upstream(ProviderError),
    #[error("the database is unavailable")]
    DatabaseUnavailable,
    /// Never shown to the client; logged by the request middleware.
    #[error("internal error")]
    Internal(String),
}

/// The detail of a 500, handed to the logging middleware through the response extensions so
/// that turning an error into a response has no side effect.
#[derive(Debug, Clone)]
pub struct InternalDetail(pub Arc<str>);

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::MalformedJson(_) => StatusCode::BAD_REQUEST,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Validation(_) | ApiError::Unprocessable { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            ApiError::RouteNotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::TooManyLoginAttempts { .. }
            | ApiError::TooManyRegistrations { .. }
            | ApiError::TooManyEvents { .. }
            | ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Busy { .. } | ApiError::RequestTimeout { .. } => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ApiError::Upstream(_) => StatusCode::BAD_GATEWAY,
            ApiError::DatabaseUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The envelope's `code`: one of the model's [`ErrorCode`]s, the vocabulary the desktop
    /// window translates, serialised as the same snake_case word as ever.
    pub fn code(&self) -> ErrorCode {
        match self {
            ApiError::MalformedJson(_) => ErrorCode::MalformedJson,
            ApiError::UnsupportedMediaType => ErrorCode::UnsupportedMediaType,
            ApiError::PayloadTooLarge => ErrorCode::PayloadTooLarge,
            ApiError::Validation(_) => ErrorCode::ValidationFailed,
            ApiError::Unprocessable { code, .. }
            | ApiError::Unauthorized { code, .. }
            | ApiError::Conflict { code, .. } => code.clone(),
            ApiError::RouteNotFound(_) => ErrorCode::NotFound,
            ApiError::MethodNotAllowed => ErrorCode::MethodNotAllowed,
            ApiError::TooManyLoginAttempts { .. } => ErrorCode::TooManyAttempts,
            ApiError::TooManyRegistrations { .. } => ErrorCode::TooManyRegistrations,
            ApiError::TooManyEvents { .. } => ErrorCode::TooManyEvents,
            ApiError::TooManyRequests { .. } => ErrorCode::TooManyRequests,
            ApiError::Busy { .. } => ErrorCode::ServerBusy,
            ApiError::RequestTimeout { .. } => ErrorCode::RequestTimeout,
            ApiError::Upstream(_) => ErrorCode::VapiError,
            ApiError::DatabaseUnavailable => ErrorCode::DatabaseUnavailable,
            ApiError::Internal(_) => ErrorCode::InternalError,
        }
    }

    /// Seconds a client should wait before trying again, where waiting is the remedy.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            ApiError::TooManyLoginAttempts { retry_after_secs }
            | ApiError::TooManyRegistrations { retry_after_secs }
            | ApiError::TooManyEvents { retry_after_secs }
            | ApiError::TooManyRequests { retry_after_secs }
            | ApiError::Busy { retry_after_secs } => Some(*retry_after_secs),
            ApiError::RequestTimeout { .. } | ApiError::DatabaseUnavailable => Some(1),
            _ => None,
        }
    }

    /// A valid token whose user was deleted or deactivated: the same as a bad token.
    pub fn account_gone() -> Self {
        ApiError::unauthorized(
            ErrorCode::InvalidToken,
            "This account no longer exists or was deactivated; sign in again",
        )
    }

    pub fn unauthorized(code: ErrorCode, message: &str) -> Self {
        ApiError::Unauthorized {
            code,
            message: message.to_owned(),
        }
    }

    pub fn conflict(code: ErrorCode, message: &str) -> Self {
        ApiError::Conflict {
            code,
            message: message.to_owned(),
        }
    }
}

impl From<FieldErrors> for ApiError {
    fn from(errors: FieldErrors) -> Self {
        ApiError::Validation(errors)
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        crate::note_database_error(&error);
        match error {
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                ApiError::DatabaseUnavailable
            }
            // statement_timeout (57014) and a server going away (class 57, 08): the database
            // is overloaded or restarting, not our bug; a retry later is the remedy.
            sqlx::Error::Database(db)
                if db
                    .code()
                    .is_some_and(|code| code.starts_with("57") || code.starts_with("08")) =>
            {
                ApiError::DatabaseUnavailable
            }
            other => ApiError::Internal(format!("database: {other}")),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let fields = match &self {
            ApiError::Validation(errors) => Some(errors.into()),
            ApiError::Unprocessable {
                fields: Some(errors),
                ..
            } => Some(errors.into()),
            _ => None,
        };
        let message = match &self {
            ApiError::Validation(errors) => {
                let names: Vec<&str> = errors.fields().collect();
                format!("Some fields are invalid: {}", names.join(", "))
            }
            ApiError::Internal(_) => "Something went wrong on our side; please try again.".into(),
            other => other.to_string(),
        };
        let body = ErrorEnvelope {
            error: ErrorBody {
                code: self.code(),
                message,
                fields,
                upstream_status: match &self {
                    ApiError::Upstream(e) => e.status(),
                    _ => None,
                },
                retry_after_seconds: self.retry_after(),
            },
        };
        let mut response = (status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after() {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if let ApiError::Internal(detail) = self {
            response
                .extensions_mut()
                .insert(InternalDetail(detail.into()));
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
