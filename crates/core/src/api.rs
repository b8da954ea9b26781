//! A client for the onboarding API (`shared/design/api.md`), typed with the model's bodies.

use std::time::Duration;

use ava_model::{
    AssistantRecord, AuthSession, Completion, DeletionReceipt, DeviceName, EmailStatus, ErrorCode,
    ErrorEnvelope, FieldProblem, FlagsPatch, Me, OnboardingFlags, Profile, ProfilePatch, SignIn,
    StudioConfig, StudioPatch, TwilioSettingsStatus, VapiAssistantsOnDeletion, VapiSettingsStatus,
};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApiError {
    /// No answer: offline, server down, timeout. Worth retrying.
    #[error("the Ava server cannot be reached: {0}")]
    Unreachable(String),
    /// The token is missing, expired or revoked: sign in again. `code` is the server's reason
    /// (`refresh_token_reused` when the sign-in was ended for safety, which the owner is told).
    #[error("sign in again: {message}")]
    SignInRequired { code: ErrorCode, message: String },
    /// The server refused some fields (its rules; the model should have caught them first).
    #[error("the server refused some fields: {}", .0.iter().map(|f| f.message.clone()).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldProblem>),
    /// Any other answer in the error envelope.
    #[error("{message}")]
    Refused {
        status: u16,
        code: ErrorCode,
        message: String,
    },
}

impl ApiError {
    /// Worth retrying later with backoff.
    pub fn is_transient(&self) -> bool {
        match self {
            ApiError::Unreachable(_) => true,
            ApiError::Refused { status, .. } => *status >= 500 || *status == 429,
            _ => false,
        }
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            ApiError::Unreachable(_) => ErrorCode::Offline,
            ApiError::SignInRequired { .. } => ErrorCode::SignInRequired,
            // The first field the server refused names the reason (`invalid_code` at `code`).
            ApiError::Invalid(problems) => problems
                .first()
                .map_or(ErrorCode::ValidationFailed, |p| p.code.clone()),
            ApiError::Refused { code, .. } => code.clone(),
        }
    }
}

#[derive(Clone)]
pub struct ApiClient {
    http: reqwest::Client,
    base: String,
}

impl ApiClient {
    /// A client of the API at `base_url`, which must be `https://` (plain `http://` only to
    /// this machine, for development): the owner's password, tokens and keys travel on it.
    /// Redirects are not followed, so nothing is ever re-sent to an address we did not choose.
    pub fn new(base_url: &str, timeout: Duration) -> Result<Self, ApiError> {
        if !crate::config::is_https_or_loopback(base_url) {
            return Err(ApiError::Refused {
                status: 0,
                code: ErrorCode::InsecureApiUrl,
                message: format!(
                    "the Ava server's address must start with https:// (got {base_url:?})"
                ),
            });
        }
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(3)))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| ApiError::Unreachable(e.to_string()))?;
        Ok(Self {
            http,
            base: base_url.trim_end_matches('/').to_owned(),
        })
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        token: Option<&SecretString>,
        body: Option<&(impl Serialize + ?Sized)>,
    ) -> Result<T, ApiError> {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token.expose_secret());
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        self.exchange(request)
            .await?
            .ok_or_else(|| ApiError::Refused {
                status: 304,
                code: ErrorCode::BadResponse,
                message: "the server answered 304 to a request that named no revision".to_owned(),
            })
    }

    /// A signed-in request without a body.
    async fn signed<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        token: &SecretString,
    ) -> Result<T, ApiError> {
        self.call(method, path, Some(token), None::<&Value>).await
    }

    /// A signed-in request with a JSON body.
    async fn signed_with<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        token: &SecretString,
        body: &(impl Serialize + ?Sized),
    ) -> Result<T, ApiError> {
        self.call(method, path, Some(token), Some(body)).await
    }

    /// `DELETE` of a resource whose answer carries nothing the app reads.
    async fn delete(&self, token: &SecretString, path: &str) -> Result<(), ApiError> {
        self.send(Method::DELETE, path, Some(token), None::<&Value>)
            .await
    }

    /// [`Self::call`] for a request whose answer carries nothing the app reads.
    async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&SecretString>,
        body: Option<&(impl Serialize + ?Sized)>,
    ) -> Result<(), ApiError> {
        self.call::<Value>(method, path, token, body)
            .await
            .map(|_| ())
    }

    /// Sends `request` and reads its answer: `None` for a 304 (nothing changed since the
    /// revision the request named), the body otherwise, or the error the envelope says.
    async fn exchange<T: DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<Option<T>, ApiError> {
        let response = request
            .send()
            .await
            .map_err(|e| ApiError::Unreachable(e.without_url().to_string()))?;
        let status = response.status();
        if status == StatusCode::NOT_MODIFIED {
            return Ok(None);
        }
        let bytes = response
            .bytes()
            .await
            .map_err(|e| ApiError::Unreachable(e.without_url().to_string()))?;
        if status.is_success() {
            let bytes = if bytes.is_empty() {
                &b"null"[..]
            } else {
                &bytes[..]
            };
            return serde_json::from_slice(bytes)
                .map(Some)
                .map_err(|e| ApiError::Refused {
                    status: status.as_u16(),
                    code: ErrorCode::BadResponse,
                    message: format!("the server's answer could not be read: {e}"),
                });
        }
        let envelope: Option<ErrorEnvelope> = serde_json::from_slice(&bytes).ok();
        let (code, message, fields) = match envelope {
            Some(e) => (e.error.code, e.error.message, e.error.fields),
            None => (
                ErrorCode::HttpError,
                format!("the server answered {status}"),
                None,
            ),
        };
        Err(match status {
            StatusCode::UNAUTHORIZED if code != ErrorCode::InvalidCredentials => {
                ApiError::SignInRequired { code, message }
            }
            StatusCode::UNPROCESSABLE_ENTITY if fields.is_some() => {
                ApiError::Invalid(fields.unwrap_or_default())
            }
            _ => ApiError::Refused {
                status: status.as_u16(),
                code,
                message,
            },
        })
    }

    pub async fn register(
        &self,
        email: &str,
        password: &SecretString,
        device: Option<&DeviceName>,
    ) -> Result<AuthSession, ApiError> {
        let body = json!({"email": email, "password": password.expose_secret(), "device": device});
        self.call(Method::POST, "/api/v1/auth/register", None, Some(&body))
            .await
    }

    pub async fn login(
        &self,
        email: &str,
        password: &SecretString,
        device: Option<&DeviceName>,
    ) -> Result<AuthSession, ApiError> {
        let body = json!({"email": email, "password": password.expose_secret(), "device": device});
        self.call(Method::POST, "/api/v1/auth/login", None, Some(&body))
            .await
    }

    // ---- the account's life ----

    /// Asks for a reset code by mail; the answer is the same for every address.
    pub async fn password_reset(&self, email: &str) -> Result<(), ApiError> {
        self.send(
            Method::POST,
            "/api/v1/auth/password-reset",
            None,
            Some(&json!({"email": email})),
        )
        .await
    }

    /// A new password with the mailed code: signs this computer in.
    pub async fn password_reset_confirm(
        &self,
        email: &str,
        code: &str,
        new_password: &SecretString,
        device: Option<&DeviceName>,
    ) -> Result<AuthSession, ApiError> {
        let body = json!({"email": email, "code": code, "new_password": new_password.expose_secret(), "device": device});
        self.call(
            Method::POST,
            "/api/v1/auth/password-reset/confirm",
            None,
            Some(&body),
        )
        .await
    }

    /// A new password: every other sign-in ends; this computer gets a new one.
    pub async fn change_password(
        &self,
        token: &SecretString,
        current: &SecretString,
        new_password: &SecretString,
    ) -> Result<AuthSession, ApiError> {
        let body = json!({"current_password": current.expose_secret(), "new_password": new_password.expose_secret()});
        self.signed_with(Method::POST, "/api/v1/user/password", token, &body)
            .await
    }

    /// Sends a code to `new_email`; the address changes once it comes back.
    pub async fn change_email(
        &self,
        token: &SecretString,
        new_email: &str,
        password: &SecretString,
    ) -> Result<(), ApiError> {
        let body = json!({"new_email": new_email, "password": password.expose_secret()});
        self.send(Method::POST, "/api/v1/user/email", Some(token), Some(&body))
            .await
    }

    pub async fn verify_email(
        &self,
        token: &SecretString,
        code: &str,
    ) -> Result<EmailStatus, ApiError> {
        self.signed_with(
            Method::POST,
            "/api/v1/user/email/verify",
            token,
            &json!({"code": code}),
        )
        .await
    }

    pub async fn resend_verification(&self, token: &SecretString) -> Result<(), ApiError> {
        self.send(
            Method::POST,
            "/api/v1/user/email/verification",
            Some(token),
            None::<&Value>,
        )
        .await
    }

    pub async fn sign_ins(&self, token: &SecretString) -> Result<Vec<SignIn>, ApiError> {
        self.signed(Method::GET, "/api/v1/user/sessions", token)
            .await
    }

    pub async fn end_sign_in(&self, token: &SecretString, id: &str) -> Result<(), ApiError> {
        // The id is hex from the server's own list; anything else is refused before sending.
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ApiError::Refused {
                status: 404,
                code: ErrorCode::NotFound,
                message: "no such sign-in".to_owned(),
            });
        }
        self.delete(token, &format!("/api/v1/user/sessions/{id}"))
            .await
    }

    /// Everything the server holds about the account (`ava-export/1`).
    pub async fn export(&self, token: &SecretString) -> Result<Value, ApiError> {
        self.signed(Method::GET, "/api/v1/user/export", token).await
    }

    pub async fn delete_account(
        &self,
        token: &SecretString,
        password: &SecretString,
        vapi_assistants: VapiAssistantsOnDeletion,
    ) -> Result<DeletionReceipt, ApiError> {
        let body =
            json!({"password": password.expose_secret(), "vapi_assistants": vapi_assistants});
        self.signed_with(Method::POST, "/api/v1/user/delete", token, &body)
            .await
    }

    /// Spends `refresh_token` for a new access token and its successor.
    pub async fn refresh(&self, refresh_token: &SecretString) -> Result<AuthSession, ApiError> {
        let body = json!({"refresh_token": refresh_token.expose_secret()});
        self.call(Method::POST, "/api/v1/auth/refresh", None, Some(&body))
            .await
    }

    /// Ends the sign-in on the server (its refresh tokens stop working).
    pub async fn logout(&self, refresh_token: &SecretString) -> Result<(), ApiError> {
        let body = json!({"refresh_token": refresh_token.expose_secret()});
        self.send(Method::POST, "/api/v1/auth/logout", None, Some(&body))
            .await
    }

    pub async fn me(&self, token: &SecretString) -> Result<Me, ApiError> {
        self.signed(Method::GET, "/api/v1/user/me", token).await
    }

    /// The account as the server holds it if its revision moved past `known` (`None`: it did
    /// not; one indexed read on the server). Without a known revision, always the account.
    pub async fn me_since(
        &self,
        token: &SecretString,
        known: Option<i64>,
    ) -> Result<Option<Me>, ApiError> {
        let mut request = self
            .http
            .get(format!("{}/api/v1/user/me", self.base))
            .bearer_auth(token.expose_secret());
        if let Some(revision) = known {
            request = request.header(reqwest::header::IF_NONE_MATCH, format!("\"{revision}\""));
        }
        self.exchange(request).await
    }

    /// `PATCH` of one of the owner's resources with the fields that changed.
    pub async fn patch<P: Patchable>(
        &self,
        token: &SecretString,
        patch: &P,
    ) -> Result<P::Saved, ApiError> {
        self.signed_with(Method::PATCH, P::PATH, token, patch).await
    }

    /// `POST /api/v1/events` with at most [`ava_model::EVENTS_PER_BATCH`] events.
    pub async fn post_events(
        &self,
        token: &SecretString,
        events: &[ava_model::EventRecord],
    ) -> Result<ava_model::EventsReceipt, ApiError> {
        let wire: Vec<Value> = events.iter().map(ava_model::EventRecord::to_wire).collect();
        self.signed_with(
            Method::POST,
            "/api/v1/events",
            token,
            &json!({ "events": wire }),
        )
        .await
    }

    pub async fn complete(&self, token: &SecretString) -> Result<Completion, ApiError> {
        self.signed(Method::POST, "/api/v1/user/complete-onboarding", token)
            .await
    }

    pub async fn save_vapi_key(
        &self,
        token: &SecretString,
        key: &SecretString,
    ) -> Result<VapiSettingsStatus, ApiError> {
        let body = json!({"vapi_api_key": key.expose_secret()});
        self.signed_with(Method::POST, "/api/v1/vapi-settings", token, &body)
            .await
    }

    pub async fn vapi_status(&self, token: &SecretString) -> Result<VapiSettingsStatus, ApiError> {
        self.signed(Method::GET, "/api/v1/vapi-settings", token)
            .await
    }

    pub async fn delete_vapi_key(&self, token: &SecretString) -> Result<(), ApiError> {
        self.delete(token, "/api/v1/vapi-settings").await
    }

    pub async fn save_twilio(
        &self,
        token: &SecretString,
        account_sid: &str,
        auth_token: &SecretString,
        phone_number: Option<&str>,
    ) -> Result<TwilioSettingsStatus, ApiError> {
        let body = json!({"account_sid": account_sid, "auth_token": auth_token.expose_secret(), "phone_number": phone_number});
        self.signed_with(Method::POST, "/api/v1/twilio-settings", token, &body)
            .await
    }

    pub async fn twilio_status(
        &self,
        token: &SecretString,
    ) -> Result<TwilioSettingsStatus, ApiError> {
        self.signed(Method::GET, "/api/v1/twilio-settings", token)
            .await
    }

    pub async fn delete_twilio(&self, token: &SecretString) -> Result<(), ApiError> {
        self.delete(token, "/api/v1/twilio-settings").await
    }

    /// The record-only form of `POST /assistants`: the core created it in Vapi itself.
    pub async fn record_assistant(
        &self,
        token: &SecretString,
        vapi_assistant_id: &str,
        name: &str,
        metadata: &Value,
    ) -> Result<AssistantRecord, ApiError> {
        let body =
            json!({"vapi_assistant_id": vapi_assistant_id, "name": name, "metadata": metadata});
        self.signed_with(Method::POST, "/api/v1/assistants", token, &body)
            .await
    }
}

/// A resource the owner edits field by field: where its `PATCH` goes and what comes back.
pub trait Patchable: Serialize {
    const PATH: &'static str;
    type Saved: DeserializeOwned;
}

impl Patchable for ProfilePatch {
    const PATH: &'static str = "/api/v1/user/profile";
    type Saved = Profile;
}

impl Patchable for StudioPatch {
    const PATH: &'static str = "/api/v1/user/studio-config";
    type Saved = StudioConfig;
}

impl Patchable for FlagsPatch {
    const PATH: &'static str = "/api/v1/user/onboarding";
    type Saved = OnboardingFlags;
}
