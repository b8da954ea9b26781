//! The server's one error type and its one wire form, the envelope of api.md:
//! `{"error": {"code", "message", "fields"?}}`. Status codes are decided here and nowhere else.

use std::sync::Arc;

use ava_model::{ErrorBody, ErrorEnvelope, FieldErrors};
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
        code: &'static str,
        message: String,
        fields: Option<FieldErrors>,
    },
    #[error("{message}")]
    Unauthorized { code: &'static str, message: String },
    #[error("no such route: {0}")]
    RouteNotFound(String),
    #[error("this route does not accept that method")]
    MethodNotAllowed,
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error("too many failed sign-in attempts; try again in {retry_after_secs} s")]
    TooManyLoginAttempts { retry_after_secs: u64 },
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
            ApiError::TooManyLoginAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Upstream(_) => StatusCode::BAD_GATEWAY,
            ApiError::DatabaseUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::MalformedJson(_) => "malformed_json",
            ApiError::UnsupportedMediaType => "unsupported_media_type",
            ApiError::PayloadTooLarge => "payload_too_large",
            ApiError::Validation(_) => "validation_failed",
            ApiError::Unprocessable { code, .. }
            | ApiError::Unauthorized { code, .. }
            | ApiError::Conflict { code, .. } => code,
            ApiError::RouteNotFound(_) => "not_found",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::TooManyLoginAttempts { .. } => "too_many_attempts",
            ApiError::Upstream(_) => "vapi_error",
            ApiError::DatabaseUnavailable => "database_unavailable",
            ApiError::Internal(_) => "internal_error",
        }
    }

    pub fn unauthorized(code: &'static str, message: &str) -> Self {
        ApiError::Unauthorized {
            code,
            message: message.to_owned(),
        }
    }

    pub fn conflict(code: &'static str, message: &str) -> Self {
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
        match error {
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
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
                code: self.code().to_owned(),
                message,
                fields,
                upstream_status: match &self {
                    ApiError::Upstream(e) => e.status(),
                    _ => None,
                },
            },
        };
        let mut response = (status, Json(body)).into_response();
        if let ApiError::TooManyLoginAttempts { retry_after_secs } = &self
            && let Ok(value) = HeaderValue::from_str(&retry_after_secs.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
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
